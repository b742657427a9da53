"""The map output sort's fast path: sort a partition's keys and encode its records in pyarrow
(C++), when pyarrow is installed. Keys compare as raw bytes, which is Text's order."""

from __future__ import annotations

import struct
from functools import cache
from typing import Any

__all__ = ["arrow_available", "sorted_segment"]


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
    offsets, data = joined.buffers()[1], joined.buffers()[2]
    start = struct.unpack_from("<q", offsets, 8 * joined.offset)[0]
    end = struct.unpack_from("<q", offsets, 8 * (joined.offset + len(joined)))[0]
    return memoryview(data)[start:end]
