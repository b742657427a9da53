"""SequenceFiles: the bytes we write, reading them back by split, Writable decoding."""

from __future__ import annotations

import io
import itertools
import shutil
import struct
import zlib
from pathlib import Path

import pytest

from emr.hdfs.shell.local import LocalFileSystem
from emr.mapreduce.formats import RecordWriter, SplitReader
from emr.mapreduce.job import InputSplit, JobSpec
from emr.mapreduce.seqfile import SequenceFileWriter, write_vlong
from tests.unit.mapreduce.data_helpers import job_spec

TEXT = b"\x19org.apache.hadoop.io.Text"


def read_split(path: Path, start: int, length: int, spec: JobSpec) -> list[bytes]:
    split = InputSplit(path=f"file:{path}", start=start, length=length)
    with SplitReader(LocalFileSystem(), str(path), split, spec) as reader:
        return list(reader.lines())


def test_vlong_matches_writable_utils() -> None:
    assert write_vlong(0) == b"\x00"
    assert write_vlong(127) == b"\x7f"
    assert write_vlong(-112) == b"\x90"
    assert write_vlong(128) == b"\x8f\x80"  # -113: one byte follows
    assert write_vlong(300) == b"\x8e\x01\x2c"
    assert write_vlong(-113) == b"\x87\x70"  # negative: ~value stored, marker -121


def test_uncompressed_bytes_follow_the_format() -> None:
    out = io.BytesIO()
    writer = SequenceFileWriter(out)
    writer.append(b"a", b"b")
    writer.close()
    data = out.getvalue()
    header = b"SEQ\x06" + TEXT + TEXT + b"\x00\x00" + b"\x00\x00\x00\x00"
    assert data.startswith(header)
    sync = data[len(header) : len(header) + 16]
    assert data[len(header) + 16 :] == b"\x00\x00\x00\x04\x00\x00\x00\x02\x01a\x01b"
    assert len(sync) == 16


def test_sync_markers_about_every_2000_bytes() -> None:
    out = io.BytesIO()
    writer = SequenceFileWriter(out)
    for i in range(1000):
        writer.append(b"key%04d" % i, b"v" * 20)
    data = out.getvalue()
    sync = data[len(b"SEQ\x06" + TEXT + TEXT) + 6 : len(b"SEQ\x06" + TEXT + TEXT) + 22]
    markers = data.count(b"\xff\xff\xff\xff" + sync)
    assert len(data) // 2100 <= markers <= len(data) // 2000 + 1


def write_sequence(path: Path, records: int, conf: dict[str, str] | None = None) -> list[bytes]:
    spec = job_spec(conf, output_format="sequence")
    with RecordWriter(path, spec) as writer:
        for i in range(records):
            writer.write(b"k%05d" % i, b"value %d" % i + b"." * (i % 13))
    return [b"k%05d\tvalue %d" % (i, i) + b"." * (i % 13) for i in range(records)]


@pytest.mark.parametrize(
    "conf",
    [
        {},
        {
            "mapreduce.output.fileoutputformat.compress": "true",
            "mapreduce.output.fileoutputformat.compress.type": "RECORD",
        },
        {
            "mapreduce.output.fileoutputformat.compress": "true",
            "mapreduce.output.fileoutputformat.compress.type": "BLOCK",
            "mapreduce.output.fileoutputformat.compress.codec": (
                "org.apache.hadoop.io.compress.GzipCodec"
            ),
        },
    ],
    ids=["none", "record", "block"],
)
def test_round_trip_by_splits(tmp_path: Path, conf: dict[str, str]) -> None:
    path = tmp_path / "part-00000"
    expected = write_sequence(path, 3000, conf)
    size = path.stat().st_size
    spec = job_spec(input_format="sequence")
    assert read_split(path, 0, size, spec) == expected
    step = max(size // 37, 1)
    for pieces in (2, 5, 37):
        cuts = sorted({0, size, *range(step * 3, size, size // pieces)})
        got: list[bytes] = []
        for start, end in itertools.pairwise(cuts):
            got += read_split(path, start, end - start, spec)
        assert got == expected, pieces


def test_every_cut_of_a_small_file(tmp_path: Path) -> None:
    path = tmp_path / "small.seq"
    expected = write_sequence(path, 400)
    size = path.stat().st_size
    spec = job_spec(input_format="sequence_as_text")
    # cuts inside the 78-byte header would read the first records twice, in Hadoop too
    for cut in range(79, size, 23):
        assert read_split(path, 0, cut, spec) + read_split(path, cut, size - cut, spec) == expected


def handmade(
    path: Path, key_class: str, value_class: str, records: list[tuple[bytes, bytes]]
) -> None:
    """A record-compressed (DefaultCodec) file of any Writable classes."""

    def name(text: str) -> bytes:
        return write_vlong(len(text)) + text.encode()

    sync = bytes(range(16))
    parts = [b"SEQ\x06", name(key_class), name(value_class), b"\x01\x00"]
    parts += [name("org.apache.hadoop.io.compress.DefaultCodec"), b"\x00\x00\x00\x00", sync]
    for key, value in records:
        compressed = zlib.compress(value)
        parts.append(struct.pack(">ii", len(key) + len(compressed), len(key)) + key + compressed)
    path.write_bytes(b"".join(parts))


def test_writables_as_streaming_hands_them_over(tmp_path: Path) -> None:
    path = tmp_path / "bytes.seq"
    handmade(
        path,
        "org.apache.hadoop.io.LongWritable",
        "org.apache.hadoop.io.BytesWritable",
        [
            (struct.pack(">q", -5), struct.pack(">i", 3) + b"\x00\xabZ"),
            (struct.pack(">q", 1 << 40), struct.pack(">i", 0)),
        ],
    )
    size = path.stat().st_size
    as_text = read_split(path, 0, size, job_spec(input_format="sequence_as_text"))
    assert as_text == [b"-5\t00 ab 5a", b"1099511627776\t"]
    raw = read_split(path, 0, size, job_spec(input_format="sequence"))
    assert raw == [b"-5\t\x00\xabZ", b"1099511627776\t"]
    ints = tmp_path / "ints.seq"
    handmade(
        ints,
        "org.apache.hadoop.io.IntWritable",
        "org.apache.hadoop.io.Text",
        [(struct.pack(">i", 7), write_vlong(3) + b"h\xc3\xa9")],
    )
    spec = job_spec(input_format="sequence")
    assert read_split(ints, 0, ints.stat().st_size, spec) == [b"7\th\xc3\xa9"]


def test_not_a_sequence_file(tmp_path: Path) -> None:
    path = tmp_path / "plain.txt"
    path.write_bytes(b"hello world\n" * 10)
    with pytest.raises(Exception, match="not a SequenceFile"):
        read_split(path, 0, 120, job_spec(input_format="sequence"))


@pytest.mark.integration
def test_pyspark_reads_ours_and_we_read_its(tmp_path: Path) -> None:
    pyspark = pytest.importorskip("pyspark")
    if shutil.which("java") is None:
        pytest.skip("no java")
    ours = tmp_path / "ours"
    ours.mkdir()
    expected = write_sequence(ours / "part-00000", 500)
    block = tmp_path / "block"
    block.mkdir()
    write_sequence(
        block / "part-00000",
        500,
        {
            "mapreduce.output.fileoutputformat.compress": "true",
            "mapreduce.output.fileoutputformat.compress.type": "BLOCK",
        },
    )
    conf = pyspark.SparkConf().setMaster("local[1]").setAppName("seqfile-interop")
    conf = conf.set("spark.ui.enabled", "false")
    context = pyspark.SparkContext(conf=conf)
    try:
        for directory in (ours, block):
            pairs = context.sequenceFile(str(directory)).collect()
            assert [f"{k}\t{v}".encode() for k, v in pairs] == expected
        theirs = tmp_path / "theirs"
        rows = [(f"key{i}", f"value {i}") for i in range(300)]
        context.parallelize(rows, 1).saveAsSequenceFile(str(theirs))
        compressed = tmp_path / "theirs-deflate"
        context.parallelize(rows, 1).saveAsSequenceFile(
            str(compressed), "org.apache.hadoop.io.compress.DefaultCodec"
        )
    finally:
        context.stop()
    spec = job_spec(input_format="sequence")
    for directory in (theirs, compressed):
        part = directory / "part-00000"
        got = read_split(part, 0, part.stat().st_size, spec)
        assert got == [f"{k}\t{v}".encode() for k, v in rows]
