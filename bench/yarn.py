"""YARN: 1,000 trivial containers through a real cluster, and the scheduler's decision time.

Containers. A cluster of 1 master + 3 core m5.xlarge (a ResourceManager on the master, a
NodeManager on each core node; 3 x 3,072 MB of YARN memory at the default memory scale) runs one
application submitted with YarnRestClient. Its ApplicationMaster (AM_SCRIPT, a Python script
run in the AM container, like the one tests/integration/yarn starts) asks for
CONTAINERS containers of CONTAINER_MB in waves as they fit: each allocate call asks for as many
as the cluster has free slots (the first answer's headroom, less those asked for and not yet
reported complete), as a new ask line at a new priority, so an ask is never re-sent and Hadoop's
replace-the-count semantics cannot over-allocate; a line is withdrawn (count 0) once all of its
containers arrived. Each granted container is started on its NodeManager with `true`. The AM
heartbeats every AM_HEARTBEAT_S and records, per container: its wave's ask time, when the
allocate answer carrying it returned (allocation latency = the difference: the next NodeManager
heartbeat that finds room, plus the AM's next allocate), the start call, and the allocate answer
that reported it COMPLETE. It writes them to a file the bench reads once the application is
FINISHED. Reported: containers/s from the first ask to the last completion, and p50/p99 of the
allocation latency.

Peers. There is no Hadoop YARN on this machine. For containers/s the peer is the floor of what
launching a container can cost here: the same CONTAINERS `bash -c true` (what the NodeManager
runs) started directly with subprocess from a pool as wide as the cluster's slots, measured
twice once the cluster is gone (the faster sample is the floor). For allocation latency the peer
is a stated target, what Hadoop's heartbeat-driven scheduler gives with its defaults: a request
is placed on the next NodeManager heartbeat (1 s apart) and handed to the AM on its next
allocate, so p50 within one heartbeat interval (1 s) and p99 within two (2 s).

Scheduler decision time. In-process, no sockets: emr.yarn.scheduler.CapacityScheduler with 3
nodes of 3,072 MB labelled CORE (as EMR labels core nodes; CORE is non-exclusive, so an
unlabelled request is offered a CORE node after the CORE-labelled ones had their turn) and
PENDING requests of 128 MB: 1 app x 10,000, 100 x 100 and 10,000 x 1 (one user, the default
queue). So that 10,000 applications can be active, their AMs (32 MB each) go to a fourth node
with an exclusive label of its own (`AM`, the AM default label here; EMR's is CORE), with
maximum-am-resource-percent 1.0; that node is never timed. Each timed heartbeat is what the
ResourceManager feeds the scheduler for one NodeManager heartbeat in the container run above:
every container on the node completed (ContainerFinished x 24) and NodeHeartbeat, which places
24 new ones; the asks are topped up (untimed) after each heartbeat, so 10,000 stay pending.
The peer is a stated target of 1 ms per heartbeat decision: at 1 ms the RM's one event loop
could serve 1,000 NodeManagers heartbeating every second (Hadoop's default interval) with
nothing else to do; p99 is printed too, and on this shared machine it is mostly noise.

The machine is shared (2 cores): the load average is printed before and after; run it more than
once.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bench.harness import Result, emr_cluster, emr_server
from emr.nodes.hadoop_conf import RESOURCEMANAGER_WEBAPP_PORT
from emr.services.emr._machine import Action
from emr.yarn.client import YarnRestClient
from emr.yarn.ids import ApplicationAttemptId, ApplicationId, ContainerId, NodeId
from emr.yarn.queues import PREFIX, CapacitySchedulerConfig, emr_default_properties
from emr.yarn.resources import Resource
from emr.yarn.scheduler import (
    Allocate,
    AppSubmitted,
    AttemptRegistered,
    CapacityScheduler,
    ContainerAllocated,
    ContainerFinished,
    NodeAdded,
    NodeHeartbeat,
    ResourceRequest,
    SchedulerSettings,
)

CONTAINERS = 1000
CONTAINER_MB = 128
AM_MB = 512
AM_HEARTBEAT_S = 0.1
COMMAND = "true"
#: Stated targets (see the docstring): allocation latency p50 / p99, and one heartbeat decision.
TARGET_P50_S = 1.0
TARGET_P99_S = 2.0
TARGET_DECISION_MS = 1.0
#: Scheduler variants: (applications, pending requests each).
VARIANTS = ((1, 10_000), (100, 100), (10_000, 1))
PENDING = 10_000
NODE_MB = 3072
ROUNDS = 50
APP_TIMEOUT_S = 300.0
_POLL_S = 0.05

#: The ApplicationMaster: `am.py RESULT TOTAL MEMORY_MB HEARTBEAT_S COMMAND`.
AM_SCRIPT = r"""
import json, os, sys, time
from emr.yarn.amclient import AMClient
from emr.yarn.protocol import LaunchContext, ResourceModel, ResourceRequestModel

result, total, memory_mb = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
heartbeat_s, command = float(sys.argv[4]), sys.argv[5]
clock = time.monotonic
capability = ResourceModel(memory_mb=memory_mb, vcores=1)
launch = LaunchContext(commands=[command])
waves = {}  # priority -> [asked at, count, arrived]
containers = {}  # id -> {wave, allocated, start, started, completed, exit, node}
calls = []  # allocate round trips, s
with AMClient.from_environment() as am:
    am.register(host=os.environ["NM_HOST"])
    answer = am.allocate()
    slots = answer.available.memory_mb // memory_mb
    asked = done = wave = 0
    withdraw = []
    started_at = clock()
    while done < total:
        tick = clock()
        asks = [ResourceRequestModel(priority=p, capability=capability, num_containers=0)
                for p in withdraw]
        withdraw = []
        want = min(slots - (asked - done), total - asked)
        if want > 0:
            wave += 1
            asks.append(ResourceRequestModel(priority=wave, capability=capability,
                                             num_containers=want))
            waves[wave] = [tick, want, 0]
            asked += want
        answer = am.allocate(asks=asks, progress=done / total)
        now = clock()
        calls.append(now - tick)
        for container in answer.allocated:
            w = waves[container.priority]
            w[2] += 1
            if w[2] == w[1]:
                withdraw.append(container.priority)
            start = clock()
            am.start_container(container, launch)
            containers[container.container_id] = {
                "wave": container.priority, "allocated": now, "start": start,
                "started": clock(), "completed": None, "exit": None, "node": container.node_id}
        for status in answer.completed:
            record = containers[status.container_id]
            record["completed"], record["exit"] = now, status.exit_status
            done += 1
        if answer.shutdown:
            sys.exit(1)
        time.sleep(max(0.0, tick + heartbeat_s - clock()))
    finished_at = clock()
    with open(result + ".tmp", "w") as f:
        json.dump({"slots": slots, "started_at": started_at, "finished_at": finished_at,
                   "waves": waves, "containers": containers, "calls": calls}, f)
    os.replace(result + ".tmp", result)
    ok = all(c["exit"] == 0 for c in containers.values())
    am.finish("SUCCEEDED" if ok else "FAILED")
"""


@dataclass(frozen=True)
class ContainerRun:
    """What the AM measured, seconds."""

    slots: int
    elapsed: float
    allocation: list[float]
    start_call: list[float]
    start_to_complete: list[float]
    allocate_calls: list[float]
    waves: int
    submit_to_finished: float

    @property
    def containers_per_s(self) -> float:
        return len(self.allocation) / self.elapsed


@dataclass
class Decisions:
    """One scheduler variant's timed heartbeats, ms."""

    apps: int
    per_app: int
    finished: list[float]
    placed: list[float]
    placements: int

    @property
    def total(self) -> list[float]:
        return [f + p for f, p in zip(self.finished, self.placed, strict=True)]


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100)."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))]


# --- the cluster -------------------------------------------------------------------------------


def _run_application(rm_url: str, scratch: Path) -> ContainerRun:
    script, result = scratch / "am.py", scratch / "am-result.json"
    script.write_text(AM_SCRIPT)
    args = [str(result), str(CONTAINERS), str(CONTAINER_MB), str(AM_HEARTBEAT_S), COMMAND]
    command = " ".join([sys.executable, str(script), *(f"'{a}'" for a in args)])
    with YarnRestClient(rm_url) as rest:
        start = time.perf_counter()
        app_id = rest.new_application().application_id
        rest.submit(
            app_id,
            "bench-yarn",
            [f"{command} 1><LOG_DIR>/am.out 2><LOG_DIR>/am.err"],
            memory_mb=AM_MB,
            max_app_attempts=1,
        )
        try:
            report = rest.wait(app_id, timeout=APP_TIMEOUT_S, poll=_POLL_S)
        except TimeoutError:
            rest.kill(app_id)
            raise
        submit_to_finished = time.perf_counter() - start
    if (report.state, report.final_status) != ("FINISHED", "SUCCEEDED"):
        raise RuntimeError(f"{app_id}: {report.state} {report.final_status} {report.diagnostics}")
    body = json.loads(result.read_text())
    waves = {int(k): v for k, v in body["waves"].items()}
    records = list(body["containers"].values())
    return ContainerRun(
        slots=body["slots"],
        elapsed=body["finished_at"] - body["started_at"],
        allocation=[r["allocated"] - waves[r["wave"]][0] for r in records],
        start_call=[r["started"] - r["start"] for r in records],
        start_to_complete=[r["completed"] - r["start"] for r in records],
        allocate_calls=body["calls"],
        waves=len(waves),
        submit_to_finished=submit_to_finished,
    )


# --- the peer: spawning the same commands directly -------------------------------------------


def spawn_floor(count: int, width: int) -> float:
    """Processes/s of `count` `bash -c COMMAND`, `width` at a time."""

    def one(_: int) -> int:
        return subprocess.run(["bash", "-c", COMMAND], check=True).returncode

    start = time.perf_counter()
    with ThreadPoolExecutor(width) as pool:
        list(pool.map(one, range(count)))
    return count / (time.perf_counter() - start)


# --- the scheduler alone ---------------------------------------------------------------------


def _scheduler(apps: int) -> CapacityScheduler:
    properties = {
        **emr_default_properties(),
        PREFIX + "maximum-am-resource-percent": "1.0",
        PREFIX + "maximum-applications": str(max(apps, 10_000)),
    }
    return CapacityScheduler(
        SchedulerSettings(
            capacity=CapacitySchedulerConfig.from_properties(properties),
            am_default_label="AM",
            exclusive_labels=frozenset({"AM"}),
        )
    )


def _allocated(actions: list[Action]) -> list[ContainerAllocated]:
    return [a for a in actions if isinstance(a, ContainerAllocated) and not a.is_am]


def decisions(apps: int, per_app: int, rounds: int = ROUNDS) -> Decisions:
    """Time `rounds` x 3 heartbeats of full nodes whose containers all completed."""
    at = datetime.now(UTC)
    scheduler = _scheduler(apps)
    am_node = NodeId("10.0.0.100", 8041)
    scheduler.handle(
        NodeAdded(at=at, node_id=am_node, resource=Resource(32 * apps, apps), label="AM")
    )
    nodes = [NodeId(f"10.0.0.{n}", 8041) for n in (1, 2, 3)]
    for node in nodes:
        scheduler.handle(
            NodeAdded(at=at, node_id=node, resource=Resource(NODE_MB, 4), label="CORE")
        )
    attempts = []
    for n in range(1, apps + 1):
        application_id = ApplicationId(1, n)
        scheduler.handle(
            AppSubmitted(
                at=at,
                application_id=application_id,
                queue="default",
                user="hadoop",
                am_resource=Resource(32, 1),
            )
        )
        attempts.append(ApplicationAttemptId(application_id, 1))
    scheduler.handle(NodeHeartbeat(at=at, node_id=am_node))
    capability = Resource(CONTAINER_MB, 1)

    def ask(attempt: ApplicationAttemptId) -> None:
        request = ResourceRequest(priority=1, capability=capability, num_containers=per_app)
        scheduler.handle(Allocate(at=at, attempt_id=attempt, asks=[request]))

    for attempt in attempts:
        scheduler.handle(AttemptRegistered(at=at, attempt_id=attempt))
        ask(attempt)
    running: dict[NodeId, list[ContainerId]] = defaultdict(list)
    for node in nodes:  # fill them (untimed)
        for action in _allocated(scheduler.handle(NodeHeartbeat(at=at, node_id=node))):
            running[node].append(action.container.container_id)
    result = Decisions(apps, per_app, [], [], 0)
    for _ in range(rounds):
        for node in nodes:
            finished = [
                ContainerFinished(at=at, container_id=c, exit_status=0) for c in running[node]
            ]
            heartbeat = NodeHeartbeat(at=at, node_id=node)
            t0 = time.perf_counter_ns()
            for event in finished:
                scheduler.handle(event)
            t1 = time.perf_counter_ns()
            placed = _allocated(scheduler.handle(heartbeat))
            t2 = time.perf_counter_ns()
            result.finished.append((t1 - t0) / 1e6)
            result.placed.append((t2 - t1) / 1e6)
            running[node] = [a.container.container_id for a in placed]
            result.placements += len(placed)
            for attempt in dict.fromkeys(a.attempt_id for a in placed):
                ask(attempt)  # back to PENDING pending requests
    return result


# --- the table -------------------------------------------------------------------------------


def _load() -> str:
    return " ".join(f"{v:.2f}" for v in os.getloadavg())


def _summary(name: str, values: Sequence[float], unit: str) -> str:
    return (
        f"  {name:<34} p50 {percentile(values, 50):8.3f}  p99 {percentile(values, 99):8.3f}  "
        f"max {max(values):8.3f} {unit}"
    )


def run() -> list[Result]:
    """Containers/s and allocation latency on a cluster; heartbeat decision time in-process."""
    print(f"load average before: {_load()}")
    with tempfile.TemporaryDirectory(prefix="emr-bench-yarn-") as tmp:
        scratch = Path(tmp)
        with emr_server(parent=scratch) as endpoint, emr_cluster(endpoint, "bench-yarn") as master:
            rm_url = f"http://{master}:{RESOURCEMANAGER_WEBAPP_PORT}"
            containers = _run_application(rm_url, scratch)
    floors = [spawn_floor(CONTAINERS, containers.slots) for _ in range(2)]
    runs = [decisions(apps, per_app) for apps, per_app in VARIANTS]
    print(f"load average after:  {_load()}")
    c = containers
    print(
        f"containers: {CONTAINERS} x {CONTAINER_MB} MB `{COMMAND}` in {c.waves} waves over "
        f"{c.slots} slots: {c.elapsed:.2f} s first ask → last completion, "
        f"{c.submit_to_finished:.2f} s submit → FINISHED"
    )
    print(_summary("allocation (ask → granted)", c.allocation, "s"))
    print(_summary("AM start_container call", c.start_call, "s"))
    print(_summary("start → COMPLETE seen by the AM", c.start_to_complete, "s"))
    print(_summary("AM allocate round trip", c.allocate_calls, "s"))
    print(f"spawn floor, {containers.slots} at once: " + " ".join(f"{f:,.0f}/s" for f in floors))
    print("scheduler heartbeat (24 ContainerFinished + NodeHeartbeat placing 24), ms:")
    for d in runs:
        shape = f"{d.apps:,} x {d.per_app:,}"
        print(_summary(f"{shape}: completions", d.finished, "ms"))
        print(_summary(f"{shape}: placement", d.placed, "ms"))
    target = "target; Hadoop: next NM heartbeat (1 s)"
    results = [
        Result(f"yarn {CONTAINERS:,} `{COMMAND}` containers, 3 x m5.xlarge", "containers/s",
               c.containers_per_s, max(floors), f"bash -c via subprocess, {c.slots} at once",
               True),
        Result("yarn allocation latency p50 (ask → granted)", "s",
               percentile(c.allocation, 50), TARGET_P50_S, target, False),
        Result("yarn allocation latency p99 (ask → granted)", "s",
               percentile(c.allocation, 99), TARGET_P99_S, "target; 2 NM heartbeats", False),
    ]  # fmt: skip
    for d in runs:
        for q in (50, 99):
            results.append(
                Result(
                    f"yarn scheduler heartbeat p{q}, {d.apps:,} app(s) x {d.per_app:,} pending",
                    "ms",
                    percentile(d.total, q),
                    TARGET_DECISION_MS,
                    "target",
                    False,
                )
            )
    return results
