"""Writing files: create, blocks and leases, complete, append, truncate, concat.

As in test_namespace.py, each test's edits must replay into the same tree (the `ns` fixture).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from emr.hdfs.namenode import Namespace
from emr.hdfs.namenode.errors import (
    AccessControlException,
    AlreadyBeingCreatedException,
    FileAlreadyExistsException,
    FileNotFoundException,
    HadoopIllegalArgumentException,
    IllegalArgumentException,
    IOException,
    LeaseExpiredException,
    ParentNotDirectoryException,
    RecoveryInProgressException,
)
from emr.hdfs.namenode.inodes import FIRST_BLOCK_ID, FIRST_GENERATION_STAMP
from emr.hdfs.namenode.results import OpenFile, TruncateResult
from emr.hdfs.types import Block
from tests.unit.hdfs.namespace_helpers import (
    ALICE,
    BOB,
    HDFS,
    MACHINE,
    T0,
    assert_replay_matches,
    fails,
    new_namespace,
    write,
)


@pytest.fixture
def ns() -> Iterator[Namespace]:
    namespace = new_namespace()
    yield namespace
    assert_replay_matches(namespace)


def open_file(
    ns: Namespace,
    path: str,
    client: str = "c1",
    *,
    replication: int = 1,
    block_size: int = 1024,
    overwrite: bool = False,
) -> None:
    ns.create(
        path,
        user=ALICE,
        client=client,
        client_machine=MACHINE,
        replication=replication,
        block_size=block_size,
        overwrite=overwrite,
        now=T0,
    )


# --- create -----------------------------------------------------------------------------------


def test_create_opens_the_file_with_a_lease(ns: Namespace) -> None:
    result = ns.create(
        "/user/alice/f",
        user=ALICE,
        client="DFSClient_1",
        client_machine="10.0.0.1",
        replication=2,
        block_size=2048,
        permission=0o600,
        now=T0 + 1,
    )
    status = result.status
    assert (status.path_suffix, status.length, status.replication, status.block_size) == (
        "",
        0,
        2,
        2048,
    )
    assert (status.owner, status.group, status.permission) == ("alice", "users", 0o600)
    assert (status.modification_time, status.access_time) == (T0 + 1, T0 + 1)
    assert result.removed_blocks == ()
    assert ns.open_files() == [OpenFile("/user/alice/f", "DFSClient_1", "10.0.0.1", False)]


def test_create_makes_missing_parents_from_the_closest_ancestor(ns: Namespace) -> None:
    ns.set_permission("/user/alice", 0o750, user=ALICE)
    open_file(ns, "/user/alice/a/b/f")
    a = ns.get_file_status("/user/alice/a", user=ALICE)
    assert (a.permission, a.owner, a.group) == (0o750, "alice", "users")
    with fails(FileNotFoundException, "Parent directory doesn't exist: /user/alice/x"):
        ns.create("/user/alice/x/f", user=ALICE, client="c", client_machine=MACHINE,
                  replication=1, block_size=1024, create_parent=False, now=T0)  # fmt: skip


def test_create_over_an_existing_file(ns: Namespace) -> None:
    old = write(ns, "/user/alice/f", [3])
    with fails(FileAlreadyExistsException, "/user/alice/f for client 127.0.0.1 already exists"):
        open_file(ns, "/user/alice/f")
    old_id = ns.get_file_status("/user/alice/f", user=ALICE).file_id
    result = ns.create("/user/alice/f", user=ALICE, client="c2", client_machine=MACHINE,
                       replication=1, block_size=1024, overwrite=True, now=T0)  # fmt: skip
    assert list(result.removed_blocks) == old
    assert result.status.file_id > old_id and result.status.length == 0
    assert ns.block_owner(old[0].block_id) is None


def test_create_over_a_directory_fails_even_with_overwrite(ns: Namespace) -> None:
    with fails(FileAlreadyExistsException, "/user/alice already exists as a directory"):
        ns.create("/user/alice", user=HDFS, client="c", client_machine=MACHINE, replication=1,
                  block_size=1024, overwrite=True, now=T0)  # fmt: skip


def test_create_over_a_file_another_client_writes(ns: Namespace) -> None:
    open_file(ns, "/user/alice/f", client="c1")
    with fails(
        AlreadyBeingCreatedException,
        "Failed to CREATE_FILE /user/alice/f for c2 on 10.0.0.2 because this file lease is "
        "currently owned by c1 on 127.0.0.1",
    ):
        ns.create("/user/alice/f", user=ALICE, client="c2", client_machine="10.0.0.2",
                  replication=1, block_size=1024, now=T0)  # fmt: skip
    with fails(
        AlreadyBeingCreatedException,
        "Failed to CREATE_FILE /user/alice/f for c1 on 127.0.0.1 because c1 is already the "
        "current lease holder.",
    ):
        open_file(ns, "/user/alice/f", client="c1")


def test_create_validates_replication_block_size_and_permission(ns: Namespace) -> None:
    with fails(
        IOException,
        "Requested replication factor of 0 is less than the required minimum of 1 for "
        "/user/alice/f, clientName=127.0.0.1",
    ):
        open_file(ns, "/user/alice/f", replication=0)
    with fails(
        IOException,
        "Specified block size is less than configured minimum value "
        "(dfs.namenode.fs-limits.min-block-size): 512 < 1024",
    ):
        open_file(ns, "/user/alice/f", block_size=512)
    with fails(IllegalArgumentException, "Invalid permission: 2000"):
        ns.create("/user/alice/f", user=ALICE, client="c", client_machine=MACHINE,
                  replication=1, block_size=1024, permission=0o2000, now=T0)  # fmt: skip


def test_create_permissions(ns: Namespace) -> None:
    with fails(
        AccessControlException,
        'Permission denied: user=bob, access=WRITE, inode="/user/alice":alice:users:drwxr-xr-x',
    ):
        ns.create("/user/alice/f", user=BOB, client="b", client_machine=MACHINE,
                  replication=1, block_size=1024, now=T0)  # fmt: skip
    write(ns, "/tmp/f")
    with fails(
        AccessControlException,
        'Permission denied: user=bob, access=WRITE, inode="/tmp/f":alice:supergroup:-rw-r--r--',
    ):
        ns.create("/tmp/f", user=BOB, client="b", client_machine=MACHINE, replication=1,
                  block_size=1024, overwrite=True, now=T0)  # fmt: skip
    with fails(ParentNotDirectoryException, "/tmp/f (is not a directory)"):
        ns.create("/tmp/f/g", user=BOB, client="b", client_machine=MACHINE, replication=1,
                  block_size=1024, now=T0)  # fmt: skip


# --- blocks, complete, leases -----------------------------------------------------------------


def test_blocks_are_allocated_in_sequence_and_complete_sums_them(ns: Namespace) -> None:
    open_file(ns, "/user/alice/f")
    first = ns.add_block("/user/alice/f", client="c1")
    second = ns.add_block("/user/alice/f", client="c1", last_block_length=1024)
    assert first == Block(FIRST_BLOCK_ID, FIRST_GENERATION_STAMP, 0)
    assert second == Block(FIRST_BLOCK_ID + 1, FIRST_GENERATION_STAMP + 1, 0)
    assert ns.get_file_status("/user/alice/f", user=ALICE).length == 1024  # last not reported
    assert ns.complete("/user/alice/f", client="c1", last_block_length=17, now=T0 + 50)
    status = ns.get_file_status("/user/alice/f", user=ALICE)
    assert (status.length, status.modification_time, status.access_time) == (1041, T0 + 50, T0)
    assert ns.open_files() == []
    owner = ns.block_owner(second.block_id)
    assert owner is not None
    assert (owner.path, owner.block.num_bytes, owner.under_construction) == (
        "/user/alice/f",
        17,
        False,
    )
    assert [b.block.block_id for b in ns.blocks()] == [first.block_id, second.block_id]


def test_only_the_lease_holder_writes(ns: Namespace) -> None:
    open_file(ns, "/user/alice/f", client="c1")
    file_id = ns.get_file_status("/user/alice/f", user=ALICE).file_id
    home_id = ns.get_file_status("/user/alice", user=ALICE).file_id
    with fails(
        LeaseExpiredException,
        f"Client (=c2) is not the lease owner (=c1: /user/alice/f (inode {file_id}) "
        "Holder c2 does not have any open files.",
    ):
        ns.add_block("/user/alice/f", client="c2")
    with fails(
        FileNotFoundException,
        "File does not exist: /user/alice/nope (inode 0) [Lease.  Holder: c1, pending creates: 1]",
    ):
        ns.add_block("/user/alice/nope", client="c1")
    with fails(
        LeaseExpiredException,
        f"INode is not a regular file: /user/alice (inode {home_id}) "
        "[Lease.  Holder: c1, pending creates: 1]",
    ):
        ns.complete("/user/alice", client="c1", now=T0)
    ns.complete("/user/alice/f", client="c1", now=T0)
    with fails(
        LeaseExpiredException,
        f"File is not open for writing: /user/alice/f (inode {file_id}) "
        "Holder c1 does not have any open files.",
    ):
        ns.complete("/user/alice/f", client="c1", now=T0)


def test_abandon_block_and_pipeline_recovery(ns: Namespace) -> None:
    open_file(ns, "/user/alice/f")
    first = ns.add_block("/user/alice/f", client="c1")
    second = ns.add_block("/user/alice/f", client="c1", last_block_length=1024)
    assert ns.abandon_block("/user/alice/f", client="c1", block_id=first.block_id) is False
    assert ns.abandon_block("/user/alice/f", client="c1", block_id=second.block_id)
    assert ns.block_owner(second.block_id) is None
    restamped = ns.update_block_for_pipeline(
        "/user/alice/f", client="c1", block_id=first.block_id, num_bytes=1000
    )
    assert restamped == Block(first.block_id, second.generation_stamp + 1, 1000)
    with fails(IOException, f"blk_{second.block_id} is not the last block of /user/alice/f"):
        ns.update_block_for_pipeline("/user/alice/f", client="c1", block_id=second.block_id)
    third = ns.add_block("/user/alice/f", client="c1")
    assert third.generation_stamp == restamped.generation_stamp + 1


def test_release_lease_closes_a_file_whose_writer_died(ns: Namespace) -> None:
    open_file(ns, "/user/alice/f", client="dead")
    ns.add_block("/user/alice/f", client="dead")
    assert ns.release_lease("/user/alice/f", last_block_length=300, now=T0 + 60_000)
    status = ns.get_file_status("/user/alice/f", user=ALICE)
    assert (status.length, status.modification_time) == (300, T0 + 60_000)
    assert ns.release_lease("/user/alice/f", now=T0) is False
    with fails(FileNotFoundException, "File does not exist: /user/alice/nope"):
        ns.release_lease("/user/alice/nope", now=T0)
    ns.append("/user/alice/f", user=ALICE, client="next", client_machine=MACHINE)


def test_last_block_is_the_files_last_one(ns: Namespace) -> None:
    open_file(ns, "/user/alice/f", client="w")
    assert ns.last_block("/user/alice/f") is None
    first = ns.add_block("/user/alice/f", client="w")
    assert ns.last_block("/user/alice/f") == first
    second = ns.add_block("/user/alice/f", client="w", last_block_length=1024)
    assert ns.last_block("/user/alice/f") == second != first
    assert ns.last_block("/user/alice") is None  # a directory
    assert ns.last_block("/user/alice/nope") is None


# --- append -----------------------------------------------------------------------------------


def test_append_reopens_a_partial_last_block_with_a_new_stamp(ns: Namespace) -> None:
    blocks = write(ns, "/user/alice/f", [1024, 10])
    result = ns.append("/user/alice/f", user=ALICE, client="c2", client_machine=MACHINE)
    assert result.last_block == Block(blocks[1].block_id, blocks[1].generation_stamp + 1, 10)
    assert result.status.length == 1034
    assert ns.open_files() == [OpenFile("/user/alice/f", "c2", MACHINE, False)]
    ns.complete("/user/alice/f", client="c2", last_block_length=20, now=T0 + 5)
    assert ns.get_file_status("/user/alice/f", user=ALICE).length == 1044


def test_append_after_a_full_block_or_with_new_block_needs_add_block(ns: Namespace) -> None:
    write(ns, "/user/alice/full", [1024])
    result = ns.append("/user/alice/full", user=ALICE, client="c2", client_machine=MACHINE)
    assert result.last_block is None
    write(ns, "/user/alice/part", [5])
    result = ns.append(
        "/user/alice/part", user=ALICE, client="c3", client_machine=MACHINE, new_block=True
    )
    assert result.last_block is None
    ns.add_block("/user/alice/part", client="c3")
    ns.complete("/user/alice/part", client="c3", last_block_length=4, now=T0)
    assert ns.get_file_status("/user/alice/part", user=ALICE).length == 9


def test_append_errors(ns: Namespace) -> None:
    with fails(
        FileAlreadyExistsException,
        "Cannot append to directory /user/alice; already exists as a directory.",
    ):
        ns.append("/user/alice", user=ALICE, client="c", client_machine=MACHINE)
    with fails(
        FileNotFoundException,
        "Failed to append to non-existent file /user/alice/nope for client 127.0.0.1",
    ):
        ns.append("/user/alice/nope", user=ALICE, client="c", client_machine=MACHINE)
    open_file(ns, "/user/alice/f", client="c1")
    with fails(
        AlreadyBeingCreatedException,
        "Failed to APPEND_FILE /user/alice/f for c2 on 10.0.0.9 because this file lease is "
        "currently owned by c1 on 127.0.0.1",
    ):
        ns.append("/user/alice/f", user=ALICE, client="c2", client_machine="10.0.0.9")
    ns.complete("/user/alice/f", client="c1", now=T0)
    with fails(
        AccessControlException,
        'Permission denied: user=bob, access=WRITE, inode="/user/alice/f":alice:users:-rw-r--r--',
    ):
        ns.append("/user/alice/f", user=BOB, client="b", client_machine=MACHINE)


# --- truncate ---------------------------------------------------------------------------------


def test_truncate_on_a_block_boundary_is_done_at_once(ns: Namespace) -> None:
    blocks = write(ns, "/user/alice/f", [1024, 1024, 5])
    result = ns.truncate(
        "/user/alice/f", 1024, user=ALICE, client="t", client_machine=MACHINE, now=T0 + 3
    )
    assert result.done and list(result.removed_blocks) == blocks[1:]
    assert result.truncated_block is None
    status = ns.get_file_status("/user/alice/f", user=ALICE)
    assert (status.length, status.modification_time) == (1024, T0 + 3)
    assert ns.open_files() == []
    same = ns.truncate(
        "/user/alice/f", 1024, user=ALICE, client="t", client_machine=MACHINE, now=T0
    )
    assert same.done and same.removed_blocks == ()


def test_truncate_inside_a_block_waits_for_block_recovery(ns: Namespace) -> None:
    blocks = write(ns, "/user/alice/f", [1024, 1024])
    result = ns.truncate(
        "/user/alice/f", 1500, user=ALICE, client="t", client_machine=MACHINE, now=T0
    )
    assert not result.done and result.removed_blocks == ()
    assert result.old_block == blocks[1]
    assert result.truncated_block == Block(blocks[1].block_id, blocks[1].generation_stamp + 1, 476)
    assert ns.get_file_status("/user/alice/f", user=ALICE).length == 1500
    assert ns.open_files() == [OpenFile("/user/alice/f", "t", MACHINE, True)]
    again = ns.truncate(
        "/user/alice/f", 1500, user=ALICE, client="t", client_machine=MACHINE, now=T0
    )
    assert not again.done
    with fails(
        AlreadyBeingCreatedException,
        "Failed to TRUNCATE_FILE /user/alice/f for t on 127.0.0.1 because /user/alice/f is "
        "being truncated.",
    ):
        ns.truncate("/user/alice/f", 10, user=ALICE, client="t", client_machine=MACHINE, now=T0)
    with fails(
        RecoveryInProgressException,
        "Failed to APPEND_FILE /user/alice/f for a on 127.0.0.1 because another recovery is "
        "in progress by t on 127.0.0.1",
    ):
        ns.append("/user/alice/f", user=ALICE, client="a", client_machine=MACHINE)
    assert ns.release_lease("/user/alice/f", now=T0 + 1)  # the DataNodes cut their replicas
    assert ns.open_files() == []
    assert ns.get_file_status("/user/alice/f", user=ALICE).length == 1500


def test_truncate_errors(ns: Namespace) -> None:
    write(ns, "/user/alice/f", [100])

    def truncate(length: int, path: str = "/user/alice/f", client: str = "t") -> TruncateResult:
        return ns.truncate(path, length, user=ALICE, client=client, client_machine=MACHINE, now=T0)

    with fails(HadoopIllegalArgumentException, "Cannot truncate to a negative file size: -1."):
        truncate(-1)
    with fails(
        HadoopIllegalArgumentException,
        "Cannot truncate to a larger file size. Current size: 100, truncate size: 101.",
    ):
        truncate(101)
    with fails(FileNotFoundException, "Path is not a file: /user/alice"):
        truncate(0, "/user/alice")
    with fails(FileNotFoundException, "File does not exist: /user/alice/nope"):
        truncate(0, "/user/alice/nope")
    open_file(ns, "/user/alice/g", client="w")
    with fails(
        AlreadyBeingCreatedException,
        "Failed to TRUNCATE_FILE /user/alice/g for t on 127.0.0.1 because this file lease is "
        "currently owned by w on 127.0.0.1",
    ):
        truncate(0, "/user/alice/g")
    with fails(
        AccessControlException,
        'Permission denied: user=bob, access=WRITE, inode="/user/alice/f":alice:users:-rw-r--r--',
    ):
        ns.truncate("/user/alice/f", 0, user=BOB, client="b", client_machine=MACHINE, now=T0)
    assert truncate(0).done
    assert ns.get_file_status("/user/alice/f", user=ALICE).length == 0


# --- concat -----------------------------------------------------------------------------------


def test_concat_appends_blocks_in_order_and_removes_the_sources(ns: Namespace) -> None:
    target = write(ns, "/user/alice/t", [1024, 10])
    first = write(ns, "/user/alice/s1", [7], replication=3)
    second = write(ns, "/user/alice/s2", [1024, 1])
    ns.concat("/user/alice/t", ["/user/alice/s1", "/user/alice/s2"], user=ALICE, now=T0 + 9)
    located = ns.get_block_locations("/user/alice/t", user=ALICE, now=T0)
    assert [lb.block for lb in located.blocks] == target + first + second
    assert [lb.offset for lb in located.blocks] == [0, 1024, 1034, 1041, 2065]
    status = ns.get_file_status("/user/alice/t", user=ALICE)
    assert (status.length, status.modification_time) == (2066, T0 + 9)
    assert [s.path_suffix for s in ns.list_status("/user/alice", user=ALICE).statuses] == ["t"]
    owner = ns.block_owner(first[0].block_id)
    assert owner is not None and (owner.path, owner.replication) == ("/user/alice/t", 1)


def test_concat_rules(ns: Namespace) -> None:
    write(ns, "/user/alice/t")
    write(ns, "/user/alice/s")
    write(ns, "/user/alice/big", block_size=2048)
    write(ns, "/user/alice/d/other")
    ns.create("/user/alice/empty", user=ALICE, client="c", client_machine=MACHINE,
              replication=1, block_size=1024, now=T0)  # fmt: skip
    ns.complete("/user/alice/empty", client="c", now=T0)
    open_file(ns, "/user/alice/open", client="w")

    def concat(target: str, *sources: str) -> None:
        ns.concat(target, list(sources), user=ALICE, now=T0)

    with fails(IllegalArgumentException, "Target file name is empty"):
        concat("", "/user/alice/s")
    with fails(IllegalArgumentException, "No sources given"):
        concat("/user/alice/t")
    with fails(FileNotFoundException, "File does not exist: /user/alice/nope"):
        concat("/user/alice/nope", "/user/alice/s")
    with fails(FileNotFoundException, "Path is not a file: /user/alice/d"):
        concat("/user/alice/t", "/user/alice/d")
    with fails(
        HadoopIllegalArgumentException, "concat: target file /user/alice/open is under construction"
    ):
        concat("/user/alice/open", "/user/alice/s")
    with fails(
        HadoopIllegalArgumentException,
        "Source file /user/alice/d/other is not in the same directory with the target /user/alice/t",
    ):
        concat("/user/alice/t", "/user/alice/d/other")
    with fails(
        HadoopIllegalArgumentException,
        "concat: the src file /user/alice/t is the same with the target file /user/alice/t",
    ):
        concat("/user/alice/t", "/user/alice/t")
    for bad in ("/user/alice/empty", "/user/alice/open"):
        with fails(
            HadoopIllegalArgumentException,
            f"concat: source file {bad} is invalid or empty or underConstruction",
        ):
            concat("/user/alice/t", bad)
    with fails(
        HadoopIllegalArgumentException,
        "concat: source file /user/alice/big has preferred block size 2048 which is greater "
        "than the target file's preferred block size 1024",
    ):
        concat("/user/alice/t", "/user/alice/big")
    with fails(
        HadoopIllegalArgumentException, "concat: at least two of the source files are the same"
    ):
        concat("/user/alice/t", "/user/alice/s", "/user/alice/s")
    ns.set_permission("/user/alice/s", 0o200, user=ALICE)
    with fails(
        AccessControlException,
        'Permission denied: user=alice, access=READ, inode="/user/alice/s":alice:users:--w-------',
    ):
        concat("/user/alice/t", "/user/alice/s")
