"""The shell's printing, value for value as Hadoop's Ls, Stat, ContentSummary, FsUsage."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator

import pytest

from emr.hdfs.shell.filesystem import ContentSummary, FileStatus
from emr.hdfs.shell.formats import (
    LsFormatter,
    Table,
    count_header,
    count_line,
    format_percent,
    human_size,
    permission_string,
    stat_line,
)


@pytest.fixture(autouse=True)
def utc() -> Iterator[None]:
    saved = os.environ.get("TZ")
    os.environ["TZ"] = "UTC"
    time.tzset()
    yield
    if saved is None:
        del os.environ["TZ"]
    else:
        os.environ["TZ"] = saved
    time.tzset()


@pytest.mark.parametrize(
    ("n", "text"),
    [
        (0, "0"),
        (1023, "1023"),
        (1024, "1 K"),
        (1536, "1.5 K"),
        (1280, "1.3 K"),  # Java's %.1f rounds the exact double HALF_UP: 1.25 → 1.3
        (1025, "1.0 K"),
        (134_217_728, "128 M"),
        (1024**3 * 5 // 2, "2.5 G"),
        (1024**2 - 1, "1.0 M"),  # 1024.0 K is shown in the next unit, still with a decimal
        (-2048, "-2 K"),
    ],
)
def test_human_size(n: int, text: str) -> None:
    assert human_size(n) == text


def test_permission_string_and_percent() -> None:
    assert permission_string(0o755) == "rwxr-xr-x"
    assert permission_string(0o1777) == "rwxrwxrwt"
    assert permission_string(0o1776) == "rwxrwxrwT"
    assert permission_string(0o640) == "rw-r-----"
    assert format_percent(0.125) == "13%"
    assert format_percent(0.0) == "0%"


FILE = FileStatus(
    path="/user/hadoop/data.csv",
    is_dir=False,
    length=1536,
    replication=3,
    block_size=134_217_728,
    owner="hadoop",
    group="hadoop",
    permission=0o644,
    modification_time=1_700_000_000_000,
    access_time=1_700_000_060_000,
)
DIRECTORY = FileStatus(
    path="/user/hadoop/logs",
    is_dir=True,
    owner="hdfs",
    group="supergroup",
    permission=0o755,
    modification_time=1_700_000_000_000,
)


def test_ls_lines_align_like_hadoop() -> None:
    formatter = LsFormatter()
    formatter.adjust([FILE, DIRECTORY])
    assert formatter.line(FILE, "data.csv") == (
        "-rw-r--r--   3 hadoop hadoop           1536 2023-11-14 22:13 data.csv"
    )
    assert formatter.line(DIRECTORY, "logs") == (
        "drwxr-xr-x   - hdfs   supergroup          0 2023-11-14 22:13 logs"
    )
    human = LsFormatter(human=True)
    human.adjust([FILE])
    assert human.line(FILE, "f") == "-rw-r--r--   3 hadoop hadoop      1.5 K 2023-11-14 22:13 f"


def test_stat_formats() -> None:
    assert stat_line("%y", FILE, "data.csv") == "2023-11-14 22:13:20"
    assert stat_line("%Y %X", FILE, "data.csv") == "1700000000000 1700000060000"
    assert stat_line("%a %A %b %F %g %n %o %r %u", FILE, "data.csv") == (
        "644 rw-r--r-- 1536 regular file hadoop data.csv 134217728 3 hadoop"
    )
    assert stat_line("%F %x", DIRECTORY, "logs") == "directory 1970-01-01 00:00:00"
    assert stat_line("%q%%%", FILE, "x") == "q%"  # unknown: the letter; trailing %: dropped


def test_count_lines() -> None:
    summary = ContentSummary(length=1536, file_count=2, directory_count=1, space_consumed=4608)
    assert count_header(False) == "   DIR_COUNT   FILE_COUNT       CONTENT_SIZE PATHNAME"
    assert count_header(True) == (
        "       QUOTA       REM_QUOTA     SPACE_QUOTA REM_SPACE_QUOTA "
        "   DIR_COUNT   FILE_COUNT       CONTENT_SIZE PATHNAME"
    )
    assert count_line(summary, "/d", quotas=False, human=True) == (
        "           1            2              1.5 K /d"
    )
    assert count_header(False, quota_only=True) == (
        "       QUOTA       REM_QUOTA     SPACE_QUOTA REM_SPACE_QUOTA PATHNAME"
    )
    assert count_line(summary, "/d", quotas=False, human=False, quota_only=True) == (
        "        none             inf            none             inf /d"
    )
    limited = ContentSummary(1536, 2, 1, 4608, quota=10, space_quota=1024**2)
    assert count_line(limited, "/d", quotas=True, human=False) == (
        "          10               7         1048576         1043968 "
        "           1            2               1536 /d"
    )


def test_table_pads_columns_two_apart() -> None:
    table = Table(3)
    table.add("1536", "4608", "/a")
    table.add("7", "21", "/bb")
    assert table.render() == ["1536  4608  /a", "7     21    /bb"]
    df = Table(2, right_align=frozenset({1}))
    df.add("Filesystem", "Size")
    df.has_header = True
    assert df.render() == []
    df.add("hdfs://nn:8020", "10")
    assert df.render() == ["Filesystem      Size", "hdfs://nn:8020    10"]
