"""A real ResourceManager and NodeManagers for the MapReduce integration tests, reusing
tests/integration/yarn/conftest.py's helpers; the NodeManagers' shuffle services listen on
free ports (mapreduce.shuffle.port 0).

`am_cluster` (one per test module) and `submit_job`: real jobs through the real MR
ApplicationMaster (`python -m emr.mapreduce.appmaster`) and real task attempts
(`python -m emr.mapreduce.task`), on inputs and outputs in file: URIs, as the streaming client
submits them (job.json in a staging dir, the AM's environment); `MapReduceJob` reads back
what a user sees: the RM's final report, history.json, the containers' logs.

SHUFFLE_AM: an ApplicationMaster (`am.py REPORT STOP_FILE JOB_TOKEN`) that starts one
container with the job token in its service_data; the container (SHUFFLE_TASK) writes two
map outputs where map tasks write them, reports its EMR_SHUFFLE_ADDRESS and the paths in
REPORT, and stays up until STOP_FILE exists, so the application stays RUNNING meanwhile.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from emr.mapreduce.ids import JobId
from emr.mapreduce.job import InputFormat, InputSplit, JobSpec
from emr.yarn.client import YarnRestClient
from emr.yarn.ids import ApplicationId
from emr.yarn.protocol import LocalResource
from tests.integration.yarn.conftest import Cluster, start_cluster

SHUFFLE_SITE = {"mapreduce.shuffle.port": "0"}

SHUFFLE_TASK = r"""
import json, os, struct, sys, time
from emr.yarn.ids import ContainerId
report, stop = sys.argv[1], sys.argv[2]
with open(sys.argv[3]) as f:
    segments = json.load(f)
app = ContainerId.parse(os.environ["CONTAINER_ID"]).application_id
job = "job_%d_%04d" % (app.cluster_timestamp, app.id)
local = os.environ["LOCAL_DIRS"].split(",")[0]
attempts = []
for number, parts in enumerate(segments):
    attempt = "attempt%s_m_%06d_0" % (job[3:], number)
    out = os.path.join(local, "output", attempt)
    os.makedirs(out)
    index, offset, data = b"", 0, b""
    for part in parts:
        raw = part.encode()
        index += struct.pack(">QQQ", offset, len(raw), part.count(";"))
        data += raw
        offset += len(raw)
    with open(os.path.join(out, "file.out"), "wb") as f:
        f.write(data)
    with open(os.path.join(out, "file.out.index"), "wb") as f:
        f.write(index)
    attempts.append(attempt)
with open(report + ".tmp", "w") as f:
    json.dump({"job": job, "attempts": attempts, "local_dir": local,
               "shuffle_address": os.environ.get("EMR_SHUFFLE_ADDRESS", "")}, f)
os.replace(report + ".tmp", report)
deadline = time.monotonic() + 120
while not os.path.exists(stop) and time.monotonic() < deadline:
    time.sleep(0.1)
"""

SHUFFLE_AM = r"""
import os, sys, time
from emr.yarn.amclient import AMClient
from emr.yarn.protocol import LaunchContext, ResourceModel, ResourceRequestModel
command, stop, token = sys.argv[1], sys.argv[2], sys.argv[3]
with AMClient.from_environment() as am:
    am.register(host=os.environ["NM_HOST"])
    asks = [ResourceRequestModel(priority=1, capability=ResourceModel(memory_mb=128, vcores=1),
                                 num_containers=1)]
    started = False
    deadline = time.monotonic() + 120
    while not os.path.exists(stop) and time.monotonic() < deadline:
        answer = am.allocate(asks=asks)
        asks = []
        for container in answer.allocated:
            am.start_container(container, LaunchContext(
                commands=[command], service_data={"mapreduce_shuffle": token}))
        time.sleep(0.2)
    am.finish("SUCCEEDED")
"""


@pytest.fixture
def mr_cluster(tmp_path: Path) -> Iterator[Cluster]:
    """A ResourceManager and one CORE NodeManager on 127.0.0.2 (shuffle on a free port)."""
    started: list[Cluster] = []
    try:
        yield start_cluster(tmp_path, {"127.0.0.2": "CORE"}, SHUFFLE_SITE, started=started)
    finally:
        for cluster in started:
            cluster.stop()


def shuffle_am_command(
    root: Path, report: Path, stop: Path, token: str, segments: list[list[str]]
) -> str:
    """The AM command line for `Cluster.submit` (see SHUFFLE_AM); `segments`: per map, its
    partitions' bytes (records counted as `;`s)."""
    task, am, data = root / "shuffle_task.py", root / "shuffle_am.py", root / "segments.json"
    task.write_text(SHUFFLE_TASK)
    am.write_text(SHUFFLE_AM)
    data.write_text(json.dumps(segments))
    task_command = f"{sys.executable} {task} {report} {stop} {data} 2><LOG_DIR>/task.err"
    return (
        f'{sys.executable} {am} "{task_command}" {stop} {token} '
        "1><LOG_DIR>/am.out 2><LOG_DIR>/am.err"
    )


#: The job token of every job `submit_job` submits (the AM's and the tasks' bearer token).
JOB_TOKEN = "job-token-for-tests"
AM_WORKERS = {"127.0.0.2": "CORE", "127.0.0.3": "CORE"}
#: Small containers, and no speculative attempts: each task runs once unless it fails.
JOB_CONF = {
    # room for a task's Python with pyarrow (a 128 MB grant can be exceeded and killed)
    "mapreduce.map.memory.mb": "256",
    "mapreduce.reduce.memory.mb": "256",
    "mapreduce.map.speculative": "false",
    "mapreduce.reduce.speculative": "false",
}


@pytest.fixture(scope="module")
def am_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """A ResourceManager and two NodeManagers (shuffle services on free ports), shared by the
    jobs of one test module."""
    started: list[Cluster] = []
    root = tmp_path_factory.mktemp("am_cluster")
    try:
        yield start_cluster(root, AM_WORKERS, SHUFFLE_SITE, started=started)
    finally:
        for cluster in started:
            cluster.stop()


@dataclass(frozen=True)
class MapReduceJob:
    """A submitted job: its ids, staging dir and file: output dir."""

    cluster: Cluster
    app_id: str
    job_id: str
    staging: Path
    output: Path

    def wait(self) -> dict[str, Any]:
        """The RM's final application report (bounded wait)."""
        return self.cluster.wait_app(self.app_id, {"FINISHED", "FAILED", "KILLED"})

    def history(self) -> dict[str, Any]:
        """The AM's history.json (JobHistory)."""
        result: dict[str, Any] = json.loads((self.staging / "history.json").read_text())
        return result

    def counters(self) -> dict[str, dict[str, int]]:
        counters: dict[str, dict[str, int]] = self.history()["counters"]
        return counters

    def container_logs(self, name: str = "stderr") -> dict[str, str]:
        """Container id → its `name` log file, for every container of the job (the AM's is
        `container_…_01_000001`), from the NodeManagers' log dirs."""
        return {
            path.parent.name: path.read_text()
            for path in sorted(self.cluster.root.glob(f"*/logs/userlogs/{self.app_id}/*/{name}"))
        }

    def task_logs(self) -> dict[str, str]:
        """Container id → stderr of the task containers (every container but the AM's)."""
        return {
            container: text
            for container, text in self.container_logs().items()
            if not container.endswith("_000001")
        }


def whole_files(root: Path, files: Mapping[str, bytes]) -> list[InputSplit]:
    """Write `files` under `root`; one split per file, each the whole file."""
    root.mkdir(parents=True, exist_ok=True)
    splits = []
    for name, data in files.items():
        (root / name).write_bytes(data)
        splits.append(InputSplit(path=f"file://{root / name}", start=0, length=len(data)))
    return splits


def submit_job(
    cluster: Cluster,
    root: Path,
    splits: list[InputSplit],
    mapper: str,
    reduces: int,
    *,
    reducer: str | None = None,
    combiner: str | None = None,
    input_format: InputFormat = "text",
    conf: Mapping[str, str] | None = None,
    max_app_attempts: int = 1,
) -> MapReduceJob:
    """Write job.json into `<root>/staging/<job id>` and submit the AM as the streaming client
    does; the output goes to `<root>/out`."""
    with YarnRestClient(cluster.url, user="hadoop") as rest:
        app_id = rest.new_application().application_id
        job_id = str(JobId.of(ApplicationId.parse(app_id)))
        staging = root / "staging" / job_id
        staging.mkdir(parents=True)
        output = root / "out"
        spec = JobSpec(
            job_id=job_id,
            name="streamjob.jar",
            user="hadoop",
            conf={**JOB_CONF, **(conf or {})},
            output=f"file://{output}",
            splits=splits,
            input_format=input_format,
            mapper=mapper,
            combiner=combiner,
            reducer=reducer,
            num_reduces=reduces,
        )
        (staging / "job.json").write_text(spec.model_dump_json())
        rest.submit(
            app_id,
            "streamjob.jar",
            [f"{sys.executable} -m emr.mapreduce.appmaster 1><LOG_DIR>/stdout 2><LOG_DIR>/stderr"],
            memory_mb=128,
            environment={
                "EMR_MR_JOB_TOKEN": JOB_TOKEN,
                "EMR_MR_STAGING": f"file://{staging}",
                "EMR_MR_HISTORY": f"file://{staging}/history.json",
            },
            local_resources={"job.json": LocalResource(url=f"file://{staging}/job.json")},
            application_type="MAPREDUCE",
            max_app_attempts=max_app_attempts,
        )
    return MapReduceJob(cluster, app_id, job_id, staging, output)
