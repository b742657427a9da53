"""The clients people drive EMR with, unchanged: the aws cli (v1), the call sequence of Airflow's
EMR operators and sensors (replayed with boto3), and boto3's EMR waiters."""

from __future__ import annotations

import collections
import gzip
import json
import re
import shlex
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import WaiterError
from botocore.waiter import WaiterModel, create_waiter_with_client

from tests.conftest import RunningServer
from tests.integration.emr.conftest import (
    DEADLINE_S,
    FAST_WAITER,
    command_step,
    run_job_flow,
    wait_cluster,
    wait_step,
)

pytestmark = pytest.mark.integration

AWS = Path(sys.executable).with_name("aws")
STEP_ENDED = ("COMPLETED", "FAILED", "CANCELLED", "INTERRUPTED")


def aws(region: RunningServer, *args: str) -> Any:
    """Run `aws <args> --output json` as after `eval "$(emr env)"`; its parsed output."""
    done = subprocess.run(
        [str(AWS), *args, "--output", "json"],
        env=region.cli_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, f"aws {shlex.join(args)}: {done.stderr}"
    return json.loads(done.stdout) if done.stdout.strip() else None


def aws_wait_step(region: RunningServer, cluster_id: str, step_id: str) -> dict[str, Any]:
    """`aws emr describe-step` until the step ended (`aws emr wait` polls every 30 s)."""
    deadline = time.monotonic() + DEADLINE_S
    while True:
        args = ("emr", "describe-step", "--cluster-id", cluster_id, "--step-id", step_id)
        step: dict[str, Any] = aws(region, *args)["Step"]
        if step["Status"]["State"] in STEP_ENDED:
            return step
        assert time.monotonic() < deadline, f"{step_id} stuck in {step['Status']}"
        time.sleep(0.2)


def aws_wait_cluster(region: RunningServer, cluster_id: str, *states: str) -> dict[str, Any]:
    deadline = time.monotonic() + DEADLINE_S
    while True:
        cluster: dict[str, Any] = aws(
            region, "emr", "describe-cluster", "--cluster-id", cluster_id
        )["Cluster"]
        if cluster["Status"]["State"] in states:
            return cluster
        assert time.monotonic() < deadline, f"{cluster_id} stuck in {cluster['Status']}"
        time.sleep(0.2)


def end_cluster(emr: Any, cluster_id: str) -> None:
    """Terminate a test's cluster (a no-op once it ended) and wait until it did."""
    emr.terminate_job_flows(JobFlowIds=[cluster_id])
    wait_cluster(emr, cluster_id, "TERMINATED", "TERMINATED_WITH_ERRORS")


# --- the aws cli ------------------------------------------------------------------------------

#: As typed in a shell, from the EMR getting-started guide minus the roles: the aws cli v1
#: demands none (real EMR would refuse a cluster without ServiceRole and instance profile).
CREATE_CLUSTER = (
    "emr create-cluster --release-label emr-7.5.0 --applications Name=Spark "
    "--instance-type m5.xlarge --instance-count 3 "
    '--steps Type=CUSTOM_JAR,Name=x,Jar=command-runner.jar,Args=[bash,-c,"echo hi"]'
)


def test_aws_cli_create_cluster_add_steps_and_terminate(region: RunningServer) -> None:
    created = aws(region, *shlex.split(CREATE_CLUSTER))
    cluster_id = created["ClusterId"]
    assert created["ClusterArn"].endswith(f":cluster/{cluster_id}")
    try:
        (listed,) = aws(region, "emr", "list-steps", "--cluster-id", cluster_id)["Steps"]
        first = aws_wait_step(region, cluster_id, listed["Id"])
        assert first["Name"] == "x"
        assert first["Status"]["State"] == "COMPLETED", first["Status"]
        assert first["ActionOnFailure"] == "CONTINUE"  # the aws cli's default for CUSTOM_JAR
        assert first["Config"]["Jar"] == "command-runner.jar"
        assert first["Config"]["Args"] == ["bash", "-c", "echo hi"]

        added = aws(
            region, "emr", "add-steps", "--cluster-id", cluster_id,
            "--steps", "Type=CUSTOM_JAR,Name=y,Jar=command-runner.jar,Args=[bash,-c,exit 0]",
        )  # fmt: skip
        (step_id,) = added["StepIds"]
        second = aws_wait_step(region, cluster_id, step_id)
        assert (second["Name"], second["Status"]["State"]) == ("y", "COMPLETED")
        assert second["Config"]["Args"] == ["bash", "-c", "exit 0"]

        # The cli's describe-cluster adds ListInstanceGroups and ListBootstrapActions to it.
        cluster = aws_wait_cluster(region, cluster_id, "WAITING")
        assert cluster["Name"] == "Development Cluster"  # the aws cli's default name
        assert cluster["AutoTerminate"] is False  # the aws cli keeps a cluster alive by default
        assert cluster["Status"]["StateChangeReason"]["Message"] == (
            "Cluster ready after last step completed."
        )
        groups = {g["InstanceGroupType"]: g for g in cluster["InstanceGroups"]}
        assert {role: g["RunningInstanceCount"] for role, g in groups.items()} == {
            "MASTER": 1, "CORE": 2}  # fmt: skip
        assert {g["InstanceType"] for g in groups.values()} == {"m5.xlarge"}
        assert [a["Name"] for a in cluster["Applications"]] == ["Hadoop", "Spark"]

        active = aws(region, "emr", "list-clusters", "--active")["Clusters"]
        assert {c["Id"]: c["Status"]["State"] for c in active}[cluster_id] == "WAITING"
        # The cli's waiters check once before their first 30 s sleep: these return at once.
        aws(region, "emr", "wait", "cluster-running", "--cluster-id", cluster_id)
        aws(region, "emr", "wait", "step-complete", "--cluster-id", cluster_id,
            "--step-id", step_id)  # fmt: skip

        check_spark_and_streaming_steps(region, cluster_id)

        assert aws(region, "emr", "terminate-clusters", "--cluster-ids", cluster_id) is None
        ended = aws_wait_cluster(region, cluster_id, "TERMINATED", "TERMINATED_WITH_ERRORS")
        assert ended["Status"]["State"] == "TERMINATED"
        assert ended["Status"]["StateChangeReason"]["Code"] == "USER_REQUEST"
        aws(region, "emr", "wait", "cluster-terminated", "--cluster-id", cluster_id)
        active = aws(region, "emr", "list-clusters", "--active")["Clusters"]
        assert cluster_id not in {c["Id"] for c in active}
    finally:
        end_cluster(region.client("emr"), cluster_id)


#: EMR's sample streaming mapper (wordSplitter.py): words for `-reducer aggregate`.
WORD_SPLITTER = """#!/usr/bin/env python3
import re, sys
for line in sys.stdin:
    for word in re.findall(r"[A-Za-z]+", line):
        print("LongValueSum:" + word.lower() + "\\t1")
"""


def check_spark_and_streaming_steps(region: RunningServer, cluster_id: str) -> None:
    """The cli turns Type=Spark and Type=STREAMING into command-runner.jar steps (after a
    DescribeCluster to learn the release). The streaming step is EMR's classic sample: a
    Python word splitter shipped with -files from S3 and `-reducer aggregate`, input and
    output on S3. The Spark step names a jar that does not exist: it fails with Spark's words
    for that (tests/integration/emr/test_spark.py runs real Spark steps)."""
    s3 = region.client("s3")
    bucket = f"wordcount-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    texts = ["The cat sat on the mat.\nThe end.\n", "A cat, a hat; THE cat!\n"]
    for index, text in enumerate(texts):
        s3.put_object(Bucket=bucket, Key=f"wordcount/input/part-{index}", Body=text.encode())
    s3.put_object(Bucket=bucket, Key="wordcount/wordSplitter.py", Body=WORD_SPLITTER.encode())
    data = f"s3://{bucket}/wordcount"
    spark = (
        "Type=Spark,Name=spark-pi,ActionOnFailure=CONTINUE,Args=[--deploy-mode,cluster,"
        "--class,org.apache.spark.examples.SparkPi,s3://example-bucket/jars/examples.jar,10]"
    )
    streaming = (
        f"Type=STREAMING,Name=wordcount,Args=[-files,{data}/wordSplitter.py,-mapper,"
        f"wordSplitter.py,-reducer,aggregate,-input,{data}/input,-output,{data}/output]"
    )
    added = aws(region, "emr", "add-steps", "--cluster-id", cluster_id, "--steps", spark, streaming)
    spark_id, streaming_id = added["StepIds"]

    step = aws_wait_step(region, cluster_id, spark_id)
    assert step["Config"]["Jar"] == "command-runner.jar"
    assert step["Config"]["Args"] == [
        "spark-submit", "--deploy-mode", "cluster", "--class",
        "org.apache.spark.examples.SparkPi", "s3://example-bucket/jars/examples.jar", "10",
    ]  # fmt: skip
    assert step["ActionOnFailure"] == "CONTINUE"
    assert step["Status"]["State"] == "FAILED"
    message = step["Status"]["FailureDetails"]["Message"]
    assert "org.apache.spark.SparkException: " in message, message
    assert "s3://example-bucket/jars/examples.jar" in message, message

    step = aws_wait_step(region, cluster_id, streaming_id)
    assert step["Config"]["Jar"] == "command-runner.jar"
    assert step["Config"]["Args"] == [
        "hadoop-streaming", "-files", f"{data}/wordSplitter.py", "-mapper", "wordSplitter.py",
        "-reducer", "aggregate", "-input", f"{data}/input", "-output", f"{data}/output",
    ]  # fmt: skip
    assert step["Status"]["State"] == "COMPLETED", step["Status"]
    listed = s3.list_objects_v2(Bucket=bucket, Prefix="wordcount/output/")["Contents"]
    names = sorted(o["Key"].rsplit("/", 1)[1] for o in listed)
    assert "_SUCCESS" in names and all(n.startswith(("part-", "_SUCCESS")) for n in names)
    counts: dict[str, int] = {}
    for name in names:
        if name.startswith("part-"):
            body = s3.get_object(Bucket=bucket, Key=f"wordcount/output/{name}")["Body"].read()
            for line in body.decode().splitlines():
                word, count = line.split("\t")
                counts[word] = int(count)
    words = re.findall(r"[a-z]+", "".join(texts).lower())
    assert counts == dict(collections.Counter(words))
    assert aws_wait_cluster(region, cluster_id, "WAITING")["Status"]["State"] == "WAITING"


# --- Airflow's EMR operators and sensors ------------------------------------------------------
#
# apache-airflow-providers-amazon: EmrCreateJobFlowOperator, EmrModifyClusterOperator,
# EmrAddStepsOperator, EmrStepSensor, EmrJobFlowSensor and EmrTerminateJobFlowOperator, the
# calls they make in the order they make them, and the response fields they read.

#: Two of the provider's own waiters (waiters/emr.json), as its operators load them.
AIRFLOW_WAITERS = WaiterModel(
    {
        "version": 2,
        "waiters": {
            "job_flow_waiting": {
                "operation": "DescribeCluster", "delay": 1, "maxAttempts": 120,
                "acceptors": [
                    {"matcher": "path", "argument": "Cluster.Status.State",
                     "expected": state, "state": outcome}
                    for state, outcome in [("WAITING", "success"), ("RUNNING", "success"),
                                           ("TERMINATED", "success"),
                                           ("TERMINATED_WITH_ERRORS", "failure")]
                ],
            },
            "steps_wait_for_terminal": {
                "operation": "ListSteps", "delay": 1, "maxAttempts": 120,
                "acceptors": [
                    {"matcher": "pathAll", "argument": "Steps[].Status.State",
                     "expected": "COMPLETED", "state": "success"},
                    *[{"matcher": "pathAny", "argument": "Steps[].Status.State",
                       "expected": state, "state": "failure"}
                      for state in ("CANCELLED", "FAILED", "INTERRUPTED")],
                ],
            },
        },
    }
)  # fmt: skip


def airflow_log_uri(emr: Any, job_flow_id: str) -> str | None:
    """links.emr.get_log_uri: every operator and sensor reads Cluster.LogUri first."""
    cluster = emr.describe_cluster(ClusterId=job_flow_id)["Cluster"]
    return cluster.get("LogUri")


def airflow_sensor(
    poke: Callable[[], dict[str, Any]],
    state_of: Callable[[dict[str, Any]], str],
    target: tuple[str, ...],
    failed: tuple[str, ...],
) -> tuple[str, dict[str, Any]]:
    """EmrBaseSensor.poke until a target state, or a failed state (where the sensor raises)."""
    deadline = time.monotonic() + DEADLINE_S
    while True:
        response = poke()
        assert response["ResponseMetadata"]["HTTPStatusCode"] == 200
        state = state_of(response)
        if state in target or state in failed:
            return state, response
        assert time.monotonic() < deadline, f"sensor stuck in {state}"
        time.sleep(0.2)


def test_airflow_emr_operators_call_sequence(region: RunningServer, tmp_path: Path) -> None:
    emr, s3 = region.client("emr"), region.client("s3")
    bucket = f"airflow-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    name = f"airflow-emr-{uuid.uuid4().hex[:8]}"
    # The DAG's first step stands for upstream work: it runs until the test opens the gate, so
    # the transient cluster (KeepJobFlowAliveWhenNoSteps False) lives until steps were added.
    gate = tmp_path / "gate"
    wait_for_gate = f"for i in $(seq 600); do [ -e {gate} ] && exit 0; sleep 0.1; done; exit 1"
    job_flow_overrides: dict[str, Any] = {
        "Name": name,
        "ReleaseLabel": "emr-7.5.0",
        "Applications": [{"Name": "Spark"}],
        "LogUri": f"s3://{bucket}/emr-logs/",
        "Instances": {
            "InstanceGroups": [
                {"Name": "Primary node", "Market": "ON_DEMAND", "InstanceRole": "MASTER",
                 "InstanceType": "m5.xlarge", "InstanceCount": 1},
                {"Name": "Core nodes", "Market": "ON_DEMAND", "InstanceRole": "CORE",
                 "InstanceType": "m5.xlarge", "InstanceCount": 1},
            ],
            "KeepJobFlowAliveWhenNoSteps": False,
            "TerminationProtected": False,
        },
        "Steps": [command_step("upstream", "bash", "-c", wait_for_gate)],
        "JobFlowRole": "EMR_EC2_DefaultRole",
        "ServiceRole": "EMR_DefaultRole",
        "Tags": [{"Key": "airflow-dag", "Value": "emr_example"}],
    }  # fmt: skip

    # EmrCreateJobFlowOperator(wait_for_completion=True): RunJobFlow, the log link, then the
    # provider's job_flow_waiting waiter.
    response = emr.run_job_flow(**job_flow_overrides)
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 200
    job_flow_id = response["JobFlowId"]
    try:
        assert airflow_log_uri(emr, job_flow_id) == f"s3://{bucket}/emr-logs/"
        waiter = create_waiter_with_client("job_flow_waiting", AIRFLOW_WAITERS, emr)
        waiter.wait(ClusterId=job_flow_id)
        cluster = emr.describe_cluster(ClusterId=job_flow_id)["Cluster"]
        assert cluster["Status"]["State"] == "RUNNING"  # the upstream step runs
        assert cluster["ServiceRole"] == "EMR_DefaultRole"
        assert cluster["Ec2InstanceAttributes"]["IamInstanceProfile"] == "EMR_EC2_DefaultRole"
        assert cluster["Tags"] == [{"Key": "airflow-dag", "Value": "emr_example"}]
        groups = emr.list_instance_groups(ClusterId=job_flow_id)["InstanceGroups"]
        assert {(g["Name"], g["Market"]) for g in groups} == {
            ("Primary node", "ON_DEMAND"), ("Core nodes", "ON_DEMAND")}  # fmt: skip

        # EmrModifyClusterOperator: the log link, ModifyCluster, reads StepConcurrencyLevel.
        assert airflow_log_uri(emr, job_flow_id) is not None
        modified = emr.modify_cluster(ClusterId=job_flow_id, StepConcurrencyLevel=2)
        assert modified["ResponseMetadata"]["HTTPStatusCode"] == 200
        assert modified["StepConcurrencyLevel"] == 2

        # EmrAddStepsOperator(job_flow_name=…, wait_for_completion=True): EmrHook's
        # get_cluster_id_by_name pages ListClusters by state and matches the name.
        cluster_states = ["STARTING", "BOOTSTRAPPING", "RUNNING", "WAITING"]
        pages = emr.get_paginator("list_clusters").paginate(ClusterStates=cluster_states)
        matching = [c for page in pages for c in page["Clusters"] if c["Name"] == name]
        assert [c["Id"] for c in matching] == [job_flow_id]
        assert airflow_log_uri(emr, job_flow_id) is not None
        steps = [
            command_step("transform", "bash", "-c", "echo transformed"),
            command_step("load", "bash", "-c", "echo 'Table not found: sales' >&2; exit 2"),
        ]
        added = emr.add_job_flow_steps(JobFlowId=job_flow_id, Steps=steps)
        assert added["ResponseMetadata"]["HTTPStatusCode"] == 200
        transform, load = added["StepIds"]
        step_complete = emr.get_waiter("step_complete")
        step_complete.wait(ClusterId=job_flow_id, StepId=transform, WaiterConfig=FAST_WAITER)
        with pytest.raises(WaiterError, match="terminal failure state"):
            step_complete.wait(ClusterId=job_flow_id, StepId=load, WaiterConfig=FAST_WAITER)
        # On a WaiterError the hook describes the step and logs its FailureDetails.
        failure = emr.describe_step(ClusterId=job_flow_id, StepId=load)["Step"]["Status"]
        assert failure["FailureDetails"]["Message"] == "Table not found: sales"
        # The deferrable trigger's waiter: ListSteps of those steps, any failed → failure.
        terminal = create_waiter_with_client("steps_wait_for_terminal", AIRFLOW_WAITERS, emr)
        with pytest.raises(WaiterError, match="terminal failure state"):
            terminal.wait(ClusterId=job_flow_id, StepIds=[transform, load])
        terminal.wait(ClusterId=job_flow_id, StepIds=[transform])

        # EmrStepSensor: DescribeStep (+ the log link) until COMPLETED, or FAILED, CANCELLED,
        # INTERRUPTED where it raises with FailureDetails' Reason, Message and LogFile.
        def step_sensor(step_id: str) -> tuple[str, dict[str, Any]]:
            def poke() -> dict[str, Any]:
                response = emr.describe_step(ClusterId=job_flow_id, StepId=step_id)
                airflow_log_uri(emr, job_flow_id)
                return dict(response)

            return airflow_sensor(
                poke, lambda r: r["Step"]["Status"]["State"],
                ("COMPLETED",), ("CANCELLED", "FAILED", "INTERRUPTED"),
            )  # fmt: skip

        assert step_sensor(transform)[0] == "COMPLETED"
        state, response = step_sensor(load)
        assert state == "FAILED"
        details = response["Step"]["Status"]["FailureDetails"]
        log_key = f"emr-logs/{job_flow_id}/steps/{load}/stderr.gz"
        assert details["Reason"]
        assert details["Message"] == "Table not found: sales"
        assert details["LogFile"] == f"s3://{bucket}/{log_key}"
        stderr = s3.get_object(Bucket=bucket, Key=log_key)["Body"].read()
        assert gzip.decompress(stderr) == b"Table not found: sales\n"
        listed = emr.list_steps(ClusterId=job_flow_id)["Steps"]
        assert [(s["Name"], s["Status"]["State"]) for s in listed] == [
            ("load", "FAILED"), ("transform", "COMPLETED"), ("upstream", "RUNNING")]  # fmt: skip

        # Upstream work ends; no step is left, so the transient cluster ends on its own, and
        # EmrJobFlowSensor (target TERMINATED, failed TERMINATED_WITH_ERRORS) reads the reason.
        gate.touch()
        state, response = airflow_sensor(
            lambda: dict(emr.describe_cluster(ClusterId=job_flow_id)),
            lambda r: r["Cluster"]["Status"]["State"],
            ("TERMINATED",), ("TERMINATED_WITH_ERRORS",),
        )  # fmt: skip
        assert state == "TERMINATED_WITH_ERRORS"  # as EMR: a step failed on the way
        reason = response["Cluster"]["Status"]["StateChangeReason"]
        assert (reason["Code"], reason["Message"]) == (
            "ALL_STEPS_COMPLETED", "Steps completed with errors")  # fmt: skip
        assert response["Cluster"]["LogUri"] == f"s3://{bucket}/emr-logs/"

        # EmrTerminateJobFlowOperator (trigger_rule all_done): harmless on an ended cluster.
        ended = emr.terminate_job_flows(JobFlowIds=[job_flow_id])
        assert ended["ResponseMetadata"]["HTTPStatusCode"] == 200
        states = {
            s["Name"]: s["Status"]["State"] for s in emr.list_steps(ClusterId=job_flow_id)["Steps"]
        }
        assert states == {"upstream": "COMPLETED", "transform": "COMPLETED", "load": "FAILED"}
    finally:
        gate.touch()
        end_cluster(emr, job_flow_id)


# --- boto3's waiters --------------------------------------------------------------------------


def test_boto3_waiters(region: RunningServer) -> None:
    emr = region.client("emr")
    cluster_id = run_job_flow(emr, Name="waiters")
    try:
        emr.get_waiter("cluster_running").wait(ClusterId=cluster_id, WaiterConfig=FAST_WAITER)
        state = emr.describe_cluster(ClusterId=cluster_id)["Cluster"]["Status"]["State"]
        assert state in ("RUNNING", "WAITING")
        steps = [command_step("sleeps", "sleep", "1"), command_step("fails", "false")]
        sleeps, fails = emr.add_job_flow_steps(JobFlowId=cluster_id, Steps=steps)["StepIds"]
        step_complete = emr.get_waiter("step_complete")
        step_complete.wait(ClusterId=cluster_id, StepId=sleeps, WaiterConfig=FAST_WAITER)
        assert wait_step(emr, cluster_id, sleeps)["Status"]["State"] == "COMPLETED"
        with pytest.raises(WaiterError, match="terminal failure state"):
            step_complete.wait(ClusterId=cluster_id, StepId=fails, WaiterConfig=FAST_WAITER)
    finally:
        emr.terminate_job_flows(JobFlowIds=[cluster_id])
    emr.get_waiter("cluster_terminated").wait(ClusterId=cluster_id, WaiterConfig=FAST_WAITER)
    assert emr.describe_cluster(ClusterId=cluster_id)["Cluster"]["Status"]["State"] == (
        "TERMINATED"
    )
    # A terminated cluster never runs again.
    with pytest.raises(WaiterError, match="terminal failure state"):
        emr.get_waiter("cluster_running").wait(ClusterId=cluster_id, WaiterConfig=FAST_WAITER)
