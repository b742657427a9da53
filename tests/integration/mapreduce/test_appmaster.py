"""The MR ApplicationMaster (`python -m emr.mapreduce.appmaster`) against a real
ResourceManager and NodeManagers, running the real task module (`emr.mapreduce.task`) on
files in file: URIs: a job that succeeds (output, _SUCCESS, history, REST), and a job whose
maps keep failing. What the tasks compute is test_task.py's."""

from __future__ import annotations

from pathlib import Path

import httpx
import psutil
import pytest

from tests.integration.mapreduce.conftest import MapReduceJob, submit_job, whole_files
from tests.integration.yarn.conftest import Cluster, wait_for

pytestmark = pytest.mark.integration


def submit(
    cluster: Cluster, tmp_path: Path, mapper: str, reduces: int, **conf: str
) -> MapReduceJob:
    """Two 4-byte-line inputs, `mapper`, the identity reducer."""
    splits = whole_files(tmp_path / "in", {"a.txt": b"b\t2\nd\t4\n", "b.txt": b"c\t3\na\t1\n"})
    return submit_job(cluster, tmp_path, splits, mapper, reduces, conf=conf)


def test_a_job_runs_its_maps_and_reduce_and_commits(am_cluster: Cluster, tmp_path: Path) -> None:
    gate = tmp_path / "go"
    # the maps wait for `gate` (at most ~60 s) so that the REST API is seen mid-job
    mapper = f"for i in $(seq 600); do [ -e {gate} ] && break; sleep 0.1; done; cat"
    job = submit(am_cluster, tmp_path, mapper, reduces=1)
    app = wait_for(
        lambda: (a := am_cluster.app(job.app_id)).get("trackingUrl", "").startswith("http") and a,
        am_cluster.logs,
    )
    job_id = job.job_id
    url = f"{app['trackingUrl'].rstrip('/')}/ws/v1/mapreduce/jobs/{job_id}"
    report = wait_for(
        lambda: (j := httpx.get(url).json()["job"])["mapsRunning"] == 2 and j, am_cluster.logs
    )
    assert report["state"] == "RUNNING" and report["mapsTotal"] == 2
    assert report["reducesTotal"] == 1
    assert report["uberized"] is False and report["user"] == "hadoop" and report["id"] == job_id
    assert httpx.get(url.replace(job_id, "job_1_0009")).status_code == 404
    umbilical = app["trackingUrl"].rstrip("/") + "/umbilical/v1/tasks/" + job_id
    assert httpx.get(umbilical.replace("job", "attempt") + "_m_000000_0").status_code == 401
    gate.touch()
    final = job.wait()
    assert final["finalStatus"] == "SUCCEEDED", am_cluster.logs()
    assert (job.output / "part-00000").read_text() == "a\t1\nb\t2\nc\t3\nd\t4\n"
    assert (job.output / "_SUCCESS").exists() and not (job.output / "_temporary").exists()
    record = job.history()
    assert record["state"] == "SUCCEEDED" and record["maps_total"] == 2
    counters = record["counters"]["org.apache.hadoop.mapreduce.JobCounter"]
    assert counters["TOTAL_LAUNCHED_MAPS"] == 2 and counters["TOTAL_LAUNCHED_REDUCES"] == 1
    task = record["counters"]["org.apache.hadoop.mapreduce.TaskCounter"]
    assert task["MAP_INPUT_RECORDS"] == 4 and task["REDUCE_OUTPUT_RECORDS"] == 4
    assert sorted(p.name for p in job.staging.iterdir()) == ["history.json"]


def test_a_job_whose_maps_keep_failing_fails(am_cluster: Cluster, tmp_path: Path) -> None:
    job = submit(am_cluster, tmp_path, "exit 3", reduces=1, **{"mapreduce.map.maxattempts": "2"})
    final = job.wait()
    assert final["finalStatus"] == "FAILED", am_cluster.logs()
    record = job.history()
    assert record["state"] == "FAILED"
    assert "Job failed as tasks failed. failedMaps:1" in record["diagnostics"]
    assert record["diagnostics"].startswith("Task failed task_")
    assert "Job failed as tasks failed" in final["diagnostics"]
    assert not (job.output / "_temporary").exists() and not (job.output / "_SUCCESS").exists()


def test_a_straggler_map_gets_a_speculative_attempt_that_wins(
    am_cluster: Cluster, tmp_path: Path
) -> None:
    """The first attempt of map 0 hangs; once the other maps are done and it ran over 10 s and
    2x their mean time, a speculative attempt runs, succeeds, and the straggler is killed."""
    splits = whole_files(
        tmp_path / "in", {"a.txt": b"a\t1\n", "b.txt": b"b\t2\n", "c.txt": b"c\t3\n"}
    )
    mapper = 'case "$mapreduce_task_attempt_id" in *_m_000000_0) sleep 120;; esac; cat'
    job = submit_job(
        am_cluster, tmp_path, splits, mapper, 1, conf={"mapreduce.map.speculative": "true"}
    )
    final = job.wait()
    assert final["finalStatus"] == "SUCCEEDED", am_cluster.logs()
    assert (job.output / "part-00000").read_text() == "a\t1\nb\t2\nc\t3\n"
    counters = job.counters()["org.apache.hadoop.mapreduce.JobCounter"]
    assert counters["TOTAL_LAUNCHED_MAPS"] == 4 and counters["NUM_KILLED_MAPS"] == 1
    assert "NUM_FAILED_MAPS" not in counters


def test_a_hung_map_attempt_times_out_and_is_retried(am_cluster: Cluster, tmp_path: Path) -> None:
    """A mapper that stops reading and writing is killed after mapreduce.task.timeout (its
    attempt's status pings do not count as progress) and its task runs again."""
    mapper = 'case "$mapreduce_task_attempt_id" in *_m_000000_0) sleep 120;; esac; cat'
    job = submit(am_cluster, tmp_path, mapper, 1, **{"mapreduce.task.timeout": "4000"})
    final = job.wait()
    assert final["finalStatus"] == "SUCCEEDED", am_cluster.logs()
    assert (job.output / "part-00000").read_text() == "a\t1\nb\t2\nc\t3\nd\t4\n"
    record = job.history()
    [failed] = record["failed_attempts"]
    assert failed["attempt_id"].endswith("_m_000000_0")
    assert failed["diagnostics"] == f"AttemptID:{failed['attempt_id']} Timed out after 4 secs"


def test_a_killed_am_is_restarted_and_runs_the_job_again(
    am_cluster: Cluster, tmp_path: Path
) -> None:
    """SIGKILL of the AM mid-job: the RM starts a second attempt, which aborts the first
    attempt's work and runs the job again to a complete, committed output."""
    gate = tmp_path / "go"
    mapper = f"for i in $(seq 600); do [ -e {gate} ] && break; sleep 0.1; done; cat"
    splits = whole_files(tmp_path / "in", {"a.txt": b"b\t2\nd\t4\n", "b.txt": b"c\t3\na\t1\n"})
    job = submit_job(am_cluster, tmp_path, splits, mapper, 1, max_app_attempts=2)
    app = wait_for(
        lambda: (a := am_cluster.app(job.app_id)).get("trackingUrl", "").startswith("http") and a,
        am_cluster.logs,
    )
    url = f"{app['trackingUrl'].rstrip('/')}/ws/v1/mapreduce/jobs/{job.job_id}"
    wait_for(lambda: httpx.get(url).json()["job"]["mapsRunning"] == 2, am_cluster.logs)
    [am] = [
        p
        for p in psutil.process_iter(["cmdline"])
        if "emr.mapreduce.appmaster" in (p.info["cmdline"] or [])  # python, not its bash
        and p.environ().get("CONTAINER_ID", "").endswith(f"{job.app_id[12:]}_01_000001")
    ]
    am.kill()
    attempts = f"/ws/v1/cluster/apps/{job.app_id}/appattempts"
    wait_for(lambda: len(am_cluster.get(attempts)["appAttempts"]["appAttempt"]) == 2)
    gate.touch()
    final = job.wait()
    assert final["finalStatus"] == "SUCCEEDED", am_cluster.logs()
    assert (job.output / "part-00000").read_text() == "a\t1\nb\t2\nc\t3\nd\t4\n"
    assert sorted(p.name for p in job.output.iterdir()) == ["_SUCCESS", "part-00000"]
