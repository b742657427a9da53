"""MapReduce under faults, each test on a cluster of its own (1 master + 3 core m5.xlarge): a
NodeManager killed (SIGKILL) during the map phase and during the shuffle, a mapper that fails
once per task, a mapper that always fails. The ResourceManager declares a silent NodeManager
lost after 4 s (yarn-site); NodeManagers heartbeat every 250 ms.

Jobs run with `hadoop-streaming` on the master (`emr ssh`, in the background) so the test can
kill a node while the job runs; input and output are on S3 and the output is checked against
Python's own word count. Maps take 1 GiB containers, so a core node runs at most 3 of them and
the maps spread over the nodes."""

from __future__ import annotations

import re
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest

from tests.conftest import RunningServer
from tests.integration.emr.conftest import dedicated_cluster
from tests.integration.emr.test_mapreduce import REDUCER

pytestmark = pytest.mark.integration

YARN_SITE = {
    "Classification": "yarn-site",
    "Properties": {
        "yarn.nm.liveness-monitor.expiry-interval-ms": "4000",
        "yarn.resourcemanager.nodemanagers.heartbeat-interval-ms": "250",
    },
}
JOB_DEADLINE_S = 150
PHASE_DEADLINE_S = 60

#: Word count; MAPPER_SLEEP seconds first, FAIL=first fails every first attempt, FAIL=always
#: every attempt.
MAPPER = """\
import os, sys, time
fail = os.environ.get("FAIL", "")
if fail == "always" or (fail == "first" and os.environ["mapreduce_task_attempt_id"].endswith("_0")):
    sys.stderr.write("this mapper fails on purpose\\n")
    sys.exit(3)
time.sleep(float(os.environ.get("MAPPER_SLEEP", "0")))
for line in sys.stdin:
    for word in line.split():
        print(f"{word}\\t1")
"""
TEXTS = [
    "".join(f"w{(n * k) % 53} common{k} the\n" for n in range(300)) + f"only{k}\n" for k in range(6)
]
EXPECTED = Counter(w for text in TEXTS for w in text.split())


@dataclass
class Job:
    """A `hadoop-streaming` client running on the master, its output in files."""

    process: subprocess.Popen[bytes]
    stderr_path: Path

    @property
    def stderr(self) -> str:
        return self.stderr_path.read_text(errors="replace")

    def wait(self) -> tuple[int, str]:
        try:
            code = self.process.wait(JOB_DEADLINE_S)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)
            raise AssertionError(f"the job did not end:\n{self.stderr}") from None
        return code, self.stderr

    def application_id(self) -> str:
        deadline = time.monotonic() + PHASE_DEADLINE_S
        while not (found := re.search(r"Submitted application (application_\d+_\d+)", self.stderr)):
            assert self.process.poll() is None, self.stderr
            assert time.monotonic() < deadline, self.stderr
            time.sleep(0.1)
        return found[1]


@dataclass
class MapReduceCluster:
    region: RunningServer
    emr: Any
    s3: Any
    cluster_id: str
    master: str  # private ip
    bucket: str

    def streaming(self, tmp_path: Path, *args: str) -> Job:
        """Start `hadoop-streaming -files mapper.py,reducer.py <args>` on the master."""
        files = f"s3://{self.bucket}/code/mapper.py,s3://{self.bucket}/code/reducer.py"
        command = ["hadoop-streaming", "-files", files, *args]
        stdout, stderr = tmp_path / "client.out", tmp_path / "client.err"
        with stdout.open("wb") as out, stderr.open("wb") as err:
            process = subprocess.Popen(
                [sys.executable, "-m", "emr", "ssh", "--data-dir", str(self.region.data_dir),
                 "-n", self.cluster_id, "--", *command],
                stdout=out, stderr=err, env=self.region.cli_env(),
            )  # fmt: skip
        return Job(process, stderr)

    def wordcount(self, tmp_path: Path, out: str, *extra: str) -> Job:
        return self.streaming(
            tmp_path,
            "-D", "mapreduce.map.memory.mb=1024",
            *extra,
            "-input", f"s3://{self.bucket}/in/", "-output", f"s3://{self.bucket}/{out}",
            "-mapper", "python3 mapper.py", "-reducer", "python3 reducer.py",
        )  # fmt: skip

    def output(self, out: str) -> tuple[list[str], Counter[str]]:
        """The output dir's file names and the word counts of its part files."""
        listed = self.s3.list_objects_v2(Bucket=self.bucket, Prefix=f"{out}/")
        keys = [o["Key"] for o in listed.get("Contents", [])]
        counts: Counter[str] = Counter()
        for key in keys:
            if key.rsplit("/", 1)[-1].startswith("part-"):
                body = self.s3.get_object(Bucket=self.bucket, Key=key)["Body"].read().decode()
                for line in body.splitlines():
                    word, count = line.split("\t")
                    counts[word] += int(count)
        return sorted(k.removeprefix(f"{out}/") for k in keys), counts

    def application(self, application_id: str) -> dict[str, Any]:
        """The RM's report once the AM registered (its trackingUrl and amHostHttpAddress)."""
        url = f"http://{self.master}:8088/ws/v1/cluster/apps/{application_id}"
        deadline = time.monotonic() + PHASE_DEADLINE_S
        while True:
            app: dict[str, Any] = httpx.get(url, timeout=10).json()["app"]
            if app.get("trackingUrl") and app.get("amHostHttpAddress"):
                return app
            assert time.monotonic() < deadline, app
            time.sleep(0.1)

    def container_stderr(self, application_id: str) -> str:
        """Every container's stderr of the application on the core nodes (`emr ssh --node`)."""
        texts = []
        for instance_id in self.core_nodes().values():
            done = subprocess.run(
                [sys.executable, "-m", "emr", "ssh", "--data-dir", str(self.region.data_dir),
                 "-n", "--node", instance_id, self.cluster_id, "--",
                 "sh", "-c", f"cat logs/userlogs/{application_id}/*/stderr || true"],
                env=self.region.cli_env(), capture_output=True, text=True, timeout=60,
            )  # fmt: skip
            assert done.returncode == 0, done.stderr
            texts.append(done.stdout)
        return "".join(texts)

    def core_nodes(self) -> dict[str, str]:
        """Private ip → instance id of the core nodes."""
        instances = self.emr.list_instances(ClusterId=self.cluster_id, InstanceGroupTypes=["CORE"])
        return {i["PrivateIpAddress"]: i["Ec2InstanceId"] for i in instances["Instances"]}

    def nodemanager(self, instance_id: str) -> psutil.Process:
        """The NodeManager daemon of a node (`python -m emr.yarn.nodemanager --node-dir …`)."""
        for process in psutil.process_iter(["cmdline"]):
            argv = process.info["cmdline"] or []
            if argv[1:3] == ["-m", "emr.yarn.nodemanager"] and "--node-dir" in argv:
                node_dir = argv[argv.index("--node-dir") + 1]
                if node_dir.endswith(f"/{self.cluster_id}/{instance_id}"):
                    return process
        raise AssertionError(f"no NodeManager process for {instance_id}")

    def map_hosts(self) -> set[str]:
        """The hosts (NM_HOST) where map attempts of this cluster run now."""
        hosts = set()
        for process in psutil.process_iter(["cmdline"]):
            argv = process.info["cmdline"] or []
            if argv[1:3] != ["-m", "emr.mapreduce.task"] or "_m_" not in " ".join(argv[3:]):
                continue
            try:
                environ = process.environ()
            except psutil.Error:
                continue
            if environ.get("EMR_CLUSTER_ID") == self.cluster_id:
                hosts.add(environ["NM_HOST"])
        return hosts

    def map_node_besides(self, am_host: str, job: Job) -> str:
        """A core node (ip) running a map now, not the AM's."""
        deadline = time.monotonic() + PHASE_DEADLINE_S
        while True:
            hosts = self.map_hosts() - {am_host}
            if hosts:
                return sorted(hosts)[0]
            assert job.process.poll() is None, job.stderr
            assert time.monotonic() < deadline, "no map ran on a node without the AM"
            time.sleep(0.1)


@pytest.fixture
def mr_cluster(region: RunningServer) -> Iterator[MapReduceCluster]:
    emr, s3 = region.client("emr"), region.client("s3")
    bucket = f"mr-faults-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="code/mapper.py", Body=MAPPER.encode())
    s3.put_object(Bucket=bucket, Key="code/reducer.py", Body=REDUCER.encode())
    for n, text in enumerate(TEXTS):
        s3.put_object(Bucket=bucket, Key=f"in/part{n}.txt", Body=text.encode())
    with dedicated_cluster(emr, "mapreduce-faults", core=3, configurations=[YARN_SITE]) as cluster:
        cluster_id = cluster["Id"]
        master = emr.list_instances(ClusterId=cluster_id, InstanceGroupTypes=["MASTER"])
        ip = master["Instances"][0]["PrivateIpAddress"]
        yield MapReduceCluster(region, emr, s3, cluster_id, ip, bucket)


def _counter(stderr: str, name: str) -> int:
    found = re.search(rf"\n\t\t{re.escape(name)}=(\d+)\n", stderr)
    assert found, (name, stderr)
    return int(found[1])


def _splits(stderr: str) -> int:
    found = re.search(r"number of splits:(\d+)", stderr)
    assert found, stderr
    return int(found[1])


def _assert_succeeded(cluster: MapReduceCluster, job: Job, out: str) -> str:
    code, stderr = job.wait()
    assert code == 0, stderr
    assert re.search(r"Job job_\d+_\d+ completed successfully", stderr), stderr
    names, counts = cluster.output(out)
    assert "_SUCCESS" in names and not any("_temporary" in n for n in names), names
    assert counts == EXPECTED
    return stderr


def test_a_nodemanager_killed_during_the_map_phase(
    mr_cluster: MapReduceCluster, tmp_path: Path
) -> None:
    """Maps sleep 5 s; the NodeManager of a node running maps (not the AM's) dies: its
    containers are reported lost and the maps run again elsewhere."""
    cluster = mr_cluster
    job = cluster.wordcount(
        tmp_path, "map-phase", "-cmdenv", "MAPPER_SLEEP=5",
        "-D", "mapreduce.job.reduce.slowstart.completedmaps=1.0",
    )  # fmt: skip
    app = cluster.application(job.application_id())
    am_host = app["amHostHttpAddress"].rsplit(":", 1)[0]
    victim = cluster.map_node_besides(am_host, job)
    nodemanager = cluster.nodemanager(cluster.core_nodes()[victim])
    nodemanager.kill()
    nodemanager.wait(10)
    stderr = _assert_succeeded(cluster, job, "map-phase")
    assert _counter(stderr, "Launched map tasks") > _splits(stderr) == len(TEXTS)


def test_a_nodemanager_killed_during_the_shuffle(
    mr_cluster: MapReduceCluster, tmp_path: Path
) -> None:
    """Every map is done (reduces start only then), and the NodeManager of a node that holds
    map outputs (not the AM's) dies: the reduces' fetches from its shuffle service fail, the
    AM runs those maps again on the other nodes."""
    cluster = mr_cluster
    job = cluster.wordcount(
        tmp_path, "shuffle", "-cmdenv", "MAPPER_SLEEP=2", "-numReduceTasks", "2",
        "-D", "mapreduce.job.reduce.slowstart.completedmaps=1.0",
    )  # fmt: skip
    application_id = job.application_id()
    app = cluster.application(application_id)
    am_host = app["amHostHttpAddress"].rsplit(":", 1)[0]
    victim = cluster.map_node_besides(am_host, job)
    nodemanager = cluster.nodemanager(cluster.core_nodes()[victim])
    job_url = f"{app['trackingUrl'].rstrip('/')}/ws/v1/mapreduce/jobs/" + application_id.replace(
        "application_", "job_"
    )
    deadline = time.monotonic() + PHASE_DEADLINE_S
    with httpx.Client(timeout=10) as http:
        while True:
            report = http.get(job_url).json()["job"]
            if report["mapsCompleted"] == report["mapsTotal"]:
                break
            assert time.monotonic() < deadline, report
            time.sleep(0.05)
    nodemanager.kill()
    nodemanager.wait(10)
    assert report["reducesCompleted"] == 0, report
    stderr = _assert_succeeded(cluster, job, "shuffle")
    assert _counter(stderr, "Failed Shuffles") > 0
    assert _counter(stderr, "Launched map tasks") > _splits(stderr) == len(TEXTS)


def test_a_mapper_that_fails_once_per_task_succeeds_on_retry(
    mr_cluster: MapReduceCluster, tmp_path: Path
) -> None:
    cluster = mr_cluster
    job = cluster.wordcount(tmp_path, "retried", "-cmdenv", "FAIL=first")
    stderr = _assert_succeeded(cluster, job, "retried")
    maps = _splits(stderr)
    assert _counter(stderr, "Failed map tasks") == maps
    assert _counter(stderr, "Launched map tasks") == 2 * maps


def test_a_mapper_that_always_fails_fails_the_job(
    mr_cluster: MapReduceCluster, tmp_path: Path
) -> None:
    """maxattempts 2: a map's second failure fails the job; the client names the task and
    exits 1, nothing is left in the output directory, and the attempts' logs hold the
    streaming failure."""
    cluster = mr_cluster
    job = cluster.wordcount(
        tmp_path, "failed", "-cmdenv", "FAIL=always", "-D", "mapreduce.map.maxattempts=2"
    )
    code, stderr = job.wait()
    assert code == 1, stderr
    failed = r"Job job_\d+_\d+ failed with state FAILED due to: Task failed task_\d+_\d+_m_\d+\n"
    assert re.search(failed, stderr), stderr
    assert "ERROR streaming.StreamJob: Job not successful!" in stderr
    assert _counter(stderr, "Failed map tasks") >= 2
    # Each failed attempt as Hadoop's client prints it (mrjob parses these lines).
    failures = re.findall(
        r"Task Id : (attempt_\d+_\d{4}_m_\d+_\d+), Status : FAILED\n"
        r"Error: PipeMapRed\.waitOutputThreads\(\): subprocess failed with code 3",
        stderr,
    )
    assert len(failures) >= 2, stderr
    names, _ = cluster.output("failed")
    assert not any(n.startswith("part-") or n == "_SUCCESS" for n in names), names
    # The streaming failure: in the failed attempts' stderr, in the nodes' container logs.
    logs = cluster.container_stderr(job.application_id())
    assert "PipeMapRed.waitOutputThreads(): subprocess failed with code 3" in logs, logs
    assert "this mapper fails on purpose" in logs, logs
