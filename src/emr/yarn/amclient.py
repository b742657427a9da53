"""An ApplicationMaster's side of emr.yarn.protocol: register, allocate and finish with the
ResourceManager (its AMRM token), start and stop its containers on their NodeManagers (their
container tokens). Synchronous (httpx); close it (`with` or `close()`)."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from typing import Literal

import httpx
from pydantic import BaseModel

from emr.yarn import protocol as p
from emr.yarn.client import ClosingClient, raise_for
from emr.yarn.ids import ApplicationAttemptId, ContainerId

__all__ = ["AMClient"]


class AMClient(ClosingClient):
    """An ApplicationMaster's calls: the RM (AMRM token) and its containers' NodeManagers
    (each container's token)."""

    def __init__(
        self,
        rm_address: str,
        attempt_id: str,
        amrm_token: str,
        *,
        user: str = "",
        timeout: float = 30.0,
    ) -> None:
        self.attempt_id = ApplicationAttemptId.parse(attempt_id)
        self.application_id = str(self.attempt_id.application_id)
        self.user = user or os.environ.get("USER", "hadoop")
        self._rm = httpx.Client(
            base_url=f"{rm_address.rstrip('/')}{p.AM_PREFIX}/{attempt_id}",
            headers={"Authorization": f"Bearer {amrm_token}"},
            timeout=timeout,
        )
        self._nm = httpx.Client(timeout=timeout)

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> AMClient:
        """From the AM container's environment: EMR_RM_ADDRESS, EMR_AMRM_TOKEN, CONTAINER_ID."""
        env = os.environ if environ is None else environ
        container = ContainerId.parse(env["CONTAINER_ID"])
        return cls(
            env["EMR_RM_ADDRESS"],
            str(container.application_attempt_id),
            env["EMR_AMRM_TOKEN"],
            user=env.get("USER", ""),
        )

    def close(self) -> None:
        self._rm.close()
        self._nm.close()

    def _post(self, name: str, body: BaseModel) -> httpx.Response:
        response = self._rm.post(
            f"/{name}",
            content=body.model_dump_json(),
            headers={"Content-Type": "application/json"},
        )
        raise_for(response)
        return response

    def register(self, host: str, rpc_port: int = -1, tracking_url: str = "") -> p.RegisterAnswer:
        request = p.RegisterRequest(host=host, rpc_port=rpc_port, tracking_url=tracking_url)
        return p.RegisterAnswer.model_validate_json(self._post("register", request).content)

    def allocate(
        self,
        asks: Iterable[p.ResourceRequestModel] = (),
        releases: Iterable[str] = (),
        progress: float = 0.0,
    ) -> p.AllocateAnswer:
        request = p.AllocateRequest(asks=list(asks), releases=list(releases), progress=progress)
        return p.AllocateAnswer.model_validate_json(self._post("allocate", request).content)

    def finish(
        self,
        final_status: Literal["SUCCEEDED", "FAILED", "KILLED", "UNDEFINED"],
        diagnostics: str = "",
        tracking_url: str = "",
    ) -> None:
        request = p.FinishRequest(
            final_status=final_status, diagnostics=diagnostics, tracking_url=tracking_url
        )
        self._post("finish", request)

    def _nm_call(
        self, container: p.ContainerModel, method: str, path: str, body: BaseModel | None
    ) -> httpx.Response:
        response = self._nm.request(
            method,
            f"http://{container.node_http_address}{p.CONTAINERS_PREFIX}/{path}",
            content=None if body is None else body.model_dump_json(),
            headers={
                "Authorization": f"Bearer {container.token}",
                "Content-Type": "application/json",
            },
        )
        raise_for(response)
        return response

    def start_container(
        self,
        container: p.ContainerModel,
        launch_context: p.LaunchContext,
        application_id: str | None = None,
        user: str | None = None,
    ) -> None:
        """Start a granted container on its NodeManager."""
        request = p.StartRequest(
            container=container,
            application_id=application_id or self.application_id,
            user=user or self.user,
            launch_context=launch_context,
        )
        self._nm_call(container, "POST", "start", request)

    def stop_container(self, container: p.ContainerModel) -> None:
        request = p.StopRequest(container_ids=[container.container_id])
        self._nm_call(container, "POST", "stop", request)

    def container_status(self, container: p.ContainerModel) -> p.ContainerStatus:
        response = self._nm_call(container, "GET", f"{container.container_id}/status", None)
        return p.ContainerStatus.model_validate_json(response.content)
