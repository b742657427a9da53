"""Users, a namespace with a home directory and /tmp, and a file writer for namespace tests."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import pytest

from emr.hdfs.namenode import Namespace, NamespaceSettings, User
from emr.hdfs.namenode.errors import HdfsError
from emr.hdfs.types import Block

T0 = 1_700_000_000_000
MACHINE = "127.0.0.1"
SETTINGS = NamespaceSettings(min_block_size=1024)

HDFS = User("hdfs", frozenset({"hdfs"}))  # the NameNode's user: superuser
CAROL = User("carol", frozenset({"carol", "supergroup"}))  # superuser by group
ALICE = User("alice", frozenset({"alice", "users"}))
BOB = User("bob", frozenset({"bob", "users"}))
EVE = User("eve", frozenset({"eve"}))


def new_namespace() -> Namespace:
    """/user/alice (alice:users 755) and /tmp (hdfs:supergroup 1777)."""
    namespace = Namespace(SETTINGS)
    namespace.mkdirs("/user/alice", user=HDFS, now=T0)
    namespace.set_owner("/user/alice", user=HDFS, owner="alice", group="users")
    namespace.mkdirs("/tmp", user=HDFS, permission=0o1777, now=T0)
    return namespace


def write(
    namespace: Namespace,
    path: str,
    sizes: Sequence[int] = (10,),
    *,
    user: User = ALICE,
    client: str = "c1",
    replication: int = 1,
    block_size: int = 1024,
    overwrite: bool = False,
    now: int = T0,
) -> list[Block]:
    """Create, add one block per size, complete: the blocks as the file now has them."""
    namespace.create(
        path,
        user=user,
        client=client,
        client_machine=MACHINE,
        replication=replication,
        block_size=block_size,
        overwrite=overwrite,
        now=now,
    )
    allocated: list[Block] = []
    previous: int | None = None
    for size in sizes:
        allocated.append(namespace.add_block(path, client=client, last_block_length=previous))
        previous = size
    namespace.complete(path, client=client, last_block_length=previous, now=now + 1)
    return [Block(b.block_id, b.generation_stamp, n) for b, n in zip(allocated, sizes, strict=True)]


@contextmanager
def fails(error: type[HdfsError], message: str) -> Iterator[None]:
    """The block raises exactly `error` (not a subclass) with exactly `message`."""
    with pytest.raises(error) as info:
        yield
    assert type(info.value) is error, type(info.value)
    assert info.value.message == message, info.value.message


def assert_replay_matches(namespace: Namespace) -> None:
    """Replaying every queued edit on an empty namespace rebuilds an identical tree."""
    replayed = Namespace(SETTINGS)
    replayed.replay(namespace.take_edits())
    assert replayed.snapshot() == namespace.snapshot()
