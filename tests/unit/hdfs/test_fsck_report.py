"""fsck's report, line for line as Hadoop 3's NamenodeFsck prints it, and Java's number and date
formats it relies on."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from emr.hdfs.blockmanager import AdminState, BlockStatus
from emr.hdfs.javafmt import java_date, java_float
from emr.hdfs.namenode.fsck import FsckOptions, FsckReport, storage_id
from emr.hdfs.site import parse_hosts
from emr.hdfs.types import Block

BP = "BP-1-127.0.0.1-1700000000000"
A, B, C = "127.0.0.1:9001", "127.0.0.1:9002", "127.0.0.1:9003"
ENDED = "FSCK ended at Mon Jan 01 00:00:00 UTC 2024 in 3 milliseconds"


def status(
    block_id: int,
    length: int = 100,
    *,
    replication: int = 2,
    live: tuple[str, ...] = (A, B),
    draining: tuple[str, ...] = (),
    corrupt: tuple[str, ...] = (),
    open_block: bool = False,
) -> BlockStatus:
    return BlockStatus(
        Block(block_id, 1001, length), replication, open_block, live, draining, corrupt
    )


def report(*flags: str, states: dict[str, AdminState] | None = None) -> FsckReport:
    options = FsckOptions.of(dict.fromkeys(flags, "1"))
    return FsckReport(options, block_pool_id=BP, default_replication=2, admin_states=states or {})


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (100.0, "100.0"),
        (2.0, "2.0"),
        (50 / 3, "16.666666"),
        (100 / 3, "33.333332"),
        (1 / 3, "0.33333334"),
        (0.0, "0.0"),
        (1e-4, "1.0E-4"),
        (12345678.0, "1.2345678E7"),
    ],
)
def test_java_float(value: float, text: str) -> None:
    assert java_float(value) == text


def test_java_date_is_date_to_string() -> None:
    text = java_date(datetime(2026, 11, 24, 6, 17, 53, tzinfo=UTC))
    assert re.fullmatch(r"[A-Z][a-z]{2} [A-Z][a-z]{2} \d\d \d\d:\d\d:\d\d \S+ \d{4}", text)


def test_healthy_tree_summary() -> None:
    r = report()
    r.directory("/")
    r.directory("/user")
    r.file("/user/a", 300, 2, [status(1, 200), status(2, 100)])
    r.file("/user/b", 0, 2, [])
    assert r.result.healthy
    assert r.render(datanodes=3, ended=ENDED) == (
        "\n"  # NamenodeFsck's line break before entry 0
        "\nStatus: HEALTHY\n"
        " Number of data-nodes:\t3\n"
        " Number of racks:\t\t1\n"
        " Total dirs:\t\t\t2\n"
        " Total symlinks:\t\t0\n"
        "\n"
        "Replicated Blocks:\n"
        " Total size:\t300 B\n"
        " Total files:\t2\n"
        " Total blocks (validated):\t2 (avg. block size 150 B)\n"
        " Minimally replicated blocks:\t2 (100.0 %)\n"
        " Over-replicated blocks:\t0 (0.0 %)\n"
        " Under-replicated blocks:\t0 (0.0 %)\n"
        " Mis-replicated blocks:\t\t0 (0.0 %)\n"
        " Default replication factor:\t2\n"
        " Average block replication:\t2.0\n"
        " Missing blocks:\t\t0\n"
        " Corrupt blocks:\t\t0\n"
        " Missing replicas:\t\t0 (0.0 %)\n"
        " Blocks queued for replication:\t0\n"
        "\n"
        "Erasure Coded Block Groups:\n"
        " Total size:\t0 B\n"
        " Total files:\t0\n"
        " Total block groups (validated):\t0\n"
        " Minimally erasure-coded block groups:\t0\n"
        " Over-erasure-coded block groups:\t0\n"
        " Under-erasure-coded block groups:\t0\n"
        " Unsatisfactory placement block groups:\t0\n"
        " Average block group size:\t0.0\n"
        " Missing block groups:\t\t0\n"
        " Corrupt block groups:\t\t0\n"
        " Missing internal blocks:\t0\n"
        " Blocks queued for replication:\t0\n"
        f"{ENDED}\n"
    )


def test_files_blocks_locations() -> None:
    r = report("files", "blocks", "locations")
    r.file("/f", 100, 2, [status(7)])
    lines = r.progress.splitlines()
    assert lines[1] == "/f 100 bytes, replicated: replication=2, 1 block(s):  OK"
    assert lines[2] == (
        f"0. {BP}:blk_7_1001 len=100 Live_repl=2 "
        f"[DatanodeInfoWithStorage[{A},{storage_id(A)},DISK], "
        f"DatanodeInfoWithStorage[{B},{storage_id(B)},DISK]]"
    )
    assert storage_id(A).startswith("DS-") and storage_id(A) != storage_id(B)


def test_racks_and_replica_details() -> None:
    states = {C: AdminState.DECOMMISSION_INPROGRESS}
    r = report("files", "blocks", "racks", states=states)
    r.file("/f", 100, 2, [status(7, live=(A,), corrupt=(B,))])
    assert "Live_repl=1 [/default-rack/127.0.0.1:9001, /default-rack/127.0.0.1:9002]" in (
        r.progress
    )
    r = report("files", "blocks", "replicadetails", states=states)
    r.file("/f", 100, 2, [status(7, live=(A,), draining=(C,), corrupt=(B,))])
    assert (
        f"[DatanodeInfoWithStorage[{A},{storage_id(A)},DISK](LIVE), "
        f"DatanodeInfoWithStorage[{C},{storage_id(C)},DISK](DECOMMISSIONING), "
        f"DatanodeInfoWithStorage[{B},{storage_id(B)},DISK](CORRUPT)]"
    ) in r.progress


def test_under_replicated_block_without_files() -> None:
    states = {B: AdminState.DECOMMISSIONED}
    r = report(states=states)
    r.file("/u", 100, 3, [status(3, live=(A,), draining=(B,))])
    assert r.progress == (
        "\n"
        "\n/u:  Under replicated "
        f"{BP}:blk_3_1001. Target Replicas is 3 but found 1 live replica(s), "
        "1 decommissioned replica(s), 0 decommissioning replica(s).\n"
    )
    assert r.result.healthy
    summary = r.render(datanodes=2, ended=ENDED)
    assert " Under-replicated blocks:\t1 (100.0 %)" in summary
    assert " Missing replicas:\t\t1 (33.333332 %)" in summary
    assert " DecommissionedReplicas:\t1" in summary
    assert " Average block replication:\t2.0" in summary


def test_missing_block_makes_the_tree_corrupt() -> None:
    r = report("files", "blocks")
    r.file("/m", 300, 2, [status(1, 200), status(2, 100, live=())])
    assert not r.result.healthy
    assert " MISSING 1 blocks of total size 100 B\n" in r.progress
    assert f"1. {BP}:blk_2_1001 len=100 MISSING!\n" in r.progress
    summary = r.render(datanodes=2, ended=ENDED)
    assert "\nStatus: CORRUPT\n" in summary
    assert (
        "  ********************************\n"
        "  UNDER MIN REPL'D BLOCKS:\t1 (50.0 %)\n"
        "  MINIMAL BLOCK REPLICATION:\t1\n"
        "  CORRUPT FILES:\t1\n"
        "  MISSING BLOCKS:\t1\n"
        "  MISSING SIZE:\t\t100 B\n"
        "  ********************************\n"
    ) in summary
    assert " Missing blocks:\t\t1\n" in summary
    plain = report()
    plain.file("/m", 300, 2, [status(1, 200), status(2, 100, live=())])
    assert "\n/m: MISSING 1 blocks of total size 100 B." in plain.progress


def test_block_with_only_corrupt_replicas_is_corrupt_not_missing() -> None:
    r = report()
    r.file("/c", 100, 2, [status(5, live=(), corrupt=(A, B))])
    assert r.progress == (
        f"\n\n/c: CORRUPT blockpool {BP} block blk_5\n\n/c: CORRUPT 1 blocks of total size 100 B."
    )
    assert not r.result.healthy and r.result.missing == []
    summary = r.render(datanodes=2, ended=ENDED)
    assert "  CORRUPT BLOCKS: \t1\n  CORRUPT SIZE:\t\t100 B\n" in summary
    assert " Corrupt blocks:\t\t1\n" in summary


def test_open_files_are_counted_apart_unless_asked() -> None:
    blocks = [status(1, 100), status(2, 40, open_block=True, live=())]
    r = report("files")
    r.file("/open", 140, 2, blocks, under_construction=True, expected=(A, B))
    assert r.progress == "\n"
    summary = r.render(datanodes=2, ended=ENDED)
    assert " Total size:\t0 B (Total open files size: 140 B)\n" in summary
    assert " Total files:\t0 (Files currently being written: 1)\n" in summary
    assert " Total blocks (validated):\t0 (Total open file blocks (not validated): 2)\n" in summary

    r = report("files", "blocks", "locations", "openforwrite")
    r.file("/open", 140, 2, blocks, under_construction=True, expected=(A, B))
    assert "/open 140 bytes, replicated: replication=2, 2 block(s), OPENFORWRITE:  OK\n" in (
        r.progress
    )
    assert f"\nUnder Construction Block:\n1. {BP}:blk_2_1001 len=40 Expected_repl=2 [" in (
        r.progress
    )


def test_a_dot_every_hundred_files_and_a_break_every_thousand_entries() -> None:
    r = report()
    for n in range(1000):
        r.file(f"/f{n}", 1, 2, [status(n, 1)])
    r.file("/last", 1, 2, [status(5000, 1)])
    assert r.progress == "\n" + "." * 10 + "\n"


def test_options_are_present_keys() -> None:
    assert FsckOptions.of({"files": "1", "replicadetails": "0"}) == FsckOptions(
        files=True, replica_details=True
    )


def test_hosts_file() -> None:
    text = "# decommission these\n10.0.0.1  10.0.0.2:9866\n\n10.0.0.3 # soon\n"
    assert parse_hosts(text) == {"10.0.0.1", "10.0.0.2:9866", "10.0.0.3"}
