"""A map attempt: the split's lines → the mapper → key/value records → either the sort buffer
(partitioned, sorted, combined; one file.out + index for the shuffle service) or, in a
map-only job, the output format in the committer's task attempt directory."""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import Iterable, Iterator
from pathlib import Path

from emr.mapreduce import formats, mapoutput, partition, pipe
from emr.mapreduce.committer import OutputCommitter
from emr.mapreduce.counters import FILE_INPUT_FORMAT, FILE_SYSTEM, TASK
from emr.mapreduce.fs import JobFileSystems
from emr.mapreduce.job import JobSpec
from emr.mapreduce.task.output import streaming_environment, upload_output, writable_size
from emr.mapreduce.task.runtime import TaskContext, scheme_counter

__all__ = ["run_map"]

log = logging.getLogger("org.apache.hadoop.mapred.MapTask")

_MB = 1024 * 1024


def run_map(ctx: TaskContext, fss: JobFileSystems, committer: OutputCommitter) -> str:
    """Run the map; returns the shuffle address its output is served at ("" if map-only)."""
    spec, assignment = ctx.spec, ctx.assignment
    split = assignment.split
    if split is None:
        raise ValueError(f"{assignment.attempt_id} has no input split")
    log.info("Processing split: %s:%d+%d", split.path, split.start, split.length)
    fs, path = fss.resolve(split.path)
    index = int(assignment.attempt_id.split("_")[4])
    reporter = pipe.Reporter()
    ctx.extra_counters.append(reporter.counters)
    env = pipe.task_environment(
        spec,
        streaming_environment(ctx, True, index)
        | {
            "map_input_file": split.path,
            "mapreduce_map_input_file": split.path,
            "map_input_start": str(split.start),
            "mapreduce_map_input_start": str(split.start),
            "map_input_length": str(split.length),
            "mapreduce_map_input_length": str(split.length),
        },
    )
    separator = spec.get("stream.map.output.field.separator").encode()
    key_fields = spec.get_int("stream.num.map.output.key.fields")
    ctx.count(TASK, "SPLIT_RAW_BYTES", len(split.path) + 16)
    ctx.state = "map"
    mapper = pipe.StreamProcess(spec.mapper, env, ctx.work_dir, reporter)

    with formats.SplitReader(fs, path, split, spec) as reader:

        def lines() -> Iterator[bytes]:
            for line in reader.lines():
                ctx.count(TASK, "MAP_INPUT_RECORDS")
                if split.length:
                    ctx.progress = reader.bytes_read / split.length
                yield line

        def blocks(source: Iterator[bytes]) -> Iterator[bytes]:
            counted = 0
            for block in source:
                ctx.count(TASK, "MAP_INPUT_RECORDS", reader.records - counted)
                counted = reader.records
                if split.length:
                    ctx.progress = min(1.0, reader.bytes_read / split.length)
                yield block

        text = reader.text_blocks()
        if text is None:
            batches = mapper.run_batches(lines())
        else:
            batches = mapper.run_batches(blocks=blocks(text))
        if spec.num_reduces > 0:
            _sort_and_spill(ctx, batches, separator, key_fields, env, reporter)
        else:
            records = (
                split_record(line, separator, key_fields) for batch in batches for line in batch
            )
            _write_map_only(ctx, fss, committer, records, index)
        bytes_read = reader.bytes_read
    ctx.count(FILE_INPUT_FORMAT, "BYTES_READ", bytes_read)
    ctx.count(FILE_SYSTEM, scheme_counter(split.path, "BYTES_READ"), bytes_read)
    if reporter.status:
        ctx.state = reporter.status
    ctx.progress = 1.0
    return ctx.environ.get("EMR_SHUFFLE_ADDRESS", "") if spec.num_reduces > 0 else ""


def split_record(line: bytes, separator: bytes, key_fields: int) -> tuple[bytes, bytes]:
    """A streaming output line as key and value."""
    key, value = pipe.split_key_value(line, separator, key_fields)
    return key, value


def _counted(
    ctx: TaskContext, records: Iterable[tuple[bytes, bytes]]
) -> Iterator[tuple[bytes, bytes]]:
    for key, value in records:
        ctx.count(TASK, "MAP_OUTPUT_RECORDS")
        ctx.count(TASK, "MAP_OUTPUT_BYTES", writable_size(key) + writable_size(value))
        yield key, value


def split_records(
    lines: list[bytes], separator: bytes, key_fields: int
) -> tuple[list[bytes], list[bytes]]:
    """`split_record` over a batch of lines: their keys and their values."""
    if separator and key_fields <= 1:
        parts = [line.partition(separator) for line in lines]
        keys = [key if found else line for (key, found, _), line in zip(parts, lines, strict=True)]
        values = [value for _, _, value in parts]
        return keys, values
    if not separator:
        return lines, [b""] * len(lines)
    # split_key_value's key runs to the key_fields-th separator: split() finds the same ones
    fields = [line.split(separator, key_fields) for line in lines]
    keys = [
        separator.join(parts[:key_fields]) if len(parts) > key_fields else line
        for parts, line in zip(fields, lines, strict=True)
    ]
    values = [parts[key_fields] if len(parts) > key_fields else b"" for parts in fields]
    return keys, values


def _serialized_size(items: list[bytes]) -> int:
    """Sum of writable_size over `items` (a vint byte each, more for the long ones)."""
    total = sum(map(len, items)) + len(items)
    if items and max(map(len, items)) > 127:
        total += sum(writable_size(item) - 1 - len(item) for item in items if len(item) > 127)
    return total


def _sort_and_spill(
    ctx: TaskContext,
    batches: Iterable[list[bytes]],
    separator: bytes,
    key_fields: int,
    env: dict[str, str],
    reporter: pipe.Reporter,
) -> None:
    spec = ctx.spec
    local_dir = Path(ctx.environ.get("LOCAL_DIRS", str(ctx.work_dir)).split(",")[0])
    output_dir = local_dir / "output" / ctx.attempt_id
    spill_dir = ctx.work_dir / f"spill_{ctx.attempt_id}"
    spill_dir.mkdir(parents=True, exist_ok=True)
    partitioner = partition.make_partitioner(spec)
    buffer = mapoutput.MapOutputBuffer(
        num_partitions=spec.num_reduces,
        sort_key=partition.make_sort_key(spec),
        spill_dir=spill_dir,
        buffer_bytes=spec.get_int("mapreduce.task.io.sort.mb") * _MB,
        combiner=_combiner(spec, env, ctx.work_dir, reporter) if spec.combiner else None,
        min_spills_for_combine=spec.get_int("mapreduce.map.combine.minspills"),
        counters=ctx.counters,
        spill_percent=spec.get_float("mapreduce.map.sort.spill.percent"),
    )
    single = spec.num_reduces <= 1
    for lines in batches:
        keys, values = split_records(lines, separator, key_fields)
        ctx.count(TASK, "MAP_OUTPUT_RECORDS", len(keys))
        ctx.count(TASK, "MAP_OUTPUT_BYTES", _serialized_size(keys) + _serialized_size(values))
        partitions = [0] * len(keys) if single else [partitioner(key) for key in keys]
        buffer.collect_many(partitions, keys, values)
    ctx.state = "sort"
    output_dir.mkdir(parents=True, exist_ok=True)
    buffer.close(output_dir)
    written = sum(p.stat().st_size for p in output_dir.iterdir() if p.is_file())
    ctx.count(FILE_SYSTEM, "FILE_BYTES_WRITTEN", written)
    shutil.rmtree(spill_dir, ignore_errors=True)
    log.info("Finished spill of %s to %s", ctx.attempt_id, output_dir)


def _combiner(
    spec: JobSpec, env: dict[str, str], work_dir: Path, reporter: pipe.Reporter
) -> mapoutput.Combiner:
    """The -combiner command as a function over one sorted partition (a process per call)."""
    separator = spec.get("stream.map.output.field.separator").encode()
    key_fields = spec.get_int("stream.num.map.output.key.fields")
    command = spec.combiner or "cat"

    def combine(records: Iterator[tuple[bytes, bytes]]) -> Iterator[tuple[bytes, bytes]]:
        process = pipe.StreamProcess(command, env, work_dir, reporter)
        lines = (key + separator + value for key, value in records)
        for line in process.run(lines):
            yield pipe.split_key_value(line, separator, key_fields)

    return combine


def _write_map_only(
    ctx: TaskContext,
    fss: JobFileSystems,
    committer: OutputCommitter,
    records: Iterable[tuple[bytes, bytes]],
    index: int,
) -> None:
    spec = ctx.spec
    local = ctx.work_dir / f"map_output_{os.getpid()}"
    with formats.RecordWriter(local, spec) as writer:
        for key, value in _counted(ctx, records):
            writer.write(key, value)
    name = formats.output_file_name(index, spec, "m")
    upload_output(ctx, fss, committer, local, name)
