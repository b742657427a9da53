"""Input validation against a botocore model, with the problem strings AWS sends back.

AWS validates every request server side (clients may skip validation, and the CLI does for
some shapes), and reports each broken constraint as
"Value 'x' at 'instances.instanceCount' failed to satisfy constraint: Member must …", the
path being member names with a lower-cased first letter. Protocols call `validate_input`
after decoding, on plain Python values, so the rules live once here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from functools import lru_cache
from typing import Any

from botocore.model import ListShape, MapShape, Shape, StructureShape

from emr.errors import ParameterValidationError

__all__ = ["validate_input"]

_LENGTH_TYPES = frozenset({"string", "list", "map", "blob"})
_ESCAPED_SURROGATE = re.compile(r"\\u[dD][89a-fA-F]")
_NUMBER_TYPES = frozenset({"integer", "long", "float", "double", "bigInteger", "bigDecimal"})


def validate_input(
    params: Mapping[str, Any], shape: StructureShape | None, *, code: str, enums: bool = True
) -> None:
    """Raise `ParameterValidationError(problems, code=code)` if `params` breaks `shape`.

    `enums=False` leaves enum values to the provider: S3 validates its own inputs and accepts,
    for example, `x-amz-checksum-mode: enabled` in lower case (the AWS C++ SDK sends it so).
    """
    if shape is None:
        return
    problems: list[str] = []
    _check_structure(params, shape, "", problems, enums)
    if problems:
        raise ParameterValidationError(problems, code=code)


def _member_path(parent: str, name: str) -> str:
    segment = name[:1].lower() + name[1:]
    return f"{parent}.{segment}" if parent else segment


def _check_structure(
    value: Mapping[str, Any], shape: StructureShape, path: str, problems: list[str], enums: bool
) -> None:
    if shape.is_document_type:
        return
    for name in shape.required_members:
        if value.get(name) is None:
            problems.append(
                f"Value null at '{_member_path(path, name)}' failed to satisfy constraint: "
                "Member must not be null"
            )
    for name, member in shape.members.items():
        member_value = value.get(name)
        if member_value is not None:
            _check(member_value, member, _member_path(path, name), problems, enums)


def _check(value: Any, shape: Shape, path: str, problems: list[str], enums: bool) -> None:
    for constraint in _constraint_violations(value, shape, enums):
        problems.append(_problem(value, shape, path, constraint))
    if isinstance(shape, StructureShape) and isinstance(value, Mapping):
        _check_structure(value, shape, path, problems, enums)
    elif isinstance(shape, ListShape) and isinstance(value, list | tuple):
        for index, item in enumerate(value, 1):
            if item is not None:
                _check(item, shape.member, f"{path}.{index}.member", problems, enums)
    elif isinstance(shape, MapShape) and isinstance(value, Mapping):
        _check_map(value, shape, path, problems, enums)


def _check_map(
    value: Mapping[Any, Any], shape: MapShape, path: str, problems: list[str], enums: bool
) -> None:
    key_violations: list[str] = []
    for key, item in value.items():
        key_violations.extend(
            v for v in _constraint_violations(key, shape.key, enums) if v not in key_violations
        )
        if item is not None:
            _check(item, shape.value, f"{path}.{key}", problems, enums)
    if key_violations:
        problems.append(
            f"Value {_render(dict(value))} at '{path}' failed to satisfy constraint: "
            f"Map keys must satisfy constraint: [{', '.join(key_violations)}]"
        )


def _problem(value: Any, shape: Shape, path: str, constraint: str) -> str:
    if shape.metadata.get("sensitive"):
        return f"Value at '{path}' failed to satisfy constraint: {constraint}"
    return f"Value {_render(value)} at '{path}' failed to satisfy constraint: {constraint}"


def _constraint_violations(value: Any, shape: Shape, enums: bool = True) -> list[str]:
    """The 'Member must …' sentences for the constraints `value` breaks at this level."""
    found: list[str] = []
    meta = shape.metadata
    minimum, maximum = meta.get("min"), meta.get("max")
    if shape.type_name in _LENGTH_TYPES and isinstance(value, str | bytes | list | tuple | Mapping):
        size = len(value)
        if minimum is not None and size < minimum:
            found.append(f"Member must have length greater than or equal to {_number(minimum)}")
        if maximum is not None and size > maximum:
            found.append(f"Member must have length less than or equal to {_number(maximum)}")
    elif shape.type_name in _NUMBER_TYPES and _is_number(value):
        if minimum is not None and value < minimum:
            found.append(f"Member must have value greater than or equal to {_number(minimum)}")
        if maximum is not None and value > maximum:
            found.append(f"Member must have value less than or equal to {_number(maximum)}")
    if isinstance(value, str):
        enum = meta.get("enum") if enums else None
        if enum and value not in enum:
            found.append(f"Member must satisfy enum value set: [{', '.join(enum)}]")
        pattern = meta.get("pattern")
        if pattern:
            compiled = _compile(pattern)
            if compiled is not None and compiled.fullmatch(value) is None:
                found.append(f"Member must satisfy regular expression pattern: {pattern}")
    return found


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _number(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


@lru_cache(maxsize=4096)
def _compile(pattern: str) -> re.Pattern[str] | None:
    """The pattern as Python `re`, or None when it is Java-only syntax we cannot honour.

    Patterns written against UTF-16 (surrogate ranges) would reject valid characters
    outside the BMP in Python, so they are skipped as well.
    """
    if any(0xD800 <= ord(char) <= 0xDFFF for char in pattern) or _ESCAPED_SURROGATE.search(pattern):
        return None
    try:
        return re.compile(pattern)
    except (re.error, RecursionError, OverflowError):
        return None


def _render(value: Any) -> str:
    """A value the way AWS's Java services print it in a validation message."""
    if value is None:
        return "null"
    return f"'{_java_string(value)}'"


def _java_string(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, bytes):
        return f"java.nio.HeapByteBuffer[pos=0 lim={len(value)} cap={len(value)}]"
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Mapping):
        inner = ", ".join(f"{_java_string(k)}={_java_string(v)}" for k, v in value.items())
        return "{" + inner + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_java_string(item) for item in value) + "]"
    return str(value)
