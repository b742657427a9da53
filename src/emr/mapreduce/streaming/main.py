"""StreamJob's run: parse, plan, submit, follow; exit codes as Hadoop's (0 success, 1 usage
or job failure, 5 a job that could not be launched)."""

from __future__ import annotations

import os
import random
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Final

from emr.hdfs.shell.errors import ShellError
from emr.hdfs.site import HadoopConf, current_user, read_site_xml
from emr.mapreduce.fs import JobFileSystems
from emr.mapreduce.job import JobSpec
from emr.mapreduce.log import ClientLog
from emr.mapreduce.splits import InputError, compute_splits
from emr.mapreduce.streaming.jobconf import StreamingPlan, load_site_conf, plan_job
from emr.mapreduce.streaming.options import (
    StreamingOptions,
    UsageError,
    detailed_usage,
    missing_required,
    parse_args,
    short_usage,
)
from emr.mapreduce.submit import JobSubmitter, SubmitError
from emr.services.emr.releases import HADOOP_VERSION

__all__ = ["EXIT_LAUNCH_FAILED", "main"]

STREAM_JOB: Final = "streaming.StreamJob"
#: StreamJob.submitAndMonitorJob's code for a job it could not launch.
EXIT_LAUNCH_FAILED: Final = 5
_FAILED: Final = "Streaming Command Failed!"


def _usage_failure(log: ClientLog, message: str) -> int:
    log.error(STREAM_JOB, message)
    sys.stderr.write(short_usage())
    log.plain("Try -help for more information")
    log.plain(_FAILED)
    return 1


def _named(entries: Sequence[str]) -> dict[str, str]:
    """`uri#alias` → {alias: uri}; without an alias the file's own name."""
    named: dict[str, str] = {}
    for entry in entries:
        source, _, alias = entry.partition("#")
        name = alias or source.rstrip("/").rsplit("/", 1)[-1]
        named[name] = source
    return named


def main(argv: Sequence[str], environ: Mapping[str, str] | None = None) -> int:
    """Run a streaming job from its command line; the process's exit code."""
    environ = os.environ if environ is None else environ
    log = ClientLog(environ)
    try:
        options = parse_args(argv)
    except UsageError as exc:
        return _usage_failure(log, str(exc))
    if options.help or options.info:
        sys.stdout.write(detailed_usage() if options.info else short_usage())
        return 0
    missing = missing_required(options)
    if missing:
        return _usage_failure(log, f"Missing required options: {', '.join(missing)}")
    for warning in options.warnings:
        log.warn(STREAM_JOB, warning)

    number = random.randrange(10**18, 10**19)
    try:
        conf_files = [_conf_file(path) for path in options.conf_files]
        plan = plan_job(
            options,
            load_site_conf(environ.get("HADOOP_CONF_DIR")),
            conf_files,
            default_name=f"streamjob{number}.jar",
        )
    except UsageError as exc:
        return _usage_failure(log, str(exc))
    for note in plan.deprecations:
        log.info("conf.Configuration.deprecation", note)

    home = environ.get("HADOOP_HOME") or "/usr/lib/hadoop-mapreduce"
    jar = f"{home}/lib/hadoop-streaming-{HADOOP_VERSION}.jar"
    sys.stdout.write(f"packageJobJar: [] [{jar}] /tmp/streamjob{number}.jar tmpDir=null\n")
    sys.stdout.flush()
    return _run(options, plan, environ, log)


def _conf_file(path: str) -> dict[str, str]:
    if not Path(path).is_file():
        raise UsageError(f"Configuration file {path} does not exist")
    try:
        return read_site_xml(Path(path))
    except Exception as exc:  # ElementTree's ParseError and friends: a bad -conf file
        raise UsageError(f"Configuration file {path} is not a Hadoop configuration: {exc}") from exc


def _run(
    options: StreamingOptions, plan: StreamingPlan, environ: Mapping[str, str], log: ClientLog
) -> int:
    user = current_user(environ)
    assert options.output is not None  # checked by missing_required
    with JobFileSystems(environ, user) as fss:
        submitter = JobSubmitter(environ, log, fss, plan.conf, user)
        try:
            submitter.connect()
            output = fss.qualify(options.output)
            if fss.glob(output):
                log.error(
                    STREAM_JOB,
                    "Error launching job , Output path already exists : "
                    f"Output directory {output} already exists",
                )
                return EXIT_LAUNCH_FAILED
            job_id = submitter.new_job()
            staging = submitter.staging_dir(job_id)
            files = submitter.ship(_named(options.files + options.ship_files), staging, "files")
            archives = submitter.ship(_named(options.archives), staging, "archives")
            splits = compute_splits(
                fss,
                options.inputs,
                plan.input_format,
                plan.conf,
                HadoopConf.load(environ).namenode_http,
                user,
            )
            log.info("mapred.FileInputFormat", f"Total input files to process : {splits.files}")
            spec = JobSpec(
                job_id=str(job_id),
                name=plan.name,
                user=user,
                queue=plan.queue,
                conf=plan.conf,
                output=output,
                splits=splits.splits,
                input_format=plan.input_format,
                output_format=plan.output_format,
                mapper=plan.mapper,
                combiner=plan.combiner,
                reducer=plan.reducer,
                num_reduces=plan.num_reduces,
                partitioner=plan.partitioner,
                comparator=plan.comparator,
                files=files,
                archives=archives,
                environment=plan.environment,
            )
            submitted = submitter.submit(spec, staging)
            outcome = submitter.follow(submitted)
        except InputError as exc:
            log.error(STREAM_JOB, f"Error Launching job : {exc}")
            return EXIT_LAUNCH_FAILED
        except (SubmitError, ShellError, OSError) as exc:
            log.error(STREAM_JOB, f"Error Launching job : {exc}")
            return EXIT_LAUNCH_FAILED
        finally:
            submitter.close()
    if outcome.succeeded:
        log.info(STREAM_JOB, f"Output directory: {output}")
        return 0
    log.error(STREAM_JOB, "Job not successful!")
    log.plain(_FAILED)
    return 1
