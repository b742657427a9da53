"""The node agent as the region uses it: register, heartbeat, bootstrap, steps, exec, logs."""

from __future__ import annotations

import asyncio
import io
import os
import stat
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import psutil
import pytest

from emr.nodes.client import AgentUnreachable, exec_on_node, follow_log
from emr.nodes.protocol import (
    AgentRegistered,
    BootstrapAction,
    BootstrapCompleted,
    BootstrapFailed,
    Heartbeat,
    StepExited,
    StepRequest,
)
from tests.integration.nodes.conftest import (
    Cluster,
    EventReceiver,
    new_id,
    processes_with,
    running_cluster,
    unique_sleep,
)

pytestmark = pytest.mark.integration


def _script(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


async def _registered(receiver: EventReceiver, cluster: Cluster) -> list[AgentRegistered]:
    events = await receiver.wait_for(
        cluster.cluster_id, lambda e: isinstance(e, AgentRegistered), count=len(cluster.nodes)
    )
    return [e for e in events if isinstance(e, AgentRegistered)]


async def _step(
    receiver: EventReceiver, cluster: Cluster, args: list[str], **fields: object
) -> tuple[str, StepExited]:
    step_id = new_id("s")
    async with cluster.client() as agent:
        await agent.run_step(
            StepRequest(step_id=step_id, name="step", jar="command-runner.jar", args=args)
        )
    return step_id, await _exited(receiver, cluster, step_id)


async def _exited(receiver: EventReceiver, cluster: Cluster, step_id: str) -> StepExited:
    (event,) = await receiver.wait_for(
        cluster.cluster_id, lambda e: isinstance(e, StepExited) and e.step_id == step_id
    )
    assert isinstance(event, StepExited)
    return event


def test_agents_register_then_heartbeat(receiver: EventReceiver, tmp_path: Path) -> None:
    async def scenario() -> None:
        async with running_cluster(tmp_path, receiver.url, ("MASTER", "CORE")) as cluster:
            registered = await _registered(receiver, cluster)
            by_instance = {e.instance_id: e for e in registered}
            for node in cluster.nodes:
                assert by_instance[node.instance_id].private_ip == node.private_ip
                assert by_instance[node.instance_id].pid == node.pid
                cmdline = " ".join(psutil.Process(node.pid).cmdline())
                assert f"emr agent --node-dir {cluster.node_dir(node)}" in cmdline
            assert cluster.nodes[0].private_ip.endswith(".1")
            assert cluster.nodes[1].private_ip.endswith(".2")
            for node in cluster.nodes:
                await receiver.wait_for(
                    cluster.cluster_id,
                    lambda e, i=node.instance_id: isinstance(e, Heartbeat) and e.instance_id == i,
                    count=2,
                )
            first = min(receiver.arrival(e) for e in registered)
            print(f"start_nodes → first registered: {first - cluster.started_at:.3f} s")
            async with cluster.client(cluster.nodes[1]) as agent:
                health = await agent.health()
            assert health.instance_id == cluster.nodes[1].instance_id
            assert receiver.tokens(cluster.cluster_id) == {cluster.token}

    asyncio.run(scenario())


def test_requests_without_the_token_are_refused(receiver: EventReceiver, tmp_path: Path) -> None:
    async def scenario() -> None:
        async with running_cluster(tmp_path, receiver.url) as cluster:
            await _registered(receiver, cluster)
            url = f"http://{cluster.master.private_ip}:{cluster.master.agent_port}/v1/health"
            async with httpx.AsyncClient(trust_env=False) as http:
                anonymous = await http.get(url)
                wrong = await http.get(url, headers={"Authorization": "Bearer nope"})
            assert anonymous.status_code == wrong.status_code == 401
            assert "token" in anonymous.json()["error"]

    asyncio.run(scenario())


def test_bootstrap_actions_succeed_or_report_the_failing_index(
    receiver: EventReceiver, tmp_path: Path
) -> None:
    scripts = tmp_path / "scripts"
    scripts.mkdir()
    record = _script(
        scripts / "record.sh",
        '#!/bin/bash\necho "args: $*"; echo "conf: $HADOOP_CONF_DIR"; echo "pwd: $PWD"\n'
        'echo "aws: $(command -v aws)"; echo warn >&2\n',
    )
    fail = _script(scripts / "fail.sh", "#!/bin/sh\necho broken >&2\nexit 3\n")
    never = _script(scripts / "never.sh", "#!/bin/sh\ntouch /tmp/should-not-run\n")

    async def scenario() -> None:
        async with running_cluster(tmp_path / "nodes", receiver.url, ("MASTER", "CORE")) as c:
            await _registered(receiver, c)
            master, core = c.nodes
            async with c.client(master) as agent:
                await agent.bootstrap(
                    [
                        BootstrapAction(name="one", path=f"file://{record}", args=["a", "b c"]),
                        BootstrapAction(name="two", path=str(record)),
                    ]
                )
            async with c.client(core) as agent:
                await agent.bootstrap(
                    [
                        BootstrapAction(name="ok", path=str(record)),
                        BootstrapAction(name="bad", path=f"file://{fail}"),
                        BootstrapAction(name="never", path=str(never)),
                    ]
                )
            outcomes = await c_outcomes(receiver, c)
            assert isinstance(outcomes[master.instance_id], BootstrapCompleted)
            failed = outcomes[core.instance_id]
            assert isinstance(failed, BootstrapFailed)
            assert failed.action_index == 2
            assert failed.message == "bootstrap action 2 returned a non-zero return code"

            logs = c.node_dir(master) / "logs" / "bootstrap-actions"
            stdout = (logs / "1" / "stdout").read_text()
            assert "args: a b c" in stdout
            assert f"conf: {c.node_dir(master) / 'conf'}" in stdout
            assert f"pwd: {c.node_dir(master) / 'data' / 'bootstrap-actions' / '1'}" in stdout
            assert f"aws: {c.node_dir(master) / 'bin' / 'aws'}" in stdout
            assert (logs / "1" / "stderr").read_text() == "warn\n"
            assert (logs / "2" / "stdout").exists()
            core_logs = c.node_dir(core) / "logs" / "bootstrap-actions"
            assert (core_logs / "2" / "stderr").read_text() == "broken\n"
            assert not (core_logs / "3").exists()
            # The user's own script was not touched (the agent runs a copy).
            assert not os.access(record, os.X_OK)

    asyncio.run(scenario())


async def c_outcomes(receiver: EventReceiver, cluster: Cluster) -> dict[str, object]:
    events = await receiver.wait_for(
        cluster.cluster_id,
        lambda e: isinstance(e, BootstrapCompleted | BootstrapFailed),
        count=len(cluster.nodes),
    )
    return {e.instance_id: e for e in events}


def test_command_runner_step_exits_zero_and_keeps_its_logs(
    receiver: EventReceiver, tmp_path: Path
) -> None:
    async def scenario() -> None:
        async with running_cluster(tmp_path, receiver.url) as cluster:
            await _registered(receiver, cluster)
            started = time.monotonic()
            step_id, exited = await _step(
                receiver, cluster, ["bash", "-c", "echo hi; echo oops >&2; pwd"]
            )
            print(f"step round trip: {receiver.arrival(exited) - started:.3f} s")
            assert exited.exit_code == 0
            assert exited.failure is None

            logs = cluster.node_dir() / "logs" / "steps" / step_id
            workdir = cluster.node_dir() / "data" / "steps" / step_id
            assert (logs / "stdout").read_text() == f"hi\n{workdir}\n"
            assert (logs / "stderr").read_text() == "oops\n"
            assert (logs / "syslog").read_text() == ""
            controller = (logs / "controller").read_text()
            assert "INFO startExec 'bash -c echo hi; echo oops >&2; pwd'" in controller
            assert "INFO Step created jobs: " in controller
            assert "INFO total process run time: 0 seconds" in controller
            assert "INFO Step succeeded with exitCode 0" in controller

    asyncio.run(scenario())


def test_failing_step_reports_the_end_of_stderr(receiver: EventReceiver, tmp_path: Path) -> None:
    async def scenario() -> None:
        async with running_cluster(tmp_path, receiver.url) as cluster:
            await _registered(receiver, cluster)
            script = (
                "echo noise >&2; echo; echo 'Error: it broke' >&2; echo 'at line 3' >&2; exit 2"
            )
            step_id, exited = await _step(receiver, cluster, ["bash", "-c", script])
            assert exited.exit_code == 2
            assert exited.failure is not None
            assert exited.failure.reason == "Unknown Error."
            assert exited.failure.message == "noise\nError: it broke\nat line 3"
            logs = cluster.node_dir() / "logs" / "steps" / step_id
            assert exited.failure.log_file == str(logs / "stderr")
            assert "WARN Step failed with exitCode 2" in (logs / "controller").read_text()

            long = "for i in $(seq 1 200); do echo line-$i-xxxxxxxxxxxxxxxxxxxx >&2; done; exit 1"
            _, exited = await _step(receiver, cluster, ["bash", "-c", long])
            assert exited.failure is not None and exited.failure.message is not None
            assert len(exited.failure.message.encode()) <= 1024
            assert exited.failure.message.endswith("line-200-xxxxxxxxxxxxxxxxxxxx")
            assert exited.failure.message.startswith("line-")

            _, exited = await _step(receiver, cluster, ["no-such-command-here"])
            assert exited.exit_code == 127
            assert exited.failure is not None and exited.failure.message is not None
            assert "no-such-command-here" in exited.failure.message

    asyncio.run(scenario())


def test_steps_are_interrupted_gently_or_killed(receiver: EventReceiver, tmp_path: Path) -> None:
    gentle, stubborn = unique_sleep(), unique_sleep()

    async def scenario() -> None:
        async with running_cluster(tmp_path, receiver.url) as cluster:
            await _registered(receiver, cluster)
            async with cluster.client() as agent:
                polite = new_id("s")
                trap = f'trap "echo got TERM; exit 7" TERM; sleep {gentle} & wait'
                await agent.run_step(
                    StepRequest(
                        step_id=polite,
                        name="p",
                        jar="command-runner.jar",
                        args=["bash", "-c", trap],
                    )
                )
                await _until(lambda: processes_with(gentle))
                await agent.interrupt_step(polite, force=False)
                exited = await _exited(receiver, cluster, polite)
                assert exited.exit_code == 7
                logs = cluster.node_dir() / "logs" / "steps" / polite
                assert (logs / "stdout").read_text() == "got TERM\n"

                forced = new_id("s")
                ignore = f'trap "" TERM; setsid sleep {stubborn} & sleep {stubborn}'
                await agent.run_step(
                    StepRequest(
                        step_id=forced,
                        name="f",
                        jar="command-runner.jar",
                        args=["bash", "-c", ignore],
                    )
                )
                await _until(lambda: len(processes_with(stubborn)) == 2)
                await agent.interrupt_step(forced, force=True)
                exited = await _exited(receiver, cluster, forced)
                assert exited.exit_code == 137
                await _until(lambda: not processes_with(stubborn))

                with pytest.raises(AgentUnreachable) as unknown:
                    await agent.interrupt_step("s-NOPE")
                assert unknown.value.status_code == 404

    asyncio.run(scenario())


async def _until(condition: Callable[[], object], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.02)


def test_steps_run_on_the_master_only(receiver: EventReceiver, tmp_path: Path) -> None:
    async def scenario() -> None:
        async with running_cluster(tmp_path, receiver.url, ("MASTER", "TASK")) as cluster:
            await _registered(receiver, cluster)
            async with cluster.client(cluster.nodes[1]) as agent:
                with pytest.raises(AgentUnreachable) as refused:
                    await agent.run_step(
                        StepRequest(
                            step_id="s-1", name="x", jar="command-runner.jar", args=["true"]
                        )
                    )
            assert refused.value.status_code == 409
            # The task node's NodeManager first: the master is ready once it registered.
            async with cluster.client(cluster.nodes[1]) as task:
                await task.start_daemons()
            async with cluster.client() as agent:
                await agent.start_daemons()
            # The cluster has Spark: its master runs the History Server once HDFS is up.
            master_ip = cluster.nodes[0].private_ip
            async with httpx.AsyncClient() as http:
                answer = await http.get(f"http://{master_ip}:18080/api/v1/applications")
            assert answer.status_code == 200 and isinstance(answer.json(), list)

    asyncio.run(scenario())


class _Recorder(io.RawIOBase):
    """A binary sink that can react to what arrives (to prove output streams)."""

    def __init__(self, on_write: Callable[[bytes], None] | None = None) -> None:
        self.data = bytearray()
        self._on_write = on_write

    def writable(self) -> bool:
        return True

    def write(self, chunk: object) -> int:
        assert isinstance(chunk, bytes | bytearray | memoryview)
        self.data += bytes(chunk)
        if self._on_write is not None:
            self._on_write(bytes(self.data))
        return len(chunk)


def test_exec_streams_output_and_the_exit_code(receiver: EventReceiver, tmp_path: Path) -> None:
    gate = tmp_path / "gate"

    def open_gate(seen: bytes) -> None:
        if b"waiting" in seen:
            gate.touch()

    async def scenario() -> None:
        async with running_cluster(tmp_path / "nodes", receiver.url) as cluster:
            await _registered(receiver, cluster)
            node = cluster.master

            def run(
                argv: list[str],
                stdin: bytes | None = None,
                on_out: Callable[[bytes], None] | None = None,
            ) -> tuple[int, bytes, bytes]:
                out, err = _Recorder(on_out), _Recorder()
                code = exec_on_node(
                    node.private_ip, node.agent_port, cluster.token, argv, stdin, out, err
                )
                return code, bytes(out.data), bytes(err.data)

            code, out, err = await asyncio.to_thread(
                run, ["bash", "-c", "cat; echo err >&2; exit 4"], b"hello\x00world"
            )
            assert (code, out, err) == (4, b"hello\x00world", b"err\n")

            # Output arrives while the command runs: it waits for what its output causes.
            wait = f"echo waiting; while [ ! -e {gate} ]; do sleep 0.02; done; echo done"
            code, out, _ = await asyncio.to_thread(run, ["bash", "-c", wait], None, open_gate)
            assert (code, out) == (0, b"waiting\ndone\n")

            code, out, _ = await asyncio.to_thread(
                run, ["bash", "-c", "pwd; echo $HADOOP_CONF_DIR $EMR_ROLE; cat"]
            )
            node_dir = cluster.node_dir()
            assert out.decode() == f"{node_dir}\n{node_dir / 'conf'} MASTER\n"

            code, out, err = await asyncio.to_thread(run, ["definitely-not-a-command", "x"])
            assert (code, out) == (127, b"")
            assert err == b"definitely-not-a-command: command not found\n"

            # The node's `hdfs` is the real shell; this test's cluster runs no NameNode.
            code, _, err = await asyncio.to_thread(run, ["hdfs", "dfs", "-ls", "/"])
            assert code == 1 and err.startswith(b"ls: Call From "), err

    asyncio.run(scenario())


def test_logs_follow_a_running_step_to_its_end(receiver: EventReceiver, tmp_path: Path) -> None:
    gate = tmp_path / "gate"

    async def scenario() -> None:
        async with running_cluster(tmp_path / "nodes", receiver.url) as cluster:
            await _registered(receiver, cluster)
            node, step_id = cluster.master, new_id("s")
            script = f"echo first; while [ ! -e {gate} ]; do sleep 0.02; done; echo second"
            async with cluster.client() as agent:
                await agent.run_step(
                    StepRequest(
                        step_id=step_id,
                        name="f",
                        jar="command-runner.jar",
                        args=["bash", "-c", script],
                    )
                )
            opened = threading.Event()

            def on_write(seen: bytes) -> None:
                if b"first" in seen:
                    gate.touch()
                    opened.set()

            sink = _Recorder(on_write)
            await asyncio.to_thread(
                follow_log, node.private_ip, node.agent_port, cluster.token, step_id, "stdout", sink
            )
            assert opened.is_set()
            assert bytes(sink.data) == b"first\nsecond\n"

            controller = _Recorder()
            await asyncio.to_thread(
                follow_log,
                node.private_ip,
                node.agent_port,
                cluster.token,
                step_id,
                "controller",
                controller,
                follow=False,
            )
            assert b"Step succeeded with exitCode 0" in controller.data

            with pytest.raises(AgentUnreachable) as missing:
                await asyncio.to_thread(
                    follow_log,
                    node.private_ip,
                    node.agent_port,
                    cluster.token,
                    step_id,
                    "secrets",
                    _Recorder(),
                )
            assert missing.value.status_code == 404

    asyncio.run(scenario())


def test_node_directory_is_private(receiver: EventReceiver, tmp_path: Path) -> None:
    async def scenario() -> None:
        async with running_cluster(tmp_path, receiver.url) as cluster:
            node_dir = cluster.node_dir()
            assert stat.S_IMODE(node_dir.stat().st_mode) == 0o700
            assert stat.S_IMODE((node_dir / "agent.json").stat().st_mode) == 0o600
            assert cluster.token not in (node_dir / "logs" / "agent.log").read_text()

    asyncio.run(scenario())
