"""One task attempt from start to end: read job.json, ask the AM, run the map or the reduce,
report done or failed (see the package docstring)."""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import traceback
from collections.abc import Iterator, Mapping
from pathlib import Path

from pydantic import ValidationError

from emr.mapreduce.committer import OutputCommitter
from emr.mapreduce.fs import JobFileSystems
from emr.mapreduce.ids import TaskAttemptId
from emr.mapreduce.job import JobSpec, TaskDone, TaskFailed
from emr.mapreduce.umbilical_client import UmbilicalClient, UmbilicalError
from emr.yarn.ids import InvalidId

__all__ = ["main"]

log = logging.getLogger("org.apache.hadoop.mapred.YarnChild")
task_log = logging.getLogger("org.apache.hadoop.mapred.Task")


def _diagnostics(exc: BaseException) -> str:
    from emr.mapreduce import pipe

    if isinstance(exc, pipe.StreamFailure):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"


@contextlib.contextmanager
def _profiled(directory: str, attempt: str) -> Iterator[None]:
    """cProfile of the attempt's main thread into `directory`/<attempt>.prof when a benchmark
    asks for it (EMR_BENCH_MR_PROFILE in the node's environment; off by default)."""
    if not directory:
        yield
        return
    import cProfile

    with cProfile.Profile() as profile:
        yield
    profile.dump_stats(Path(directory) / f"{attempt}.prof")


def main(argv: list[str] | None = None, environ: Mapping[str, str] | None = None) -> int:
    """Run the attempt named in `argv`; the process's exit code."""
    from emr.mapreduce.task.runtime import TaskContext, configure_task_logging

    args = sys.argv[1:] if argv is None else argv
    env = os.environ if environ is None else environ
    configure_task_logging()
    if len(args) != 1:
        print("Usage: python -m emr.mapreduce.task <attempt id>", file=sys.stderr)
        return 2
    try:
        attempt = TaskAttemptId.parse(args[0])
        spec = JobSpec.model_validate_json(Path("job.json").read_bytes())
        base_url, token = env["EMR_MR_UMBILICAL"], env["EMR_MR_JOB_TOKEN"]
    except (InvalidId, OSError, ValidationError, KeyError) as exc:
        log.error("Cannot start task %s: %s", args[0], _diagnostics(exc))
        return 2
    work_dir = Path.cwd()
    with UmbilicalClient(base_url, token, str(attempt)) as umbilical:
        try:
            assignment = umbilical.get_task()
        except UmbilicalError as exc:
            log.error("Cannot get task %s from the ApplicationMaster: %s", attempt, exc)
            return 2
        ctx = TaskContext(umbilical, spec, assignment, work_dir, env)
        log.info("Running %s of %s", attempt, spec.job_id)
        ctx.start()
        try:
            with JobFileSystems(env, user=spec.user) as fss:
                committer = OutputCommitter(
                    fss,
                    spec.output,
                    assignment.app_attempt,
                    spec.get_bool("mapreduce.fileoutputcommitter.marksuccessfuljobs"),
                )
                shuffle_address = ""
                with _profiled(env.get("EMR_BENCH_MR_PROFILE", ""), str(attempt)):
                    if attempt.task_id.type == "m":
                        from emr.mapreduce.task.maptask import run_map

                        shuffle_address = run_map(ctx, fss, committer)
                    else:
                        from emr.mapreduce.task.reducetask import run_reduce

                        run_reduce(ctx, fss, committer)
        except Exception as exc:
            ctx.stop()
            diagnostics = _diagnostics(exc)
            task_log.error("Error running child : %s", diagnostics)
            task_log.info("%s", "".join(traceback.format_exception(exc)).rstrip())
            try:
                umbilical.failed(TaskFailed(diagnostics=diagnostics, counters=ctx.snapshot()))
            except UmbilicalError as report_error:
                log.error("Could not report the failure: %s", report_error)
            return 1
        ctx.stop()
        if not ctx.report_now():
            ctx.die("the ApplicationMaster asked for it")
        umbilical.done(TaskDone(counters=ctx.snapshot(), shuffle_address=shuffle_address))
        task_log.info("Task '%s' done.", attempt)
    return 0
