"""The NodeManager's side of `/_yarn/v1/nm/…`: register (retried until the ResourceManager
answers), then a heartbeat every `heartbeat_seconds` carrying every container the RM has not
yet seen COMPLETE; the answer's `kill` list is carried out (exit status -106) and `resync`
registers again, listing the containers still running.

A COMPLETE status is sent until a heartbeat carrying it succeeded; only then is it dropped from
the heartbeats (the record itself stays for the REST API and log aggregation).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import TypeVar

import httpx
from pydantic import BaseModel

from emr.yarn import protocol as p
from emr.yarn.nodemanager.container import KillReason
from emr.yarn.nodemanager.containers import ContainerManager

__all__ = ["ResourceManagerLink"]

log = logging.getLogger(__name__)

M = TypeVar("M", bound=BaseModel)

#: How long to wait between registration attempts while the RM does not answer.
RETRY_SECONDS = 0.5


class ResourceManagerRefused(Exception):
    def __init__(self, status: int, body: bytes) -> None:
        super().__init__(f"resourcemanager answered {status}: {body[:200]!r}")
        self.status = status


class ResourceManagerLink:
    """One NodeManager's connection to its ResourceManager."""

    def __init__(self, manager: ContainerManager) -> None:
        self.manager = manager
        settings = manager.settings
        self.client = httpx.AsyncClient(
            base_url=settings.resourcemanager_url,
            headers={"Authorization": f"Bearer {settings.config.token}"},
            timeout=httpx.Timeout(30.0, connect=5.0),
        )
        self.registered = False
        #: The RM's cluster timestamp from the last registration.
        self.cluster_timestamp: int | None = None
        #: ms since the epoch of the last successful heartbeat (node info's lastNodeUpdateTime).
        self.last_update_ms = 0

    async def aclose(self) -> None:
        await self.client.aclose()

    async def call(self, name: str, body: BaseModel, answer: type[M]) -> M:
        response = await self.client.post(f"{p.NM_PREFIX}/{name}", content=body.model_dump_json())
        if response.status_code != 200:
            raise ResourceManagerRefused(response.status_code, response.content)
        return answer.model_validate_json(response.content)

    async def register(self) -> None:
        settings = self.manager.settings
        running = [r.status() for r in self.manager.containers.values() if not r.done]
        answer = await self.call(
            "register",
            p.NodeRegistration(
                node_id=settings.node_id,
                http_address=f"{settings.host}:{self.manager.http_port}",
                resource=p.ResourceModel(memory_mb=settings.memory_mb, vcores=settings.vcores),
                label=settings.label,
                containers=running,
            ),
            p.RegistrationAnswer,
        )
        self.cluster_timestamp = answer.cluster_timestamp
        self.registered = True
        log.info(
            "registered with %s as %s (%d MB, %d vcores, label %r)",
            settings.resourcemanager_url,
            settings.node_id,
            settings.memory_mb,
            settings.vcores,
            settings.label,
        )

    async def heartbeat(self) -> None:
        manager = self.manager
        records = [r for r in manager.containers.values() if not r.acknowledged]
        statuses = [r.status() for r in records]
        answer = await self.call(
            "heartbeat",
            p.NodeHeartbeat(
                node_id=manager.settings.node_id,
                containers=statuses,
                used_memory_mb=manager.used_memory_mb,
            ),
            p.HeartbeatAnswer,
        )
        self.last_update_ms = int(time.time() * 1000)
        for record, status in zip(records, statuses, strict=True):
            if status.state == "COMPLETE":
                record.acknowledged = True
        manager.forget_stopped(time.time())
        for container_id in answer.kill:
            manager.stop(container_id, KillReason.RESOURCEMANAGER)
        if answer.resync:
            log.info("resourcemanager asks to resync: registering again")
            self.registered = False

    async def run(self) -> None:
        """Register (retrying), then heartbeat until cancelled."""
        interval = self.manager.settings.heartbeat_seconds
        while True:
            try:
                if not self.registered:
                    await self.register()
                await self.heartbeat()
            except (httpx.HTTPError, ResourceManagerRefused) as exc:
                log.warning("resourcemanager: %s", exc)
                if not self.registered:
                    await asyncio.sleep(RETRY_SECONDS)
                    continue
            except Exception:
                log.exception("heartbeat failed")
            await self._until_next_beat(interval)

    async def _until_next_beat(self, interval: float) -> None:
        """The heartbeat interval, cut short when a container completed (out of band)."""
        changed = self.manager.changed
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(interval):
                await changed.wait()
        changed.clear()
