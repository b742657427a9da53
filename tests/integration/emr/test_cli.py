"""The `emr` cluster commands: create-cluster, add-steps, list-clusters, describe-cluster, ssh,
logs and terminate, run as a user runs them, against the region of the test run."""

from __future__ import annotations

import gzip
import json
import re
import select
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import RunningServer, emr_command
from tests.integration.emr.conftest import (
    command_step,
    instance_groups,
    run_job_flow,
    wait_cluster,
    wait_step,
)

pytestmark = pytest.mark.integration


def emr(
    region: RunningServer, command: str, *args: str, **kwargs: Any
) -> subprocess.CompletedProcess[str]:
    """`emr <command> --data-dir <the region's> <args>`; input, if any, must be given."""
    kwargs.setdefault("stdin", None if "input" in kwargs else subprocess.DEVNULL)
    return emr_command(command, "--data-dir", str(region.data_dir), *args, **kwargs)


@pytest.fixture(scope="module")
def cluster(region: RunningServer) -> Iterator[str]:
    """A 1 master + 1 core cluster for ssh and logs. (Not the run's shared cluster: a test
    there expects to be the first to see it.)"""
    emr_client = region.client("emr")
    cluster_id = run_job_flow(
        emr_client,
        Name="cli",
        Instances={"InstanceGroups": instance_groups(core=1, task=0),
                   "KeepJobFlowAliveWhenNoSteps": True},
    )  # fmt: skip
    try:
        wait_cluster(emr_client, cluster_id, "WAITING")
        yield cluster_id
    finally:
        emr_client.terminate_job_flows(JobFlowIds=[cluster_id])
        wait_cluster(emr_client, cluster_id, "TERMINATED", "TERMINATED_WITH_ERRORS")


def instance_id(region: RunningServer, cluster_id: str, role: str) -> str:
    listed = region.client("emr").list_instances(ClusterId=cluster_id, InstanceGroupTypes=[role])
    (instance,) = listed["Instances"]
    return str(instance["Ec2InstanceId"])


def test_create_add_steps_list_describe_and_terminate(region: RunningServer) -> None:
    s3, boto_emr = region.client("s3"), region.client("emr")
    bucket = f"cli-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    created = emr(
        region, "create-cluster", "--instance-count", "2", "--log-uri", f"s3://{bucket}/logs/"
    )
    assert created.returncode == 0, created.stderr
    cluster_id = created.stdout.strip()
    assert re.fullmatch(r"j-[0-9A-Z]+", cluster_id), created.stdout
    try:
        assert f"{cluster_id}: WAITING" in created.stderr  # it waited, showing the states
        described = boto_emr.describe_cluster(ClusterId=cluster_id)["Cluster"]
        assert described["Status"]["State"] == "WAITING"
        assert described["LogUri"] == f"s3://{bucket}/logs/"
        assert len(boto_emr.list_instances(ClusterId=cluster_id)["Instances"]) == 2

        listed = emr(region, "list-clusters", "--active")
        assert listed.returncode == 0, listed.stderr
        (line,) = [row for row in listed.stdout.splitlines() if row.startswith(cluster_id)]
        assert line.split()[:2] == [cluster_id, "WAITING"]

        shown = emr(region, "describe-cluster", cluster_id)
        assert shown.returncode == 0, shown.stderr
        cluster = json.loads(shown.stdout)["Cluster"]
        assert (cluster["Id"], cluster["Status"]["State"]) == (cluster_id, "WAITING")

        ok = emr(region, "add-steps", cluster_id, "--wait", "--", "bash", "-c", "echo hi")
        assert ok.returncode == 0, ok.stderr
        step_id = ok.stdout.strip()
        assert f"{step_id}: COMPLETED" in ok.stderr
        body = s3.get_object(Bucket=bucket, Key=f"logs/{cluster_id}/steps/{step_id}/stdout.gz")
        assert gzip.decompress(body["Body"].read()) == b"hi\n"

        failing = emr(region, "add-steps", cluster_id, "--wait", "--",
                      "bash", "-c", "echo no such table >&2; exit 3")  # fmt: skip
        assert failing.returncode == 1
        failed_id = failing.stdout.strip()
        assert f"{failed_id}: FAILED" in failing.stderr
        assert "no such table" in failing.stderr  # the step's FailureDetails message
        step = boto_emr.describe_step(ClusterId=cluster_id, StepId=failed_id)["Step"]
        assert step["Status"]["State"] == "FAILED"

        terminated = emr(region, "terminate", cluster_id)
        assert terminated.returncode == 0, terminated.stderr
        assert f"{cluster_id}: TERMINATED" in terminated.stderr
        state = boto_emr.describe_cluster(ClusterId=cluster_id)["Cluster"]["Status"]["State"]
        assert state == "TERMINATED"  # terminate returned once it was over
        listed = emr(region, "list-clusters")
        assert f"{cluster_id}  TERMINATED " in listed.stdout

        # The master is gone; its step logs are still read from the node's directory.
        after = emr(region, "logs", cluster_id, step_id)
        assert (after.returncode, after.stdout) == (0, "hi\n"), after.stderr
        gone = emr(region, "ssh", cluster_id, "--", "true")
        assert gone.returncode == 255
        assert gone.stderr.startswith("emr: node i-") and "is terminated" in gone.stderr
    finally:
        boto_emr.terminate_job_flows(JobFlowIds=[cluster_id])
        wait_cluster(boto_emr, cluster_id, "TERMINATED", "TERMINATED_WITH_ERRORS")


def test_ssh_runs_on_a_node_with_its_exit_code(region: RunningServer, cluster: str) -> None:
    cluster_id = cluster
    master = instance_id(region, cluster_id, "MASTER")
    core = instance_id(region, cluster_id, "CORE")
    script = "echo $EMR_INSTANCE_ID; exit 7"

    on_master = emr(region, "ssh", cluster_id, "--", "bash", "-c", script)
    assert (on_master.returncode, on_master.stdout, on_master.stderr) == (7, f"{master}\n", "")
    on_core = emr(region, "ssh", cluster_id, "--node", core, "--", "bash", "-c", script)
    assert (on_core.returncode, on_core.stdout) == (7, f"{core}\n")

    piped = emr(
        region, "ssh", cluster_id, "--", "bash", "-c", "tr a-z A-Z; echo to-stderr >&2",
        input="first line\nsecond line\n",
    )  # fmt: skip
    assert (piped.returncode, piped.stdout) == (0, "FIRST LINE\nSECOND LINE\n")
    assert piped.stderr == "to-stderr\n"

    # -n sends no input, as `ssh -n`: a stdin that never ends does not hold the command back.
    argv = [sys.executable, "-m", "emr", "ssh", "-n", "--data-dir", str(region.data_dir),
            cluster_id, "--", "cat"]  # fmt: skip
    with subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True) as cat:
        assert cat.wait(timeout=30) == 0
        assert cat.stdout is not None
        assert cat.stdout.read() == ""

    stranger = emr(region, "ssh", cluster_id, "--node", "i-0123456789abcdef0", "--", "true")
    assert stranger.returncode == 1
    assert stranger.stderr == f"emr: i-0123456789abcdef0 is not an instance of {cluster_id}\n"


def gated(gate: Path, then: str = "true") -> str:
    """A script that waits (30 s at most) until the test creates `gate`, then runs `then`."""
    return f"for i in $(seq 300); do [ -e {gate} ] && break; sleep 0.1; done; {then}"


def test_logs_follow_a_step_from_pending_to_its_end(
    region: RunningServer, cluster: str, tmp_path: Path
) -> None:
    emr_client, cluster_id = region.client("emr"), cluster
    # `prints` queues behind `holds`; once it runs it prints a line, waits until the test has
    # seen that line, then prints a line per 0.2 s.
    holds, prints = tmp_path / "holds", tmp_path / "prints"
    steps = [
        command_step("holds", "bash", "-c", gated(holds)),
        command_step("prints", "bash", "-c", "echo started; " + gated(
            prints, "for i in 1 2 3 4 5; do echo line $i; sleep 0.2; done")),
    ]  # fmt: skip
    step_id = emr_client.add_job_flow_steps(JobFlowId=cluster_id, Steps=steps)["StepIds"][1]
    argv = [sys.executable, "-m", "emr", "logs", "--data-dir", str(region.data_dir),
            cluster_id, step_id]  # fmt: skip
    try:
        with subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True,
        ) as follower:  # fmt: skip
            assert follower.stdout is not None
            pending = emr(region, "logs", cluster_id, step_id, "--no-follow")
            assert pending.returncode == 1
            assert pending.stderr == f"emr: step {step_id} is PENDING and has not run: no log yet\n"

            holds.touch()  # the follower waited for the step to start, and now follows it
            assert select.select([follower.stdout], [], [], 30)[0], "no output in 30 s"
            assert follower.stdout.readline() == "started\n"
            running = emr_client.describe_step(ClusterId=cluster_id, StepId=step_id)["Step"]
            assert running["Status"]["State"] == "RUNNING"
            so_far = emr(region, "logs", cluster_id, step_id, "--no-follow")
            assert (so_far.returncode, so_far.stdout) == (0, "started\n"), so_far.stderr

            prints.touch()
            rest, errors = follower.communicate(timeout=60)
            assert follower.returncode == 0, errors
        assert rest == "".join(f"line {i}\n" for i in range(1, 6))
        assert wait_step(emr_client, cluster_id, step_id)["Status"]["State"] == "COMPLETED"
    finally:
        holds.touch()
        prints.touch()

    whole = emr(region, "logs", cluster_id, step_id, "--no-follow")
    assert whole.stdout == "started\n" + rest
    stderr = emr(region, "logs", cluster_id, step_id, "--no-follow", "--log", "stderr")
    assert (stderr.returncode, stderr.stdout) == (0, "")


@pytest.mark.parametrize(
    "args",
    [
        ["describe-cluster", "j-NOSUCHCLUSTER"],
        ["add-steps", "j-NOSUCHCLUSTER", "--", "true"],
        ["terminate", "j-NOSUCHCLUSTER"],
        ["ssh", "j-NOSUCHCLUSTER", "--", "true"],
        ["logs", "j-NOSUCHCLUSTER", "s-NOSUCHSTEP"],
    ],
    ids=lambda args: args[0],
)
def test_an_unknown_cluster_is_a_one_line_error(region: RunningServer, args: list[str]) -> None:
    done = emr(region, *args)
    assert (done.returncode, done.stdout) == (1, "")
    assert (
        done.stderr == "emr: InvalidRequestException: Cluster id 'j-NOSUCHCLUSTER' is not valid.\n"
    )
