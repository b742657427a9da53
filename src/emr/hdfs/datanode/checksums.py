"""Per-chunk CRC32C checksums of a replica, its meta file's layout, and Hadoop's
MD5-of-MD5-of-CRC32C file checksum. Pure: bytes in, bytes out.

A replica's meta file (`blk_<id>_<genstamp>.meta`) is a 15-byte header, then one 4-byte
big-endian CRC32C per chunk of the data (the last chunk may be short):

    offset  size  field
    0       2     version, 1                          ┐ laid out as Hadoop's
    2       1     checksum type, 2 (CRC32C)           │ BlockMetadataHeader
    3       4     bytes per checksum, 512             ┘ (dfs.bytes-per-checksum)
    7       8     data length in bytes                  ours: the committed length
    15      4 n   CRC32C of chunk 0, 1, … n-1

All integers are big-endian. Hadoop keeps the replica's length only in the data file's size;
recording it here is what lets an append or a truncate rewrite the data file in place and
still recover after a crash: the data file is cut back to the length its (committed) meta
file states.
"""

from __future__ import annotations

import hashlib
import struct
import sys
from array import array
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final

from awscrt.checksums import crc32c

__all__ = [
    "BYTES_PER_CHECKSUM",
    "CHECKSUM_SIZE",
    "HEADER_SIZE",
    "BlockChecksum",
    "ChunkChecksummer",
    "FileChecksum",
    "InvalidMetaHeader",
    "MetaHeader",
    "block_md5",
    "chunk_count",
    "chunk_crcs",
    "file_checksum",
    "first_bad_chunk",
]

BYTES_PER_CHECKSUM: Final = 512
CHECKSUM_SIZE: Final = 4
META_VERSION: Final = 1
CRC32C_TYPE: Final = 2  # Hadoop's DataChecksum.Type.CRC32C id
_HEADER: Final = struct.Struct(">HBIQ")
HEADER_SIZE: Final = _HEADER.size


class InvalidMetaHeader(ValueError):
    """The meta file does not start with a header this code wrote."""


@dataclass(frozen=True)
class MetaHeader:
    """A meta file's header: chunk size and the replica's committed data length."""

    bytes_per_checksum: int
    data_length: int

    def pack(self) -> bytes:
        return _HEADER.pack(META_VERSION, CRC32C_TYPE, self.bytes_per_checksum, self.data_length)

    @classmethod
    def unpack(cls, raw: bytes) -> MetaHeader:
        if len(raw) < HEADER_SIZE:
            raise InvalidMetaHeader(f"meta header is {len(raw)} bytes, expected {HEADER_SIZE}")
        version, kind, bytes_per_checksum, length = _HEADER.unpack_from(raw)
        if version != META_VERSION or kind != CRC32C_TYPE or bytes_per_checksum <= 0:
            raise InvalidMetaHeader(
                f"meta header version {version}, type {kind}, chunk {bytes_per_checksum}"
            )
        return cls(bytes_per_checksum, length)

    @property
    def chunks(self) -> int:
        return chunk_count(self.data_length, self.bytes_per_checksum)

    @property
    def meta_size(self) -> int:
        """The meta file's size for this header."""
        return HEADER_SIZE + CHECKSUM_SIZE * self.chunks


def chunk_count(length: int, bytes_per_checksum: int) -> int:
    return -(-length // bytes_per_checksum)


def _big_endian(crcs: array[int]) -> bytes:
    if sys.byteorder == "little":
        crcs.byteswap()
    return crcs.tobytes()


def chunk_crcs(data: bytes | bytearray | memoryview, bytes_per_checksum: int) -> bytes:
    """The CRC32C of every chunk of `data` (the last may be short), as stored in meta files."""
    view = memoryview(data)
    step = bytes_per_checksum
    return _big_endian(array("I", [crc32c(view[i : i + step]) for i in range(0, len(view), step)]))


def first_bad_chunk(
    data: bytes | bytearray | memoryview, stored: bytes, bytes_per_checksum: int
) -> int | None:
    """Index of the first chunk of `data` whose CRC differs from `stored` (None: all match).
    Missing stored CRCs count as mismatches."""
    computed = chunk_crcs(data, bytes_per_checksum)
    if computed == stored:
        return None
    for index in range(0, len(computed), CHECKSUM_SIZE):
        if computed[index : index + CHECKSUM_SIZE] != stored[index : index + CHECKSUM_SIZE]:
            return index // CHECKSUM_SIZE
    return len(computed) // CHECKSUM_SIZE  # stored has extra CRCs: the data is short


class ChunkChecksummer:
    """CRC32C per chunk over data arriving in pieces of any size.

    `update` returns the CRCs of the chunks it completed; `finish` the CRC of the short last
    chunk, if any. `partial` seeds it with a finalized replica's short last chunk (append).
    """

    def __init__(self, bytes_per_checksum: int = BYTES_PER_CHECKSUM, partial: bytes = b"") -> None:
        if len(partial) >= bytes_per_checksum:
            raise ValueError("a partial chunk must be shorter than a chunk")
        self.bytes_per_checksum = bytes_per_checksum
        self._crc: int = crc32c(partial)
        self._filled = len(partial)

    def update(self, data: bytes | bytearray | memoryview) -> bytes:
        view = memoryview(data)
        step = self.bytes_per_checksum
        done = array("I")
        position = 0
        if self._filled:
            position = min(step - self._filled, len(view))
            self._crc = crc32c(view[:position], self._crc)
            self._filled += position
            if self._filled == step:
                done.append(self._crc)
                self._crc, self._filled = 0, 0
        whole_end = position + (len(view) - position) // step * step
        done.extend(crc32c(view[i : i + step]) for i in range(position, whole_end, step))
        if whole_end < len(view):
            self._crc = crc32c(view[whole_end:])
            self._filled = len(view) - whole_end
        return _big_endian(done)

    def finish(self) -> bytes:
        if not self._filled:
            return b""
        return self._crc.to_bytes(CHECKSUM_SIZE, "big")


@dataclass(frozen=True)
class BlockChecksum:
    """One replica's part of a file checksum: MD5 over its chunk CRCs (as a DataNode answers
    Hadoop's blockChecksum)."""

    md5: bytes
    crc_count: int
    bytes_per_crc: int


@dataclass(frozen=True)
class FileChecksum:
    """Hadoop's MD5MD5CRC32CastagnoliFileChecksum (WebHDFS GETFILECHECKSUM)."""

    algorithm: str  # e.g. "MD5-of-0MD5-of-512CRC32C"
    bytes: bytes  # bytesPerCRC (int32) + crcPerBlock (int64) + MD5, big-endian: 28 bytes

    @property
    def length(self) -> int:
        return len(self.bytes)


def block_md5(crc_pieces: Iterable[bytes]) -> bytes:
    """MD5 over a replica's stored chunk CRCs, fed in pieces."""
    digest = hashlib.md5(usedforsecurity=False)
    for piece in crc_pieces:
        digest.update(piece)
    return digest.digest()


def file_checksum(blocks: Sequence[BlockChecksum]) -> FileChecksum:
    """MD5 over the blocks' MD5s, labelled as Hadoop's DFSClient labels it: crcPerBlock is
    the first block's CRC count when the file has more than one block, else 0."""
    bytes_per_crc = blocks[0].bytes_per_crc if blocks else 0
    crc_per_block = blocks[0].crc_count if len(blocks) > 1 else 0
    md5 = hashlib.md5(b"".join(b.md5 for b in blocks), usedforsecurity=False).digest()
    return FileChecksum(
        algorithm=f"MD5-of-{crc_per_block}MD5-of-{bytes_per_crc}CRC32C",
        bytes=struct.pack(">iq", bytes_per_crc, crc_per_block) + md5,
    )
