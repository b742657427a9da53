"""The cluster state machine: STARTING → BOOTSTRAPPING → RUNNING ↔ WAITING → TERMINATING →
TERMINATED | TERMINATED_WITH_ERRORS.

`Cluster.handle(event)` looks the (state, event) pair up in `TRANSITIONS` — the whole life of a
cluster on one screen — and returns decisions; pairs not in the table answer `Ignored`.

How the supervisor wires the three machines (it performs every action):

    ClusterCreated          → ProvisionNodes        → NodeProvider starts agents
    NodesProvisioned        → RunBootstrapActions   → agents run them
    BootstrapSucceeded (all) → StartDaemons          → agents start YARN/HDFS/...
    DaemonsReady            → ReadyForSteps         → StepQueue.handle(ClusterReady)
    StepQueue: QueueBecameBusy → StepsQueued · StartStepProcess → StepStarted ·
               QueueDrained → StepsDrained · ClusterActionOnFailure → TerminateForStepFailure
    Instance:  ReportInstanceLost → NodeFailed (MasterLost for the master)
    region stops / restarts → ForcedTermination     (ignores termination protection)
    any termination         → CancelOutstandingSteps → StepQueue.handle(ClusterTerminating)
                            → StopNodes             → NodeProvider kills every node
    AllNodesStopped         → final state, EndDateTime

Termination rules are EMR's ("Managing cluster termination"): TerminateJobFlows is refused on
a protected cluster; a transient cluster (KeepJobFlowAliveWhenNoSteps false) terminates after
its last step even when protected; a TERMINATE_CLUSTER step failure does not terminate a
protected cluster that is kept alive. Every timestamp comes from the event's `at`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import Enum
from typing import Any, Final

from emr.services.emr._machine import Action, Event, Ignored
from emr.services.emr.instance_lifecycle import InstanceRole

__all__ = [
    "ENDED_STATES",
    "PROTECTED_MESSAGE",
    "TRANSITIONS",
    "AllNodesStopped",
    "AutoTerminationPolicyChanged",
    "BootstrapFailed",
    "BootstrapSucceeded",
    "CancelOutstandingSteps",
    "Cluster",
    "ClusterCreated",
    "ClusterEvent",
    "ClusterState",
    "ClusterStateChangeReasonCode",
    "DaemonsReady",
    "ForcedTermination",
    "IdleTimeoutElapsed",
    "KeepAliveChanged",
    "MasterLost",
    "NodeFailed",
    "NodesProvisioned",
    "ProvisionNodes",
    "ProvisioningFailed",
    "ReadyForSteps",
    "RecordStateChange",
    "RunBootstrapActions",
    "ScheduleIdleCheck",
    "StartDaemons",
    "StepStarted",
    "StepsDrained",
    "StepsQueued",
    "StopNodes",
    "TerminateForStepFailure",
    "TerminateRequested",
    "TerminationProtectionChanged",
    "TerminationRefused",
]

#: TerminateJobFlows' ValidationException message for a protected cluster.
PROTECTED_MESSAGE: Final = (
    "Could not shut down one or more job flows since they are termination protected."
)


class ClusterState(Enum):
    """EMR's ClusterState."""

    STARTING = "STARTING"
    BOOTSTRAPPING = "BOOTSTRAPPING"
    RUNNING = "RUNNING"
    WAITING = "WAITING"
    TERMINATING = "TERMINATING"
    TERMINATED = "TERMINATED"
    TERMINATED_WITH_ERRORS = "TERMINATED_WITH_ERRORS"


class ClusterStateChangeReasonCode(Enum):
    """EMR's ClusterStateChangeReasonCode."""

    INTERNAL_ERROR = "INTERNAL_ERROR"
    VALIDATION_ERROR = "VALIDATION_ERROR"
    INSTANCE_FAILURE = "INSTANCE_FAILURE"
    INSTANCE_FLEET_TIMEOUT = "INSTANCE_FLEET_TIMEOUT"
    BOOTSTRAP_FAILURE = "BOOTSTRAP_FAILURE"
    USER_REQUEST = "USER_REQUEST"
    STEP_FAILURE = "STEP_FAILURE"
    ALL_STEPS_COMPLETED = "ALL_STEPS_COMPLETED"


_Code = ClusterStateChangeReasonCode

# --- events -----------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class ClusterEvent(Event):
    """Base of the cluster machine's events."""


@dataclass(frozen=True, kw_only=True)
class ClusterCreated(ClusterEvent):
    """RunJobFlow accepted the cluster: provision its nodes."""


@dataclass(frozen=True, kw_only=True)
class NodesProvisioned(ClusterEvent):
    """Every requested instance has an agent registered; `instances` maps id → role."""

    instances: Mapping[str, InstanceRole]


@dataclass(frozen=True, kw_only=True)
class ProvisioningFailed(ClusterEvent):
    """Nodes could not be provided (capacity, timeout, bad configuration)."""

    code: ClusterStateChangeReasonCode
    message: str


@dataclass(frozen=True, kw_only=True)
class NodeFailed(ClusterEvent):
    """An instance was lost (heartbeat timeout, agent crash)."""

    instance_id: str
    role: InstanceRole
    reason: str


@dataclass(frozen=True, kw_only=True)
class MasterLost(ClusterEvent):
    """The master node is gone: the cluster cannot go on."""

    instance_id: str
    reason: str


@dataclass(frozen=True, kw_only=True)
class BootstrapSucceeded(ClusterEvent):
    """All bootstrap actions of one instance returned 0."""

    instance_id: str


@dataclass(frozen=True, kw_only=True)
class BootstrapFailed(ClusterEvent):
    """Bootstrap action number `action_index` (1-based, as EMR counts) failed on an instance."""

    instance_id: str
    role: InstanceRole
    action_index: int
    reason: str = "returned a non-zero return code"


@dataclass(frozen=True, kw_only=True)
class DaemonsReady(ClusterEvent):
    """Everything WAITING requires: daemons up, HDFS out of safe mode, NodeManagers registered."""


@dataclass(frozen=True, kw_only=True)
class StepsQueued(ClusterEvent):
    """The step queue has work (its `QueueBecameBusy`)."""


@dataclass(frozen=True, kw_only=True)
class StepStarted(ClusterEvent):
    """A step's process started."""

    step_id: str


@dataclass(frozen=True, kw_only=True)
class StepsDrained(ClusterEvent):
    """No step is pending or running (the queue's `QueueDrained`)."""

    had_failures: bool = False


@dataclass(frozen=True, kw_only=True)
class TerminateForStepFailure(ClusterEvent):
    """A step with ActionOnFailure TERMINATE_CLUSTER failed."""

    step_id: str


@dataclass(frozen=True, kw_only=True)
class TerminateRequested(ClusterEvent):
    """TerminateJobFlows by a user."""


@dataclass(frozen=True, kw_only=True)
class ForcedTermination(ClusterEvent):
    """The platform ends the cluster whatever its protection: the region server stops cleanly,
    or restarted while the cluster was still starting."""

    code: ClusterStateChangeReasonCode
    message: str


@dataclass(frozen=True, kw_only=True)
class IdleTimeoutElapsed(ClusterEvent):
    """The shell's idle timer fired (scheduled by `ScheduleIdleCheck`)."""


@dataclass(frozen=True, kw_only=True)
class AllNodesStopped(ClusterEvent):
    """The NodeProvider confirms no process of the cluster remains."""


@dataclass(frozen=True, kw_only=True)
class TerminationProtectionChanged(ClusterEvent):
    """SetTerminationProtection."""

    protected: bool


@dataclass(frozen=True, kw_only=True)
class KeepAliveChanged(ClusterEvent):
    """SetKeepJobFlowAliveWhenNoSteps (takes effect when the steps next drain)."""

    keep_alive: bool


@dataclass(frozen=True, kw_only=True)
class AutoTerminationPolicyChanged(ClusterEvent):
    """Put/RemoveAutoTerminationPolicy; None removes it."""

    idle_timeout: timedelta | None


# --- actions ----------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class RecordStateChange(Action):
    """Persist Status.State, Status.StateChangeReason (code may be None) and the Timeline."""

    state: ClusterState
    code: ClusterStateChangeReasonCode | None
    message: str
    at: datetime


@dataclass(frozen=True, kw_only=True)
class ProvisionNodes(Action):
    """Ask the NodeProvider for the cluster's instances."""


@dataclass(frozen=True, kw_only=True)
class RunBootstrapActions(Action):
    """Run the cluster's bootstrap actions on every instance (none: report success at once)."""

    instance_ids: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class StartDaemons(Action):
    """Start each node's daemons for its role (NameNode, ResourceManager, NodeManager, …)."""

    instance_ids: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class ReadyForSteps(Action):
    """Feed the step queue `ClusterReady`."""


@dataclass(frozen=True, kw_only=True)
class CancelOutstandingSteps(Action):
    """Feed the step queue `ClusterTerminating`."""


@dataclass(frozen=True, kw_only=True)
class StopNodes(Action):
    """Kill every node of the cluster (process trees), then report `AllNodesStopped`."""


@dataclass(frozen=True, kw_only=True)
class ScheduleIdleCheck(Action):
    """Send `IdleTimeoutElapsed(at=deadline)` at `deadline` unless the cluster leaves WAITING."""

    deadline: datetime


@dataclass(frozen=True, kw_only=True)
class TerminationRefused(Action):
    """TerminateJobFlows must fail with ValidationException `message`."""

    message: str


# --- the machine ------------------------------------------------------------------------------

_S = ClusterState
_ENDED: Final = (_S.TERMINATED, _S.TERMINATED_WITH_ERRORS)
#: The end states' names, as rows and the API spell them.
ENDED_STATES: Final = tuple(state.value for state in _ENDED)
_LIVE: Final = (_S.STARTING, _S.BOOTSTRAPPING, _S.RUNNING, _S.WAITING)
_CLEAN: Final = (_Code.USER_REQUEST, _Code.ALL_STEPS_COMPLETED)


@dataclass
class Cluster:
    """One cluster's lifecycle; `handle(event)` mutates it and returns decisions."""

    cluster_id: str
    created_at: datetime
    keep_alive: bool = True
    termination_protected: bool = False
    idle_timeout: timedelta | None = None
    state: ClusterState = ClusterState.STARTING
    code: ClusterStateChangeReasonCode | None = None
    message: str = ""
    ready_at: datetime | None = None
    ended_at: datetime | None = None
    instances: dict[str, InstanceRole] = field(default_factory=dict)
    bootstrapped: set[str] = field(default_factory=set)
    has_steps: bool = False
    idle_since: datetime | None = None
    failed: bool = False

    def handle(self, event: ClusterEvent) -> list[Action]:
        transition = TRANSITIONS.get((self.state, type(event)))
        if transition is None:
            return [
                Ignored(cause=event.event_id, event=type(event).__name__, state=self.state.value)
            ]
        return transition(self, event)

    @property
    def idle_deadline(self) -> datetime | None:
        """When an idle WAITING cluster auto-terminates (None: no policy, or not idle)."""
        if self.state is not _S.WAITING or self.idle_timeout is None or self.idle_since is None:
            return None
        return self.idle_since + self.idle_timeout

    # -- helpers for the transition functions

    def _move(
        self,
        state: ClusterState,
        e: Event,
        message: str,
        code: ClusterStateChangeReasonCode | None = None,
    ) -> list[Action]:
        self.state, self.code, self.message = state, code, message
        actions: list[Action] = [
            RecordStateChange(cause=e.event_id, state=state, code=code, message=message, at=e.at)
        ]
        self.idle_since = e.at if state is _S.WAITING else None
        if self.idle_deadline is not None:
            actions.append(ScheduleIdleCheck(cause=e.event_id, deadline=self.idle_deadline))
        return actions

    def _terminate(
        self, e: Event, code: ClusterStateChangeReasonCode, message: str, *, failed: bool = False
    ) -> list[Action]:
        self.failed = failed or code not in _CLEAN
        return [
            *self._move(_S.TERMINATING, e, message, code),
            CancelOutstandingSteps(cause=e.event_id),
            StopNodes(cause=e.event_id),
        ]

    def _after_steps(self, e: Event, *, had_failures: bool, first: bool) -> list[Action]:
        """No step left to run: wait for more, or end a transient cluster."""
        if not self.keep_alive:
            if had_failures:
                return self._terminate(
                    e, _Code.ALL_STEPS_COMPLETED, "Steps completed with errors", failed=True
                )
            return self._terminate(e, _Code.ALL_STEPS_COMPLETED, "Steps completed")
        message = (
            "Cluster ready to run steps." if first else "Cluster ready after last step completed."
        )
        return self._move(_S.WAITING, e, message)


_Transition = Callable[[Cluster, Any], list[Action]]


def _created(c: Cluster, e: ClusterCreated) -> list[Action]:
    return [
        *c._move(_S.STARTING, e, "Configuring cluster software"),
        ProvisionNodes(cause=e.event_id),
    ]


def _provisioned(c: Cluster, e: NodesProvisioned) -> list[Action]:
    c.instances = dict(e.instances)
    ids = tuple(c.instances)
    return [
        *c._move(_S.BOOTSTRAPPING, e, "Running bootstrap actions"),
        RunBootstrapActions(cause=e.event_id, instance_ids=ids),
    ]


def _provisioning_failed(c: Cluster, e: ProvisioningFailed) -> list[Action]:
    return c._terminate(e, e.code, e.message)


def _bootstrap_succeeded(c: Cluster, e: BootstrapSucceeded) -> list[Action]:
    if e.instance_id not in c.instances or e.instance_id in c.bootstrapped:
        return [Ignored(cause=e.event_id, event="BootstrapSucceeded", state=c.state.value)]
    c.bootstrapped.add(e.instance_id)
    if c.bootstrapped != set(c.instances):
        return []
    return [StartDaemons(cause=e.event_id, instance_ids=tuple(c.instances))]


def _bootstrap_failed(c: Cluster, e: BootstrapFailed) -> list[Action]:
    where = f"On the {e.role.value.lower()} instance ({e.instance_id})"
    return c._terminate(
        e, _Code.BOOTSTRAP_FAILURE, f"{where}, bootstrap action {e.action_index} {e.reason}"
    )


def _daemons_ready(c: Cluster, e: DaemonsReady) -> list[Action]:
    if c.bootstrapped != set(c.instances):  # daemons cannot be up before every node bootstrapped
        return [Ignored(cause=e.event_id, event="DaemonsReady", state=c.state.value)]
    c.ready_at = e.at
    ready = ReadyForSteps(cause=e.event_id)
    if c.has_steps:
        return [*c._move(_S.RUNNING, e, "Running step"), ready]
    return [*c._after_steps(e, had_failures=False, first=True), ready]


def _node_failed_starting(c: Cluster, e: NodeFailed) -> list[Action]:
    if e.role is InstanceRole.MASTER:
        return _master_lost(c, e)
    message = f"Instance {e.instance_id} ({e.role.value.lower()}) failed: {e.reason}"
    return c._terminate(e, _Code.INSTANCE_FAILURE, message)


def _node_failed_live(c: Cluster, e: NodeFailed) -> list[Action]:
    if e.role is InstanceRole.MASTER:
        return _master_lost(c, e)
    had_core = InstanceRole.CORE in c.instances.values()
    c.instances.pop(e.instance_id, None)
    if had_core and InstanceRole.CORE not in c.instances.values():
        return c._terminate(
            e, _Code.INSTANCE_FAILURE, "All slaves in the job flow were terminated."
        )
    return []  # a task node (or one of several core nodes) is gone; the cluster carries on


def _master_lost(c: Cluster, e: MasterLost | NodeFailed) -> list[Action]:
    return c._terminate(
        e, _Code.INSTANCE_FAILURE, f"The master node ({e.instance_id}) was lost: {e.reason}"
    )


def _steps_queued(c: Cluster, e: StepsQueued) -> list[Action]:
    c.has_steps = True
    return []


def _step_started(c: Cluster, e: StepStarted) -> list[Action]:
    c.has_steps = True
    if c.state is _S.WAITING:
        return c._move(_S.RUNNING, e, "Running step")
    return []


def _steps_drained(c: Cluster, e: StepsDrained) -> list[Action]:
    c.has_steps = False
    if c.state is _S.RUNNING:
        return c._after_steps(e, had_failures=e.had_failures, first=False)
    return []  # drained before the cluster was ready: DaemonsReady decides


def _step_failure(c: Cluster, e: TerminateForStepFailure) -> list[Action]:
    if c.termination_protected and c.keep_alive:
        return []  # EMR: a protected, kept-alive cluster survives; StepsDrained brings WAITING
    return c._terminate(e, _Code.STEP_FAILURE, "Shut down as step failed")


def _terminate_requested(c: Cluster, e: TerminateRequested) -> list[Action]:
    if c.termination_protected:
        return [TerminationRefused(cause=e.event_id, message=PROTECTED_MESSAGE)]
    return c._terminate(e, _Code.USER_REQUEST, "Terminated by user request")


def _forced(c: Cluster, e: ForcedTermination) -> list[Action]:
    return c._terminate(e, e.code, e.message)


def _idle_elapsed(c: Cluster, e: IdleTimeoutElapsed) -> list[Action]:
    deadline = c.idle_deadline
    if deadline is None or e.at < deadline:  # left WAITING meanwhile, or an early timer
        return [Ignored(cause=e.event_id, event="IdleTimeoutElapsed", state=c.state.value)]
    assert c.idle_timeout is not None
    seconds = int(c.idle_timeout.total_seconds())
    return c._terminate(
        e, _Code.ALL_STEPS_COMPLETED, f"Cluster was idle for {seconds} seconds (auto-termination)"
    )


def _all_stopped(c: Cluster, e: AllNodesStopped) -> list[Action]:
    c.ended_at = e.at
    final = _S.TERMINATED_WITH_ERRORS if c.failed else _S.TERMINATED
    return c._move(final, e, c.message, c.code)


def _protection(c: Cluster, e: TerminationProtectionChanged) -> list[Action]:
    c.termination_protected = e.protected
    return []


def _keep_alive(c: Cluster, e: KeepAliveChanged) -> list[Action]:
    c.keep_alive = e.keep_alive
    return []


def _auto_termination(c: Cluster, e: AutoTerminationPolicyChanged) -> list[Action]:
    c.idle_timeout = e.idle_timeout
    deadline = c.idle_deadline
    return [] if deadline is None else [ScheduleIdleCheck(cause=e.event_id, deadline=deadline)]


def _noop(c: Cluster, e: ClusterEvent) -> list[Action]:
    return []


def _in_live_states(event: type[ClusterEvent], transition: _Transition) -> dict[Any, _Transition]:
    return {(state, event): transition for state in _LIVE}


#: (state, event) → transition; the comment names the state it leads to. Unlisted: Ignored.
TRANSITIONS: Final[dict[tuple[ClusterState, type[ClusterEvent]], _Transition]] = {
    (_S.STARTING, ClusterCreated): _created,  # STARTING (ProvisionNodes)
    (_S.STARTING, NodesProvisioned): _provisioned,  # → BOOTSTRAPPING
    (_S.STARTING, ProvisioningFailed): _provisioning_failed,  # → TERMINATING
    (_S.STARTING, NodeFailed): _node_failed_starting,  # → TERMINATING
    (_S.BOOTSTRAPPING, BootstrapSucceeded): _bootstrap_succeeded,  # (StartDaemons when all done)
    (_S.BOOTSTRAPPING, BootstrapFailed): _bootstrap_failed,  # → TERMINATING
    (_S.BOOTSTRAPPING, NodeFailed): _node_failed_starting,  # → TERMINATING
    (_S.BOOTSTRAPPING, DaemonsReady): _daemons_ready,  # → RUNNING | WAITING | TERMINATING
    (_S.RUNNING, NodeFailed): _node_failed_live,  # (→ TERMINATING if master / last core)
    (_S.WAITING, NodeFailed): _node_failed_live,  # (→ TERMINATING if master / last core)
    (_S.RUNNING, StepStarted): _step_started,  # RUNNING
    (_S.WAITING, StepStarted): _step_started,  # → RUNNING
    (_S.RUNNING, StepsDrained): _steps_drained,  # → WAITING | TERMINATING
    (_S.RUNNING, TerminateForStepFailure): _step_failure,  # → TERMINATING (unless protected)
    (_S.WAITING, TerminateForStepFailure): _step_failure,  # → TERMINATING (unless protected)
    (_S.WAITING, IdleTimeoutElapsed): _idle_elapsed,  # → TERMINATING once the deadline passed
    (_S.TERMINATING, TerminateRequested): _noop,  # already on its way
    (_S.TERMINATING, AllNodesStopped): _all_stopped,  # → TERMINATED | TERMINATED_WITH_ERRORS
    **_in_live_states(MasterLost, _master_lost),  # → TERMINATING
    **_in_live_states(ForcedTermination, _forced),  # → TERMINATING, protected or not
    **_in_live_states(TerminateRequested, _terminate_requested),  # → TERMINATING or refused
    **_in_live_states(StepsQueued, _steps_queued),
    **{(s, StepStarted): _step_started for s in (_S.STARTING, _S.BOOTSTRAPPING)},
    **{(s, StepsDrained): _steps_drained for s in (_S.STARTING, _S.BOOTSTRAPPING, _S.WAITING)},
    **_in_live_states(TerminationProtectionChanged, _protection),
    **_in_live_states(KeepAliveChanged, _keep_alive),
    **_in_live_states(AutoTerminationPolicyChanged, _auto_termination),
}
