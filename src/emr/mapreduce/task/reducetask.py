"""A reduce attempt: follow the AM's map completion events, fetch this partition of every map
output (fetcher.py), merge the segments in key order, run the reducer (or pass records
through), write the output format and commit through the committer.

In raw byte order (no custom comparator), when all the segments fit the memory budget, the
merge is one stable pyarrow sort and the records go to the reducer a block at a time
(mapoutput.merge_in_memory); else the segments are merged record by record (merge_sorted).

A map counts as fetched once a SUCCEEDED event's attempt was read; an OBSOLETE event for that
attempt drops what was read and waits for a newer SUCCEEDED event. A failed fetch is told to
the AM (it may re-run the map) and retried at the next round.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterator
from typing import Final

from emr.mapreduce import formats, mapoutput, partition, pipe
from emr.mapreduce.committer import OutputCommitter
from emr.mapreduce.counters import SHUFFLE_ERRORS, TASK
from emr.mapreduce.fetcher import FetchedOutput, Fetcher, MapLocation
from emr.mapreduce.fs import JobFileSystems
from emr.mapreduce.ids import TaskAttemptId
from emr.mapreduce.job import FetchFailure
from emr.mapreduce.task.output import streaming_environment, upload_output
from emr.mapreduce.task.runtime import TaskContext

__all__ = ["run_reduce"]

log = logging.getLogger("org.apache.hadoop.mapred.ReduceTask")

#: Seconds between polls of the map completion events.
EVENTS_POLL_S: Final = 1.0
_SHUFFLE_ERRORS: Final = (
    "BAD_ID",
    "CONNECTION",
    "IO_ERROR",
    "WRONG_LENGTH",
    "WRONG_MAP",
    "WRONG_REDUCE",
)
_MB: Final = 1024 * 1024


def run_reduce(ctx: TaskContext, fss: JobFileSystems, committer: OutputCommitter) -> None:
    """Shuffle, merge, reduce, write and commit this attempt's partition."""
    spec, assignment = ctx.spec, ctx.assignment
    for name in _SHUFFLE_ERRORS:
        ctx.count(SHUFFLE_ERRORS, name, 0)
    ctx.state = "reduce > copy"
    # Python objects take far more than their bytes: a quarter of the container's memory.
    memory = spec.get_int("mapreduce.reduce.memory.mb") * _MB // 4
    with Fetcher(
        str(TaskAttemptId.parse(ctx.attempt_id).task_id.job_id),
        ctx.environ.get("EMR_MR_JOB_TOKEN", ""),
        assignment.partition,
        ctx.work_dir / "shuffle",
        parallel_copies=spec.get_int("mapreduce.reduce.shuffle.parallelcopies"),
        memory_limit=memory,
    ) as fetcher:
        outputs = _shuffle(ctx, fetcher, assignment.num_maps)
    ctx.state = "reduce > sort"
    ctx.progress = 2 / 3
    ordered = [outputs[i] for i in sorted(outputs)]
    ctx.count(TASK, "MERGED_MAP_OUTPUTS", len(ordered))
    total_records = sum(o.records for o in ordered) or 1
    sort_key = partition.make_sort_key(spec)
    # Raw byte order and segments that fit the memory budget: one pyarrow sort, whole blocks
    # of records (counted a block at a time); else a merge of the segments record by record.
    in_memory: mapoutput.MergedRecords | None = None
    if sort_key is None and sum(o.length for o in ordered) <= memory:
        in_memory = mapoutput.merge_in_memory([o.content() for o in ordered])

    def counted() -> Iterator[tuple[bytes, bytes]]:
        merged = mapoutput.merge_sorted(
            [mapoutput.decode_records(o.content()) for o in ordered], sort_key
        )
        previous: object = None
        for seen, (key, value) in enumerate(merged, 1):
            ctx.count(TASK, "REDUCE_INPUT_RECORDS")
            group = key if sort_key is None else sort_key(key)
            if seen == 1 or group != previous:
                ctx.count(TASK, "REDUCE_INPUT_GROUPS")
                previous = group
            ctx.progress = 2 / 3 + seen / total_records / 3
            yield key, value

    seen = 0

    def count_block(records: int, groups: int) -> None:
        nonlocal seen
        seen += records
        ctx.count(TASK, "REDUCE_INPUT_RECORDS", records)
        ctx.count(TASK, "REDUCE_INPUT_GROUPS", groups)
        ctx.progress = 2 / 3 + seen / total_records / 3

    ctx.state = "reduce > reduce"
    local = ctx.work_dir / f"reduce_output_{os.getpid()}"
    with formats.RecordWriter(local, spec) as writer:
        if spec.reducer is None:
            if in_memory is not None:
                for groups, pairs in in_memory.record_blocks():
                    count_block(len(pairs), groups)
                    writer.write_many(pairs)
            else:
                for key, value in counted():
                    writer.write(key, value)
        else:
            reporter = pipe.Reporter()
            ctx.extra_counters.append(reporter.counters)
            env = pipe.task_environment(
                spec, streaming_environment(ctx, False, assignment.partition)
            )
            in_separator = spec.get("stream.reduce.input.field.separator").encode()
            out_separator = spec.get("stream.reduce.output.field.separator").encode()
            key_fields = spec.get_int("stream.num.reduce.output.key.fields")
            reducer = pipe.StreamProcess(spec.reducer, env, ctx.work_dir, reporter)
            if in_memory is not None:

                def blocks(run: mapoutput.MergedRecords) -> Iterator[bytes]:
                    for records, groups, block in run.line_blocks(in_separator):
                        count_block(records, groups)
                        yield block

                batches = reducer.run_batches(blocks=blocks(in_memory))
            else:
                lines = (key + in_separator + value for key, value in counted())
                batches = reducer.run_batches(lines)
            for batch in batches:
                pairs = [pipe.split_key_value(line, out_separator, key_fields) for line in batch]
                writer.write_many(pairs)
            if reporter.status:
                ctx.state = reporter.status
        records = writer.records
    ctx.count(TASK, "REDUCE_OUTPUT_RECORDS", records)
    for output in ordered:
        output.discard()
    name = formats.output_file_name(assignment.partition, spec, "r")
    upload_output(ctx, fss, committer, local, name)
    ctx.progress = 1.0


def _shuffle(ctx: TaskContext, fetcher: Fetcher, num_maps: int) -> dict[int, FetchedOutput]:
    """Every map's segment, by map index."""
    latest: dict[int, MapLocation] = {}
    fetched: dict[int, FetchedOutput] = {}
    next_event = 0
    pause = threading.Event()  # never set: a bounded pause between polls
    while len(fetched) < num_maps:
        answer = ctx.umbilical.events(next_event)
        next_event = answer.next
        for event in answer.events:
            index = event.map_index
            if event.status == "SUCCEEDED":
                if index not in fetched:
                    latest[index] = MapLocation(index, event.attempt_id, event.shuffle_address)
                continue
            have = fetched.get(index)
            if have is not None and have.location.attempt_id == event.attempt_id:
                log.info("map output of %s is obsolete; fetching it again", event.attempt_id)
                fetcher.release(have)
                del fetched[index]
            if index in latest and latest[index].attempt_id == event.attempt_id:
                del latest[index]
        todo = [loc for index, loc in sorted(latest.items()) if index not in fetched]
        if todo:
            got, failed = fetcher.fetch(todo)
            for output in got:
                fetched[output.location.map_index] = output
                ctx.count(TASK, "SHUFFLED_MAPS")
                ctx.count(TASK, "REDUCE_SHUFFLE_BYTES", output.length)
            for failure in failed:
                ctx.count(TASK, "FAILED_SHUFFLE")
                ctx.count(SHUFFLE_ERRORS, failure.kind)
                log.warning(
                    "Failed to fetch map output of %s: %s",
                    failure.location.attempt_id,
                    failure.reason,
                )
                ctx.umbilical.fetch_failure(
                    FetchFailure(map_attempt_id=failure.location.attempt_id, reason=failure.reason)
                )
        ctx.progress = len(fetched) / num_maps / 3 if num_maps else 1 / 3
        ctx.state = f"reduce > copy ({len(fetched)} of {num_maps})"
        if len(fetched) < num_maps:
            pause.wait(EVENTS_POLL_S)
    log.info("%s: shuffled %d map outputs", ctx.attempt_id, len(fetched))
    return fetched
