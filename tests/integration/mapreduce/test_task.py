"""`python -m emr.mapreduce.task` as real processes: two map attempts over local file: input,
their outputs served by the shuffle service's app (emr.yarn.nodemanager.shuffle), one reduce
per partition fetching and reducing them, output committed through the v1 committer.

The umbilical server here is a small stand-in written in this test, because the real
ApplicationMaster (emr.mapreduce.appmaster) is being written concurrently; once it exists,
this test should drive the tasks through it instead.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from emr.mapreduce.committer import OutputCommitter
from emr.mapreduce.fs import JobFileSystems
from emr.mapreduce.job import (
    InputSplit,
    JobSpec,
    MapEvent,
    MapEvents,
    TaskAssignment,
    TaskDone,
    TaskFailed,
)
from emr.net import listen_tcp
from emr.yarn.nodemanager.shuffle import ShuffleService, create_shuffle_app

for module in ("pipe", "mapoutput", "partition", "formats"):
    pytest.importorskip(f"emr.mapreduce.{module}")

JOB = "job_1700000000000_0007"
APP = "application_1700000000000_0007"
TIMEOUT_S = 120


class Umbilical:
    """The AM's side of the umbilical, enough for one run of each task (see module doc)."""

    def __init__(self, spec: JobSpec) -> None:
        self.spec = spec
        self.done: dict[str, TaskDone] = {}
        self.failed: dict[str, TaskFailed] = {}
        self.events: list[MapEvent] = []
        self.lock = threading.Lock()

    def assignment(self, attempt: str) -> TaskAssignment:
        index = int(attempt.split("_")[4])
        is_map = "_m_" in attempt
        return TaskAssignment(
            attempt_id=attempt,
            app_attempt=1,
            split=self.spec.splits[index] if is_map else None,
            partition=0 if is_map else index,
            num_maps=len(self.spec.splits),
            num_reduces=self.spec.num_reduces,
        )

    async def handle(self, request: Request) -> JSONResponse:
        attempt, action = request.path_params["attempt"], request.path_params.get("action", "")
        body = await request.body()
        answer: Any = {}
        with self.lock:
            if action == "":
                answer = self.assignment(attempt).model_dump()
            elif action == "status":
                answer = {"kill": False}
            elif action == "events":
                start = int(request.query_params["from"])
                events = self.events[start:]
                answer = MapEvents(events=events, next=start + len(events)).model_dump()
            elif action == "can-commit":
                answer = {"commit": True}
            elif action == "done":
                done = TaskDone.model_validate_json(body)
                self.done[attempt] = done
                if "_m_" in attempt:
                    self.events.append(
                        MapEvent(
                            map_index=int(attempt.split("_")[4]),
                            attempt_id=attempt,
                            status="SUCCEEDED",
                            shuffle_address=done.shuffle_address,
                        )
                    )
            elif action == "failed":
                self.failed[attempt] = TaskFailed.model_validate_json(body)
        return JSONResponse(answer)


class _Server(threading.Thread):
    def __init__(self, app: Starlette) -> None:
        super().__init__(daemon=True)
        self.socket = listen_tcp("127.0.0.1", 0)
        self.address = f"127.0.0.1:{self.socket.getsockname()[1]}"
        self.server = uvicorn.Server(uvicorn.Config(app, log_config=None, lifespan="off"))

    def run(self) -> None:
        self.server.run(sockets=[self.socket])

    def stop(self) -> None:
        self.server.should_exit = True
        self.join(timeout=10)
        self.socket.close()


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[tuple[Umbilical, _Server, _Server, ShuffleService]]:
    text = b"".join(
        b"the quick brown fox %d jumps over the lazy dog %d\n" % (i, i % 7) for i in range(300)
    )
    source = tmp_path / "input.txt"
    source.write_bytes(text)
    half = len(text) // 2
    spec = JobSpec(
        job_id=JOB,
        name="wordcount",
        user="hadoop",
        conf={"mapreduce.task.io.sort.mb": "1"},
        output=f"file:{tmp_path}/out",
        splits=[
            InputSplit(path=f"file:{source}", start=0, length=half),
            InputSplit(path=f"file:{source}", start=half, length=len(text) - half),
        ],
        mapper="tr ' ' '\\n' | grep -v '^$' | sed 's/$/\\t1/'",
        combiner=None,
        reducer="awk -F'\\t' '{c[$1]+=$2} END {for (k in c) print k \"\\t\" c[k]}'",
        num_reduces=2,
    )
    umbilical = Umbilical(spec)
    am = _Server(
        Starlette(
            routes=[
                Route("/umbilical/v1/tasks/{attempt}", umbilical.handle, methods=["GET"]),
                Route(
                    "/umbilical/v1/tasks/{attempt}/{action}",
                    umbilical.handle,
                    methods=["GET", "POST"],
                ),
            ]
        )
    )
    local_root = tmp_path / "local"
    shuffle = ShuffleService((local_root,))
    shuffle_server = _Server(create_shuffle_app(shuffle))
    am.start()
    shuffle_server.start()
    try:
        yield umbilical, am, shuffle_server, shuffle
    finally:
        am.stop()
        shuffle_server.stop()


def _run_task(tmp_path: Path, attempt: str, spec: JobSpec, env: dict[str, str]) -> None:
    work = tmp_path / "work" / attempt
    work.mkdir(parents=True)
    (work / "job.json").write_text(spec.model_dump_json())
    result = subprocess.run(
        [sys.executable, "-m", "emr.mapreduce.task", attempt],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    assert " INFO [main] org.apache.hadoop.mapred." in result.stderr


def test_map_then_reduce_through_the_shuffle(
    servers: tuple[Umbilical, _Server, _Server, ShuffleService], tmp_path: Path
) -> None:
    umbilical, am, shuffle_server, shuffle = servers
    spec, token = umbilical.spec, secrets.token_hex(8)
    shuffle.add_application(APP, "hadoop", token)
    appcache = tmp_path / "local" / "usercache" / "hadoop" / "appcache" / APP
    env = {
        **os.environ,
        "EMR_MR_UMBILICAL": f"http://{am.address}",
        "EMR_MR_JOB_TOKEN": token,
        "EMR_SHUFFLE_ADDRESS": shuffle_server.address,
        "LOCAL_DIRS": str(appcache),
        "HADOOP_CONF_DIR": str(tmp_path / "no-conf"),
    }
    with JobFileSystems(env, user="hadoop") as fss:
        OutputCommitter(fss, spec.output, 1).setup_job()
        for index in range(2):
            _run_task(tmp_path, f"attempt_1700000000000_0007_m_{index:06d}_0", spec, env)
        for index in range(2):
            _run_task(tmp_path, f"attempt_1700000000000_0007_r_{index:06d}_0", spec, env)
        OutputCommitter(fss, spec.output, 1).commit_job()
    assert umbilical.failed == {}
    words: dict[str, int] = {}
    for line in Path(f"{tmp_path}/input.txt").read_text().split():
        words[line] = words.get(line, 0) + 1
    out = tmp_path / "out"
    got: dict[str, int] = {}
    for part in sorted(out.glob("part-*")):
        for line in part.read_text().splitlines():
            key, value = line.split("\t")
            got[key] = int(value)
    assert got == words
    assert sorted(p.name for p in out.iterdir()) == ["_SUCCESS", "part-00000", "part-00001"]
    task = "org.apache.hadoop.mapreduce.TaskCounter"
    maps = [umbilical.done[f"attempt_1700000000000_0007_m_{i:06d}_0"].counters for i in range(2)]
    assert sum(c[task]["MAP_INPUT_RECORDS"] for c in maps) == 300
    assert sum(c[task]["MAP_OUTPUT_RECORDS"] for c in maps) == sum(words.values())
    reduces = [umbilical.done[f"attempt_1700000000000_0007_r_{i:06d}_0"].counters for i in range(2)]
    assert sum(c[task]["REDUCE_INPUT_RECORDS"] for c in reduces) == sum(words.values())
    assert sum(c[task]["REDUCE_INPUT_GROUPS"] for c in reduces) == len(words)
    assert sum(c[task]["REDUCE_OUTPUT_RECORDS"] for c in reduces) == len(words)
    assert all(c[task]["SHUFFLED_MAPS"] == 2 for c in reduces)
