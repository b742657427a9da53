"""A client of YARN's REST API: `YarnRestClient` (what `yarn` and `spark-submit` steps use:
new-application, submit, report, kill at `/ws/v1/cluster`). An ApplicationMaster's side of
emr.yarn.protocol is `emr.yarn.amclient.AMClient`; this module stays free of pydantic so the
`yarn` command starts fast.

Clients are synchronous (httpx) and must be closed (`with` or `close()`). Errors the daemons
answer as Hadoop's RemoteException JSON raise `YarnClientError` (status, exception, message);
transport failures raise httpx's own errors.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

import httpx

from emr.errors import EmrError

if TYPE_CHECKING:
    from emr.yarn import protocol as p

__all__ = [
    "ApplicationReport",
    "NewApplication",
    "YarnClientError",
    "YarnRestClient",
]

FINAL_STATES = frozenset({"FINISHED", "FAILED", "KILLED"})


class YarnClientError(EmrError):
    """A YARN daemon refused a call (Hadoop's RemoteException: exception name and message)."""

    def __init__(self, status: int, exception: str, message: str) -> None:
        super().__init__(f"{status} {exception}: {message}")
        self.status = status
        self.exception = exception
        self.message = message


def raise_for(response: httpx.Response) -> None:
    if response.is_success:
        return
    try:
        remote = response.json().get("RemoteException", {})
    except ValueError:
        remote = {}
    raise YarnClientError(
        response.status_code,
        str(remote.get("exception", "HttpError")),
        str(remote.get("message", response.text[:2000])),
    )


@dataclass(frozen=True)
class NewApplication:
    application_id: str
    maximum_memory_mb: int
    maximum_vcores: int


@dataclass(frozen=True)
class ApplicationReport:
    """The fields of Hadoop's `app` object a client usually needs; `raw` holds all of them."""

    application_id: str
    name: str
    user: str
    queue: str
    state: str
    final_status: str
    progress: float
    diagnostics: str
    tracking_url: str
    am_rpc_address: str
    application_type: str
    raw: Mapping[str, Any] = field(repr=False)

    @property
    def ended(self) -> bool:
        return self.state in FINAL_STATES

    @classmethod
    def of(cls, app: Mapping[str, Any]) -> ApplicationReport:
        return cls(
            application_id=str(app["id"]),
            name=str(app.get("name", "")),
            user=str(app.get("user", "")),
            queue=str(app.get("queue", "")),
            state=str(app["state"]),
            final_status=str(app.get("finalStatus", "UNDEFINED")),
            progress=float(app.get("progress", 0.0)),
            diagnostics=str(app.get("diagnostics", "")),
            tracking_url=str(app.get("trackingUrl", "")),
            am_rpc_address=str(app.get("amRPCAddress", "")),
            application_type=str(app.get("applicationType", "")),
            raw=dict(app),
        )


def _entries(values: Mapping[str, Any]) -> dict[str, list[dict[str, Any]]]:
    return {"entry": [{"key": k, "value": v} for k, v in values.items()]}


class ClosingClient(ABC):
    """`with client:` closes it (the clients hold httpx connection pools)."""

    @abstractmethod
    def close(self) -> None:
        """Release the client's connections."""

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()


class YarnRestClient(ClosingClient):
    """Hadoop's ResourceManager REST API (`http://<rm>:8088/ws/v1/cluster`)."""

    def __init__(self, rm_url: str, *, user: str = "hadoop", timeout: float = 30.0) -> None:
        self.user = user
        self._http = httpx.Client(base_url=rm_url.rstrip("/"), timeout=timeout)

    def close(self) -> None:
        self._http.close()

    def _call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        params = {"user.name": self.user, **kwargs.pop("params", {})}
        response = self._http.request(method, f"/ws/v1/cluster{path}", params=params, **kwargs)
        raise_for(response)
        return response

    def cluster_info(self) -> dict[str, Any]:
        info: dict[str, Any] = self._call("GET", "/info").json()["clusterInfo"]
        return info

    def new_application(self) -> NewApplication:
        body = self._call("POST", "/apps/new-application").json()
        maximum = body["maximum-resource-capability"]
        return NewApplication(body["application-id"], maximum["memory"], maximum["vCores"])

    def submit_context(self, context: Mapping[str, Any]) -> str:
        """POST an application-submission-context as Hadoop documents it; the Location."""
        response = self._call("POST", "/apps", json=dict(context))
        return str(response.headers.get("location", ""))

    def submit(
        self,
        application_id: str,
        name: str,
        commands: Iterable[str],
        *,
        memory_mb: int = 1024,
        vcores: int = 1,
        environment: Mapping[str, str] | None = None,
        local_resources: Mapping[str, p.LocalResource] | None = None,
        queue: str = "default",
        application_type: str = "YARN",
        max_app_attempts: int = 0,
        priority: int = 0,
        tags: Iterable[str] = (),
    ) -> str:
        """Submit an application whose AM runs `commands` (one shell line each, joined with
        spaces as Hadoop does); returns the Location of its report."""
        resources = {
            key: {"resource": r.url, "type": r.type, "visibility": r.visibility}
            for key, r in (local_resources or {}).items()
        }
        context: dict[str, Any] = {
            "application-id": application_id,
            "application-name": name,
            "queue": queue,
            "priority": priority,
            "am-container-spec": {
                "commands": {"command": list(commands)},
                "environment": _entries(environment or {}),
                "local-resources": _entries(resources),
            },
            "resource": {"memory": memory_mb, "vCores": vcores},
            "application-type": application_type,
            "unmanaged-AM": False,
            "application-tags": {"tag": list(tags)},
        }
        if max_app_attempts:
            context["max-app-attempts"] = max_app_attempts
        return self.submit_context(context)

    def application(self, application_id: str) -> ApplicationReport:
        return ApplicationReport.of(self._call("GET", f"/apps/{application_id}").json()["app"])

    def applications(self, **filters: str | int) -> list[ApplicationReport]:
        """`GET /apps` with Hadoop's filters (states, queue, user, applicationTypes, limit…)."""
        body = self._call("GET", "/apps", params={k: str(v) for k, v in filters.items()}).json()
        apps = (body.get("apps") or {}).get("app") or []
        return [ApplicationReport.of(a) for a in apps]

    def state(self, application_id: str) -> str:
        return str(self._call("GET", f"/apps/{application_id}/state").json()["state"])

    def kill(self, application_id: str) -> str:
        body = self._call("PUT", f"/apps/{application_id}/state", json={"state": "KILLED"})
        return str(body.json()["state"])

    def wait(
        self, application_id: str, *, timeout: float = 600.0, poll: float = 0.5
    ) -> ApplicationReport:
        """Poll until the application is FINISHED, FAILED or KILLED (TimeoutError if not)."""
        deadline = time.monotonic() + timeout
        while True:
            report = self.application(application_id)
            if report.ended:
                return report
            if time.monotonic() > deadline:
                raise TimeoutError(f"{application_id} still {report.state} after {timeout} s")
            time.sleep(poll)
