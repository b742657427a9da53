"""The filesystem store's bytes: data files named by random ids, never by keys.

Layout under the store root:

    data/<2 hex>/<32 hex>   complete, fsynced data files (referenced by an index row or garbage)
    tmp/<32 hex>            files being written; all of them are garbage after a crash

A body is streamed into `tmp/`, hashed on the way, fsynced, renamed into `data/` and the
shard directory fsynced; only then does the caller commit the index row that names it.
A key never becomes a path, so `../`, `//`, unicode and 1024-byte keys cannot escape the
root or collide.
"""

from __future__ import annotations

import base64
import contextlib
import os
import secrets
import threading
from collections.abc import Iterable
from pathlib import Path

from emr.durable import fsync_directory, write_all
from emr.services.s3.checksums import decode_checksum, header_name, new_hasher
from emr.services.s3.errors import BadDigest, InvalidDigest, InvalidRequest
from emr.services.s3.store.base import CHECKSUM_ALGORITHMS, Payload

__all__ = [
    "FLUSH_BYTES",
    "BlobDirectory",
    "BlobWriter",
    "WrittenBlob",
    "check_declared_digests",
    "verify_written",
]

#: Bytes a writer buffers before handing them to a thread to hash and write.
FLUSH_BYTES = 1024 * 1024


class BlobDirectory:
    """Creates, publishes, links and removes data files under one root."""

    def __init__(self, root: Path) -> None:
        self.data = root / "data"
        self.tmp = root / "tmp"
        for directory in (self.data, self.tmp):
            directory.mkdir(parents=True, exist_ok=True)
        for shard in range(256):
            (self.data / f"{shard:02x}").mkdir(exist_ok=True)
        fsync_directory(self.data)
        fsync_directory(root)

    @staticmethod
    def new_id() -> str:
        return secrets.token_hex(16)

    def path(self, file_id: str) -> Path:
        return self.data / file_id[:2] / file_id

    def tmp_path(self, file_id: str) -> Path:
        return self.tmp / file_id

    def publish(self, file_id: str) -> None:
        """Move a complete, fsynced temporary file into place, durably."""
        target = self.path(file_id)
        os.rename(self.tmp_path(file_id), target)
        fsync_directory(target.parent)

    def link(self, source_id: str) -> str:
        """A new name for an existing data file (copies share bytes; names are removed
        independently). Raises FileNotFoundError when the source is gone."""
        file_id = self.new_id()
        target = self.path(file_id)
        os.link(self.path(source_id), target)
        fsync_directory(target.parent)
        return file_id

    def checksum(self, file_id: str, algorithm: str) -> str:
        """The base64 checksum of a data file's bytes."""
        hasher = new_hasher(algorithm)
        with open(self.path(file_id), "rb") as body:
            while block := body.read(FLUSH_BYTES):
                hasher.update(block)
        return base64.b64encode(hasher.digest()).decode("ascii")

    def open(self, file_id: str) -> int:
        """A read descriptor; it stays valid if the file is unlinked meanwhile."""
        return os.open(self.path(file_id), os.O_RDONLY)

    def unlink(self, file_ids: Iterable[str | None]) -> None:
        for file_id in file_ids:
            if file_id:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(self.path(file_id))

    def discard_tmp(self, file_id: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.tmp_path(file_id))

    def recover(self, referenced: set[str]) -> int:
        """Remove every temporary file and every data file no index row names."""
        removed = 0
        for entry in os.scandir(self.tmp):
            os.unlink(entry.path)
            removed += 1
        for shard in os.scandir(self.data):
            if not shard.is_dir():
                continue
            for entry in os.scandir(shard.path):
                if entry.name not in referenced:
                    os.unlink(entry.path)
                    removed += 1
        return removed


class WrittenBlob:
    """A received body and what was computed while writing it: either a fsynced temporary
    file (`file_id`) or, for a body small enough to live in its index row, the bytes."""

    __slots__ = ("body", "checksums", "file_id", "md5_hex", "size")

    def __init__(
        self,
        file_id: str | None,
        size: int,
        md5_hex: str,
        checksums: dict[str, str],
        body: bytes | None = None,
    ) -> None:
        self.file_id = file_id
        self.size = size
        self.md5_hex = md5_hex
        self.checksums = checksums
        self.body = body


class BlobWriter:
    """Streams a body into a temporary file, hashing MD5 and checksums on the way.

    `feed` only buffers (event loop); `flush` and `finish` do the hashing and writing and
    run in a worker thread. Memory stays within about FLUSH_BYTES plus one chunk. A lock
    keeps `discard` (after a cancelled request) from closing the file under a running flush.
    """

    def __init__(
        self, blobs: BlobDirectory, algorithms: Iterable[str], *, inline_limit: int = 0
    ) -> None:
        """`inline_limit`: a body of at most this many bytes (when > 0) is returned in memory
        by `finish` instead of written to a file."""
        self._blobs = blobs
        self._inline_limit = inline_limit
        self.file_id = blobs.new_id()
        self._fd: int | None = None
        self._created = False  # the temporary file exists (or did, before publish)
        self._buffer: list[bytes] = []
        self._buffered = 0
        self._size = 0
        self._md5 = new_hasher("MD5")
        self._hashers = {name: new_hasher(name) for name in algorithms}
        self._lock = threading.Lock()

    def feed(self, chunk: bytes) -> bool:
        """Buffer a chunk; True when the buffer should be flushed."""
        if chunk:
            self._buffer.append(chunk)
            self._buffered += len(chunk)
        return self._buffered >= FLUSH_BYTES

    def flush(self) -> None:
        with self._lock:
            self._flush()

    def _flush(self) -> None:
        if self._fd is None:
            self._fd = os.open(
                self._blobs.tmp_path(self.file_id), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600
            )
            self._created = True
        buffer, self._buffer, self._buffered = self._buffer, [], 0
        for chunk in buffer:
            self._md5.update(chunk)
            for hasher in self._hashers.values():
                hasher.update(chunk)
            write_all(self._fd, chunk)
            self._size += len(chunk)

    def finish(self, extra_algorithms: Iterable[str] = ()) -> WrittenBlob:
        """Flush, fsync and close; hash again from the file any algorithm that became known
        only at the end of the stream (trailing checksums)."""
        with self._lock:
            return self._finish(extra_algorithms)

    def _finish(self, extra_algorithms: Iterable[str]) -> WrittenBlob:
        if self._fd is None and self._inline_limit > 0 and self._buffered <= self._inline_limit:
            return self._finish_inline(extra_algorithms)
        self._flush()
        assert self._fd is not None
        os.fsync(self._fd)
        os.close(self._fd)
        self._fd = None
        late = {name: new_hasher(name) for name in extra_algorithms if name not in self._hashers}
        if late:
            with open(self._blobs.tmp_path(self.file_id), "rb") as body:
                while block := body.read(FLUSH_BYTES):
                    for hasher in late.values():
                        hasher.update(block)
            self._hashers.update(late)
        checksums = {
            name: base64.b64encode(hasher.digest()).decode("ascii")
            for name, hasher in self._hashers.items()
        }
        return WrittenBlob(self.file_id, self._size, self._md5.digest().hex(), checksums)

    def _finish_inline(self, extra_algorithms: Iterable[str]) -> WrittenBlob:
        """The whole body is still in the buffer and small: no file at all."""
        body = b"".join(self._buffer)
        self._buffer, self._buffered = [], 0
        hashers = {**self._hashers, **{name: new_hasher(name) for name in extra_algorithms}}
        for hasher in hashers.values():
            hasher.update(body)
        checksums = {
            name: base64.b64encode(hasher.digest()).decode("ascii")
            for name, hasher in hashers.items()
        }
        self._md5.update(body)
        return WrittenBlob(None, len(body), self._md5.digest().hex(), checksums, body)

    def discard(self) -> None:
        with self._lock:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None
            if self._created:
                self._blobs.discard_tmp(self.file_id)


def check_declared_digests(payload: Payload) -> set[str]:
    """Validate the form of Content-MD5 and the checksum headers before reading the body;
    returns the checksum algorithms to compute."""
    if payload.content_md5 is not None:
        try:
            raw = base64.b64decode(payload.content_md5.encode("ascii"), validate=True)
        except (ValueError, UnicodeEncodeError) as exc:
            raise InvalidDigest() from exc
        if len(raw) != 16:
            raise InvalidDigest()
    algorithms = {name.upper() for name in payload.expected_checksums}
    if payload.checksum_algorithm:
        algorithms.add(payload.checksum_algorithm.upper())
    for name in algorithms:
        if name not in CHECKSUM_ALGORITHMS:
            raise InvalidRequest(f"Checksum algorithm {name} is not supported.")
    return algorithms


def verify_written(payload: Payload, blob: WrittenBlob) -> dict[str, str]:
    """Compare what was received with what the client declared (headers and trailers).
    Returns the checksums to store; raises BadDigest/InvalidRequest/InvalidDigest."""
    if payload.content_md5 is not None:
        expected = base64.b64decode(payload.content_md5)
        if expected.hex() != blob.md5_hex:
            raise BadDigest("The Content-MD5 you specified did not match what we received.")
    for name, value in payload.expected_checksums.items():
        algorithm = name.upper()
        if algorithm not in CHECKSUM_ALGORITHMS:
            raise InvalidRequest(f"Checksum algorithm {algorithm} is not supported.")
        if decode_checksum(algorithm, value) is None:
            raise InvalidRequest(f"Value for {header_name(algorithm)} header is invalid.")
        if base64.b64decode(value) != base64.b64decode(blob.checksums[algorithm]):
            raise BadDigest(f"The {algorithm} you specified did not match the calculated checksum.")
    return blob.checksums
