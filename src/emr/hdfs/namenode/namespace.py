"""The NameNode's namespace: the INode tree with HDFS's rules, pure (no I/O, no clock, no locks).

Every operation takes the calling `User` and, when it changes times, `now` in ms since the
epoch; it checks paths and permissions the way HDFS does and answers or raises exactly what a
WebHDFS client would see (`errors`). Mutations queue one edit record each: the daemon drains
them with `take_edits()`, appends them to the EditLog (fsync), and only then answers the client.
`Namespace.from_snapshot(image)` + `replay(records)` rebuild the same tree after a restart.

Reproduced from HDFS (FSDir*Op, FSPermissionChecker, NamenodeWebHdfsMethods): permission checks
and their order; messages and exception classes; FileSystem rename (false for missing source,
missing destination parent, existing destination, destination under source; into an existing
directory) and FileContext rename with OVERWRITE; mkdirs' implicit u+wx parents; the BSD group
rule (a new inode takes its parent's group); concat and truncate rules; leases (one writer; the
holder's own retry is refused too). Default modes are WebHDFS's: 755 directories, 644 files,
no umask applied on the server.

LIMITATIONS: no symlinks, ACLs, xattrs, snapshots, quotas, storage policies or encryption
zones; lease soft/hard limits are the daemon's (it calls `release_lease`); file names must be
valid for every operation (Hadoop 3 lets reads of invalid names fall through to "not found");
a file's length includes its last block as last reported while it is being written.
"""

from __future__ import annotations

from bisect import bisect_right
from typing import Any

from emr.hdfs.namenode.core import NamespaceSettings
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
from emr.hdfs.namenode.files import FileOperations
from emr.hdfs.namenode.inodes import INodeDirectory, INodeFile, Tree, name_order
from emr.hdfs.namenode.paths import components, is_under, is_valid_name, join
from emr.hdfs.namenode.permissions import (
    FsAction,
    PermissionChecker,
    ResolvedPath,
    User,
    check_mode,
)
from emr.hdfs.namenode.results import (
    ContentSummary,
    DeleteResult,
    DirectoryListing,
    FileStatus,
    LocatedBlock,
    LocatedBlocks,
    ReplicationChange,
)
from emr.hdfs.types import Block

__all__ = ["Namespace", "NamespaceSettings"]


class Namespace(FileOperations):
    """The directory tree of one HDFS, with HDFS's semantics and permission model."""

    @classmethod
    def from_snapshot(
        cls, image: dict[str, Any], settings: NamespaceSettings | None = None
    ) -> Namespace:
        """The namespace a checkpoint (`snapshot()`) describes; replay later edits on it."""
        namespace = cls(settings)
        namespace._restore(image)
        return namespace

    # --- reads -----------------------------------------------------------------------------

    def get_file_status(self, path: str, *, user: User) -> FileStatus:
        """GETFILESTATUS (EXECUTE on the ancestors only); pathSuffix is ""."""
        checker = self._checker(user)
        try:
            resolved = self._resolve(path, checker)
        except AccessControlException:
            # HDFS's getFileInfo answers "no such file" to the superuser when an ancestor is
            # a file; everyone else gets the access error.
            if not checker.is_superuser:
                raise
            raise FileNotFoundException(f"File does not exist: {path}") from None
        if resolved.last is None:
            raise FileNotFoundException(f"File does not exist: {path}")
        return self._status(resolved.last, "")

    def list_status(
        self,
        path: str,
        *,
        user: User,
        start_after: str | None = None,
        limit: int | None = None,
    ) -> DirectoryListing:
        """LISTSTATUS / LISTSTATUS_BATCH: children after `start_after`, at most `limit`.

        A directory needs READ_EXECUTE; a file lists itself (pathSuffix ""). Children come in
        UTF-8 byte order of their names.
        """
        checker = self._checker(user)
        resolved = self._resolve(path, checker)
        node = resolved.last
        if node is None:
            raise FileNotFoundException(f"File {path} does not exist.")
        if not isinstance(node, INodeDirectory):
            return DirectoryListing((self._status(node, ""),), 0)
        checker.check(resolved, access=FsAction.READ_EXECUTE)
        names = sorted(node.children, key=name_order)
        start = 0
        if start_after:
            start = bisect_right([name_order(n) for n in names], name_order(start_after))
        end = len(names) if limit is None else min(len(names), start + max(limit, 0))
        statuses = tuple(self._status(node.children[n], n) for n in names[start:end])
        return DirectoryListing(statuses, len(names) - end)

    def get_content_summary(self, path: str, *, user: User) -> ContentSummary:
        """GETCONTENTSUMMARY: READ_EXECUTE on every directory below; quotas are -1."""
        checker = self._checker(user)
        resolved = self._resolve(path, checker)
        checker.check(resolved, sub_access=FsAction.READ_EXECUTE)
        if resolved.last is None:
            raise FileNotFoundException(f"File does not exist: {resolved.path}")
        length = files = directories = consumed = 0
        for node in Tree.walk(resolved.last):
            if isinstance(node, INodeFile):
                files += 1
                length += node.length
                consumed += node.length * node.replication
            else:
                directories += 1
        return ContentSummary(length, files, directories, consumed)

    def get_home_directory(self, user: User) -> str:
        """GETHOMEDIRECTORY: /user/<name>, whether or not it exists."""
        return f"/user/{user.name}"

    def get_block_locations(
        self, path: str, *, user: User, offset: int = 0, length: int | None = None, now: int
    ) -> LocatedBlocks:
        """The blocks of a file overlapping [offset, offset + length) (READ on the file).

        Like HDFS, a read moves the file's access time to `now` when it is older than the
        access-time precision; that queues a TIMES record.
        """
        if offset < 0:
            raise HadoopIllegalArgumentException(f"Negative offset is not supported. File: {path}")
        if length is not None and length < 0:
            raise HadoopIllegalArgumentException(f"Negative length is not supported. File: {path}")
        checker = self._checker(user)
        resolved = self._resolve(path, checker)
        checker.check(resolved, access=FsAction.READ)
        file = self._file_of(resolved.last, resolved.path)
        precision = self.settings.access_time_precision_ms
        if precision > 0 and now > file.access_time + precision:
            self._log("TIMES", path=resolved.path, mtime=-1, atime=now)
        end = file.length if length is None else offset + length
        located: list[LocatedBlock] = []
        start = 0
        for block in file.blocks:
            if start < end and start + block.num_bytes > offset:
                located.append(LocatedBlock(block, start))
            start += block.num_bytes
        return LocatedBlocks(file.length, tuple(located), file.under_construction)

    # --- directories -----------------------------------------------------------------------

    def mkdirs(self, path: str, *, user: User, permission: int = 0o755, now: int) -> bool:
        """MKDIRS: create the directory and its missing parents; True (also if it exists).

        Parents get the requested mode plus u+wx so the caller can go on creating; all new
        directories take the group of the closest existing ancestor.
        """
        if not is_valid_name(path):
            raise InvalidPathException.for_path(path)
        check_mode(permission)
        checker = self._checker(user)
        resolved = self._resolve(path, checker, creating=True)
        last = resolved.last
        if last is not None:
            if not last.is_directory:
                raise FileAlreadyExistsException(f"Path is not a directory: {resolved.path}")
            return True
        checker.check(resolved, ancestor=FsAction.WRITE)
        first_missing = resolved.closest_existing_ancestor() + 1
        ancestor = resolved.inodes[first_missing - 1]
        assert ancestor is not None
        count = len(resolved.names) - first_missing + 1
        ids = self._next_inode_ids(count)
        implicit = (permission & 0o777) | 0o300
        dirs = [
            {
                "path": resolved.prefix(index),
                "id": ids[index - first_missing],
                "permission": permission if index == len(resolved.names) else implicit,
                "group": ancestor.group,
            }
            for index in range(first_missing, len(resolved.names) + 1)
        ]
        self._log("MKDIRS", owner=user.name, time=now, dirs=dirs)
        return True

    def delete(self, path: str, *, user: User, recursive: bool, now: int) -> DeleteResult:
        """DELETE: False when the path is missing or is the root.

        Needs WRITE on the parent (sticky bit honoured) and rwx on every non-empty directory
        below. The removed files' blocks come back so the DataNodes can drop their replicas.
        """
        checker = self._checker(user)
        resolved = self._resolve(path, checker)
        checker.check(
            resolved, parent=FsAction.WRITE, sub_access=FsAction.ALL, ignore_empty_dir=True
        )
        node = resolved.last
        if isinstance(node, INodeDirectory) and node.children and not recursive:
            raise PathIsNotEmptyDirectoryException.for_path(resolved.path)
        if node is None or not resolved.names:
            return DeleteResult(False, ())
        blocks = tuple(b for f in Tree.walk(node) if isinstance(f, INodeFile) for b in f.blocks)
        self._log("DELETE", path=resolved.path, time=now)
        return DeleteResult(True, blocks)

    def rename(self, src: str, dst: str, *, user: User, now: int) -> bool:
        """FileSystem.rename (RENAME without renameoptions): False rather than most errors.

        Renaming onto an existing directory moves `src` inside it. False when the source is
        missing or the root, the final destination exists, its parent is missing, or it lies
        under the source; True without change when source and final destination are equal.
        """
        if not is_valid_name(dst):
            raise IOException(f"Invalid name: {dst}")
        checker = self._checker(user)
        source = self._resolve(src, checker)
        target = self._resolve(dst, checker, creating=True)
        if isinstance(target.last, INodeDirectory) and source.names:
            names = (*target.names, source.names[-1])
            target = ResolvedPath(names, self._tree.resolve(names))
            checker.check_traverse(target, creating=True)
        checker.check(source, parent=FsAction.WRITE)
        checker.check(target, ancestor=FsAction.WRITE)
        if source.last is None or not source.names:
            return False
        if target.path == source.path:
            return True
        if is_under(target.path, source.path) or target.last is not None:
            return False
        if not isinstance(target.parent, INodeDirectory):
            return False
        self._log("RENAME_OLD", src=source.path, dst=target.path, time=now)
        return True

    def rename2(
        self, src: str, dst: str, *, user: User, overwrite: bool = False, now: int
    ) -> tuple[Block, ...]:
        """FileContext.rename (RENAME with renameoptions=NONE|OVERWRITE): errors, not False.

        Returns the blocks of an overwritten destination file (for the DataNodes to drop).
        """
        if not is_valid_name(dst):
            raise InvalidPathException(f"Invalid path name Invalid name: {dst}")
        checker = self._checker(user)
        source = self._resolve(src, checker)
        target = self._resolve(dst, checker, creating=True)
        checker.check(source, parent=FsAction.WRITE)
        checker.check(target, ancestor=FsAction.WRITE)
        src_path, dst_path = source.path, target.path
        moving = source.last
        if moving is None:
            raise FileNotFoundException(f"rename source {src_path} is not found.")
        if not source.names:
            raise IOException("rename source cannot be the root")
        if dst_path == src_path:
            raise FileAlreadyExistsException(
                f"The source {src_path} and destination {dst_path} are the same"
            )
        if is_under(dst_path, src_path):
            raise IOException(
                f"Rename destination {dst_path} is a directory or file under source {src_path}"
            )
        if not target.names:
            raise IOException("rename destination cannot be the root")
        replaced = target.last
        removed: tuple[Block, ...] = ()
        if replaced is not None:
            if replaced.is_directory != moving.is_directory:
                raise IOException(
                    f"Source {src_path} and destination {dst_path} must both be directories"
                )
            if not overwrite:
                raise FileAlreadyExistsException(f"rename destination {dst_path} already exists")
            if isinstance(replaced, INodeDirectory) and replaced.children:
                raise IOException(f"rename destination directory is not empty: {dst_path}")
            if isinstance(replaced, INodeFile):
                removed = tuple(replaced.blocks)
        if target.parent is None:
            raise FileNotFoundException(f"rename destination parent {dst_path} not found.")
        if not target.parent.is_directory:
            raise ParentNotDirectoryException(f"rename destination parent {dst_path} is a file.")
        self._log("RENAME", src=src_path, dst=dst_path, overwrite=replaced is not None, time=now)
        return removed

    # --- attributes ------------------------------------------------------------------------

    def set_permission(self, path: str, permission: int, *, user: User) -> None:
        """SETPERMISSION: the owner or the superuser; no time changes."""
        check_mode(permission)
        checker = self._checker(user)
        resolved = self._existing_for_owner(path, checker)
        self._log("SET_PERMISSION", path=resolved.path, permission=permission)

    def set_owner(
        self, path: str, *, user: User, owner: str | None = None, group: str | None = None
    ) -> None:
        """SETOWNER: only the superuser gives a file away; its owner may change its group
        to one the owner belongs to."""
        if owner is None and group is None:
            raise IllegalArgumentException("Both owner and group are empty.")
        checker = self._checker(user)
        resolved = self._existing_for_owner(path, checker)
        if not checker.is_superuser:
            if owner is not None and owner != user.name:
                raise AccessControlException(
                    f"User {user.name} is not a super user (non-super user cannot change owner)."
                )
            if group is not None and not checker.is_member_of(group):
                raise AccessControlException(f"User {user.name} does not belong to {group}")
        self._log("SET_OWNER", path=resolved.path, owner=owner, group=group)

    def set_times(
        self, path: str, *, user: User, modification_time: int = -1, access_time: int = -1
    ) -> None:
        """SETTIMES (WRITE on the path); -1 leaves a time unchanged."""
        checker = self._checker(user)
        resolved = self._resolve(path, checker)
        checker.check(resolved, access=FsAction.WRITE)
        if resolved.last is None:
            raise FileNotFoundException(f"File/Directory {resolved.path} does not exist.")
        if modification_time == -1 and access_time == -1:
            return
        self._log("TIMES", path=resolved.path, mtime=modification_time, atime=access_time)

    def set_replication(
        self, path: str, replication: int, *, user: User
    ) -> ReplicationChange | None:
        """SETREPLICATION (WRITE on the path): None (WebHDFS's false) unless it is a file.

        The change lists the file's blocks so the block manager can add or drop replicas.
        """
        if is_valid_name(path):
            self._verify_replication(join(components(path)), replication, None)
        checker = self._checker(user)
        resolved = self._resolve(path, checker)
        checker.check(resolved, access=FsAction.WRITE)
        file = resolved.last
        if not isinstance(file, INodeFile):
            return None
        old = file.replication
        if old != replication:
            self._log("SET_REPLICATION", path=resolved.path, replication=replication)
        return ReplicationChange(tuple(file.blocks), old, replication)

    def _existing_for_owner(self, path: str, checker: PermissionChecker) -> ResolvedPath:
        resolved = self._resolve(path, checker)
        if resolved.last is None:
            raise FileNotFoundException(f"Directory/File does not exist {resolved.path}")
        checker.check(resolved, owner=True)
        return resolved
