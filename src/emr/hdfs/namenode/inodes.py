"""The INode tree: directories and files, their attributes, blocks and leases.

This is the state the edit records change (see `editops`) and the checkpoint saves: no
permission checks here, only structure. Ids follow HDFS: the root is inode 16385 and new inodes
count up from it; sequential block ids start after 2**30 and generation stamps after 1000.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Final

from emr.hdfs.namenode.errors import EditLogCorruptError
from emr.hdfs.namenode.paths import components
from emr.hdfs.types import Block

__all__ = [
    "FIRST_BLOCK_ID",
    "FIRST_GENERATION_STAMP",
    "ROOT_INODE_ID",
    "SNAPSHOT_LAYOUT",
    "INode",
    "INodeDirectory",
    "INodeFile",
    "Lease",
    "Tree",
    "name_order",
]

#: INodeId.ROOT_INODE_ID in HDFS: ids below it are reserved.
ROOT_INODE_ID: Final = 16385
#: SequentialBlockIdGenerator.LAST_RESERVED_BLOCK_ID is 2**30; the first block gets 2**30 + 1.
FIRST_BLOCK_ID: Final = (1 << 30) + 1
#: GenerationStamp.LAST_RESERVED_STAMP is 1000.
FIRST_GENERATION_STAMP: Final = 1001
#: Version of the snapshot dict (`Tree.snapshot`); bump when its shape changes.
SNAPSHOT_LAYOUT: Final = 1


def name_order(name: str) -> bytes:
    """Sort key of child names: HDFS orders children by their UTF-8 bytes."""
    return name.encode("utf-8")


@dataclass(frozen=True, slots=True)
class Lease:
    """The single writer of a file under construction: DFSClient name and its machine.

    `truncating` marks a file reopened only so its last block can be shortened by the DataNodes
    (HDFS keeps it under construction until that recovery ends).
    """

    holder: str
    client_machine: str
    truncating: bool = False


class INode:
    """What files and directories share: name, owner, group, mode and times (ms)."""

    __slots__ = (
        "access_time",
        "group",
        "inode_id",
        "modification_time",
        "name",
        "owner",
        "parent",
        "permission",
    )

    def __init__(
        self,
        inode_id: int,
        name: str,
        owner: str,
        group: str,
        permission: int,
        modification_time: int,
        access_time: int,
    ) -> None:
        self.inode_id = inode_id
        self.name = name
        self.owner = owner
        self.group = group
        self.permission = permission
        self.modification_time = modification_time
        self.access_time = access_time
        self.parent: INodeDirectory | None = None

    @property
    def is_directory(self) -> bool:
        """Whether this is a directory."""
        return False

    def full_path(self) -> str:
        """The absolute path of this inode, walking up to the root."""
        names: list[str] = []
        node: INode | None = self
        while node is not None and node.parent is not None:
            names.append(node.name)
            node = node.parent
        return "/" + "/".join(reversed(names))


class INodeDirectory(INode):
    """A directory: children by name."""

    __slots__ = ("children",)

    def __init__(
        self,
        inode_id: int,
        name: str,
        owner: str,
        group: str,
        permission: int,
        modification_time: int,
        access_time: int = 0,
    ) -> None:
        super().__init__(inode_id, name, owner, group, permission, modification_time, access_time)
        self.children: dict[str, INode] = {}

    @property
    def is_directory(self) -> bool:
        """Whether this is a directory."""
        return True

    def sorted_children(self) -> list[INode]:
        """Children in HDFS listing order (UTF-8 byte order of names)."""
        return [self.children[name] for name in sorted(self.children, key=name_order)]


class INodeFile(INode):
    """A file: replication factor, preferred block size, blocks, and a lease while open."""

    __slots__ = ("block_size", "blocks", "lease", "replication")

    def __init__(
        self,
        inode_id: int,
        name: str,
        owner: str,
        group: str,
        permission: int,
        modification_time: int,
        access_time: int,
        *,
        replication: int,
        block_size: int,
    ) -> None:
        super().__init__(inode_id, name, owner, group, permission, modification_time, access_time)
        self.replication = replication
        self.block_size = block_size
        self.blocks: list[Block] = []
        self.lease: Lease | None = None

    @property
    def length(self) -> int:
        """The file's length: the sum of its blocks' lengths."""
        return sum(block.num_bytes for block in self.blocks)

    @property
    def under_construction(self) -> bool:
        """Whether a writer holds the file open."""
        return self.lease is not None


class Tree:
    """The namespace's state: the root, id counters, the block → file and lease indexes."""

    def __init__(self, fs_owner: str, supergroup: str) -> None:
        self.root = INodeDirectory(ROOT_INODE_ID, "", fs_owner, supergroup, 0o755, 0)
        self.last_inode_id = ROOT_INODE_ID
        self.last_block_id = FIRST_BLOCK_ID - 1
        self.last_generation_stamp = FIRST_GENERATION_STAMP - 1
        self.last_txid = 0
        self.blocks: dict[int, INodeFile] = {}
        self.leases: dict[str, set[int]] = {}

    # --- lookups ---------------------------------------------------------------------------

    def resolve(self, names: tuple[str, ...]) -> list[INode | None]:
        """The inodes along `names`, root first; None from the first missing one on.

        Like HDFS's INodesInPath, resolution stops at a file: the names after it are None.
        """
        inodes: list[INode | None] = [self.root]
        current: INode | None = self.root
        for name in names:
            current = current.children.get(name) if isinstance(current, INodeDirectory) else None
            inodes.append(current)
        return inodes

    def lookup(self, path: str) -> INode | None:
        """The inode at a normalised path, or None."""
        return self.resolve(components(path))[-1]

    def directory(self, path: str) -> INodeDirectory:
        """The directory at `path`; a replayed record naming anything else is corrupt."""
        node = self.lookup(path)
        if not isinstance(node, INodeDirectory):
            raise EditLogCorruptError(f"{path} is not a directory")
        return node

    def file(self, path: str) -> INodeFile:
        """The file at `path`; a replayed record naming anything else is corrupt."""
        node = self.lookup(path)
        if not isinstance(node, INodeFile):
            raise EditLogCorruptError(f"{path} is not a file")
        return node

    def files(self) -> Iterator[INodeFile]:
        """Every file of the tree, depth first in name order."""
        for node in self.walk(self.root):
            if isinstance(node, INodeFile):
                yield node

    @staticmethod
    def walk(top: INode) -> Iterator[INode]:
        """`top` and everything below it, parents before children, children in name order."""
        stack: list[INode] = [top]
        while stack:
            node = stack.pop()
            yield node
            if isinstance(node, INodeDirectory):
                stack.extend(reversed(node.sorted_children()))

    # --- structure -------------------------------------------------------------------------

    def add_child(self, parent: INodeDirectory, node: INode, mtime: int) -> None:
        """Link `node` under `parent`; the parent's mtime becomes `mtime` (as HDFS does)."""
        node.parent = parent
        parent.children[node.name] = node
        parent.modification_time = mtime
        self.last_inode_id = max(self.last_inode_id, node.inode_id)
        if isinstance(node, INodeFile):
            for block in node.blocks:
                self.blocks[block.block_id] = node
            if node.lease is not None:
                self.leases.setdefault(node.lease.holder, set()).add(node.inode_id)

    def unlink(self, node: INode) -> None:
        """Detach `node` from its parent without forgetting its blocks (rename, concat)."""
        parent = node.parent
        if parent is not None:
            del parent.children[node.name]
        node.parent = None

    def remove(self, node: INode) -> list[Block]:
        """Delete `node` and its subtree; returns the blocks the DataNodes should drop."""
        self.unlink(node)
        removed: list[Block] = []
        for inner in self.walk(node):
            if isinstance(inner, INodeFile):
                removed.extend(inner.blocks)
                for block in inner.blocks:
                    self.blocks.pop(block.block_id, None)
                self.close_lease(inner)
        return removed

    def open_lease(self, file: INodeFile, lease: Lease) -> None:
        """Put `file` under construction for `lease.holder`."""
        self.close_lease(file)
        file.lease = lease
        self.leases.setdefault(lease.holder, set()).add(file.inode_id)

    def close_lease(self, file: INodeFile) -> None:
        """Take `file` out of construction."""
        if file.lease is None:
            return
        held = self.leases.get(file.lease.holder)
        if held is not None:
            held.discard(file.inode_id)
            if not held:
                del self.leases[file.lease.holder]
        file.lease = None

    def index_block(self, file: INodeFile, block: Block) -> None:
        """Record that `block` belongs to `file` and advance the id/stamp counters."""
        self.blocks[block.block_id] = file
        self.last_block_id = max(self.last_block_id, block.block_id)
        self.last_generation_stamp = max(self.last_generation_stamp, block.generation_stamp)

    # --- checkpoints -----------------------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        """A JSON-able image of the whole tree (parents before children, names sorted)."""
        inodes: list[dict[str, Any]] = []
        for node in self.walk(self.root):
            entry: dict[str, Any] = {
                "id": node.inode_id,
                "parent": None if node.parent is None else node.parent.inode_id,
                "name": node.name,
                "owner": node.owner,
                "group": node.group,
                "permission": node.permission,
                "mtime": node.modification_time,
                "atime": node.access_time,
            }
            if isinstance(node, INodeFile):
                entry["type"] = "FILE"
                entry["replication"] = node.replication
                entry["block_size"] = node.block_size
                entry["blocks"] = [
                    [b.block_id, b.generation_stamp, b.num_bytes] for b in node.blocks
                ]
                lease = node.lease
                entry["lease"] = (
                    None
                    if lease is None
                    else [lease.holder, lease.client_machine, lease.truncating]
                )
            else:
                entry["type"] = "DIRECTORY"
            inodes.append(entry)
        return {
            "layout": SNAPSHOT_LAYOUT,
            "txid": self.last_txid,
            "last_inode_id": self.last_inode_id,
            "last_block_id": self.last_block_id,
            "last_generation_stamp": self.last_generation_stamp,
            "inodes": inodes,
        }

    @classmethod
    def from_snapshot(cls, image: dict[str, Any]) -> Tree:
        """Rebuild a tree from `snapshot()`'s output."""
        try:
            if image["layout"] != SNAPSHOT_LAYOUT:
                raise EditLogCorruptError(f"unknown fsimage layout {image['layout']!r}")
            entries: list[dict[str, Any]] = image["inodes"]
            root_entry = entries[0]
            tree = cls(root_entry["owner"], root_entry["group"])
            _restore_attributes(tree.root, root_entry)
            by_id: dict[int, INodeDirectory] = {tree.root.inode_id: tree.root}
            for entry in entries[1:]:
                node = _restore_inode(entry)
                parent = by_id[int(entry["parent"])]
                mtime = parent.modification_time
                tree.add_child(parent, node, mtime)
                if isinstance(node, INodeDirectory):
                    by_id[node.inode_id] = node
            tree.last_txid = int(image["txid"])
            tree.last_inode_id = int(image["last_inode_id"])
            tree.last_block_id = int(image["last_block_id"])
            tree.last_generation_stamp = int(image["last_generation_stamp"])
        except (KeyError, IndexError, TypeError, ValueError) as exc:
            raise EditLogCorruptError(f"fsimage cannot be read: {exc!r}") from exc
        return tree


def _restore_attributes(node: INode, entry: dict[str, Any]) -> None:
    node.inode_id = int(entry["id"])
    node.name = str(entry["name"])
    node.owner = str(entry["owner"])
    node.group = str(entry["group"])
    node.permission = int(entry["permission"])
    node.modification_time = int(entry["mtime"])
    node.access_time = int(entry["atime"])


def _restore_inode(entry: dict[str, Any]) -> INode:
    node: INode
    if entry["type"] == "FILE":
        file = INodeFile(
            0, "", "", "", 0, 0, 0,
            replication=int(entry["replication"]),
            block_size=int(entry["block_size"]),
        )  # fmt: skip
        file.blocks = [Block(int(i), int(gs), int(n)) for i, gs, n in entry["blocks"]]
        if entry["lease"] is not None:
            holder, machine, truncating = entry["lease"]
            file.lease = Lease(str(holder), str(machine), bool(truncating))
        node = file
    elif entry["type"] == "DIRECTORY":
        node = INodeDirectory(0, "", "", "", 0, 0)
    else:
        raise EditLogCorruptError(f"unknown inode type {entry['type']!r}")
    _restore_attributes(node, entry)
    return node
