"""Hadoop's `aggregate` package for streaming jobs (`-reducer aggregate`), as a streaming
process: `python -m emr.mapreduce.aggregate reducer|combiner`.

The mapper writes `<Type>:<id>\\t<value>` lines; the reducer feeds every value of a key to
the aggregator its type names and writes `<id>\\t<report>`; the combiner (which Hadoop's
StreamJob adds along with the reducer) writes `<Type>:<id>\\t<partial>` lines the reducer
can aggregate further. Types, as ValueAggregatorBaseDescriptor names them: LongValueSum,
LongValueMax, LongValueMin, DoubleValueSum, StringValueMax, StringValueMin, UniqValueCount.

LIMITATIONS: ValueHistogram and user-defined aggregator descriptors are not supported (an
unknown type fails the task with its name); StringValueMax/Min compare code points (Java
compares UTF-16 code units: different only outside the Basic Multilingual Plane).
"""

from __future__ import annotations

import math
import sys
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import BinaryIO, Final

__all__ = ["AggregateError", "aggregate", "main"]


class AggregateError(Exception):
    """A line or a type the aggregators cannot take."""


class _Aggregator(ABC):
    @abstractmethod
    def add(self, value: str) -> None:
        """Take one value of the key."""

    @abstractmethod
    def report(self) -> str:
        """What the reducer writes for the key."""

    def partials(self) -> list[str]:
        return [self.report()]


class _LongSum(_Aggregator):
    def __init__(self) -> None:
        self.total = 0

    def add(self, value: str) -> None:
        self.total += int(value)

    def report(self) -> str:
        return str(self.total)


class _LongMax(_Aggregator):
    def __init__(self) -> None:
        self.best: int | None = None

    def add(self, value: str) -> None:
        number = int(value)
        self.best = number if self.best is None else max(self.best, number)

    def report(self) -> str:
        return str(self.best if self.best is not None else -(2**63))


class _LongMin(_Aggregator):
    def __init__(self) -> None:
        self.best: int | None = None

    def add(self, value: str) -> None:
        number = int(value)
        self.best = number if self.best is None else min(self.best, number)

    def report(self) -> str:
        return str(self.best if self.best is not None else 2**63 - 1)


class _DoubleSum(_Aggregator):
    def __init__(self) -> None:
        self.total = 0.0

    def add(self, value: str) -> None:
        self.total += float(value)

    def report(self) -> str:
        return _java_double(self.total)


class _StringMax(_Aggregator):
    def __init__(self) -> None:
        self.best: str | None = None

    def add(self, value: str) -> None:
        self.best = value if self.best is None else max(self.best, value)

    def report(self) -> str:
        return self.best or ""


class _StringMin(_Aggregator):
    def __init__(self) -> None:
        self.best: str | None = None

    def add(self, value: str) -> None:
        self.best = value if self.best is None else min(self.best, value)

    def report(self) -> str:
        return self.best or ""


class _UniqCount(_Aggregator):
    def __init__(self) -> None:
        self.seen: dict[str, None] = {}

    def add(self, value: str) -> None:
        self.seen[value] = None

    def report(self) -> str:
        return str(len(self.seen))

    def partials(self) -> list[str]:
        return list(self.seen)


_TYPES: Final[dict[str, type[_Aggregator]]] = {
    "LongValueSum": _LongSum,
    "LongValueMax": _LongMax,
    "LongValueMin": _LongMin,
    "DoubleValueSum": _DoubleSum,
    "StringValueMax": _StringMax,
    "StringValueMin": _StringMin,
    "UniqValueCount": _UniqCount,
}


def _java_double(value: float) -> str:
    """Java's Double.toString: plain from 1e-3 to 1e7, else `<d.ddd>E<n>`; shortest digits."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value == 0 or 1e-3 <= abs(value) < 1e7:
        return repr(value)
    sign, digits, exponent = Decimal(repr(value)).normalize().as_tuple()
    assert isinstance(exponent, int)
    text = "".join(map(str, digits))
    mantissa = f"{text[0]}.{text[1:] or '0'}"
    return f"{'-' if sign else ''}{mantissa}E{len(digits) - 1 + exponent}"


def _groups(lines: Iterable[str]) -> Iterator[tuple[str, list[str]]]:
    """(key, values) of sorted `key\\tvalue` lines, consecutive equal keys together."""
    current: str | None = None
    values: list[str] = []
    for line in lines:
        key, _, value = line.partition("\t")
        if key != current:
            if current is not None:
                yield current, values
            current, values = key, []
        values.append(value)
    if current is not None:
        yield current, values


def aggregate(lines: Iterable[str], role: str) -> Iterator[str]:
    """The output lines of the reducer or combiner for sorted input `lines` (no newlines)."""
    for key, values in _groups(lines):
        kind, colon, name = key.partition(":")
        cls = _TYPES.get(kind)
        if not colon or cls is None:
            raise AggregateError(f"no value aggregator of type {kind!r} (key {key!r})")
        aggregator = cls()
        try:
            for value in values:
                aggregator.add(value)
        except ValueError as exc:
            raise AggregateError(f"{kind} cannot take a value of key {key!r}: {exc}") from exc
        if role == "combiner":
            yield from (f"{key}\t{partial}" for partial in aggregator.partials())
        else:
            yield f"{name}\t{aggregator.report()}"


def _lines(stream: BinaryIO) -> Iterator[str]:
    for raw in stream:
        yield raw.decode("utf-8", "surrogateescape").rstrip("\n")


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args not in (["reducer"], ["combiner"]):
        sys.stderr.write("usage: python -m emr.mapreduce.aggregate reducer|combiner\n")
        return 2
    out = sys.stdout.buffer
    try:
        for line in aggregate(_lines(sys.stdin.buffer), args[0]):
            out.write(line.encode("utf-8", "surrogateescape") + b"\n")
    except AggregateError as exc:
        sys.stderr.write(f"aggregate: {exc}\n")
        return 1
    out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
