"""Converting between model members and the JSON-like trees of the json and CBOR protocols.

Both protocols put the same tree on the wire (objects, arrays, strings, numbers, booleans)
and differ only in how blobs and timestamps travel: JSON sends base64 text and epoch
numbers, CBOR sends byte strings and tag-1 epoch values. A `Dialect` names those
differences so one walker reads and writes both.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from botocore.model import ListShape, MapShape, Shape, StructureShape

from emr.errors import RequestParseError
from emr.gateway.protocols.values import (
    UNIX_TIMESTAMP,
    decode_blob,
    encode_blob,
    format_float,
    format_timestamp,
    parse_float,
    parse_timestamp,
    to_datetime,
)

__all__ = ["CBOR_DIALECT", "JSON_DIALECT", "Dialect", "read_document", "write_document"]

_INTEGER_TYPES = frozenset({"integer", "long", "bigInteger"})
_FLOAT_TYPES = frozenset({"float", "double", "bigDecimal"})
_STRING_TYPES = frozenset({"string", "character"})


@dataclass(frozen=True)
class Dialect:
    """How one protocol spells blobs, timestamps and member names in its tree."""

    #: Blobs are byte strings and timestamps datetimes (CBOR), not base64 text and numbers.
    binary: bool
    #: Output members use the model's member names, ignoring `locationName`
    #: (botocore's RPCv2 CBOR parser reads member names only).
    output_member_names: bool


JSON_DIALECT = Dialect(binary=False, output_member_names=False)
CBOR_DIALECT = Dialect(binary=True, output_member_names=True)


class _WrongType(Exception):
    """A wire value of the wrong kind; becomes a SerializationException."""


def read_document(
    tree: Any, shape: StructureShape | None, dialect: Dialect, *, error_code: str
) -> dict[str, Any]:
    """Input members from a decoded request body; wrong JSON/CBOR types raise `RequestParseError`."""
    if shape is None or tree is None:
        return {}
    try:
        result = _read(tree, shape, dialect)
    except _WrongType as exc:
        raise RequestParseError(str(exc), code=error_code) from exc
    return result if isinstance(result, dict) else {}


def _kind(value: Any) -> str:
    """Jackson's token names, which AWS echoes in its SerializationException messages."""
    if isinstance(value, Mapping):
        return "START_OBJECT"
    if isinstance(value, list):
        return "START_ARRAY"
    if isinstance(value, bool):
        return "VALUE_TRUE" if value else "VALUE_FALSE"
    if isinstance(value, int):
        return "VALUE_NUMBER_INT"
    if isinstance(value, float):
        return "VALUE_NUMBER_FLOAT"
    if isinstance(value, str):
        return "VALUE_STRING"
    return type(value).__name__


def _wrong(value: Any, target: str) -> _WrongType:
    return _WrongType(f"{_kind(value)} can not be converted to {target}")


def _read(value: Any, shape: Shape, dialect: Dialect) -> Any:
    type_name = shape.type_name
    if isinstance(shape, StructureShape):
        if shape.is_document_type:
            return value
        if not isinstance(value, Mapping):
            raise _WrongType(f"{_kind(value)} found where a structure was expected")
        return _read_structure(value, shape, dialect)
    if isinstance(shape, ListShape):
        if not isinstance(value, list):
            raise _WrongType(f"{_kind(value)} found where a list was expected")
        return [_read(item, shape.member, dialect) for item in value if item is not None]
    if isinstance(shape, MapShape):
        if not isinstance(value, Mapping):
            raise _WrongType(f"{_kind(value)} found where a map was expected")
        return {
            _read(key, shape.key, dialect): _read(item, shape.value, dialect)
            for key, item in value.items()
            if item is not None
        }
    if type_name in _STRING_TYPES:
        if not isinstance(value, str):
            raise _wrong(value, "a String")
        return value
    if type_name == "boolean":
        if not isinstance(value, bool):
            raise _wrong(value, "a Boolean")
        return value
    if type_name in _INTEGER_TYPES:
        return _read_integer(value)
    if type_name in _FLOAT_TYPES:
        return _read_float(value)
    if type_name == "timestamp":
        return _read_timestamp(value)
    if type_name == "blob":
        return _read_blob(value, dialect)
    return value


def _read_structure(
    value: Mapping[str, Any], shape: StructureShape, dialect: Dialect
) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for name, member in shape.members.items():
        wire_name = member.serialization.get("name", name)
        raw = value.get(wire_name)
        if raw is None and dialect.binary:
            raw = value.get(name)
        if raw is not None:
            result[name] = _read(raw, member, dialect)
    return result


def _read_integer(value: Any) -> int:
    if isinstance(value, bool):
        raise _wrong(value, "an Integer")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    raise _wrong(value, "an Integer")


def _read_float(value: Any) -> float:
    if isinstance(value, bool):
        raise _wrong(value, "a Double")
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return parse_float(value)
        except ValueError:
            pass
    raise _wrong(value, "a Double")


def _read_timestamp(value: Any) -> datetime:
    if isinstance(value, bool):
        raise _wrong(value, "a Timestamp")
    try:
        if isinstance(value, str):
            return parse_timestamp(value)
        if isinstance(value, datetime | int | float):
            return to_datetime(value)
    except (ValueError, OverflowError, OSError) as exc:
        raise _wrong(value, "a Timestamp") from exc
    raise _wrong(value, "a Timestamp")


def _read_blob(value: Any, dialect: Dialect) -> bytes:
    if isinstance(value, bytes):
        return value
    if isinstance(value, str) and not dialect.binary:
        try:
            return decode_blob(value)
        except ValueError as exc:
            raise _WrongType("Base64 encoded blob value is not valid base64") from exc
    raise _wrong(value, "a Blob")


_OMIT = object()


def write_document(
    result: Mapping[str, Any], shape: StructureShape | None, dialect: Dialect
) -> Any:
    """The wire tree for an output, leniently: members of the wrong kind are left out."""
    if shape is None:
        return {}
    tree = _write(result, shape, dialect)
    return {} if tree is _OMIT else tree


def _write(value: Any, shape: Shape, dialect: Dialect) -> Any:
    """The wire value, or `_OMIT` when a provider returned something unusable."""
    if value is None:
        return _OMIT
    if isinstance(shape, StructureShape):
        if shape.is_document_type:
            return value
        if not isinstance(value, Mapping):
            return _OMIT
        return _write_structure(value, shape, dialect)
    if isinstance(shape, ListShape):
        if not isinstance(value, list | tuple):
            return _OMIT
        items = (_write(item, shape.member, dialect) for item in value)
        return [item for item in items if item is not _OMIT]
    if isinstance(shape, MapShape):
        if not isinstance(value, Mapping):
            return _OMIT
        written = {str(k): _write(v, shape.value, dialect) for k, v in value.items()}
        return {k: v for k, v in written.items() if v is not _OMIT}
    try:
        return _write_scalar(value, shape, dialect)
    except (TypeError, ValueError, OverflowError, OSError):
        return _OMIT


def _write_structure(
    value: Mapping[str, Any], shape: StructureShape, dialect: Dialect
) -> dict[str, Any]:
    tree: dict[str, Any] = {}
    for name, member in shape.members.items():
        if name not in value:
            continue
        written = _write(value[name], member, dialect)
        if written is not _OMIT:
            key = name if dialect.output_member_names else member.serialization.get("name", name)
            tree[key] = written
    return tree


def _write_scalar(value: Any, shape: Shape, dialect: Dialect) -> Any:
    type_name = shape.type_name
    if type_name in _STRING_TYPES:
        return value if isinstance(value, str) else str(value)
    if type_name == "boolean":
        return bool(value)
    if type_name in _INTEGER_TYPES:
        return int(value)
    if type_name in _FLOAT_TYPES:
        number = float(value)
        if dialect.binary:
            return number
        return format_float(number) if not math.isfinite(number) else number
    if type_name == "timestamp":
        if dialect.binary:
            return to_datetime(value)
        return format_timestamp(value, shape.serialization.get("timestampFormat", UNIX_TIMESTAMP))
    if type_name == "blob":
        if dialect.binary:
            return value.encode("utf-8") if isinstance(value, str) else bytes(value)
        return encode_blob(value)
    return value
