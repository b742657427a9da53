"""Writing files: create, blocks, complete, append, truncate, concat, lease release.

The write protocol is ClientProtocol's: `create` opens the file under construction with a lease
for the client (the DFSClient name), `add_block` allocates each block (id and generation stamp
from the namespace's counters, persisted through the record), `complete` closes the file with
its last block's final length. A writer that dies leaves the file open until the daemon calls
`release_lease` (lease expiry). Only the lease holder may add blocks or complete.
"""

from __future__ import annotations

from emr.hdfs.namenode.core import NamespaceCore
from emr.hdfs.namenode.errors import (
    AlreadyBeingCreatedException,
    FileAlreadyExistsException,
    FileNotFoundException,
    HadoopIllegalArgumentException,
    IllegalArgumentException,
    InvalidPathException,
    IOException,
    LeaseExpiredException,
)
from emr.hdfs.namenode.inodes import INodeDirectory, INodeFile
from emr.hdfs.namenode.paths import components, is_valid_name, join
from emr.hdfs.namenode.permissions import FsAction, User, check_mode
from emr.hdfs.namenode.results import AppendResult, CreateResult, TruncateResult
from emr.hdfs.types import Block

__all__ = ["FileOperations"]


class FileOperations(NamespaceCore):
    """The file-writing half of the Namespace."""

    def create(
        self,
        path: str,
        *,
        user: User,
        client: str,
        client_machine: str,
        replication: int,
        block_size: int,
        overwrite: bool = False,
        permission: int = 0o644,
        create_parent: bool = True,
        now: int,
    ) -> CreateResult:
        """Create (or overwrite) a file, under construction with a lease for `client`.

        Missing parents are created (owner the caller, mode the closest existing ancestor's
        plus u+wx, as HDFS does); the new file's group is its parent's.
        """
        if not is_valid_name(path):
            raise InvalidPathException.for_path(path)
        check_mode(permission)
        self._verify_replication(join(components(path)), replication, client_machine)
        if block_size < self.settings.min_block_size:
            raise IOException(
                "Specified block size is less than configured minimum value "
                f"(dfs.namenode.fs-limits.min-block-size): {block_size} < "
                f"{self.settings.min_block_size}"
            )
        checker = self._checker(user)
        resolved = self._resolve(path, checker, creating=True)
        checker.check(resolved, ancestor=FsAction.WRITE)
        src = resolved.path
        existing = resolved.last
        if isinstance(existing, INodeDirectory):
            raise FileAlreadyExistsException(f"{src} already exists as a directory")
        if existing is not None and overwrite:
            checker.check(resolved, access=FsAction.WRITE)
        if existing is None and not create_parent and resolved.parent is None:
            # (A parent that is a file was already refused by the traversal check.)
            parent_path = resolved.prefix(len(resolved.names) - 1)
            raise FileNotFoundException(f"Parent directory doesn't exist: {parent_path}")
        removed: tuple[Block, ...] = ()
        if isinstance(existing, INodeFile):
            if not overwrite:
                self._refuse_if_open(existing, src, "CREATE_FILE", client, client_machine)
                raise FileAlreadyExistsException(
                    f"{src} for client {client_machine} already exists"
                )
            removed = tuple(existing.blocks)
        # Implicit parents: the closest existing ancestor's mode plus u+wx, its group inherited.
        first_missing = resolved.closest_existing_ancestor() + 1
        ancestor = resolved.inodes[first_missing - 1]
        assert ancestor is not None
        ids = self._next_inode_ids(len(resolved.names) - first_missing + 1)
        dirs = [
            {
                "path": resolved.prefix(index),
                "id": ids[index - first_missing],
                "permission": (ancestor.permission & 0o777) | 0o300,
                "group": ancestor.group,
            }
            for index in range(first_missing, len(resolved.names))
        ]
        self._log(
            "ADD",
            path=src,
            id=ids[-1],
            owner=user.name,
            group=ancestor.group,
            permission=permission,
            replication=replication,
            block_size=block_size,
            client=client,
            client_machine=client_machine,
            overwrite=existing is not None,
            time=now,
            dirs=dirs,
        )
        created = self._tree.lookup(src)
        assert created is not None
        return CreateResult(self._status(created, ""), removed)

    def add_block(self, path: str, *, client: str, last_block_length: int | None = None) -> Block:
        """Allocate the file's next block (ClientProtocol.addBlock).

        `last_block_length` is the final length of the block written so far (the `previous`
        block of HDFS's call); None leaves it as recorded.
        """
        file = self._check_lease(path, client)
        if last_block_length is not None and last_block_length < 0:
            raise IllegalArgumentException(f"Invalid block length: {last_block_length}")  # ours
        block = Block(self._tree.last_block_id + 1, self._tree.last_generation_stamp + 1, 0)
        self._log(
            "ADD_BLOCK",
            path=file.full_path(),
            block_id=block.block_id,
            generation_stamp=block.generation_stamp,
            last_block_length=last_block_length,
        )
        return block

    def update_block_for_pipeline(
        self, path: str, *, client: str, block_id: int, num_bytes: int | None = None
    ) -> Block:
        """Give the block being written a new generation stamp (pipeline recovery).

        The surviving DataNodes restamp their replica; a replica of the old stamp found later
        is stale. `num_bytes` is the length the survivors agree on (None: unchanged).
        """
        file = self._check_lease(path, client)
        if not file.blocks or file.blocks[-1].block_id != block_id:
            # Ours: HDFS answers "Unexpected BlockUCState" in this case.
            raise IOException(f"blk_{block_id} is not the last block of {file.full_path()}")
        last = file.blocks[-1]
        block = Block(
            block_id,
            self._tree.last_generation_stamp + 1,
            last.num_bytes if num_bytes is None else num_bytes,
        )
        self._log(
            "UPDATE_BLOCK",
            path=file.full_path(),
            block_id=block_id,
            generation_stamp=block.generation_stamp,
            num_bytes=block.num_bytes,
        )
        return block

    def abandon_block(self, path: str, *, client: str, block_id: int) -> bool:
        """Drop the last block a writer could not write (ClientProtocol.abandonBlock)."""
        file = self._check_lease(path, client)
        if not file.blocks or file.blocks[-1].block_id != block_id:
            return False
        self._log("ABANDON_BLOCK", path=file.full_path(), block_id=block_id)
        return True

    def complete(
        self, path: str, *, client: str, last_block_length: int | None = None, now: int
    ) -> bool:
        """Close the file: its last block gets its final length, the lease ends, mtime = now."""
        file = self._check_lease(path, client)
        self._log("CLOSE", path=file.full_path(), last_block_length=last_block_length, time=now)
        return True

    def release_lease(self, path: str, *, last_block_length: int | None = None, now: int) -> bool:
        """Close an open file on the NameNode's own authority.

        For an expired lease (the writer died) or after the DataNodes finished a truncate's
        block recovery. False when the file is not open.
        """
        if not is_valid_name(path):
            raise InvalidPathException(f"Invalid path name Invalid file name: {path}")
        src = join(components(path))
        file = self._file_of(self._tree.lookup(src), src)
        if file.lease is None:
            return False
        self._log("CLOSE", path=src, last_block_length=last_block_length, time=now)
        return True

    def append(
        self,
        path: str,
        *,
        user: User,
        client: str,
        client_machine: str,
        new_block: bool = False,
    ) -> AppendResult:
        """Reopen a complete file for `client` (WRITE on the file).

        A partial last block is reopened with a new generation stamp unless `new_block`.
        No time changes until the file is closed (as in HDFS).
        """
        checker = self._checker(user)
        resolved = self._resolve(path, checker)
        src = resolved.path
        node = resolved.last
        if isinstance(node, INodeDirectory):
            raise FileAlreadyExistsException(
                f"Cannot append to directory {src}; already exists as a directory."
            )
        checker.check(resolved, access=FsAction.WRITE)
        if node is None:
            raise FileNotFoundException(
                f"Failed to append to non-existent file {src} for client {client_machine}"
            )
        file = self._file_of(node, src)
        self._refuse_if_open(file, src, "APPEND_FILE", client, client_machine)
        reopened: int | None = None
        last = file.blocks[-1] if file.blocks else None
        if not new_block and last is not None and last.num_bytes < file.block_size:
            reopened = self._tree.last_generation_stamp + 1
        self._log(
            "APPEND",
            path=src,
            client=client,
            client_machine=client_machine,
            reopened_generation_stamp=reopened,
        )
        return AppendResult(
            self._status(file, ""), file.blocks[-1] if reopened is not None else None
        )

    def truncate(
        self,
        path: str,
        new_length: int,
        *,
        user: User,
        client: str,
        client_machine: str,
        now: int,
    ) -> TruncateResult:
        """Cut a file to `new_length` (WRITE on the file); see TruncateResult for the protocol.

        Blocks wholly past the new length go at once; a block cut in the middle keeps its id,
        gets a new generation stamp and the file stays under construction, lease `client`,
        until `release_lease`.
        """
        if new_length < 0:
            raise HadoopIllegalArgumentException(
                f"Cannot truncate to a negative file size: {new_length}."
            )
        checker = self._checker(user)
        resolved = self._resolve(path, checker)
        src = resolved.path
        checker.check(resolved, access=FsAction.WRITE)
        file = self._file_of(resolved.last, src)
        lease = file.lease
        if lease is not None and lease.truncating:
            if new_length == file.length:
                return TruncateResult(done=False, removed_blocks=())
            raise AlreadyBeingCreatedException(
                f"Failed to TRUNCATE_FILE {src} for {client} on {client_machine} because "
                f"{src} is being truncated."
            )
        self._refuse_if_open(file, src, "TRUNCATE_FILE", client, client_machine)
        old_length = file.length
        if new_length == old_length:
            return TruncateResult(done=True, removed_blocks=())
        if new_length > old_length:
            raise HadoopIllegalArgumentException(
                "Cannot truncate to a larger file size. Current size: "
                f"{old_length}, truncate size: {new_length}."
            )
        removed: list[Block] = []
        old_block: Block | None = None
        truncated: Block | None = None
        offset = 0
        for block in file.blocks:
            if offset >= new_length:
                removed.append(block)
            elif offset + block.num_bytes > new_length:
                old_block = block
                truncated = Block(
                    block.block_id, self._tree.last_generation_stamp + 1, new_length - offset
                )
            offset += block.num_bytes
        self._log(
            "TRUNCATE",
            path=src,
            new_length=new_length,
            client=client,
            client_machine=client_machine,
            time=now,
            truncate_block=None
            if truncated is None
            else {
                "block_id": truncated.block_id,
                "generation_stamp": truncated.generation_stamp,
                "num_bytes": truncated.num_bytes,
            },
        )
        return TruncateResult(
            done=truncated is None,
            removed_blocks=tuple(removed),
            truncated_block=truncated,
            old_block=old_block,
        )

    def concat(self, target: str, sources: list[str], *, user: User, now: int) -> None:
        """Move the blocks of `sources`, in order, to the end of `target`; remove the sources.

        HDFS's rules: all in one directory, sources complete and non-empty, none the target,
        no duplicates, no source with a larger preferred block size than the target's.
        """
        if not target:
            raise IllegalArgumentException("Target file name is empty")
        if not sources:
            raise IllegalArgumentException("No sources given")
        checker = self._checker(user)
        target_resolved = self._resolve(target, checker)
        checker.check(target_resolved, access=FsAction.WRITE)
        target_path = target_resolved.path
        target_file = self._file_of(target_resolved.last, target_path)
        if target_file.under_construction:
            raise HadoopIllegalArgumentException(
                f"concat: target file {target_path} is under construction"
            )
        seen: set[int] = set()
        source_paths: list[str] = []
        for source in sources:
            resolved = self._resolve(source, checker)
            checker.check(resolved, access=FsAction.READ)
            checker.check(resolved, parent=FsAction.WRITE)
            src = resolved.path
            file = self._file_of(resolved.last, src)
            if file.parent is not target_file.parent:
                raise HadoopIllegalArgumentException(
                    f"Source file {src} is not in the same directory with the target {target_path}"
                )
            if file is target_file:
                raise HadoopIllegalArgumentException(
                    f"concat: the src file {src} is the same with the target file {target_path}"
                )
            if file.under_construction or not file.blocks:
                raise HadoopIllegalArgumentException(
                    f"concat: source file {src} is invalid or empty or underConstruction"
                )
            if file.block_size > target_file.block_size:
                raise HadoopIllegalArgumentException(
                    f"concat: source file {src} has preferred block size {file.block_size} "
                    "which is greater than the target file's preferred block size "
                    f"{target_file.block_size}"
                )
            seen.add(file.inode_id)
            source_paths.append(src)
        if len(seen) < len(sources):
            raise HadoopIllegalArgumentException(
                "concat: at least two of the source files are the same"
            )
        self._log("CONCAT", target=target_path, sources=source_paths, time=now)

    def _check_lease(self, path: str, client: str) -> INodeFile:
        """FSNamesystem.checkLease: the file exists, is open, and `client` holds its lease."""
        if not is_valid_name(path):
            raise InvalidPathException(f"Invalid path name Invalid file name: {path}")
        src = join(components(path))
        node = self._tree.lookup(src)
        held = len(self._tree.leases.get(client, ()))
        lease_text = (
            f" [Lease.  Holder: {client}, pending creates: {held}]"
            if held
            else f" Holder {client} does not have any open files."
        )
        detail = f"{src} (inode {0 if node is None else node.inode_id}){lease_text}"
        if node is None:
            raise FileNotFoundException(f"File does not exist: {detail}")
        if not isinstance(node, INodeFile):
            raise LeaseExpiredException(f"INode is not a regular file: {detail}")
        if node.lease is None:
            raise LeaseExpiredException(f"File is not open for writing: {detail}")
        if node.lease.holder != client:
            raise LeaseExpiredException(
                f"Client (={client}) is not the lease owner (={node.lease.holder}: {detail}"
            )
        return node
