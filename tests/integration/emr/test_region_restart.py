"""The region server stops and crashes under live clusters: clean stops end them, crashes lose
nothing (agents keep running, the restarted server adopts them and their outboxes deliver)."""

from __future__ import annotations

import signal
import socket
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import RunningServer
from tests.integration.emr.conftest import (
    command_step,
    instance_groups,
    run_job_flow,
    wait_cluster,
    wait_step,
)
from tests.integration.emr.test_clusters import node_processes

pytestmark = pytest.mark.integration


def _free_port() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return str(probe.getsockname()[1])


def test_crash_and_restart_adopts_the_cluster_and_loses_no_step(
    server_factory: Callable[..., RunningServer], tmp_path: Path
) -> None:
    data_dir, port = tmp_path / "data", _free_port()
    first = server_factory(data_dir, "--port", port)
    emr = first.client("emr")
    cluster_id = run_job_flow(
        emr,
        Instances={"InstanceGroups": instance_groups(core=2, task=0),
                   "KeepJobFlowAliveWhenNoSteps": True},
    )  # fmt: skip
    wait_cluster(emr, cluster_id, "WAITING")
    # A step that is running when the server dies, and one still pending.
    running, pending = emr.add_job_flow_steps(
        JobFlowId=cluster_id,
        Steps=[command_step("slow", "bash", "-c", "sleep 3; echo slept"),
               command_step("next", "echo", "after")],
    )["StepIds"]  # fmt: skip
    instances = [i["Ec2InstanceId"] for i in emr.list_instances(ClusterId=cluster_id)["Instances"]]
    core = [
        i["Ec2InstanceId"]
        for i in emr.list_instances(ClusterId=cluster_id, InstanceGroupTypes=["CORE"])["Instances"]
    ]
    wait_step(emr, cluster_id, running, "RUNNING")
    assert first.stop(signal.SIGKILL) == -signal.SIGKILL
    # While the region is down, one core node dies too.
    for process in node_processes(cluster_id, [core[0]]):
        process.kill()
    assert len(node_processes(cluster_id, instances)) >= 2  # the others live on

    second = server_factory(data_dir, "--port", port)
    emr = second.client("emr")
    assert wait_step(emr, cluster_id, running)["Status"]["State"] == "COMPLETED"
    assert wait_step(emr, cluster_id, pending)["Status"]["State"] == "COMPLETED"
    states = {
        i["Ec2InstanceId"]: i["Status"]
        for i in emr.list_instances(ClusterId=cluster_id)["Instances"]
    }
    assert states[core[0]]["State"] == "TERMINATED"
    assert states[core[0]]["StateChangeReason"]["Code"] == "INSTANCE_FAILURE"
    assert states[core[1]]["State"] == "RUNNING"
    assert wait_cluster(emr, cluster_id, "WAITING")["Status"]["State"] == "WAITING"
    (after,) = emr.add_job_flow_steps(
        JobFlowId=cluster_id, Steps=[command_step("after-restart", "true")]
    )["StepIds"]
    assert wait_step(emr, cluster_id, after)["Status"]["State"] == "COMPLETED"
    emr.terminate_job_flows(JobFlowIds=[cluster_id])
    wait_cluster(emr, cluster_id, "TERMINATED")
    assert node_processes(cluster_id, instances) == []


def test_clean_stop_terminates_every_cluster(
    server_factory: Callable[..., RunningServer], tmp_path: Path
) -> None:
    data_dir, port = tmp_path / "data", _free_port()
    first = server_factory(data_dir, "--port", port)
    emr = first.client("emr")
    protected = run_job_flow(
        emr,
        Instances={"InstanceGroups": instance_groups(core=1, task=0),
                   "KeepJobFlowAliveWhenNoSteps": True, "TerminationProtected": True},
    )  # fmt: skip
    wait_cluster(emr, protected, "WAITING")
    instance_ids = [
        i["Ec2InstanceId"] for i in emr.list_instances(ClusterId=protected)["Instances"]
    ]
    assert len(node_processes(protected, instance_ids)) >= 2
    assert first.stop(signal.SIGTERM) == 0
    assert node_processes(protected, instance_ids) == []
    second = server_factory(data_dir, "--port", port)
    cluster = second.client("emr").describe_cluster(ClusterId=protected)["Cluster"]
    assert cluster["Status"]["State"] == "TERMINATED"
    assert cluster["Status"]["StateChangeReason"] == {
        "Code": "USER_REQUEST", "Message": "Terminated because the region server stopped"}  # fmt: skip
