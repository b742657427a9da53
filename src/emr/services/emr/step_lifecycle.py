"""The step queue of one cluster: PENDING → RUNNING → COMPLETED | FAILED | CANCELLED | INTERRUPTED.

Why one queue object rather than one machine per step: StepConcurrencyLevel, submission order
and ActionOnFailure (CANCEL_AND_WAIT cancels the steps *behind* the failed one) are properties
of the queue. Each step's own moves are still one readable table, `STEP_TRANSITIONS`.

EMR semantics modelled here:
- at most `concurrency_level` steps are RUNNING or CANCEL_PENDING; PENDING steps start in
  submission order, and only once the cluster is ready (`ClusterReady`);
- ActionOnFailure acts only at concurrency level 1: TERMINATE_CLUSTER / TERMINATE_JOB_FLOW cancel
  the PENDING steps and ask the cluster to terminate (`ClusterActionOnFailure`); CANCEL_AND_WAIT
  cancels the PENDING steps (not when other steps still run); CONTINUE does nothing more;
- CancelSteps: a PENDING step becomes CANCELLED; a RUNNING one becomes CANCEL_PENDING with a
  decision to interrupt its process (SIGTERM for SEND_INTERRUPT, SIGKILL of the process tree for
  TERMINATE_PROCESS) and CANCELLED when the process exits; cancelling never triggers
  ActionOnFailure and the slot stays taken until the process is gone;
- once the cluster is terminating the queue is closed: PENDING steps are CANCELLED, RUNNING ones
  INTERRUPTED, and steps added later are refused (`StepRefused`).

The queue tells the cluster machine when it gains work (`QueueBecameBusy`) and when it has none
left (`QueueDrained`), which is what RUNNING ↔ WAITING and auto-termination follow.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import Final

from emr.errors import ServiceError
from emr.services.emr._machine import Action, Event, Ignored

__all__ = [
    "MAX_STEP_CONCURRENCY",
    "NOT_MODIFIABLE",
    "STEP_TRANSITIONS",
    "ActionOnFailure",
    "CancelRequested",
    "CancelStepsInfo",
    "CancelStepsResult",
    "ClusterActionOnFailure",
    "ClusterReady",
    "ClusterTerminating",
    "ConcurrencyChanged",
    "FailureDetails",
    "InterruptStepProcess",
    "InvalidStepConfiguration",
    "JobFlowNotModifiable",
    "QueueBecameBusy",
    "QueueDrained",
    "RecordStepState",
    "StartStepProcess",
    "Step",
    "StepAdded",
    "StepCancellationOption",
    "StepEvent",
    "StepProcessExited",
    "StepQueue",
    "StepRefused",
    "StepState",
    "StepTrigger",
    "validate_action_on_failure",
    "validate_step_concurrency_level",
]

MAX_STEP_CONCURRENCY: Final = 256

NOT_MODIFIABLE: Final = (
    "A job flow that is shutting down, terminated, or finished may not be modified."
)


class JobFlowNotModifiable(ServiceError):
    """AddJobFlowSteps (or another change) on a cluster that is terminating or terminated."""

    code = "ValidationException"

    def __init__(self) -> None:
        super().__init__(NOT_MODIFIABLE)


class InvalidStepConfiguration(ServiceError):
    """A step or concurrency setting AWS rejects (ActionOnFailure vs StepConcurrencyLevel…)."""

    code = "ValidationException"


class StepState(Enum):
    """EMR's StepState."""

    PENDING = "PENDING"
    CANCEL_PENDING = "CANCEL_PENDING"
    RUNNING = "RUNNING"
    COMPLETED = "COMPLETED"
    CANCELLED = "CANCELLED"
    FAILED = "FAILED"
    INTERRUPTED = "INTERRUPTED"


class ActionOnFailure(Enum):
    """EMR's ActionOnFailure (TERMINATE_JOB_FLOW is the old name of TERMINATE_CLUSTER)."""

    TERMINATE_JOB_FLOW = "TERMINATE_JOB_FLOW"
    TERMINATE_CLUSTER = "TERMINATE_CLUSTER"
    CANCEL_AND_WAIT = "CANCEL_AND_WAIT"
    CONTINUE = "CONTINUE"

    @property
    def terminates(self) -> bool:
        return self in (ActionOnFailure.TERMINATE_CLUSTER, ActionOnFailure.TERMINATE_JOB_FLOW)


class StepCancellationOption(Enum):
    """EMR's StepCancellationOption: SIGTERM the step, or SIGKILL it and its descendants."""

    SEND_INTERRUPT = "SEND_INTERRUPT"
    TERMINATE_PROCESS = "TERMINATE_PROCESS"


def validate_step_concurrency_level(level: int) -> None:
    """RunJobFlow / ModifyCluster: StepConcurrencyLevel must be 1..256."""
    if not 1 <= level <= MAX_STEP_CONCURRENCY:
        raise InvalidStepConfiguration(
            f"StepConcurrencyLevel must be between 1 and {MAX_STEP_CONCURRENCY}."
        )


def validate_action_on_failure(action: ActionOnFailure, concurrency_level: int) -> None:
    """AddJobFlowSteps / RunJobFlow: with StepConcurrencyLevel > 1, only CONTINUE is accepted
    (EMR: "The step is not submitted and the action fails with a message that the
    ActionOnFailure setting is not valid")."""
    if concurrency_level > 1 and action is not ActionOnFailure.CONTINUE:
        raise InvalidStepConfiguration(
            f"ActionOnFailure {action.value} is not valid when StepConcurrencyLevel is greater "
            "than 1. Use CONTINUE."
        )


@dataclass(frozen=True, slots=True)
class FailureDetails:
    """A failed step's FailureDetails (Reason, Message, LogFile), filled from its stderr."""

    reason: str = "Unknown Error."
    message: str | None = None
    log_file: str | None = None

    def to_api(self) -> dict[str, str]:
        out = {"Reason": self.reason}
        if self.message is not None:
            out["Message"] = self.message
        if self.log_file is not None:
            out["LogFile"] = self.log_file
        return out


class StepTrigger(Enum):
    """What moves one step; the queue turns events into these."""

    START = "start"
    EXIT_OK = "exit_ok"
    EXIT_FAILED = "exit_failed"
    CANCEL = "cancel"
    CLUSTER_TERMINATING = "cluster_terminating"


_P, _R, _CP = StepState.PENDING, StepState.RUNNING, StepState.CANCEL_PENDING

#: (state, trigger) → next state, for one step. Pairs not listed cannot happen to that step.
STEP_TRANSITIONS: Final[dict[tuple[StepState, StepTrigger], StepState]] = {
    (_P, StepTrigger.START): StepState.RUNNING,
    (_P, StepTrigger.CANCEL): StepState.CANCELLED,
    (_P, StepTrigger.CLUSTER_TERMINATING): StepState.CANCELLED,
    (_R, StepTrigger.EXIT_OK): StepState.COMPLETED,
    (_R, StepTrigger.EXIT_FAILED): StepState.FAILED,
    (_R, StepTrigger.CANCEL): StepState.CANCEL_PENDING,
    (_R, StepTrigger.CLUSTER_TERMINATING): StepState.INTERRUPTED,
    (_CP, StepTrigger.EXIT_OK): StepState.CANCELLED,
    (_CP, StepTrigger.EXIT_FAILED): StepState.CANCELLED,
    (_CP, StepTrigger.CLUSTER_TERMINATING): StepState.CANCELLED,
}

_ACTIVE: Final = frozenset({_P, _R, _CP})
_OCCUPYING: Final = frozenset({_R, _CP})


@dataclass
class Step:
    """One step's record as the queue keeps it (ListSteps / DescribeStep read it)."""

    step_id: str
    name: str
    action_on_failure: ActionOnFailure
    created_at: datetime
    state: StepState = StepState.PENDING
    message: str | None = None
    failure: FailureDetails | None = None
    started_at: datetime | None = None
    ended_at: datetime | None = None


# --- events -----------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class StepEvent(Event):
    """Base of the step queue's events."""


@dataclass(frozen=True, kw_only=True)
class StepAdded(StepEvent):
    """AddJobFlowSteps (or RunJobFlow's Steps) queued a step, already validated."""

    step_id: str
    name: str
    action_on_failure: ActionOnFailure = ActionOnFailure.CONTINUE


@dataclass(frozen=True, kw_only=True)
class ClusterReady(StepEvent):
    """The cluster is ready for work (the cluster machine's `ReadyForSteps`)."""


@dataclass(frozen=True, kw_only=True)
class StepProcessExited(StepEvent):
    """The step runner's process ended; `failure` comes from its stderr when it failed."""

    step_id: str
    exit_code: int
    failure: FailureDetails | None = None


@dataclass(frozen=True, kw_only=True)
class CancelRequested(StepEvent):
    """CancelSteps for these ids."""

    step_ids: tuple[str, ...]
    option: StepCancellationOption = StepCancellationOption.SEND_INTERRUPT


@dataclass(frozen=True, kw_only=True)
class ConcurrencyChanged(StepEvent):
    """ModifyCluster changed StepConcurrencyLevel (already validated)."""

    level: int


@dataclass(frozen=True, kw_only=True)
class ClusterTerminating(StepEvent):
    """The cluster began terminating (the cluster machine's `CancelOutstandingSteps`)."""


# --- actions ----------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class StartStepProcess(Action):
    """Run the step on the master node (then feed the cluster machine `StepStarted`)."""

    step_id: str


@dataclass(frozen=True, kw_only=True)
class InterruptStepProcess(Action):
    """Signal the step's process: SIGTERM, or with `force` SIGKILL its whole process tree."""

    step_id: str
    force: bool


@dataclass(frozen=True, kw_only=True)
class RecordStepState(Action):
    """Persist a step's new state, its StateChangeReason message and FailureDetails."""

    step_id: str
    state: StepState
    message: str | None
    failure: FailureDetails | None
    at: datetime


@dataclass(frozen=True, kw_only=True)
class ClusterActionOnFailure(Action):
    """A step failed with TERMINATE_CLUSTER: feed the cluster `TerminateForStepFailure`."""

    step_id: str
    action: ActionOnFailure


@dataclass(frozen=True, kw_only=True)
class QueueBecameBusy(Action):
    """The queue went from no active step to some: feed the cluster `StepsQueued`."""


@dataclass(frozen=True, kw_only=True)
class QueueDrained(Action):
    """No step is PENDING, RUNNING or CANCEL_PENDING any more: feed the cluster `StepsDrained`."""

    had_failures: bool


@dataclass(frozen=True, kw_only=True)
class StepRefused(Action):
    """The step was not queued (the cluster is terminating); answer with `message`."""

    step_id: str
    message: str


@dataclass(frozen=True, slots=True)
class CancelStepsInfo:
    """One entry of CancelSteps' CancelStepsInfoList."""

    step_id: str
    status: str  # SUBMITTED | FAILED
    reason: str

    def to_api(self) -> dict[str, str]:
        return {"StepId": self.step_id, "Status": self.status, "Reason": self.reason}


@dataclass(frozen=True, kw_only=True)
class CancelStepsResult(Action):
    """What CancelSteps answers, one entry per requested id."""

    infos: tuple[CancelStepsInfo, ...]


# --- the queue --------------------------------------------------------------------------------


@dataclass
class StepQueue:
    """The steps of one cluster, in submission order; `handle(event)` returns decisions."""

    cluster_id: str
    concurrency_level: int = 1
    ready: bool = False
    closed: bool = False
    steps: dict[str, Step] = field(default_factory=dict)
    #: Whether a step failed since the queue last became busy (reported with QueueDrained).
    failed_since_busy: bool = False

    def handle(self, event: StepEvent) -> list[Action]:
        match event:
            case StepAdded():
                return self._add(event)
            case ClusterReady():
                return self._ready(event)
            case StepProcessExited():
                return self._exited(event)
            case CancelRequested():
                return self._cancel(event)
            case ConcurrencyChanged():
                self.concurrency_level = event.level
                return self._start_pending(event)
            case ClusterTerminating():
                return self._terminating(event)
        return [Ignored(cause=event.event_id, event=type(event).__name__, state="queue")]

    def ordered(self, states: Sequence[StepState] | None = None) -> list[Step]:
        """Steps in submission order, optionally only those in `states`."""
        return [s for s in self.steps.values() if states is None or s.state in states]

    @property
    def active(self) -> bool:
        return any(s.state in _ACTIVE for s in self.steps.values())

    # -- transitions

    def _move(
        self,
        step: Step,
        trigger: StepTrigger,
        event: Event,
        message: str | None = None,
        failure: FailureDetails | None = None,
    ) -> RecordStepState:
        step.state = STEP_TRANSITIONS[(step.state, trigger)]
        step.message, step.failure = message, failure
        if step.state is StepState.RUNNING:
            step.started_at = event.at
        elif step.state not in _ACTIVE:
            step.ended_at = event.at
        return RecordStepState(
            cause=event.event_id,
            step_id=step.step_id,
            state=step.state,
            message=message,
            failure=failure,
            at=event.at,
        )

    def _add(self, e: StepAdded) -> list[Action]:
        if self.closed:
            return [StepRefused(cause=e.event_id, step_id=e.step_id, message=NOT_MODIFIABLE)]
        was_active = self.active
        self.steps[e.step_id] = Step(e.step_id, e.name, e.action_on_failure, e.at)
        actions: list[Action] = []
        if not was_active:
            self.failed_since_busy = False
            actions.append(QueueBecameBusy(cause=e.event_id))
        return actions + self._start_pending(e)

    def _ready(self, e: ClusterReady) -> list[Action]:
        self.ready = True
        return self._start_pending(e)

    def _start_pending(self, e: Event) -> list[Action]:
        if not self.ready or self.closed:
            return []
        actions: list[Action] = []
        slots = self.concurrency_level - len(self.ordered(tuple(_OCCUPYING)))
        for step in self.ordered((_P,))[: max(0, slots)]:
            actions.append(self._move(step, StepTrigger.START, e))
            actions.append(StartStepProcess(cause=e.event_id, step_id=step.step_id))
        return actions

    def _exited(self, e: StepProcessExited) -> list[Action]:
        step = self.steps.get(e.step_id)
        if step is None or step.state not in _OCCUPYING:
            state = "unknown" if step is None else step.state.value
            return [Ignored(cause=e.event_id, event="StepProcessExited", state=state)]
        if step.state is StepState.CANCEL_PENDING:
            trigger = StepTrigger.EXIT_OK if e.exit_code == 0 else StepTrigger.EXIT_FAILED
            actions: list[Action] = [self._move(step, trigger, e, "Cancelled by user request")]
        elif e.exit_code == 0:
            actions = [self._move(step, StepTrigger.EXIT_OK, e)]
        else:
            self.failed_since_busy = True
            failure = e.failure or FailureDetails()
            actions = [self._move(step, StepTrigger.EXIT_FAILED, e, failure=failure)]
            actions += self._action_on_failure(step, e)
        return actions + self._start_pending(e) + self._drained(e)

    def _action_on_failure(self, step: Step, e: Event) -> list[Action]:
        """EMR activates ActionOnFailure only at concurrency level 1 (see the module docstring)."""
        action = step.action_on_failure
        if self.concurrency_level != 1 or action is ActionOnFailure.CONTINUE:
            return []
        if action is ActionOnFailure.CANCEL_AND_WAIT and self.ordered(tuple(_OCCUPYING)):
            return []
        message = f"Cancelled because step {step.step_id} failed."
        actions: list[Action] = [
            self._move(pending, StepTrigger.CANCEL, e, message) for pending in self.ordered((_P,))
        ]
        if action.terminates:
            actions.append(
                ClusterActionOnFailure(cause=e.event_id, step_id=step.step_id, action=action)
            )
        return actions

    def _drained(self, e: Event) -> list[Action]:
        if self.active:
            return []
        return [QueueDrained(cause=e.event_id, had_failures=self.failed_since_busy)]

    def _cancel(self, e: CancelRequested) -> list[Action]:
        infos: list[CancelStepsInfo] = []
        actions: list[Action] = []
        for step_id in e.step_ids:
            step = self.steps.get(step_id)
            if step is None:
                infos.append(CancelStepsInfo(step_id, "FAILED", f"Step {step_id} does not exist."))
            elif step.state is StepState.PENDING:
                actions.append(self._move(step, StepTrigger.CANCEL, e, "Cancelled by user request"))
                infos.append(CancelStepsInfo(step_id, "SUBMITTED", ""))
            elif step.state is StepState.RUNNING:
                actions.append(self._move(step, StepTrigger.CANCEL, e, "Cancel requested by user"))
                force = e.option is StepCancellationOption.TERMINATE_PROCESS
                actions.append(InterruptStepProcess(cause=e.event_id, step_id=step_id, force=force))
                infos.append(CancelStepsInfo(step_id, "SUBMITTED", ""))
            elif step.state is StepState.CANCEL_PENDING:  # CancelSteps is idempotent
                infos.append(CancelStepsInfo(step_id, "SUBMITTED", ""))
            else:
                reason = f"Step {step_id} is in {step.state.value} state and cannot be cancelled."
                infos.append(CancelStepsInfo(step_id, "FAILED", reason))
        was_active = any(isinstance(a, RecordStepState) for a in actions)
        tail = self._drained(e) if was_active else []
        return [CancelStepsResult(cause=e.event_id, infos=tuple(infos)), *actions, *tail]

    def _terminating(self, e: ClusterTerminating) -> list[Action]:
        self.closed = True
        actions: list[Action] = []
        for step in self.ordered(tuple(_ACTIVE)):
            running = step.state is StepState.RUNNING
            message = "Interrupted by cluster termination" if running else "Cluster terminating"
            actions.append(self._move(step, StepTrigger.CLUSTER_TERMINATING, e, message))
            if running:
                actions.append(
                    InterruptStepProcess(cause=e.event_id, step_id=step.step_id, force=True)
                )
        return actions
