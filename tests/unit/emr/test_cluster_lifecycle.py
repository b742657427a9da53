"""The cluster machine: its table, and whole lives driven with chosen timestamps."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import pytest

from emr.services.emr._machine import Action, Ignored
from emr.services.emr.cluster_lifecycle import (
    PROTECTED_MESSAGE,
    TRANSITIONS,
    AllNodesStopped,
    AutoTerminationPolicyChanged,
    BootstrapFailed,
    BootstrapSucceeded,
    CancelOutstandingSteps,
    Cluster,
    ClusterCreated,
    ClusterEvent,
    ClusterState,
    ClusterStateChangeReasonCode,
    DaemonsReady,
    ForcedTermination,
    IdleTimeoutElapsed,
    KeepAliveChanged,
    MasterLost,
    NodeFailed,
    NodesProvisioned,
    ProvisioningFailed,
    ProvisionNodes,
    ReadyForSteps,
    RecordStateChange,
    RunBootstrapActions,
    ScheduleIdleCheck,
    StartDaemons,
    StepsDrained,
    StepsQueued,
    StepStarted,
    StopNodes,
    TerminateForStepFailure,
    TerminateRequested,
    TerminationProtectionChanged,
    TerminationRefused,
)
from emr.services.emr.instance_lifecycle import InstanceRole
from emr.services.emr.step_lifecycle import (
    ActionOnFailure,
    ClusterActionOnFailure,
    ClusterReady,
    ClusterTerminating,
    QueueBecameBusy,
    QueueDrained,
    StartStepProcess,
    StepAdded,
    StepProcessExited,
    StepQueue,
    StepState,
)

T0 = datetime(2025, 1, 1, tzinfo=UTC)
S = ClusterState
Code = ClusterStateChangeReasonCode
NODES = {"i-master": InstanceRole.MASTER, "i-core1": InstanceRole.CORE,
         "i-core2": InstanceRole.CORE, "i-task1": InstanceRole.TASK}  # fmt: skip
A = TypeVar("A")


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def of_type(actions: list[Action], kind: type[A]) -> list[A]:
    return [a for a in actions if isinstance(a, kind)]


def last_state(actions: list[Action]) -> RecordStateChange:
    return of_type(actions, RecordStateChange)[-1]


_FIELDS: dict[type[ClusterEvent], dict[str, Any]] = {
    NodesProvisioned: {"instances": NODES},
    ProvisioningFailed: {"code": Code.INSTANCE_FLEET_TIMEOUT, "message": "timed out"},
    NodeFailed: {"instance_id": "i-task1", "role": InstanceRole.TASK, "reason": "lost"},
    MasterLost: {"instance_id": "i-master", "reason": "lost"},
    BootstrapSucceeded: {"instance_id": "i-master"},
    BootstrapFailed: {"instance_id": "i-master", "role": InstanceRole.MASTER, "action_index": 1},
    StepStarted: {"step_id": "s-1"},
    TerminateForStepFailure: {"step_id": "s-1"},
    TerminationProtectionChanged: {"protected": True},
    KeepAliveChanged: {"keep_alive": False},
    AutoTerminationPolicyChanged: {"idle_timeout": timedelta(hours=1)},
    ForcedTermination: {"code": Code.INTERNAL_ERROR, "message": "region restarted"},
}


def make(kind: type[ClusterEvent], seconds: float = 1) -> ClusterEvent:
    return kind(at=at(seconds), **_FIELDS.get(kind, {}))


def cluster(**kwargs: Any) -> Cluster:
    return Cluster("j-TEST", created_at=T0, **kwargs)


def ready_cluster(**kwargs: Any) -> Cluster:
    """A cluster that went through provisioning and bootstrap, before DaemonsReady."""
    c = cluster(**kwargs)
    c.handle(ClusterCreated(at=at(0)))
    c.handle(NodesProvisioned(at=at(1), instances=NODES))
    for iid in NODES:
        c.handle(BootstrapSucceeded(at=at(2), instance_id=iid))
    return c


def cluster_in(state: ClusterState) -> Cluster:
    c = ready_cluster(idle_timeout=timedelta(seconds=1))
    c.state, c.idle_since = state, at(-100)
    return c


@pytest.mark.parametrize(("state", "kind"), sorted(TRANSITIONS, key=str))
def test_every_transition_in_the_table_is_not_ignored(
    state: ClusterState, kind: type[ClusterEvent]
) -> None:
    c = cluster_in(state)
    if kind is BootstrapSucceeded:
        c.bootstrapped.clear()
    actions = c.handle(make(kind))
    assert not of_type(actions, Ignored)


@pytest.mark.parametrize("state", list(ClusterState))
@pytest.mark.parametrize("kind", sorted({kind for _, kind in TRANSITIONS}, key=str))
def test_pairs_outside_the_table_are_ignored(state: ClusterState, kind: type[ClusterEvent]) -> None:
    if (state, kind) in TRANSITIONS:
        return
    c = cluster_in(state)
    event = make(kind)
    assert c.handle(event) == [
        Ignored(cause=event.event_id, event=kind.__name__, state=state.value)
    ]
    assert c.state is state


def drive(c: Cluster, q: StepQueue, actions: list[Action], now: float) -> list[Action]:
    """The supervisor's wiring, as the cluster_lifecycle docstring describes it."""
    seen = list(actions)
    pending = list(actions)
    while pending:
        action = pending.pop(0)
        follow: list[Action] = []
        match action:
            case ReadyForSteps():
                follow = q.handle(ClusterReady(at=at(now)))
            case CancelOutstandingSteps():
                follow = q.handle(ClusterTerminating(at=at(now)))
            case QueueBecameBusy():
                follow = c.handle(StepsQueued(at=at(now)))
            case StartStepProcess():
                follow = c.handle(StepStarted(at=at(now), step_id=action.step_id))
            case QueueDrained():
                follow = c.handle(StepsDrained(at=at(now), had_failures=action.had_failures))
            case ClusterActionOnFailure():
                follow = c.handle(TerminateForStepFailure(at=at(now), step_id=action.step_id))
        seen += follow
        pending += follow
    return seen


def test_normal_life_two_steps_auto_terminate() -> None:
    c, q = cluster(keep_alive=False), StepQueue("j-TEST")
    created = c.handle(ClusterCreated(at=at(0)))
    assert of_type(created, ProvisionNodes) and last_state(created).state is S.STARTING
    for n in (1, 2):
        drive(c, q, q.handle(StepAdded(at=at(0), step_id=f"s-{n}", name=f"step {n}")), 0)
    boot = c.handle(NodesProvisioned(at=at(1), instances=NODES))
    assert last_state(boot).state is S.BOOTSTRAPPING
    assert of_type(boot, RunBootstrapActions)[0].instance_ids == tuple(NODES)
    for iid in list(NODES)[:-1]:
        assert c.handle(BootstrapSucceeded(at=at(2), instance_id=iid)) == []
    assert of_type(c.handle(BootstrapSucceeded(at=at(2), instance_id="i-task1")), StartDaemons)
    ready = drive(c, q, c.handle(DaemonsReady(at=at(3))), 3)
    assert [a.state for a in of_type(ready, RecordStateChange)] == [S.RUNNING]
    assert [a.step_id for a in of_type(ready, StartStepProcess)] == ["s-1"]
    assert c.ready_at == at(3)
    drive(c, q, q.handle(StepProcessExited(at=at(4), step_id="s-1", exit_code=0)), 4)
    assert c.state is S.RUNNING
    end = drive(c, q, q.handle(StepProcessExited(at=at(5), step_id="s-2", exit_code=0)), 5)
    change = last_state(end)
    assert (change.state, change.code, change.message) == (
        S.TERMINATING, Code.ALL_STEPS_COMPLETED, "Steps completed")  # fmt: skip
    assert of_type(end, StopNodes)
    final = c.handle(AllNodesStopped(at=at(6)))
    assert (last_state(final).state, c.code, c.ended_at) == (
        S.TERMINATED, Code.ALL_STEPS_COMPLETED, at(6))  # fmt: skip
    assert [s.state for s in q.ordered()] == [StepState.COMPLETED, StepState.COMPLETED]


def test_long_running_cluster_waits_and_runs_again() -> None:
    c, q = ready_cluster(), StepQueue("j-TEST")
    ready = drive(c, q, c.handle(DaemonsReady(at=at(3))), 3)
    assert last_state(ready).message == "Cluster ready to run steps."
    busy = drive(c, q, q.handle(StepAdded(at=at(4), step_id="s-1", name="x")), 4)
    assert last_state(busy).state is S.RUNNING
    done = drive(c, q, q.handle(StepProcessExited(at=at(5), step_id="s-1", exit_code=1)), 5)
    assert (last_state(done).state, last_state(done).message) == (
        S.WAITING, "Cluster ready after last step completed.")  # fmt: skip


def test_bootstrap_failure_on_master() -> None:
    c = cluster()
    c.handle(ClusterCreated(at=at(0)))
    c.handle(NodesProvisioned(at=at(1), instances=NODES))
    failed = c.handle(
        BootstrapFailed(at=at(2), instance_id="i-master", role=InstanceRole.MASTER, action_index=1)
    )
    change = last_state(failed)
    assert (change.state, change.code) == (S.TERMINATING, Code.BOOTSTRAP_FAILURE)
    assert change.message == (
        "On the master instance (i-master), bootstrap action 1 returned a non-zero return code"
    )
    assert of_type(failed, StopNodes) and of_type(failed, CancelOutstandingSteps)
    assert last_state(c.handle(AllNodesStopped(at=at(3)))).state is S.TERMINATED_WITH_ERRORS
    assert c.message == change.message


@pytest.mark.parametrize("via", ["MasterLost", "NodeFailed"])
def test_master_lost_ends_with_errors(via: str) -> None:
    c = ready_cluster()
    c.handle(DaemonsReady(at=at(3)))
    event: ClusterEvent = (
        MasterLost(at=at(9), instance_id="i-master", reason="no heartbeat for 31 s")
        if via == "MasterLost"
        else NodeFailed(
            at=at(9),
            instance_id="i-master",
            role=InstanceRole.MASTER,
            reason="no heartbeat for 31 s",
        )
    )
    change = last_state(c.handle(event))
    assert (change.state, change.code) == (S.TERMINATING, Code.INSTANCE_FAILURE)
    assert "i-master" in change.message
    assert last_state(c.handle(AllNodesStopped(at=at(10)))).state is S.TERMINATED_WITH_ERRORS


def test_losing_nodes_until_no_core_is_left() -> None:
    c = ready_cluster()
    c.handle(DaemonsReady(at=at(3)))
    for iid, role in [("i-task1", InstanceRole.TASK), ("i-core1", InstanceRole.CORE)]:
        assert c.handle(NodeFailed(at=at(4), instance_id=iid, role=role, reason="lost")) == []
    last = c.handle(NodeFailed(at=at(5), instance_id="i-core2", role=InstanceRole.CORE, reason="x"))
    assert last_state(last).code is Code.INSTANCE_FAILURE


def test_termination_protection_refuses_terminate_requested() -> None:
    c = ready_cluster(termination_protected=True)
    c.handle(DaemonsReady(at=at(3)))
    event = TerminateRequested(at=at(4))
    assert c.handle(event) == [TerminationRefused(cause=event.event_id, message=PROTECTED_MESSAGE)]
    assert c.state is S.WAITING
    c.handle(TerminationProtectionChanged(at=at(5), protected=False))
    change = last_state(c.handle(TerminateRequested(at=at(6))))
    assert (change.state, change.code, change.message) == (
        S.TERMINATING, Code.USER_REQUEST, "Terminated by user request")  # fmt: skip
    assert c.handle(TerminateRequested(at=at(7))) == []  # idempotent while terminating
    assert last_state(c.handle(AllNodesStopped(at=at(8)))).state is S.TERMINATED


def test_forced_termination_ignores_protection() -> None:
    c = ready_cluster(termination_protected=True)
    c.handle(DaemonsReady(at=at(3)))
    stop = ForcedTermination(at=at(4), code=Code.USER_REQUEST, message="The region stopped")
    change = last_state(c.handle(stop))
    assert (change.state, change.code, change.message) == (
        S.TERMINATING, Code.USER_REQUEST, "The region stopped")  # fmt: skip
    assert last_state(c.handle(AllNodesStopped(at=at(5)))).state is S.TERMINATED
    starting = cluster()
    starting.handle(ClusterCreated(at=at(0)))
    starting.handle(ForcedTermination(at=at(1), code=Code.INTERNAL_ERROR, message="restarted"))
    assert last_state(starting.handle(AllNodesStopped(at=at(2)))).state is S.TERMINATED_WITH_ERRORS


@pytest.mark.parametrize(
    ("protected", "keep_alive", "terminates"),
    [(False, True, True), (True, False, True), (True, True, False)],
)
def test_step_failure_with_terminate_cluster(
    protected: bool, keep_alive: bool, terminates: bool
) -> None:
    c = ready_cluster(termination_protected=protected, keep_alive=keep_alive)
    q = StepQueue("j-TEST")
    drive(c, q, q.handle(StepAdded(at=at(0), step_id="s-1", name="x",
                                   action_on_failure=ActionOnFailure.TERMINATE_CLUSTER)), 0)  # fmt: skip
    drive(c, q, q.handle(StepAdded(at=at(0), step_id="s-2", name="y")), 0)
    drive(c, q, c.handle(DaemonsReady(at=at(3))), 3)
    out = drive(c, q, q.handle(StepProcessExited(at=at(4), step_id="s-1", exit_code=1)), 4)
    assert q.steps["s-2"].state is StepState.CANCELLED
    if terminates:
        change = of_type(out, RecordStateChange)[0]
        assert (change.state, change.code, change.message) == (
            S.TERMINATING, Code.STEP_FAILURE, "Shut down as step failed")  # fmt: skip
        assert last_state(c.handle(AllNodesStopped(at=at(5)))).state is S.TERMINATED_WITH_ERRORS
    else:
        assert c.state is S.WAITING


def test_transient_cluster_with_failed_continue_step_ends_with_errors() -> None:
    c, q = ready_cluster(keep_alive=False), StepQueue("j-TEST")
    drive(c, q, q.handle(StepAdded(at=at(0), step_id="s-1", name="x")), 0)
    drive(c, q, c.handle(DaemonsReady(at=at(3))), 3)
    out = drive(c, q, q.handle(StepProcessExited(at=at(4), step_id="s-1", exit_code=1)), 4)
    assert last_state(out).message == "Steps completed with errors"
    assert last_state(c.handle(AllNodesStopped(at=at(5)))).state is S.TERMINATED_WITH_ERRORS


def test_cancel_and_wait_leaves_cluster_waiting() -> None:
    c, q = ready_cluster(), StepQueue("j-TEST")
    drive(c, q, q.handle(StepAdded(at=at(0), step_id="s-1", name="x",
                                   action_on_failure=ActionOnFailure.CANCEL_AND_WAIT)), 0)  # fmt: skip
    drive(c, q, q.handle(StepAdded(at=at(0), step_id="s-2", name="y")), 0)
    drive(c, q, c.handle(DaemonsReady(at=at(3))), 3)
    drive(c, q, q.handle(StepProcessExited(at=at(4), step_id="s-1", exit_code=1)), 4)
    assert c.state is S.WAITING
    assert [s.state for s in q.ordered()] == [StepState.FAILED, StepState.CANCELLED]


def test_idle_timeout_terminates_a_waiting_cluster() -> None:
    c = ready_cluster(idle_timeout=timedelta(minutes=10))
    ready = c.handle(DaemonsReady(at=at(3)))
    (check,) = of_type(ready, ScheduleIdleCheck)
    assert check.deadline == at(603) == c.idle_deadline
    early = c.handle(IdleTimeoutElapsed(at=at(300)))
    assert of_type(early, Ignored) and c.state is S.WAITING
    change = last_state(c.handle(IdleTimeoutElapsed(at=at(603))))
    assert (change.state, change.code) == (S.TERMINATING, Code.ALL_STEPS_COMPLETED)
    assert last_state(c.handle(AllNodesStopped(at=at(604)))).state is S.TERMINATED


def test_idle_timer_is_stale_once_the_cluster_ran_a_step() -> None:
    c = ready_cluster(idle_timeout=timedelta(seconds=60))
    c.handle(DaemonsReady(at=at(3)))
    c.handle(StepStarted(at=at(10), step_id="s-1"))
    assert of_type(c.handle(IdleTimeoutElapsed(at=at(63))), Ignored)
    waiting = c.handle(StepsDrained(at=at(20)))
    assert of_type(waiting, ScheduleIdleCheck)[0].deadline == at(80)


def test_provisioning_failure_and_startup_node_failure() -> None:
    c = cluster()
    c.handle(ClusterCreated(at=at(0)))
    change = last_state(c.handle(make(ProvisioningFailed)))
    assert (change.state, change.code) == (S.TERMINATING, Code.INSTANCE_FLEET_TIMEOUT)
    d = cluster()
    d.handle(NodesProvisioned(at=at(1), instances=NODES))
    failed = d.handle(
        NodeFailed(at=at(2), instance_id="i-core1", role=InstanceRole.CORE, reason="x")
    )
    assert last_state(failed).code is Code.INSTANCE_FAILURE


def test_daemons_ready_before_bootstrap_finished_is_ignored() -> None:
    c = cluster()
    c.handle(NodesProvisioned(at=at(1), instances=NODES))
    assert of_type(c.handle(DaemonsReady(at=at(2))), Ignored)
    assert of_type(c.handle(BootstrapSucceeded(at=at(2), instance_id="i-unknown")), Ignored)
