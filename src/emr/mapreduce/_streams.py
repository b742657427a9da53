"""Byte-stream plumbing shared by the formats and the pipe: lines out of chunk streams (Hadoop's
LineReader terminators: \\n, \\r\\n, \\r), whole-file decompression, and an exact-read cursor
over a chunk iterator."""

from __future__ import annotations

import bz2
import zlib
from collections.abc import Callable, Iterable, Iterator
from typing import Protocol

__all__ = [
    "DECOMPRESSORS",
    "ByteCursor",
    "CorruptInputError",
    "decompress",
    "iter_line_blocks",
    "iter_line_lists",
    "iter_lines",
    "iter_lines_with_ends",
    "line_end_from",
    "normalise_lines",
]


class CorruptInputError(Exception):
    """Input bytes that do not decode (a truncated or corrupt compressed file, a bad header)."""


def _cut(data: bytes) -> int:
    """Index after the last complete line terminator of `data` (0: none). A trailing \\r is
    not complete: it may be the first half of a \\r\\n split across chunks."""
    newline = data.rfind(b"\n")
    carriage = data.rfind(b"\r", 0, len(data) - 1)
    return max(newline, carriage) + 1


def iter_lines_with_ends(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """Lines WITH their terminator (exactly one of \\n, \\r\\n, \\r; the last line may have
    none), so callers can count positions. `bytes.splitlines` splits on exactly these three."""
    for block in iter_line_blocks(chunks):
        yield from block.splitlines(keepends=True)


def iter_lines(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """Lines without terminators (the batched fast path of `iter_lines_with_ends`)."""
    for lines in iter_line_lists(chunks):
        yield from lines


def iter_line_lists(chunks: Iterable[bytes]) -> Iterator[list[bytes]]:
    """`iter_lines` in lists, one per chunk that completes a line (for callers that work on
    a batch of lines at a time)."""
    for block in iter_line_blocks(chunks):
        yield block.splitlines()


def iter_line_blocks(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """The chunks re-cut to end after a line terminator (the last block may end without
    one); a line is never split across blocks."""
    pending = b""
    for chunk in chunks:
        if not chunk:
            continue
        data = pending + chunk if pending else chunk
        cut = _cut(data)
        if cut == 0:
            pending = data
            continue
        if cut == len(data):
            yield data
            pending = b""
        else:
            yield data[:cut]
            pending = data[cut:]
    if pending:
        yield pending


def line_end_from(data: bytes, index: int) -> int:
    """Index after the terminator of the line holding byte `index` of `data` (len(data)
    when that line has none): 0 gives the end of the first line."""
    newline = data.find(b"\n", index)
    carriage = data.find(b"\r", index, newline if newline >= 0 else len(data))
    if carriage < 0:
        return len(data) if newline < 0 else newline + 1
    return carriage + 2 if data[carriage + 1 : carriage + 2] == b"\n" else carriage + 1


def normalise_lines(block: bytes) -> bytes:
    """Whole lines with every terminator (\\r\\n, \\r) as \\n, the last one ended too."""
    if b"\r" in block:
        block = block.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    if block and not block.endswith(b"\n"):
        block += b"\n"
    return block


class _Decompressor(Protocol):
    @property
    def eof(self) -> bool: ...

    @property
    def unused_data(self) -> bytes: ...

    def decompress(self, data: bytes) -> bytes: ...


def _gzip() -> _Decompressor:
    return zlib.decompressobj(16 + zlib.MAX_WBITS)


def _zlib() -> _Decompressor:
    return zlib.decompressobj()


def _bzip2() -> _Decompressor:
    return bz2.BZ2Decompressor()


#: File extension → a fresh decompressor for one member (Hadoop's codecs by extension).
DECOMPRESSORS: dict[str, Callable[[], _Decompressor]] = {
    ".gz": _gzip,
    ".bz2": _bzip2,
    ".deflate": _zlib,
}


def decompress(chunks: Iterable[bytes], new: Callable[[], _Decompressor]) -> Iterator[bytes]:
    """Decompressed chunks of concatenated members (multi-member gzip, multi-stream bzip2)."""
    decompressor = new()
    started = False
    for chunk in chunks:
        while chunk:
            started = True
            try:
                out = decompressor.decompress(chunk)
            except (zlib.error, OSError, EOFError) as exc:
                raise CorruptInputError(f"invalid compressed data: {exc}") from exc
            if out:
                yield out
            if decompressor.eof:
                chunk = decompressor.unused_data
                decompressor = new()
                started = False
            else:
                chunk = b""
    if started:
        raise CorruptInputError("Unexpected end of input stream")


class ByteCursor:
    """Exact reads over a chunk iterator, counting the absolute position."""

    def __init__(self, chunks: Iterable[bytes], position: int = 0) -> None:
        self._chunks = iter(chunks)
        self._buffer = b""
        self._offset = 0
        self.position = position

    def _fill(self, size: int) -> bool:
        """Make `size` bytes available; False at end of input."""
        while len(self._buffer) - self._offset < size:
            chunk = next(self._chunks, None)
            if chunk is None:
                return False
            self._buffer = self._buffer[self._offset :] + chunk
            self._offset = 0
        return True

    def at_end(self) -> bool:
        return not self._fill(1)

    def read(self, size: int) -> bytes:
        """Exactly `size` bytes (EOFError when the input ends first)."""
        if not self._fill(size):
            raise EOFError(f"end of input after {self.position} bytes")
        data = self._buffer[self._offset : self._offset + size]
        self._offset += size
        self.position += size
        return data

    def find(self, pattern: bytes) -> int:
        """Advance past the next occurrence of `pattern`; its start position, -1 at EOF."""
        while True:
            index = self._buffer.find(pattern, self._offset)
            if index >= 0:
                self.position += index + len(pattern) - self._offset
                self._offset = index + len(pattern)
                return self.position - len(pattern)
            # keep a tail that may hold the start of the pattern
            keep = max(self._offset, len(self._buffer) - len(pattern) + 1)
            self.position += keep - self._offset
            self._offset = keep
            chunk = next(self._chunks, None)
            if chunk is None:
                return -1
            self._buffer = self._buffer[self._offset :] + chunk
            self._offset = 0
