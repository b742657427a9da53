"""Edit records and what each does to the tree: the role of HDFS's FSEditLogLoader.

A record is a small JSON-able dict: `op`, `txid` (consecutive from 1) and the op's arguments,
every value already decided (ids, generation stamps, owners, groups, times), so applying the
same records in the same order to the same tree always gives the same tree. The Namespace
applies every mutation through `apply` too, so live changes and replay cannot drift apart.

    op               arguments
    MKDIRS           owner, time, dirs: [{path, id, permission, group}]  (parents first)
    ADD              path, id, owner, group, permission, replication, block_size, client,
                     client_machine, overwrite, time, dirs (implicit parents, as MKDIRS)
    ADD_BLOCK        path, block_id, generation_stamp, last_block_length (of the previous block)
    UPDATE_BLOCK     path, block_id, generation_stamp, num_bytes      (pipeline recovery)
    ABANDON_BLOCK    path, block_id
    CLOSE            path, last_block_length, time                    (complete, lease release)
    APPEND           path, client, client_machine, reopened_generation_stamp (or null)
    DELETE           path, time
    RENAME_OLD       src, dst, time        (dst is the final name: "into a directory" resolved)
    RENAME           src, dst, overwrite, time
    SET_PERMISSION   path, permission
    SET_OWNER        path, owner, group   (null = unchanged)
    TIMES            path, mtime, atime   (-1 = unchanged)
    SET_REPLICATION  path, replication
    CONCAT           target, sources, time
    TRUNCATE         path, new_length, client, client_machine, time, truncate_block
                     ({block_id, generation_stamp, num_bytes} when not on a block boundary)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any, Final

from emr.hdfs.namenode.errors import EditLogCorruptError
from emr.hdfs.namenode.inodes import INode, INodeDirectory, INodeFile, Lease, Tree
from emr.hdfs.namenode.paths import basename, parent_of
from emr.hdfs.types import Block

__all__ = ["EDIT_OPS", "EditRecord", "apply"]

EditRecord = dict[str, Any]


def apply(tree: Tree, record: EditRecord) -> None:
    """Apply one record; a record that does not fit the tree is an EditLogCorruptError."""
    op = record.get("op")
    handler = EDIT_OPS.get(op) if isinstance(op, str) else None
    if handler is None:
        raise EditLogCorruptError(f"unknown edit op {op!r} (txid {record.get('txid')})")
    try:
        handler(tree, record)
    except EditLogCorruptError:
        raise
    except (KeyError, IndexError, TypeError, ValueError, AttributeError) as exc:
        raise EditLogCorruptError(
            f"edit {record.get('txid')} ({op}) does not apply: {exc!r}"
        ) from exc
    tree.last_txid = int(record["txid"])


def _make_dirs(tree: Tree, dirs: list[dict[str, Any]], owner: str, time: int) -> None:
    for entry in dirs:
        path = str(entry["path"])
        directory = INodeDirectory(
            int(entry["id"]),
            basename(path),
            owner,
            str(entry["group"]),
            int(entry["permission"]),
            time,
        )
        tree.add_child(tree.directory(parent_of(path)), directory, time)


def _set_last_block_length(tree: Tree, file: INodeFile, length: Any) -> None:
    if length is None or not file.blocks:
        return
    last = file.blocks[-1]
    file.blocks[-1] = replace(last, num_bytes=int(length))
    tree.blocks[last.block_id] = file


def _mkdirs(tree: Tree, r: EditRecord) -> None:
    _make_dirs(tree, r["dirs"], str(r["owner"]), int(r["time"]))


def _add(tree: Tree, r: EditRecord) -> None:
    path, time = str(r["path"]), int(r["time"])
    existing = tree.lookup(path)
    if existing is not None:
        if not r["overwrite"] or not isinstance(existing, INodeFile):
            raise EditLogCorruptError(f"ADD over existing {path} without overwrite")
        parent = existing.parent
        tree.remove(existing)
        if parent is not None:
            parent.modification_time = time
    _make_dirs(tree, r["dirs"], str(r["owner"]), time)
    file = INodeFile(
        int(r["id"]),
        basename(path),
        str(r["owner"]),
        str(r["group"]),
        int(r["permission"]),
        time,
        time,
        replication=int(r["replication"]),
        block_size=int(r["block_size"]),
    )
    tree.add_child(tree.directory(parent_of(path)), file, time)
    tree.open_lease(file, Lease(str(r["client"]), str(r["client_machine"])))


def _add_block(tree: Tree, r: EditRecord) -> None:
    file = tree.file(str(r["path"]))
    _set_last_block_length(tree, file, r["last_block_length"])
    block = Block(int(r["block_id"]), int(r["generation_stamp"]), 0)
    file.blocks.append(block)
    tree.index_block(file, block)


def _update_block(tree: Tree, r: EditRecord) -> None:
    file = tree.file(str(r["path"]))
    block_id = int(r["block_id"])
    index = next(i for i, b in enumerate(file.blocks) if b.block_id == block_id)
    block = Block(block_id, int(r["generation_stamp"]), int(r["num_bytes"]))
    file.blocks[index] = block
    tree.index_block(file, block)


def _abandon_block(tree: Tree, r: EditRecord) -> None:
    file = tree.file(str(r["path"]))
    block_id = int(r["block_id"])
    if not file.blocks or file.blocks[-1].block_id != block_id:
        raise EditLogCorruptError(f"ABANDON_BLOCK {block_id} is not the last block")
    file.blocks.pop()
    tree.blocks.pop(block_id, None)


def _close(tree: Tree, r: EditRecord) -> None:
    file = tree.file(str(r["path"]))
    _set_last_block_length(tree, file, r["last_block_length"])
    tree.close_lease(file)
    file.modification_time = int(r["time"])


def _append(tree: Tree, r: EditRecord) -> None:
    file = tree.file(str(r["path"]))
    tree.open_lease(file, Lease(str(r["client"]), str(r["client_machine"])))
    stamp = r["reopened_generation_stamp"]
    if stamp is not None:
        block = replace(file.blocks[-1], generation_stamp=int(stamp))
        file.blocks[-1] = block
        tree.index_block(file, block)


def _delete(tree: Tree, r: EditRecord) -> None:
    node = _existing(tree, str(r["path"]))
    parent = node.parent
    tree.remove(node)
    if parent is not None:
        parent.modification_time = int(r["time"])


def _move(tree: Tree, src: str, dst: str, time: int) -> None:
    node = _existing(tree, src)
    source_parent = node.parent
    target_parent = tree.directory(parent_of(dst))
    tree.unlink(node)
    node.name = basename(dst)
    tree.add_child(target_parent, node, time)
    if source_parent is not None:
        source_parent.modification_time = time


def _rename_old(tree: Tree, r: EditRecord) -> None:
    _move(tree, str(r["src"]), str(r["dst"]), int(r["time"]))


def _rename(tree: Tree, r: EditRecord) -> None:
    dst = str(r["dst"])
    existing = tree.lookup(dst)
    if existing is not None:
        if not r["overwrite"]:
            raise EditLogCorruptError(f"RENAME onto existing {dst} without overwrite")
        tree.remove(existing)
    _move(tree, str(r["src"]), dst, int(r["time"]))


def _set_permission(tree: Tree, r: EditRecord) -> None:
    _existing(tree, str(r["path"])).permission = int(r["permission"])


def _set_owner(tree: Tree, r: EditRecord) -> None:
    node = _existing(tree, str(r["path"]))
    if r["owner"] is not None:
        node.owner = str(r["owner"])
    if r["group"] is not None:
        node.group = str(r["group"])


def _times(tree: Tree, r: EditRecord) -> None:
    node = _existing(tree, str(r["path"]))
    if int(r["mtime"]) != -1:
        node.modification_time = int(r["mtime"])
    if int(r["atime"]) != -1:
        node.access_time = int(r["atime"])


def _set_replication(tree: Tree, r: EditRecord) -> None:
    tree.file(str(r["path"])).replication = int(r["replication"])


def _concat(tree: Tree, r: EditRecord) -> None:
    target = tree.file(str(r["target"]))
    time = int(r["time"])
    for source_path in r["sources"]:
        source = tree.file(str(source_path))
        for block in source.blocks:
            target.blocks.append(block)
            tree.blocks[block.block_id] = target
        tree.unlink(source)
    target.modification_time = time
    if target.parent is not None:
        target.parent.modification_time = time


def _truncate(tree: Tree, r: EditRecord) -> None:
    file = tree.file(str(r["path"]))
    new_length = int(r["new_length"])
    kept: list[Block] = []
    offset = 0
    for block in file.blocks:
        if offset < new_length:
            kept.append(block)
        else:
            tree.blocks.pop(block.block_id, None)
        offset += block.num_bytes
    file.blocks = kept
    shortened = r["truncate_block"]
    if shortened is not None:
        block = Block(
            int(shortened["block_id"]),
            int(shortened["generation_stamp"]),
            int(shortened["num_bytes"]),
        )
        if not kept or kept[-1].block_id != block.block_id:
            raise EditLogCorruptError(f"TRUNCATE block {block.block_id} is not the last")
        kept[-1] = block
        tree.index_block(file, block)
        tree.open_lease(file, Lease(str(r["client"]), str(r["client_machine"]), truncating=True))
    file.modification_time = int(r["time"])


def _existing(tree: Tree, path: str) -> INode:
    node = tree.lookup(path)
    if node is None:
        raise EditLogCorruptError(f"{path} does not exist")
    return node


EDIT_OPS: Final[dict[str, Callable[[Tree, EditRecord], None]]] = {
    "MKDIRS": _mkdirs,
    "ADD": _add,
    "ADD_BLOCK": _add_block,
    "UPDATE_BLOCK": _update_block,
    "ABANDON_BLOCK": _abandon_block,
    "CLOSE": _close,
    "APPEND": _append,
    "DELETE": _delete,
    "RENAME_OLD": _rename_old,
    "RENAME": _rename,
    "SET_PERMISSION": _set_permission,
    "SET_OWNER": _set_owner,
    "TIMES": _times,
    "SET_REPLICATION": _set_replication,
    "CONCAT": _concat,
    "TRUNCATE": _truncate,
}
