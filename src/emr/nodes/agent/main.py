"""The agent process: bind, serve, register, and stop the node when told to (or orphaned)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import uvicorn

from emr.net import listen_tcp
from emr.nodes.agent.api import build_app
from emr.nodes.agent.bootstrap import BootstrapRunner
from emr.nodes.agent.node import Node
from emr.nodes.agent.region_link import AgentStop
from emr.nodes.agent.steps import StepRunner
from emr.nodes.layout import NodeLayout
from emr.nodes.processes import kill_node_processes
from emr.nodes.protocol import AgentConfig, AgentRegistered

__all__ = ["Agent", "run"]

log = logging.getLogger("emr.agent")

_SHUTDOWN_GRACE_SECONDS = 2.0
#: Less than the node provider's wait for a stopping agent (local.py), so the upload finishes.
_LOG_UPLOAD_SECONDS = 1.5


class _Server(uvicorn.Server):
    """uvicorn without its signal handling: the agent decides what SIGTERM means."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def listen(host: str, port: int) -> socket.socket:
    """The agent's listening socket, non-blocking for asyncio."""
    sock = listen_tcp(host, port, backlog=128)
    sock.setblocking(False)
    return sock


class Agent:
    """One node's agent: the API server, the region link and the runners."""

    def __init__(self, config: AgentConfig, layout: NodeLayout, sock: socket.socket) -> None:
        self.node = Node.create(config, layout)
        self.steps = StepRunner(self.node)
        self.bootstrap = BootstrapRunner(self.node)
        self._sock = sock
        self._stop: asyncio.Future[AgentStop] | None = None

    def request_shutdown(self) -> None:
        self._request_stop(AgentStop.REQUESTED)

    def _request_stop(self, reason: AgentStop) -> None:
        if self._stop is not None and not self._stop.done():
            self._stop.set_result(reason)

    async def run(self) -> int:
        """Serve until stopped; every process of the node is dead when this returns."""
        loop = asyncio.get_running_loop()
        self._stop = loop.create_future()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, self._request_stop, AgentStop.REQUESTED)
        config, region = self.node.config, self.node.region

        server = _Server(
            uvicorn.Config(
                build_app(self),
                log_config=None,
                access_log=False,
                lifespan="off",
                ws="none",
                timeout_graceful_shutdown=1,
            )
        )
        serving = asyncio.create_task(server.serve(sockets=[self._sock]), name="api")
        region.send(region.event(AgentRegistered, private_ip=config.private_ip, pid=os.getpid()))
        linking = asyncio.create_task(region.run(), name="region link")

        waiting: set[asyncio.Future[Any]] = {serving, linking, self._stop}
        await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
        if self._stop.done():
            reason = self._stop.result()
        elif linking.done() and not linking.cancelled() and linking.exception() is None:
            reason = linking.result()
        else:
            failed = serving if serving.done() else linking
            error = None if failed.cancelled() else failed.exception()
            log.error("agent task %r ended unexpectedly", failed.get_name(), exc_info=error)
            reason = AgentStop.FAILED
        log.info("stopping the node (%s)", reason.value)
        await self._stop_node()
        if reason is AgentStop.REQUESTED:
            await self._upload_node_log()

        server.should_exit = True
        linking.cancel()
        await self.steps.aclose()
        with contextlib.suppress(asyncio.TimeoutError, asyncio.CancelledError):
            await asyncio.wait_for(serving, _SHUTDOWN_GRACE_SECONDS)
        await region.aclose()
        return reason.exit_code

    async def _upload_node_log(self) -> None:
        """The agent's own log to `<log-uri>/<cluster-id>/node/<instance-id>/daemons/`, within
        the moment the node provider waits for a stopping agent (best effort: it then kills)."""
        prefix = self.node.node_log_prefix("node", self.node.config.instance_id, "daemons")
        if prefix is None:
            return
        files = {"emr-agent.log": self.node.layout.agent_log}
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self.node.s3.upload_gzipped(files, prefix), _LOG_UPLOAD_SECONDS)

    async def _stop_node(self) -> None:
        me = os.getpid()
        survivors = await asyncio.to_thread(
            kill_node_processes,
            self.node.config.instance_id,
            roots=[me],
            process_groups=self.steps.process_groups(),
            exclude={me},
        )
        if survivors:
            log.error("processes of the node survived SIGKILL: %s", survivors)


def run(node_dir: Path) -> int:
    """`emr agent --node-dir DIR`: run the node's agent until it stops; its exit status."""
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
        stream=sys.stderr,
    )
    logging.getLogger("uvicorn.error").setLevel(logging.WARNING)
    layout = NodeLayout(node_dir.resolve())
    try:
        config = layout.read_config()
    except (OSError, ValueError) as exc:
        log.error("cannot read %s: %s", layout.config_file, exc)
        return 1
    try:
        sock = listen(config.private_ip, config.agent_port)
    except OSError as exc:
        log.error("cannot listen on %s:%d: %s", config.private_ip, config.agent_port, exc)
        return 1
    log.info("agent of %s (%s) on %s:%d", config.instance_id, config.role, *sock.getsockname())
    with sock:
        return asyncio.run(Agent(config, layout, sock).run())
