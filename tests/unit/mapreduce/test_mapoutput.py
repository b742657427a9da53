"""The map output buffer: spills, combiner, merge, the file format."""

from __future__ import annotations

import random
from collections.abc import Iterator
from itertools import groupby
from pathlib import Path

import pytest

from emr.mapreduce.counters import TASK, CounterGroups
from emr.mapreduce.mapoutput import (
    Combiner,
    MapOutputBuffer,
    decode_columns,
    decode_records,
    encode_record,
    merge_in_memory,
    merge_sorted,
    read_index,
    read_segment,
)
from emr.mapreduce.partition import make_sort_key
from tests.unit.mapreduce.data_helpers import job_spec

Record = tuple[bytes, bytes]


def partitions(output: Path) -> list[list[Record]]:
    data = (output / "file.out").read_bytes()
    return [
        list(decode_records(data[offset : offset + length]))
        for offset, length, _ in read_index(output / "file.out.index")
    ]


def records(count: int, seed: int = 7) -> list[Record]:
    rng = random.Random(seed)
    return [(b"key%03d" % rng.randrange(200), b"v%d" % i) for i in range(count)]


def test_record_encoding_round_trip(tmp_path: Path) -> None:
    pairs = [(b"", b""), (b"k", b"v"), (b"x" * 200, b"y" * 70000), (b"\x00\xff", b"\n")]
    data = b"".join(encode_record(k, v) for k, v in pairs)
    assert list(decode_records(data)) == pairs
    path = tmp_path / "segment"
    path.write_bytes(b"junk" + data + b"tail")
    assert list(read_segment(path, 4, len(data), chunk=3)) == pairs


@pytest.mark.parametrize("use_arrow", [True, False], ids=["arrow", "python"])
@pytest.mark.parametrize("long_values", [False, True], ids=["short", "long"])
def test_spills_and_merge_equal_a_stable_sort(
    tmp_path: Path, use_arrow: bool, long_values: bool
) -> None:
    if use_arrow:
        pytest.importorskip("pyarrow")
    counters: CounterGroups = {}
    buffer = MapOutputBuffer(
        3, None, tmp_path / "spills", 2000, None, 3, counters, use_arrow=use_arrow
    )
    input_records = records(2000)
    if long_values:  # varints of two bytes: the Python encoder
        input_records = [(k, v * 40) for k, v in input_records]
    for key, value in input_records:
        buffer.collect(int(key[3:]) % 3, key, value)
    assert len(list((tmp_path / "spills").iterdir())) > 5  # it did spill
    buffer.close(tmp_path / "out")
    got = partitions(tmp_path / "out")
    for partition in range(3):
        mine = [r for r in input_records if int(r[0][3:]) % 3 == partition]
        assert got[partition] == sorted(mine, key=lambda r: r[0])  # stable: values in order
    index = read_index(tmp_path / "out" / "file.out.index")
    assert [entry[2] for entry in index] == [len(p) for p in got]
    assert not list((tmp_path / "spills").iterdir())  # spills removed after the merge
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["file.out", "file.out.index"]
    spilled = counters[TASK]["SPILLED_RECORDS"]
    assert spilled == 4000  # once when spilled, once in the merge
    size = (tmp_path / "out" / "file.out").stat().st_size
    assert counters[TASK]["MAP_OUTPUT_MATERIALIZED_BYTES"] == size


@pytest.mark.parametrize("use_arrow", [True, False], ids=["arrow", "python"])
def test_one_spill_is_the_output(tmp_path: Path, use_arrow: bool) -> None:
    counters: CounterGroups = {}
    buffer = MapOutputBuffer(
        2, None, tmp_path / "spills", 1 << 20, None, 3, counters, use_arrow=use_arrow
    )
    buffer.collect(1, b"b", b"1")
    buffer.collect(1, b"a", b"2")
    buffer.close(tmp_path / "out")
    assert partitions(tmp_path / "out") == [[], [(b"a", b"2"), (b"b", b"1")]]
    assert counters[TASK]["SPILLED_RECORDS"] == 2


def test_empty_output_has_empty_partitions(tmp_path: Path) -> None:
    buffer = MapOutputBuffer(4, None, tmp_path / "spills", 100, None, 3, {})
    buffer.close(tmp_path / "out")
    assert read_index(tmp_path / "out" / "file.out.index") == [(0, 0, 0)] * 4


def summing(calls: list[int]) -> Combiner:
    def combine(run: Iterator[Record]) -> Iterator[Record]:
        calls.append(1)
        for key, group in groupby(run, key=lambda r: r[0]):
            yield key, b"%d" % sum(int(v) for _, v in group)

    return combine


def test_combiner_runs_per_spill_and_at_the_merge(tmp_path: Path) -> None:
    calls: list[int] = []
    counters: CounterGroups = {}
    buffer = MapOutputBuffer(
        2,
        None,
        tmp_path / "spills",
        600,
        summing(calls),
        3,
        counters,
    )
    words = [b"w%d" % (i % 10) for i in range(1000)]
    for word in words:
        buffer.collect(int(word[1:]) % 2, word, b"1")
    spills = len(list((tmp_path / "spills").iterdir()))
    assert spills >= 3
    buffer.close(tmp_path / "out")
    got = partitions(tmp_path / "out")
    assert got[0] == [(b"w%d" % i, b"100") for i in (0, 2, 4, 6, 8)]
    assert got[1] == [(b"w%d" % i, b"100") for i in (1, 3, 5, 7, 9)]
    total_spills = spills + 1  # close() spills the rest
    assert len(calls) == total_spills * 2 + 2  # per partition per spill, then per partition
    task = counters[TASK]
    assert task["COMBINE_INPUT_RECORDS"] > 1000  # every record, then the merge's input
    assert task["COMBINE_OUTPUT_RECORDS"] < task["COMBINE_INPUT_RECORDS"]


def test_no_combiner_at_merge_below_min_spills(tmp_path: Path) -> None:
    calls: list[int] = []
    buffer = MapOutputBuffer(
        1,
        None,
        tmp_path / "spills",
        5_000,  # 18 bytes a record: a spill every 222 records
        summing(calls),
        3,
        {},
    )
    for i in range(300):  # a bit over one spill: two spills in all
        buffer.collect(0, b"k", b"%d" % (i % 2))
    buffer.close(tmp_path / "out")
    assert len(calls) == 2
    got = partitions(tmp_path / "out")[0]
    assert len(got) == 2 and sum(int(v) for _, v in got) == 150


def test_keyfield_sort_through_spills(tmp_path: Path) -> None:
    spec = job_spec({"mapreduce.partition.keycomparator.options": "-k2,2nr"}, comparator="keyfield")
    sort_key = make_sort_key(spec)
    buffer = MapOutputBuffer(1, sort_key, tmp_path / "spills", 300, None, 3, {})
    keys = [b"x\t%d" % n for n in random.Random(3).sample(range(1000), 200)]
    for key in keys:
        buffer.collect(0, key, b"")
    buffer.close(tmp_path / "out")
    got = [key for key, _ in partitions(tmp_path / "out")[0]]
    assert got == sorted(keys, key=lambda k: -int(k[2:]))


def test_merge_sorted_is_stable() -> None:
    first = [(b"a", b"1"), (b"b", b"1"), (b"c", b"1")]
    second = [(b"a", b"2"), (b"c", b"2")]
    third = [(b"b", b"3")]
    assert list(merge_sorted([first, second, third], None)) == [
        (b"a", b"1"),
        (b"a", b"2"),
        (b"b", b"1"),
        (b"b", b"3"),
        (b"c", b"1"),
        (b"c", b"2"),
    ]
    assert list(merge_sorted([], None)) == []
    reverse = make_sort_key(
        job_spec({"mapreduce.partition.keycomparator.options": "-r"}, comparator="keyfield")
    )
    merged = merge_sorted([[(b"b", b"1"), (b"a", b"1")], [(b"b", b"2")]], reverse)
    assert list(merged) == [(b"b", b"1"), (b"b", b"2"), (b"a", b"1")]


@pytest.mark.parametrize("block", [65536, 7, 1], ids=["one-block", "blocks-of-7", "blocks-of-1"])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_merge_in_memory_equals_merge_sorted(
    monkeypatch: pytest.MonkeyPatch, block: int, seed: int
) -> None:
    pytest.importorskip("pyarrow")
    monkeypatch.setattr("emr.mapreduce._arrow._BLOCK", block)
    rng = random.Random(seed)
    keys = [b"", b"a", b"a\x00", b"\xff", b"k" * 130, b"k" * 129, *(b"%d" % n for n in range(30))]
    segments: list[list[Record]] = []
    for number in range(rng.randrange(1, 9)):
        size = rng.choice([0, 1, rng.randrange(300)])
        segment = [
            (rng.choice(keys), b"%d:%d" % (number, i) + b"v" * rng.choice([0, 1, 200]))
            for i in range(size)
        ]
        segment.sort(key=lambda record: record[0])  # stable, as a map's output is
        segments.append(segment)
    encoded = [b"".join(encode_record(k, v) for k, v in segment) for segment in segments]
    for data, segment in zip(encoded, segments, strict=True):
        assert decode_columns(data) == ([k for k, _ in segment], [v for _, v in segment])
    expected = list(merge_sorted(segments, None))

    merged = merge_in_memory(encoded)
    assert merged is not None and len(merged) == len(expected)
    blocks = list(merged.record_blocks())
    assert [record for _, records in blocks for record in records] == expected
    assert sum(groups for groups, _ in blocks) == len({k for k, _ in expected})

    again = merge_in_memory(encoded)
    assert again is not None
    lines = list(again.line_blocks(b"\t"))
    assert b"".join(block for _, _, block in lines) == b"".join(
        k + b"\t" + v + b"\n" for k, v in expected
    )
    assert sum(records for records, _, _ in lines) == len(expected)
    assert sum(groups for _, groups, _ in lines) == len({k for k, _ in expected})
