"""The step queue: order, concurrency, ActionOnFailure, CancelSteps, termination."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TypeVar

import pytest

from emr.services.emr._machine import Action, Ignored
from emr.services.emr.step_lifecycle import (
    STEP_TRANSITIONS,
    ActionOnFailure,
    CancelRequested,
    CancelStepsInfo,
    CancelStepsResult,
    ClusterActionOnFailure,
    ClusterReady,
    ClusterTerminating,
    ConcurrencyChanged,
    FailureDetails,
    InterruptStepProcess,
    InvalidStepConfiguration,
    JobFlowNotModifiable,
    QueueBecameBusy,
    QueueDrained,
    RecordStepState,
    StartStepProcess,
    Step,
    StepAdded,
    StepCancellationOption,
    StepProcessExited,
    StepQueue,
    StepRefused,
    StepState,
    StepTrigger,
    validate_action_on_failure,
    validate_step_concurrency_level,
)

T0 = datetime(2025, 1, 1, tzinfo=UTC)
AOF = ActionOnFailure


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


A = TypeVar("A")


def of_type(actions: list[Action], kind: type[A]) -> list[A]:
    return [a for a in actions if isinstance(a, kind)]


def started(actions: list[Action]) -> list[str]:
    return [a.step_id for a in of_type(actions, StartStepProcess)]


def queue_with(*aofs: ActionOnFailure, level: int = 1, ready: bool = True) -> StepQueue:
    queue = StepQueue("j-TEST", concurrency_level=level)
    for n, aof in enumerate(aofs, start=1):
        queue.handle(StepAdded(at=at(n), step_id=f"s-{n}", name=f"step {n}", action_on_failure=aof))
    if ready:
        queue.handle(ClusterReady(at=at(10)))
    return queue


def exit_(step_id: str, code: int, seconds: float = 20) -> StepProcessExited:
    return StepProcessExited(at=at(seconds), step_id=step_id, exit_code=code)


def states(queue: StepQueue) -> list[StepState]:
    return [s.state for s in queue.ordered()]


@pytest.mark.parametrize(("key", "target"), sorted(STEP_TRANSITIONS.items(), key=str))
def test_step_transition_table_is_applied(
    key: tuple[StepState, StepTrigger], target: StepState
) -> None:
    queue = StepQueue("j-TEST")
    step = Step("s-1", "x", AOF.CONTINUE, T0, state=key[0])
    queue.steps[step.step_id] = step
    record = queue._move(step, key[1], ClusterReady(at=at(1)))
    assert record.state is target is step.state


def test_steps_wait_for_the_cluster_then_run_in_order() -> None:
    queue = StepQueue("j-TEST")
    first = queue.handle(StepAdded(at=at(1), step_id="s-1", name="a"))
    assert of_type(first, QueueBecameBusy) and not started(first)
    assert queue.handle(StepAdded(at=at(2), step_id="s-2", name="b")) == []
    ready = queue.handle(ClusterReady(at=at(3)))
    assert started(ready) == ["s-1"]
    assert started(queue.handle(exit_("s-1", 0))) == ["s-2"]
    done = queue.handle(exit_("s-2", 0, 30))
    assert done[-1] == QueueDrained(cause=done[-1].cause, had_failures=False)
    assert states(queue) == [StepState.COMPLETED, StepState.COMPLETED]
    step = queue.steps["s-2"]
    assert (step.created_at, step.started_at, step.ended_at) == (at(2), at(20), at(30))


def test_concurrency_three_starts_three_steps() -> None:
    queue = StepQueue("j-TEST", concurrency_level=3)
    queue.handle(ClusterReady(at=at(0)))
    launched: list[str] = []
    for n in range(1, 6):
        launched += started(queue.handle(StepAdded(at=at(n), step_id=f"s-{n}", name="x")))
    assert launched == ["s-1", "s-2", "s-3"]
    assert started(queue.handle(exit_("s-2", 0))) == ["s-4"]
    assert started(queue.handle(ConcurrencyChanged(at=at(21), level=4))) == ["s-5"]


def test_failure_with_continue_runs_the_next_step() -> None:
    queue = queue_with(AOF.CONTINUE, AOF.CONTINUE)
    details = FailureDetails("Unknown Error.", "boom", "s3://logs/j-TEST/steps/s-1/stderr.gz")
    actions = queue.handle(
        StepProcessExited(at=at(20), step_id="s-1", exit_code=1, failure=details)
    )
    record = of_type(actions, RecordStepState)[0]
    assert (record.state, record.failure) == (StepState.FAILED, details)
    assert details.to_api() == {
        "Reason": "Unknown Error.",
        "Message": "boom",
        "LogFile": "s3://logs/j-TEST/steps/s-1/stderr.gz",
    }
    assert started(actions) == ["s-2"] and not of_type(actions, ClusterActionOnFailure)
    drained = queue.handle(exit_("s-2", 0, 30))
    assert of_type(drained, QueueDrained)[0].had_failures


def test_failure_without_details_gets_emrs_default_reason() -> None:
    queue = queue_with(AOF.CONTINUE)
    record = of_type(queue.handle(exit_("s-1", 2)), RecordStepState)[0]
    assert record.failure == FailureDetails(reason="Unknown Error.")


def test_cancel_and_wait_cancels_the_queue_behind() -> None:
    queue = queue_with(AOF.CANCEL_AND_WAIT, AOF.CONTINUE, AOF.CONTINUE)
    actions = queue.handle(exit_("s-1", 1))
    assert states(queue) == [StepState.FAILED, StepState.CANCELLED, StepState.CANCELLED]
    assert not started(actions) and not of_type(actions, ClusterActionOnFailure)
    assert of_type(actions, QueueDrained)[0].had_failures


@pytest.mark.parametrize("aof", [AOF.TERMINATE_CLUSTER, AOF.TERMINATE_JOB_FLOW])
def test_terminate_cluster_cancels_pending_and_asks_the_cluster(aof: ActionOnFailure) -> None:
    queue = queue_with(aof, AOF.CONTINUE)
    actions = queue.handle(exit_("s-1", 1))
    (ask,) = of_type(actions, ClusterActionOnFailure)
    assert (ask.step_id, ask.action) == ("s-1", aof)
    assert states(queue) == [StepState.FAILED, StepState.CANCELLED]


def test_action_on_failure_is_inactive_above_concurrency_one() -> None:
    queue = queue_with(AOF.TERMINATE_CLUSTER, AOF.CONTINUE, AOF.CONTINUE, level=2)
    actions = queue.handle(exit_("s-1", 1))
    assert not of_type(actions, ClusterActionOnFailure) and started(actions) == ["s-3"]


def test_cancel_pending_and_unknown_and_finished_steps() -> None:
    queue = queue_with(AOF.CONTINUE, AOF.CONTINUE)
    queue.handle(exit_("s-1", 0))  # s-2 now running
    queue.handle(StepAdded(at=at(21), step_id="s-3", name="c"))
    result, *rest = queue.handle(CancelRequested(at=at(22), step_ids=("s-3", "s-1", "s-9")))
    assert isinstance(result, CancelStepsResult)
    assert [i.status for i in result.infos] == ["SUBMITTED", "FAILED", "FAILED"]
    assert result.infos[1].reason == "Step s-1 is in COMPLETED state and cannot be cancelled."
    assert result.infos[0].to_api() == {"StepId": "s-3", "Status": "SUBMITTED", "Reason": ""}
    assert queue.steps["s-3"].state is StepState.CANCELLED
    assert not of_type(rest, QueueDrained)  # s-2 still runs


@pytest.mark.parametrize(
    ("option", "force"),
    [
        (StepCancellationOption.SEND_INTERRUPT, False),
        (StepCancellationOption.TERMINATE_PROCESS, True),
    ],
)
def test_cancel_running_step_interrupts_it(option: StepCancellationOption, force: bool) -> None:
    queue = queue_with(AOF.TERMINATE_CLUSTER, AOF.CONTINUE)
    actions = queue.handle(CancelRequested(at=at(15), step_ids=("s-1",), option=option))
    assert of_type(actions, CancelStepsResult)[0].infos == (
        CancelStepsInfo("s-1", "SUBMITTED", ""),
    )
    (interrupt,) = of_type(actions, InterruptStepProcess)
    assert (interrupt.step_id, interrupt.force) == ("s-1", force)
    assert queue.steps["s-1"].state is StepState.CANCEL_PENDING
    again = queue.handle(CancelRequested(at=at(16), step_ids=("s-1",)))
    assert [type(a) for a in again] == [CancelStepsResult]  # idempotent, nothing new to do
    exited = queue.handle(exit_("s-1", 143))
    assert queue.steps["s-1"].state is StepState.CANCELLED
    assert not of_type(exited, ClusterActionOnFailure)  # cancelling never triggers it
    assert started(exited) == ["s-2"]


def test_cluster_terminating_closes_the_queue() -> None:
    queue = queue_with(AOF.CONTINUE, AOF.CONTINUE)
    actions = queue.handle(ClusterTerminating(at=at(30)))
    assert states(queue) == [StepState.INTERRUPTED, StepState.CANCELLED]
    assert of_type(actions, InterruptStepProcess)[0].force
    refused = queue.handle(StepAdded(at=at(31), step_id="s-3", name="late"))
    assert refused == [
        StepRefused(cause=refused[0].cause, step_id="s-3", message=JobFlowNotModifiable().message)
    ]
    late_exit = queue.handle(exit_("s-1", 0, 32))
    assert isinstance(late_exit[0], Ignored)


def test_validation_functions_use_aws_wording() -> None:
    validate_step_concurrency_level(1)
    validate_step_concurrency_level(256)
    for bad in (0, 257):
        with pytest.raises(InvalidStepConfiguration):
            validate_step_concurrency_level(bad)
    validate_action_on_failure(AOF.CANCEL_AND_WAIT, 1)
    validate_action_on_failure(AOF.CONTINUE, 5)
    with pytest.raises(InvalidStepConfiguration) as err:
        validate_action_on_failure(AOF.CANCEL_AND_WAIT, 2)
    assert err.value.code == "ValidationException"
    assert "CANCEL_AND_WAIT is not valid" in err.value.message
    assert JobFlowNotModifiable().message == (
        "A job flow that is shutting down, terminated, or finished may not be modified."
    )
