"""hadoop-streaming's command line → options → the job's conf and settings."""

from __future__ import annotations

import pytest

from emr.mapreduce.streaming.jobconf import plan_job, translate_properties
from emr.mapreduce.streaming.options import (
    UsageError,
    missing_required,
    parse_args,
)


def test_generic_and_streaming_options() -> None:
    options = parse_args(
        ["-D", "mapreduce.job.reduces=3", "-Dstream.num.map.output.key.fields=2",
         "-files", "s3://b/m.py,s3://b/r.py#red.py", "-archives", "env.tgz#env",
         "-input", "a,b", "-input", "c*", "-output", "out", "-mapper", "python3 m.py",
         "-reducer", "python3 red.py", "-cmdenv", "X=1=2", "-lazyOutput", "-verbose"]
    )  # fmt: skip
    assert options.properties == {
        "mapreduce.job.reduces": "3",
        "stream.num.map.output.key.fields": "2",
    }
    assert options.files == ["s3://b/m.py", "s3://b/r.py#red.py"]
    assert options.archives == ["env.tgz#env"]
    assert options.inputs == ["a", "b", "c*"]
    assert (options.output, options.mapper, options.reducer) == (
        "out",
        "python3 m.py",
        "python3 red.py",
    )
    assert options.cmdenv == {"X": "1=2"}
    assert options.lazy_output and options.verbose
    assert missing_required(options) == []


def test_missing_and_unknown_options() -> None:
    assert missing_required(parse_args(["-mapper", "cat"])) == ["input", "output"]
    with pytest.raises(UsageError, match="Unrecognized option: -bogus"):
        parse_args(["-bogus"])
    with pytest.raises(UsageError, match="Missing argument for option: input"):
        parse_args(["-input"])
    with pytest.raises(UsageError, match="key=value"):
        parse_args(["-D", "novalue"])


def test_deprecated_names_are_translated() -> None:
    conf, notes = translate_properties({"mapred.reduce.tasks": "4", "other": "x"})
    assert conf == {"mapred.reduce.tasks": "4", "mapreduce.job.reduces": "4", "other": "x"}
    assert notes == ["mapred.reduce.tasks is deprecated. Instead, use mapreduce.job.reduces"]


def test_plan_of_a_secondary_sort() -> None:
    options = parse_args(
        ["-D", "mapred.output.key.comparator.class="
               "org.apache.hadoop.mapreduce.lib.partition.KeyFieldBasedComparator",
         "-partitioner", "org.apache.hadoop.mapred.lib.KeyFieldBasedPartitioner",
         "-input", "in", "-output", "out", "-mapper", "cat", "-numReduceTasks", "2",
         "-inputformat", "org.apache.hadoop.mapred.KeyValueTextInputFormat",
         "-outputformat", "org.apache.hadoop.mapred.SequenceFileOutputFormat"]
    )  # fmt: skip
    plan = plan_job(options, {"mapreduce.job.reduces": "1"}, default_name="streamjob1.jar")
    assert (plan.partitioner, plan.comparator) == ("keyfield", "keyfield")
    assert (plan.input_format, plan.output_format) == ("keyvalue", "sequence")
    assert plan.num_reduces == 2 and plan.conf["mapreduce.job.reduces"] == "2"
    assert plan.reducer is None  # the identity reducer
    assert plan.name == "streamjob1.jar" and plan.conf["stream.map.streamprocessor"] == "cat"


def test_map_only_and_refusals() -> None:
    plan = plan_job(
        parse_args(["-input", "i", "-output", "o", "-mapper", "cat", "-reducer", "NONE"]), {}
    )
    assert plan.num_reduces == 0 and plan.reducer is None
    aggregate = plan_job(
        parse_args(["-input", "i", "-output", "o", "-mapper", "cat", "-reducer", "aggregate"]), {}
    )
    assert aggregate.reducer is not None and aggregate.combiner is not None
    assert aggregate.reducer.endswith("-m emr.mapreduce.aggregate reducer")
    assert aggregate.combiner.endswith("-m emr.mapreduce.aggregate combiner")
    with pytest.raises(UsageError, match="-mapper aggregate is not supported"):
        plan_job(
            parse_args(["-input", "i", "-output", "o", "-mapper", "aggregate"]),
            {},
        )
    with pytest.raises(UsageError, match="not supported"):
        plan_job(parse_args(["-input", "i", "-output", "o", "-mapper", "cat",
                             "-inputformat", "com.example.MyFormat"]), {})  # fmt: skip
