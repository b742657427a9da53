"""What the job state machine hears (events, each with an `event_id` that its log lines name)
and what it decides (actions, performed by the runtime). Times are milliseconds, supplied by
the runtime: the machine never reads a clock."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from emr.mapreduce.counters import CounterGroups
from emr.yarn.protocol import ContainerModel, ResourceRequestModel

__all__ = [
    "Action",
    "AllocatedContainers",
    "AskContainers",
    "CanCommit",
    "CommitReply",
    "ContainerCompleted",
    "Event",
    "FetchFailed",
    "FinishJob",
    "JobStart",
    "KillJob",
    "LaunchAttempt",
    "Log",
    "ReleaseContainer",
    "StatusReply",
    "StatusUpdate",
    "StopContainer",
    "TaskAttemptDone",
    "TaskAttemptFailed",
    "Tick",
]


@dataclass(frozen=True)
class _Event:
    event_id: int
    now: int  # ms


@dataclass(frozen=True)
class JobStart(_Event):
    """The job was set up (committer.setup_job ran): schedule the maps."""


@dataclass(frozen=True)
class AllocatedContainers(_Event):
    """The RM granted containers (one allocate answer)."""

    containers: tuple[ContainerModel, ...]
    num_cluster_nodes: int = 1


@dataclass(frozen=True)
class ContainerCompleted(_Event):
    container_id: str
    exit_status: int
    diagnostics: str = ""


@dataclass(frozen=True)
class StatusUpdate(_Event):
    attempt_id: str
    progress: float
    state: str = ""
    counters: CounterGroups = field(default_factory=dict)


@dataclass(frozen=True)
class TaskAttemptDone(_Event):
    attempt_id: str
    counters: CounterGroups = field(default_factory=dict)
    shuffle_address: str = ""


@dataclass(frozen=True)
class TaskAttemptFailed(_Event):
    attempt_id: str
    diagnostics: str
    counters: CounterGroups = field(default_factory=dict)


@dataclass(frozen=True)
class CanCommit(_Event):
    attempt_id: str


@dataclass(frozen=True)
class FetchFailed(_Event):
    """Reduce attempt `attempt_id` could not fetch the output of map attempt `map_attempt_id`."""

    attempt_id: str
    map_attempt_id: str
    reason: str = ""


@dataclass(frozen=True)
class Tick(_Event):
    """Time passes: task timeouts and speculation are checked."""


@dataclass(frozen=True)
class KillJob(_Event):
    """The RM wants the attempt over (AllocateAnswer.shutdown): the job is KILLED."""

    diagnostics: str = "Job received Kill while in RUNNING state."


Event = (
    JobStart
    | AllocatedContainers
    | ContainerCompleted
    | StatusUpdate
    | TaskAttemptDone
    | TaskAttemptFailed
    | CanCommit
    | FetchFailed
    | Tick
    | KillJob
)


@dataclass(frozen=True)
class AskContainers:
    """The asks to send with the next allocate (totals per priority and host, replacing)."""

    asks: tuple[ResourceRequestModel, ...]


@dataclass(frozen=True)
class LaunchAttempt:
    container: ContainerModel
    attempt_id: str


@dataclass(frozen=True)
class StopContainer:
    container: ContainerModel
    attempt_id: str


@dataclass(frozen=True)
class ReleaseContainer:
    container_id: str


@dataclass(frozen=True)
class CommitReply:
    attempt_id: str
    commit: bool


@dataclass(frozen=True)
class StatusReply:
    attempt_id: str
    kill: bool


@dataclass(frozen=True)
class FinishJob:
    """The job is over: commit it (SUCCEEDED) or abort it, then unregister."""

    state: Literal["SUCCEEDED", "FAILED", "KILLED"]
    diagnostics: str


@dataclass(frozen=True)
class Log:
    event_id: int
    message: str
    level: Literal["INFO", "WARN", "ERROR"] = "INFO"


Action = (
    AskContainers
    | LaunchAttempt
    | StopContainer
    | ReleaseContainer
    | CommitReply
    | StatusReply
    | FinishJob
    | Log
)
