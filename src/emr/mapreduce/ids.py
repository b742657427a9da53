"""MapReduce's identifiers in Hadoop's string forms.

job_1700000000000_0001                      JobId (the same numbers as its application)
task_1700000000000_0001_m_000003            TaskId (m: map, r: reduce; index from 0)
attempt_1700000000000_0001_m_000003_0       TaskAttemptId (attempt number from 0)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from emr.yarn.ids import ApplicationId, InvalidId

__all__ = ["JobId", "TaskAttemptId", "TaskId", "TaskType"]

TaskType = Literal["m", "r"]

_JOB = re.compile(r"job_(\d+)_(\d+)")
_TASK = re.compile(r"task_(\d+)_(\d+)_([mr])_(\d+)")
_ATTEMPT = re.compile(r"attempt_(\d+)_(\d+)_([mr])_(\d+)_(\d+)")


@dataclass(frozen=True, order=True, slots=True)
class JobId:
    cluster_timestamp: int
    id: int

    def __str__(self) -> str:
        return f"job_{self.cluster_timestamp}_{self.id:04d}"

    @classmethod
    def of(cls, application_id: ApplicationId) -> JobId:
        return cls(application_id.cluster_timestamp, application_id.id)

    @property
    def application_id(self) -> ApplicationId:
        return ApplicationId(self.cluster_timestamp, self.id)

    @classmethod
    def parse(cls, text: str) -> JobId:
        match = _JOB.fullmatch(text)
        if match is None:
            raise InvalidId(f"Invalid JobId: {text}")
        return cls(int(match[1]), int(match[2]))


@dataclass(frozen=True, order=True, slots=True)
class TaskId:
    job_id: JobId
    type: TaskType
    index: int

    def __str__(self) -> str:
        job = self.job_id
        return f"task_{job.cluster_timestamp}_{job.id:04d}_{self.type}_{self.index:06d}"

    def attempt(self, number: int) -> TaskAttemptId:
        return TaskAttemptId(self, number)

    @classmethod
    def parse(cls, text: str) -> TaskId:
        match = _TASK.fullmatch(text)
        if match is None:
            raise InvalidId(f"Invalid TaskId: {text}")
        kind: TaskType = "m" if match[3] == "m" else "r"
        return cls(JobId(int(match[1]), int(match[2])), kind, int(match[4]))


@dataclass(frozen=True, order=True, slots=True)
class TaskAttemptId:
    task_id: TaskId
    number: int

    def __str__(self) -> str:
        return f"attempt{str(self.task_id)[4:]}_{self.number}"

    @classmethod
    def parse(cls, text: str) -> TaskAttemptId:
        match = _ATTEMPT.fullmatch(text)
        if match is None:
            raise InvalidId(f"Invalid TaskAttemptId: {text}")
        kind: TaskType = "m" if match[3] == "m" else "r"
        task = TaskId(JobId(int(match[1]), int(match[2])), kind, int(match[4]))
        return cls(task, int(match[5]))
