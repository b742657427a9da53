"""One instance (node) of a cluster: AWAITING_FULFILLMENT → PROVISIONING → BOOTSTRAPPING →
RUNNING → TERMINATED, and the state ListInstanceGroups / ListInstanceFleets derive from them.

Why heartbeats are judged here and not by a timer in the shell: the shell only feeds events
(`Heartbeat(at)` when an agent reports, `HeartbeatCheck(at)` when its own timer fires) and this
machine decides, from those times alone, whether the instance is lost. Tests then replay a life
with chosen timestamps, and a server restarted mid-life judges the same way.

An instance that is lost or whose agent process exits unexpectedly becomes TERMINATED with
INSTANCE_FAILURE and the machine emits `ReportInstanceLost`; the shell turns that into the
cluster machine's `NodeFailed` (or `MasterLost` for the master).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from typing import Any, Final

from emr.services.emr._machine import Action, Event, Ignored

__all__ = [
    "DEFAULT_HEARTBEAT_TIMEOUT",
    "DEFAULT_REGISTRATION_TIMEOUT",
    "AgentExited",
    "AgentRegistered",
    "BootstrapCompleted",
    "BootstrapFailed",
    "Heartbeat",
    "HeartbeatCheck",
    "Instance",
    "InstanceAction",
    "InstanceEvent",
    "InstanceFulfilled",
    "InstanceGroupState",
    "InstanceRole",
    "InstanceState",
    "InstanceStateChangeReasonCode",
    "InstanceStopped",
    "RecordInstanceState",
    "ReportInstanceLost",
    "StopInstance",
    "TerminateInstance",
    "group_state",
]

DEFAULT_HEARTBEAT_TIMEOUT: Final = timedelta(seconds=30)
#: How long an instance may take from creation until its agent registers.
DEFAULT_REGISTRATION_TIMEOUT: Final = timedelta(seconds=120)


class InstanceState(Enum):
    """EMR's InstanceState."""

    AWAITING_FULFILLMENT = "AWAITING_FULFILLMENT"
    PROVISIONING = "PROVISIONING"
    BOOTSTRAPPING = "BOOTSTRAPPING"
    RUNNING = "RUNNING"
    TERMINATED = "TERMINATED"


class InstanceRole(Enum):
    """EMR's InstanceRoleType (InstanceGroupType / InstanceFleetType use the same names)."""

    MASTER = "MASTER"
    CORE = "CORE"
    TASK = "TASK"


class InstanceStateChangeReasonCode(Enum):
    """EMR's InstanceStateChangeReasonCode."""

    INTERNAL_ERROR = "INTERNAL_ERROR"
    VALIDATION_ERROR = "VALIDATION_ERROR"
    INSTANCE_FAILURE = "INSTANCE_FAILURE"
    BOOTSTRAP_FAILURE = "BOOTSTRAP_FAILURE"
    CLUSTER_TERMINATED = "CLUSTER_TERMINATED"


class InstanceGroupState(Enum):
    """EMR's InstanceGroupState; InstanceFleetState is the subset `group_state` returns."""

    PROVISIONING = "PROVISIONING"
    BOOTSTRAPPING = "BOOTSTRAPPING"
    RUNNING = "RUNNING"
    RECONFIGURING = "RECONFIGURING"
    RESIZING = "RESIZING"
    SUSPENDED = "SUSPENDED"
    TERMINATING = "TERMINATING"
    TERMINATED = "TERMINATED"
    ARRESTED = "ARRESTED"
    SHUTTING_DOWN = "SHUTTING_DOWN"
    ENDED = "ENDED"


# --- events -----------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class InstanceEvent(Event):
    """Base of the instance machine's events; `instance_id` routes it (and shows in logs)."""

    instance_id: str


@dataclass(frozen=True, kw_only=True)
class InstanceFulfilled(InstanceEvent):
    """The NodeProvider accepted the request and is starting the agent."""


@dataclass(frozen=True, kw_only=True)
class AgentRegistered(InstanceEvent):
    """The node agent registered with the region; bootstrap actions run next."""

    private_ip: str


@dataclass(frozen=True, kw_only=True)
class Heartbeat(InstanceEvent):
    """The agent reported in."""


@dataclass(frozen=True, kw_only=True)
class HeartbeatCheck(InstanceEvent):
    """The shell's timer asks: is this instance still alive at `at`?"""


@dataclass(frozen=True, kw_only=True)
class BootstrapCompleted(InstanceEvent):
    """Bootstrap actions succeeded and the node's daemons are up."""


@dataclass(frozen=True, kw_only=True)
class BootstrapFailed(InstanceEvent):
    """A bootstrap action returned non-zero; `message` is the cluster-level wording."""

    message: str


@dataclass(frozen=True, kw_only=True)
class AgentExited(InstanceEvent):
    """The agent's process is gone (the NodeProvider saw it exit)."""

    exit_code: int | None


@dataclass(frozen=True, kw_only=True)
class TerminateInstance(InstanceEvent):
    """Stop this instance (the cluster is terminating, or it is being removed)."""

    code: InstanceStateChangeReasonCode = InstanceStateChangeReasonCode.CLUSTER_TERMINATED
    message: str = "Instance is terminated."


@dataclass(frozen=True, kw_only=True)
class InstanceStopped(InstanceEvent):
    """The NodeProvider confirms the instance's processes are gone after a stop."""


# --- actions ----------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class InstanceAction(Action):
    """Base of the instance machine's decisions."""

    instance_id: str


@dataclass(frozen=True, kw_only=True)
class RecordInstanceState(InstanceAction):
    """Persist the new state (Status.State, StateChangeReason, Timeline)."""

    state: InstanceState
    code: InstanceStateChangeReasonCode | None
    message: str
    at: datetime


@dataclass(frozen=True, kw_only=True)
class ReportInstanceLost(InstanceAction):
    """Tell the cluster machine: NodeFailed (or MasterLost when `role` is MASTER)."""

    role: InstanceRole
    reason: str


@dataclass(frozen=True, kw_only=True)
class StopInstance(InstanceAction):
    """Kill the node's whole process tree (the cluster contract's "kill a node")."""


# --- the machine ------------------------------------------------------------------------------


@dataclass
class Instance:
    """The life of one instance; `handle(event)` returns what the shell must do."""

    instance_id: str
    role: InstanceRole
    instance_type: str
    created_at: datetime
    heartbeat_timeout: timedelta = DEFAULT_HEARTBEAT_TIMEOUT
    registration_timeout: timedelta = DEFAULT_REGISTRATION_TIMEOUT
    state: InstanceState = InstanceState.AWAITING_FULFILLMENT
    private_ip: str | None = None
    last_seen: datetime | None = None
    ready_at: datetime | None = None
    ended_at: datetime | None = None
    code: InstanceStateChangeReasonCode | None = None
    message: str = ""
    stopping: bool = False

    def handle(self, event: InstanceEvent) -> list[Action]:
        handler = _TRANSITIONS.get((self.state, type(event)))
        if handler is None or event.instance_id != self.instance_id:
            return [_ignored(self, event)]
        return handler(self, event)

    # -- helpers used by the transition functions

    def _move(
        self,
        state: InstanceState,
        event: InstanceEvent,
        message: str = "",
        code: InstanceStateChangeReasonCode | None = None,
    ) -> RecordInstanceState:
        self.state, self.code, self.message = state, code, message
        if state is InstanceState.RUNNING:
            self.ready_at = event.at
        if state is InstanceState.TERMINATED:
            self.ended_at = event.at
        return RecordInstanceState(
            cause=event.event_id,
            instance_id=self.instance_id,
            state=state,
            code=code,
            message=message,
            at=event.at,
        )

    def _fail(self, event: InstanceEvent, reason: str) -> list[Action]:
        """Lost or crashed: TERMINATED/INSTANCE_FAILURE, tell the cluster, make sure it is dead."""
        cause, iid = event.event_id, self.instance_id
        return [
            self._move(
                InstanceState.TERMINATED,
                event,
                reason,
                InstanceStateChangeReasonCode.INSTANCE_FAILURE,
            ),
            ReportInstanceLost(cause=cause, instance_id=iid, role=self.role, reason=reason),
            StopInstance(cause=cause, instance_id=iid),
        ]


def _ignored(instance: Instance, event: InstanceEvent) -> Ignored:
    return Ignored(cause=event.event_id, event=type(event).__name__, state=instance.state.value)


def _fulfilled(i: Instance, e: InstanceFulfilled) -> list[Action]:
    return [i._move(InstanceState.PROVISIONING, e)]


def _registered(i: Instance, e: AgentRegistered) -> list[Action]:
    i.private_ip, i.last_seen = e.private_ip, e.at
    return [i._move(InstanceState.BOOTSTRAPPING, e, "Running bootstrap actions")]


def _heartbeat(i: Instance, e: Heartbeat) -> list[Action]:
    i.last_seen = max(e.at, i.last_seen or e.at)
    return []


def _check(i: Instance, e: HeartbeatCheck) -> list[Action]:
    if i.stopping:
        return []
    if i.last_seen is None:
        if e.at - i.created_at > i.registration_timeout:
            seconds = int(i.registration_timeout.total_seconds())
            return i._fail(e, f"The instance did not register within {seconds} seconds.")
        return []
    silent = e.at - i.last_seen
    if silent > i.heartbeat_timeout:
        return i._fail(e, f"The instance stopped responding ({int(silent.total_seconds())} s).")
    return []


def _bootstrapped(i: Instance, e: BootstrapCompleted) -> list[Action]:
    return [i._move(InstanceState.RUNNING, e)]


def _bootstrap_failed(i: Instance, e: BootstrapFailed) -> list[Action]:
    code = InstanceStateChangeReasonCode.BOOTSTRAP_FAILURE
    return [
        i._move(InstanceState.TERMINATED, e, e.message, code),
        StopInstance(cause=e.event_id, instance_id=i.instance_id),
    ]


def _exited(i: Instance, e: AgentExited) -> list[Action]:
    if i.stopping:  # the exit we asked for
        return [i._move(InstanceState.TERMINATED, e, i.message, i.code)]
    return i._fail(e, f"The instance's agent exited unexpectedly (exit code {e.exit_code}).")


def _terminate(i: Instance, e: TerminateInstance) -> list[Action]:
    if i.stopping:
        return []
    # The state stays until the provider confirms; the reason is kept for that moment.
    i.stopping, i.code, i.message = True, e.code, e.message
    return [StopInstance(cause=e.event_id, instance_id=i.instance_id)]


def _stopped(i: Instance, e: InstanceStopped) -> list[Action]:
    return [i._move(InstanceState.TERMINATED, e, i.message, i.code)]


_S = InstanceState
_LIVE: Final = (_S.AWAITING_FULFILLMENT, _S.PROVISIONING, _S.BOOTSTRAPPING, _S.RUNNING)
_Handler = Callable[[Instance, Any], list[Action]]

#: (state, event) → transition. Rows not listed answer `Ignored`.
_TRANSITIONS: Final[dict[tuple[InstanceState, type[InstanceEvent]], _Handler]] = {
    (_S.AWAITING_FULFILLMENT, InstanceFulfilled): _fulfilled,  # → PROVISIONING
    (_S.PROVISIONING, AgentRegistered): _registered,  # → BOOTSTRAPPING
    (_S.BOOTSTRAPPING, BootstrapCompleted): _bootstrapped,  # → RUNNING
    (_S.BOOTSTRAPPING, BootstrapFailed): _bootstrap_failed,  # → TERMINATED
    (_S.BOOTSTRAPPING, Heartbeat): _heartbeat,
    (_S.RUNNING, Heartbeat): _heartbeat,
    **{(state, HeartbeatCheck): _check for state in _LIVE},  # → TERMINATED when lost
    **{(state, AgentExited): _exited for state in _LIVE},  # → TERMINATED
    **{(state, TerminateInstance): _terminate for state in _LIVE},  # stop requested
    **{(state, InstanceStopped): _stopped for state in _LIVE},  # → TERMINATED
}


def group_state(
    requested: int,
    states: Sequence[InstanceState],
    *,
    ever_running: bool,
    cluster_terminating: bool = False,
    cluster_terminated: bool = False,
) -> InstanceGroupState:
    """Status.State of an instance group (or fleet) from its instances' states.

    `ever_running` is whether the group already reached RUNNING once: after that, a group
    whose live instances differ from the requested count is RESIZING rather than PROVISIONING.
    """
    if cluster_terminated:
        return InstanceGroupState.TERMINATED
    if cluster_terminating:
        return InstanceGroupState.TERMINATING
    live = [s for s in states if s is not InstanceState.TERMINATED]
    running = sum(1 for s in live if s is InstanceState.RUNNING)
    if ever_running:
        settled = running == requested and len(live) == requested
        return InstanceGroupState.RUNNING if settled else InstanceGroupState.RESIZING
    starting = (InstanceState.AWAITING_FULFILLMENT, InstanceState.PROVISIONING)
    if len(live) < requested or any(s in starting for s in live):
        return InstanceGroupState.PROVISIONING
    if any(s is InstanceState.BOOTSTRAPPING for s in live):
        return InstanceGroupState.BOOTSTRAPPING
    return InstanceGroupState.RUNNING
