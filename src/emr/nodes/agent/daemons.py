"""The daemons each role runs (NameNode, DataNode, ResourceManager, NodeManager, …).

A daemon is a process of its own (so "kill a daemon" is one SIGKILL, as the cluster contract
says), started in the node's environment — it inherits `EMR_INSTANCE_ID`, so stopping the node
kills it too — with its output in `logs/<name>.log`. It is up when it prints its ready line
(`<name> listening …`) on stdout; `POST /v1/daemons` answers once every daemon of the role is up,
or fails with the daemon's exit or a timeout.

What is in the table: the MASTER runs the HDFS NameNode (WebHDFS on 9870 and 8020) and the
YARN ResourceManager (8088), then waits until both are ready — HDFS out of safe mode with every
core node's DataNode registered (the NameNode's `/_dn/v1/status`), every core and task node's
NodeManager registered (the ResourceManager's `/_yarn/v1/status`) — which is what the cluster
contract's WAITING requires — and, in a cluster with Spark, the Spark History Server (18080,
spark_history.py) once HDFS is ready; every CORE node runs a DataNode (9864) and a NodeManager
(8042), every TASK node a NodeManager. A cluster without Spark starts no JVM.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Final

from emr.nodes.agent import spark_history
from emr.nodes.agent.node import Node
from emr.nodes.protocol import AgentConfig

__all__ = ["Daemon", "DaemonFailed", "daemons_of", "process_daemon", "start_daemons"]

#: How long a daemon may take from exec to its ready line.
READY_TIMEOUT_SECONDS: Final = 60.0


class DaemonFailed(Exception):
    """A daemon exited, or did not become ready in time."""


@dataclass(frozen=True, slots=True)
class Daemon:
    """One daemon of a role: its name and how to start it until it serves."""

    name: str
    start: Callable[[Node], Awaitable[None]]


def process_daemon(name: str, module: str) -> Daemon:
    """A daemon run as `python -m <module> --node-dir <node dir>`, ready at its ready line."""

    async def start(node: Node) -> None:
        log_path = node.layout.logs / f"{name}.log"
        with log_path.open("ab") as log_file:
            process = await node.spawn(
                [sys.executable, "-m", module, "--node-dir", str(node.layout.path)],
                cwd=node.layout.path,
                stdout=asyncio.subprocess.PIPE,
                stderr=log_file,
            )
        assert process.stdout is not None
        try:
            async with asyncio.timeout(READY_TIMEOUT_SECONDS):
                line = await process.stdout.readline()
        except TimeoutError:
            raise DaemonFailed(
                f"{name} did not start within {READY_TIMEOUT_SECONDS:.0f} s (see {log_path})"
            ) from None
        if not line.decode(errors="replace").startswith(f"{name} listening"):
            code = await process.wait()
            raise DaemonFailed(f"{name} exited with code {code} before serving (see {log_path})")

    return Daemon(name, start)


async def _poll_status(
    node: Node, what: str, url: str, ready: Callable[[dict[str, object]], bool]
) -> None:
    """Poll a master daemon's status (cluster token) until `ready` says so."""
    import httpx  # only masters pay for it, once the daemon is already starting

    headers = {"Authorization": f"Bearer {node.config.token}"}
    status: dict[str, object] = {}
    try:
        async with asyncio.timeout(READY_TIMEOUT_SECONDS), httpx.AsyncClient() as client:
            while True:
                try:
                    response = await client.get(url, headers=headers, timeout=5)
                    status = response.json() if response.status_code == 200 else {}
                except (httpx.HTTPError, ValueError):
                    status = {}
                if ready(status):
                    return
                await asyncio.sleep(0.05)
    except TimeoutError:
        raise DaemonFailed(f"{what} did not become ready: {status or 'no answer'}") from None


def _at_least(status: dict[str, object], count: str, expected: str) -> bool:
    have, want = status.get(count), status.get(expected)
    return isinstance(have, int) and isinstance(want, int) and have >= want


async def _until_hdfs_ready(node: Node) -> None:
    """Until the NameNode left safe mode and every core node's DataNode registered."""
    from emr.hdfs.ports import NAMENODE_HTTP_PORT
    from emr.hdfs.protocol import PREFIX

    await _poll_status(
        node,
        "HDFS",
        f"http://{node.config.master_ip}:{NAMENODE_HTTP_PORT}{PREFIX}/status",
        lambda s: (
            s.get("safe_mode") is False and _at_least(s, "live_datanodes", "expected_datanodes")
        ),
    )


async def _until_yarn_ready(node: Node) -> None:
    """Until every core and task node's NodeManager registered with the ResourceManager."""
    from emr.nodes.hadoop_conf import RESOURCEMANAGER_WEBAPP_PORT

    await _poll_status(
        node,
        "YARN",
        f"http://{node.config.master_ip}:{RESOURCEMANAGER_WEBAPP_PORT}/_yarn/v1/status",
        lambda s: _at_least(s, "registered_nodemanagers", "expected_nodemanagers"),
    )


async def _start_spark_history(node: Node) -> None:
    try:
        await spark_history.start(node, READY_TIMEOUT_SECONDS)
    except spark_history.HistoryServerFailed as exc:
        raise DaemonFailed(str(exc)) from exc


_MASTER: Final = (
    process_daemon("namenode", "emr.hdfs.namenode"),
    process_daemon("resourcemanager", "emr.yarn.resourcemanager"),
    Daemon("hdfs-ready", _until_hdfs_ready),
    Daemon("yarn-ready", _until_yarn_ready),
)
_SPARK_HISTORY: Final = Daemon("spark-history-server", _start_spark_history)
_CORE: Final = (
    process_daemon("datanode", "emr.hdfs.datanode"),
    process_daemon("nodemanager", "emr.yarn.nodemanager"),
)
_TASK: Final = (process_daemon("nodemanager", "emr.yarn.nodemanager"),)


def daemons_of(config: AgentConfig) -> tuple[Daemon, ...]:
    """The daemons a node starts, in order: by role, and the master's by application."""
    if config.role == "CORE":
        return _CORE
    if config.role == "TASK":
        return _TASK
    if spark_history.SPARK_APPLICATION.lower() in (a.lower() for a in config.applications):
        return (*_MASTER, _SPARK_HISTORY)
    return _MASTER


async def start_daemons(node: Node) -> None:
    """Start the node's daemons, in order; returns once all of them serve."""
    for daemon in daemons_of(node.config):
        await daemon.start(node)
