"""The ResourceManager's side of `emr.yarn.protocol`: `/_yarn/v1/nm/…` (NodeManagers, cluster
token), `/_yarn/v1/am/{attempt}/…` (ApplicationMasters, that attempt's AMRM token) and
`GET /_yarn/v1/status` (the node agent's readiness probe, cluster token)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from emr.yarn import protocol as p
from emr.yarn.ids import ApplicationAttemptId
from emr.yarn.resourcemanager.core import ResourceManager
from emr.yarn.resourcemanager.http import Endpoint, check_bearer, guarded, json_response

__all__ = ["internal_routes"]

M = TypeVar("M", bound=BaseModel)


def _nm_endpoint(rm: ResourceManager, model: type[M], call: Callable[[M], BaseModel]) -> Endpoint:
    async def endpoint(request: Request) -> Response:
        check_bearer(request, rm.settings.token)
        return json_response(call(model.model_validate_json(await request.body())))

    return guarded(endpoint)


def _am_endpoint(
    rm: ResourceManager,
    model: type[M],
    call: Callable[[ApplicationAttemptId, M], BaseModel | None],
) -> Endpoint:
    async def endpoint(request: Request) -> Response:
        text = request.path_params["attempt_id"]
        check_bearer(request, p.amrm_token(rm.settings.token, text))
        attempt_id = ApplicationAttemptId.parse(text)
        answer = call(attempt_id, model.model_validate_json(await request.body()))
        return json_response({} if answer is None else answer)

    return guarded(endpoint)


def internal_routes(rm: ResourceManager) -> list[Route]:
    async def status(request: Request) -> Response:
        check_bearer(request, rm.settings.token)
        body: dict[str, Any] = {
            "registered_nodemanagers": rm.running_nodes(),
            "expected_nodemanagers": rm.settings.expected_nodemanagers,
        }
        return json_response(body)

    am = f"{p.AM_PREFIX}/{{attempt_id}}"
    return [
        Route(
            f"{p.NM_PREFIX}/register",
            _nm_endpoint(rm, p.NodeRegistration, rm.register_node),
            methods=["POST"],
        ),
        Route(
            f"{p.NM_PREFIX}/heartbeat",
            _nm_endpoint(rm, p.NodeHeartbeat, rm.node_heartbeat),
            methods=["POST"],
        ),
        Route(
            f"{am}/register", _am_endpoint(rm, p.RegisterRequest, rm.ams.register), methods=["POST"]
        ),
        Route(
            f"{am}/allocate", _am_endpoint(rm, p.AllocateRequest, rm.ams.allocate), methods=["POST"]
        ),
        Route(f"{am}/finish", _am_endpoint(rm, p.FinishRequest, rm.ams.finish), methods=["POST"]),
        Route("/_yarn/v1/status", guarded(status), methods=["GET"]),
    ]
