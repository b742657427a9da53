"""SplitReader and RecordWriter over real files on the local filesystem."""

from __future__ import annotations

import bz2
import gzip
import itertools
import zlib
from pathlib import Path

import pytest

from emr.hdfs.shell.local import LocalFileSystem
from emr.mapreduce.formats import CorruptInputError, RecordWriter, SplitReader, output_file_name
from emr.mapreduce.job import InputSplit, JobSpec
from tests.unit.mapreduce.data_helpers import job_spec


def read_split(path: Path, start: int, length: int, spec: JobSpec | None = None) -> list[bytes]:
    split = InputSplit(path=f"file:{path}", start=start, length=length)
    with SplitReader(LocalFileSystem(), str(path), split, spec or job_spec()) as reader:
        return list(reader.lines())


@pytest.mark.parametrize("terminator", [b"\n", b"\r\n", b"\r"])
def test_every_two_way_split_reads_each_line_once(tmp_path: Path, terminator: bytes) -> None:
    lines = [b"alpha", b"", b"b", b"gamma delta", b"", b"", b"e" * 7, b"last"]
    for trailing in (True, False):
        data = terminator.join(lines) + (terminator if trailing else b"")
        path = tmp_path / "input.txt"
        path.write_bytes(data)
        assert read_split(path, 0, len(data)) == lines
        # the planner never makes empty splits: every cut leaves bytes on both sides
        for cut in range(1, len(data)):
            got = read_split(path, 0, cut) + read_split(path, cut, len(data) - cut)
            assert got == lines, (terminator, trailing, cut)


def test_mixed_terminators_and_three_way_splits(tmp_path: Path) -> None:
    data = b"a\r\nbb\rccc\n\r\ndddd\r\r\neeeee"
    expected = [b"a", b"bb", b"ccc", b"", b"dddd", b"", b"eeeee"]
    path = tmp_path / "mixed.txt"
    path.write_bytes(data)
    for first in range(1, len(data)):
        for second in range(first + 1, len(data)):
            got = (
                read_split(path, 0, first)
                + read_split(path, first, second - first)
                + read_split(path, second, len(data) - second)
            )
            assert got == expected, (first, second)


def test_large_file_split_reads_across_chunks(tmp_path: Path) -> None:
    lines = [b"line %d %s" % (i, b"x" * (i % 50)) for i in range(60_000)]
    data = b"\n".join(lines) + b"\n"
    path = tmp_path / "big.txt"
    path.write_bytes(data)
    size = len(data)
    cuts = [0, size // 3 + 7, 2 * size // 3 - 5, size]
    got: list[bytes] = []
    for start, end in itertools.pairwise(cuts):
        got += read_split(path, start, end - start)
    assert got == lines


@pytest.mark.parametrize(
    ("suffix", "compress"),
    [
        (".gz", lambda d: gzip.compress(d[:10]) + gzip.compress(d[10:])),  # multi-member
        (".bz2", lambda d: bz2.compress(d[:15]) + bz2.compress(d[15:])),  # multi-stream
        (".deflate", zlib.compress),
    ],
)
def test_compressed_input_is_read_whole_by_the_first_split(
    tmp_path: Path, suffix: str, compress: object
) -> None:
    data = b"one\ntwo\r\nthree\rfour\n" * 100
    path = tmp_path / f"input{suffix}"
    path.write_bytes(compress(data))  # type: ignore[operator]
    size = path.stat().st_size
    assert read_split(path, 0, size) == data.splitlines()
    assert read_split(path, 0, 1) == data.splitlines()  # not splittable: the whole file
    assert read_split(path, 5, size - 5) == []


def test_truncated_gzip_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "cut.gz"
    path.write_bytes(gzip.compress(b"some text\n" * 1000)[:-20])
    with pytest.raises(CorruptInputError, match="Unexpected end of input stream"):
        read_split(path, 0, path.stat().st_size)


def test_keyvalue_and_nline_hand_the_mapper_what_streaming_does(tmp_path: Path) -> None:
    path = tmp_path / "kv.txt"
    path.write_bytes(b"k1\tv1\tmore\nnotab\nk3,x\n")
    size = path.stat().st_size
    assert read_split(path, 0, size, job_spec(input_format="keyvalue")) == [
        b"k1\tv1\tmore",
        b"notab\t",
        b"k3,x\t",
    ]
    comma = job_spec(
        {"mapreduce.input.keyvaluelinerecordreader.key.value.separator": ","},
        input_format="keyvalue",
    )
    assert read_split(path, 0, size, comma)[2] == b"k3\tx"
    assert read_split(path, 0, size, job_spec(input_format="nline")) == [
        b"0\tk1\tv1\tmore",
        b"11\tnotab",
        b"17\tk3,x",
    ]
    bare = job_spec({"stream.map.input.ignoreKey": "true"}, input_format="nline")
    assert read_split(path, 11, 6, bare) == [b"k3,x"]


def test_bytes_read_counts_the_split(tmp_path: Path) -> None:
    path = tmp_path / "in.txt"
    path.write_bytes(b"abc\ndef\n")
    split = InputSplit(path=f"file:{path}", start=0, length=8)
    with SplitReader(LocalFileSystem(), str(path), split, job_spec()) as reader:
        assert list(reader.lines()) == [b"abc", b"def"]
        assert reader.bytes_read == 8


def test_text_output(tmp_path: Path) -> None:
    target = tmp_path / "part-00000"
    with RecordWriter(target, job_spec()) as writer:
        writer.write(b"k", b"v")
        writer.write(b"empty", b"")
        writer.write(b"alone", None)
    assert target.read_bytes() == b"k\tv\nempty\t\nalone\n"
    assert writer.records == 3
    assert writer.bytes_written == target.stat().st_size
    custom = job_spec({"mapreduce.output.textoutputformat.separator": ","})
    with RecordWriter(tmp_path / "c", custom) as writer:
        writer.write(b"a", b"b")
    assert (tmp_path / "c").read_bytes() == b"a,b\n"


@pytest.mark.parametrize(
    ("codec", "extension", "decompress"),
    [
        ("org.apache.hadoop.io.compress.GzipCodec", ".gz", gzip.decompress),
        ("org.apache.hadoop.io.compress.BZip2Codec", ".bz2", bz2.decompress),
        ("org.apache.hadoop.io.compress.DefaultCodec", ".deflate", zlib.decompress),
    ],
)
def test_compressed_text_output(
    tmp_path: Path, codec: str, extension: str, decompress: object
) -> None:
    spec = job_spec(
        {
            "mapreduce.output.fileoutputformat.compress": "true",
            "mapreduce.output.fileoutputformat.compress.codec": codec,
        }
    )
    name = output_file_name(3, spec, "r")
    assert name == f"part-00003{extension}"
    target = tmp_path / name
    with RecordWriter(target, spec) as writer:
        for i in range(5000):
            writer.write(b"key%d" % i, b"value")
    expected = b"".join(b"key%d\tvalue\n" % i for i in range(5000))
    assert decompress(target.read_bytes()) == expected  # type: ignore[operator]
    assert writer.bytes_written == target.stat().st_size
    # and our own reader reads it back
    assert read_split(target, 0, target.stat().st_size) == expected.splitlines()


def test_output_names() -> None:
    assert output_file_name(0, job_spec(), "m") == "part-00000"
    assert output_file_name(12, job_spec(), "r") == "part-00012"
    sequence = job_spec(
        {"mapreduce.output.fileoutputformat.compress": "true"}, output_format="sequence"
    )
    assert output_file_name(1, sequence, "r") == "part-00001"
    bad = job_spec(
        {
            "mapreduce.output.fileoutputformat.compress": "true",
            "mapreduce.output.fileoutputformat.compress.codec": "com.example.NoCodec",
        }
    )
    with pytest.raises(ValueError, match=r"Compression codec com\.example\.NoCodec was not found"):
        output_file_name(0, bad, "r")
