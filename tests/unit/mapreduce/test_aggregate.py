"""emr.mapreduce.aggregate: Hadoop's ValueAggregator reducer and combiner as a process."""

from __future__ import annotations

import subprocess
import sys

import pytest

from emr.mapreduce.aggregate import AggregateError, aggregate


def test_reducer_reports_per_type() -> None:
    lines = [
        "DoubleValueSum:w\t0.5", "DoubleValueSum:w\t2",
        "LongValueMax:m\t3", "LongValueMax:m\t-7", "LongValueMax:m\t12",
        "LongValueMin:n\t3", "LongValueMin:n\t-7",
        "LongValueSum:cat\t1", "LongValueSum:cat\t2",
        "StringValueMax:s\tpear", "StringValueMax:s\tapple",
        "StringValueMin:t\tpear", "StringValueMin:t\tapple",
        "UniqValueCount:u\ta", "UniqValueCount:u\tb", "UniqValueCount:u\ta",
    ]  # fmt: skip
    assert list(aggregate(lines, "reducer")) == [
        "w\t2.5", "m\t12", "n\t-7", "cat\t3", "s\tpear", "t\tapple", "u\t2",
    ]  # fmt: skip


def test_combiner_keeps_the_type_and_partials_that_reduce_the_same() -> None:
    lines = ["LongValueSum:a\t1", "LongValueSum:a\t4", "UniqValueCount:u\tx", "UniqValueCount:u\tx"]
    combined = list(aggregate(lines, "combiner"))
    assert combined == ["LongValueSum:a\t5", "UniqValueCount:u\tx"]
    assert list(aggregate(combined, "reducer")) == ["a\t5", "u\t1"]


def test_large_doubles_print_as_java_does() -> None:
    assert list(aggregate(["DoubleValueSum:x\t15000000"], "reducer")) == ["x\t1.5E7"]


def test_unknown_type_and_bad_value_fail_with_the_key() -> None:
    with pytest.raises(AggregateError, match="ValueHistogram"):
        list(aggregate(["ValueHistogram:k\t1"], "reducer"))
    with pytest.raises(AggregateError, match="LongValueSum:k"):
        list(aggregate(["LongValueSum:k\tone"], "reducer"))


def test_as_a_streaming_process() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "emr.mapreduce.aggregate", "reducer"],
        input=b"LongValueSum:b\t1\nLongValueSum:b\t1\nLongValueSum:\xc3\xbc\t5\n",
        capture_output=True,
        check=True,
    )
    assert done.stdout == b"b\t2\n\xc3\xbc\t5\n"
    failed = subprocess.run(
        [sys.executable, "-m", "emr.mapreduce.aggregate", "reducer"],
        input=b"Nope:k\t1\n",
        capture_output=True,
    )
    assert failed.returncode == 1 and b"no value aggregator of type 'Nope'" in failed.stderr
