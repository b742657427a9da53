"""A cluster's ResourceManager publishes EMR's metrics to the region's CloudWatch
(AWS/ElasticMapReduce, JobFlowId): read back with boto3 and the aws cli."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import RunningServer
from tests.integration.emr.conftest import (
    DEADLINE_S,
    command_step,
    instance_groups,
    run_job_flow,
    wait_cluster,
    wait_step,
)

pytestmark = pytest.mark.integration

AWS = Path(sys.executable).with_name("aws")
NAMESPACE = "AWS/ElasticMapReduce"
PERIOD_KEY = "emr.resourcemanager.cloudwatch.period-seconds"
NAMES = {
    "YARNMemoryAvailablePercentage", "ContainerAllocated", "ContainerReserved",
    "ContainerPending", "ContainerPendingRatio", "AppsRunning", "AppsPending", "AppsSubmitted",
    "AppsCompleted", "AppsFailed", "AppsKilled", "MemoryTotalMB", "MemoryAllocatedMB",
    "MemoryAvailableMB", "CoreNodesRunning", "TaskNodesRunning", "IsIdle",
}  # fmt: skip


@pytest.fixture(scope="module")
def metrics_cluster(region: RunningServer) -> Iterator[tuple[str, datetime]]:
    """1 master + 2 core + 1 task, WAITING, its RM publishing every second."""
    emr = region.client("emr")
    started = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=1)
    cluster_id = run_job_flow(
        emr,
        Name="metrics",
        Instances={"InstanceGroups": instance_groups(), "KeepJobFlowAliveWhenNoSteps": True},
        Configurations=[{"Classification": "yarn-site", "Properties": {PERIOD_KEY: "1"}}],
    )
    try:
        wait_cluster(emr, cluster_id, "WAITING")
        yield cluster_id, started
    finally:
        emr.terminate_job_flows(JobFlowIds=[cluster_id])
        wait_cluster(emr, cluster_id, "TERMINATED", "TERMINATED_WITH_ERRORS")
        emr.close()


def _statistics(cloudwatch: Any, cluster_id: str, name: str, since: datetime) -> dict[str, float]:
    """Minimum and Maximum of `name` since `since` (0 points: empty)."""
    points = cloudwatch.get_metric_statistics(
        Namespace=NAMESPACE,
        MetricName=name,
        Dimensions=[{"Name": "JobFlowId", "Value": cluster_id}],
        StartTime=since,
        EndTime=datetime.now(UTC) + timedelta(minutes=1),
        Period=60,
        Statistics=["Minimum", "Maximum", "SampleCount"],
    )["Datapoints"]
    if not points:
        return {}
    return {
        "Minimum": min(p["Minimum"] for p in points),
        "Maximum": max(p["Maximum"] for p in points),
        "SampleCount": sum(p["SampleCount"] for p in points),
    }


def test_the_resourcemanager_publishes_emr_metrics(
    region: RunningServer, metrics_cluster: tuple[str, datetime]
) -> None:
    cluster_id, since = metrics_cluster
    cloudwatch = region.client("cloudwatch")
    try:
        deadline = time.monotonic() + DEADLINE_S
        while True:  # the NodeManagers may register after the first publications
            core = _statistics(cloudwatch, cluster_id, "CoreNodesRunning", since)
            task = _statistics(cloudwatch, cluster_id, "TaskNodesRunning", since)
            if core.get("Maximum") == 2 and task.get("Maximum") == 1:
                break
            assert time.monotonic() < deadline, (core, task)
            time.sleep(0.5)
        total = _statistics(cloudwatch, cluster_id, "MemoryTotalMB", since)
        assert total["Maximum"] > 0
        assert _statistics(cloudwatch, cluster_id, "IsIdle", since)["Minimum"] == 1
        assert _statistics(cloudwatch, cluster_id, "AppsRunning", since)["Maximum"] == 0
        assert _statistics(cloudwatch, cluster_id, "AppsSubmitted", since)["Maximum"] == 0

        listed = cloudwatch.list_metrics(
            Namespace=NAMESPACE, Dimensions=[{"Name": "JobFlowId", "Value": cluster_id}]
        )["Metrics"]
        assert {m["MetricName"] for m in listed} == NAMES
        assert all(m["Dimensions"] == [{"Name": "JobFlowId", "Value": cluster_id}] for m in listed)
    finally:
        cloudwatch.close()


def test_is_idle_through_the_aws_cli(
    region: RunningServer, metrics_cluster: tuple[str, datetime]
) -> None:
    cluster_id, since = metrics_cluster
    end = datetime.now(UTC) + timedelta(minutes=1)
    deadline = time.monotonic() + DEADLINE_S
    while True:
        done = subprocess.run(
            [
                str(AWS), "cloudwatch", "get-metric-statistics",
                "--namespace", NAMESPACE, "--metric-name", "IsIdle",
                "--dimensions", f"Name=JobFlowId,Value={cluster_id}",
                "--start-time", since.isoformat(), "--end-time", end.isoformat(),
                "--period", "60", "--statistics", "Minimum", "Maximum",
                "--output", "json",
            ],
            env=region.cli_env(),
            capture_output=True,
            text=True,
            timeout=60,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        answer = json.loads(done.stdout)
        if answer["Datapoints"]:
            break
        assert time.monotonic() < deadline, answer
        time.sleep(0.5)
    assert answer["Label"] == "IsIdle"
    assert {(p["Minimum"], p["Maximum"]) for p in answer["Datapoints"]} == {(1.0, 1.0)}
    assert {p["Unit"] for p in answer["Datapoints"]} == {"None"}


def test_a_running_step_makes_the_cluster_busy(
    region: RunningServer, metrics_cluster: tuple[str, datetime]
) -> None:
    """A step that starts no YARN application still counts as work for IsIdle, as on EMR."""
    cluster_id, _ = metrics_cluster
    emr, cloudwatch = region.client("emr"), region.client("cloudwatch")
    try:
        since = datetime.now(UTC).replace(second=0, microsecond=0)
        [step_id] = emr.add_job_flow_steps(
            JobFlowId=cluster_id, Steps=[command_step("sleep", "sleep", "30")]
        )["StepIds"]
        wait_step(emr, cluster_id, step_id, "RUNNING")
        deadline = time.monotonic() + DEADLINE_S
        while _statistics(cloudwatch, cluster_id, "IsIdle", since).get("Minimum") != 0:
            assert time.monotonic() < deadline
            time.sleep(0.5)
        assert _statistics(cloudwatch, cluster_id, "AppsRunning", since)["Maximum"] == 0
        emr.cancel_steps(ClusterId=cluster_id, StepIds=[step_id])
        wait_step(emr, cluster_id, step_id, "CANCELLED", "FAILED")
    finally:
        emr.close()
        cloudwatch.close()
