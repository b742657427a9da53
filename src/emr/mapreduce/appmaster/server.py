"""The AM's one HTTP port (its tracking URL): the umbilical protocol for tasks (bearer job
token, `/umbilical/v1/…`, models in emr.mapreduce.job) and the client's read-only MR REST API
(`/ws/v1/mapreduce/jobs/{job}`, `…/counters`, `…/tasks[?type=m|r]`, `…/tasks/{task}`,
`…/tasks/{task}/attempts[/{attempt}]`: status lines, progress, diagnostics, nodes)."""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from emr.mapreduce.appmaster import events as ev
from emr.mapreduce.appmaster import reports
from emr.mapreduce.appmaster.driver import JobDriver
from emr.mapreduce.appmaster.machine import JobStateMachine
from emr.mapreduce.appmaster.tasks import Task
from emr.mapreduce.job import (
    UMBILICAL_PREFIX,
    CommitAnswer,
    FetchFailure,
    StatusAnswer,
    StatusReport,
    TaskDone,
    TaskFailed,
)

__all__ = ["create_app"]

M = TypeVar("M", bound=BaseModel)
Endpoint = Callable[[Request], Awaitable[Response]]


def _error(status: int, exception: str, message: str) -> JSONResponse:
    body = {
        "RemoteException": {
            "exception": exception,
            "message": message,
            "javaClassName": f"org.apache.hadoop.yarn.webapp.{exception}",
        }
    }
    return JSONResponse(body, status_code=status)


async def _body(request: Request, model: type[M]) -> M:
    return model.model_validate_json(await request.body())


def create_app(driver: JobDriver, token: str) -> Starlette:
    """The AM's ASGI app over `driver`; umbilical calls need `Authorization: Bearer <token>`."""
    job_id = driver.read(lambda m: m.spec.job_id)

    def umbilical(handler: Callable[[Request, str], Awaitable[Any]]) -> Endpoint:
        async def endpoint(request: Request) -> Response:
            given = request.headers.get("authorization", "")
            if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
                return _error(401, "UnauthorizedException", "Invalid job token")
            attempt = request.path_params["attempt"]
            if driver.read(lambda m: m.attempt(attempt)) is None:
                return _error(404, "NotFoundException", f"Unknown task attempt {attempt}")
            try:
                result = await handler(request, attempt)
            except (ValidationError, ValueError) as exc:
                return _error(400, "BadRequestException", str(exc))
            if isinstance(result, BaseModel):
                return Response(result.model_dump_json(), media_type="application/json")
            return JSONResponse(result)

        return endpoint

    def reply(actions: list[ev.Action], kind: type[Any]) -> Any:
        return next(a for a in actions if isinstance(a, kind))

    async def assignment(request: Request, attempt: str) -> Any:
        return driver.read(lambda m: m.assignment(attempt))

    async def status(request: Request, attempt: str) -> Any:
        body = await _body(request, StatusReport)
        actions = driver.dispatch(
            lambda i, t: ev.StatusUpdate(i, t, attempt, body.progress, body.state, body.counters)
        )
        return StatusAnswer(kill=reply(actions, ev.StatusReply).kill)

    async def events(request: Request, attempt: str) -> Any:
        start = int(request.query_params.get("from", "0"))
        return driver.read(lambda m: m.events(max(0, start)))

    async def fetch_failure(request: Request, attempt: str) -> Any:
        body = await _body(request, FetchFailure)
        driver.dispatch(
            lambda i, t: ev.FetchFailed(i, t, attempt, body.map_attempt_id, body.reason)
        )
        return {}

    async def can_commit(request: Request, attempt: str) -> Any:
        actions = driver.dispatch(lambda i, t: ev.CanCommit(i, t, attempt))
        return CommitAnswer(commit=reply(actions, ev.CommitReply).commit)

    async def done(request: Request, attempt: str) -> Any:
        body = await _body(request, TaskDone)
        driver.dispatch(
            lambda i, t: ev.TaskAttemptDone(i, t, attempt, body.counters, body.shuffle_address)
        )
        return {}

    async def failed(request: Request, attempt: str) -> Any:
        body = await _body(request, TaskFailed)
        driver.dispatch(
            lambda i, t: ev.TaskAttemptFailed(i, t, attempt, body.diagnostics, body.counters)
        )
        return {}

    def job_route(build: Callable[[], dict[str, Any]]) -> Endpoint:
        async def endpoint(request: Request) -> Response:
            asked = request.path_params["job"]
            if asked != job_id:
                return _error(404, "NotFoundException", f"job, {asked}, is not found")
            return JSONResponse(build())

        return endpoint

    def find_task(request: Request) -> Response | Task:
        asked_job, asked = request.path_params["job"], request.path_params["task"]
        if asked_job != job_id:
            return _error(404, "NotFoundException", f"job, {asked_job}, is not found")
        found = driver.read(
            lambda m: next((t for t in m.maps + m.reduces if str(t.task_id) == asked), None)
        )
        if found is None:
            return _error(404, "NotFoundException", f"task not found with id {asked}")
        return found

    async def tasks_list(request: Request) -> Response:
        asked_job = request.path_params["job"]
        if asked_job != job_id:
            return _error(404, "NotFoundException", f"job, {asked_job}, is not found")
        kind = request.query_params.get("type")
        if kind not in (None, "m", "r"):
            return _error(400, "BadRequestException", "tasktype must be either m or r")
        now = driver.now()

        def build(m: JobStateMachine) -> dict[str, Any]:
            chosen = {None: m.maps + m.reduces, "m": m.maps, "r": m.reduces}[kind]
            return {"tasks": {"task": [reports.task_report(t, now) for t in chosen]}}

        return JSONResponse(driver.read(build))

    async def task_one(request: Request) -> Response:
        found = find_task(request)
        if isinstance(found, Response):
            return found
        now = driver.now()
        return JSONResponse({"task": driver.read(lambda m: reports.task_report(found, now))})

    async def attempts(request: Request) -> Response:
        found = find_task(request)
        if isinstance(found, Response):
            return found
        now = driver.now()
        listed = driver.read(lambda m: [reports.attempt_report(a, now) for a in found.attempts])
        return JSONResponse({"taskAttempts": {"taskAttempt": listed}})

    async def attempt_one(request: Request) -> Response:
        found = find_task(request)
        if isinstance(found, Response):
            return found
        asked = request.path_params["attempt"]
        now = driver.now()
        report = driver.read(
            lambda m: next(
                (reports.attempt_report(a, now) for a in found.attempts if a.name == asked), None
            )
        )
        if report is None:
            return _error(404, "NotFoundException", f"task attempt not found with id {asked}")
        return JSONResponse({"taskAttempt": report})

    tasks = f"{UMBILICAL_PREFIX}/tasks/{{attempt}}"
    routes = [
        Route(tasks, umbilical(assignment), methods=["GET"]),
        Route(f"{tasks}/status", umbilical(status), methods=["POST"]),
        Route(f"{tasks}/events", umbilical(events), methods=["GET"]),
        Route(f"{tasks}/fetch-failure", umbilical(fetch_failure), methods=["POST"]),
        Route(f"{tasks}/can-commit", umbilical(can_commit), methods=["POST"]),
        Route(f"{tasks}/done", umbilical(done), methods=["POST"]),
        Route(f"{tasks}/failed", umbilical(failed), methods=["POST"]),
        Route(
            "/ws/v1/mapreduce/jobs/{job}",
            job_route(lambda: driver.read(lambda m: reports.job_report(m, driver.now()))),
            methods=["GET"],
        ),
        Route(
            "/ws/v1/mapreduce/jobs/{job}/counters",
            job_route(lambda: driver.read(reports.job_counters)),
            methods=["GET"],
        ),
        Route("/ws/v1/mapreduce/jobs/{job}/tasks", tasks_list, methods=["GET"]),
        Route("/ws/v1/mapreduce/jobs/{job}/tasks/{task}", task_one, methods=["GET"]),
        Route("/ws/v1/mapreduce/jobs/{job}/tasks/{task}/attempts", attempts, methods=["GET"]),
        Route(
            "/ws/v1/mapreduce/jobs/{job}/tasks/{task}/attempts/{attempt}",
            attempt_one,
            methods=["GET"],
        ),
    ]
    return Starlette(routes=routes)
