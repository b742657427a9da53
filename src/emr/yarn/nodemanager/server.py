"""The NodeManager daemon's HTTP app on port 8042.

    /_yarn/v1/containers/start | stop | {id}/status | app-finished   (protocol.py; bearer tokens)
    /ws/v1/node[/info] · /apps[/{id}] · /containers[/{id}] · /containerlogs/{id}/{file}
                                                   (Hadoop's NM REST API; no authentication,
                                                    as Hadoop's simple auth)

Tokens on `/_yarn/v1/containers`: the cluster token (the ResourceManager), or the container
token of every container named, recomputed with `emr.yarn.protocol.container_token` from this
node's id and the container's grant. No `Authorization` header → 401 SecurityException; a
token that fits neither → 403 InvalidToken. `app-finished` takes the cluster token only.

The shuffle service (shuffle.py) is a second server on its own port, run by this app's
lifespan; a container started with `service_data["mapreduce_shuffle"]` registers its
application's job token there, and app-finished removes it.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
import re
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator
from typing import Any, TypeVar

import uvicorn
from pydantic import BaseModel, ValidationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Route

from emr.yarn.ids import ApplicationId, ContainerId, InvalidId
from emr.yarn.nodemanager import webservices as ws
from emr.yarn.nodemanager.aggregation import LogAggregator
from emr.yarn.nodemanager.container import ContainerRecord, KillReason
from emr.yarn.nodemanager.containers import ContainerManager, DuplicateContainer
from emr.yarn.nodemanager.rm_link import ResourceManagerLink
from emr.yarn.nodemanager.settings import NodeManagerSettings
from emr.yarn.nodemanager.shuffle import SERVICE_NAME, ShuffleService, create_shuffle_app
from emr.yarn.protocol import (
    CONTAINERS_PREFIX,
    ResourceModel,
    StartRequest,
    StopRequest,
    container_token,
)

__all__ = ["AppFinished", "NodeManager", "create_app"]

log = logging.getLogger(__name__)

M = TypeVar("M", bound=BaseModel)

#: A user name that is safe as a path component (usercache/<user>/…).
_USER = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._@-]{0,63}")


class AppFinished(BaseModel):
    """`POST /_yarn/v1/containers/app-finished`: the RM says an application is over."""

    application_id: str


class HttpError(Exception):
    """An error answer: status and Hadoop's RemoteException fields."""

    def __init__(self, status: int, exception: str, java_class_name: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.exception = exception
        self.java_class_name = java_class_name
        self.message = message


def _bad_request(message: str) -> HttpError:
    return HttpError(
        400, "BadRequestException", "org.apache.hadoop.yarn.webapp.BadRequestException", message
    )


def _not_found(message: str) -> HttpError:
    return HttpError(
        404, "NotFoundException", "org.apache.hadoop.yarn.webapp.NotFoundException", message
    )


def _json(body: Any, status: int = 200) -> Response:
    return Response(json.dumps(body), status, media_type="application/json")


class NodeManager:
    """The containers, the link to the RM, log aggregation: one node's NodeManager."""

    def __init__(
        self,
        settings: NodeManagerSettings,
        http_port: int,
        shuffle_socket: socket.socket | None = None,
    ) -> None:
        self.settings = settings
        self.http_port = http_port
        self.shuffle = ShuffleService(settings.local_dirs)
        self.shuffle_socket = shuffle_socket
        shuffle_port = shuffle_socket.getsockname()[1] if shuffle_socket is not None else 0
        self.shuffle_address = f"{settings.host}:{shuffle_port}" if shuffle_port else ""
        self.containers = ContainerManager(settings, http_port, self.shuffle_address)
        self.rm = ResourceManagerLink(self.containers)
        self.aggregator = LogAggregator(settings.config)
        self.started_ms = int(time.time() * 1000)
        self._background: set[asyncio.Task[Any]] = set()

    @property
    def http_address(self) -> str:
        return f"{self.settings.host}:{self.http_port}"

    def facts(self) -> ws.NodeFacts:
        s = self.settings
        return ws.NodeFacts(
            node_id=s.node_id,
            host=s.host,
            http_address=self.http_address,
            memory_mb=s.memory_mb,
            vcores=s.vcores,
            vmem_pmem_ratio=s.vmem_pmem_ratio,
            pmem_check=s.pmem_check,
            started_ms=self.started_ms,
            last_update_ms=self.rm.last_update_ms,
        )

    # --- tokens -----------------------------------------------------------------------------

    def _token(self, request: Request) -> str:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise HttpError(
                401,
                "SecurityException",
                "java.lang.SecurityException",
                "Invalid or missing token",
            )
        return token

    def _is_cluster(self, token: str) -> bool:
        return hmac.compare_digest(token.encode(), self.settings.config.token.encode())

    def _check_container_token(
        self, token: str, container_id: str, resource: ResourceModel
    ) -> None:
        expected = container_token(
            self.settings.config.token,
            container_id,
            self.settings.node_id,
            resource.memory_mb,
            resource.vcores,
        )
        if not hmac.compare_digest(token.encode(), expected.encode()):
            raise self._invalid_token(f"container {container_id}")

    def _invalid_token(self, what: str) -> HttpError:
        return HttpError(
            403,
            "InvalidToken",
            "org.apache.hadoop.security.token.SecretManager$InvalidToken",
            f"Invalid token used for {what} on {self.settings.node_id}",
        )

    def _authorize_known(self, token: str, container_ids: Iterable[str]) -> None:
        if self._is_cluster(token):
            return
        for container_id in container_ids:
            record = self.containers.containers.get(container_id)
            if record is not None:
                self._check_container_token(token, container_id, record.resource)

    # --- /_yarn/v1/containers ---------------------------------------------------------------

    async def start(self, request: Request) -> Response:
        token = self._token(request)
        by_rm = self._is_cluster(token)
        try:
            body = _parse(StartRequest, await request.body())
        except HttpError:
            if not by_rm:  # no container to check a token against: not authenticated
                raise self._invalid_token("a malformed start request") from None
            raise
        container = body.container
        _container_id(container.container_id)
        _application_id(body.application_id)
        owner = ContainerId.parse(container.container_id).application_id
        if str(owner) != body.application_id:
            # A container runs (and registers its shuffle token) only for its own application.
            raise _bad_request(
                f"Container {container.container_id} belongs to {owner}, not {body.application_id}"
            )
        if not _USER.fullmatch(body.user):
            raise HttpError(
                400,
                "IllegalArgumentException",
                "java.lang.IllegalArgumentException",
                f"Invalid user name: {body.user!r}",
            )
        if container.node_id != self.settings.node_id:
            raise _bad_request(
                f"Container {container.container_id} is for node {container.node_id}, "
                f"this is {self.settings.node_id}"
            )
        if not by_rm:
            self._check_container_token(token, container.container_id, container.resource)
        try:
            self.containers.start(body, launched_by_rm=by_rm)
        except DuplicateContainer as exc:
            raise HttpError(
                409, "YarnException", "org.apache.hadoop.yarn.exceptions.YarnException", str(exc)
            ) from exc
        job_token = body.launch_context.service_data.get(SERVICE_NAME)
        if job_token:
            self.shuffle.add_application(body.application_id, body.user, job_token)
        return _json({})

    async def stop(self, request: Request) -> Response:
        token = self._token(request)
        body = _parse(StopRequest, await request.body())
        for container_id in body.container_ids:
            _container_id(container_id)
        self._authorize_known(token, body.container_ids)
        reason = KillReason.RESOURCEMANAGER if self._is_cluster(token) else KillReason.APPMASTER
        for container_id in body.container_ids:
            self.containers.stop(container_id, reason)
        return _json({})

    async def status(self, request: Request) -> Response:
        token = self._token(request)
        container_id = _container_id(request.path_params["container_id"])
        self._authorize_known(token, [container_id])
        record = self.containers.containers.get(container_id)
        if record is None:
            if not self._is_cluster(token):
                raise self._invalid_token(f"unknown container {container_id}")
            raise _not_found(f"Container {container_id} is not handled by this NodeManager")
        return Response(record.status().model_dump_json(), media_type="application/json")

    async def app_finished(self, request: Request) -> Response:
        token = self._token(request)
        if not self._is_cluster(token):
            raise self._invalid_token("app-finished (it takes the cluster token)")
        body = _parse(AppFinished, await request.body())
        _application_id(body.application_id)
        task = asyncio.create_task(self._finish_application(body.application_id))
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        return _json({})

    async def _finish_application(self, application_id: str) -> None:
        self.shuffle.remove_application(application_id)
        try:
            records = await self.containers.finish_application(application_id)
            if records:
                await self.aggregator.aggregate(application_id, records)
        except Exception:
            log.exception("%s: finishing the application failed", application_id)
        app = self.containers.apps.get(application_id)
        if app is not None:
            app.state = "FINISHED"

    # --- /ws/v1/node ------------------------------------------------------------------------

    async def node_info(self, request: Request) -> Response:
        return _json(ws.node_info(self.facts()))

    async def apps(self, request: Request) -> Response:
        state, user = request.query_params.get("state"), request.query_params.get("user")
        apps = [
            a
            for a in self.containers.apps.values()
            if (not state or a.state == state) and (not user or a.user == user)
        ]
        return _json(ws.apps_info(apps))

    async def app(self, request: Request) -> Response:
        app_id = request.path_params["app_id"]
        try:
            ApplicationId.parse(app_id)
        except InvalidId as exc:
            raise _bad_request(f"Invalid ApplicationId prefix: {app_id}") from exc
        app = self.containers.apps.get(app_id)
        if app is None:
            raise _not_found(f"app with id {app_id} not found")
        return _json({"app": ws.app_info(app)})

    async def containers_list(self, request: Request) -> Response:
        records = list(self.containers.containers.values())
        return _json(ws.containers_info(records, self.facts()))

    async def container(self, request: Request) -> Response:
        record = self._record(request.path_params["container_id"])
        return _json({"container": ws.container_info(record, self.facts())})

    async def container_log(self, request: Request) -> Response:
        record = self._record(request.path_params["container_id"])
        name = request.path_params["filename"]
        path = record.log_dir / name
        if "/" in name or name in (".", "..") or not path.is_file():
            raise _not_found(f"Cannot find this log on the local disk: {name}")
        return FileResponse(path, media_type="text/plain")

    def _record(self, container_id: str) -> ContainerRecord:
        try:
            ContainerId.parse(container_id)
        except InvalidId as exc:
            raise _bad_request(f"invalid container id, {container_id}") from exc
        record = self.containers.containers.get(container_id)
        if record is None:
            raise _not_found(f"container with id, {container_id}, not found")
        return record

    async def aclose(self) -> None:
        for task in list(self._background):
            task.cancel()
        await asyncio.gather(*self._background, return_exceptions=True)
        await self.containers.shutdown()
        await self.rm.aclose()


def _parse(model: type[M], raw: bytes) -> M:
    try:
        return model.model_validate_json(raw)
    except ValidationError as exc:
        raise HttpError(
            400,
            "IllegalArgumentException",
            "java.lang.IllegalArgumentException",
            str(exc).splitlines()[0]
            + ": "
            + "; ".join(f"{'.'.join(str(x) for x in e['loc'])}: {e['msg']}" for e in exc.errors()),
        ) from exc


def _container_id(text: str) -> str:
    try:
        ContainerId.parse(text)
    except InvalidId as exc:
        raise HttpError(
            400, "IllegalArgumentException", "java.lang.IllegalArgumentException", str(exc)
        ) from exc
    return text


def _application_id(text: str) -> str:
    try:
        ApplicationId.parse(text)
    except InvalidId as exc:
        raise HttpError(
            400, "IllegalArgumentException", "java.lang.IllegalArgumentException", str(exc)
        ) from exc
    return text


Handler = Callable[[Request], Awaitable[Response]]


def _errors(handler: Handler) -> Handler:
    async def wrapped(request: Request) -> Response:
        try:
            return await handler(request)
        except HttpError as exc:
            body = ws.remote_exception(exc.exception, exc.java_class_name, exc.message)
            return _json(body, exc.status)
        except Exception as exc:
            log.exception("%s %s failed", request.method, request.url.path)
            body = ws.remote_exception(
                "RuntimeException", "java.lang.RuntimeException", f"{type(exc).__name__}: {exc}"
            )
            return _json(body, 500)

    return wrapped


class _EmbeddedServer(uvicorn.Server):
    """A uvicorn server inside another's event loop: the outer server owns the signals."""

    def __init__(self, app: Starlette) -> None:
        super().__init__(
            uvicorn.Config(
                app,
                log_config=None,
                access_log=False,
                lifespan="off",
                timeout_graceful_shutdown=5,
                server_header=False,
                date_header=False,
            )
        )

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def create_app(nodemanager: NodeManager) -> Starlette:
    """The NodeManager's HTTP app; its lifespan runs the watchdog, the RM link and the
    memory monitor, and kills every container at shutdown."""

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        nodemanager.containers.start_watchdog()
        tasks = [
            asyncio.create_task(nodemanager.rm.run(), name="rm link"),
            asyncio.create_task(nodemanager.containers.monitor(), name="memory monitor"),
        ]
        shuffle: _EmbeddedServer | None = None
        if nodemanager.shuffle_socket is not None:
            shuffle = _EmbeddedServer(create_shuffle_app(nodemanager.shuffle))
            tasks.append(
                asyncio.create_task(
                    shuffle.serve(sockets=[nodemanager.shuffle_socket]), name="shuffle service"
                )
            )
        try:
            yield
        finally:
            if shuffle is not None:
                shuffle.should_exit = True
            for task in tasks[:2]:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await nodemanager.aclose()

    nm = nodemanager
    c = CONTAINERS_PREFIX
    routes = [
        Route(f"{c}/start", _errors(nm.start), methods=["POST"]),
        Route(f"{c}/stop", _errors(nm.stop), methods=["POST"]),
        Route(f"{c}/app-finished", _errors(nm.app_finished), methods=["POST"]),
        Route(f"{c}/{{container_id}}/status", _errors(nm.status), methods=["GET"]),
        Route("/ws/v1/node", _errors(nm.node_info), methods=["GET"]),
        Route("/ws/v1/node/info", _errors(nm.node_info), methods=["GET"]),
        Route("/ws/v1/node/apps", _errors(nm.apps), methods=["GET"]),
        Route("/ws/v1/node/apps/{app_id}", _errors(nm.app), methods=["GET"]),
        Route("/ws/v1/node/containers", _errors(nm.containers_list), methods=["GET"]),
        Route("/ws/v1/node/containers/{container_id}", _errors(nm.container), methods=["GET"]),
        Route(
            "/ws/v1/node/containerlogs/{container_id}/{filename}",
            _errors(nm.container_log),
            methods=["GET"],
        ),
    ]
    return Starlette(routes=routes, lifespan=lifespan)
