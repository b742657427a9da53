"""A map task's output: partitioned, sorted, combined and spilled (MapTask.MapOutputBuffer),
then merged into the one file the shuffle service serves.

Records are buffered in memory per partition. When the buffered bytes (key + value + 16 bytes
of bookkeeping per record, Hadoop's kvmeta) reach buffer_bytes * spill_percent
(mapreduce.task.io.sort.mb * mapreduce.map.sort.spill.percent, passed in by the caller), every
partition is sorted (stable), run through the combiner, and written as a spill file. `close`
spills the rest; a single spill becomes the output as is, several are merged per partition
(the combiner runs again when there are at least min_spills_for_combine spills).

Files: `file.out` holds per partition a segment of records `varint(len key) varint(len value)
key value` (unsigned LEB128 varints); `file.out.index` per partition `>QQQ` (offset, length,
records). Both are written under temporary names and renamed into place, index last.

Counters (TaskCounter): SPILLED_RECORDS, COMBINE_INPUT_RECORDS, COMBINE_OUTPUT_RECORDS,
MAP_OUTPUT_MATERIALIZED_BYTES. MAP_OUTPUT_RECORDS/BYTES are the caller's.

Without a combiner or a custom sort key, spills are sorted and encoded by pyarrow when it is
installed (stable sort_indices, then one vectorized concatenation), else in Python. For the
reduce's merge in raw byte order, `merge_in_memory` does the same: every segment decoded into
columns, one stable pyarrow sort of them all (the order `merge_sorted` gives).

LIMITATIONS: the combiner's output is taken in the order it is produced, as Hadoop does (a
combiner must not reorder keys); no IFile checksums or compression of map output.
"""

from __future__ import annotations

import heapq
import os
import struct
from collections.abc import Callable, Iterable, Iterator
from operator import itemgetter
from pathlib import Path
from typing import Any, BinaryIO

from emr.mapreduce._arrow import MergedRecords, arrow_available, merge_columns, sorted_segment
from emr.mapreduce.counters import TASK, CounterGroups

__all__ = [
    "Combiner",
    "MapOutputBuffer",
    "MergedRecords",
    "decode_columns",
    "decode_records",
    "encode_record",
    "merge_in_memory",
    "merge_sorted",
    "read_index",
    "read_segment",
]

Combiner = Callable[[Iterator[tuple[bytes, bytes]]], Iterator[tuple[bytes, bytes]]]
Record = tuple[bytes, bytes]

_INDEX = struct.Struct(">QQQ")
_RECORD_OVERHEAD = 16  # Hadoop's per-record metadata in the sort buffer
_BATCH = 65536  # records encoded and written at a time


def _varint(value: int) -> bytes:
    if value < 0x80:
        return bytes((value,))
    out = bytearray()
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


#: The two header bytes of every record whose key and value are shorter than 128 bytes.
_SHORT_HEADERS = [[bytes((k, v)) for v in range(0x80)] for k in range(0x80)]


def encode_record(key: bytes, value: bytes) -> bytes:
    """One record in the map output's format."""
    if len(key) < 0x80 and len(value) < 0x80:
        return _SHORT_HEADERS[len(key)][len(value)] + key + value
    return _varint(len(key)) + _varint(len(value)) + key + value


def _encode_many(records: list[Record]) -> bytes:
    """Records encoded in one go (a comprehension is ~4x faster than a call per record)."""
    headers = _SHORT_HEADERS
    try:
        return b"".join([headers[len(k)][len(v)] + k + v for k, v in records])
    except IndexError:  # some key or value of 128 bytes or more
        return b"".join([encode_record(k, v) for k, v in records])


def _read_varint(data: bytes | memoryview, offset: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = data[offset]
        offset += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, offset
        shift += 7


def decode_records(data: bytes) -> Iterator[Record]:
    """The (key, value) records of one segment."""
    offset, end = 0, len(data)
    while offset < end:
        key_length, offset = _read_varint(data, offset)
        value_length, offset = _read_varint(data, offset)
        key = data[offset : offset + key_length]
        offset += key_length
        yield key, data[offset : offset + value_length]
        offset += value_length


def decode_columns(data: bytes) -> tuple[list[bytes], list[bytes]]:
    """The keys and the values of one segment (`decode_records` without a tuple per record)."""
    keys: list[bytes] = []
    values: list[bytes] = []
    add_key, add_value = keys.append, values.append
    offset, end = 0, len(data)
    while offset < end:
        key_length = data[offset]
        value_length = data[offset + 1]
        if key_length < 0x80 and value_length < 0x80:  # the common one-byte varints
            offset += 2
        else:
            key_length, offset = _read_varint(data, offset)
            value_length, offset = _read_varint(data, offset)
        middle = offset + key_length
        offset = middle + value_length
        add_key(data[middle - key_length : middle])
        add_value(data[middle:offset])
    if offset != end:
        raise EOFError("segment ends inside a record")
    return keys, values


def merge_in_memory(segments: list[bytes]) -> MergedRecords | None:
    """Merge sorted segments in raw byte order of their keys in pyarrow, equal keys in segment
    order (as `merge_sorted` with no sort key); None without pyarrow."""
    if not arrow_available():
        return None
    return merge_columns(decode_columns(data) for data in segments)


def read_segment(path: Path, offset: int, length: int, chunk: int = 1 << 20) -> Iterator[Record]:
    """The records of the segment at [offset, offset + length) of a file, read in chunks."""
    with open(path, "rb") as file:
        file.seek(offset)
        remaining = length
        pending = b""
        while remaining > 0:
            data = file.read(min(chunk, remaining))
            if not data:
                raise EOFError(f"{path}: segment ends early")
            remaining -= len(data)
            data = pending + data if pending else data
            records: list[Record] = []
            used = _decode_whole(data, records)
            yield from records
            pending = data[used:]
        if pending:
            raise EOFError(f"{path}: segment ends inside a record")


def _decode_whole(data: bytes, into: list[Record]) -> int:
    """Decode the whole records at the start of `data` into `into`; the bytes they use."""
    offset, end = 0, len(data)
    try:
        while offset < end:
            key_length, after = _read_varint(data, offset)
            value_length, after = _read_varint(data, after)
            if after + key_length + value_length > end:
                break
            into.append(
                (
                    data[after : after + key_length],
                    data[after + key_length : after + key_length + value_length],
                )
            )
            offset = after + key_length + value_length
    except IndexError:  # a varint cut by the chunk's end
        pass
    return offset


def read_index(path: Path) -> list[tuple[int, int, int]]:
    """(offset, length, records) of every partition of a `file.out.index`."""
    data = Path(path).read_bytes()
    return [_INDEX.unpack_from(data, i) for i in range(0, len(data), _INDEX.size)]


def merge_sorted(
    segments: list[Iterable[Record]], sort_key: Callable[[bytes], Any] | None
) -> Iterator[Record]:
    """Merge sorted segments; equal keys come out in segment order (heapq.merge is stable)."""
    if len(segments) == 1:
        return iter(segments[0])
    if sort_key is None:
        return heapq.merge(*segments, key=itemgetter(0))
    key_of = sort_key
    return heapq.merge(*segments, key=lambda record: key_of(record[0]))


class _SegmentWriter:
    """Appends partition segments to one file, building its index."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file: BinaryIO = open(path, "wb")  # noqa: SIM115 (closed in close())
        self.index: list[tuple[int, int, int]] = []
        self.offset = 0

    def raw_segment(self, data: bytes | memoryview, records: int) -> int:
        """A segment already encoded."""
        self._file.write(data)
        self.index.append((self.offset, len(data), records))
        self.offset += len(data)
        return records

    def segment(self, records: Iterable[Record]) -> int:
        start, count = self.offset, 0
        if isinstance(records, list):  # slicing a list beats appending record by record
            for first in range(0, len(records), _BATCH):
                count += self._write(records[first : first + _BATCH])
            self.index.append((start, self.offset - start, count))
            return count
        batch: list[Record] = []
        for record in records:
            batch.append(record)
            if len(batch) >= _BATCH:
                count += self._write(batch)
                batch = []
        count += self._write(batch)
        self.index.append((start, self.offset - start, count))
        return count

    def _write(self, batch: list[Record]) -> int:
        data = _encode_many(batch)
        self._file.write(data)
        self.offset += len(data)
        return len(batch)

    def close(self) -> None:
        self._file.close()


class MapOutputBuffer:
    """Collects (partition, key, value), spills sorted runs, writes the final map output."""

    def __init__(
        self,
        num_partitions: int,
        sort_key: Callable[[bytes], Any] | None,
        spill_dir: Path,
        buffer_bytes: int,
        combiner: Combiner | None,
        min_spills_for_combine: int,
        counters: CounterGroups,
        *,
        spill_percent: float = 0.80,
        use_arrow: bool = arrow_available(),
    ) -> None:
        self._partitions = max(num_partitions, 1)
        self._sort_key = sort_key
        self._spill_dir = Path(spill_dir)
        self._limit = max(int(buffer_bytes * spill_percent), 1)
        self._combiner = combiner
        self._min_spills = min_spills_for_combine
        self._counters = counters.setdefault(TASK, {})
        self._keys: list[list[bytes]] = [[] for _ in range(self._partitions)]
        self._values: list[list[bytes]] = [[] for _ in range(self._partitions)]
        self._buffered = 0
        #: Sort and encode in Arrow when nothing needs Python per record (see _arrow.py).
        self._columnar = use_arrow and sort_key is None and combiner is None
        self._spills: list[tuple[Path, list[tuple[int, int, int]]]] = []

    def _count(self, name: str, amount: int) -> None:
        self._counters[name] = self._counters.get(name, 0) + amount

    def collect(self, partition: int, key: bytes, value: bytes) -> None:
        """Buffer one record; spills when the buffer is full."""
        self._keys[partition].append(key)
        self._values[partition].append(value)
        self._buffered += len(key) + len(value) + _RECORD_OVERHEAD
        if self._buffered >= self._limit:
            self._spill()

    def collect_many(self, partitions: list[int], keys: list[bytes], values: list[bytes]) -> None:
        """`collect` each record in turn (spilling at the same records it would)."""
        size = sum(map(len, keys)) + sum(map(len, values)) + _RECORD_OVERHEAD * len(keys)
        if self._buffered + size >= self._limit:  # a spill falls inside this batch
            for record in zip(partitions, keys, values, strict=True):
                self.collect(*record)
            return
        self._buffered += size
        if self._partitions == 1:
            self._keys[0] += keys
            self._values[0] += values
            return
        key_lists, value_lists = self._keys, self._values
        for partition, key, value in zip(partitions, keys, values, strict=True):
            key_lists[partition].append(key)
            value_lists[partition].append(value)

    def _sorted(self, records: list[Record]) -> list[Record]:
        if self._sort_key is None:
            records.sort(key=itemgetter(0))
        else:
            key_of = self._sort_key
            records.sort(key=lambda record: key_of(record[0]))
        return records

    def _combine(self, records: Iterable[Record]) -> Iterator[Record]:
        """The combiner over one sorted partition, counting its records."""
        assert self._combiner is not None

        def counted_input() -> Iterator[Record]:
            for record in records:
                self._count("COMBINE_INPUT_RECORDS", 1)
                yield record

        for record in self._combiner(counted_input()):
            self._count("COMBINE_OUTPUT_RECORDS", 1)
            yield record

    def _spill(self) -> None:
        if self._buffered == 0 and self._spills:
            return
        self._spill_dir.mkdir(parents=True, exist_ok=True)
        path = self._spill_dir / f"spill{len(self._spills)}.out"
        writer = _SegmentWriter(path)
        try:
            for keys, values in zip(self._keys, self._values, strict=True):
                encoded = sorted_segment(keys, values) if self._columnar else None
                if encoded is not None:
                    self._count("SPILLED_RECORDS", writer.raw_segment(encoded, len(keys)))
                    continue
                run: Iterable[Record] = self._sorted(list(zip(keys, values, strict=True)))
                if self._combiner is not None and keys:
                    run = self._combine(run)
                self._count("SPILLED_RECORDS", writer.segment(run))
        finally:
            writer.close()
        self._spills.append((path, writer.index))
        self._keys = [[] for _ in range(self._partitions)]
        self._values = [[] for _ in range(self._partitions)]
        self._buffered = 0

    def close(self, output_dir: Path) -> None:
        """Spill what is left, merge the spills, write file.out and file.out.index."""
        output_dir = Path(output_dir)
        output_dir.mkdir(parents=True, exist_ok=True)
        self._spill()
        data, index = output_dir / "file.out", output_dir / "file.out.index"
        if len(self._spills) == 1:
            path, entries = self._spills[0]
            os.replace(path, data.with_name("file.out.tmp"))
        else:
            entries = self._merge(data.with_name("file.out.tmp"))
        index_tmp = index.with_name("file.out.index.tmp")
        index_tmp.write_bytes(b"".join(_INDEX.pack(*entry) for entry in entries))
        os.replace(data.with_name("file.out.tmp"), data)
        os.replace(index_tmp, index)
        self._count("MAP_OUTPUT_MATERIALIZED_BYTES", sum(length for _, length, _ in entries))

    def _merge(self, target: Path) -> list[tuple[int, int, int]]:
        writer = _SegmentWriter(target)
        combine = self._combiner is not None and len(self._spills) >= self._min_spills
        try:
            for partition in range(self._partitions):
                segments: list[Iterable[Record]] = []
                for path, entries in self._spills:
                    offset, length, _ = entries[partition]
                    if length:
                        segments.append(read_segment(path, offset, length))
                merged = merge_sorted(segments, self._sort_key)
                run = self._combine(merged) if combine and segments else merged
                self._count("SPILLED_RECORDS", writer.segment(run))
        finally:
            writer.close()
        for path, _ in self._spills:
            path.unlink(missing_ok=True)
        return writer.index
