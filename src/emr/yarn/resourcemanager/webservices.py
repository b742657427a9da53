"""Hadoop's ResourceManager REST API on the RM's web port: `/ws/v1/cluster/…` (info, metrics,
scheduler, apps with submission and the state resource, appattempts, nodes). Bodies are
shaped in views.py; this module reads requests and calls the ResourceManager.

Authentication is Hadoop's simple one: the user is the `user.name` query parameter, else
`dr.who` (Hadoop's anonymous web user).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from emr.yarn.ids import ApplicationId, InvalidId, NodeId
from emr.yarn.resourcemanager.core import ResourceManager, now_ms
from emr.yarn.resourcemanager.errors import BadRequest, NotFound
from emr.yarn.resourcemanager.http import Endpoint, guarded, json_response, read_json
from emr.yarn.resourcemanager.records import AppRecord
from emr.yarn.resourcemanager.submission import parse_submission
from emr.yarn.resourcemanager.views import (
    AppFilter,
    ClusterView,
    app_json,
    app_statistics_json,
    attempts_json,
    cluster_info_json,
    cluster_metrics_json,
    node_json,
    node_states,
    resource_json,
    scheduler_json,
)
from emr.yarn.resources import Resource

__all__ = ["ANONYMOUS_USER", "PREFIX", "rest_routes"]

PREFIX = "/ws/v1/cluster"
#: hadoop.http.staticuser.user: the web user when none is given.
ANONYMOUS_USER = "dr.who"


def _user(request: Request) -> str:
    return request.query_params.get("user.name") or ANONYMOUS_USER


def _query(request: Request) -> dict[str, str]:
    """Parameters, a repeated one's values joined with commas (`states=A&states=B`)."""
    joined: dict[str, list[str]] = defaultdict(list)
    for key, value in request.query_params.multi_items():
        joined[key].append(value)
    return {key: ",".join(values) for key, values in joined.items()}


def _view(rm: ResourceManager) -> ClusterView:
    metrics = rm.scheduler.cluster_metrics()
    cluster = Resource(metrics.total_mb, metrics.total_virtual_cores)
    guarantees = {
        path: cluster.scaled(spec.absolute_capacity)
        for path, spec in rm.scheduler.settings.capacity.queues.items()
    }
    return ClusterView(rm.cluster_timestamp, now_ms(), cluster, guarantees)


def _app(rm: ResourceManager, text: str) -> AppRecord:
    try:
        application_id = ApplicationId.parse(text)
    except InvalidId as exc:
        raise BadRequest(str(exc)) from exc
    app = rm.apps.get(application_id)
    if app is None:
        raise NotFound(f"java.lang.Exception: app with id: {text} not found")
    return app


def _app_body(rm: ResourceManager, app: AppRecord, view: ClusterView) -> dict[str, Any]:
    return app_json(app, rm.scheduler.app_report(app.submission.application_id), view)


def rest_routes(rm: ResourceManager) -> list[Route]:
    """The `/ws/v1/cluster` routes."""

    async def info(request: Request) -> Response:
        return json_response(cluster_info_json(rm.cluster_timestamp, rm.started_ms))

    async def metrics(request: Request) -> Response:
        return json_response(cluster_metrics_json(rm.scheduler.cluster_metrics()))

    async def scheduler(request: Request) -> Response:
        containers: dict[str, int] = defaultdict(int)
        for report in rm.scheduler.app_reports():
            for path in _ancestors(report.queue):
                containers[path] += report.running_containers
        body = scheduler_json(
            rm.scheduler.queue_reports(), rm.scheduler.settings.capacity.queues, containers
        )
        return json_response(body)

    async def apps(request: Request) -> Response:
        chosen = AppFilter.from_query(_query(request)).select(
            app for _, app in sorted(rm.apps.items())
        )
        view = _view(rm)
        listed = [_app_body(rm, app, view) for app in chosen]
        return json_response({"apps": {"app": listed} if listed else None})

    async def submit(request: Request) -> Response:
        submission = parse_submission(await read_json(request))
        rm.submit(submission, _user(request))
        location = f"{str(request.base_url).rstrip('/')}{PREFIX}/apps/{submission.application_id}"
        return Response(status_code=202, headers={"Location": location})

    async def new_application(request: Request) -> Response:
        application_id = rm.new_application()
        maximum = rm.scheduler.maximum_allocation()
        return json_response(
            {
                "application-id": str(application_id),
                "maximum-resource-capability": resource_json(maximum),
            }
        )

    async def app(request: Request) -> Response:
        record = _app(rm, request.path_params["app_id"])
        return json_response({"app": _app_body(rm, record, _view(rm))})

    async def attempts(request: Request) -> Response:
        return json_response(attempts_json(_app(rm, request.path_params["app_id"])))

    async def attempt(request: Request) -> Response:
        record = _app(rm, request.path_params["app_id"])
        text = request.path_params["attempt_id"]
        for body in attempts_json(record)["appAttempts"]["appAttempt"]:
            if text in (body["appAttemptId"], str(body["id"])):
                return json_response({"appAttempt": body})
        raise NotFound(f"java.lang.Exception: appAttempt with id: {text} not found")

    async def queue(request: Request) -> Response:
        record = _app(rm, request.path_params["app_id"])
        return json_response({"queue": record.queue.rsplit(".", 1)[-1]})

    async def priority(request: Request) -> Response:
        record = _app(rm, request.path_params["app_id"])
        return json_response({"priority": record.submission.priority})

    async def statistics(request: Request) -> Response:
        query = _query(request)
        types = [t for t in query.get("applicationTypes", "").split(",") if t.strip()]
        if len(types) > 1:
            raise BadRequest(
                "# of applicationTypes = 2, we temporarily support at most one applicationType"
            )
        body = app_statistics_json(
            rm.apps.values(), query.get("states"), types[0] if types else None
        )
        return json_response(body)

    async def state(request: Request) -> Response:
        record = _app(rm, request.path_params["app_id"])
        if request.method == "PUT":
            body = await read_json(request)
            target = body.get("state") if isinstance(body, dict) else None
            if not isinstance(target, str) or target.upper() != "KILLED":
                raise BadRequest("Only 'KILLED' is allowed as a target state.")
            client = request.client.host if request.client else ""
            rm.kill(record.submission.application_id, _user(request), client)
        return json_response({"state": record.state.value})

    async def nodes(request: Request) -> Response:
        wanted = node_states(_query(request))
        listed = [
            node_json(report, rm.nodes.get(report.node_id))
            for report in rm.scheduler.node_reports()
            if report.state.value in wanted
        ]
        return json_response({"nodes": {"node": listed} if listed else None})

    async def node(request: Request) -> Response:
        text = request.path_params["node_id"]
        try:
            report = rm.scheduler.node_report(NodeId.parse(text))
        except InvalidId:
            report = None
        if report is None:
            raise NotFound(f"java.lang.Exception: nodeId, {text}, is not found")
        return json_response({"node": node_json(report, rm.nodes.get(report.node_id))})

    async def apps_dispatch(request: Request) -> Response:
        return await (submit(request) if request.method == "POST" else apps(request))

    table: list[tuple[str, Endpoint, list[str]]] = [
        ("", info, ["GET"]),
        ("/", info, ["GET"]),
        ("/info", info, ["GET"]),
        ("/metrics", metrics, ["GET"]),
        ("/scheduler", scheduler, ["GET"]),
        ("/apps", apps_dispatch, ["GET", "POST"]),
        ("/apps/new-application", new_application, ["POST"]),
        ("/apps/{app_id}", app, ["GET"]),
        ("/apps/{app_id}/appattempts", attempts, ["GET"]),
        ("/apps/{app_id}/appattempts/{attempt_id}", attempt, ["GET"]),
        ("/apps/{app_id}/queue", queue, ["GET"]),
        ("/apps/{app_id}/priority", priority, ["GET"]),
        ("/appstatistics", statistics, ["GET"]),
        ("/apps/{app_id}/state", state, ["GET", "PUT"]),
        ("/nodes", nodes, ["GET"]),
        ("/nodes/{node_id}", node, ["GET"]),
    ]
    return [Route(PREFIX + path, guarded(call), methods=methods) for path, call, methods in table]


def _ancestors(path: str) -> list[str]:
    parts = path.split(".")
    return [".".join(parts[: n + 1]) for n in range(len(parts))]
