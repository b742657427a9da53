"""The local NodeProvider: every node is an `emr agent` process on this machine.

Addresses. A cluster gets a /24 of loopback addresses, `127.<16 + n // 256>.<n % 256>.0/24`
(n ≥ 1), and its k-th node (0 = the master) gets `.<k + 1>`; Linux routes all of 127/8 to
`lo`, so every daemon binds its own node's IP on Hadoop's usual ports and clusters never
clash. A block is free when no cluster of this provider uses it, nobody holds its `.0` at
AGENT_PORT (each provider holds that socket, bound, for as long as the cluster lives: a lock
other emr servers on the machine respect), and `.1:AGENT_PORT` can be bound (no agent left
over by a crashed server listens there).

Processes. An agent runs in a session of its own with `EMR_INSTANCE_ID` in its environment,
which every process of the node inherits (see processes.py); its stdout/stderr go to the
node's `logs/agent.log`. Agents are spawned without asyncio's subprocess transports because
those kill their child when closed, and `close()` must leave agents running (a region that
restarts adopts them); the provider reaps them itself through a pidfd (or by polling where
there is none).

LIMITATIONS: Linux only (other systems route only 127.0.0.1 to the loopback interface).
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import ipaddress
import logging
import os
import shutil
import socket
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final, Literal, cast

import psutil

from emr.nodes.client import AgentClient, AgentUnreachable
from emr.nodes.layout import NodeLayout, write_node
from emr.nodes.processes import INSTANCE_TAG, kill_node_processes
from emr.nodes.protocol import AGENT_PORT, AgentConfig
from emr.nodes.provider import (
    AgentExit,
    ClusterNodes,
    NodeHandle,
    NodeProvider,
    NodeRequest,
    OnAgentExit,
)
from emr.services.emr.instance_types import DEFAULT_MEMORY_SCALE, node_resources

__all__ = ["LocalNodeProvider", "network_address"]

log = logging.getLogger(__name__)

#: Blocks 127.16.1.0/24 … 127.31.255.0/24.
_MAX_BLOCKS: Final = 16 * 256
#: Hosts .1 … .254 of a block.
_MAX_HOSTS: Final = 255
_ADOPT_POLL_SECONDS: Final = 0.5
_SHUTDOWN_REQUEST_SECONDS: Final = 0.5
_SHUTDOWN_WAIT_SECONDS: Final = 2.0
_KILL_TIMEOUT_SECONDS: Final = 10.0

Role = Literal["MASTER", "CORE", "TASK"]


def network_address(block: int) -> str:
    """Block n's network, `127.<16 + n // 256>.<n % 256>.0/24`."""
    return f"127.{16 + block // 256}.{block % 256}.0/24"


def _host(network: str, host: int) -> str:
    return str(ipaddress.ip_network(network)[host])


def _bound(address: str, port: int, *, reuse: bool) -> socket.socket | None:
    """A socket bound to address:port, or None when the address is taken."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        if reuse:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((address, port))
    except OSError as exc:
        sock.close()
        if exc.errno not in (errno.EADDRINUSE, errno.EADDRNOTAVAIL, errno.EACCES):
            raise
        return None
    return sock


@dataclass
class _Agent:
    """A watched agent process."""

    cluster_id: str
    instance_id: str
    pid: int
    private_ip: str
    token: str
    #: Set once the process ended (and, if it was ours, was reaped).
    ended: asyncio.Event = field(default_factory=asyncio.Event)
    watcher: asyncio.Task[None] | None = None


@dataclass
class _Cluster:
    network: str
    #: Held for the cluster's lifetime (None after an adoption that could not re-take it).
    lock: socket.socket | None
    #: instance id → (role, private IP), every node ever started, for AgentConfig.nodes.
    nodes: dict[str, tuple[str, str]] = field(default_factory=dict)
    master_ip: str | None = None
    #: (YARN memory MB, vcores) of a CORE node, else of the master: Spark's sizes follow it.
    core_resources: tuple[int, int] | None = None
    sized_by_core: bool = False
    next_host: int = 1


class LocalNodeProvider(NodeProvider):
    """Runs each node as an `emr agent` process with its own loopback IP."""

    def __init__(
        self,
        root: Path,
        memory_scale: float = DEFAULT_MEMORY_SCALE,
        python: str | None = None,
        *,
        orphan_timeout_seconds: float = 600.0,
        heartbeat_interval_seconds: float = 1.0,
    ) -> None:
        """`python`: the interpreter whose `emr` runs the agents (default: this one);
        the timings go to every agent.json (see AgentConfig)."""
        self._root = root
        self._orphan_timeout = orphan_timeout_seconds
        self._heartbeat_interval = heartbeat_interval_seconds
        self._memory_scale = memory_scale
        self._python = os.path.abspath(shutil.which(python) or python) if python else sys.executable
        self._clusters: dict[str, _Cluster] = {}
        self._agents: dict[tuple[str, str], _Agent] = {}
        self._listener: OnAgentExit | None = None

    # --- networks ---------------------------------------------------------------------------

    async def allocate_network(self, cluster_id: str) -> str:
        cluster = self._clusters.get(cluster_id)
        if cluster is not None:
            return cluster.network
        used = {c.network for c in self._clusters.values()}
        for block in range(1, _MAX_BLOCKS):
            network = network_address(block)
            if network in used:
                continue
            lock = _bound(_host(network, 0), AGENT_PORT, reuse=False)
            if lock is None:
                continue
            probe = _bound(_host(network, 1), AGENT_PORT, reuse=True)
            if probe is None:
                lock.close()
                continue
            probe.close()
            self._clusters[cluster_id] = _Cluster(network, lock)
            log.info("cluster %s: network %s", cluster_id, network)
            return network
        raise RuntimeError("no free loopback network for a cluster")

    def _release(self, cluster_id: str) -> None:
        cluster = self._clusters.pop(cluster_id, None)
        if cluster is not None and cluster.lock is not None:
            cluster.lock.close()

    # --- starting ---------------------------------------------------------------------------

    def node_dir_of(self, cluster_id: str, instance_id: str) -> str:
        return str(NodeLayout.at(self._root, cluster_id, instance_id).path)

    def set_exit_listener(self, listener: OnAgentExit) -> None:
        self._listener = listener

    def agent_command(self, node_dir: Path) -> list[str]:
        """`emr agent --node-dir DIR`, through the console script next to the interpreter."""
        script = Path(self._python).parent / "emr"
        if script.is_file() and os.access(script, os.X_OK):
            return [str(script), "agent", "--node-dir", str(node_dir)]
        return [self._python, "-m", "emr", "agent", "--node-dir", str(node_dir)]

    async def start_nodes(
        self, cluster: ClusterNodes, network: str, nodes: Sequence[NodeRequest]
    ) -> list[NodeHandle]:
        state = self._clusters.get(cluster.cluster_id)
        if state is None or state.network != network:
            raise ValueError(f"network {network} is not allocated to {cluster.cluster_id}")
        planned: list[tuple[NodeRequest, str]] = []
        if state.next_host + len(nodes) > _MAX_HOSTS:
            raise ValueError(f"cluster {cluster.cluster_id}: more than {_MAX_HOSTS} nodes")
        for request in nodes:
            ip = _host(network, state.next_host)
            state.next_host += 1
            state.nodes[request.instance_id] = (request.role, ip)
            if request.role == "MASTER" and state.master_ip is None:
                state.master_ip = ip
            planned.append((request, ip))
        if state.master_ip is None:
            raise ValueError(f"cluster {cluster.cluster_id} has no master node")
        for request in nodes:
            # The first CORE node sizes Spark; until there is one, the master does.
            if (request.role == "CORE" and not state.sized_by_core) or (
                request.role == "MASTER" and state.core_resources is None
            ):
                resources = node_resources(request.instance_type, self._memory_scale)
                state.core_resources = (resources.yarn_memory_mb, resources.vcores)
                state.sized_by_core = request.role == "CORE"
        handles = []
        for request, ip in planned:
            config = self._config(cluster, state, request, ip)
            handles.append(await self._start(config))
        return handles

    def _config(
        self, cluster: ClusterNodes, state: _Cluster, request: NodeRequest, ip: str
    ) -> AgentConfig:
        resources = node_resources(request.instance_type, self._memory_scale)
        assert state.master_ip is not None
        core_yarn_memory_mb, core_vcores = state.core_resources or (
            resources.yarn_memory_mb,
            resources.vcores,
        )
        return AgentConfig(
            cluster_id=cluster.cluster_id,
            instance_id=request.instance_id,
            role=cast(Role, request.role),  # pydantic checks it
            instance_type=request.instance_type,
            private_ip=ip,
            master_ip=state.master_ip,
            nodes=dict(state.nodes),
            region_url=cluster.region_url,
            region_name=cluster.region_name,
            token=cluster.token,
            access_key_id=cluster.access_key_id,
            secret_access_key=cluster.secret_access_key,
            log_uri=cluster.log_uri,
            release_label=cluster.release_label,
            applications=list(cluster.applications),
            configurations=[dict(c) for c in cluster.configurations],
            memory_mb=resources.memory_mb,
            yarn_memory_mb=resources.yarn_memory_mb,
            vcores=resources.vcores,
            core_yarn_memory_mb=core_yarn_memory_mb,
            core_vcores=core_vcores,
            heartbeat_interval_seconds=self._heartbeat_interval,
            orphan_timeout_seconds=self._orphan_timeout,
        )

    async def _start(self, config: AgentConfig) -> NodeHandle:
        layout = NodeLayout.at(self._root, config.cluster_id, config.instance_id)
        # Off the event loop: the first node may build the EMRFS jar (javac, a few seconds).
        await asyncio.to_thread(write_node, layout, config, Path(self._python).parent)
        pid = self._spawn(self.agent_command(layout.path), layout, config.instance_id)
        agent = _Agent(config.cluster_id, config.instance_id, pid, config.private_ip, config.token)
        self._watch(agent, own_child=True)
        log.info("node %s (%s): agent pid %d", config.instance_id, config.private_ip, pid)
        return NodeHandle(config.instance_id, config.private_ip, config.agent_port, pid, config)

    def _spawn(self, argv: list[str], layout: NodeLayout, instance_id: str) -> int:
        env = {**os.environ, INSTANCE_TAG: instance_id}
        fd = os.open(layout.agent_log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            return os.posix_spawn(
                argv[0],
                argv,
                env,
                file_actions=[
                    (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
                    (os.POSIX_SPAWN_DUP2, fd, 1),
                    (os.POSIX_SPAWN_DUP2, fd, 2),
                    (os.POSIX_SPAWN_CLOSE, fd),
                ],
                setsid=True,
            )
        finally:
            os.close(fd)

    # --- watching ---------------------------------------------------------------------------

    def _watch(self, agent: _Agent, *, own_child: bool) -> None:
        self._agents[(agent.cluster_id, agent.instance_id)] = agent
        wait = self._reap(agent.pid) if own_child else self._poll(agent)
        agent.watcher = asyncio.create_task(self._report(agent, wait), name=f"watch {agent.pid}")

    async def _report(self, agent: _Agent, wait: asyncio.Future[int | None]) -> None:
        try:
            code = await wait
        finally:
            agent.ended.set()
        log.info("node %s: agent %d ended (exit %s)", agent.instance_id, agent.pid, code)
        if self._agents.get((agent.cluster_id, agent.instance_id)) is agent:
            del self._agents[(agent.cluster_id, agent.instance_id)]
        if self._listener is not None:
            try:
                await self._listener(AgentExit(agent.cluster_id, agent.instance_id, code))
            except Exception:
                log.exception("the agent exit listener failed for %s", agent.instance_id)

    def _reap(self, pid: int) -> asyncio.Future[int | None]:
        """A future of our child's exit code (negative: killed by that signal)."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[int | None] = loop.create_future()

        def collect() -> bool:
            try:
                done, status = os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:  # reaped by someone else: the code is lost
                done, status = pid, None
            if done == 0:
                return False
            if not future.done():
                future.set_result(None if status is None else os.waitstatus_to_exitcode(status))
            return True

        try:
            pidfd = os.pidfd_open(pid)
        except (AttributeError, OSError):
            pidfd = None
        if pidfd is not None:

            def readable() -> None:
                if collect():
                    loop.remove_reader(pidfd)
                    os.close(pidfd)

            loop.add_reader(pidfd, readable)

            def cancelled(f: asyncio.Future[int | None]) -> None:
                if f.cancelled():
                    loop.remove_reader(pidfd)
                    os.close(pidfd)

            future.add_done_callback(cancelled)
            return future

        async def poll() -> None:
            while not collect():
                await asyncio.sleep(0.05)

        task = asyncio.ensure_future(poll())
        future.add_done_callback(lambda f: task.cancel() if f.cancelled() else None)
        return future

    def _poll(self, agent: _Agent) -> asyncio.Future[int | None]:
        """A future that completes (with no code: not our child) when an adopted agent ends."""

        async def poll() -> int | None:
            try:
                process = psutil.Process(agent.pid)
                while process.is_running() and process.status() != psutil.STATUS_ZOMBIE:
                    await asyncio.sleep(_ADOPT_POLL_SECONDS)
            except psutil.NoSuchProcess:
                pass
            return None

        return asyncio.ensure_future(poll())

    async def adopt(self, cluster_id: str, instance_id: str, pid: int, private_ip: str) -> bool:
        layout = NodeLayout.at(self._root, cluster_id, instance_id)
        if not await asyncio.to_thread(_is_agent_of, pid, layout.path, instance_id):
            return False
        try:
            config = layout.read_config()
        except (OSError, ValueError):
            return False
        cluster = self._clusters.get(cluster_id)
        if cluster is None:
            network = str(ipaddress.ip_network(f"{private_ip}/24", strict=False))
            lock = _bound(_host(network, 0), AGENT_PORT, reuse=False)
            cluster = self._clusters[cluster_id] = _Cluster(network, lock)
        cluster.nodes.update(config.nodes)
        cluster.master_ip = config.master_ip
        if config.core_yarn_memory_mb is not None and config.core_vcores is not None:
            cluster.core_resources = (config.core_yarn_memory_mb, config.core_vcores)
            cluster.sized_by_core = any(role == "CORE" for role, _ in config.nodes.values())
        hosts = [int(ip.rsplit(".", 1)[1]) for _, ip in cluster.nodes.values()]
        cluster.next_host = max([cluster.next_host, *(h + 1 for h in hosts)])
        agent = _Agent(cluster_id, instance_id, pid, private_ip, config.token)
        self._watch(agent, own_child=False)
        return True

    # --- stopping ---------------------------------------------------------------------------

    async def stop_nodes(self, cluster_id: str, instance_ids: Sequence[str]) -> None:
        await asyncio.gather(*(self._stop(cluster_id, i) for i in instance_ids))
        if not any(c == cluster_id for c, _ in self._agents):
            self._release(cluster_id)

    async def _stop(self, cluster_id: str, instance_id: str) -> None:
        agent = self._agents.get((cluster_id, instance_id))
        if agent is not None and not agent.ended.is_set():
            await self._ask_to_stop(agent)
        roots = [agent.pid] if agent is not None and not agent.ended.is_set() else []
        me = os.getpid()
        survivors = await asyncio.to_thread(
            kill_node_processes,
            instance_id,
            roots=roots,
            process_groups=roots,
            exclude={me},
            timeout=_KILL_TIMEOUT_SECONDS,
        )
        if survivors:
            log.error("node %s: processes survived SIGKILL: %s", instance_id, survivors)
        if agent is not None and agent.watcher is not None:
            # The watcher reports the exit (to the listener) once the agent is reaped.
            await asyncio.shield(agent.watcher)

    async def _ask_to_stop(self, agent: _Agent) -> None:
        """POST /v1/shutdown and give the agent a moment to stop its node by itself."""
        try:
            async with AgentClient(
                agent.private_ip, AGENT_PORT, agent.token, timeout=_SHUTDOWN_REQUEST_SECONDS
            ) as client:
                await client.shutdown()
        except AgentUnreachable:
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(agent.ended.wait(), _SHUTDOWN_WAIT_SECONDS)

    async def close(self) -> None:
        watchers = [a.watcher for a in self._agents.values() if a.watcher is not None]
        for watcher in watchers:
            watcher.cancel()
        await asyncio.gather(*watchers, return_exceptions=True)
        self._agents.clear()
        for cluster_id in list(self._clusters):
            self._release(cluster_id)


def _is_agent_of(pid: int, node_dir: Path, instance_id: str) -> bool:
    """Is `pid` the `emr agent` of that node (not a stranger that got its pid)?"""
    try:
        process = psutil.Process(pid)
        if process.status() == psutil.STATUS_ZOMBIE:
            return False
        argv = process.cmdline()
    except psutil.Error:
        return False
    if "agent" not in argv or "--node-dir" not in argv:
        return False
    index = argv.index("--node-dir") + 1
    if index >= len(argv) or Path(argv[index]) != node_dir:
        return False
    with contextlib.suppress(psutil.Error):
        return bool(process.environ().get(INSTANCE_TAG) == instance_id)
    return True
