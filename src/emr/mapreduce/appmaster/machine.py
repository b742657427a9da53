"""The MapReduce job as a pure state machine: `JobStateMachine.handle(event) -> list[Action]`.

No sockets and no clock: events carry the time (ms) and an id that every log line they cause
names; the runtime (runtime.py) performs the actions. The job's transitions are the table
`_TRANSITIONS` (job state, event type) → handler; an event the table does not list in the
current state gets the refusal in `_refuse` (kill the task, no commit, release containers).

Scheduling, as Hadoop's RMContainerAllocator:
- maps ask at priority 20, reduces at 10, re-runs of maps (after a failure, a kill, or an
  output lost to fetch failures or a lost node) at 5; lower is served first. Asks are totals:
  per priority the "*" count of attempts waiting for a container, and per host of a waiting
  map's split its count (relax_locality true), replacing what was asked before.
- a granted container goes to a waiting map whose split is on its host (DATA_LOCAL_MAPS),
  else to any waiting map (OTHER_LOCAL_MAPS); containers nobody needs are released.
- reduce slow start: reduces ask once completed maps ≥ slowstart x maps AND no map is waiting
  for a container, so that reducers (which wait for every map) never take the slots the
  maps still need on a small cluster.
- a re-run prefers a node where that task has not failed: a container on such a node is
  released (and asked for again) while the cluster has other nodes.
- speculation: with no task of a type pending and at least one finished, a running attempt
  slower than 2x the mean duration of finished tasks of its type (and > 10 s) gets one
  speculative attempt; the first to succeed wins, the other is killed. Can-commit goes to
  the first attempt of a task that asks while no other attempt of that task holds it.

LIMITATIONS (vs Hadoop's MRAppMaster):
- no reduce preemption: reduces already running are not killed to make room for re-run maps;
  slow start only keeps new reduce asks back while maps wait.
- racks are not modelled (no RACK_LOCAL_MAPS); no uber mode; no job recovery across AM
  attempts (a second AM attempt runs the whole job again, see runtime.py).
- a map's output is declared lost after 3 fetch-failure reports OR reports from at least half
  the running reduces (Hadoop requires both).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, Final, Literal

from emr.mapreduce import counters as c
from emr.mapreduce.appmaster import events as ev
from emr.mapreduce.appmaster.tasks import Attempt, Task
from emr.mapreduce.ids import JobId, TaskAttemptId, TaskId
from emr.mapreduce.job import JobSpec, JobState, MapEvent, MapEvents, TaskAssignment
from emr.yarn.protocol import ContainerModel, ResourceModel, ResourceRequestModel

__all__ = [
    "MAP_PRIORITY",
    "REDUCE_PRIORITY",
    "RERUN_MAP_PRIORITY",
    "JobStateMachine",
]

MAP_PRIORITY: Final = 20
REDUCE_PRIORITY: Final = 10
RERUN_MAP_PRIORITY: Final = 5
ABORTED: Final = -100
#: Exit statuses that mean "killed from outside", not a failure of the task.
_KILLED_EXITS: Final = frozenset({ABORTED, -102, -105, -106})
FETCH_FAILURES_LIMIT: Final = 3
SPECULATION_MIN_MS: Final = 10_000

Handler = Callable[["JobStateMachine", Any], list[ev.Action]]
#: Counters that change while a task does nothing (its own CPU and memory): not progress.
_RESOURCE_COUNTERS: Final = frozenset(
    {"CPU_MILLISECONDS", "PHYSICAL_MEMORY_BYTES", "VIRTUAL_MEMORY_BYTES", "GC_TIME_MILLIS",
     "COMMITTED_HEAP_BYTES"}
)  # fmt: skip


def _work(counters: c.CounterGroups) -> c.CounterGroups:
    """The counters that move only when records or bytes do."""
    return {
        group: {n: v for n, v in values.items() if n not in _RESOURCE_COUNTERS}
        for group, values in counters.items()
    }


class JobStateMachine:
    """One job's maps, reduces and attempts; see the module docstring."""

    def __init__(self, spec: JobSpec, app_attempt: int = 1) -> None:
        self.spec = spec
        self.app_attempt = app_attempt
        job = JobId.parse(spec.job_id)
        self.state: JobState = "NEW"
        self.diagnostics = ""
        self.start_time = 0
        self.finish_time = 0
        self.maps = [Task(TaskId(job, "m", i), s) for i, s in enumerate(spec.splits)]
        self.reduces = [Task(TaskId(job, "r", i)) for i in range(spec.num_reduces)]
        self.map_events: list[MapEvent] = []
        self.job_counters: dict[str, int] = {}
        self._attempts: dict[str, Attempt] = {}
        self._containers: dict[str, Attempt] = {}
        self._waiting: list[Attempt] = []
        self._sent: dict[tuple[int, str], int] = {}
        self._num_nodes = 1
        self._resources = {
            kind: ResourceModel(
                memory_mb=spec.get_int(f"mapreduce.{kind}.memory.mb"),
                vcores=spec.get_int(f"mapreduce.{kind}.cpu.vcores"),
            )
            for kind in ("map", "reduce")
        }

    # --- the table ------------------------------------------------------------------------

    def handle(self, event: ev.Event) -> list[ev.Action]:
        """Apply one event; the actions the runtime must perform, in order."""
        handler = _TRANSITIONS.get((self.state, type(event)))
        if handler is None:
            return self._refuse(event)
        return handler(self, event)

    def _refuse(self, event: ev.Event) -> list[ev.Action]:
        if isinstance(event, ev.StatusUpdate):
            return [ev.StatusReply(event.attempt_id, kill=True)]
        if isinstance(event, ev.CanCommit):
            return [ev.CommitReply(event.attempt_id, commit=False)]
        if isinstance(event, ev.AllocatedContainers):
            return [ev.ReleaseContainer(x.container_id) for x in event.containers]
        return []

    # --- handlers -------------------------------------------------------------------------

    def _start(self, e: ev.JobStart) -> list[ev.Action]:
        self.state = "RUNNING"
        self.start_time = e.now
        for task in self.maps + self.reduces:
            self._new_attempt(task, self._first_priority(task))
        actions: list[ev.Action] = [
            ev.Log(
                e.event_id,
                f"Job {self.spec.job_id}: {len(self.maps)} maps, "
                f"{len(self.reduces)} reduces; transitioned from NEW to RUNNING",
            )
        ]
        return actions + self._finish_if_complete(e) + self._asks(e)

    def _allocated(self, e: ev.AllocatedContainers) -> list[ev.Action]:
        self._num_nodes = max(1, e.num_cluster_nodes)
        actions: list[ev.Action] = []
        for container in e.containers:
            actions += self._assign(container, e)
        return actions + self._asks(e, force=bool(e.containers))

    def _container_completed(self, e: ev.ContainerCompleted) -> list[ev.Action]:
        attempt = self._containers.pop(e.container_id, None)
        if attempt is None:
            return []
        actions: list[ev.Action] = []
        if e.exit_status == ABORTED and "lost" in e.diagnostics.lower():
            actions += self._node_lost(attempt.host, e)
        if attempt.state != "RUNNING" or self.state != "RUNNING":
            return actions
        if e.exit_status in _KILLED_EXITS:
            diagnostics = e.diagnostics or f"Container {e.container_id} was killed"
            return actions + self._attempt_killed(attempt, diagnostics, e, stop=False)
        if e.exit_status == 0:
            diagnostics = "Container exited before the task reported it was done"
        else:  # the NodeManager's diagnostics already name the exit code and the stderr
            diagnostics = e.diagnostics or (
                f"Container exited with a non-zero exit code {e.exit_status}"
            )
        return actions + self._attempt_failed(attempt, diagnostics.strip(), e, stop=False)

    def _status(self, e: ev.StatusUpdate) -> list[ev.Action]:
        attempt = self._attempts.get(e.attempt_id)
        if attempt is None or attempt.state != "RUNNING":
            return [ev.StatusReply(e.attempt_id, kill=True)]
        progress = min(1.0, max(0.0, e.progress))
        moved = (progress, e.state) != (attempt.progress, attempt.status) or (
            bool(e.counters) and _work(e.counters) != _work(attempt.counters)
        )
        # mapreduce.task.timeout counts reports that show progress (records read or written,
        # a new status), not pings, so a hung mapper or reducer is killed as in Hadoop; a
        # reduce waiting for map outputs is progressing (Hadoop's shuffle reports progress
        # while it waits).
        waiting_for_maps = not attempt.task.is_map and any(
            t.state != "SUCCEEDED" for t in self.maps
        )
        if moved or waiting_for_maps:
            attempt.last_report = e.now
        attempt.progress = progress
        attempt.status = e.state
        if e.counters:
            attempt.counters = e.counters
        return [ev.StatusReply(e.attempt_id, kill=False)]

    def _can_commit(self, e: ev.CanCommit) -> list[ev.Action]:
        attempt = self._attempts.get(e.attempt_id)
        if attempt is None or attempt.state != "RUNNING":
            return [ev.CommitReply(e.attempt_id, commit=False)]
        attempt.last_report = e.now
        task = attempt.task
        granted = task.state != "SUCCEEDED" and task.commit_holder in (None, attempt.name)
        if granted:
            task.commit_holder = attempt.name
        word = "granted" if granted else f"refused (held by {task.commit_holder})"
        return [
            ev.Log(e.event_id, f"Commit-pending for {attempt.name}: {word}"),
            ev.CommitReply(e.attempt_id, commit=granted),
        ]

    def _done(self, e: ev.TaskAttemptDone) -> list[ev.Action]:
        attempt = self._attempts.get(e.attempt_id)
        if attempt is None or attempt.state != "RUNNING":
            return []
        task = attempt.task
        commits = not task.is_map or not self.reduces
        if task.state == "SUCCEEDED" or (
            commits and task.commit_holder not in (None, attempt.name)
        ):
            return self._attempt_killed(attempt, "Another attempt of the task succeeded", e)
        attempt.counters = e.counters
        attempt.shuffle_address = e.shuffle_address
        attempt.progress = 1.0
        actions = self._end(attempt, "SUCCEEDED", e)
        task.state = "SUCCEEDED"
        task.successful = attempt
        for other in task.active:
            actions += self._attempt_killed(other, "Another attempt of the task succeeded", e)
        if task.is_map and self.reduces:
            self.map_events.append(
                MapEvent(
                    map_index=task.task_id.index,
                    attempt_id=attempt.name,
                    status="SUCCEEDED",
                    shuffle_address=e.shuffle_address,
                )
            )
        actions.append(ev.Log(e.event_id, f"Task succeeded with attempt {attempt.name}"))
        return actions + self._finish_if_complete(e) + self._asks(e)

    def _failed(self, e: ev.TaskAttemptFailed) -> list[ev.Action]:
        attempt = self._attempts.get(e.attempt_id)
        if attempt is None or attempt.state != "RUNNING":
            return []
        if e.counters:
            attempt.counters = e.counters
        return self._attempt_failed(attempt, e.diagnostics, e, stop=True)

    def _fetch_failed(self, e: ev.FetchFailed) -> list[ev.Action]:
        attempt = self._attempts.get(e.map_attempt_id)
        if (
            attempt is None
            or attempt.state != "SUCCEEDED"
            or attempt.task.successful is not attempt
        ):
            return []
        attempt.fetch_failures += 1
        attempt.fetch_reporters.add(e.attempt_id)
        running = sum(len(t.running) for t in self.reduces)
        actions: list[ev.Action] = [
            ev.Log(
                e.event_id,
                f"{e.attempt_id} reported a fetch failure of {attempt.name} "
                f"({attempt.fetch_failures}): {e.reason}",
                "WARN",
            )
        ]
        many = attempt.fetch_failures >= FETCH_FAILURES_LIMIT
        if not many and 2 * len(attempt.fetch_reporters) < running:
            return actions
        reducer = self._attempts.get(e.attempt_id)
        host = reducer.host if reducer is not None else ""
        diagnostics = (
            "Too many fetch failures. Failing the attempt. Last failure reported by "
            f"{e.attempt_id} from host {host}"
        )
        return actions + self._obsolete(attempt, "FAILED", diagnostics, e)

    def _tick(self, e: ev.Tick) -> list[ev.Action]:
        actions: list[ev.Action] = []
        timeout = self.spec.get_int("mapreduce.task.timeout")
        for attempt in [a for a in self._attempts.values() if a.state == "RUNNING"]:
            if timeout > 0 and e.now - attempt.last_report > timeout:
                diagnostics = f"AttemptID:{attempt.name} Timed out after {timeout // 1000} secs"
                actions += self._attempt_failed(attempt, diagnostics, e, stop=True)
                if self.state != "RUNNING":
                    return actions
        for tasks, kind in ((self.maps, "map"), (self.reduces, "reduce")):
            if self.spec.get_bool(f"mapreduce.{kind}.speculative"):
                actions += self._speculate(tasks, e)
        return actions + (self._asks(e) if actions else [])

    def _kill(self, e: ev.KillJob) -> list[ev.Action]:
        return self._finish("KILLED", e.diagnostics, e)

    # --- attempts -------------------------------------------------------------------------

    def _first_priority(self, task: Task) -> int:
        if not task.is_map:
            return REDUCE_PRIORITY
        return MAP_PRIORITY if not task.attempts else RERUN_MAP_PRIORITY

    def _new_attempt(self, task: Task, priority: int, speculative: bool = False) -> Attempt:
        attempt = Attempt(
            TaskAttemptId(task.task_id, len(task.attempts)), task, priority, speculative
        )
        task.attempts.append(attempt)
        self._attempts[attempt.name] = attempt
        self._waiting.append(attempt)
        return attempt

    def _end(self, attempt: Attempt, state: str, e: ev.Event, stop: bool = True) -> list[ev.Action]:
        """Move an active attempt to a final state; kill its process if it runs and `stop`."""
        actions: list[ev.Action] = []
        was = attempt.state
        if was == "WAITING":
            self._waiting.remove(attempt)
        if was == "RUNNING":
            attempt.finish_time = e.now
            kind = "MAPS" if attempt.task.is_map else "REDUCES"
            resource = self._resources["map" if attempt.task.is_map else "reduce"]
            millis = max(0, attempt.finish_time - attempt.launch_time)
            self._count(f"MILLIS_{kind}", millis)
            self._count(f"MB_MILLIS_{kind}", millis * resource.memory_mb)
            self._count(f"VCORES_MILLIS_{kind}", millis * resource.vcores)
            if stop and state != "SUCCEEDED" and attempt.container is not None:
                actions.append(ev.StopContainer(attempt.container, attempt.name))
        attempt.state = state  # type: ignore[assignment]
        if attempt.task.commit_holder == attempt.name and state != "SUCCEEDED":
            attempt.task.commit_holder = None  # let another attempt commit
        return actions

    def _attempt_failed(
        self, attempt: Attempt, diagnostics: str, e: ev.Event, stop: bool
    ) -> list[ev.Action]:
        task = attempt.task
        launched = attempt.state != "WAITING"
        actions = self._end(attempt, "FAILED", e, stop)
        attempt.diagnostics = diagnostics
        if launched:
            self._count("NUM_FAILED_MAPS" if task.is_map else "NUM_FAILED_REDUCES")
        task.failed_attempts += 1
        if attempt.host:
            task.failed_hosts.add(attempt.host)
        actions.append(ev.Log(e.event_id, f"{attempt.name} FAILED: {diagnostics}", "WARN"))
        kind = "map" if task.is_map else "reduce"
        if task.failed_attempts >= self.spec.get_int(f"mapreduce.{kind}.maxattempts"):
            return actions + self._task_failed(task, e)
        return actions + self._rerun(task) + self._asks(e)

    def _attempt_killed(
        self, attempt: Attempt, diagnostics: str, e: ev.Event, stop: bool = True
    ) -> list[ev.Action]:
        launched = attempt.state == "RUNNING"
        actions = self._end(attempt, "KILLED", e, stop)
        attempt.diagnostics = diagnostics
        if launched:
            self._count("NUM_KILLED_MAPS" if attempt.task.is_map else "NUM_KILLED_REDUCES")
            actions.append(ev.Log(e.event_id, f"{attempt.name} KILLED: {diagnostics}"))
        if self.state == "RUNNING":
            actions += self._rerun(attempt.task) + self._asks(e)
        return actions

    def _rerun(self, task: Task) -> list[ev.Action]:
        if task.state == "SCHEDULED" and not task.active:
            self._new_attempt(task, self._first_priority(task))
        return []

    def _obsolete(
        self, attempt: Attempt, state: str, diagnostics: str, e: ev.Event
    ) -> list[ev.Action]:
        """A SUCCEEDED map's output is lost: void its event and run the map again."""
        task = attempt.task
        task.state = "SCHEDULED"
        task.successful = None
        attempt.state = state  # type: ignore[assignment]
        attempt.diagnostics = diagnostics
        self.map_events.append(
            MapEvent(
                map_index=task.task_id.index,
                attempt_id=attempt.name,
                status="OBSOLETE",
                shuffle_address=attempt.shuffle_address,
            )
        )
        actions: list[ev.Action] = [
            ev.Log(e.event_id, f"{attempt.name} {state} after success: {diagnostics}", "WARN")
        ]
        if state == "FAILED":
            self._count("NUM_FAILED_MAPS")
            task.failed_attempts += 1
            task.failed_hosts.add(attempt.host)
            if task.failed_attempts >= self.spec.get_int("mapreduce.map.maxattempts"):
                return actions + self._task_failed(task, e)
        else:
            self._count("NUM_KILLED_MAPS")
        return actions + self._rerun(task) + self._asks(e)

    def _node_lost(self, host: str, e: ev.Event) -> list[ev.Action]:
        if not self.reduces or all(t.state == "SUCCEEDED" for t in self.reduces):
            return []
        actions: list[ev.Action] = []
        for task in self.maps:
            won = task.successful
            if won is not None and won.host == host and self.state == "RUNNING":
                actions += self._obsolete(won, "KILLED", f"Node {host} was lost", e)
        return actions

    def _speculate(self, tasks: list[Task], e: ev.Event) -> list[ev.Action]:
        finished = [t.duration for t in tasks if t.state == "SUCCEEDED"]
        if not finished or any(a.task in tasks for a in self._waiting):
            return []
        mean = sum(finished) / len(finished)
        actions: list[ev.Action] = []
        for task in tasks:
            running = task.running
            if task.state != "SCHEDULED" or len(task.active) != 1 or len(running) != 1:
                continue
            if any(a.speculative for a in task.attempts):
                continue
            elapsed = e.now - running[0].launch_time
            if elapsed > 2 * mean and elapsed > SPECULATION_MIN_MS:
                priority = MAP_PRIORITY if task.is_map else REDUCE_PRIORITY
                new = self._new_attempt(task, priority, speculative=True)
                actions.append(
                    ev.Log(e.event_id, f"Speculating {running[0].name} ({elapsed} ms): {new.name}")
                )
        return actions

    # --- containers -----------------------------------------------------------------------

    def _reduces_may_ask(self) -> bool:
        done = sum(1 for t in self.maps if t.state == "SUCCEEDED")
        slowstart = self.spec.get_float("mapreduce.job.reduce.slowstart.completedmaps")
        maps_waiting = any(a.task.is_map for a in self._waiting)
        return done >= slowstart * len(self.maps) and not maps_waiting

    def _assign(self, container: ContainerModel, e: ev.Event) -> list[ev.Action]:
        host = container.node_id.rsplit(":", 1)[0]
        reduces_ok = self._reduces_may_ask()
        candidates = [
            a
            for a in self._waiting
            if a.priority == container.priority and (a.task.is_map or reduces_ok)
        ]
        local = [
            a
            for a in candidates
            if a.task.split is not None
            and host in a.task.split.hosts
            and host not in a.task.failed_hosts
        ]
        # A node where the task failed is taken once it failed on as many nodes as there are.
        elsewhere = [
            a
            for a in candidates
            if host not in a.task.failed_hosts or len(a.task.failed_hosts) >= self._num_nodes
        ]
        pool = local or elsewhere
        if not pool:
            return [
                ev.ReleaseContainer(container.container_id),
                ev.Log(e.event_id, f"Releasing unneeded container {container.container_id}"),
            ]
        chosen = pool[0]
        self._waiting.remove(chosen)
        chosen.state = "RUNNING"
        chosen.container = container
        chosen.host = host
        chosen.launch_time = chosen.last_report = e.now
        self._containers[container.container_id] = chosen
        if chosen.task.is_map:
            self._count("TOTAL_LAUNCHED_MAPS")
            self._count("DATA_LOCAL_MAPS" if local else "OTHER_LOCAL_MAPS")
        else:
            self._count("TOTAL_LAUNCHED_REDUCES")
        return [
            ev.Log(
                e.event_id,
                f"Assigned container {container.container_id} to {chosen.name} on {host}",
            ),
            ev.LaunchAttempt(container, chosen.name),
        ]

    def _wanted(self) -> dict[tuple[int, str], int]:
        wanted: dict[tuple[int, str], int] = {}
        reduces_ok = self._reduces_may_ask()
        for attempt in self._waiting:
            if not attempt.task.is_map and not reduces_ok:
                continue
            keys = [(attempt.priority, "*")]
            split = attempt.task.split
            if split is not None:
                keys += [
                    (attempt.priority, h) for h in split.hosts if h not in attempt.task.failed_hosts
                ]
            for key in keys:
                wanted[key] = wanted.get(key, 0) + 1
        return wanted

    def _asks(self, e: ev.Event, force: bool = False) -> list[ev.Action]:
        wanted = self._wanted() if self.state == "RUNNING" else {}
        if wanted == self._sent and not force:
            return []
        keys = sorted(set(wanted) | set(self._sent), key=lambda k: (k[0], k[1] != "*", k[1]))
        asks = tuple(
            ResourceRequestModel(
                priority=priority,
                capability=self._resources["reduce" if priority == REDUCE_PRIORITY else "map"],
                num_containers=wanted.get((priority, name), 0),
                resource_name=name,
            )
            for priority, name in keys
        )
        self._sent = {k: v for k, v in wanted.items() if v}
        return [ev.AskContainers(asks)] if asks else []

    # --- the job's end --------------------------------------------------------------------

    def _task_failed(self, task: Task, e: ev.Event) -> list[ev.Action]:
        task.state = "FAILED"
        failed_maps = sum(1 for t in self.maps if t.state == "FAILED")
        failed_reduces = sum(1 for t in self.reduces if t.state == "FAILED")
        killed_maps = sum(1 for t in self.maps if t.state == "KILLED")
        killed_reduces = sum(1 for t in self.reduces if t.state == "KILLED")
        diagnostics = (
            f"Task failed {task.task_id}\nJob failed as tasks failed. failedMaps:{failed_maps} "
            f"failedReduces:{failed_reduces} killedMaps:{killed_maps} "
            f"killedReduces: {killed_reduces}"
        )
        return self._finish("FAILED", diagnostics, e)

    def _finish_if_complete(self, e: ev.Event) -> list[ev.Action]:
        tasks = self.reduces or self.maps
        if all(t.state == "SUCCEEDED" for t in tasks):
            return self._finish("SUCCEEDED", "", e)
        return []

    def _finish(self, state: Any, diagnostics: str, e: ev.Event) -> list[ev.Action]:
        self.state = state
        self.diagnostics = diagnostics
        self.finish_time = e.now
        actions: list[ev.Action] = []
        for attempt in list(self._attempts.values()):
            if attempt.active:
                actions += self._attempt_killed(attempt, f"Job {state.lower()}", e)
        for task in self.maps + self.reduces:
            if task.state == "SCHEDULED":
                task.state = "KILLED"
        actions += self._asks(e)
        level: Literal["INFO", "ERROR"] = "INFO" if state == "SUCCEEDED" else "ERROR"
        message = f"Job {self.spec.job_id} transitioned to {state}" + (
            f": {diagnostics}" if diagnostics else ""
        )
        return [*actions, ev.Log(e.event_id, message, level), ev.FinishJob(state, diagnostics)]

    def _count(self, name: str, amount: int = 1) -> None:
        self.job_counters[name] = self.job_counters.get(name, 0) + amount

    # --- queries (for the umbilical and the REST API) -------------------------------------

    @property
    def asking(self) -> bool:
        """Whether containers are asked for and not yet granted."""
        return any(self._sent.values())

    def attempt(self, attempt_id: str) -> Attempt | None:
        return self._attempts.get(attempt_id)

    def attempts(self) -> Iterator[Attempt]:
        return iter(list(self._attempts.values()))

    def assignment(self, attempt_id: str) -> TaskAssignment | None:
        """What a task container asks first: its task, or None if the attempt is unknown."""
        attempt = self._attempts.get(attempt_id)
        if attempt is None:
            return None
        task = attempt.task
        return TaskAssignment(
            attempt_id=attempt_id,
            app_attempt=self.app_attempt,
            split=task.split,
            partition=0 if task.is_map else task.task_id.index,
            num_maps=len(self.maps),
            num_reduces=len(self.reduces),
        )

    def events(self, start: int) -> MapEvents:
        return MapEvents(events=self.map_events[start:], next=len(self.map_events))

    def map_progress(self) -> float:
        return sum(t.progress for t in self.maps) / len(self.maps) if self.maps else 1.0

    def reduce_progress(self) -> float:
        return sum(t.progress for t in self.reduces) / len(self.reduces) if self.reduces else 1.0

    def progress(self) -> float:
        """YARN progress: the mean of map and reduce progress (map progress, map-only)."""
        if not self.reduces:
            return self.map_progress()
        return (self.map_progress() + self.reduce_progress()) / 2

    def counters(self) -> tuple[c.CounterGroups, c.CounterGroups, c.CounterGroups]:
        """(job total, maps, reduces): the winning attempts' final counters, plus the JOB
        group in the total."""
        maps: c.CounterGroups = {}
        reduces: c.CounterGroups = {}
        for task in self.maps + self.reduces:
            if task.successful is not None:
                c.add_counters(maps if task.is_map else reduces, task.successful.counters)
        total = c.add_counters(c.add_counters({}, maps), reduces)
        if self.job_counters:
            total[c.JOB] = dict(self.job_counters)
        return total, maps, reduces


_TRANSITIONS: dict[tuple[str, type], Handler] = {
    ("NEW", ev.JobStart): JobStateMachine._start,
    ("NEW", ev.KillJob): JobStateMachine._kill,
    ("RUNNING", ev.AllocatedContainers): JobStateMachine._allocated,
    ("RUNNING", ev.ContainerCompleted): JobStateMachine._container_completed,
    ("RUNNING", ev.StatusUpdate): JobStateMachine._status,
    ("RUNNING", ev.CanCommit): JobStateMachine._can_commit,
    ("RUNNING", ev.TaskAttemptDone): JobStateMachine._done,
    ("RUNNING", ev.TaskAttemptFailed): JobStateMachine._failed,
    ("RUNNING", ev.FetchFailed): JobStateMachine._fetch_failed,
    ("RUNNING", ev.Tick): JobStateMachine._tick,
    ("RUNNING", ev.KillJob): JobStateMachine._kill,
}
