"""Hadoop SequenceFiles (version 6), read by byte-range split and written Text/Text.

Layout (SequenceFile's Javadoc): `SEQ` + version byte 6, key class and value class names
(Text.writeString: vint length + UTF-8), `compressed` and `blockCompressed` booleans, the codec
class name when compressed, metadata (int32 count + Text pairs), a 16-byte sync marker. Then
records: int32 record length, int32 key length, key, value (record compression: the value is
compressed alone); a sync escape (int32 -1 + the marker) before a record every ~2000 bytes.
Block compression: per block a sync escape, vint record count, then four (vint length +
compressed bytes) buffers: key lengths (vints), keys, value lengths, values.

LIMITATIONS: Writables are decoded for Text, BytesWritable, LongWritable, IntWritable and
NullWritable only; codecs are DefaultCodec/DeflateCodec (zlib), GzipCodec and BZip2Codec.
Writing is Text/Text, no compression or RECORD/BLOCK compression with those codecs.
"""

from __future__ import annotations

import bz2
import os
import struct
import zlib
from collections.abc import Callable, Iterator
from typing import BinaryIO

from emr.mapreduce._streams import ByteCursor, CorruptInputError

__all__ = [
    "BYTES",
    "TEXT",
    "SequenceFileHeader",
    "SequenceFileWriter",
    "read_header",
    "read_records",
    "read_vlong",
    "writable_text",
    "write_vlong",
]

TEXT = "org.apache.hadoop.io.Text"
BYTES = "org.apache.hadoop.io.BytesWritable"
_LONG = "org.apache.hadoop.io.LongWritable"
_INT = "org.apache.hadoop.io.IntWritable"
_NULL = "org.apache.hadoop.io.NullWritable"

_MAGIC = b"SEQ"
_VERSION = 6
_SYNC_ESCAPE = -1
_SYNC_SIZE = 4 + 16
#: Hadoop 2's SequenceFile.SYNC_INTERVAL: a sync marker at most every 2000 bytes of records.
_SYNC_INTERVAL = 100 * _SYNC_SIZE
_BLOCK_SIZE = 1_000_000  # io.seqfile.compress.blocksize

_CODECS = {
    "org.apache.hadoop.io.compress.DefaultCodec": "zlib",
    "org.apache.hadoop.io.compress.DeflateCodec": "zlib",
    "org.apache.hadoop.io.compress.GzipCodec": "gzip",
    "org.apache.hadoop.io.compress.BZip2Codec": "bzip2",
}


def write_vlong(value: int) -> bytes:
    """WritableUtils.writeVLong."""
    if -112 <= value <= 127:
        return struct.pack(">b", value)
    marker = -112
    if value < 0:
        value = ~value
        marker = -120
    size = (value.bit_length() + 7) // 8
    marker -= size
    return struct.pack(">b", marker) + value.to_bytes(size, "big")


def read_vlong(cursor: ByteCursor) -> int:
    """WritableUtils.readVLong."""
    first = struct.unpack(">b", cursor.read(1))[0]
    if first >= -112:
        return int(first)
    negative = first < -120
    size = (-120 - first) if negative else (-112 - first)
    value = int.from_bytes(cursor.read(size), "big")
    return ~value if negative else value


def _vlong_from(data: bytes, offset: int) -> tuple[int, int]:
    first = struct.unpack_from(">b", data, offset)[0]
    if first >= -112:
        return int(first), offset + 1
    negative = first < -120
    size = (-120 - first) if negative else (-112 - first)
    value = int.from_bytes(data[offset + 1 : offset + 1 + size], "big")
    return (~value if negative else value), offset + 1 + size


def _text(value: bytes) -> bytes:
    return write_vlong(len(value)) + value


def _read_string(cursor: ByteCursor) -> str:
    return cursor.read(read_vlong(cursor)).decode("utf-8", "replace")


def _compressor(codec: str) -> Callable[[bytes], bytes]:
    kind = _CODECS[codec]
    if kind == "gzip":
        return lambda data: _deflate(data, 16 + zlib.MAX_WBITS)
    if kind == "bzip2":
        return bz2.compress
    return lambda data: _deflate(data, zlib.MAX_WBITS)


def _deflate(data: bytes, wbits: int) -> bytes:
    compressor = zlib.compressobj(wbits=wbits)
    return compressor.compress(data) + compressor.flush()


def _decompressor(codec: str) -> Callable[[bytes], bytes]:
    if codec not in _CODECS:
        raise CorruptInputError(f"Compression codec {codec} was not found.")
    kind = _CODECS[codec]
    if kind == "bzip2":
        return bz2.decompress
    wbits = 16 + zlib.MAX_WBITS if kind == "gzip" else zlib.MAX_WBITS
    return lambda data: zlib.decompress(data, wbits)


class SequenceFileHeader:
    """What the header says, and where the first record starts."""

    def __init__(
        self, key_class: str, value_class: str, codec: str, block: bool, sync: bytes, end: int
    ) -> None:
        self.key_class = key_class
        self.value_class = value_class
        self.codec = codec  # "" when uncompressed
        self.block = block
        self.sync = sync
        self.end = end


def read_header(cursor: ByteCursor, path: str) -> SequenceFileHeader:
    """Parse the header at the cursor (positioned at 0)."""
    try:
        magic = cursor.read(4)
        if magic[:3] != _MAGIC:
            raise CorruptInputError(f"{path} not a SequenceFile")
        if magic[3] != _VERSION:
            raise CorruptInputError(f"{path}: unsupported SequenceFile version {magic[3]}")
        key_class, value_class = _read_string(cursor), _read_string(cursor)
        compressed, block = cursor.read(1) != b"\0", cursor.read(1) != b"\0"
        codec = _read_string(cursor) if compressed else ""
        for _ in range(struct.unpack(">i", cursor.read(4))[0] * 2):
            _read_string(cursor)
        sync = cursor.read(16)
    except EOFError as exc:
        raise CorruptInputError(f"{path}: truncated SequenceFile header") from exc
    if codec:
        _decompressor(codec)  # fail early on an unknown codec
    return SequenceFileHeader(key_class, value_class, codec, block, sync, cursor.position)


def writable_text(class_name: str, data: bytes, *, raw_bytes: bool) -> bytes:
    """A serialized Writable as streaming hands it to the mapper: Text's bytes, BytesWritable's
    raw bytes (`raw_bytes`, SequenceFileInputFormat) or its toString hex (`xx xx`), numbers in
    decimal."""
    if class_name == TEXT:
        size, offset = _vlong_from(data, 0)
        return data[offset : offset + size]
    if class_name == BYTES:
        size = struct.unpack_from(">i", data)[0]
        payload = data[4 : 4 + size]
        return payload if raw_bytes else payload.hex(" ").encode()
    if class_name == _LONG:
        return str(struct.unpack_from(">q", data)[0]).encode()
    if class_name == _INT:
        return str(struct.unpack_from(">i", data)[0]).encode()
    if class_name == _NULL:
        return b"(null)"
    raise CorruptInputError(f"unsupported Writable class in SequenceFile: {class_name}")


def read_records(
    cursor: ByteCursor, header: SequenceFileHeader, end: int, synced_at: int = -1
) -> Iterator[tuple[bytes, bytes]]:
    """Serialized (key, value) pairs from the cursor (at the header's end, at a sync escape, or
    just after a sync marker whose escape is at `synced_at`) until a record (a block) that
    follows a sync marker at or after `end` (SequenceFile's record reader rule; the next split
    starts at that marker)."""
    uncompress = _decompressor(header.codec) if header.codec else None
    try:
        while not cursor.at_end():
            position = cursor.position
            if synced_at >= 0:
                position, synced_at, length = synced_at, -1, _SYNC_ESCAPE
            else:
                length = struct.unpack(">i", cursor.read(4))[0]
                if length == _SYNC_ESCAPE and cursor.read(16) != header.sync:
                    raise CorruptInputError("File is corrupt!")
            if length == _SYNC_ESCAPE:
                if position >= end:
                    return
                if header.block:
                    yield from _read_block(cursor, uncompress)
                    continue
                if cursor.at_end():
                    return
                length = struct.unpack(">i", cursor.read(4))[0]
            elif header.block:
                raise CorruptInputError("File is corrupt! (no sync before a block)")
            key_length = struct.unpack(">i", cursor.read(4))[0]
            key = cursor.read(key_length)
            value = cursor.read(length - key_length)
            if uncompress is not None:
                value = uncompress(value)
            yield key, value
    except (EOFError, struct.error, zlib.error, OSError) as exc:
        raise CorruptInputError(f"corrupt SequenceFile record: {exc}") from exc


def _split_lengths(data: bytes, count: int) -> list[int]:
    lengths, offset = [], 0
    for _ in range(count):
        size, offset = _vlong_from(data, offset)
        lengths.append(size)
    return lengths


def _read_block(
    cursor: ByteCursor, uncompress: Callable[[bytes], bytes] | None
) -> Iterator[tuple[bytes, bytes]]:
    if uncompress is None:
        raise CorruptInputError("block-compressed SequenceFile without a codec")
    count = read_vlong(cursor)
    buffers = [uncompress(cursor.read(read_vlong(cursor))) for _ in range(4)]
    key_lengths = _split_lengths(buffers[0], count)
    value_lengths = _split_lengths(buffers[2], count)
    key_offset = value_offset = 0
    for key_length, value_length in zip(key_lengths, value_lengths, strict=True):
        key = buffers[1][key_offset : key_offset + key_length]
        value = buffers[3][value_offset : value_offset + value_length]
        key_offset += key_length
        value_offset += value_length
        yield key, value


class SequenceFileWriter:
    """Writes Text/Text records to a binary file object (uncompressed, RECORD or BLOCK)."""

    def __init__(self, out: BinaryIO, codec: str = "", compression: str = "NONE") -> None:
        if compression != "NONE" and codec not in _CODECS:
            raise ValueError(f"Compression codec {codec} was not found.")
        self._out = out
        self._block = compression == "BLOCK"
        self._compress = _compressor(codec) if compression != "NONE" else None
        self._sync = os.urandom(16)
        self.bytes_written = 0
        header = [
            _MAGIC,
            bytes([_VERSION]),
            _text(TEXT.encode()),
            _text(TEXT.encode()),
            b"\1" if self._compress else b"\0",
            b"\1" if self._block else b"\0",
            _text(codec.encode()) if self._compress else b"",
            struct.pack(">i", 0),  # no metadata
            self._sync,
        ]
        self._write(b"".join(header))
        self._last_sync = 0
        self._pending: list[tuple[bytes, bytes]] = []
        self._pending_bytes = 0

    def _write(self, data: bytes) -> None:
        self._out.write(data)
        self.bytes_written += len(data)

    def _write_sync(self) -> None:
        if self._last_sync != self.bytes_written:
            self._write(struct.pack(">i", _SYNC_ESCAPE) + self._sync)
            self._last_sync = self.bytes_written

    def append(self, key: bytes, value: bytes) -> None:
        """One Text/Text record."""
        key_bytes, value_bytes = _text(key), _text(value)
        if self._block:
            self._pending.append((key_bytes, value_bytes))
            self._pending_bytes += len(key_bytes) + len(value_bytes)
            if self._pending_bytes >= _BLOCK_SIZE:
                self._write_block()
            return
        if self.bytes_written >= self._last_sync + _SYNC_INTERVAL:
            self._write_sync()
        if self._compress is not None:
            value_bytes = self._compress(value_bytes)
        self._write(
            struct.pack(">ii", len(key_bytes) + len(value_bytes), len(key_bytes))
            + key_bytes
            + value_bytes
        )

    def _write_block(self) -> None:
        assert self._compress is not None
        if not self._pending:
            return
        self._write_sync()
        keys = [k for k, _ in self._pending]
        values = [v for _, v in self._pending]
        parts = [write_vlong(len(self._pending))]
        for buffer in (
            b"".join(write_vlong(len(k)) for k in keys),
            b"".join(keys),
            b"".join(write_vlong(len(v)) for v in values),
            b"".join(values),
        ):
            compressed = self._compress(buffer)
            parts += [write_vlong(len(compressed)), compressed]
        self._write(b"".join(parts))
        self._pending, self._pending_bytes = [], 0

    def close(self) -> None:
        """Flush a pending block (the caller closes the file object)."""
        if self._block:
            self._write_block()
