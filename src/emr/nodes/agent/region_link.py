"""The agent's side of agent → region: an outbox of events, heartbeats, and the orphan rule.

Events go out one at a time, in order; each stays at the head of the outbox until the region
answers 2xx (a region restart loses none). While the outbox is empty the agent sends a
heartbeat every `heartbeat_interval_seconds`. The region's answer can end the node:

    410 Gone          the cluster or instance is over  → AgentStop.GONE
    401               bad token; retried for UNAUTHORIZED_GRACE_SECONDS (at most the orphan
                      timeout)                                      → AgentStop.UNAUTHORIZED
    no 2xx for orphan_timeout_seconds (region down)   → AgentStop.ORPHANED
    other 4xx         the event can never be taken: logged and dropped
    5xx, no answer    retried with backoff
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
import time
import uuid
from collections import deque
from datetime import UTC, datetime
from typing import Any, Final, TypeVar

from emr.nodes.agent.http1 import HttpError, RegionHttp
from emr.nodes.protocol import AGENT_EVENTS_PATH, AgentConfig, AgentEvent, Heartbeat

__all__ = ["UNAUTHORIZED_GRACE_SECONDS", "AgentStop", "RegionLink"]

log = logging.getLogger(__name__)

#: How long the agent keeps trying while the region refuses its token.
UNAUTHORIZED_GRACE_SECONDS: Final = 10.0
_MAX_BACKOFF: Final = 1.0

E = TypeVar("E", bound=AgentEvent)


class AgentStop(enum.Enum):
    """Why the agent stops."""

    REQUESTED = "requested"  # POST /v1/shutdown, SIGTERM/SIGINT
    GONE = "gone"  # the region answered 410
    UNAUTHORIZED = "unauthorized"  # the region kept answering 401
    FAILED = "failed"  # a part of the agent broke
    ORPHANED = "orphaned"

    @property
    def exit_code(self) -> int:
        """The agent's exit status: 0 when told to stop, 1 refused or broken, 3 orphaned."""
        return _EXIT_CODES[self]


_EXIT_CODES: Final = {
    AgentStop.REQUESTED: 0,
    AgentStop.GONE: 0,
    AgentStop.UNAUTHORIZED: 1,
    AgentStop.FAILED: 1,
    AgentStop.ORPHANED: 3,
}


class RegionLink:
    """Delivers the agent's events to the region and watches for being cut off from it."""

    def __init__(self, config: AgentConfig) -> None:
        self._config = config
        self._outbox: deque[AgentEvent] = deque()
        self._wakeup = asyncio.Event()
        self._http = RegionHttp(
            config.region_url, {"Authorization": f"Bearer {config.token}"}, timeout=5.0
        )
        self.last_contact = time.monotonic()

    def event(self, kind: type[E], **fields: Any) -> E:
        """A new event of this node: ids and time filled in."""
        return kind(
            cluster_id=self._config.cluster_id,
            instance_id=self._config.instance_id,
            event_id=uuid.uuid4().hex,
            at=datetime.now(UTC),
            **fields,
        )

    def send(self, event: AgentEvent) -> None:
        """Queue `event`; it is delivered after every event queued before it."""
        self._outbox.append(event)
        self._wakeup.set()

    async def run(self) -> AgentStop:
        """Deliver events and heartbeats until the region ends the node or is gone too long."""
        interval = self._config.heartbeat_interval_seconds
        backoff = 0.05
        unauthorized_since: float | None = None
        next_heartbeat = time.monotonic()
        while True:
            now = time.monotonic()
            if now - self.last_contact > self._config.orphan_timeout_seconds:
                if unauthorized_since is not None:
                    return AgentStop.UNAUTHORIZED  # reachable, but refusing this node
                log.error(
                    "no answer from the region at %s for %.0f s: stopping the node",
                    self._config.region_url,
                    now - self.last_contact,
                )
                return AgentStop.ORPHANED
            if self._outbox:
                event: AgentEvent = self._outbox[0]
            elif now >= next_heartbeat:
                event = self.event(Heartbeat)
            else:
                self._wakeup.clear()
                await _wait(self._wakeup, next_heartbeat - now)
                continue

            status = await self._post(event)
            now = time.monotonic()
            if status is not None and 200 <= status < 300:
                self.last_contact = now
                unauthorized_since = None
                backoff = 0.05
                next_heartbeat = now + interval
                if self._outbox and self._outbox[0] is event:
                    self._outbox.popleft()
                continue
            if status == 410:
                log.info("the region says the node is gone (410): stopping")
                return AgentStop.GONE
            if status == 401:
                unauthorized_since = unauthorized_since or now
                log.warning("the region refused the agent's token (401)")
                grace = min(UNAUTHORIZED_GRACE_SECONDS, self._config.orphan_timeout_seconds)
                if now - unauthorized_since >= grace:
                    return AgentStop.UNAUTHORIZED
            elif status is not None and 400 <= status < 500:
                self.last_contact = now
                log.error("the region rejected event %s (%d): dropped", event.event_id, status)
                if self._outbox and self._outbox[0] is event:
                    self._outbox.popleft()
                continue
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, _MAX_BACKOFF, max(interval, 0.05))

    async def _post(self, event: AgentEvent) -> int | None:
        try:
            return await self._http.post(AGENT_EVENTS_PATH, event.model_dump_json().encode())
        except (OSError, TimeoutError, HttpError, ValueError, asyncio.IncompleteReadError) as exc:
            log.debug("event %s not delivered: %r", event.event_id, exc)
            return None

    async def aclose(self) -> None:
        await self._http.aclose()


async def _wait(event: asyncio.Event, timeout: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(event.wait(), timeout)
