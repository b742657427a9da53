"""A real ResourceManager and NodeManager for the MapReduce integration tests, reusing
tests/integration/yarn/conftest.py's helpers; the NodeManagers' shuffle services listen on
free ports (mapreduce.shuffle.port 0).

SHUFFLE_AM: an ApplicationMaster (`am.py REPORT STOP_FILE JOB_TOKEN`) that starts one
container with the job token in its service_data; the container (SHUFFLE_TASK) writes two
map outputs where map tasks write them, reports its EMR_SHUFFLE_ADDRESS and the paths in
REPORT, and stays up until STOP_FILE exists, so the application stays RUNNING meanwhile.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

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
