"""The job state machine's records: a task (one map per split, or one reduce per partition)
and its attempts."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from emr.mapreduce.counters import CounterGroups
from emr.mapreduce.ids import TaskAttemptId, TaskId
from emr.mapreduce.job import InputSplit
from emr.yarn.protocol import ContainerModel

__all__ = ["Attempt", "AttemptState", "Task", "TaskState"]

#: WAITING: wants a container; RUNNING: launched in one.
AttemptState = Literal["WAITING", "RUNNING", "SUCCEEDED", "FAILED", "KILLED"]
TaskState = Literal["SCHEDULED", "SUCCEEDED", "FAILED", "KILLED"]


@dataclass(eq=False)
class Attempt:
    """One try at a task, in one container."""

    attempt_id: TaskAttemptId
    task: Task
    priority: int
    speculative: bool = False
    state: AttemptState = "WAITING"
    container: ContainerModel | None = None
    host: str = ""
    launch_time: int = 0
    finish_time: int = 0
    last_report: int = 0
    progress: float = 0.0
    status: str = ""
    counters: CounterGroups = field(default_factory=dict)
    shuffle_address: str = ""
    fetch_failures: int = 0
    fetch_reporters: set[str] = field(default_factory=set)
    diagnostics: str = ""

    @property
    def name(self) -> str:
        return str(self.attempt_id)

    @property
    def active(self) -> bool:
        return self.state in ("WAITING", "RUNNING")


@dataclass(eq=False)
class Task:
    """A map (with its split) or a reduce, and every attempt made at it."""

    task_id: TaskId
    split: InputSplit | None = None
    state: TaskState = "SCHEDULED"
    attempts: list[Attempt] = field(default_factory=list)
    failed_attempts: int = 0
    #: Hosts where an attempt of this task failed: re-runs prefer other nodes.
    failed_hosts: set[str] = field(default_factory=set)
    successful: Attempt | None = None
    #: The attempt allowed to commit its output (at most one at a time).
    commit_holder: str | None = None

    @property
    def is_map(self) -> bool:
        return self.task_id.type == "m"

    @property
    def active(self) -> list[Attempt]:
        return [a for a in self.attempts if a.active]

    @property
    def running(self) -> list[Attempt]:
        return [a for a in self.attempts if a.state == "RUNNING"]

    @property
    def progress(self) -> float:
        if self.state == "SUCCEEDED":
            return 1.0
        return max((a.progress for a in self.active), default=0.0)

    @property
    def duration(self) -> int:
        """The winning attempt's run time (ms), 0 if none won."""
        won = self.successful
        return 0 if won is None else won.finish_time - won.launch_time
