"""Spark under faults on a cluster of its own (1 master + 3 core m5.xlarge): the node of one
executor (not the AM's) is killed — SIGKILL of its agent's whole process tree: NodeManager,
DataNode, containers — while a job runs. Spark re-runs the lost tasks on the other executors,
the AM asks YARN for a replacement executor, and the step completes with the right output.

The ResourceManager declares a silent NodeManager lost after 4 s (yarn-site)."""

from __future__ import annotations

import contextlib
import re
import subprocess
import sys
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest

from tests.conftest import RunningServer
from tests.integration.emr.conftest import command_step, dedicated_cluster
from tests.integration.emr.test_spark import SUBMIT

pytestmark = pytest.mark.integration

YARN_SITE = {
    "Classification": "yarn-site",
    "Properties": {
        "yarn.nm.liveness-monitor.expiry-interval-ms": "4000",
        "yarn.resourcemanager.nodemanagers.heartbeat-interval-ms": "250",
    },
}
STEP_DEADLINE_S = 240
PHASE_DEADLINE_S = 90
PARTS = 36

#: A word count whose tasks (one per input file) take ~1 s each.
JOB = """\
import sys, time
from operator import add
from pyspark.sql import SparkSession

source, output = sys.argv[1:3]
sc = SparkSession.builder.appName("spark-faults").getOrCreate().sparkContext

def slow(lines):
    time.sleep(1.0)
    for line in lines:
        yield from line.split()

counts = sc.textFile(source).mapPartitions(slow).map(lambda w: (w, 1)).reduceByKey(add, 2)
counts.map(lambda kv: f"{kv[0]}\\t{kv[1]}").saveAsTextFile(output)
sc.stop()
"""
TEXTS = [f"w{n % 11} part{n} common\n" * (n % 5 + 1) for n in range(PARTS)]
EXPECTED = Counter(w for text in TEXTS for w in text.split())


def _executor_nodes(cluster_id: str) -> dict[str, int]:
    """Instance id → how many live executor JVMs of this cluster on it have started tasks
    (from their working directory, …/<cluster id>/<instance id>/logs/userlogs/…/work/…, where
    the executor's stderr says "Running task")."""
    nodes: Counter[str] = Counter()
    for process in psutil.process_iter(["cmdline"]):
        argv = process.info["cmdline"] or []
        if "org.apache.spark.executor.CoarseGrainedExecutorBackend" not in argv:
            continue
        try:
            cwd = process.cwd()
            busy = "Running task" in (Path(cwd) / "stderr").read_text(errors="replace")
        except (psutil.Error, OSError):
            continue
        parts = cwd.split("/")
        if cluster_id in parts and busy:
            nodes[parts[parts.index(cluster_id) + 1]] += 1
    return dict(nodes)


def _kill_node(cluster_id: str, instance_id: str) -> int:
    """SIGKILL the node agent of `instance_id` and its whole process tree; how many died."""
    for process in psutil.process_iter(["cmdline"]):
        argv = process.info["cmdline"] or []
        if "agent" in argv and "--node-dir" in argv:
            node_dir = argv[argv.index("--node-dir") + 1]
            if node_dir.endswith(f"/{cluster_id}/{instance_id}"):
                tree = [process, *process.children(recursive=True)]
                for member in tree:
                    with contextlib.suppress(psutil.NoSuchProcess):
                        member.kill()
                psutil.wait_procs(tree, timeout=10)
                return len(tree)
    raise AssertionError(f"no agent process for {instance_id}")


def _ssh(region: RunningServer, cluster_id: str, node: str, script: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "emr", "ssh", "--data-dir", str(region.data_dir), "-n",
         "--node", node, cluster_id, "--", "bash", "-c", script],
        env=region.cli_env(), capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_the_node_of_an_executor_killed_during_a_job(region: RunningServer) -> None:
    emr, s3 = region.client("emr"), region.client("s3")
    bucket = f"spark-faults-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="code/job.py", Body=JOB.encode())
    for n, text in enumerate(TEXTS):
        s3.put_object(Bucket=bucket, Key=f"in/part{n:03}.txt", Body=text.encode())
    with dedicated_cluster(emr, "spark-faults", core=3, configurations=[YARN_SITE]) as cluster:
        cluster_id = cluster["Id"]
        instances = emr.list_instances(ClusterId=cluster_id)["Instances"]
        by_ip = {i["PrivateIpAddress"]: i["Ec2InstanceId"] for i in instances}
        master = next(
            i["PrivateIpAddress"]
            for i in emr.list_instances(ClusterId=cluster_id, InstanceGroupTypes=["MASTER"])[
                "Instances"
            ]
        )
        name = f"faults-{uuid.uuid4().hex[:6]}"
        step = command_step(
            "spark-faults", *SUBMIT,
            "--deploy-mode", "cluster", "--name", name,
            "--num-executors", "3", "--executor-cores", "1", "--executor-memory", "512m",
            f"s3://{bucket}/code/job.py", f"s3://{bucket}/in/", f"s3://{bucket}/out",
        )  # fmt: skip
        (step_id,) = emr.add_job_flow_steps(JobFlowId=cluster_id, Steps=[step])["StepIds"]

        app = _running_app(master, name)
        am_node = by_ip[app["amHostHttpAddress"].rsplit(":", 1)[0]]
        deadline = time.monotonic() + PHASE_DEADLINE_S
        while not (victims := sorted(set(_executor_nodes(cluster_id)) - {am_node})):
            assert time.monotonic() < deadline, "no executor ran tasks on a node without the AM"
            time.sleep(0.1)
        assert _kill_node(cluster_id, victims[0]) >= 3  # tasks of ~1 s run there now
        victim_ip = next(ip for ip, instance in by_ip.items() if instance == victims[0])

        deadline = time.monotonic() + STEP_DEADLINE_S
        while True:
            described = emr.describe_step(ClusterId=cluster_id, StepId=step_id)["Step"]
            if described["Status"]["State"] in ("COMPLETED", "FAILED", "CANCELLED"):
                break
            assert time.monotonic() < deadline, described["Status"]
            time.sleep(0.5)
        application_id = app["id"]
        am_log = _ssh(
            region, cluster_id, am_node,
            f"cat logs/userlogs/{application_id}/*_000001/stderr",
        )  # fmt: skip
        assert described["Status"]["State"] == "COMPLETED", (described["Status"], am_log[-5000:])

        listed = s3.list_objects_v2(Bucket=bucket, Prefix="out/")
        keys = [o["Key"] for o in listed.get("Contents", [])]
        assert "out/_SUCCESS" in keys and not any("_temporary" in k for k in keys), keys
        counts: Counter[str] = Counter()
        for key in keys:
            if key.startswith("out/part-"):
                body = s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode()
                for line in body.splitlines():
                    word, count = line.split("\t")
                    counts[word] += int(count)
        assert counts == EXPECTED

        # The AM saw the executor's container lost and launched a replacement.
        assert "ended (exit status -100" in am_log, am_log[-5000:]
        assert "asking for a replacement" in am_log, am_log[-5000:]
        launched = re.findall(r"Executor container container_\S+ on ", am_log)
        assert len(launched) >= 4, am_log[-5000:]
        # Spark saw the executor lost and ran its tasks again (the driver's log is the AM's).
        assert re.search(r"Executor updated: app-\S+ is now LOST \(worker lost", am_log), am_log
        lost = r"ERROR TaskSchedulerImpl: Lost executor \d+ on " + re.escape(victim_ip)
        assert re.search(lost, am_log), am_log
        assert re.search(r"Starting task \d+\.1 in stage 0\.0", am_log), am_log


def _running_app(master: str, name: str) -> dict[str, Any]:
    deadline = time.monotonic() + PHASE_DEADLINE_S
    while True:
        body = httpx.get(
            f"http://{master}:8088/ws/v1/cluster/apps?applicationTypes=SPARK", timeout=10
        ).json()
        for app in (body["apps"] or {}).get("app", []):
            if app["name"] == name and app["state"] == "RUNNING" and app["amHostHttpAddress"]:
                return dict(app)
        assert time.monotonic() < deadline, body
        time.sleep(0.2)
