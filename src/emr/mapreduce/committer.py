"""Hadoop's FileOutputCommitter, algorithm version 1, over any filesystem a job can write.

    <out>/_temporary/<app attempt>/_temporary/<task attempt id>/part-…   a task attempt writes
    <out>/_temporary/<app attempt>/<task id>/part-…                      after its task commit
    <out>/part-…, <out>/_SUCCESS                                         after the job commit

Only one attempt of a task is allowed to commit (the AM's can-commit answer), so a task's
committed directory holds exactly one attempt's files; the job commit moves them into the
output, so a failed or killed job never leaves partial output outside `_temporary`.

LIMITATIONS: no recovery of an earlier AM attempt's committed tasks (Hadoop's
recoverTask): a new AM attempt re-runs every task; on S3 a rename is a copy and a delete, so
commits there are not atomic (as with Hadoop's s3a without a magic committer).
"""

from __future__ import annotations

import logging

from emr.hdfs.shell.filesystem import FileSystem
from emr.mapreduce.fs import JobFileSystems
from emr.mapreduce.ids import TaskAttemptId

__all__ = ["PENDING_DIR", "SUCCEEDED_FILE", "OutputCommitter"]

log = logging.getLogger(__name__)

PENDING_DIR = "_temporary"
SUCCEEDED_FILE = "_SUCCESS"


def _join(parent: str, name: str) -> str:
    return f"{parent.rstrip('/')}/{name}"


class OutputCommitter:
    """FileOutputCommitter v1 for the job output `output` (any URI `fss` resolves)."""

    def __init__(
        self, fss: JobFileSystems, output: str, app_attempt: int, mark_success: bool = True
    ) -> None:
        self.fss = fss
        self.output = fss.qualify(output).rstrip("/")
        self.app_attempt = app_attempt
        self.mark_success = mark_success
        self._fs, self._out = fss.resolve(self.output)

    # --- paths -------------------------------------------------------------------------------

    @property
    def pending_root(self) -> str:
        """`<out>/_temporary` (qualified)."""
        return _join(self.output, PENDING_DIR)

    @property
    def job_attempt_path(self) -> str:
        """`<out>/_temporary/<app attempt>` (qualified)."""
        return _join(self.pending_root, str(self.app_attempt))

    def task_attempt_path(self, attempt_id: str) -> str:
        """Where a task attempt writes its files (qualified URI)."""
        TaskAttemptId.parse(attempt_id)  # never a raw string in a path
        return _join(_join(self.job_attempt_path, PENDING_DIR), attempt_id)

    def committed_task_path(self, attempt_id: str) -> str:
        """Where a task's files go when `attempt_id` commits (qualified URI)."""
        task_id = TaskAttemptId.parse(attempt_id).task_id
        return _join(self.job_attempt_path, str(task_id))

    def _local(self, uri: str) -> str:
        return self.fss.resolve(uri)[1]

    # --- job -----------------------------------------------------------------------------------

    def setup_job(self) -> None:
        """Create `<out>/_temporary/<app attempt>` (and the output directory)."""
        self._fs.mkdirs(self._local(self.job_attempt_path))

    def commit_job(self) -> None:
        """Move every committed task's files into the output, remove `_temporary`, and write
        `_SUCCESS` if asked."""
        fs = self._fs
        attempt_dir = self._local(self.job_attempt_path)
        if fs.status(attempt_dir) is not None:
            for task in fs.list_status(attempt_dir):
                if task.is_dir and task.name != PENDING_DIR:
                    _merge(fs, task.path, self._out)
        fs.delete(self._local(self.pending_root), recursive=True)
        if self.mark_success:
            fs.create(_join(self._out, SUCCEEDED_FILE), [], overwrite=True)
        log.info("Saved output of job to %s", self.output)

    def abort_job(self) -> None:
        """Remove `<out>/_temporary` (what the tasks wrote)."""
        self._fs.delete(self._local(self.pending_root), recursive=True)

    # --- tasks ---------------------------------------------------------------------------------

    def needs_task_commit(self, attempt_id: str) -> bool:
        """Whether the attempt wrote anything."""
        return self._fs.status(self._local(self.task_attempt_path(attempt_id))) is not None

    def commit_task(self, attempt_id: str) -> None:
        """Move the attempt's directory to the task's committed directory (no-op when the
        attempt wrote nothing). Replaces what an earlier attempt of the task committed."""
        fs = self._fs
        source = self._local(self.task_attempt_path(attempt_id))
        if fs.status(source) is None:
            log.info("No output to commit for %s", attempt_id)
            return
        target = self._local(self.committed_task_path(attempt_id))
        if fs.status(target) is not None:
            fs.delete(target, recursive=True)
        if not fs.rename(source, target):
            raise OSError(f"Could not rename {source} to {target}")
        log.info(
            "Saved output of task '%s' to %s", attempt_id, self.committed_task_path(attempt_id)
        )

    def abort_task(self, attempt_id: str) -> None:
        """Remove what the attempt wrote."""
        self._fs.delete(self._local(self.task_attempt_path(attempt_id)), recursive=True)


def _merge(fs: FileSystem, source: str, destination: str) -> None:
    """Move the children of directory `source` into directory `destination`, merging
    subdirectories that exist on both sides (Hadoop's mergePaths)."""
    fs.mkdirs(destination)
    for child in fs.list_status(source):
        target = _join(destination, child.name)
        existing = fs.status(target)
        if existing is not None and existing.is_dir and child.is_dir:
            _merge(fs, child.path, target)
            continue
        if existing is not None:
            fs.delete(target, recursive=True)
        if not fs.rename(child.path, target):
            raise OSError(f"Could not rename {child.path} to {target}")
