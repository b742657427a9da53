"""The instance machine: its table, heartbeats, and the group state summary."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from emr.services.emr._machine import Ignored
from emr.services.emr.instance_lifecycle import (
    _TRANSITIONS,
    AgentExited,
    AgentRegistered,
    BootstrapCompleted,
    BootstrapFailed,
    Heartbeat,
    HeartbeatCheck,
    Instance,
    InstanceEvent,
    InstanceFulfilled,
    InstanceGroupState,
    InstanceRole,
    InstanceState,
    InstanceStateChangeReasonCode,
    InstanceStopped,
    RecordInstanceState,
    ReportInstanceLost,
    StopInstance,
    TerminateInstance,
    group_state,
)

T0 = datetime(2025, 1, 1, tzinfo=UTC)
IID = "i-0123456789abcdef0"


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def make_event(kind: type[InstanceEvent], seconds: float = 1) -> InstanceEvent:
    extra: dict[str, object] = {
        AgentRegistered: {"private_ip": "127.1.0.1"},
        BootstrapFailed: {"message": "bootstrap action 1 returned a non-zero return code"},
        AgentExited: {"exit_code": -9},
    }.get(kind, {})
    return kind(at=at(seconds), instance_id=IID, **extra)  # type: ignore[arg-type]


def instance(role: InstanceRole = InstanceRole.CORE) -> Instance:
    return Instance(IID, role, "m5.xlarge", created_at=T0)


def running(role: InstanceRole = InstanceRole.CORE) -> Instance:
    inst = instance(role)
    inst.handle(make_event(InstanceFulfilled, 1))
    inst.handle(make_event(AgentRegistered, 2))
    inst.handle(make_event(BootstrapCompleted, 3))
    return inst


def test_normal_life_records_every_state_and_timeline() -> None:
    inst = running()
    assert inst.state is InstanceState.RUNNING
    assert (inst.private_ip, inst.ready_at) == ("127.1.0.1", at(3))
    stop = make_event(TerminateInstance, 10)
    assert inst.handle(stop) == [StopInstance(cause=stop.event_id, instance_id=IID)]
    assert inst.state is InstanceState.RUNNING  # until the provider confirms
    actions = inst.handle(make_event(InstanceStopped, 11))
    assert isinstance(actions[0], RecordInstanceState)
    assert actions[0].state is InstanceState.TERMINATED
    assert actions[0].code is InstanceStateChangeReasonCode.CLUSTER_TERMINATED
    assert inst.ended_at == at(11)


@pytest.mark.parametrize(("state", "kind"), sorted(_TRANSITIONS, key=str))
def test_every_transition_in_the_table_acts(
    state: InstanceState, kind: type[InstanceEvent]
) -> None:
    inst = instance()
    inst.state, inst.last_seen = state, at(0)
    actions = inst.handle(make_event(kind))
    assert not any(isinstance(a, Ignored) for a in actions)


@pytest.mark.parametrize("state", list(InstanceState))
@pytest.mark.parametrize(
    "kind",
    [InstanceFulfilled, AgentRegistered, Heartbeat, HeartbeatCheck, BootstrapCompleted,
     BootstrapFailed, AgentExited, TerminateInstance, InstanceStopped],
)  # fmt: skip
def test_pairs_outside_the_table_are_ignored(
    state: InstanceState, kind: type[InstanceEvent]
) -> None:
    if (state, kind) in _TRANSITIONS:
        return
    inst = instance()
    inst.state = state
    event = make_event(kind)
    assert inst.handle(event) == [
        Ignored(cause=event.event_id, event=kind.__name__, state=state.value)
    ]
    assert inst.state is state


def test_event_for_another_instance_is_ignored() -> None:
    inst = running()
    event = Heartbeat(at=at(5), instance_id="i-other")
    assert isinstance(inst.handle(event)[0], Ignored)


def test_instance_lost_by_heartbeat() -> None:
    inst = running(InstanceRole.TASK)
    assert inst.handle(Heartbeat(at=at(20), instance_id=IID)) == []
    assert inst.handle(HeartbeatCheck(at=at(45), instance_id=IID)) == []  # 25 s < 30 s
    check = HeartbeatCheck(at=at(51), instance_id=IID)
    record, lost, stop = inst.handle(check)
    assert isinstance(record, RecordInstanceState) and record.state is InstanceState.TERMINATED
    assert record.code is InstanceStateChangeReasonCode.INSTANCE_FAILURE
    assert isinstance(lost, ReportInstanceLost) and lost.role is InstanceRole.TASK
    assert lost.cause == check.event_id
    assert isinstance(stop, StopInstance)
    assert inst.state is InstanceState.TERMINATED and inst.ended_at == at(51)
    assert isinstance(inst.handle(Heartbeat(at=at(52), instance_id=IID))[0], Ignored)


def test_agent_that_never_registers_is_lost() -> None:
    inst = instance(InstanceRole.MASTER)
    inst.handle(make_event(InstanceFulfilled, 1))
    assert inst.handle(HeartbeatCheck(at=at(100), instance_id=IID)) == []
    actions = inst.handle(HeartbeatCheck(at=at(121), instance_id=IID))
    assert any(isinstance(a, ReportInstanceLost) and a.role is InstanceRole.MASTER for a in actions)


def test_crash_versus_requested_stop() -> None:
    crashed = running()
    assert any(isinstance(a, ReportInstanceLost) for a in crashed.handle(make_event(AgentExited)))
    stopped = running()
    stop = make_event(TerminateInstance, 5)
    assert stopped.handle(stop) == [StopInstance(cause=stop.event_id, instance_id=IID)]
    assert stopped.handle(make_event(TerminateInstance, 6)) == []  # idempotent
    assert stopped.handle(HeartbeatCheck(at=at(500), instance_id=IID)) == []  # not "lost"
    actions = stopped.handle(make_event(AgentExited, 7))
    assert [type(a) for a in actions] == [RecordInstanceState]
    assert stopped.code is InstanceStateChangeReasonCode.CLUSTER_TERMINATED


def test_bootstrap_failure_terminates_the_instance() -> None:
    inst = instance()
    inst.handle(make_event(InstanceFulfilled, 1))
    inst.handle(make_event(AgentRegistered, 2))
    record, stop = inst.handle(make_event(BootstrapFailed, 3))
    assert isinstance(record, RecordInstanceState)
    assert record.code is InstanceStateChangeReasonCode.BOOTSTRAP_FAILURE
    assert isinstance(stop, StopInstance)


S = InstanceState


@pytest.mark.parametrize(
    ("requested", "states", "ever", "expected"),
    [
        (2, [S.AWAITING_FULFILLMENT, S.PROVISIONING], False, InstanceGroupState.PROVISIONING),
        (2, [S.BOOTSTRAPPING], False, InstanceGroupState.PROVISIONING),
        (2, [S.BOOTSTRAPPING, S.RUNNING], False, InstanceGroupState.BOOTSTRAPPING),
        (2, [S.RUNNING, S.RUNNING], False, InstanceGroupState.RUNNING),
        (2, [S.RUNNING, S.RUNNING], True, InstanceGroupState.RUNNING),
        (3, [S.RUNNING, S.RUNNING, S.PROVISIONING], True, InstanceGroupState.RESIZING),
        (2, [S.RUNNING, S.TERMINATED], True, InstanceGroupState.RESIZING),
    ],
)
def test_group_state(
    requested: int, states: list[InstanceState], ever: bool, expected: InstanceGroupState
) -> None:
    assert group_state(requested, states, ever_running=ever) is expected


def test_group_state_follows_cluster_termination() -> None:
    running_states = [S.RUNNING]
    assert (
        group_state(1, running_states, ever_running=True, cluster_terminating=True)
        is InstanceGroupState.TERMINATING
    )
    assert (
        group_state(1, [S.TERMINATED], ever_running=True, cluster_terminated=True)
        is InstanceGroupState.TERMINATED
    )
