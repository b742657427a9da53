"""The agent's HTTP API (region → agent), as protocol.py describes it.

Every request needs `Authorization: Bearer <token>`; errors are JSON `{"error": "…"}`.
"""

from __future__ import annotations

import hmac
import os
from typing import Protocol, TypeVar

from pydantic import BaseModel, ValidationError
from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from emr.nodes.agent.bootstrap import BootstrapRunner
from emr.nodes.agent.daemons import DaemonFailed, start_daemons
from emr.nodes.agent.execs import exec_frames
from emr.nodes.agent.node import Node
from emr.nodes.agent.steps import StepRunner
from emr.nodes.protocol import (
    AgentHealth,
    BootstrapRequest,
    ExecRequest,
    InterruptRequest,
    StepRequest,
)

__all__ = ["AgentServices", "build_app"]

M = TypeVar("M", bound=BaseModel)


class AgentServices(Protocol):
    """What the API drives: the node, its runners, and a way to stop the agent."""

    node: Node
    steps: StepRunner
    bootstrap: BootstrapRunner

    def request_shutdown(self) -> None: ...


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


class BearerAuth:
    """Refuses (401) any request without the cluster's agent token."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        self._app = app
        self._expected = f"Bearer {token}".encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            given = dict(scope["headers"]).get(b"authorization", b"")
            if not hmac.compare_digest(given, self._expected):
                await _error(401, "missing or wrong agent token")(scope, receive, send)
                return
        await self._app(scope, receive, send)


async def _parse(request: Request, model: type[M], *, empty_ok: bool = False) -> M:
    body = await request.body()
    if not body and empty_ok:
        body = b"{}"
    try:
        return model.model_validate_json(body)
    except ValidationError as exc:
        raise HTTPException(400, f"invalid {model.__name__}: {exc}") from exc


def build_app(agent: AgentServices) -> ASGIApp:
    """The Starlette app behind the bearer-token check."""
    node, steps = agent.node, agent.steps

    async def bootstrap(request: Request) -> Response:
        body = await _parse(request, BootstrapRequest)
        agent.bootstrap.start(body.actions)
        return JSONResponse({}, status_code=202)

    async def daemons(request: Request) -> Response:
        try:
            await start_daemons(node)
        except DaemonFailed as exc:
            return _error(500, str(exc))
        return JSONResponse({})

    async def run_step(request: Request) -> Response:
        if node.config.role != "MASTER":
            return _error(409, "steps run on the master node")
        steps.submit(await _parse(request, StepRequest))
        return JSONResponse({}, status_code=202)

    async def interrupt_step(request: Request) -> Response:
        body = await _parse(request, InterruptRequest, empty_ok=True)
        step_id = request.path_params["step_id"]
        if not steps.interrupt(step_id, body.force):
            return _error(404, f"no step {step_id} on this node")
        return JSONResponse({}, status_code=202)

    async def step_log(request: Request) -> Response:
        step_id, name = request.path_params["step_id"], request.path_params["name"]
        if not steps.log_exists(step_id, name):
            return _error(404, f"no {name} log for step {step_id} on this node")
        follow = request.query_params.get("follow", "") not in ("", "0", "false")
        return StreamingResponse(
            steps.stream_log(step_id, name, follow), media_type="text/plain; charset=utf-8"
        )

    async def run_exec(request: Request) -> Response:
        body = await _parse(request, ExecRequest)
        return StreamingResponse(exec_frames(node, body), media_type="application/x-ndjson")

    async def shutdown(request: Request) -> Response:
        return JSONResponse({}, status_code=202, background=BackgroundTask(agent.request_shutdown))

    async def health(request: Request) -> Response:
        config = node.config
        return Response(
            AgentHealth(
                cluster_id=config.cluster_id,
                instance_id=config.instance_id,
                pid=os.getpid(),
                running_steps=agent.steps.running_count(),
            ).model_dump_json(),
            media_type="application/json",
        )

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        return _error(exc.status_code, exc.detail)

    app = Starlette(
        routes=[
            Route("/v1/bootstrap", bootstrap, methods=["POST"]),
            Route("/v1/daemons", daemons, methods=["POST"]),
            Route("/v1/steps", run_step, methods=["POST"]),
            Route("/v1/steps/{step_id}/interrupt", interrupt_step, methods=["POST"]),
            Route("/v1/steps/{step_id}/logs/{name}", step_log, methods=["GET"]),
            Route("/v1/exec", run_exec, methods=["POST"]),
            Route("/v1/shutdown", shutdown, methods=["POST"]),
            Route("/v1/health", health, methods=["GET"]),
        ],
        exception_handlers={HTTPException: http_error},
    )
    return BearerAuth(app, node.config.token)
