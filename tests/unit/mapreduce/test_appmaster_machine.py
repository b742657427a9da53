"""The MR ApplicationMaster's job state machine, event by event: scheduling and locality,
slow start, retries, timeouts, speculation, fetch failures, node loss, commit arbitration,
counters and kills."""

from __future__ import annotations

import itertools
from typing import Any

from emr.mapreduce.appmaster import events as ev
from emr.mapreduce.appmaster.machine import JobStateMachine
from emr.mapreduce.counters import JOB, TASK
from emr.mapreduce.job import InputSplit, JobSpec
from emr.yarn.protocol import ContainerModel, ResourceModel

JOB_ID = "job_1700000000000_0001"
A, B, C = "10.0.0.1", "10.0.0.2", "10.0.0.3"


def attempt(kind: str, task: int, number: int = 0) -> str:
    return f"attempt_1700000000000_0001_{kind}_{task:06d}_{number}"


def make_spec(hosts: list[list[str]], reduces: int = 1, **conf: str) -> JobSpec:
    splits = [
        InputSplit(path=f"hdfs://nn/in/{i}", start=0, length=10, hosts=h)
        for i, h in enumerate(hosts)
    ]
    return JobSpec(
        job_id=JOB_ID,
        name="j",
        user="hadoop",
        output="hdfs://nn/out",
        splits=splits,
        mapper="cat",
        num_reduces=reduces,
        conf={k.replace("_", "."): v for k, v in conf.items()},
    )


class Job:
    """A machine and a clock; `send` applies an event and returns the actions."""

    def __init__(self, spec: JobSpec) -> None:
        self.machine = JobStateMachine(spec)
        self.ids = itertools.count(1)
        self.now = 0
        self.containers = itertools.count(2)
        self.launched: dict[str, ContainerModel] = {}
        self.start = self.send(ev.JobStart)

    def send(self, kind: Any, *args: Any, **kwargs: Any) -> list[ev.Action]:
        actions: list[ev.Action] = self.machine.handle(
            kind(next(self.ids), self.now, *args, **kwargs)
        )
        for action in actions:
            if isinstance(action, ev.LaunchAttempt):
                self.launched[action.attempt_id] = action.container
        return actions

    def grant(self, host: str, priority: int, nodes: int = 3) -> list[ev.Action]:
        container = ContainerModel(
            container_id=f"container_1700000000000_0001_01_{next(self.containers):06d}",
            node_id=f"{host}:8041",
            node_http_address=f"{host}:8042",
            resource=ResourceModel(memory_mb=1024, vcores=1),
            priority=priority,
            token="t",
        )
        return self.send(ev.AllocatedContainers, (container,), nodes)

    def done(self, attempt_id: str, commit: bool = False, **kwargs: Any) -> list[ev.Action]:
        if commit:
            assert replies(self.send(ev.CanCommit, attempt_id)) == [True]
        return self.send(ev.TaskAttemptDone, attempt_id, **kwargs)

    def completed(self, attempt_id: str, code: int, diagnostics: str = "") -> list[ev.Action]:
        container_id = self.launched[attempt_id].container_id
        return self.send(ev.ContainerCompleted, container_id, code, diagnostics)


def launches(actions: list[ev.Action]) -> list[str]:
    return [a.attempt_id for a in actions if isinstance(a, ev.LaunchAttempt)]


def stops(actions: list[ev.Action]) -> list[str]:
    return [a.attempt_id for a in actions if isinstance(a, ev.StopContainer)]


def asks(actions: list[ev.Action]) -> dict[tuple[int, str], int]:
    found: dict[tuple[int, str], int] = {}
    for action in actions:
        if isinstance(action, ev.AskContainers):
            found |= {(r.priority, r.resource_name): r.num_containers for r in action.asks}
    return found


def finish(actions: list[ev.Action]) -> ev.FinishJob | None:
    return next((a for a in actions if isinstance(a, ev.FinishJob)), None)


def replies(actions: list[ev.Action]) -> list[bool]:
    return [a.commit for a in actions if isinstance(a, ev.CommitReply)]


def test_map_asks_carry_locality_and_containers_go_to_local_maps() -> None:
    job = Job(make_spec([[A], [B]], reduces=1))
    assert asks(job.start) == {(20, "*"): 2, (20, A): 1, (20, B): 1}
    assert launches(job.grant(B, 20)) == [attempt("m", 1)]
    assert launches(job.grant(C, 20)) == [attempt("m", 0)]
    extra = job.grant(A, 20)
    assert launches(extra) == [] and any(isinstance(a, ev.ReleaseContainer) for a in extra)
    total, _, _ = job.machine.counters()
    assert total[JOB]["DATA_LOCAL_MAPS"] == 1 and total[JOB]["OTHER_LOCAL_MAPS"] == 1
    assert total[JOB]["TOTAL_LAUNCHED_MAPS"] == 2
    assert job.machine.assignment(attempt("m", 1)).split == job.machine.spec.splits[1]  # type: ignore[union-attr]


def test_reduces_wait_for_slow_start_and_for_no_map_waiting() -> None:
    job = Job(make_spec([[A], [A]], reduces=2, mapreduce_job_reduce_slowstart_completedmaps="1.0"))
    assert (10, "*") not in asks(job.start)
    job.grant(A, 20)
    job.grant(A, 20)
    assert (10, "*") not in asks(job.done(attempt("m", 0), shuffle_address=f"{A}:13562"))
    last = job.done(attempt("m", 1), shuffle_address=f"{A}:13562")
    assert asks(last)[(10, "*")] == 2
    assert launches(job.grant(B, 10)) == [attempt("r", 0)]
    assert [e.status for e in job.machine.events(0).events] == ["SUCCEEDED", "SUCCEEDED"]


def test_failed_attempts_retry_until_maxattempts_then_the_job_fails() -> None:
    job = Job(make_spec([[A], [B]], reduces=1, mapreduce_map_maxattempts="2"))
    job.grant(A, 20)
    job.grant(B, 20)
    first = job.send(ev.TaskAttemptFailed, attempt("m", 0), "boom")
    assert stops(first) == [attempt("m", 0)]
    assert asks(first)[(5, "*")] == 1 and (5, A) not in asks(first)  # not where it failed
    assert launches(job.grant(C, 5)) == [attempt("m", 0, 1)]
    end = job.completed(attempt("m", 0, 1), 1, "exit 1")
    result = finish(end)
    assert result is not None and result.state == "FAILED"
    assert result.diagnostics == (
        "Task failed task_1700000000000_0001_m_000000\nJob failed as tasks failed. "
        "failedMaps:1 failedReduces:0 killedMaps:0 killedReduces: 0"
    )
    assert stops(end) == [attempt("m", 1)]  # everything else is killed
    assert job.machine.state == "FAILED"
    total, _, _ = job.machine.counters()
    assert total[JOB]["NUM_FAILED_MAPS"] == 2 and total[JOB]["NUM_KILLED_MAPS"] == 1
    assert job.send(ev.StatusUpdate, attempt("m", 1), 0.5) == [
        ev.StatusReply(attempt("m", 1), True)
    ]


def test_a_rerun_prefers_a_node_where_the_task_did_not_fail() -> None:
    job = Job(make_spec([[A]], reduces=0))
    job.grant(A, 20)
    job.send(ev.TaskAttemptFailed, attempt("m", 0), "boom")
    refused = job.grant(A, 5, nodes=2)
    assert launches(refused) == [] and asks(refused)[(5, "*")] == 1  # keeps asking
    assert launches(job.grant(B, 5, nodes=2)) == [attempt("m", 0, 1)]
    # once it failed on every node, any node is taken again
    job.send(ev.TaskAttemptFailed, attempt("m", 0, 1), "boom")
    assert launches(job.grant(A, 5, nodes=2)) == [attempt("m", 0, 2)]
    # on a one-node cluster the only node is taken
    single = Job(make_spec([[A]], reduces=0))
    single.grant(A, 20)
    single.send(ev.TaskAttemptFailed, attempt("m", 0), "boom")
    assert launches(single.grant(A, 5, nodes=1)) == [attempt("m", 0, 1)]


def test_an_attempt_without_status_times_out() -> None:
    job = Job(make_spec([[A]], reduces=0, mapreduce_task_timeout="5000"))
    job.grant(A, 20)
    job.now = 4000
    assert job.send(ev.StatusUpdate, attempt("m", 0), 0.3) == [
        ev.StatusReply(attempt("m", 0), False)
    ]
    job.now = 8000
    assert stops(job.send(ev.Tick)) == []
    job.now = 9001
    actions = job.send(ev.Tick)
    assert stops(actions) == [attempt("m", 0)]
    failed = job.machine.attempt(attempt("m", 0))
    assert failed is not None and failed.state == "FAILED"
    assert failed.diagnostics == f"AttemptID:{attempt('m', 0)} Timed out after 5 secs"
    assert asks(actions)[(5, "*")] == 1


def test_pings_without_progress_do_not_keep_an_attempt_alive() -> None:
    job = Job(make_spec([[A]], reduces=1, mapreduce_task_timeout="5000"))
    job.grant(A, 20)
    work = {TASK: {"MAP_INPUT_RECORDS": 7, "CPU_MILLISECONDS": 10}}
    job.now = 1000
    job.send(ev.StatusUpdate, attempt("m", 0), 0.5, "", work)
    for job.now in (3000, 5000):  # the same records: only its own CPU time moved
        cpu = {TASK: {"MAP_INPUT_RECORDS": 7, "CPU_MILLISECONDS": job.now}}
        job.send(ev.StatusUpdate, attempt("m", 0), 0.5, "", cpu)
    job.now = 6001
    assert stops(job.send(ev.Tick)) == [attempt("m", 0)]


def test_a_reduce_waiting_for_maps_is_progressing() -> None:
    job = Job(make_spec([[A], [B]], reduces=1, mapreduce_task_timeout="5000"))
    job.grant(A, 20)
    job.grant(B, 20)
    job.send(ev.TaskAttemptDone, attempt("m", 0), {}, f"{A}:13562")
    [reduce] = launches(job.grant(C, 10))
    for job.now in range(2000, 20001, 2000):  # map 1 still runs, and keeps reporting work
        job.send(ev.StatusUpdate, attempt("m", 1), job.now / 30000, "")
        job.send(ev.StatusUpdate, reduce, 0.1, "")
        assert stops(job.send(ev.Tick)) == []
    job.send(ev.TaskAttemptDone, attempt("m", 1), {}, f"{B}:13562")
    job.now = 26001  # all maps done: the same report is no longer progress
    job.send(ev.StatusUpdate, reduce, 0.1, "")
    job.now = 31002
    assert stops(job.send(ev.Tick)) == [reduce]


def speculating_job() -> Job:
    job = Job(make_spec([[A], [B]], reduces=0))
    job.grant(A, 20)
    job.grant(B, 20)
    job.now = 1000
    job.done(attempt("m", 0), commit=True)
    job.now = 5000
    assert asks(job.send(ev.Tick)) == {}  # not slow enough yet (10 s minimum)
    job.now = 20_000
    assert asks(job.send(ev.Tick))[(20, "*")] == 1
    assert launches(job.grant(C, 20)) == [attempt("m", 1, 1)]
    return job


def test_a_speculative_attempt_that_wins_kills_the_original() -> None:
    job = speculating_job()
    actions = job.done(attempt("m", 1, 1), commit=True)
    assert stops(actions) == [attempt("m", 1)]
    assert replies(job.send(ev.CanCommit, attempt("m", 1))) == [False]
    result = finish(actions)
    assert result is not None and result.state == "SUCCEEDED"


def test_a_speculative_attempt_that_loses_is_killed() -> None:
    job = speculating_job()
    assert replies(job.send(ev.CanCommit, attempt("m", 1))) == [True]
    assert replies(job.send(ev.CanCommit, attempt("m", 1, 1))) == [False]  # arbitration
    actions = job.done(attempt("m", 1))
    assert stops(actions) == [attempt("m", 1, 1)]
    assert finish(actions) is not None
    total, _, _ = job.machine.counters()
    assert total[JOB]["NUM_KILLED_MAPS"] == 1 and total[JOB]["TOTAL_LAUNCHED_MAPS"] == 3


def test_the_commit_passes_on_when_its_holder_fails() -> None:
    job = speculating_job()
    assert replies(job.send(ev.CanCommit, attempt("m", 1))) == [True]
    job.send(ev.TaskAttemptFailed, attempt("m", 1), "died while committing")
    assert replies(job.send(ev.CanCommit, attempt("m", 1, 1))) == [True]


def reducing_job(reduces: int) -> Job:
    job = Job(make_spec([[A], [A]], reduces=reduces))
    job.grant(A, 20)
    job.grant(A, 20)
    job.done(attempt("m", 0), shuffle_address=f"{A}:13562")
    job.done(attempt("m", 1), shuffle_address=f"{A}:13562")
    for index in range(reduces):
        assert launches(job.grant(B, 10)) == [attempt("r", index)]
    return job


def test_three_fetch_failures_make_a_map_obsolete_and_run_it_again() -> None:
    job = reducing_job(4)
    job.grant(C, 10)  # nothing wants it
    for _ in range(2):
        assert asks(job.send(ev.FetchFailed, attempt("r", 0), attempt("m", 0), "refused")) == {}
    actions = job.send(ev.FetchFailed, attempt("r", 0), attempt("m", 0), "refused")
    assert asks(actions) == {(5, "*"): 1}  # host A is excluded: it failed there
    events = job.machine.events(2)
    assert [(e.status, e.attempt_id) for e in events.events] == [("OBSOLETE", attempt("m", 0))]
    assert events.next == 3
    assert launches(job.grant(C, 5)) == [attempt("m", 0, 1)]
    job.done(attempt("m", 0, 1), shuffle_address=f"{C}:13562")
    assert job.machine.events(3).events[0].shuffle_address == f"{C}:13562"
    total, _, _ = job.machine.counters()
    assert total[JOB]["NUM_FAILED_MAPS"] == 1


def test_fetch_failures_from_half_the_reduces_make_a_map_obsolete() -> None:
    job = reducing_job(2)
    actions = job.send(ev.FetchFailed, attempt("r", 1), attempt("m", 1), "refused")
    assert asks(actions) == {(5, "*"): 1}
    assert job.machine.events(2).events[0].status == "OBSOLETE"


def test_a_lost_node_makes_its_maps_obsolete() -> None:
    job = Job(make_spec([[A], [A]], reduces=1))
    job.grant(A, 20)
    job.grant(A, 20)
    job.done(attempt("m", 0), shuffle_address=f"{A}:13562")
    job.done(attempt("m", 1), shuffle_address=f"{A}:13562")
    job.grant(A, 10)
    actions = job.completed(attempt("r", 0), -100, "Container released on a *lost* node")
    statuses = [e.status for e in job.machine.events(0).events]
    assert statuses == ["SUCCEEDED", "SUCCEEDED", "OBSOLETE", "OBSOLETE"]
    assert asks(actions)[(5, "*")] == 2
    assert (10, "*") not in asks(actions)  # the reduce waits for the maps again
    lost = job.machine.attempt(attempt("r", 0))
    assert lost is not None and lost.state == "KILLED"
    total, _, _ = job.machine.counters()
    assert "NUM_FAILED_MAPS" not in total[JOB]  # a lost node is no failure of the maps


def test_a_map_only_job_commits_its_maps_and_succeeds() -> None:
    job = Job(make_spec([[A], [B]], reduces=0))
    assert all(priority == 20 for priority, _ in asks(job.start))
    job.grant(A, 20)
    job.grant(B, 20)
    job.send(ev.StatusUpdate, attempt("m", 0), 0.5)
    assert job.machine.progress() == 0.25
    assert finish(job.done(attempt("m", 0), commit=True)) is None
    result = finish(job.done(attempt("m", 1), commit=True))
    assert result == ev.FinishJob("SUCCEEDED", "")
    assert job.machine.events(0).events == [] and job.machine.progress() == 1.0


def test_counters_add_up_the_winning_attempts() -> None:
    job = Job(make_spec([[A], [B]], reduces=1))
    job.grant(A, 20)
    job.grant(B, 20)
    job.now = 2000
    job.done(attempt("m", 0), counters={TASK: {"MAP_INPUT_RECORDS": 3}}, shuffle_address="x")
    job.done(attempt("m", 1), counters={TASK: {"MAP_INPUT_RECORDS": 4}, "Custom": {"a": 1}})
    job.grant(C, 10)
    job.now = 3000
    job.send(ev.StatusUpdate, attempt("r", 0), 0.5, counters={TASK: {"REDUCE_INPUT_RECORDS": 1}})
    assert job.machine.progress() == 0.75
    result = finish(job.done(attempt("r", 0), True, counters={TASK: {"REDUCE_INPUT_RECORDS": 7}}))
    assert result is not None and result.state == "SUCCEEDED"
    total, maps, reduces = job.machine.counters()
    assert total[TASK] == {"MAP_INPUT_RECORDS": 7, "REDUCE_INPUT_RECORDS": 7}
    assert maps == {TASK: {"MAP_INPUT_RECORDS": 7}, "Custom": {"a": 1}}
    assert reduces == {TASK: {"REDUCE_INPUT_RECORDS": 7}}
    assert total[JOB]["MILLIS_MAPS"] == 4000 and total[JOB]["MB_MILLIS_MAPS"] == 4000 * 1024
    assert total[JOB]["MILLIS_REDUCES"] == 1000 and total[JOB]["VCORES_MILLIS_REDUCES"] == 1000
    assert total[JOB]["TOTAL_LAUNCHED_REDUCES"] == 1


def test_a_kill_from_the_resourcemanager_kills_the_job() -> None:
    job = Job(make_spec([[A], [B]], reduces=1))
    job.grant(A, 20)
    actions = job.send(ev.KillJob)
    assert stops(actions) == [attempt("m", 0)]
    assert finish(actions) == ev.FinishJob("KILLED", "Job received Kill while in RUNNING state.")
    assert asks(actions) == {(20, "*"): 0, (20, B): 0}
    assert job.machine.state == "KILLED"
    late = job.grant(B, 20)
    assert [type(a) for a in late] == [ev.ReleaseContainer]


def test_a_container_that_exits_non_zero_fails_its_attempt() -> None:
    job = Job(make_spec([[A]], reduces=0))
    job.grant(A, 20)
    job.completed(attempt("m", 0), 1)
    failed = job.machine.attempt(attempt("m", 0))
    assert failed is not None and failed.state == "FAILED"
    assert failed.diagnostics.startswith("Container exited with a non-zero exit code 1")
    job.grant(B, 5)
    job.completed(attempt("m", 0, 1), -100, "Container released by application")
    killed = job.machine.attempt(attempt("m", 0, 1))
    assert killed is not None and killed.state == "KILLED"
    assert job.machine.attempt(attempt("m", 0, 2)) is not None  # killed: not a failure
