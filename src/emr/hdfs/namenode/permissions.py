"""HDFS's permission model, as FSPermissionChecker applies it.

The superuser (the user the NameNode runs as, or any member of the supergroup) passes every
check. Everyone else needs EXECUTE on every existing ancestor of a path, plus what each
operation asks of the path's closest existing ancestor, its parent, the path itself or every
directory below it; the owner class applies to the owner, the group class to members of the
inode's group, the other class to the rest. The sticky bit on a directory lets only the owner
of a child, or of the directory, delete or rename that child. ACLs are not modelled.

Messages are Hadoop's, e.g.
`Permission denied: user=alice, access=WRITE, inode="/x":hdfs:supergroup:drwxr-xr-x`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum

from emr.hdfs.namenode.errors import (
    AccessControlException,
    IllegalArgumentException,
    ParentNotDirectoryException,
)
from emr.hdfs.namenode.inodes import INode, INodeDirectory, Tree

__all__ = [
    "FsAction",
    "PermissionChecker",
    "ResolvedPath",
    "User",
    "check_mode",
    "mode_string",
]


class FsAction(IntEnum):
    """Hadoop's FsAction: the names are what permission-denied messages print."""

    NONE = 0
    EXECUTE = 1
    WRITE = 2
    WRITE_EXECUTE = 3
    READ = 4
    READ_EXECUTE = 5
    READ_WRITE = 6
    ALL = 7

    def implies(self, other: FsAction) -> bool:
        """Whether holding this action grants `other`."""
        return (self & other) == other


@dataclass(frozen=True)
class User:
    """The calling user (WebHDFS `user.name`) and the groups it belongs to."""

    name: str
    groups: frozenset[str] = field(default_factory=frozenset)


_SYMBOLS = ("---", "--x", "-w-", "-wx", "r--", "r-x", "rw-", "rwx")


def mode_string(permission: int) -> str:
    """FsPermission.toString: "rwxr-xr-x", the sticky bit shown as t (or T without o+x)."""
    text = (
        _SYMBOLS[(permission >> 6) & 7] + _SYMBOLS[(permission >> 3) & 7] + _SYMBOLS[permission & 7]
    )
    if permission & 0o1000:
        text = text[:-1] + ("t" if permission & 1 else "T")
    return text


def check_mode(permission: int) -> None:
    """Refuse a mode outside 0..1777 (octal), the range WebHDFS's permission parameter has."""
    if not 0 <= permission <= 0o1777:
        # Ours: WebHDFS's PermissionParam refuses such values before the NameNode sees them.
        raise IllegalArgumentException(f"Invalid permission: {permission:o}")


def _type_and_mode(inode: INode) -> str:
    return ("d" if inode.is_directory else "-") + mode_string(inode.permission)


@dataclass(frozen=True)
class ResolvedPath:
    """A path and the inodes along it (root first, None where missing): HDFS's INodesInPath."""

    names: tuple[str, ...]
    inodes: list[INode | None]

    @property
    def path(self) -> str:
        """The normalised path."""
        return self.prefix(len(self.names))

    @property
    def last(self) -> INode | None:
        """The inode the path names, if it exists."""
        return self.inodes[-1]

    @property
    def parent(self) -> INode | None:
        """The inode of the parent directory, if it exists (None for the root)."""
        return self.inodes[-2] if len(self.inodes) > 1 else None

    def prefix(self, index: int) -> str:
        """The path of `inodes[index]`."""
        return "/" + "/".join(self.names[:index])

    def closest_existing_ancestor(self) -> int:
        """Index of the last existing inode above the path's own (HDFS's ancestorIndex)."""
        index = len(self.inodes) - 2
        while index >= 0 and self.inodes[index] is None:
            index -= 1
        return index


class PermissionChecker:
    """The checks one call makes, for one user."""

    def __init__(self, user: User, fs_owner: str, supergroup: str) -> None:
        self.user = user
        self.is_superuser = user.name == fs_owner or supergroup in user.groups

    def is_member_of(self, group: str) -> bool:
        """Whether the caller belongs to `group`."""
        return group in self.user.groups

    def has_permission(self, inode: INode, access: FsAction) -> bool:
        """The owner / group / other class of `inode`'s mode grants `access` to the caller."""
        if self.user.name == inode.owner:
            granted = (inode.permission >> 6) & 7
        elif self.is_member_of(inode.group):
            granted = (inode.permission >> 3) & 7
        else:
            granted = inode.permission & 7
        return FsAction(granted).implies(access)

    def denied(self, inode: INode, path: str, access: FsAction) -> AccessControlException:
        """Hadoop's "Permission denied: user=…, access=…, inode=…" error."""
        return AccessControlException(
            f"Permission denied: user={self.user.name}, access={access.name}, "
            f'inode="{path}":{inode.owner}:{inode.group}:{_type_and_mode(inode)}'
        )

    def check_traverse(self, resolved: ResolvedPath, *, creating: bool) -> None:
        """Every existing ancestor must be a directory the caller may EXECUTE.

        A file in the middle of the path is a ParentNotDirectoryException for operations that
        create, an AccessControlException with the same message for the others (HDFS tunnels
        it that way); the superuser skips the EXECUTE checks only.
        """
        for index in range(resolved.closest_existing_ancestor() + 1):
            inode = resolved.inodes[index]
            assert inode is not None
            if not inode.is_directory:
                message = f"{resolved.prefix(index)} (is not a directory)"
                if creating:
                    raise ParentNotDirectoryException(message)
                raise AccessControlException(message)
            if not self.is_superuser and not self.has_permission(inode, FsAction.EXECUTE):
                raise self.denied(inode, resolved.prefix(index), FsAction.EXECUTE)

    def check(
        self,
        resolved: ResolvedPath,
        *,
        ancestor: FsAction | None = None,
        parent: FsAction | None = None,
        access: FsAction | None = None,
        sub_access: FsAction | None = None,
        ignore_empty_dir: bool = False,
        owner: bool = False,
    ) -> None:
        """FSPermissionChecker.checkPermission after traversal, in Hadoop's order.

        `ancestor` applies to the closest existing ancestor, `parent` to the parent (with the
        sticky-bit rule when it asks WRITE and the path exists), `access` to the path itself,
        `sub_access` to every directory of the subtree, `owner` requires the caller to own it.
        """
        if self.is_superuser:
            return
        inodes = resolved.inodes
        last = len(inodes) - 1
        if parent is not None and parent.implies(FsAction.WRITE) and last >= 1:
            self._check_sticky_bit(resolved)
        if ancestor is not None and last >= 1:
            self._check_one(resolved, resolved.closest_existing_ancestor(), ancestor)
        if parent is not None and last >= 1:
            self._check_one(resolved, last - 1, parent)
        if access is not None:
            self._check_one(resolved, last, access)
        if sub_access is not None:
            self._check_sub_access(resolved, sub_access, ignore_empty_dir)
        if owner:
            inode = inodes[last]
            if inode is not None and inode.owner != self.user.name:
                raise AccessControlException(
                    f"Permission denied. user={self.user.name} is not the owner of "
                    f"inode={resolved.path}"
                )

    def _check_one(self, resolved: ResolvedPath, index: int, access: FsAction) -> None:
        inode = resolved.inodes[index] if index >= 0 else None
        if inode is not None and not self.has_permission(inode, access):
            raise self.denied(inode, resolved.prefix(index), access)

    def _sticky_violated(self, directory: INode, child: INode) -> bool:
        return (
            bool(directory.permission & 0o1000)
            and directory.owner != self.user.name
            and child.owner != self.user.name
        )

    def _sticky_error(
        self, child: INode, child_path: str, directory: INode, directory_path: str
    ) -> AccessControlException:
        return AccessControlException(
            f"Permission denied by sticky bit: user={self.user.name}, "
            f'path="{child_path}":{child.owner}:{child.group}:{_type_and_mode(child)}, '
            f'parent="{directory_path}":{directory.owner}:{directory.group}:'
            f"{_type_and_mode(directory)}"
        )

    def _check_sticky_bit(self, resolved: ResolvedPath) -> None:
        directory, child = resolved.inodes[-2], resolved.inodes[-1]
        if directory is None or child is None:
            return
        if self._sticky_violated(directory, child):
            last = len(resolved.inodes) - 1
            raise self._sticky_error(
                child, resolved.prefix(last), directory, resolved.prefix(last - 1)
            )

    def _check_sub_access(
        self, resolved: ResolvedPath, access: FsAction, ignore_empty_dir: bool
    ) -> None:
        top = resolved.last
        if not isinstance(top, INodeDirectory):
            return
        for node in Tree.walk(top):
            if not isinstance(node, INodeDirectory):
                continue
            if not node.children and ignore_empty_dir:
                continue
            if not self.has_permission(node, access):
                raise self.denied(node, node.full_path(), access)
            for child in node.children.values():
                if self._sticky_violated(node, child):
                    raise self._sticky_error(child, child.full_path(), node, node.full_path())
