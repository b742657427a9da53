"""Durability: the edit log on disk, torn-write recovery, checkpoints and replay equality."""

from __future__ import annotations

import json
import os
import random
import stat
from pathlib import Path

import pytest

from emr.hdfs.namenode import EditLog, Namespace
from emr.hdfs.namenode.editlog import EDITS_FILE, FSIMAGE_FILE
from emr.hdfs.namenode.errors import EditLogCorruptError, HdfsError
from tests.unit.hdfs.namespace_helpers import (
    ALICE,
    BOB,
    HDFS,
    MACHINE,
    SETTINGS,
    T0,
    new_namespace,
    write,
)


def logged(namespace: Namespace, log: EditLog) -> None:
    """What the daemon does after every call: make its edits durable."""
    log.append(namespace.take_edits())


def reopen(directory: Path) -> Namespace:
    """A restart: load the image and the edits, rebuild the namespace."""
    with EditLog(directory) as log:
        image, records = log.load()
    namespace = Namespace(SETTINGS) if image is None else Namespace.from_snapshot(image, SETTINGS)
    namespace.replay(records)
    return namespace


def test_a_new_log_is_empty_and_private(tmp_path: Path) -> None:
    directory = tmp_path / "name"
    with EditLog(directory) as log:
        assert log.load() == (None, [])
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    assert stat.S_IMODE((directory / EDITS_FILE).stat().st_mode) == 0o600


def test_records_survive_a_restart(tmp_path: Path) -> None:
    namespace = new_namespace()
    write(namespace, "/user/alice/f", [1024, 7])
    with EditLog(tmp_path) as log:
        logged(namespace, log)
    assert reopen(tmp_path).snapshot() == namespace.snapshot()
    lines = (tmp_path / EDITS_FILE).read_bytes().splitlines()
    assert [json.loads(line)["txid"] for line in lines] == list(range(1, namespace.last_txid + 1))


def test_a_torn_last_record_is_dropped_and_cut_off(tmp_path: Path) -> None:
    namespace = new_namespace()
    with EditLog(tmp_path) as log:
        logged(namespace, log)
        good = namespace.snapshot()
        namespace.mkdirs("/user/alice/lost", user=ALICE, now=T0)
        logged(namespace, log)
    edits = tmp_path / EDITS_FILE
    whole = edits.read_bytes()
    last_line_start = whole.rstrip(b"\n").rfind(b"\n") + 1
    torn_at = last_line_start + (len(whole) - last_line_start) // 2
    os.truncate(edits, torn_at)  # the crash: half of the last append reached the disk

    recovered = reopen(tmp_path)
    assert recovered.snapshot() == good
    assert edits.read_bytes() == whole[:last_line_start]  # the torn bytes are gone
    # Appending after recovery starts on a fresh line: nothing is glued to the torn record.
    with EditLog(tmp_path) as log:
        recovered.mkdirs("/user/alice/kept", user=ALICE, now=T0)
        logged(recovered, log)
    assert reopen(tmp_path).snapshot() == recovered.snapshot()


def test_an_unreadable_last_line_is_dropped_too(tmp_path: Path) -> None:
    namespace = new_namespace()
    with EditLog(tmp_path) as log:
        logged(namespace, log)
    with (tmp_path / EDITS_FILE).open("ab") as edits:
        edits.write(b"\x00\x00\x00\x00\n")  # a block of zeros after a crash
    assert reopen(tmp_path).snapshot() == namespace.snapshot()


def test_a_damaged_record_before_the_end_is_corruption(tmp_path: Path) -> None:
    namespace = new_namespace()
    with EditLog(tmp_path) as log:
        logged(namespace, log)
    edits = tmp_path / EDITS_FILE
    lines = edits.read_bytes().splitlines(keepends=True)
    lines[1] = b'{"op": "MKD\n'
    edits.write_bytes(b"".join(lines))
    with pytest.raises(EditLogCorruptError, match="line 2 is damaged"):
        EditLog(tmp_path)


def test_checkpoint_then_more_edits(tmp_path: Path) -> None:
    namespace = new_namespace()
    with EditLog(tmp_path) as log:
        logged(namespace, log)
        log.checkpoint(namespace.snapshot())
        assert (tmp_path / EDITS_FILE).read_bytes() == b""
        write(namespace, "/user/alice/after", [3])
        logged(namespace, log)
        image, records = log.load()
    assert image is not None and image["txid"] == 3
    assert [r["op"] for r in records] == ["ADD", "ADD_BLOCK", "CLOSE"]
    restarted = reopen(tmp_path)
    assert restarted.snapshot() == namespace.snapshot()
    # The id counters come back with the image: nothing is allocated twice.
    restarted.create("/user/alice/next", user=ALICE, client="c", client_machine=MACHINE,
                     replication=1, block_size=1024, now=T0)  # fmt: skip
    block = restarted.add_block("/user/alice/next", client="c")
    assert block.block_id == records[1]["block_id"] + 1
    assert block.generation_stamp == records[1]["generation_stamp"] + 1
    assert restarted.get_file_status("/user/alice/next", user=ALICE).file_id == records[0]["id"] + 1


def test_a_crash_between_image_and_edits_rotation_applies_nothing_twice(tmp_path: Path) -> None:
    namespace = new_namespace()
    write(namespace, "/user/alice/f", [5])
    with EditLog(tmp_path) as log:
        logged(namespace, log)
    old_edits = (tmp_path / EDITS_FILE).read_bytes()
    with EditLog(tmp_path) as log:
        log.checkpoint(namespace.snapshot())
    (tmp_path / EDITS_FILE).write_bytes(old_edits)  # the rotation never happened
    assert reopen(tmp_path).snapshot() == namespace.snapshot()


def test_a_checkpoint_older_than_the_log_is_refused(tmp_path: Path) -> None:
    namespace = new_namespace()
    stale = namespace.snapshot()
    stale["txid"] = 1
    with EditLog(tmp_path) as log:
        logged(namespace, log)
        with pytest.raises(ValueError, match="would lose edits up to 3"):
            log.checkpoint(stale)


def test_a_damaged_image_is_corruption(tmp_path: Path) -> None:
    (tmp_path / FSIMAGE_FILE).write_bytes(b"{not json")
    with EditLog(tmp_path) as log, pytest.raises(EditLogCorruptError):
        log.load()
    (tmp_path / FSIMAGE_FILE).write_bytes(b'{"txid": 1, "layout": 99, "inodes": []}')
    with EditLog(tmp_path) as log:
        image, _ = log.load()
    assert image is not None
    with pytest.raises(EditLogCorruptError, match="unknown fsimage layout"):
        Namespace.from_snapshot(image, SETTINGS)


def test_replay_refuses_gaps_and_unknown_ops() -> None:
    namespace = new_namespace()
    records = namespace.take_edits()
    with pytest.raises(EditLogCorruptError, match="expected txid 1, found 2"):
        Namespace(SETTINGS).replay(records[1:])
    with pytest.raises(EditLogCorruptError, match="unknown edit op 'FORMAT_DISK'"):
        Namespace(SETTINGS).replay([{"op": "FORMAT_DISK", "txid": 1}])
    with pytest.raises(EditLogCorruptError, match="does not exist"):
        Namespace(SETTINGS).replay([{"op": "DELETE", "txid": 1, "path": "/x", "time": 0}])
    replayed = Namespace(SETTINGS)
    replayed.replay(records)
    replayed.replay(records)  # records the tree already has are skipped
    assert replayed.snapshot() == namespace.snapshot()


def _random_workload(namespace: Namespace, seed: int, steps: int) -> set[int]:
    """Many operations, some failing (failures must leave no trace); the kinds that worked."""
    rng = random.Random(seed)
    names = ["a", "b", "c", "dir", "é"]
    users = [ALICE, ALICE, ALICE, BOB, HDFS]

    def path() -> str:
        depth = rng.randint(1, 3)
        return "/user/alice/" + "/".join(rng.choice(names) for _ in range(depth))

    def file() -> str:  # a directory only files go to: concat and truncate find files there
        return f"/user/alice/files/f{rng.randrange(4)}"

    succeeded: set[int] = set()
    for step in range(steps):
        now = T0 + step
        user = rng.choice(users)
        op = rng.randrange(12)
        try:
            if op == 0:
                namespace.mkdirs(path(), user=user, now=now)
            elif op in (1, 2):
                write(namespace, path() if op == 1 else file(), [rng.choice([0, 5, 1024])] * rng.randint(1, 3),
                      user=user, client=f"c{step}", overwrite=rng.random() < 0.5, now=now)  # fmt: skip
            elif op == 3:
                namespace.delete(path(), user=user, recursive=rng.random() < 0.7, now=now)
            elif op == 4:
                namespace.rename(path(), path(), user=user, now=now)
            elif op == 5:
                namespace.rename2(path(), path(), user=user, overwrite=rng.random() < 0.5, now=now)
            elif op == 6:
                p, client = file(), f"a{step}"
                namespace.append(p, user=user, client=client, client_machine=MACHINE)
                namespace.add_block(p, client=client, last_block_length=rng.randint(0, 1024))
                namespace.complete(
                    p, client=client, last_block_length=rng.randint(0, 1024), now=now
                )
            elif op == 7:
                p = file()
                result = namespace.truncate(p, rng.randint(0, 1030), user=user, client="t",
                                            client_machine=MACHINE, now=now)  # fmt: skip
                if not result.done:
                    namespace.release_lease(p, now=now)
            elif op == 8:
                namespace.concat(file(), [file(), file()], user=user, now=now)
            elif op == 9:
                namespace.set_permission(path(), rng.choice([0o700, 0o755, 0o1777]), user=user)
            elif op == 10:
                namespace.set_replication(path(), rng.randint(1, 3), user=user)
            else:
                namespace.get_block_locations(file(), user=user, now=now + 10**7 * step)
        except HdfsError:
            continue
        succeeded.add(op)
    return succeeded


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_replaying_the_log_rebuilds_an_identical_tree(tmp_path: Path, seed: int) -> None:
    namespace = new_namespace()
    with EditLog(tmp_path) as log:
        kinds = _random_workload(namespace, seed, 300)
        logged(namespace, log)
        log.checkpoint(namespace.snapshot())
        kinds |= _random_workload(namespace, seed + 100, 300)
        logged(namespace, log)
    assert kinds == set(range(12)) and namespace.last_txid > 150
    restarted = reopen(tmp_path)
    assert restarted.snapshot() == namespace.snapshot()
    image = json.loads(json.dumps(namespace.snapshot()))  # the image is plain JSON
    assert Namespace.from_snapshot(image, SETTINGS).snapshot() == namespace.snapshot()
