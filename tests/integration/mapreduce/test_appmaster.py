"""The MR ApplicationMaster (`python -m emr.mapreduce.appmaster`) against a real
ResourceManager and NodeManagers, running the real task module (`emr.mapreduce.task`) on
files in file: URIs: a job that succeeds (output, _SUCCESS, history, REST), and a job whose
maps keep failing."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from emr.mapreduce.ids import JobId
from emr.mapreduce.job import InputSplit, JobSpec
from emr.yarn.client import YarnRestClient
from emr.yarn.ids import ApplicationId
from emr.yarn.protocol import LocalResource
from tests.integration.yarn.conftest import Cluster, start_cluster, wait_for

pytestmark = pytest.mark.integration

TOKEN = "job-token-for-tests"
WORKERS = {"127.0.0.2": "CORE", "127.0.0.3": "CORE"}


@pytest.fixture
def am_cluster(tmp_path: Path) -> Iterator[Cluster]:
    """A ResourceManager and two NodeManagers (shuffle services on free ports)."""
    started: list[Cluster] = []
    try:
        yield start_cluster(
            tmp_path / "cluster", WORKERS, {"mapreduce.shuffle.port": "0"}, started=started
        )
    finally:
        for cluster in started:
            cluster.stop()


def submit(
    cluster: Cluster, tmp_path: Path, mapper: str, reduces: int, **conf: str
) -> tuple[str, Path, Path]:
    """Write the inputs and job.json, submit the AM; (app id, staging dir, output dir)."""
    inputs = tmp_path / "in"
    inputs.mkdir(exist_ok=True)
    (inputs / "a.txt").write_text("b\t2\nd\t4\n")
    (inputs / "b.txt").write_text("c\t3\na\t1\n")
    with YarnRestClient(cluster.url, user="hadoop") as rest:
        app_id = rest.new_application().application_id
        job_id = str(JobId.of(ApplicationId.parse(app_id)))
        staging = tmp_path / "staging" / job_id
        staging.mkdir(parents=True)
        output = tmp_path / "out"
        spec = JobSpec(
            job_id=job_id,
            name="streamjob.jar",
            user="hadoop",
            conf={"mapreduce.map.memory.mb": "128", "mapreduce.reduce.memory.mb": "128", **conf},
            output=f"file://{output}",
            splits=[
                InputSplit(path=f"file://{inputs / name}", start=0, length=8)
                for name in ("a.txt", "b.txt")
            ],
            mapper=mapper,
            num_reduces=reduces,
        )
        (staging / "job.json").write_text(spec.model_dump_json())
        rest.submit(
            app_id,
            "streamjob.jar",
            [f"{sys.executable} -m emr.mapreduce.appmaster 1><LOG_DIR>/stdout 2><LOG_DIR>/stderr"],
            memory_mb=128,
            environment={
                "EMR_MR_JOB_TOKEN": TOKEN,
                "EMR_MR_STAGING": f"file://{staging}",
                "EMR_MR_HISTORY": f"file://{staging}/history.json",
            },
            local_resources={"job.json": LocalResource(url=f"file://{staging}/job.json")},
            application_type="MAPREDUCE",
            max_app_attempts=1,
        )
    return app_id, staging, output


def history(staging: Path) -> dict[str, Any]:
    result: dict[str, Any] = json.loads((staging / "history.json").read_text())
    return result


def test_a_job_runs_its_maps_and_reduce_and_commits(am_cluster: Cluster, tmp_path: Path) -> None:
    gate = tmp_path / "go"
    # the maps wait for `gate` (at most ~60 s) so that the REST API is seen mid-job
    mapper = f"for i in $(seq 600); do [ -e {gate} ] && break; sleep 0.1; done; cat"
    app_id, staging, output = submit(am_cluster, tmp_path, mapper, reduces=1)
    app = wait_for(
        lambda: (a := am_cluster.app(app_id)).get("trackingUrl", "").startswith("http") and a,
        am_cluster.logs,
    )
    job_id = str(JobId.of(ApplicationId.parse(app_id)))
    url = f"{app['trackingUrl'].rstrip('/')}/ws/v1/mapreduce/jobs/{job_id}"
    job = wait_for(
        lambda: (j := httpx.get(url).json()["job"])["mapsRunning"] == 2 and j, am_cluster.logs
    )
    assert job["state"] == "RUNNING" and job["mapsTotal"] == 2 and job["reducesTotal"] == 1
    assert job["uberized"] is False and job["user"] == "hadoop" and job["id"] == job_id
    assert httpx.get(url.replace(job_id, "job_1_0009")).status_code == 404
    umbilical = app["trackingUrl"].rstrip("/") + "/umbilical/v1/tasks/" + job_id
    assert httpx.get(umbilical.replace("job", "attempt") + "_m_000000_0").status_code == 401
    gate.touch()
    final = am_cluster.wait_app(app_id, {"FINISHED", "FAILED", "KILLED"})
    assert final["finalStatus"] == "SUCCEEDED", am_cluster.logs()
    assert (output / "part-00000").read_text() == "a\t1\nb\t2\nc\t3\nd\t4\n"
    assert (output / "_SUCCESS").exists() and not (output / "_temporary").exists()
    record = history(staging)
    assert record["state"] == "SUCCEEDED" and record["maps_total"] == 2
    counters = record["counters"]["org.apache.hadoop.mapreduce.JobCounter"]
    assert counters["TOTAL_LAUNCHED_MAPS"] == 2 and counters["TOTAL_LAUNCHED_REDUCES"] == 1
    task = record["counters"]["org.apache.hadoop.mapreduce.TaskCounter"]
    assert task["MAP_INPUT_RECORDS"] == 4 and task["REDUCE_OUTPUT_RECORDS"] == 4
    assert sorted(p.name for p in staging.iterdir()) == ["history.json"]


def test_a_job_whose_maps_keep_failing_fails(am_cluster: Cluster, tmp_path: Path) -> None:
    app_id, staging, output = submit(
        am_cluster, tmp_path, "exit 3", reduces=1, **{"mapreduce.map.maxattempts": "2"}
    )
    final = am_cluster.wait_app(app_id, {"FINISHED", "FAILED", "KILLED"})
    assert final["finalStatus"] == "FAILED", am_cluster.logs()
    record = history(staging)
    assert record["state"] == "FAILED"
    assert "Job failed as tasks failed. failedMaps:1" in record["diagnostics"]
    assert record["diagnostics"].startswith("Task failed task_")
    assert "Job failed as tasks failed" in final["diagnostics"]
    assert not (output / "_temporary").exists() and not (output / "_SUCCESS").exists()
