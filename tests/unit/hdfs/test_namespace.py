"""The namespace's directory operations, reads, attributes and permission model.

Every test's edits are replayed on an empty namespace at teardown and must rebuild the same
tree (the `ns` fixture). Expected messages are Hadoop's, as a WebHDFS client would read them.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from emr.hdfs.namenode import Namespace, User
from emr.hdfs.namenode.errors import (
    AccessControlException,
    FileAlreadyExistsException,
    FileNotFoundException,
    HadoopIllegalArgumentException,
    IllegalArgumentException,
    InvalidPathException,
    IOException,
    ParentNotDirectoryException,
    PathIsNotEmptyDirectoryException,
)
from emr.hdfs.namenode.inodes import ROOT_INODE_ID
from emr.hdfs.namenode.permissions import mode_string
from tests.unit.hdfs.namespace_helpers import (
    ALICE,
    BOB,
    CAROL,
    EVE,
    HDFS,
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


def denied(user: str, access: str, inode: str, owner_group_mode: str) -> str:
    return f'Permission denied: user={user}, access={access}, inode="{inode}":{owner_group_mode}'


# --- path names --------------------------------------------------------------------------------


@pytest.mark.parametrize("bad", ["/a/../b", "/a/./b", "/a:b", "/a//b", "relative", "", "/a/\x00"])
def test_creating_an_invalid_name_is_refused_with_hadoops_wording(ns: Namespace, bad: str) -> None:
    with fails(InvalidPathException, f"Invalid path name {bad}"):
        ns.mkdirs(bad, user=HDFS, now=T0)
    with fails(InvalidPathException, f"Invalid path name {bad}"):
        ns.create(
            bad, user=HDFS, client="c", client_machine="m", replication=1, block_size=1024, now=T0
        )


def test_other_operations_refuse_invalid_names_as_resolvePath_does(ns: Namespace) -> None:
    with fails(InvalidPathException, "Invalid path name Invalid file name: /a/../b"):
        ns.get_file_status("/a/../b", user=HDFS)
    with fails(InvalidPathException, "Invalid path name Invalid file name: /x\udcff"):
        ns.list_status("/x\udcff", user=HDFS)
    error = InvalidPathException("x")
    assert (error.http_status, error.java_class_name) == (
        400,
        "org.apache.hadoop.fs.InvalidPathException",
    )


def test_a_trailing_slash_names_the_same_path(ns: Namespace) -> None:
    assert ns.mkdirs("/user/alice/d/", user=ALICE, now=T0)
    assert ns.get_file_status("/user/alice/d", user=ALICE).is_directory
    assert ns.list_status("/user/alice/", user=ALICE).statuses[0].path_suffix == "d"


def test_names_are_utf8_and_listed_in_byte_order(ns: Namespace) -> None:
    for name in ["b", "é", "a", "B", "p=ü x%"]:
        ns.mkdirs(f"/user/alice/{name}", user=ALICE, now=T0)
    names = [s.path_suffix for s in ns.list_status("/user/alice", user=ALICE).statuses]
    assert names == ["B", "a", "b", "p=ü x%", "é"]


# --- mkdirs -----------------------------------------------------------------------------------


def test_mkdirs_creates_parents_with_implicit_u_wx(ns: Namespace) -> None:
    assert ns.mkdirs("/user/alice/a/b/c", user=ALICE, permission=0o500, now=T0 + 5)
    a = ns.get_file_status("/user/alice/a", user=ALICE)
    c = ns.get_file_status("/user/alice/a/b/c", user=ALICE)
    assert (a.permission, c.permission) == (0o700, 0o500)
    assert (c.owner, c.group) == ("alice", "users")  # group from the parent (BSD rule)
    assert (c.modification_time, c.access_time) == (T0 + 5, 0)
    assert ns.get_file_status("/user/alice", user=ALICE).modification_time == T0 + 5
    assert a.file_id == c.file_id - 2


def test_mkdirs_of_an_existing_directory_is_true_and_changes_nothing(ns: Namespace) -> None:
    txid = ns.last_txid
    assert ns.mkdirs("/user/alice", user=BOB, now=T0)
    assert ns.mkdirs("/", user=EVE, now=T0)
    assert ns.last_txid == txid


def test_mkdirs_over_a_file_or_below_one(ns: Namespace) -> None:
    write(ns, "/user/alice/f")
    with fails(FileAlreadyExistsException, "Path is not a directory: /user/alice/f"):
        ns.mkdirs("/user/alice/f", user=ALICE, now=T0)
    with fails(ParentNotDirectoryException, "/user/alice/f (is not a directory)"):
        ns.mkdirs("/user/alice/f/g", user=ALICE, now=T0)


def test_mkdirs_needs_write_on_the_closest_existing_ancestor(ns: Namespace) -> None:
    with fails(AccessControlException, denied("alice", "WRITE", "/", "hdfs:supergroup:drwxr-xr-x")):
        ns.mkdirs("/data/x", user=ALICE, now=T0)
    with fails(
        AccessControlException, denied("bob", "WRITE", "/user/alice", "alice:users:drwxr-xr-x")
    ):
        ns.mkdirs("/user/alice/x/y", user=BOB, now=T0)
    assert ns.mkdirs("/data/x", user=CAROL, now=T0)  # supergroup member
    assert ns.get_file_status("/data", user=CAROL).owner == "carol"


def test_traversal_needs_execute_on_every_ancestor(ns: Namespace) -> None:
    write(ns, "/user/alice/f")
    ns.set_permission("/user/alice", 0o700, user=ALICE)
    with fails(
        AccessControlException, denied("bob", "EXECUTE", "/user/alice", "alice:users:drwx------")
    ):
        ns.get_file_status("/user/alice/f", user=BOB)
    assert ns.get_file_status("/user/alice/f", user=HDFS).length == 10


# --- reads ------------------------------------------------------------------------------------


def test_file_status_of_the_root_and_a_file(ns: Namespace) -> None:
    root = ns.get_file_status("/", user=EVE)
    assert (root.path_suffix, root.is_directory, root.owner, root.group) == (
        "",
        True,
        "hdfs",
        "supergroup",
    )
    assert (root.permission, root.file_id, root.children_num) == (0o755, ROOT_INODE_ID, 2)
    assert (root.length, root.block_size, root.replication) == (0, 0, 0)
    write(ns, "/user/alice/f", [1024, 5], replication=3, now=T0 + 7)
    status = ns.get_file_status("/user/alice/f", user=BOB)
    assert (status.length, status.replication, status.block_size) == (1029, 3, 1024)
    assert (status.access_time, status.modification_time) == (T0 + 7, T0 + 8)
    assert (status.owner, status.group, status.permission) == ("alice", "users", 0o644)


def test_file_status_of_a_missing_path(ns: Namespace) -> None:
    with fails(FileNotFoundException, "File does not exist: /nope"):
        ns.get_file_status("/nope", user=ALICE)
    assert FileNotFoundException("x").http_status == 404


def test_a_file_in_the_middle_of_a_path(ns: Namespace) -> None:
    write(ns, "/user/alice/f")
    with fails(AccessControlException, "/user/alice/f (is not a directory)"):
        ns.get_file_status("/user/alice/f/x", user=ALICE)
    # HDFS answers "not found" to the superuser in this case.
    with fails(FileNotFoundException, "File does not exist: /user/alice/f/x"):
        ns.get_file_status("/user/alice/f/x", user=HDFS)


def test_listing_a_file_lists_itself(ns: Namespace) -> None:
    write(ns, "/user/alice/f")
    listing = ns.list_status("/user/alice/f", user=BOB)
    assert [(s.path_suffix, s.length) for s in listing.statuses] == [("", 10)]
    assert listing.remaining_entries == 0


def test_listing_a_missing_path(ns: Namespace) -> None:
    with fails(FileNotFoundException, "File /user/alice/nope does not exist."):
        ns.list_status("/user/alice/nope", user=ALICE)


def test_listing_in_batches(ns: Namespace) -> None:
    for name in "edcba":
        ns.mkdirs(f"/user/alice/{name}", user=ALICE, now=T0)

    def batch(start_after: str | None) -> tuple[list[str], int]:
        listing = ns.list_status("/user/alice", user=ALICE, start_after=start_after, limit=2)
        return [s.path_suffix for s in listing.statuses], listing.remaining_entries

    assert batch(None) == (["a", "b"], 3)
    assert batch("b") == (["c", "d"], 1)
    assert batch("d") == (["e"], 0)
    assert batch("bb") == (["c", "d"], 1)  # startAfter need not exist
    assert batch("z") == ([], 0)
    assert ns.list_status("/user/alice", user=ALICE).remaining_entries == 0


def test_listing_needs_read_and_execute(ns: Namespace) -> None:
    ns.set_permission("/user/alice", 0o711, user=ALICE)
    with fails(
        AccessControlException,
        denied("bob", "READ_EXECUTE", "/user/alice", "alice:users:drwx--x--x"),
    ):
        ns.list_status("/user/alice", user=BOB)
    assert ns.list_status("/user/alice", user=CAROL).statuses == ()


def test_content_summary(ns: Namespace) -> None:
    ns.mkdirs("/user/alice/d/e", user=ALICE, now=T0)
    write(ns, "/user/alice/d/f", [1024, 100], replication=3)
    write(ns, "/user/alice/g", [7], replication=2)
    summary = ns.get_content_summary("/user/alice", user=BOB)
    assert (summary.length, summary.file_count, summary.directory_count) == (1131, 2, 3)
    assert (summary.space_consumed, summary.quota, summary.space_quota) == (3 * 1124 + 14, -1, -1)
    single = ns.get_content_summary("/user/alice/g", user=BOB)
    assert (single.file_count, single.directory_count, single.length) == (1, 0, 7)
    with fails(FileNotFoundException, "File does not exist: /user/alice/nope"):
        ns.get_content_summary("/user/alice/nope", user=ALICE)


def test_content_summary_needs_read_execute_on_every_directory_below(ns: Namespace) -> None:
    ns.mkdirs("/user/alice/private", user=ALICE, permission=0o700, now=T0)
    with fails(
        AccessControlException,
        denied("bob", "READ_EXECUTE", "/user/alice/private", "alice:users:drwx------"),
    ):
        ns.get_content_summary("/user/alice", user=BOB)


def test_home_directory(ns: Namespace) -> None:
    assert ns.get_home_directory(BOB) == "/user/bob"


def test_block_locations_cover_the_requested_range(ns: Namespace) -> None:
    blocks = write(ns, "/user/alice/f", [1024, 1024, 10])
    located = ns.get_block_locations("/user/alice/f", user=BOB, offset=1000, length=100, now=T0)
    assert [(lb.block, lb.offset) for lb in located.blocks] == [(blocks[0], 0), (blocks[1], 1024)]
    tail = ns.get_block_locations("/user/alice/f", user=BOB, offset=2048, now=T0)
    assert [lb.block for lb in tail.blocks] == [blocks[2]]
    whole = ns.get_block_locations("/user/alice/f", user=BOB, now=T0)
    assert (len(whole.blocks), whole.file_length, whole.under_construction) == (3, 2058, False)
    assert ns.get_block_locations("/user/alice/f", user=BOB, offset=5000, now=T0).blocks == ()


def test_block_locations_errors(ns: Namespace) -> None:
    write(ns, "/user/alice/f")
    with fails(
        HadoopIllegalArgumentException, "Negative offset is not supported. File: /user/alice/f"
    ):
        ns.get_block_locations("/user/alice/f", user=ALICE, offset=-1, now=T0)
    with fails(
        HadoopIllegalArgumentException, "Negative length is not supported. File: /user/alice/f"
    ):
        ns.get_block_locations("/user/alice/f", user=ALICE, length=-1, now=T0)
    with fails(FileNotFoundException, "Path is not a file: /user/alice"):
        ns.get_block_locations("/user/alice", user=ALICE, now=T0)
    with fails(FileNotFoundException, "File does not exist: /user/alice/nope"):
        ns.get_block_locations("/user/alice/nope", user=ALICE, now=T0)
    ns.set_permission("/user/alice/f", 0o600, user=ALICE)
    with fails(
        AccessControlException, denied("bob", "READ", "/user/alice/f", "alice:users:-rw-------")
    ):
        ns.get_block_locations("/user/alice/f", user=BOB, now=T0)


def test_reading_moves_the_access_time_past_its_precision(ns: Namespace) -> None:
    write(ns, "/user/alice/f", now=T0)
    txid = ns.last_txid
    ns.get_block_locations("/user/alice/f", user=BOB, now=T0 + 3_600_000)
    assert ns.last_txid == txid  # within the precision (1 h)
    ns.get_block_locations("/user/alice/f", user=BOB, now=T0 + 3_600_001)
    assert ns.last_txid == txid + 1
    assert ns.get_file_status("/user/alice/f", user=BOB).access_time == T0 + 3_600_001


# --- delete -----------------------------------------------------------------------------------


def test_delete_a_file_returns_its_blocks(ns: Namespace) -> None:
    blocks = write(ns, "/user/alice/f", [1024, 3])
    result = ns.delete("/user/alice/f", user=ALICE, recursive=False, now=T0 + 9)
    assert result.deleted and list(result.removed_blocks) == blocks
    assert ns.block_owner(blocks[0].block_id) is None
    assert ns.get_file_status("/user/alice", user=ALICE).modification_time == T0 + 9


def test_delete_what_is_not_there_or_the_root_is_false(ns: Namespace) -> None:
    assert not ns.delete("/user/alice/nope", user=ALICE, recursive=True, now=T0).deleted
    assert not ns.delete("/no/such/parent", user=HDFS, recursive=True, now=T0).deleted
    assert not ns.delete("/", user=HDFS, recursive=True, now=T0).deleted


def test_delete_a_non_empty_directory_needs_recursive(ns: Namespace) -> None:
    write(ns, "/user/alice/d/f")
    error = "`/user/alice/d is non empty': Directory is not empty"
    with fails(PathIsNotEmptyDirectoryException, error):
        ns.delete("/user/alice/d", user=ALICE, recursive=False, now=T0)
    with fails(PathIsNotEmptyDirectoryException, "`/ is non empty': Directory is not empty"):
        ns.delete("/", user=HDFS, recursive=False, now=T0)
    exc = PathIsNotEmptyDirectoryException("x")
    assert (exc.http_status, exc.java_class_name) == (
        403,
        "org.apache.hadoop.fs.PathIsNotEmptyDirectoryException",
    )
    ns.create("/user/alice/d/open", user=ALICE, client="w", client_machine="m", replication=1,
              block_size=1024, now=T0)  # fmt: skip
    result = ns.delete("/user/alice/d", user=ALICE, recursive=True, now=T0)
    assert result.deleted and len(result.removed_blocks) == 1
    assert ns.open_files() == []
    assert ns.delete("/user/alice/empty", user=ALICE, recursive=False, now=T0).deleted is False


def test_delete_needs_write_on_the_parent_and_all_on_non_empty_directories_below(
    ns: Namespace,
) -> None:
    write(ns, "/user/alice/f")
    with fails(
        AccessControlException, denied("bob", "WRITE", "/user/alice", "alice:users:drwxr-xr-x")
    ):
        ns.delete("/user/alice/f", user=BOB, recursive=False, now=T0)
    ns.mkdirs("/shared", user=HDFS, permission=0o777, now=T0)
    ns.mkdirs("/shared/top/sub", user=BOB, now=T0)
    write(ns, "/shared/top/sub/x", user=BOB, client="b")
    ns.set_permission("/shared/top", 0o777, user=BOB)
    with fails(
        AccessControlException,
        denied("alice", "ALL", "/shared/top/sub", "bob:supergroup:drwxr-xr-x"),
    ):
        ns.delete("/shared/top", user=ALICE, recursive=True, now=T0)
    ns.delete("/shared/top/sub", user=BOB, recursive=True, now=T0)
    ns.mkdirs("/shared/top/empty", user=BOB, permission=0o500, now=T0)
    # Empty directories below need nothing (ignoreEmptyDir).
    assert ns.delete("/shared/top", user=ALICE, recursive=True, now=T0).deleted


def test_sticky_bit_keeps_others_from_deleting_or_renaming(ns: Namespace) -> None:
    write(ns, "/tmp/a")
    sticky = (
        'Permission denied by sticky bit: user=bob, path="/tmp/a":alice:supergroup:-rw-r--r--, '
        'parent="/tmp":hdfs:supergroup:drwxrwxrwt'
    )
    with fails(AccessControlException, sticky):
        ns.delete("/tmp/a", user=BOB, recursive=False, now=T0)
    with fails(AccessControlException, sticky):
        ns.rename("/tmp/a", "/tmp/b", user=BOB, now=T0)
    assert ns.rename("/tmp/a", "/tmp/b", user=ALICE, now=T0)
    assert ns.delete("/tmp/b", user=HDFS, recursive=False, now=T0).deleted


# --- rename (FileSystem) -----------------------------------------------------------------------


def test_rename_a_file(ns: Namespace) -> None:
    blocks = write(ns, "/user/alice/f", [4])
    ns.mkdirs("/user/alice/out", user=ALICE, now=T0)
    assert ns.rename("/user/alice/f", "/user/alice/out/g", user=ALICE, now=T0 + 3)
    moved = ns.get_file_status("/user/alice/out/g", user=ALICE)
    assert moved.length == 4
    owner = ns.block_owner(blocks[0].block_id)
    assert owner is not None and owner.path == "/user/alice/out/g"
    assert ns.get_file_status("/user/alice", user=ALICE).modification_time == T0 + 3
    assert ns.get_file_status("/user/alice/out", user=ALICE).modification_time == T0 + 3


def test_rename_onto_an_existing_directory_moves_inside_it(ns: Namespace) -> None:
    ns.mkdirs("/user/alice/attempt/part", user=ALICE, now=T0)
    ns.mkdirs("/user/alice/task", user=ALICE, now=T0)
    assert ns.rename("/user/alice/attempt", "/user/alice/task", user=ALICE, now=T0)
    assert ns.get_file_status("/user/alice/task/attempt/part", user=ALICE).is_directory
    # Already inside: renaming a child onto its own parent is a no-op success.
    txid = ns.last_txid
    assert ns.rename("/user/alice/task/attempt", "/user/alice/task", user=ALICE, now=T0)
    assert ns.last_txid == txid


@pytest.mark.parametrize(
    ("src", "dst"),
    [
        ("/user/alice/nope", "/user/alice/x"),  # source missing
        ("/user/alice/f", "/user/alice/no/such/x"),  # destination's parent missing
        ("/user/alice/f", "/user/alice/g"),  # destination exists
        ("/user/alice/d", "/user/alice/d/sub/x"),  # destination under the source
        ("/user/alice/d", "/user/alice/d"),  # a directory onto itself: d/d is under d
        ("/user/alice/f", "/user/alice/d2"),  # d2/f exists
        ("/", "/user/alice/x"),  # the root
    ],
)
def test_rename_answers_false(ns: Namespace, src: str, dst: str) -> None:
    write(ns, "/user/alice/f")
    write(ns, "/user/alice/g")
    ns.mkdirs("/user/alice/d/sub", user=ALICE, now=T0)
    write(ns, "/user/alice/d2/f")
    txid = ns.last_txid
    assert ns.rename(src, dst, user=HDFS, now=T0) is False
    assert ns.last_txid == txid


def test_rename_a_file_onto_itself_is_true(ns: Namespace) -> None:
    write(ns, "/user/alice/f")
    assert ns.rename("/user/alice/f", "/user/alice/f", user=ALICE, now=T0)


def test_rename_errors(ns: Namespace) -> None:
    write(ns, "/user/alice/f")
    with fails(IOException, "Invalid name: /user/alice/../g"):
        ns.rename("/user/alice/f", "/user/alice/../g", user=ALICE, now=T0)
    with fails(ParentNotDirectoryException, "/user/alice/f (is not a directory)"):
        ns.rename("/user/alice/f", "/user/alice/f/g", user=ALICE, now=T0)
    with fails(
        AccessControlException, denied("bob", "WRITE", "/user/alice", "alice:users:drwxr-xr-x")
    ):
        ns.rename("/user/alice/f", "/tmp/f", user=BOB, now=T0)
    with fails(AccessControlException, denied("alice", "WRITE", "/", "hdfs:supergroup:drwxr-xr-x")):
        ns.rename("/user/alice/f", "/f", user=ALICE, now=T0)


# --- rename2 (FileContext, renameoptions) ------------------------------------------------------


def test_rename2_moves_and_overwrites(ns: Namespace) -> None:
    write(ns, "/user/alice/f", [5])
    old = write(ns, "/user/alice/g", [6])
    assert ns.rename2("/user/alice/f", "/user/alice/h", user=ALICE, now=T0) == ()
    removed = ns.rename2("/user/alice/h", "/user/alice/g", user=ALICE, overwrite=True, now=T0)
    assert list(removed) == old
    assert ns.get_file_status("/user/alice/g", user=ALICE).length == 5
    assert ns.block_owner(old[0].block_id) is None
    ns.mkdirs("/user/alice/d1/x", user=ALICE, now=T0)
    ns.mkdirs("/user/alice/d2", user=ALICE, now=T0)
    ns.rename2("/user/alice/d1", "/user/alice/d2", user=ALICE, overwrite=True, now=T0)
    assert ns.get_file_status("/user/alice/d2/x", user=ALICE).is_directory


def test_rename2_errors(ns: Namespace) -> None:
    write(ns, "/user/alice/f")
    write(ns, "/user/alice/g")
    ns.mkdirs("/user/alice/d/sub", user=ALICE, now=T0)
    ns.mkdirs("/user/alice/e", user=ALICE, now=T0)

    def rename2(src: str, dst: str, overwrite: bool = False) -> object:
        return ns.rename2(src, dst, user=ALICE, overwrite=overwrite, now=T0)

    with fails(InvalidPathException, "Invalid path name Invalid name: /user/alice/a:b"):
        rename2("/user/alice/f", "/user/alice/a:b")
    with fails(FileNotFoundException, "rename source /user/alice/nope is not found."):
        rename2("/user/alice/nope", "/user/alice/x")
    with fails(IOException, "rename source cannot be the root"):
        ns.rename2("/", "/x", user=HDFS, now=T0)
    with fails(
        FileAlreadyExistsException,
        "The source /user/alice/f and destination /user/alice/f are the same",
    ):
        rename2("/user/alice/f", "/user/alice/f")
    with fails(
        IOException,
        "Rename destination /user/alice/d/sub/x is a directory or file under source /user/alice/d",
    ):
        rename2("/user/alice/d", "/user/alice/d/sub/x")
    with fails(IOException, "rename destination cannot be the root"):
        ns.rename2("/user/alice/f", "/", user=HDFS, now=T0)
    with fails(FileAlreadyExistsException, "rename destination /user/alice/g already exists"):
        rename2("/user/alice/f", "/user/alice/g")
    with fails(
        IOException, "Source /user/alice/f and destination /user/alice/e must both be directories"
    ):
        rename2("/user/alice/f", "/user/alice/e", overwrite=True)
    with fails(IOException, "rename destination directory is not empty: /user/alice/d"):
        rename2("/user/alice/e", "/user/alice/d", overwrite=True)
    with fails(FileNotFoundException, "rename destination parent /user/alice/no/x not found."):
        rename2("/user/alice/f", "/user/alice/no/x")
    with fails(ParentNotDirectoryException, "/user/alice/g (is not a directory)"):
        rename2("/user/alice/f", "/user/alice/g/x")


# --- attributes -------------------------------------------------------------------------------


def test_set_permission_by_the_owner_or_the_superuser(ns: Namespace) -> None:
    write(ns, "/user/alice/f")
    ns.set_permission("/user/alice/f", 0o600, user=ALICE)
    assert ns.get_file_status("/user/alice/f", user=ALICE).permission == 0o600
    ns.set_permission("/user/alice/f", 0o640, user=CAROL)
    with fails(
        AccessControlException,
        "Permission denied. user=bob is not the owner of inode=/user/alice/f",
    ):
        ns.set_permission("/user/alice/f", 0o777, user=BOB)
    with fails(FileNotFoundException, "Directory/File does not exist /user/alice/nope"):
        ns.set_permission("/user/alice/nope", 0o777, user=ALICE)
    with fails(IllegalArgumentException, "Invalid permission: 10000"):
        ns.set_permission("/user/alice/f", 0o10000, user=ALICE)


def test_set_owner_rules(ns: Namespace) -> None:
    write(ns, "/user/alice/f")
    with fails(
        AccessControlException,
        "User alice is not a super user (non-super user cannot change owner).",
    ):
        ns.set_owner("/user/alice/f", user=ALICE, owner="bob")
    with fails(AccessControlException, "User alice does not belong to hadoop"):
        ns.set_owner("/user/alice/f", user=ALICE, group="hadoop")
    with fails(
        AccessControlException,
        "Permission denied. user=bob is not the owner of inode=/user/alice/f",
    ):
        ns.set_owner("/user/alice/f", user=BOB, group="users")
    with fails(IllegalArgumentException, "Both owner and group are empty."):
        ns.set_owner("/user/alice/f", user=HDFS)
    with fails(FileNotFoundException, "Directory/File does not exist /user/alice/nope"):
        ns.set_owner("/user/alice/nope", user=HDFS, owner="x")
    ns.set_owner("/user/alice/f", user=ALICE, owner="alice", group="alice")
    assert ns.get_file_status("/user/alice/f", user=ALICE).group == "alice"
    ns.set_owner("/user/alice/f", user=HDFS, owner="bob")
    status = ns.get_file_status("/user/alice/f", user=ALICE)
    assert (status.owner, status.group) == ("bob", "alice")


def test_set_times(ns: Namespace) -> None:
    write(ns, "/user/alice/f", now=T0)
    ns.set_times("/user/alice/f", user=ALICE, modification_time=5)
    status = ns.get_file_status("/user/alice/f", user=ALICE)
    assert (status.modification_time, status.access_time) == (5, T0)
    ns.set_times("/user/alice/f", user=ALICE, access_time=7)
    assert ns.get_file_status("/user/alice/f", user=ALICE).access_time == 7
    with fails(
        AccessControlException, denied("bob", "WRITE", "/user/alice/f", "alice:users:-rw-r--r--")
    ):
        ns.set_times("/user/alice/f", user=BOB, modification_time=1)
    with fails(FileNotFoundException, "File/Directory /user/alice/nope does not exist."):
        ns.set_times("/user/alice/nope", user=ALICE, modification_time=1)


def test_set_replication(ns: Namespace) -> None:
    blocks = write(ns, "/user/alice/f", [1024, 1], replication=1)
    change = ns.set_replication("/user/alice/f", 3, user=ALICE)
    assert change is not None and list(change.blocks) == blocks
    assert (change.old_replication, change.new_replication) == (1, 3)
    owner = ns.block_owner(blocks[1].block_id)
    assert owner is not None and owner.replication == 3
    assert ns.set_replication("/user/alice", 2, user=ALICE) is None
    assert ns.set_replication("/user/alice/nope", 2, user=ALICE) is None
    with fails(
        IOException,
        "Requested replication factor of 0 is less than the required minimum of 1 for /user/alice/f",
    ):
        ns.set_replication("/user/alice/f", 0, user=ALICE)
    with fails(
        IOException, "Requested replication factor of 513 exceeds maximum of 512 for /user/alice/f"
    ):
        ns.set_replication("/user/alice/f", 513, user=ALICE)
    with fails(
        AccessControlException, denied("bob", "WRITE", "/user/alice/f", "alice:users:-rw-r--r--")
    ):
        ns.set_replication("/user/alice/f", 2, user=BOB)


def test_mode_strings() -> None:
    assert mode_string(0o755) == "rwxr-xr-x"
    assert mode_string(0o1777) == "rwxrwxrwt"
    assert mode_string(0o1776) == "rwxrwxrwT"
    assert mode_string(0) == "---------"


def test_group_membership_grants_the_group_class(ns: Namespace) -> None:
    ns.mkdirs("/user/alice/team", user=ALICE, permission=0o770, now=T0)
    assert ns.mkdirs("/user/alice/team/bob", user=BOB, now=T0)  # bob is in "users"
    with fails(
        AccessControlException,
        denied("eve", "EXECUTE", "/user/alice/team", "alice:users:drwxrwx---"),
    ):
        ns.mkdirs("/user/alice/team/eve", user=EVE, now=T0)


def test_superuser_is_the_namenode_user_or_a_supergroup_member(ns: Namespace) -> None:
    ns.set_permission("/user/alice", 0o700, user=ALICE)
    for superuser in (HDFS, CAROL, User("hdfs")):
        assert ns.list_status("/user/alice", user=superuser).remaining_entries == 0
    with fails(
        AccessControlException, denied("eve", "EXECUTE", "/user/alice", "alice:users:drwx------")
    ):
        ns.list_status("/user/alice/x", user=EVE)
