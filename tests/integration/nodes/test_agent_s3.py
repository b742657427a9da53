"""Agents and S3 on a real region: scripts fetched from s3://, logs uploaded to the LogUri.

Events still go to a recording receiver (the region's events side is built elsewhere); the
receiver forwards every other request to the region, so the agent's S3 calls reach the real
S3 through the cluster's endpoint URL, signed with real credentials.
"""

from __future__ import annotations

import asyncio
import gzip
import io
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from emr.nodes.client import exec_on_node
from emr.nodes.protocol import (
    AgentRegistered,
    BootstrapAction,
    BootstrapCompleted,
    BootstrapFailed,
    StepExited,
    StepRequest,
)
from tests.conftest import RunningServer
from tests.integration.nodes.conftest import EventReceiver, new_id, running_cluster

pytestmark = pytest.mark.integration

SCRIPT_RUNNER = "s3://us-east-1.elasticmapreduce/libs/script-runner/script-runner.jar"


@pytest.fixture
def proxy(region: RunningServer) -> Iterator[EventReceiver]:
    receiver = EventReceiver(upstream=region.url)
    receiver.start()
    yield receiver
    receiver.stop()


@pytest.fixture
def bucket(region: RunningServer) -> str:
    name = f"nodes-{uuid.uuid4().hex[:12]}"
    region.client("s3").create_bucket(Bucket=name)
    return name


def _gunzip(s3: Any, bucket: str, key: str) -> bytes:
    body = s3.get_object(Bucket=bucket, Key=key)["Body"]
    with body:
        return gzip.decompress(body.read())


def test_step_logs_go_to_the_log_uri(
    region: RunningServer, proxy: EventReceiver, bucket: str, tmp_path: Path
) -> None:
    s3 = region.client("s3")
    s3.put_object(Bucket=bucket, Key="scripts/step.sh", Body=b'#!/bin/sh\necho "script $1"\n')
    credentials = {
        "access_key_id": region.env["AWS_ACCESS_KEY_ID"],
        "secret_access_key": region.env["AWS_SECRET_ACCESS_KEY"],
    }

    async def scenario() -> None:
        # s3n:// and no trailing slash: both normalised as EMR does.
        async with running_cluster(
            tmp_path, proxy.url, log_uri=f"s3n://{bucket}/logs", **credentials
        ) as cluster:
            await proxy.wait_for(cluster.cluster_id, lambda e: isinstance(e, AgentRegistered))
            failing, scripted = new_id("s"), new_id("s")
            async with cluster.client() as agent:
                await agent.run_step(
                    StepRequest(
                        step_id=failing,
                        name="f",
                        jar="command-runner.jar",
                        args=["bash", "-c", "echo out; echo 'it failed' >&2; exit 5"],
                    )
                )
                await agent.run_step(
                    StepRequest(
                        step_id=scripted,
                        name="s",
                        jar=SCRIPT_RUNNER,
                        args=[f"s3://{bucket}/scripts/step.sh", "arg1"],
                    )
                )
            exits = {}
            for step_id in (failing, scripted):
                (event,) = await proxy.wait_for(
                    cluster.cluster_id,
                    lambda e, s=step_id: isinstance(e, StepExited) and e.step_id == s,
                )
                assert isinstance(event, StepExited)
                exits[step_id] = event

            prefix = f"logs/{cluster.cluster_id}/steps/{failing}/"
            failure = exits[failing].failure
            assert failure is not None
            assert failure.message == "it failed"
            assert failure.log_file == f"s3://{bucket}/{prefix}stderr.gz"
            listed = s3.list_objects_v2(Bucket=bucket, Prefix=prefix)["Contents"]
            assert sorted(o["Key"] for o in listed) == [
                f"{prefix}{name}.gz" for name in ("controller", "stderr", "stdout", "syslog")
            ]
            assert _gunzip(s3, bucket, f"{prefix}stdout.gz") == b"out\n"
            assert _gunzip(s3, bucket, f"{prefix}syslog.gz") == b""
            controller = _gunzip(s3, bucket, f"{prefix}controller.gz").decode()
            assert "WARN Step failed with exitCode 5" in controller

            assert exits[scripted].exit_code == 0
            stdout = f"logs/{cluster.cluster_id}/steps/{scripted}/stdout.gz"
            assert _gunzip(s3, bucket, stdout) == b"script arg1\n"

            # The node's aws cli reaches the region with the cluster's credentials.
            out, err = io.BytesIO(), io.BytesIO()
            master = cluster.master
            code = await asyncio.to_thread(
                exec_on_node,
                master.private_ip,
                master.agent_port,
                cluster.token,
                ["aws", "s3", "ls", f"s3://{bucket}/scripts/"],
                None,
                out,
                err,
            )
            assert code == 0, err.getvalue()
            assert b"step.sh" in out.getvalue()

    asyncio.run(scenario())


def test_bootstrap_action_from_s3(
    region: RunningServer, proxy: EventReceiver, bucket: str, tmp_path: Path
) -> None:
    s3 = region.client("s3")
    s3.put_object(Bucket=bucket, Key="bootstrap/setup.sh", Body=b'#!/bin/bash\necho "set up $*"\n')
    credentials = {
        "access_key_id": region.env["AWS_ACCESS_KEY_ID"],
        "secret_access_key": region.env["AWS_SECRET_ACCESS_KEY"],
    }

    async def scenario() -> None:
        async with running_cluster(
            tmp_path, proxy.url, ("MASTER", "CORE"), log_uri=f"s3://{bucket}/", **credentials
        ) as cluster:
            await proxy.wait_for(
                cluster.cluster_id, lambda e: isinstance(e, AgentRegistered), count=2
            )
            master, core = cluster.nodes
            async with cluster.client(master) as agent:
                await agent.bootstrap(
                    [
                        BootstrapAction(
                            name="setup", path=f"s3://{bucket}/bootstrap/setup.sh", args=["x", "y"]
                        )
                    ]
                )
            async with cluster.client(core) as agent:
                await agent.bootstrap(
                    [BootstrapAction(name="missing", path=f"s3://{bucket}/bootstrap/nope.sh")]
                )
            events = await proxy.wait_for(
                cluster.cluster_id,
                lambda e: isinstance(e, BootstrapCompleted | BootstrapFailed),
                count=2,
            )
            outcomes = {e.instance_id: e for e in events}
            assert isinstance(outcomes[master.instance_id], BootstrapCompleted)
            failed = outcomes[core.instance_id]
            assert isinstance(failed, BootstrapFailed)
            assert failed.action_index == 1
            assert failed.message == (
                "failed attempting to download bootstrap action 1 file from S3"
            )

            key = f"{cluster.cluster_id}/node/{master.instance_id}/bootstrap-actions/1/stdout.gz"
            assert _gunzip(s3, bucket, key) == b"set up x y\n"
            local = cluster.node_dir(master) / "logs" / "bootstrap-actions" / "1" / "stdout"
            assert local.read_text() == "set up x y\n"

    asyncio.run(scenario())
