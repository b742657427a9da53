"""Pieces the map and reduce attempts share: the streaming environment of their processes,
Text's serialized size, and writing a finished output file through the committer."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Final

from emr.mapreduce.committer import OutputCommitter
from emr.mapreduce.counters import FILE_OUTPUT_FORMAT, FILE_SYSTEM
from emr.mapreduce.fs import JobFileSystems
from emr.mapreduce.ids import TaskAttemptId
from emr.mapreduce.task.runtime import TaskContext, scheme_counter

__all__ = ["streaming_environment", "upload_output", "writable_size"]

log = logging.getLogger("org.apache.hadoop.mapred.Task")

_CHUNK: Final = 1 << 20


def writable_size(data: bytes) -> int:
    """The bytes of `data` as a serialized Text (Hadoop's vint length, then the bytes)."""
    n = len(data)
    if n <= 127:
        return 1 + n
    width = (n.bit_length() + 7) // 8
    return 1 + width + n


def streaming_environment(ctx: TaskContext, is_map: bool, index: int) -> dict[str, str]:
    """The job conf keys the framework sets per attempt, as the streaming processes see them."""
    attempt = TaskAttemptId.parse(ctx.attempt_id)
    return {
        "mapreduce_job_id": str(attempt.task_id.job_id),
        "mapreduce_task_id": str(attempt.task_id),
        "mapreduce_task_attempt_id": ctx.attempt_id,
        "mapreduce_task_partition": str(index),
        "mapreduce_task_ismap": "true" if is_map else "false",
        "mapred_task_id": ctx.attempt_id,
        "mapred_task_partition": str(index),
        "mapred_task_is_map": "true" if is_map else "false",
        "mapreduce_job_user_name": ctx.spec.user,
    }


def _chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as file:
        while chunk := file.read(_CHUNK):
            yield chunk


def upload_output(
    ctx: TaskContext, fss: JobFileSystems, committer: OutputCommitter, local: Path, name: str
) -> None:
    """Copy `local` to the attempt's directory as `name`, then commit the task once the AM
    allows it; the counters of what was written."""
    target = f"{committer.task_attempt_path(ctx.attempt_id)}/{name}"
    fs, path = fss.resolve(target)
    fs.mkdirs(path.rsplit("/", 1)[0])
    size = local.stat().st_size
    fs.create(path, _chunks(local), overwrite=True)
    local.unlink(missing_ok=True)
    ctx.count(FILE_OUTPUT_FORMAT, "BYTES_WRITTEN", size)
    ctx.count(FILE_SYSTEM, scheme_counter(target, "BYTES_WRITTEN"), size)
    ctx.state = "COMMIT_PENDING"
    ctx.wait_commit()
    committer.commit_task(ctx.attempt_id)
