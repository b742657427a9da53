"""The ResourceManager daemon's HTTP app: Hadoop's REST API and the internal protocol on one
port, one event loop; its lifespan runs the liveness timer and owns the HTTP client that
launches AM containers on NodeManagers."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Coroutine
from typing import Any

import httpx
from starlette.applications import Starlette

from emr.yarn import protocol as p
from emr.yarn.resourcemanager.core import AmLaunch, AppFinishedNotice, ResourceManager
from emr.yarn.resourcemanager.internal import internal_routes
from emr.yarn.resourcemanager.metrics import MetricsPublisher
from emr.yarn.resourcemanager.webservices import rest_routes
from emr.yarn.resourcemanager.webui import webui_routes

__all__ = ["create_app"]

log = logging.getLogger("emr.yarn.resourcemanager")

#: How long the RM waits for a NodeManager to accept an AM container.
LAUNCH_TIMEOUT_S = 30.0


async def _launch(rm: ResourceManager, client: httpx.AsyncClient, launch: AmLaunch) -> None:
    url = f"http://{launch.node_http_address}{p.CONTAINERS_PREFIX}/start"
    try:
        response = await client.post(
            url,
            content=launch.request.model_dump_json(),
            headers={
                "Authorization": f"Bearer {rm.settings.token}",
                "Content-Type": "application/json",
            },
        )
    except httpx.HTTPError as exc:
        log.warning("launching %s on %s failed: %s", launch.attempt_id, url, exc)
        rm.am_launch_failed(launch.attempt_id, f"{type(exc).__name__}: {exc}")
        return
    if response.is_success:
        log.info("launched %s on %s", launch.attempt_id, launch.node_http_address)
        rm.am_launched(launch.attempt_id)
    else:
        log.warning("launching %s on %s: HTTP %d", launch.attempt_id, url, response.status_code)
        rm.am_launch_failed(
            launch.attempt_id, f"HTTP {response.status_code} from {url}: {response.text[:2000]}"
        )


async def _notify(
    rm: ResourceManager, client: httpx.AsyncClient, notice: AppFinishedNotice
) -> None:
    """Best effort: a NodeManager that misses it still kills the containers it is told to."""
    url = f"http://{notice.node_http_address}{p.CONTAINERS_PREFIX}/app-finished"
    try:
        response = await client.post(
            url,
            json={"application_id": str(notice.application_id)},
            headers={"Authorization": f"Bearer {rm.settings.token}"},
        )
    except httpx.HTTPError as exc:
        log.warning("telling %s that %s ended failed: %s", url, notice.application_id, exc)
        return
    if not response.is_success:
        log.warning("%s answered %d for %s", url, response.status_code, notice.application_id)


def create_app(rm: ResourceManager) -> Starlette:
    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        tasks: set[asyncio.Task[None]] = set()
        async with httpx.AsyncClient(timeout=LAUNCH_TIMEOUT_S) as client:

            def spawn(work: Coroutine[Any, Any, None]) -> None:
                task = asyncio.create_task(work)
                tasks.add(task)
                task.add_done_callback(tasks.discard)

            def launch_am(launch: AmLaunch) -> None:
                spawn(_launch(rm, client, launch))

            def notify(notice: AppFinishedNotice) -> None:
                spawn(_notify(rm, client, notice))

            for pending in rm.launches:
                launch_am(pending)
            for notice in rm.notices:
                notify(notice)
            rm.launches.clear()
            rm.notices.clear()
            rm.launch_am, rm.notify_app_finished = launch_am, notify

            async def timer() -> None:
                while True:
                    await asyncio.sleep(rm.settings.tick_seconds)
                    try:
                        rm.tick()
                    except Exception:
                        log.exception("timer tick failed")

            timers = [asyncio.create_task(timer())]
            publisher = None
            if rm.settings.metrics is not None:
                publisher = MetricsPublisher(
                    rm.settings.metrics,
                    lambda: (rm.scheduler.cluster_metrics(), rm.scheduler.node_reports()),
                )
                timers.append(asyncio.create_task(publisher.run()))
            try:
                yield
            finally:
                for task in (*timers, *tasks):
                    task.cancel()
                for task in (*timers, *tasks):
                    with contextlib.suppress(asyncio.CancelledError):
                        await task
                if publisher is not None:
                    publisher.close()

    return Starlette(
        routes=[*rest_routes(rm), *internal_routes(rm), *webui_routes(rm)], lifespan=lifespan
    )
