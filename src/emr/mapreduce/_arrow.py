"""The fast paths in pyarrow (C++), when pyarrow is installed: the map output sort (sort a
partition's keys and encode its records) and the reduce's merge (one stable sort of every
fetched segment's records, the reducer's input lines built a block at a time). Keys compare as
raw bytes, which is Text's order."""

from __future__ import annotations

import struct
from collections.abc import Iterable, Iterator
from functools import cache
from typing import Any

__all__ = ["MergedRecords", "arrow_available", "merge_columns", "sorted_segment"]

#: Records per block of reducer input or output records.
_BLOCK = 65536


@cache
def arrow_available() -> bool:
    """Whether pyarrow (with its compute module) can be imported."""
    try:
        import pyarrow.compute  # noqa: F401
    except ImportError:
        return False
    return True


@cache
def _headers() -> Any:
    import pyarrow as pa

    # index key length * 128 + value length → the two varint bytes of a short record
    return pa.array([bytes((k, v)) for k in range(0x80) for v in range(0x80)], pa.large_binary())


def sorted_segment(keys: list[bytes], values: list[bytes]) -> memoryview | None:
    """The records sorted by key (stable) and encoded as map output records; None when some
    key or value is 128 bytes or longer (their varints take more than a byte: the caller
    encodes those in Python)."""
    if not keys:
        return memoryview(b"")
    import pyarrow as pa
    import pyarrow.compute as pc

    key_array = pa.array(keys, pa.large_binary())
    value_array = pa.array(values, pa.large_binary())
    key_lengths = pc.binary_length(key_array)
    value_lengths = pc.binary_length(value_array)
    if pc.max(key_lengths).as_py() >= 0x80 or pc.max(value_lengths).as_py() >= 0x80:
        return None
    order = pc.sort_indices(key_array)  # stable: equal keys keep their collection order
    headers = _headers().take(pc.add(pc.multiply(key_lengths, 0x80), value_lengths).take(order))
    joined = pc.binary_join_element_wise(
        headers, key_array.take(order), value_array.take(order), pa.scalar(b"", pa.large_binary())
    )
    return _data(joined)


def _data(joined: Any) -> memoryview:
    """The bytes of a large_binary array's elements, back to back (its data buffer's span)."""
    if len(joined) == 0:
        return memoryview(b"")
    offsets, data = joined.buffers()[1], joined.buffers()[2]
    start = struct.unpack_from("<q", offsets, 8 * joined.offset)[0]
    end = struct.unpack_from("<q", offsets, 8 * (joined.offset + len(joined)))[0]
    return memoryview(data)[start:end]


class MergedRecords:
    """Records in key order (equal keys in the order they were given): the reduce's merge."""

    def __init__(self, keys: Any, values: Any, order: Any) -> None:
        self._keys = keys
        self._values = values
        self._order = order

    def __len__(self) -> int:
        return len(self._order)

    def _blocks(self) -> Iterator[tuple[Any, Any, int]]:
        """(keys, values, groups): the records a block at a time, with how many groups (runs
        of one key) start in the block."""
        import pyarrow.compute as pc

        previous: bytes | None = None
        for start in range(0, len(self._order), _BLOCK):
            order = self._order[start : start + _BLOCK]
            keys, values = self._keys.take(order), self._values.take(order)
            changes = pc.sum(pc.not_equal(keys[1:], keys[:-1])).as_py() or 0
            first = keys[0].as_py()
            yield keys, values, changes + (previous is None or first != previous)
            previous = keys[-1].as_py()

    def line_blocks(self, separator: bytes) -> Iterator[tuple[int, int, bytes]]:
        """(records, groups, block): the records as `key separator value\n` lines."""
        import pyarrow as pa
        import pyarrow.compute as pc

        between = pa.scalar(separator, pa.large_binary())
        newline = pa.scalar(b"\n", pa.large_binary())
        nothing = pa.scalar(b"", pa.large_binary())
        for keys, values, groups in self._blocks():
            lines = pc.binary_join_element_wise(keys, between, values, newline, nothing)
            yield len(keys), groups, bytes(_data(lines))

    def record_blocks(self) -> Iterator[tuple[int, list[tuple[bytes, bytes]]]]:
        """(groups, records): the (key, value) records, a block at a time."""
        for keys, values, groups in self._blocks():
            yield groups, list(zip(keys.to_pylist(), values.to_pylist(), strict=True))


def merge_columns(segments: Iterable[tuple[list[bytes], list[bytes]]]) -> MergedRecords:
    """Merge sorted segments given as (keys, values) columns: one stable sort of them all,
    back to back, so equal keys come out by (segment, position), as a stable merge gives.
    Each segment becomes Arrow arrays as it comes, so only one is held as Python objects."""
    import pyarrow as pa
    import pyarrow.compute as pc

    binary = pa.large_binary()
    key_arrays, value_arrays = [pa.array([], binary)], [pa.array([], binary)]
    for keys, values in segments:
        key_arrays.append(pa.array(keys, binary))
        value_arrays.append(pa.array(values, binary))
    all_keys = pa.concat_arrays(key_arrays)
    return MergedRecords(all_keys, pa.concat_arrays(value_arrays), pc.sort_indices(all_keys))
