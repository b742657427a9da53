"""Deterministic sample values for botocore shapes, and the comparisons round trips need.

`SampleMaker` fills every member of a structure (nested structures, lists, maps, unions,
timestamps, blobs, numbers, unicode strings) while honouring the model's constraints, so
the values pass our own validation: enums pick a member, patterns are satisfied by a
string generated from the regular expression itself, lengths and ranges are respected.
"""

from __future__ import annotations

import random
import re
import re._constants as sre_c  # type: ignore[import-not-found]
import re._parser as sre_parse  # type: ignore[import-not-found]
from datetime import UTC, datetime
from typing import Any

from botocore.model import ListShape, MapShape, Shape, StructureShape

__all__ = ["SampleMaker", "normalize"]

_WORDS = [
    "héllo",
    "日本語",
    "naïve",
    "plain",
    "emoji😀",
    "a<b>&c",
    "x y",
    "Ünïcødé",
    "two\r\nlines\ttab",
]
_CONTAINERS = frozenset({"structure", "list", "map"})
_PREFERRED_CHARS = "aZ5é日_-.:/ "


class SampleMaker:
    """Generates sample inputs/outputs; the same seed gives the same values."""

    def __init__(self, seed: str, *, documents: bool = True, max_depth: int = 5) -> None:
        self.rng = random.Random(seed)
        self.documents = documents
        self.max_depth = max_depth

    def structure(self, shape: StructureShape, depth: int = 0) -> dict[str, Any]:
        members = {
            name: member
            for name, member in shape.members.items()
            if not member.serialization.get("eventstream")
            and not member.serialization.get("streaming")
            and member.serialization.get("location") is None
        }
        if shape.is_tagged_union:
            name = sorted(members)[self.rng.randrange(len(members))]
            return {name: self.value(members[name], depth + 1)}
        result: dict[str, Any] = {}
        for name, member in members.items():
            if depth >= self.max_depth and name not in shape.required_members:
                continue
            is_document = isinstance(member, StructureShape) and member.is_document_type
            if is_document and not self.documents:
                continue
            result[name] = self.value(member, depth + 1)
        if not result and members:
            # An empty structure is indistinguishable from an absent one in the query
            # protocol, so even at the depth limit one scalar member is filled.
            scalars = [n for n, m in members.items() if m.type_name not in _CONTAINERS]
            name = sorted(scalars or members)[0]
            result[name] = self.value(members[name], self.max_depth + 1)
        return result

    def value(self, shape: Shape, depth: int = 0) -> Any:
        type_name = shape.type_name
        if isinstance(shape, StructureShape):
            if shape.is_document_type:
                return {"doc": [1, "two", {"three": True}]}
            return self.structure(shape, depth)
        if isinstance(shape, ListShape):
            return [self.value(shape.member, depth + 1) for _ in range(self._count(shape))]
        if isinstance(shape, MapShape):
            result: dict[str, Any] = {}
            for _ in range(self._count(shape) * 3):
                if len(result) >= self._count(shape):
                    break
                result[self.string(shape.key)] = self.value(shape.value, depth + 1)
            return result
        if type_name == "string":
            return self.string(shape)
        if type_name in ("integer", "long"):
            low = int(shape.metadata.get("min", -5))
            high = int(shape.metadata.get("max", low + 1000))
            return self.rng.randint(low, min(high, low + 50))
        if type_name in ("float", "double"):
            bottom = float(shape.metadata.get("min", -10))
            top = float(shape.metadata.get("max", bottom + 100))
            quarters = int((min(top, bottom + 20) - bottom) * 4)
            return bottom + self.rng.randint(0, max(quarters, 0)) / 4
        if type_name == "boolean":
            return self.rng.random() < 0.5
        if type_name == "timestamp":
            return datetime(
                2020 + self.rng.randint(0, 6),
                self.rng.randint(1, 12),
                self.rng.randint(1, 28),
                self.rng.randint(0, 23),
                self.rng.randint(0, 59),
                self.rng.randint(0, 59),
                self.rng.choice([0, 123000, 5000]),
                tzinfo=UTC,
            )
        if type_name == "blob":
            return bytes([0, 255, 10, 13]) + self.rng.choice(_WORDS).encode("utf-8")
        raise AssertionError(f"no sample for {type_name}")

    def _count(self, shape: Shape) -> int:
        low = int(shape.metadata.get("min", 1)) or 1
        high = int(shape.metadata.get("max", low + 2))
        return max(low, min(high, 2))

    def string(self, shape: Shape) -> str:
        meta = shape.metadata
        if meta.get("enum"):
            return str(self.rng.choice(meta["enum"]))
        low, high = int(meta.get("min", 0)), int(meta.get("max", 64))
        pattern = meta.get("pattern")
        compiled = _compile(pattern) if pattern else None
        if compiled is not None:
            for _ in range(40):
                text = _from_regex(pattern, self.rng)
                if text is not None and low <= len(text) <= high and compiled.fullmatch(text):
                    return text
            for text in ("a" * max(low, 1), "1" * max(low, 1), "arn:aws:iam::123456789012:role/a"):
                if low <= len(text) <= high and compiled.fullmatch(text):
                    return text
            raise AssertionError(f"cannot satisfy {pattern!r} within {low}..{high}")
        text = f"{self.rng.choice(_WORDS)}-{self.rng.randint(0, 999)}"
        while len(text) < low:
            text += "-x"
        return text[: max(high, 1)] if high else text[:1]


def _compile(pattern: str) -> re.Pattern[str] | None:
    # Mirrors the validator: Java-only syntax and UTF-16 surrogate ranges are skipped.
    if re.search(r"\\u[dD][89a-fA-F]", pattern) or any(0xD800 <= ord(c) <= 0xDFFF for c in pattern):
        return None
    try:
        return re.compile(pattern)
    except re.error:
        return None


def _from_regex(pattern: str, rng: random.Random) -> str | None:
    try:
        parsed = sre_parse.parse(pattern)
    except re.error:
        return None
    groups: dict[int, str] = {}
    try:
        return _emit(list(parsed), rng, groups)
    except _Unsupported:
        return None


class _Unsupported(Exception):
    pass


def _emit(items: list[Any], rng: random.Random, groups: dict[int, str]) -> str:
    out = []
    for op, arg in items:
        out.append(_emit_one(op, arg, rng, groups))
    return "".join(out)


def _emit_one(op: Any, arg: Any, rng: random.Random, groups: dict[int, str]) -> str:
    if op is sre_c.LITERAL:
        return chr(arg)
    if op is sre_c.NOT_LITERAL:
        return "a" if chr(arg) != "a" else "b"
    if op is sre_c.ANY:
        return rng.choice("aZ5é")
    if op is sre_c.AT or op in (sre_c.ASSERT, sre_c.ASSERT_NOT):
        return ""
    if op is sre_c.IN:
        return _emit_set(arg, rng)
    if op is sre_c.CATEGORY:
        return _category(arg)
    if op in (sre_c.MAX_REPEAT, sre_c.MIN_REPEAT, getattr(sre_c, "POSSESSIVE_REPEAT", None)):
        low, high, sub = arg
        high = low + 4 if high is sre_c.MAXREPEAT else high
        count = rng.randint(low, max(low, min(high, low + 4)))
        if low == 0 and count == 0 and high > 0:
            count = 1
        return "".join(_emit(list(sub), rng, groups) for _ in range(count))
    if op is sre_c.SUBPATTERN:
        group, _, _, sub = arg
        text = _emit(list(sub), rng, groups)
        if group is not None:
            groups[group] = text
        return text
    if op is sre_c.BRANCH:
        _, branches = arg
        return _emit(list(rng.choice(branches)), rng, groups)
    if op is sre_c.GROUPREF:
        return groups.get(arg, "")
    raise _Unsupported(str(op))


def _category(category: Any) -> str:
    return {
        sre_c.CATEGORY_DIGIT: "7",
        sre_c.CATEGORY_NOT_DIGIT: "q",
        sre_c.CATEGORY_SPACE: " ",
        sre_c.CATEGORY_NOT_SPACE: "s",
        sre_c.CATEGORY_WORD: "w",
        sre_c.CATEGORY_NOT_WORD: "-",
    }.get(category, "a")


def _emit_set(items: list[Any], rng: random.Random) -> str:
    if items and items[0][0] is sre_c.NEGATE:
        chars = "".join(
            chr(a) if op is sre_c.LITERAL else "" for op, a in items[1:] if op is sre_c.LITERAL
        )
        for candidate in "aZ5_é":
            if candidate not in chars:
                return candidate
        raise _Unsupported("negated set")
    op, arg = rng.choice(items)
    if op is sre_c.LITERAL:
        return chr(arg)
    if op is sre_c.RANGE:
        low, high = arg
        inside = [c for c in _PREFERRED_CHARS if low <= ord(c) <= high]
        if inside:
            return rng.choice(inside)
        return chr(rng.randint(low, min(high, low + 20)))
    if op is sre_c.CATEGORY:
        return _category(arg)
    raise _Unsupported(str(op))


def normalize(value: Any, *, drop_empty: bool = False) -> Any:
    """Values compared after a round trip: datetimes in UTC at millisecond precision.

    `drop_empty` removes empty lists, maps and structures, which the query protocol cannot
    always tell from absent ones.
    """
    if isinstance(value, datetime):
        moment = value.astimezone(UTC)
        return moment.replace(microsecond=moment.microsecond // 1000 * 1000)
    if isinstance(value, dict):
        result = {k: normalize(v, drop_empty=drop_empty) for k, v in value.items()}
        if drop_empty:
            result = {k: v for k, v in result.items() if v not in ({}, [])}
        return result
    if isinstance(value, list):
        return [normalize(v, drop_empty=drop_empty) for v in value]
    return value
