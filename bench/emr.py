"""EMR clusters: RunJobFlow → WAITING for 1 master + 2 core + 1 task, and a step's round trip.

The anchor is AWS EMR, whose clusters take minutes to start (botocore's cluster_running waiter
polls every 30 s, for up to 30 minutes) and whose steps take seconds to be picked up; there is
no peer to run on this machine that starts real nodes, so the row's peer column holds the
issue's target (3 s to WAITING, 0.5 s per `echo` step) and the ratio says how far under it we
are. moto_server answers the same calls without starting anything; it is not a peer for this.
"""

from __future__ import annotations

import statistics
import time
from typing import Any

import boto3
from botocore.config import Config

from bench.harness import Endpoint, Result, emr_server

CLUSTERS = 3
STEPS = 20
TARGET_WAITING_S = 3.0
TARGET_STEP_S = 0.5
_POLL_S = 0.01


def _client(endpoint: Endpoint) -> Any:
    return boto3.Session(
        aws_access_key_id=endpoint.access_key,
        aws_secret_access_key=endpoint.secret_key,
        region_name="us-east-1",
    ).client("emr", endpoint_url=endpoint.url, config=Config(retries={"max_attempts": 1}))


def _groups() -> list[dict[str, Any]]:
    return [
        {"InstanceRole": role, "InstanceType": "m5.xlarge", "InstanceCount": count}
        for role, count in (("MASTER", 1), ("CORE", 2), ("TASK", 1))
    ]


def _until(call: Any, done: Any) -> dict[str, Any]:
    deadline = time.monotonic() + 120
    while True:
        result: dict[str, Any] = call()
        if done(result):
            return result
        if time.monotonic() > deadline:
            raise TimeoutError(str(result))
        time.sleep(_POLL_S)


def _to_waiting(emr: Any) -> tuple[float, str]:
    start = time.perf_counter()
    cluster_id = emr.run_job_flow(
        Name="bench",
        ReleaseLabel="emr-7.5.0",
        Instances={"InstanceGroups": _groups(), "KeepJobFlowAliveWhenNoSteps": True},
    )["JobFlowId"]
    cluster = _until(
        lambda: emr.describe_cluster(ClusterId=cluster_id)["Cluster"],
        lambda c: c["Status"]["State"] in ("WAITING", "TERMINATED_WITH_ERRORS"),
    )
    if cluster["Status"]["State"] != "WAITING":
        raise RuntimeError(f"cluster failed: {cluster['Status']}")
    return time.perf_counter() - start, cluster_id


def _step_round_trip(emr: Any, cluster_id: str) -> float:
    start = time.perf_counter()
    (step_id,) = emr.add_job_flow_steps(
        JobFlowId=cluster_id,
        Steps=[{"Name": "echo", "ActionOnFailure": "CONTINUE",
                "HadoopJarStep": {"Jar": "command-runner.jar", "Args": ["echo", "hi"]}}],
    )["StepIds"]  # fmt: skip
    step = _until(
        lambda: emr.describe_step(ClusterId=cluster_id, StepId=step_id)["Step"],
        lambda s: s["Status"]["State"] in ("COMPLETED", "FAILED", "CANCELLED"),
    )
    if step["Status"]["State"] != "COMPLETED":
        raise RuntimeError(f"step failed: {step['Status']}")
    return time.perf_counter() - start


def run() -> list[Result]:
    """Median seconds to WAITING over CLUSTERS clusters and per step over STEPS steps."""
    with emr_server() as ours:
        emr = _client(ours)
        startups: list[float] = []
        cluster_id = ""
        for n in range(CLUSTERS):
            seconds, cluster_id = _to_waiting(emr)
            startups.append(seconds)
            if n < CLUSTERS - 1:
                emr.terminate_job_flows(JobFlowIds=[cluster_id])
        _step_round_trip(emr, cluster_id)  # warm-up
        steps = [_step_round_trip(emr, cluster_id) for _ in range(STEPS)]
        emr.terminate_job_flows(JobFlowIds=[cluster_id])
    target = "target; AWS EMR: minutes"
    return [
        Result("emr RunJobFlow → WAITING, 1+2+1 m5.xlarge (median)", "s",
               statistics.median(startups), TARGET_WAITING_S, target, False),
        Result("emr AddJobFlowSteps → COMPLETED, echo (median)", "s",
               statistics.median(steps), TARGET_STEP_S, "target; AWS EMR: seconds", False),
    ]  # fmt: skip
