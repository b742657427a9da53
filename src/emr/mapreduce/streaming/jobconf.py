"""From parsed options to the job's configuration and streaming settings (pure): the node's
site files, then -conf files, then -D/-jobconf (old property names translated as Hadoop's
Configuration.deprecation does), then what the streaming options set.

LIMITATIONS: Java classes are recognised by name only for the formats, partitioners and
comparators streaming jobs commonly use; IdentityMapper/IdentityReducer map to `cat` and the
identity reducer; `-reducer aggregate` (and -combiner) run emr.mapreduce.aggregate, with
its combiner; other Java mappers/reducers are refused.
"""

from __future__ import annotations

import shlex
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final, Literal

from emr.hdfs.site import read_site_xml
from emr.mapreduce.job import InputFormat, OutputFormat
from emr.mapreduce.streaming.options import StreamingOptions, UsageError

__all__ = [
    "DEPRECATED_PROPERTIES",
    "StreamingPlan",
    "load_site_conf",
    "plan_job",
    "translate_properties",
]

#: Old property names Hadoop still maps (Configuration.deprecation) → the current ones.
DEPRECATED_PROPERTIES: Final = {
    "mapred.reduce.tasks": "mapreduce.job.reduces",
    "mapred.map.tasks": "mapreduce.job.maps",
    "mapred.output.compress": "mapreduce.output.fileoutputformat.compress",
    "mapred.output.compression.codec": "mapreduce.output.fileoutputformat.compress.codec",
    "mapred.output.compression.type": "mapreduce.output.fileoutputformat.compress.type",
    "mapred.text.key.partitioner.options": "mapreduce.partition.keypartitioner.options",
    "mapred.text.key.comparator.options": "mapreduce.partition.keycomparator.options",
    "mapred.job.name": "mapreduce.job.name",
    "mapred.job.queue.name": "mapreduce.job.queuename",
    "mapred.output.key.comparator.class": "mapreduce.job.output.key.comparator.class",
    "mapred.partitioner.class": "mapreduce.job.partitioner.class",
    "mapred.min.split.size": "mapreduce.input.fileinputformat.split.minsize",
    "mapred.line.input.format.linespermap": "mapreduce.input.lineinputformat.linespermap",
    "mapred.map.max.attempts": "mapreduce.map.maxattempts",
    "mapred.reduce.max.attempts": "mapreduce.reduce.maxattempts",
    "mapred.task.timeout": "mapreduce.task.timeout",
    "mapred.map.tasks.speculative.execution": "mapreduce.map.speculative",
    "mapred.reduce.tasks.speculative.execution": "mapreduce.reduce.speculative",
    "mapred.compress.map.output": "mapreduce.map.output.compress",
    "io.sort.mb": "mapreduce.task.io.sort.mb",
    "io.sort.factor": "mapreduce.task.io.sort.factor",
    "map.output.key.field.separator": "mapreduce.map.output.key.field.separator",
    "key.value.separator.in.input.line": (
        "mapreduce.input.keyvaluelinerecordreader.key.value.separator"
    ),
    "mapred.textoutputformat.separator": "mapreduce.output.textoutputformat.separator",
    "mapred.job.reduce.memory.mb": "mapreduce.reduce.memory.mb",
    "mapred.job.map.memory.mb": "mapreduce.map.memory.mb",
}

_SITE_FILES: Final = ("core-site.xml", "hdfs-site.xml", "yarn-site.xml", "mapred-site.xml")
_PKG: Final = "org.apache.hadoop.mapred."

_INPUT_FORMATS: Final[dict[str, InputFormat]] = {
    "TextInputFormat": "text",
    "KeyValueTextInputFormat": "keyvalue",
    "SequenceFileInputFormat": "sequence",
    "SequenceFileAsTextInputFormat": "sequence_as_text",
    "lib.NLineInputFormat": "nline",
    "NLineInputFormat": "nline",
}
_OUTPUT_FORMATS: Final[dict[str, OutputFormat]] = {
    "TextOutputFormat": "text",
    "SequenceFileOutputFormat": "sequence",
}
_KEYFIELD_PARTITIONERS: Final = frozenset(
    {
        "org.apache.hadoop.mapred.lib.KeyFieldBasedPartitioner",
        "org.apache.hadoop.mapreduce.lib.partition.KeyFieldBasedPartitioner",
    }
)
_HASH_PARTITIONERS: Final = frozenset(
    {
        "org.apache.hadoop.mapred.lib.HashPartitioner",
        "org.apache.hadoop.mapreduce.lib.partition.HashPartitioner",
    }
)
_KEYFIELD_COMPARATORS: Final = frozenset(
    {
        "org.apache.hadoop.mapred.lib.KeyFieldBasedComparator",
        "org.apache.hadoop.mapreduce.lib.partition.KeyFieldBasedComparator",
    }
)
_IDENTITY_MAPPERS: Final = frozenset(
    {"org.apache.hadoop.mapred.lib.IdentityMapper", "org.apache.hadoop.mapreduce.Mapper"}
)
_IDENTITY_REDUCERS: Final = frozenset(
    {"org.apache.hadoop.mapred.lib.IdentityReducer", "org.apache.hadoop.mapreduce.Reducer"}
)


@dataclass
class StreamingPlan:
    """The JobSpec fields the command line decides (ids, splits and files come later)."""

    name: str
    queue: str
    conf: dict[str, str]
    input_format: InputFormat
    output_format: OutputFormat
    mapper: str
    combiner: str | None
    reducer: str | None
    num_reduces: int
    partitioner: Literal["hash", "keyfield"]
    comparator: Literal["raw", "keyfield"]
    environment: dict[str, str]
    deprecations: list[str] = field(default_factory=list)


def load_site_conf(conf_dir: str | None) -> dict[str, str]:
    """core-, hdfs-, yarn- and mapred-site.xml of `conf_dir`, merged (later files win)."""
    conf: dict[str, str] = {}
    if conf_dir:
        for name in _SITE_FILES:
            conf.update(read_site_xml(Path(conf_dir) / name))
    return conf


def translate_properties(properties: Mapping[str, str]) -> tuple[dict[str, str], list[str]]:
    """Old names → new (both kept, as Hadoop sets both); the deprecation notes Hadoop logs."""
    result: dict[str, str] = {}
    notes: list[str] = []
    for key, value in properties.items():
        result[key] = value
        new = DEPRECATED_PROPERTIES.get(key)
        if new is not None:
            result[new] = value
            notes.append(f"{key} is deprecated. Instead, use {new}")
    return result, notes


def _class_choice(name: str, table: Mapping[str, str], what: str) -> str:
    short = name.removeprefix(_PKG)
    if short in table:
        return table[short]
    raise UsageError(f"{what} {name} is not supported on this platform")


def _aggregate(role: str) -> str:
    """Hadoop's ValueAggregatorReducer/Combiner, as the streaming process emr.mapreduce.aggregate."""
    return f"{shlex.quote(sys.executable)} -m emr.mapreduce.aggregate {role}"


def _command(value: str | None, role: str) -> str | None:
    if value is None:
        return None
    text = value.strip()
    if text == "aggregate":
        if role == "mapper":
            raise UsageError("-mapper aggregate is not supported on this platform")
        return _aggregate(role)
    if role == "mapper" and text in _IDENTITY_MAPPERS:
        return "cat"
    if role == "reducer" and text in _IDENTITY_REDUCERS:
        return None
    if (
        text.startswith(("org.apache.hadoop.", "com.", "org."))
        and " " not in text
        and ("." in text and text.rsplit(".", 1)[-1][:1].isupper())
    ):
        raise UsageError(f"-{role} {text}: Java classes are not supported on this platform")
    return text


def plan_job(
    options: StreamingOptions,
    site: Mapping[str, str],
    conf_files: Sequence[Mapping[str, str]] = (),
    default_name: str = "streamjob.jar",
) -> StreamingPlan:
    """The job's conf and settings; UsageError for what this platform cannot run."""
    conf = dict(site)
    for extra in conf_files:
        conf.update(extra)
    given, notes = translate_properties(options.properties)
    conf.update(given)

    mapper = _command(options.mapper, "mapper")
    if mapper is None:
        raise UsageError("Missing required options: mapper")
    combiner = _command(options.combiner, "combiner")
    reducer_text = options.reducer
    map_only = reducer_text is not None and reducer_text.strip() == "NONE"
    reducer = None if map_only else _command(reducer_text, "reducer")
    if reducer == _aggregate("reducer") and combiner is None:
        combiner = _aggregate("combiner")  # as StreamJob sets ValueAggregatorCombiner

    if options.num_reduce_tasks is not None:
        conf["mapreduce.job.reduces"] = str(options.num_reduce_tasks)
    if map_only:
        conf["mapreduce.job.reduces"] = "0"
    try:
        num_reduces = int(conf.get("mapreduce.job.reduces", "1"))
    except ValueError:
        raise UsageError(
            f"Invalid mapreduce.job.reduces: {conf['mapreduce.job.reduces']}"
        ) from None

    input_format: InputFormat = "text"
    if options.input_format:
        input_format = _class_choice(options.input_format, _INPUT_FORMATS, "-inputformat")  # type: ignore[assignment]
    output_format: OutputFormat = "text"
    if options.output_format:
        output_format = _class_choice(options.output_format, _OUTPUT_FORMATS, "-outputformat")  # type: ignore[assignment]

    partitioner: Literal["hash", "keyfield"] = "hash"
    partitioner_class = options.partitioner or conf.get("mapreduce.job.partitioner.class", "")
    if partitioner_class in _KEYFIELD_PARTITIONERS:
        partitioner = "keyfield"
    elif partitioner_class and partitioner_class not in _HASH_PARTITIONERS:
        raise UsageError(f"-partitioner {partitioner_class} is not supported on this platform")

    comparator: Literal["raw", "keyfield"] = "raw"
    comparator_class = conf.get("mapreduce.job.output.key.comparator.class", "")
    if comparator_class in _KEYFIELD_COMPARATORS:
        comparator = "keyfield"
    elif comparator_class and not comparator_class.endswith("Text$Comparator"):
        raise UsageError(f"Comparator {comparator_class} is not supported on this platform")

    # What StreamJob.setJobConf records, so tasks see it in their environment.
    conf["stream.map.streamprocessor"] = mapper
    if combiner is not None:
        conf["stream.combine.streamprocessor"] = combiner
    if reducer is not None:
        conf["stream.reduce.streamprocessor"] = reducer
    if options.lazy_output:
        conf["mapreduce.output.lazyoutputformat.enable"] = "true"
    name = conf.get("mapreduce.job.name") or default_name
    conf["mapreduce.job.name"] = name
    queue = conf.get("mapreduce.job.queuename") or "default"
    return StreamingPlan(
        name=name,
        queue=queue,
        conf=conf,
        input_format=input_format,
        output_format=output_format,
        mapper=mapper,
        combiner=combiner,
        reducer=reducer,
        num_reduces=num_reduces,
        partitioner=partitioner,
        comparator=comparator,
        environment=dict(options.cmdenv),
        deprecations=notes,
    )
