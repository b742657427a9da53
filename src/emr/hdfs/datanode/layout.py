"""A replica store's files: their names, the record of a finalized replica, and what opening
the store repairs after a crash.

    <directory>/finalized/blk_<id>                 the replica's bytes
    <directory>/finalized/blk_<id>_<genstamp>.meta its chunk CRCs (layout in `checksums`)
    <directory>/rbw/…                              replicas being written, append/truncate metas

Recovery (`recover`): everything in rbw/ is removed: it was never acknowledged, since a write
is acknowledged only after every replica of the pipeline finalized, and the client's pipeline
recovery or the NameNode's re-replication restores it. In finalized/, for each block the meta
with the highest generation stamp wins (older ones are leftovers of a committed append or
truncate); a meta without data is an interrupted finalize and is removed; a data file longer
than its meta's length is cut back (an uncommitted append or an unfinished truncate). A data
file without a meta, shorter than its meta's length, or with a meta of the wrong size is
corrupt: it is kept and reported (generation stamp 0 when unknown).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from emr.durable import fsync_directory
from emr.hdfs.datanode.checksums import HEADER_SIZE, InvalidMetaHeader, MetaHeader
from emr.hdfs.types import Block

__all__ = [
    "DATA_NAME",
    "META_NAME",
    "RecoveryReport",
    "Replica",
    "data_name",
    "meta_name",
    "pread_exact",
    "recover",
]

DATA_NAME: Final = re.compile(r"blk_(-?\d+)")
META_NAME: Final = re.compile(r"blk_(-?\d+)_(\d+)\.meta")


@dataclass(frozen=True)
class RecoveryReport:
    """What opening the store repaired (paths relative to its directory)."""

    removed: tuple[str, ...] = ()
    truncated: tuple[int, ...] = ()
    corrupt: tuple[int, ...] = ()


@dataclass(frozen=True)
class Replica:
    """A finalized replica: its committed version and chunk size."""

    block_id: int
    generation_stamp: int
    length: int
    bytes_per_checksum: int

    @property
    def block(self) -> Block:
        return Block(self.block_id, self.generation_stamp, self.length)

    @property
    def meta_header(self) -> MetaHeader:
        return MetaHeader(self.bytes_per_checksum, self.length)


def data_name(block_id: int) -> str:
    return f"blk_{block_id}"


def meta_name(block_id: int, generation_stamp: int) -> str:
    return f"blk_{block_id}_{generation_stamp}.meta"


def pread_exact(fd: int, size: int, offset: int) -> bytes:
    """`size` bytes at `offset`, fewer only at the end of the file."""
    data = os.pread(fd, size, offset)
    while len(data) < size:
        more = os.pread(fd, size - len(data), offset + len(data))
        if not more:
            break
        data += more
    return data


def recover(
    finalized_dir: Path, rbw_dir: Path
) -> tuple[dict[int, Replica], dict[int, Block], RecoveryReport]:
    """Repair the directories after a crash; the good replicas, the corrupt ones, a report."""
    replicas: dict[int, Replica] = {}
    corrupt: dict[int, Block] = {}
    removed: list[str] = []
    for entry in sorted(rbw_dir.iterdir()):
        entry.unlink()
        removed.append(f"rbw/{entry.name}")
    data_files: dict[int, Path] = {}
    metas: dict[int, list[tuple[int, Path]]] = {}
    for entry in finalized_dir.iterdir():
        if match := DATA_NAME.fullmatch(entry.name):
            data_files[int(match[1])] = entry
        elif match := META_NAME.fullmatch(entry.name):
            metas.setdefault(int(match[1]), []).append((int(match[2]), entry))
    truncated: list[int] = []
    for block_id in sorted(data_files.keys() | metas.keys()):
        candidates = sorted(metas.get(block_id, []))
        for _, stale in candidates[:-1]:  # a committed append/truncate's old meta
            stale.unlink()
            removed.append(f"finalized/{stale.name}")
        data_path = data_files.get(block_id)
        if data_path is None:  # an interrupted finalize
            for _, orphan in candidates[-1:]:
                orphan.unlink()
                removed.append(f"finalized/{orphan.name}")
            continue
        size = data_path.stat().st_size
        if not candidates:
            corrupt[block_id] = Block(block_id, 0, size)
            continue
        generation_stamp, meta_path = candidates[-1]
        try:
            with open(meta_path, "rb") as meta:
                header = MetaHeader.unpack(meta.read(HEADER_SIZE))
        except InvalidMetaHeader:
            corrupt[block_id] = Block(block_id, generation_stamp, size)
            continue
        committed = Block(block_id, generation_stamp, header.data_length)
        if meta_path.stat().st_size != header.meta_size or size < header.data_length:
            corrupt[block_id] = committed
            continue
        if size > header.data_length:  # an uncommitted append, an unfinished truncate
            with open(data_path, "r+b") as data:
                data.truncate(header.data_length)
                os.fsync(data.fileno())
            truncated.append(block_id)
        replicas[block_id] = Replica(
            block_id, generation_stamp, header.data_length, header.bytes_per_checksum
        )
    if removed:
        fsync_directory(rbw_dir)
        fsync_directory(finalized_dir)
    report = RecoveryReport(tuple(removed), tuple(truncated), tuple(sorted(corrupt)))
    return replicas, corrupt, report
