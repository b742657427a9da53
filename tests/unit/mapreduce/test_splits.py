"""FileInputFormat's split planning and NLineInputFormat's line splits."""

from __future__ import annotations

from pathlib import Path

from emr.mapreduce.fs import JobFileSystems
from emr.mapreduce.splits import InputError, InputFile, file_splits, list_input_files, nline_splits

MB = 1024 * 1024


def test_goal_size_splits_with_slop() -> None:
    # 2 maps over 100 MB in 128 MB blocks: goal 50 MB; the last 50 MB stays whole.
    splits = file_splits([InputFile("hdfs://nn/a", 100 * MB, 128 * MB)], 2, 1)
    assert [(s.start, s.length) for s in splits] == [(0, 50 * MB), (50 * MB, 50 * MB)]
    # what remains within 1.1 x the split size stays one split
    splits = file_splits([InputFile("hdfs://nn/a", 105, 100)], 1, 1)
    assert [(s.start, s.length) for s in splits] == [(0, 105)]
    splits = file_splits([InputFile("hdfs://nn/a", 250, 100)], 1, 1)
    assert [(s.start, s.length) for s in splits] == [(0, 100), (100, 100), (200, 50)]


def test_block_size_caps_compressed_and_empty_files() -> None:
    files = [
        InputFile("s3://b/big", 200, 64),
        InputFile("s3://b/x.gz", 500, 64),
        InputFile("s3://b/empty", 0, 64),
    ]
    hosts = {("s3://b/big", 64): ["10.0.0.2"]}
    splits = file_splits(files, 1, 1, lambda uri, offset: hosts.get((uri, offset), []))
    assert [(s.path, s.start, s.length, s.hosts) for s in splits] == [
        ("s3://b/big", 0, 64, []),
        ("s3://b/big", 64, 64, ["10.0.0.2"]),
        ("s3://b/big", 128, 64, []),  # 72 left is more than 1.1 x 64
        ("s3://b/big", 192, 8, []),
        ("s3://b/x.gz", 0, 500, []),
        ("s3://b/empty", 0, 0, []),
    ]


def test_nline_splits_start_one_byte_early() -> None:
    data = b"a\nbb\nccc\ndddd\n"
    splits = nline_splits("file:/f", data, 2)
    assert [(s.start, s.length) for s in splits] == [(0, 4), (4, 9)]
    assert [(s.start, s.length) for s in nline_splits("file:/f", b"x\ny", 1)] == [(0, 1), (1, 1)]


def test_listing_skips_hidden_files_and_reports_missing(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    for name in ("b.txt", "a.txt", "_SUCCESS", ".crc"):
        (tmp_path / "in" / name).write_text("x\n")
    with JobFileSystems({}, "tester") as fss:
        found = [uri for uri, _ in list_input_files(fss, [f"file:{tmp_path}/in"])]
        assert found == [f"file:{tmp_path}/in/a.txt", f"file:{tmp_path}/in/b.txt"]
        try:
            list_input_files(fss, [f"file:{tmp_path}/nope*", f"file:{tmp_path}/gone"])
        except InputError as exc:
            assert str(exc) == (
                f"Input Pattern file:{tmp_path}/nope* matches 0 files\n"
                f"Input path does not exist: file:{tmp_path}/gone"
            )
        else:
            raise AssertionError("no InputError")
