"""LocalNodeProvider: agents' lives end as the region decides, and leave nothing behind."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from pathlib import Path

import psutil
import pytest

from emr.nodes.local import LocalNodeProvider
from emr.nodes.protocol import AgentRegistered, Heartbeat, StepRequest
from emr.nodes.provider import AgentExit
from tests.integration.nodes.conftest import (
    Cluster,
    EventReceiver,
    closed_port_url,
    new_id,
    processes_with,
    running_cluster,
    unique_sleep,
)

pytestmark = pytest.mark.integration


async def _registered(receiver: EventReceiver, cluster: Cluster) -> None:
    await receiver.wait_for(
        cluster.cluster_id, lambda e: isinstance(e, AgentRegistered), count=len(cluster.nodes)
    )


async def _start_step(cluster: Cluster, script: str) -> str:
    step_id = new_id("s")
    async with cluster.client() as agent:
        await agent.run_step(
            StepRequest(
                step_id=step_id, name="s", jar="command-runner.jar", args=["bash", "-c", script]
            )
        )
    return step_id


async def _until(condition: object, timeout: float = 10.0) -> None:
    assert callable(condition)
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.02)


def _gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def test_stop_nodes_leaves_no_process(receiver: EventReceiver, tmp_path: Path) -> None:
    kept, escaped, on_core = unique_sleep(), unique_sleep(), unique_sleep()

    async def scenario() -> None:
        async with running_cluster(tmp_path, receiver.url, ("MASTER", "CORE")) as cluster:
            await _registered(receiver, cluster)
            # A step that keeps running with a grandchild in a session of its own, and one
            # whose grandchild outlives its parent (reparented to init: only the tag finds it).
            await _start_step(cluster, f"setsid sleep {kept} & sleep {kept}")
            await _start_step(cluster, f"setsid sleep {escaped} & exit 0")
            core = cluster.nodes[1]
            core_exec = asyncio.create_task(
                asyncio.to_thread(
                    _exec_quietly, core.private_ip, core.agent_port, cluster.token, on_core
                )
            )
            await _until(lambda: len(processes_with(kept)) == 2 and processes_with(escaped))
            await _until(lambda: processes_with(on_core))
            assert psutil.Process(processes_with(escaped)[0].pid).ppid() != cluster.master.pid

            await cluster.provider.stop_nodes(
                cluster.cluster_id, [node.instance_id for node in cluster.nodes]
            )
            for marker in (kept, escaped, on_core):
                assert processes_with(marker) == [], marker
            for node in cluster.nodes:
                assert _gone(node.pid)
                assert (await cluster.wait_exit(node.instance_id)).exit_code == 0
            assert await core_exec != 0

    asyncio.run(scenario())


def _exec_quietly(ip: str, port: int, token: str, marker: str) -> int:
    import io

    from emr.nodes.client import AgentUnreachable, exec_on_node

    try:
        return exec_on_node(ip, port, token, ["sleep", marker], None, io.BytesIO(), io.BytesIO())
    except AgentUnreachable:
        return -1


def test_sigterm_stops_the_node_and_exits_zero(receiver: EventReceiver, tmp_path: Path) -> None:
    marker = unique_sleep()

    async def scenario() -> None:
        async with running_cluster(tmp_path, receiver.url) as cluster:
            await _registered(receiver, cluster)
            await _start_step(cluster, f"setsid sleep {marker} & sleep {marker}")
            await _until(lambda: len(processes_with(marker)) == 2)
            os.kill(cluster.master.pid, signal.SIGTERM)
            assert (await cluster.wait_exit(cluster.master.instance_id)).exit_code == 0
            assert processes_with(marker) == []

    asyncio.run(scenario())


def test_agent_killed_with_sigkill_is_reported(receiver: EventReceiver, tmp_path: Path) -> None:
    marker = unique_sleep()

    async def scenario() -> None:
        async with running_cluster(tmp_path, receiver.url, ("MASTER", "CORE")) as cluster:
            await _registered(receiver, cluster)
            await _start_step(cluster, f"sleep {marker}")
            await _until(lambda: processes_with(marker))
            core = cluster.nodes[1]
            os.kill(core.pid, signal.SIGKILL)
            assert await cluster.wait_exit(core.instance_id) == AgentExit(
                cluster.cluster_id, core.instance_id, -signal.SIGKILL
            )
            assert [e.instance_id for e in cluster.exits] == [core.instance_id]

            os.kill(cluster.master.pid, signal.SIGKILL)
            await cluster.wait_exit(cluster.master.instance_id)
            # The agent died without cleaning up; stopping the node still finds its step.
            assert processes_with(marker)
            await cluster.provider.stop_nodes(cluster.cluster_id, [cluster.master.instance_id])
            assert processes_with(marker) == []

    asyncio.run(scenario())


def test_region_answering_410_ends_the_node(receiver: EventReceiver, tmp_path: Path) -> None:
    marker = unique_sleep()

    async def scenario() -> None:
        async with running_cluster(tmp_path, receiver.url) as cluster:
            await _registered(receiver, cluster)
            await _start_step(cluster, f"sleep {marker}")
            await _until(lambda: processes_with(marker))
            receiver.gone.add(cluster.master.instance_id)
            assert (await cluster.wait_exit(cluster.master.instance_id)).exit_code == 0
            assert processes_with(marker) == []
            assert "410" in (cluster.node_dir() / "logs" / "agent.log").read_text()

    asyncio.run(scenario())


def test_an_agent_the_region_keeps_refusing_stops(receiver: EventReceiver, tmp_path: Path) -> None:
    marker = unique_sleep()

    async def scenario() -> None:
        # The 401 grace is at most the orphan timeout.
        async with running_cluster(tmp_path, receiver.url, orphan_timeout_seconds=1.0) as cluster:
            await _registered(receiver, cluster)
            await _start_step(cluster, f"sleep {marker}")
            await _until(lambda: processes_with(marker))
            receiver.refused.add(cluster.master.instance_id)
            assert (await cluster.wait_exit(cluster.master.instance_id)).exit_code == 1
            assert processes_with(marker) == []
            assert "401" in (cluster.node_dir() / "logs" / "agent.log").read_text()

    asyncio.run(scenario())


def test_an_orphaned_agent_stops_its_node(tmp_path: Path) -> None:
    marker = unique_sleep()

    async def scenario() -> None:
        url = closed_port_url()
        async with running_cluster(tmp_path, url, orphan_timeout_seconds=2.0) as cluster:
            await cluster.serving()
            await _start_step(cluster, f"setsid sleep {marker} & sleep {marker}")
            await _until(lambda: len(processes_with(marker)) == 2)
            started = time.monotonic()
            agent_exit = await cluster.wait_exit(cluster.master.instance_id, timeout=15)
            assert agent_exit.exit_code == 3
            assert time.monotonic() - started < 10
            assert processes_with(marker) == []
            assert (
                "no answer from the region"
                in (cluster.node_dir() / "logs" / "agent.log").read_text()
            )

    asyncio.run(scenario())


def test_a_restarted_region_adopts_running_agents(receiver: EventReceiver, tmp_path: Path) -> None:
    async def scenario() -> None:
        async with running_cluster(tmp_path, receiver.url) as cluster:
            await _registered(receiver, cluster)
            master = cluster.master
            await cluster.provider.close()  # the old region goes away; the agent stays
            assert not _gone(master.pid)

            successor = LocalNodeProvider(tmp_path, 0.25)
            exits: list[AgentExit] = []

            async def on_exit(agent_exit: AgentExit) -> None:
                exits.append(agent_exit)

            successor.set_exit_listener(on_exit)
            cid, iid = cluster.cluster_id, master.instance_id
            assert not await successor.adopt(cid, iid, os.getpid(), master.private_ip)
            assert not await successor.adopt(cid, "i-other", master.pid, master.private_ip)
            assert await successor.adopt(cid, iid, master.pid, master.private_ip)
            # Its network stays taken while the cluster lives.
            assert await successor.allocate_network("j-OTHER") != await successor.allocate_network(
                cid
            )
            heartbeats = len([e for e in receiver.of(cid) if isinstance(e, Heartbeat)])
            await receiver.wait_for(cid, lambda e: isinstance(e, Heartbeat), count=heartbeats + 1)

            await successor.stop_nodes(cid, [iid])
            assert exits == [AgentExit(cid, iid, None)]
            await successor.stop_nodes("j-OTHER", [])
            await successor.close()
            # The old provider's child: collect it so no zombie outlives the test.
            os.waitpid(master.pid, 0)

    asyncio.run(scenario())
