"""Pure parsing: paths, globs, options, chmod/chown modes, resolution against the config."""

from __future__ import annotations

import pytest

from emr.hdfs.shell.errors import PathNotFoundError, UsageError
from emr.hdfs.shell.items import Context, Location
from emr.hdfs.shell.modes import parse_chgrp, parse_chmod, parse_chown
from emr.hdfs.shell.options import parse_options
from emr.hdfs.shell.paths import (
    ParsedPath,
    expand_braces,
    glob_regex,
    has_glob,
    join_display,
    parse_path,
    relative_display,
)
from emr.hdfs.site import HadoopConf


@pytest.mark.parametrize(
    ("text", "parsed", "shown"),
    [
        ("x", ParsedPath(None, None, "x"), "x"),
        ("x/", ParsedPath(None, None, "x"), "x"),
        ("/a//b/", ParsedPath(None, None, "/a/b"), "/a/b"),
        ("a/./b/../c", ParsedPath(None, None, "a/c"), "a/c"),
        ("hdfs:///p", ParsedPath("hdfs", "", "/p"), "hdfs:///p"),
        ("hdfs://nn:8020/p/", ParsedPath("hdfs", "nn:8020", "/p"), "hdfs://nn:8020/p"),
        ("s3://bucket", ParsedPath("s3", "bucket", "/"), "s3://bucket/"),
        ("file:/tmp/x", ParsedPath("file", None, "/tmp/x"), "file:/tmp/x"),
        ("dir/a:b", ParsedPath(None, None, "dir/a:b"), "dir/a:b"),
    ],
)
def test_parse_path(text: str, parsed: ParsedPath, shown: str) -> None:
    assert parse_path(text) == parsed
    assert str(parse_path(text)) == shown


def test_display_of_children_and_relative_matches() -> None:
    assert join_display(".", "f") == "f"
    assert join_display("dir", "f") == "dir/f"
    assert join_display("s3://b/", "f") == "s3://b/f"
    assert relative_display("/user/hadoop", "/user/hadoop/x/y") == "x/y"
    assert relative_display("/user/hadoop", "/user/hadoop") == "."
    assert relative_display("/user/hadoop", "/tmp/z") == "../../tmp/z"


def test_globs() -> None:
    assert has_glob("a*") and has_glob("f?") and has_glob("[ab]") and has_glob("{a,b}")
    assert not has_glob("plain/path") and not has_glob(r"esc\*aped")
    assert expand_braces("/d/{a,b}/{x,y{1,2}}.txt") == [
        "/d/a/x.txt", "/d/a/y1.txt", "/d/a/y2.txt",
        "/d/b/x.txt", "/d/b/y1.txt", "/d/b/y2.txt",
    ]  # fmt: skip
    assert glob_regex("part-*").fullmatch("part-00000")
    assert not glob_regex("part-*").fullmatch("_SUCCESS")
    assert glob_regex("?.txt").fullmatch("a.txt") and not glob_regex("?.txt").fullmatch("ab.txt")
    assert glob_regex("[a-c]1").fullmatch("b1") and not glob_regex("[!a-c]1").fullmatch("b1")
    assert glob_regex("[^a]1").fullmatch("z1")
    assert glob_regex("a.b").fullmatch("a.b") and not glob_regex("a.b").fullmatch("axb")
    assert glob_regex(r"a\*").fullmatch("a*") and not glob_regex(r"a\*").fullmatch("ab")


def test_options_like_command_format() -> None:
    parsed = parse_options(["-R", "-h", "a", "-x"], flags=("R", "h"))
    assert parsed.flags == {"R", "h"} and parsed.args == ["a", "-x"]
    assert parse_options(["-", "x"], flags=("f",)).args == ["-", "x"]
    assert parse_options(["--", "-f"], flags=("f",)).args == ["-f"]
    assert parse_options(["-t", "3", "p"], min_args=1, with_value=("t",)).values == {"t": "3"}
    with pytest.raises(UsageError, match=r"^Illegal option -rf$"):
        parse_options(["-rf", "x"], flags=("r", "f"))
    with pytest.raises(UsageError, match=r"^Not enough arguments: expected 1 but got 0$"):
        parse_options([], min_args=1)
    with pytest.raises(UsageError, match=r"^Too many arguments: expected 1 but got 2$"):
        parse_options(["a", "b"], max_args=1)


@pytest.mark.parametrize(
    ("mode", "existing", "is_dir", "result"),
    [
        ("755", 0o644, False, 0o755),
        ("1777", 0o755, True, 0o1777),
        ("u+x", 0o644, False, 0o744),
        ("go-w", 0o666, False, 0o644),
        ("a=r", 0o777, False, 0o444),
        ("u+x,g+w,o=r", 0o640, False, 0o764),
        ("+x", 0o644, False, 0o755),
        ("a+X", 0o644, False, 0o644),  # X: not for a plain file without any x
        ("a+X", 0o644, True, 0o755),
        ("a+X", 0o744, False, 0o755),
        ("+t", 0o777, True, 0o1777),
        ("o-t", 0o1777, True, 0o777),
    ],
)
def test_chmod_modes(mode: str, existing: int, is_dir: bool, result: int) -> None:
    assert parse_chmod(mode).apply(existing, is_dir) == result


def test_bad_modes_and_owners() -> None:
    with pytest.raises(UsageError, match=r"^chmod : mode 'q\+z' does not match"):
        parse_chmod("q+z")
    with pytest.raises(UsageError):
        parse_chmod("8888")
    assert parse_chown("alice") == ("alice", None)
    assert parse_chown("alice:staff") == ("alice", "staff")
    assert parse_chown(":staff") == (None, "staff")
    with pytest.raises(UsageError, match="does not specify owner or group"):
        parse_chown(":")
    with pytest.raises(UsageError, match=r"does not match expected pattern for \[owner\]"):
        parse_chown("a b")
    assert parse_chgrp("wheel") == "wheel"
    with pytest.raises(UsageError, match="does not match expected pattern for group"):
        parse_chgrp("a:b")


def test_resolution_against_the_default_fs() -> None:
    conf = HadoopConf({"fs.defaultFS": "hdfs://10.0.0.1:8020"})
    context = Context(conf, "hadoop", {})
    assert context.locate(parse_path("x/y")) == Location(
        "hdfs", "10.0.0.1:8020", "/user/hadoop/x/y"
    )
    assert context.locate(parse_path(".")) == Location("hdfs", "10.0.0.1:8020", "/user/hadoop")
    assert context.locate(parse_path("/tmp")) == Location("hdfs", "10.0.0.1:8020", "/tmp")
    assert context.locate(parse_path("hdfs:///p")) == Location("hdfs", "10.0.0.1:8020", "/p")
    assert context.locate(parse_path("hdfs://other:9870/p")) == Location("hdfs", "other:9870", "/p")
    assert context.locate(parse_path("s3://b/k")) == Location("s3", "b", "/k")
    assert context.locate(parse_path("../x")) == Location("hdfs", "10.0.0.1:8020", "/user/x")


def test_local_globs_through_the_context(tmp_path: object) -> None:
    from pathlib import Path

    root = Path(str(tmp_path))
    for name in ("a1", "a2", "b1"):
        (root / name).write_bytes(b"")
    context = Context(HadoopConf({}), "me", {})
    try:
        found = context.expand(f"file://{root}/a*")
        assert [item.display for item in found] == [f"file://{root}/a1", f"file://{root}/a2"]
        assert [i.display for i in context.expand(f"{root}/[ab]1", local=True)] == [
            f"{root}/a1", f"{root}/b1"]  # fmt: skip
        with pytest.raises(PathNotFoundError, match="No such file or directory"):
            context.expand(f"file://{root}/z*")
        missing = context.expand(f"file://{root}/none")
        assert len(missing) == 1 and not missing[0].exists
    finally:
        context.close()


def test_path_errors_read_like_hadoops() -> None:
    from emr.hdfs.shell.errors import PathIOError, PathIsDirectoryError, RemoteError

    assert str(PathNotFoundError("/x")) == "`/x': No such file or directory"
    assert str(PathIsDirectoryError("d")) == "`d': Is a directory"
    assert str(PathIOError("f", "Not a zero-length file")) == "`f': Not a zero-length file"
    assert str(PathIOError("a", "is a subdirectory of itself", target="a/b")) == (
        "`a' to `a/b': is a subdirectory of itself"
    )
    assert str(PathNotFoundError("a/b", qualified="hdfs://nn:8020/user/u/a/b")) == (
        "`a/b': No such file or directory: `hdfs://nn:8020/user/u/a/b'"
    )
    assert str(
        RemoteError("SafeModeException", "Cannot create x. Name node is in safe mode.\nIt was")
    ) == ("Cannot create x. Name node is in safe mode.")
