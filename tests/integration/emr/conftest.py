"""The shared cluster of the run (1 master + 2 core + 1 task) and helpers to wait on clusters."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest

from tests.conftest import RunningServer

#: boto3's EMR waiters poll every 30 s (they are built for AWS); ours answer in seconds.
FAST_WAITER = {"Delay": 1, "MaxAttempts": 120}
DEADLINE_S = 90


def instance_groups(master: int = 1, core: int = 2, task: int = 1) -> list[dict[str, Any]]:
    groups: list[dict[str, Any]] = [
        {"Name": "Master", "InstanceRole": "MASTER", "InstanceType": "m5.xlarge",
         "InstanceCount": master},
    ]  # fmt: skip
    if core:
        groups.append({"Name": "Core", "InstanceRole": "CORE", "InstanceType": "m5.xlarge",
                       "InstanceCount": core})  # fmt: skip
    if task:
        groups.append({"Name": "Task", "InstanceRole": "TASK", "InstanceType": "m5.xlarge",
                       "InstanceCount": task})  # fmt: skip
    return groups


def run_job_flow(emr: Any, **overrides: Any) -> str:
    """RunJobFlow with the settings tests share; returns the cluster id."""
    request: dict[str, Any] = {
        "Name": "test",
        "ReleaseLabel": "emr-7.5.0",
        "Applications": [{"Name": "Spark"}, {"Name": "Hadoop"}],
        "Instances": {
            "InstanceGroups": instance_groups(core=0, task=0),
            "KeepJobFlowAliveWhenNoSteps": True,
        },
        "ServiceRole": "EMR_DefaultRole",
        "JobFlowRole": "EMR_EC2_DefaultRole",
    }
    request.update(overrides)
    return str(emr.run_job_flow(**request)["JobFlowId"])


@contextmanager
def dedicated_cluster(
    emr: Any, name: str, *, core: int, configurations: Sequence[dict[str, Any]] = ()
) -> Iterator[dict[str, Any]]:
    """A WAITING cluster of its own (1 master + `core` core nodes), terminated at the end;
    yields its DescribeCluster."""
    cluster_id = run_job_flow(
        emr,
        Name=name,
        Instances={
            "InstanceGroups": instance_groups(core=core, task=0),
            "KeepJobFlowAliveWhenNoSteps": True,
        },
        Configurations=list(configurations),
    )
    try:
        cluster = wait_cluster(emr, cluster_id, "WAITING", "TERMINATED_WITH_ERRORS")
        assert cluster["Status"]["State"] == "WAITING", cluster["Status"]
        yield cluster
    finally:
        emr.terminate_job_flows(JobFlowIds=[cluster_id])
        wait_cluster(emr, cluster_id, "TERMINATED", "TERMINATED_WITH_ERRORS")


def wait_cluster(emr: Any, cluster_id: str, *states: str) -> dict[str, Any]:
    """DescribeCluster until its state is one of `states` (fails after DEADLINE_S)."""
    deadline = time.monotonic() + DEADLINE_S
    while True:
        cluster: dict[str, Any] = emr.describe_cluster(ClusterId=cluster_id)["Cluster"]
        if cluster["Status"]["State"] in states:
            return cluster
        assert time.monotonic() < deadline, f"{cluster_id} stuck in {cluster['Status']}"
        time.sleep(0.1)


def wait_step(emr: Any, cluster_id: str, step_id: str, *states: str) -> dict[str, Any]:
    """DescribeStep until the step's state is one of `states` (any end state by default)."""
    wanted = states or ("COMPLETED", "FAILED", "CANCELLED", "INTERRUPTED")
    deadline = time.monotonic() + DEADLINE_S
    while True:
        step: dict[str, Any] = emr.describe_step(ClusterId=cluster_id, StepId=step_id)["Step"]
        if step["Status"]["State"] in wanted:
            return step
        assert time.monotonic() < deadline, f"{step_id} stuck in {step['Status']}"
        time.sleep(0.05)


def command_step(name: str, *args: str, action: str = "CONTINUE") -> dict[str, Any]:
    return {
        "Name": name,
        "ActionOnFailure": action,
        "HadoopJarStep": {"Jar": "command-runner.jar", "Args": list(args)},
    }


@dataclass(frozen=True)
class SharedCluster:
    """The run's long-running cluster and the bucket its logs go to."""

    cluster_id: str
    log_bucket: str
    emr: Any
    s3: Any


@pytest.fixture(scope="session")
def shared_cluster(region: RunningServer) -> Iterator[SharedCluster]:
    """1 master + 2 core + 1 task m5.xlarge, WAITING, logging to s3://<bucket>/logs/."""
    emr, s3 = region.client("emr"), region.client("s3")
    bucket = f"cluster-logs-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    cluster_id = run_job_flow(
        emr,
        Name="shared",
        LogUri=f"s3://{bucket}/logs/",
        Instances={"InstanceGroups": instance_groups(), "KeepJobFlowAliveWhenNoSteps": True},
    )
    wait_cluster(emr, cluster_id, "WAITING", "TERMINATED_WITH_ERRORS")
    yield SharedCluster(cluster_id, bucket, emr, s3)
    emr.terminate_job_flows(JobFlowIds=[cluster_id])
    wait_cluster(emr, cluster_id, "TERMINATED", "TERMINATED_WITH_ERRORS")
