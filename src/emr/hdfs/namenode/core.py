"""What every Namespace operation shares: settings, the tree, path resolution, the edit queue.

A mutation validates everything first (paths, permissions, HDFS rules), then builds one edit
record with every value decided and applies it through `editops.apply`, the same code replay
runs. An operation that raises has changed nothing and queued nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from emr.hdfs.namenode.editops import EditRecord, apply
from emr.hdfs.namenode.errors import (
    AlreadyBeingCreatedException,
    EditLogCorruptError,
    FileNotFoundException,
    InvalidPathException,
    IOException,
    RecoveryInProgressException,
)
from emr.hdfs.namenode.inodes import INode, INodeDirectory, INodeFile, Tree
from emr.hdfs.namenode.paths import components, is_valid_name
from emr.hdfs.namenode.permissions import PermissionChecker, ResolvedPath, User
from emr.hdfs.namenode.results import BlockOwner, FileStatus, OpenFile
from emr.hdfs.types import Block

__all__ = ["NamespaceCore", "NamespaceSettings"]


@dataclass(frozen=True)
class NamespaceSettings:
    """The NameNode settings the namespace obeys (Hadoop's keys in the comments)."""

    #: The user the NameNode runs as: the superuser; also the owner of "/".
    fs_owner: str = "hdfs"
    #: dfs.permissions.superusergroup: its members are superusers too.
    supergroup: str = "supergroup"
    #: dfs.namenode.accesstime.precision: reads update a file's atime at most this often.
    access_time_precision_ms: int = 3_600_000
    #: dfs.namenode.replication.min / dfs.replication.max.
    min_replication: int = 1
    max_replication: int = 512
    #: dfs.namenode.fs-limits.min-block-size (tests lower it to use tiny blocks).
    min_block_size: int = 1_048_576


class NamespaceCore:
    """The tree, its edit queue and the helpers operations build on."""

    def __init__(self, settings: NamespaceSettings | None = None) -> None:
        self.settings = settings or NamespaceSettings()
        self._tree = Tree(self.settings.fs_owner, self.settings.supergroup)
        self._pending: list[EditRecord] = []

    # --- durability ------------------------------------------------------------------------

    @property
    def last_txid(self) -> int:
        """The txid of the last edit applied."""
        return self._tree.last_txid

    def take_edits(self) -> list[EditRecord]:
        """The records of the mutations since the last call, oldest first, and forget them.

        The daemon appends them to the edit log (fsync) before acknowledging the call that
        made them; reads can queue a TIMES record too (access time), so drain after every call.
        """
        edits, self._pending = self._pending, []
        return edits

    def replay(self, records: Iterable[EditRecord]) -> None:
        """Apply logged records in order; those already in the tree's txid are skipped."""
        for record in records:
            txid = int(record.get("txid", 0))
            if txid <= self._tree.last_txid:
                continue
            if txid != self._tree.last_txid + 1:
                raise EditLogCorruptError(
                    f"edit log gap: expected txid {self._tree.last_txid + 1}, found {txid}"
                )
            apply(self._tree, record)

    def snapshot(self) -> dict[str, Any]:
        """A JSON-able checkpoint of the namespace (the fsimage), including id counters."""
        return self._tree.snapshot()

    def _restore(self, image: dict[str, Any]) -> None:
        self._tree = Tree.from_snapshot(image)
        self._pending = []

    def _log(self, op: str, **arguments: Any) -> EditRecord:
        record: EditRecord = {"op": op, "txid": self._tree.last_txid + 1, **arguments}
        apply(self._tree, record)
        self._pending.append(record)
        return record

    # --- what the daemon asks besides client calls -----------------------------------------

    def open_files(self) -> list[OpenFile]:
        """Files under construction and their lease holders."""
        found: list[OpenFile] = []
        for file in self._tree.files():
            if file.lease is not None:
                lease = file.lease
                found.append(
                    OpenFile(file.full_path(), lease.holder, lease.client_machine, lease.truncating)
                )
        return found

    def last_block(self, path: str) -> Block | None:
        """The last block of the file at `path` (None: no blocks, or not a file)."""
        node = self._tree.lookup(path)
        if not isinstance(node, INodeFile) or not node.blocks:
            return None
        return node.blocks[-1]

    def block_owner(self, block_id: int) -> BlockOwner | None:
        """The file a block id belongs to (for block reports), or None for an unknown block."""
        file = self._tree.blocks.get(block_id)
        if file is None:
            return None
        block = next(b for b in file.blocks if b.block_id == block_id)
        return BlockOwner(file.full_path(), block, file.replication, file.under_construction)

    def blocks(self) -> Iterator[BlockOwner]:
        """Every block of every file, with its file's path and replication."""
        for file in self._tree.files():
            path = file.full_path()
            for block in file.blocks:
                yield BlockOwner(path, block, file.replication, file.under_construction)

    # --- helpers for operations ------------------------------------------------------------

    def _checker(self, user: User) -> PermissionChecker:
        return PermissionChecker(user, self.settings.fs_owner, self.settings.supergroup)

    def _resolve(
        self,
        path: str,
        checker: PermissionChecker,
        *,
        creating: bool = False,
        invalid: str | None = None,
    ) -> ResolvedPath:
        """Validate, resolve and traverse `path` (EXECUTE on every existing ancestor).

        `invalid` is the InvalidPathException message for a bad name; by default Hadoop's
        resolvePath wording "Invalid path name Invalid file name: <path>".
        """
        if not is_valid_name(path):
            raise InvalidPathException(invalid or f"Invalid path name Invalid file name: {path}")
        names = components(path)
        resolved = ResolvedPath(names, self._tree.resolve(names))
        checker.check_traverse(resolved, creating=creating)
        return resolved

    def _next_inode_ids(self, count: int) -> list[int]:
        first = self._tree.last_inode_id + 1
        return list(range(first, first + count))

    def _verify_replication(self, path: str, replication: int, client: str | None) -> None:
        settings = self.settings
        if replication > settings.max_replication:
            reason = f" exceeds maximum of {settings.max_replication}"
        elif replication < settings.min_replication:
            reason = f" is less than the required minimum of {settings.min_replication}"
        else:
            return
        raise IOException(
            f"Requested replication factor of {replication}{reason} for {path}"
            + ("" if client is None else f", clientName={client}")
        )

    @staticmethod
    def _file_of(node: INode | None, path: str) -> INodeFile:
        """HDFS's INodeFile.valueOf: the inode must exist and be a file."""
        if node is None:
            raise FileNotFoundException(f"File does not exist: {path}")
        if not isinstance(node, INodeFile):
            raise FileNotFoundException(f"Path is not a file: {path}")
        return node

    @staticmethod
    def _refuse_if_open(
        file: INodeFile, path: str, op: str, client: str, client_machine: str
    ) -> None:
        """FSNamesystem.recoverLeaseInternal for a writer that is not the caller.

        Lease expiry is the daemon's (it calls `release_lease` for expired holders), so an open
        file here always belongs to a live writer.
        """
        lease = file.lease
        if lease is None:
            return
        prefix = f"Failed to {op} {path} for {client} on {client_machine} because "
        if lease.holder == client:
            raise AlreadyBeingCreatedException(
                prefix + f"{client} is already the current lease holder."
            )
        if lease.truncating:
            raise RecoveryInProgressException(
                prefix
                + f"another recovery is in progress by {lease.holder} on {lease.client_machine}"
            )
        raise AlreadyBeingCreatedException(
            prefix
            + f"this file lease is currently owned by {lease.holder} on {lease.client_machine}"
        )

    @staticmethod
    def _status(node: INode, path_suffix: str) -> FileStatus:
        if isinstance(node, INodeFile):
            return FileStatus(
                path_suffix=path_suffix,
                is_directory=False,
                length=node.length,
                owner=node.owner,
                group=node.group,
                permission=node.permission,
                access_time=node.access_time,
                modification_time=node.modification_time,
                block_size=node.block_size,
                replication=node.replication,
                file_id=node.inode_id,
                children_num=0,
            )
        assert isinstance(node, INodeDirectory)
        return FileStatus(
            path_suffix=path_suffix,
            is_directory=True,
            length=0,
            owner=node.owner,
            group=node.group,
            permission=node.permission,
            access_time=node.access_time,
            modification_time=node.modification_time,
            block_size=0,
            replication=0,
            file_id=node.inode_id,
            children_num=len(node.children),
        )
