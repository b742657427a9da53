"""A DataNode's replicas on local disk: `BlockStore(directory)` (files and recovery at open in
`layout`, errors in `errors`).

Durability. A new replica is written to rbw/; `finalize()` fsyncs the data and the meta file,
renames the meta into finalized/, fsyncs the directory, then renames the data (the commit
point) and fsyncs the directory again. An append writes the new bytes in place at the end of
the finalized data file and the new meta (old CRCs, the recomputed last partial chunk, the new
ones) to rbw/; its commit point is the rename of that meta into finalized/, after which the
old meta is removed. A truncate builds its new meta the same way, commits it, then cuts the
data file. Readers only read up to the committed length, with the CRCs of the meta they opened,
so an append or truncate in progress never shows them a byte that is not committed.

Reads verify every chunk they touch, in pieces of at most 1 MiB, before returning any byte of
the piece; a mismatch marks the replica corrupt (`corrupt_replicas()`, refused to readers until
`delete`) and raises `CorruptReplica`. No operation holds more than 1 MiB of a block in memory.

Thread safety: every method may be called from any thread; one writer per block at a time.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import threading
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import BinaryIO, Final

from awscrt.checksums import crc32c

from emr.durable import fsync_directory
from emr.hdfs.datanode.checksums import (
    BYTES_PER_CHECKSUM,
    CHECKSUM_SIZE,
    HEADER_SIZE,
    BlockChecksum,
    ChunkChecksummer,
    MetaHeader,
    block_md5,
    chunk_count,
    first_bad_chunk,
)
from emr.hdfs.datanode.errors import (
    CorruptReplica,
    ReplicaAlreadyExists,
    ReplicaBusy,
    ReplicaNotFound,
)
from emr.hdfs.datanode.layout import (
    META_NAME,
    RecoveryReport,
    Replica,
    data_name,
    meta_name,
    pread_exact,
    recover,
)
from emr.hdfs.types import Block

__all__ = [
    "MAX_IO",
    "BlockStore",
    "BlockWriter",
    "RecoveryReport",
    "ReplicaReader",
    "StorageReport",
]

#: The most bytes of a block any operation holds at once.
MAX_IO: Final = 1 << 20


@dataclass(frozen=True)
class StorageReport:
    """A heartbeat's storage figures."""

    capacity_bytes: int
    used_bytes: int  # by replicas (data and meta)
    remaining_bytes: int


class BlockStore:
    """The replicas of one DataNode storage directory."""

    def __init__(
        self, directory: Path | str, *, bytes_per_checksum: int = BYTES_PER_CHECKSUM
    ) -> None:
        self.directory = Path(directory)
        self.finalized_dir = self.directory / "finalized"
        self.rbw_dir = self.directory / "rbw"
        self.bytes_per_checksum = bytes_per_checksum
        for path in (self.directory, self.finalized_dir, self.rbw_dir):
            path.mkdir(parents=True, exist_ok=True)
        fsync_directory(self.directory)
        self._lock = threading.Lock()
        self._writers: set[int] = set()
        self._replicas, self._corrupt, self.recovery = recover(self.finalized_dir, self.rbw_dir)

    # -- writing

    def open_writer(self, block_id: int, generation_stamp: int) -> BlockWriter:
        """A new replica, written to rbw/ until `finalize()`."""
        with self._lock:
            if block_id in self._writers:
                raise ReplicaBusy(block_id, "a writer holds it")
            if block_id in self._replicas or block_id in self._corrupt:
                raise ReplicaAlreadyExists(block_id, "the replica already exists")
            self._writers.add(block_id)
        data_path = self.rbw_dir / data_name(block_id)
        meta_path = self.rbw_dir / meta_name(block_id, generation_stamp)
        data: BinaryIO | None = None
        try:
            data = open(data_path, "wb", buffering=MAX_IO)  # noqa: SIM115 (the writer owns it)
            meta = open(meta_path, "wb", buffering=MAX_IO)  # noqa: SIM115
            meta.write(MetaHeader(self.bytes_per_checksum, 0).pack())
        except BaseException:
            if data is not None:
                data.close()
            self._discard_rbw(block_id, data_path, meta_path)
            raise
        return BlockWriter(
            self,
            block_id=block_id,
            generation_stamp=generation_stamp,
            data=data,
            meta=meta,
            data_path=data_path,
            meta_path=meta_path,
            checksummer=ChunkChecksummer(self.bytes_per_checksum),
            base=None,
        )

    def append_writer(self, block: Block, new_generation_stamp: int) -> BlockWriter:
        """Reopen the finalized replica `block` (its stamp and length must match) to append;
        it stays readable at its committed length until `finalize()` commits the new one."""
        replica = self._claim(block.block_id, new_generation_stamp)
        step = replica.bytes_per_checksum
        whole, tail = divmod(replica.length, step)
        data_path = self.finalized_dir / data_name(block.block_id)
        meta_path = self.rbw_dir / meta_name(block.block_id, new_generation_stamp)
        data: BinaryIO | None = None
        meta: BinaryIO | None = None
        try:
            if replica.block != block:
                raise ReplicaNotFound(
                    block.block_id, f"cannot append to {replica.block}, expected {block}"
                )
            data = open(data_path, "r+b", buffering=MAX_IO)  # noqa: SIM115 (the writer owns it)
            partial = self._verified_chunk(replica, data.fileno(), whole) if tail else b""
            meta = open(meta_path, "wb", buffering=MAX_IO)  # noqa: SIM115
            meta.write(MetaHeader(step, 0).pack())
            self._copy_crcs(replica, whole, meta)
            data.seek(replica.length)
            data.truncate()  # an aborted append's bytes, if any
        except BaseException:
            for file in (data, meta):
                if file is not None:
                    file.close()
            meta_path.unlink(missing_ok=True)
            self._release(block.block_id)
            raise
        return BlockWriter(
            self,
            block_id=block.block_id,
            generation_stamp=new_generation_stamp,
            data=data,
            meta=meta,
            data_path=data_path,
            meta_path=meta_path,
            checksummer=ChunkChecksummer(step, partial),
            base=replica,
        )

    def truncate(self, block_id: int, new_length: int, new_generation_stamp: int) -> Block:
        """Cut the finalized replica to `new_length` under a new generation stamp."""
        replica = self._claim(block_id, new_generation_stamp)
        try:
            if not 0 <= new_length <= replica.length:
                raise ValueError(f"cannot truncate {replica.length} bytes to {new_length}")
            step = replica.bytes_per_checksum
            whole, tail = divmod(new_length, step)
            data_path = self.finalized_dir / data_name(block_id)
            meta_path = self.rbw_dir / meta_name(block_id, new_generation_stamp)
            truncated = Replica(block_id, new_generation_stamp, new_length, step)
            try:
                with open(meta_path, "wb") as meta:
                    meta.write(truncated.meta_header.pack())
                    self._copy_crcs(replica, whole, meta)
                    if tail:
                        fd = os.open(data_path, os.O_RDONLY)
                        try:
                            chunk = self._verified_chunk(replica, fd, whole)
                        finally:
                            os.close(fd)
                        meta.write(crc32c(chunk[:tail]).to_bytes(CHECKSUM_SIZE, "big"))
                    meta.flush()
                    os.fsync(meta.fileno())
            except BaseException:
                meta_path.unlink(missing_ok=True)
                raise
            self._commit_in_place(replica, truncated, meta_path)
            with open(data_path, "r+b") as data:
                data.truncate(new_length)
                os.fsync(data.fileno())
            return truncated.block
        finally:
            self._release(block_id)

    # -- reading

    def read(self, block_id: int, offset: int = 0, length: int | None = None) -> ReplicaReader:
        """The bytes [offset, offset + length) of the replica (to its end when `length` is
        None), in verified pieces of at most 1 MiB. Raises `ReplicaNotFound` or
        `CorruptReplica` at once when the replica is missing or known bad."""
        with self._lock:
            replica = self._replicas.get(block_id)
            if replica is None:
                if block_id in self._corrupt:
                    raise CorruptReplica(block_id, "marked corrupt")
                raise ReplicaNotFound(block_id, "no such replica")
            if offset < 0 or offset > replica.length:
                raise ValueError(f"offset {offset} outside a replica of {replica.length} bytes")
            end = replica.length if length is None else min(offset + length, replica.length)
            if end < offset:
                raise ValueError(f"negative length {length}")
            data_fd = os.open(self.finalized_dir / data_name(block_id), os.O_RDONLY)
            try:
                meta_path = self.finalized_dir / meta_name(block_id, replica.generation_stamp)
                meta_fd = os.open(meta_path, os.O_RDONLY)
            except BaseException:
                os.close(data_fd)
                raise
        return ReplicaReader(self, replica, data_fd, meta_fd, offset, end)

    def replica(self, block_id: int) -> Block | None:
        """The finalized replica with that id, if good."""
        with self._lock:
            replica = self._replicas.get(block_id)
        return None if replica is None else replica.block

    def block_report(self) -> list[Block]:
        """Every good finalized replica, by id (a full block report)."""
        with self._lock:
            return [self._replicas[b].block for b in sorted(self._replicas)]

    def corrupt_replicas(self) -> list[Block]:
        """Replicas found bad (at open or by a read), by id; stamp 0 when unknown."""
        with self._lock:
            return [self._corrupt[b] for b in sorted(self._corrupt)]

    def block_checksum(self, block_id: int) -> BlockChecksum:
        """MD5 over the replica's chunk CRCs (its part of GETFILECHECKSUM)."""
        with self._lock:
            replica = self._replicas.get(block_id)
            if replica is None:
                raise ReplicaNotFound(block_id, "no such replica")
            meta_path = self.finalized_dir / meta_name(block_id, replica.generation_stamp)
            meta_fd = os.open(meta_path, os.O_RDONLY)
        try:
            size = CHECKSUM_SIZE * replica.meta_header.chunks
            pieces = (
                pread_exact(meta_fd, min(MAX_IO, size - done), HEADER_SIZE + done)
                for done in range(0, size, MAX_IO)
            )
            md5 = block_md5(pieces)
        finally:
            os.close(meta_fd)
        return BlockChecksum(md5, replica.meta_header.chunks, replica.bytes_per_checksum)

    def storage_report(self) -> StorageReport:
        usage = shutil.disk_usage(self.directory)
        with self._lock:
            used = sum(r.length + r.meta_header.meta_size for r in self._replicas.values())
        return StorageReport(usage.total, used, usage.free)

    # -- deleting

    def delete(self, block_id: int, generation_stamp: int | None = None) -> bool:
        """Remove the replica; False when there is none, or it is newer than
        `generation_stamp` (a NameNode's late order must not destroy a newer write)."""
        with self._lock:
            if block_id in self._writers:
                raise ReplicaBusy(block_id, "a writer holds it")
            replica = self._replicas.get(block_id)
            if replica is None and self._corrupt.pop(block_id, None) is None:
                return False
            if replica is not None:
                if generation_stamp is not None and replica.generation_stamp > generation_stamp:
                    return False
                del self._replicas[block_id]
            (self.finalized_dir / data_name(block_id)).unlink(missing_ok=True)
            for meta in self.finalized_dir.glob(f"blk_{block_id}_*.meta"):
                if META_NAME.fullmatch(meta.name):
                    meta.unlink(missing_ok=True)
        return True

    # -- internals shared with BlockWriter and ReplicaReader

    def _claim(self, block_id: int, new_generation_stamp: int) -> Replica:
        """Take the writer's place on a finalized replica."""
        with self._lock:
            if block_id in self._writers:
                raise ReplicaBusy(block_id, "a writer holds it")
            replica = self._replicas.get(block_id)
            if replica is None:
                if block_id in self._corrupt:
                    raise CorruptReplica(block_id, "marked corrupt")
                raise ReplicaNotFound(block_id, "no such replica")
            if new_generation_stamp < replica.generation_stamp:
                raise ValueError(
                    f"generation stamp {new_generation_stamp} is older than "
                    f"{replica.generation_stamp}"
                )
            self._writers.add(block_id)
            return replica

    def _release(self, block_id: int) -> None:
        with self._lock:
            self._writers.discard(block_id)

    def _discard_rbw(self, block_id: int, data_path: Path, meta_path: Path) -> None:
        data_path.unlink(missing_ok=True)
        meta_path.unlink(missing_ok=True)
        self._release(block_id)

    def _commit_new(self, replica: Replica, data_path: Path, meta_path: Path) -> None:
        block_id = replica.block_id
        os.rename(meta_path, self.finalized_dir / meta_path.name)
        fsync_directory(self.finalized_dir)
        os.rename(data_path, self.finalized_dir / data_name(block_id))  # the commit point
        fsync_directory(self.finalized_dir)
        with self._lock:
            self._replicas[block_id] = replica
            self._writers.discard(block_id)

    def _commit_in_place(self, old: Replica, new: Replica, meta_path: Path) -> None:
        """Swap in the new meta of an append or truncate (under the lock, so a reader opens
        either the old length with the old meta or the new with the new)."""
        old_meta = self.finalized_dir / meta_name(old.block_id, old.generation_stamp)
        new_meta = self.finalized_dir / meta_path.name
        with self._lock:
            os.rename(meta_path, new_meta)  # the commit point
            fsync_directory(self.finalized_dir)
            if old_meta != new_meta:
                old_meta.unlink(missing_ok=True)
            self._replicas[new.block_id] = new

    def _verified_chunk(self, replica: Replica, data_fd: int, index: int) -> bytes:
        """Chunk `index` of a finalized replica, checked against its stored CRC."""
        step = replica.bytes_per_checksum
        start = index * step
        chunk = pread_exact(data_fd, min(step, replica.length - start), start)
        meta_path = self.finalized_dir / meta_name(replica.block_id, replica.generation_stamp)
        with open(meta_path, "rb") as meta:
            meta.seek(HEADER_SIZE + CHECKSUM_SIZE * index)
            stored = meta.read(CHECKSUM_SIZE)
        if first_bad_chunk(chunk, stored, step) is not None:
            self._mark_corrupt(replica)
            raise CorruptReplica(replica.block_id, f"checksum mismatch in chunk {index}")
        return chunk

    def _copy_crcs(self, replica: Replica, chunks: int, out: BinaryIO) -> None:
        meta_path = self.finalized_dir / meta_name(replica.block_id, replica.generation_stamp)
        size = CHECKSUM_SIZE * chunks
        with open(meta_path, "rb") as meta:
            meta.seek(HEADER_SIZE)
            for done in range(0, size, MAX_IO):
                piece = meta.read(min(MAX_IO, size - done))
                if not piece:
                    self._mark_corrupt(replica)
                    raise CorruptReplica(replica.block_id, "meta file is short")
                out.write(piece)

    def _mark_corrupt(self, replica: Replica) -> None:
        with self._lock:
            if self._replicas.get(replica.block_id) == replica:
                del self._replicas[replica.block_id]
                self._corrupt[replica.block_id] = replica.block


class BlockWriter:
    """Writes one replica (new or appended): `write` any number of times, then `finalize()`
    or `abort()`. As a context manager it aborts unless finalized."""

    def __init__(
        self,
        store: BlockStore,
        *,
        block_id: int,
        generation_stamp: int,
        data: BinaryIO,
        meta: BinaryIO,
        data_path: Path,
        meta_path: Path,
        checksummer: ChunkChecksummer,
        base: Replica | None,
    ) -> None:
        self.block_id = block_id
        self.generation_stamp = generation_stamp
        self._store = store
        self._data, self._meta = data, meta
        self._data_path, self._meta_path = data_path, meta_path
        self._checksummer = checksummer
        self._base = base  # the replica appended to (None: a new replica)
        self._length = 0 if base is None else base.length
        self._done = False

    @property
    def length(self) -> int:
        """The replica's length so far (including what an append started from)."""
        return self._length

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if self._done:
            raise ValueError("the writer is closed")
        view = memoryview(data)
        for start in range(0, len(view), MAX_IO):
            piece = view[start : start + MAX_IO]
            self._data.write(piece)
            self._meta.write(self._checksummer.update(piece))
            self._length += len(piece)

    def finalize(self) -> Block:
        """Make the replica durable and visible; returns it with its length."""
        if self._done:
            raise ValueError("the writer is closed")
        self._done = True
        try:
            self._data.flush()
            os.fsync(self._data.fileno())
            self._meta.write(self._checksummer.finish())
            header = MetaHeader(self._checksummer.bytes_per_checksum, self._length)
            self._meta.seek(0)
            self._meta.write(header.pack())
            self._meta.flush()
            os.fsync(self._meta.fileno())
        except BaseException:
            self._close_files()
            self._undo()
            raise
        self._close_files()
        replica = Replica(
            self.block_id, self.generation_stamp, self._length, header.bytes_per_checksum
        )
        try:
            if self._base is None:
                self._store._commit_new(replica, self._data_path, self._meta_path)
            else:
                self._store._commit_in_place(self._base, replica, self._meta_path)
                self._store._release(self.block_id)
        except BaseException:
            self._undo()
            raise
        return replica.block

    def abort(self) -> None:
        """Forget what was written (an append keeps the replica as it was)."""
        if self._done:
            return
        self._done = True
        self._close_files()
        self._undo()

    def __enter__(self) -> BlockWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.abort()

    def _close_files(self) -> None:
        for file in (self._data, self._meta):
            with contextlib.suppress(OSError):
                file.close()

    def _undo(self) -> None:
        if self._base is None:
            self._store._discard_rbw(self.block_id, self._data_path, self._meta_path)
            return
        self._meta_path.unlink(missing_ok=True)
        if self._store.replica(self.block_id) == self._base.block:
            os.truncate(self._data_path, self._base.length)
        self._store._release(self.block_id)


class ReplicaReader(Iterator[bytes]):
    """The verified bytes of one read; close it (or exhaust it) to release its files."""

    def __init__(
        self,
        store: BlockStore,
        replica: Replica,
        data_fd: int,
        meta_fd: int,
        start: int,
        end: int,
    ) -> None:
        self.block = replica.block
        self.offset, self.length = start, end - start
        self._store, self._replica = store, replica
        self._fds: list[int] = [data_fd, meta_fd]
        self._pieces = self._generate(data_fd, meta_fd, start, end)

    def __next__(self) -> bytes:
        return next(self._pieces)

    def close(self) -> None:
        self._pieces.close()
        self._release()

    def __enter__(self) -> ReplicaReader:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def __del__(self) -> None:
        self._release()

    def _release(self) -> None:
        while self._fds:
            os.close(self._fds.pop())

    def _generate(
        self, data_fd: int, meta_fd: int, start: int, end: int
    ) -> Generator[bytes, None, None]:
        replica = self._replica
        step = replica.bytes_per_checksum
        piece_size = max(MAX_IO // step, 1) * step
        chunk_end = min(chunk_count(end, step) * step, replica.length)
        position = start // step * step
        try:
            if start >= end:
                return
            while position < end:
                size = min(piece_size, chunk_end - position)
                data = pread_exact(data_fd, size, position)
                if len(data) != size:
                    raise ReplicaNotFound(replica.block_id, "the replica changed while read")
                first = position // step
                stored = pread_exact(
                    meta_fd,
                    CHECKSUM_SIZE * chunk_count(size, step),
                    HEADER_SIZE + CHECKSUM_SIZE * first,
                )
                bad = first_bad_chunk(data, stored, step)
                if bad is not None:
                    self._store._mark_corrupt(replica)
                    raise CorruptReplica(
                        replica.block_id, f"checksum mismatch in chunk {first + bad}"
                    )
                low, high = max(start - position, 0), min(end - position, size)
                yield data if (low, high) == (0, size) else data[low:high]
                position += size
        finally:
            self._release()
