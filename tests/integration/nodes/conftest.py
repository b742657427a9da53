"""Real agents started through LocalNodeProvider, and a recording stand-in for the region's
events endpoint (the region side is built elsewhere).

`EventReceiver` is a Starlette app on uvicorn (127.0.0.1, a free port, its own thread). It
records every agent event and answers 204, or 410 (401) for instances a test marked as gone
(refused). With
an `upstream`, every other request is forwarded there unchanged (Host included, so SigV4
signatures still verify): agents then use a real region's S3 through the receiver's URL.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import socket
import threading
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psutil
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from emr.nodes.client import AgentClient, AgentUnreachable
from emr.nodes.local import LocalNodeProvider
from emr.nodes.protocol import AGENT_EVENTS_PATH, AgentEvent, agent_event_adapter
from emr.nodes.provider import AgentExit, ClusterNodes, NodeHandle, NodeRequest

EVENT_TIMEOUT_S = 20.0


class EventReceiver:
    """Plays the region's events endpoint; optionally proxies everything else upstream."""

    def __init__(self, upstream: str | None = None) -> None:
        self.events: list[tuple[float, str, AgentEvent]] = []  # (arrival, token, event)
        self.gone: set[str] = set()
        self.refused: set[str] = set()
        self._lock = threading.Lock()
        self._upstream = upstream
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        self._sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._sock.getsockname()[1]}"
        routes = [Route(AGENT_EVENTS_PATH, self._event, methods=["POST"])]
        if upstream is not None:
            methods = ["GET", "PUT", "POST", "HEAD", "DELETE"]
            routes.append(Route("/{path:path}", self._forward, methods=methods))
        config = uvicorn.Config(
            Starlette(routes=routes), log_config=None, access_log=False, lifespan="off", ws="none"
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._sock]}, daemon=True
        )

    def start(self) -> None:
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            assert time.monotonic() < deadline, "the event receiver did not start"
            time.sleep(0.01)

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self._sock.close()

    async def _event(self, request: Request) -> Response:
        event = agent_event_adapter.validate_json(await request.body())
        token = request.headers.get("authorization", "").removeprefix("Bearer ")
        with self._lock:
            self.events.append((time.monotonic(), token, event))
        if event.instance_id in self.gone:
            return Response(status_code=410)
        if event.instance_id in self.refused:
            return Response(status_code=401)
        return Response(status_code=204)

    async def _forward(self, request: Request) -> Response:
        assert self._upstream is not None
        hop = {"content-length", "transfer-encoding", "connection"}
        headers = [(k, v) for k, v in request.headers.items() if k.lower() not in hop]
        async with httpx.AsyncClient(base_url=self._upstream, trust_env=False) as http:
            answer = await http.request(
                request.method,
                request.url.path,
                params=request.url.query,
                headers=headers,
                content=await request.body(),
            )
        drop = {"content-length", "transfer-encoding", "connection", "content-encoding"}
        return Response(
            answer.content,
            status_code=answer.status_code,
            headers={k: v for k, v in answer.headers.items() if k.lower() not in drop},
        )

    def of(self, cluster_id: str) -> list[AgentEvent]:
        with self._lock:
            return [event for _, _, event in self.events if event.cluster_id == cluster_id]

    async def wait_for(
        self,
        cluster_id: str,
        match: Callable[[AgentEvent], bool],
        count: int = 1,
        timeout: float = EVENT_TIMEOUT_S,
    ) -> list[AgentEvent]:
        """The first `count` events of the cluster that `match`, waiting for them."""
        deadline = time.monotonic() + timeout
        while True:
            found = [event for event in self.of(cluster_id) if match(event)]
            if len(found) >= count:
                return found[:count]
            if time.monotonic() > deadline:
                kinds = [event.kind for event in self.of(cluster_id)]
                raise AssertionError(f"timed out; events of {cluster_id}: {kinds}")
            await asyncio.sleep(0.01)

    def tokens(self, cluster_id: str) -> set[str]:
        """The bearer tokens the cluster's agents sent."""
        with self._lock:
            return {token for _, token, event in self.events if event.cluster_id == cluster_id}

    def arrival(self, event: AgentEvent) -> float:
        with self._lock:
            return next(t for t, _, e in self.events if e.event_id == event.event_id)


@pytest.fixture(scope="session")
def receiver() -> Iterator[EventReceiver]:
    recorder = EventReceiver()
    recorder.start()
    yield recorder
    recorder.stop()


def closed_port_url() -> str:
    """A URL nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@dataclass
class Cluster:
    """A started cluster of real agents and what the test saw of it."""

    provider: LocalNodeProvider
    cluster_id: str
    token: str
    nodes: list[NodeHandle]
    exits: list[AgentExit] = field(default_factory=list)
    started_at: float = 0.0

    @property
    def master(self) -> NodeHandle:
        return self.nodes[0]

    def client(self, node: NodeHandle | None = None) -> AgentClient:
        node = node or self.master
        return AgentClient(node.private_ip, node.agent_port, self.token)

    def node_dir(self, node: NodeHandle | None = None) -> Path:
        node = node or self.master
        return Path(self.provider.node_dir_of(self.cluster_id, node.instance_id))

    async def serving(self, timeout: float = EVENT_TIMEOUT_S) -> None:
        """Wait until every agent answers (for tests without an events receiver)."""
        deadline = time.monotonic() + timeout
        for node in self.nodes:
            async with self.client(node) as agent:
                while True:
                    try:
                        await agent.health()
                        break
                    except AgentUnreachable:
                        assert time.monotonic() < deadline, f"agent {node.instance_id} not serving"
                        await asyncio.sleep(0.02)

    async def wait_exit(self, instance_id: str, timeout: float = EVENT_TIMEOUT_S) -> AgentExit:
        deadline = time.monotonic() + timeout
        while True:
            for agent_exit in self.exits:
                if agent_exit.instance_id == instance_id:
                    return agent_exit
            assert time.monotonic() < deadline, f"agent {instance_id} did not exit"
            await asyncio.sleep(0.01)


def new_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:13].upper()}"


@asynccontextmanager
async def running_cluster(
    root: Path,
    region_url: str,
    roles: tuple[str, ...] = ("MASTER",),
    *,
    log_uri: str | None = None,
    access_key_id: str = "AKIDNODETEST",
    secret_access_key: str = "secret",
    orphan_timeout_seconds: float = 600.0,
    heartbeat_interval_seconds: float = 0.2,
) -> AsyncIterator[Cluster]:
    """Start one agent per role (the first is the master); stop them all afterwards."""
    provider = LocalNodeProvider(
        root,
        0.25,
        orphan_timeout_seconds=orphan_timeout_seconds,
        heartbeat_interval_seconds=heartbeat_interval_seconds,
    )
    cluster_id, token = new_id("j"), secrets.token_urlsafe(16)
    exits: list[AgentExit] = []

    async def on_exit(agent_exit: AgentExit) -> None:
        exits.append(agent_exit)

    provider.set_exit_listener(on_exit)
    network = await provider.allocate_network(cluster_id)
    spec = ClusterNodes(
        cluster_id=cluster_id,
        region_url=region_url,
        region_name="us-east-1",
        token=token,
        access_key_id=access_key_id,
        secret_access_key=secret_access_key,
        log_uri=log_uri,
        release_label="emr-7.2.0",
        applications=["Hadoop", "Spark"],
        configurations=[],
    )
    requests = [NodeRequest(new_id("i").lower(), role, "m5.xlarge") for role in roles]
    started_at = time.monotonic()
    handles = await provider.start_nodes(spec, network, requests)
    cluster = Cluster(provider, cluster_id, token, handles, exits, started_at)
    try:
        yield cluster
    finally:
        await provider.stop_nodes(cluster_id, [r.instance_id for r in requests])
        await provider.close()


def processes_with(marker: str) -> list[psutil.Process]:
    """Live processes with `marker` as an argument (a test's unique `sleep` duration)."""
    found = []
    for process in psutil.process_iter(["cmdline", "status"]):
        cmdline = process.info["cmdline"] or []
        if process.info["status"] != psutil.STATUS_ZOMBIE and marker in cmdline[1:]:
            found.append(process)
    return found


def unique_sleep() -> str:
    """A `sleep` duration no other process on the machine uses: a marker for processes_with."""
    return f"{1000 + int.from_bytes(os.urandom(2), 'big')}.{os.getpid() % 1000}"
