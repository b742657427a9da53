"""What the benchmarks share: starting servers, timing calls, the result row."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

__all__ = [
    "Result",
    "emr_server",
    "latency_ms",
    "moto_server",
    "run_step",
    "throughput",
]


@dataclass(frozen=True)
class Result:
    """One row of the table: a measurement of ours and of the peer in the same run."""

    benchmark: str
    unit: str
    ours: float
    peer: float
    peer_name: str
    higher_is_better: bool

    @property
    def ratio(self) -> float:
        """How many times better we are than the peer (>1 is better)."""
        if self.higher_is_better:
            return self.ours / self.peer
        return self.peer / self.ours


@dataclass
class Endpoint:
    url: str
    access_key: str
    secret_key: str


@contextmanager
def emr_server(parent: Path | None = None) -> Iterator[Endpoint]:
    """An `emr server` on a free port with a throwaway data dir (under `parent` if given)."""
    data_dir = Path(tempfile.mkdtemp(prefix="emr-bench-", dir=parent))
    process = subprocess.Popen(
        [sys.executable, "-m", "emr", "server", "--port", "0", "--data-dir", str(data_dir),
         "--log-level", "warning"],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip().rsplit(" ", 1)[1]
        env = subprocess.run(
            [sys.executable, "-m", "emr", "env", "--data-dir", str(data_dir)],
            check=True, capture_output=True, text=True,
        ).stdout  # fmt: skip
        values = dict(line.removeprefix("export ").split("=", 1) for line in env.splitlines())
        yield Endpoint(url, values["AWS_ACCESS_KEY_ID"], values["AWS_SECRET_ACCESS_KEY"])
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
        if process.stdout is not None:
            process.stdout.close()
        shutil.rmtree(data_dir, ignore_errors=True)


@contextmanager
def moto_server() -> Iterator[Endpoint]:
    """moto's standalone server (the PyPI `moto[server]` package) on a free port."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    executable = Path(sys.executable).with_name("moto_server")
    process = subprocess.Popen(
        [str(executable), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ},
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(url + "/moto-api/", timeout=1)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        yield Endpoint(url, "testing", "testing")
    finally:
        process.terminate()
        process.wait(timeout=30)


def latency_ms(call: Callable[[], object], count: int) -> float:
    """Median milliseconds of `count` sequential calls, after a warm-up."""
    for _ in range(min(20, count)):
        call()
    samples = []
    for _ in range(count):
        start = time.perf_counter()
        call()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def throughput(
    make_call: Callable[[], Callable[[], object]], threads: int, per_thread: int
) -> float:
    """Calls per second with `threads` clients each making `per_thread` calls."""
    calls = [make_call() for _ in range(threads)]
    for call in calls:
        call()

    def worker(call: Callable[[], object]) -> None:
        for _ in range(per_thread):
            call()

    start = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(worker, calls))
    return threads * per_thread / (time.perf_counter() - start)


@contextmanager
def emr_cluster(endpoint: Endpoint, name: str, core: int = 3) -> Iterator[str]:
    """A WAITING cluster of 1 master + `core` core m5.xlarge nodes (HDFS and YARN ready);
    yields the master's IP, and terminates the cluster at the end."""
    import boto3
    from botocore.config import Config

    emr = boto3.Session(
        aws_access_key_id=endpoint.access_key,
        aws_secret_access_key=endpoint.secret_key,
        region_name="us-east-1",
    ).client("emr", endpoint_url=endpoint.url, config=Config(retries={"max_attempts": 1}))
    groups = [
        {"InstanceRole": role, "InstanceType": "m5.xlarge", "InstanceCount": count}
        for role, count in (("MASTER", 1), ("CORE", core))
    ]
    cluster_id = emr.run_job_flow(
        Name=name,
        ReleaseLabel="emr-7.5.0",
        Instances={"InstanceGroups": groups, "KeepJobFlowAliveWhenNoSteps": True},
    )["JobFlowId"]

    def state() -> dict[str, Any]:
        cluster: dict[str, Any] = emr.describe_cluster(ClusterId=cluster_id)["Cluster"]
        return cluster

    def until(done: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
        deadline = time.monotonic() + 120
        while not done(cluster := state()):
            if time.monotonic() > deadline:
                raise TimeoutError(str(cluster["Status"]))
            time.sleep(0.05)
        return cluster

    try:
        cluster = until(lambda c: c["Status"]["State"] in ("WAITING", "TERMINATED_WITH_ERRORS"))
        if cluster["Status"]["State"] != "WAITING":
            raise RuntimeError(f"cluster failed: {cluster['Status']}")
        yield str(cluster["MasterPublicDnsName"])
    finally:
        emr.terminate_job_flows(JobFlowIds=[cluster_id])
        until(lambda c: c["Status"]["State"].startswith("TERMINATED"))


def run_step(
    emr: Any, cluster_id: str, name: str, args: list[str], timeout: float
) -> tuple[dict[str, Any], float]:
    """Add a command-runner step running `args`; its final Status and the seconds from
    AddJobFlowSteps to that state (polled every 50 ms). TimeoutError past `timeout`."""
    step = {
        "Name": name,
        "ActionOnFailure": "CONTINUE",
        "HadoopJarStep": {"Jar": "command-runner.jar", "Args": args},
    }
    start = time.perf_counter()
    (step_id,) = emr.add_job_flow_steps(JobFlowId=cluster_id, Steps=[step])["StepIds"]
    deadline = time.monotonic() + timeout
    while True:
        status: dict[str, Any] = emr.describe_step(ClusterId=cluster_id, StepId=step_id)["Step"][
            "Status"
        ]
        if status["State"] in ("COMPLETED", "FAILED", "CANCELLED", "INTERRUPTED"):
            return status, time.perf_counter() - start
        if time.monotonic() > deadline:
            raise TimeoutError(f"{name}: {status}")
        time.sleep(0.05)
