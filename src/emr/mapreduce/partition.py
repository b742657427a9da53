"""Which reduce a map output key goes to, and the order keys are sorted in.

- `hash`: HashPartitioner over Text.hashCode (WritableComparator.hashBytes: h = 31*h + signed
  byte, from 1, int32 arithmetic): `(hash & 0x7FFFFFFF) % reduces`.
- `keyfield`: KeyFieldBasedPartitioner with mapreduce.partition.keypartitioner.options
  (`-k pos1[,pos2]`, pos = field[.char], 1-based; fields split by
  mapreduce.map.output.key.field.separator / map.output.key.field.separator): the selected bytes
  of every spec hashed together (h = 31*h + signed byte, from 0). Without options it hashes the
  key's String.hashCode, as Hadoop does.
- comparator `keyfield`: KeyFieldBasedComparator with mapreduce.partition.keycomparator.options
  (`-k pos1[,pos2]` with per-spec `n` numeric and `r` reverse; global `-n`, `-r`, `-nr`),
  comparing spec by spec; raw byte order otherwise.

LIMITATIONS: numeric fields compare as numbers parsed from their leading `-?digits[.digits]`
(anything else as 0, like `sort -n`), where Hadoop's byte-wise numericalCompare gives an
inconsistent order on malformed numbers; two keys both lacking a field compare equal on it
(Hadoop's comparator is not symmetric there). The partitioner hashes the key's bytes as they
are (Hadoop re-encodes them through a Java String, which only differs for invalid UTF-8).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from functools import total_ordering
from typing import Any

from emr.mapreduce.job import JobSpec

__all__ = [
    "KeyFieldHelper",
    "KeySpec",
    "make_partitioner",
    "make_sort_key",
    "parse_key_options",
    "text_hash",
]

_MASK = 0xFFFFFFFF
_INVALID_K = (
    "Invalid -k argument. Must be of the form -k pos1,[pos2], where pos is of the form f[.c]nr"
)


def _int32(value: int) -> int:
    value &= _MASK
    return value - (1 << 32) if value & 0x80000000 else value


def _hash_bytes(data: bytes, start: int) -> int:
    h = start
    for index, byte in enumerate(data):
        h = 31 * h + (byte - 256 if byte > 127 else byte)
        if index & 63 == 63:  # keep the Python int small; int32 wrap-around is mod 2**32
            h &= _MASK
    return _int32(h)


def text_hash(b: bytes) -> int:
    """Text.hashCode: WritableComparator.hashBytes over the key's bytes."""
    return _hash_bytes(b, 1)


def _string_hash(key: bytes) -> int:
    """Java String.hashCode of the key decoded as UTF-8 (over UTF-16 code units)."""
    h = 0
    text = key.decode("utf-8", "replace").encode("utf-16-be")
    for i in range(0, len(text), 2):
        h = (31 * h + (text[i] << 8 | text[i + 1])) & _MASK
    return _int32(h)


@dataclass
class KeySpec:
    """One `-k` of KeyFieldHelper (KeyDescription): fields and chars are 1-based; end field 0
    means to the end of the key, end char 0 to the end of the field."""

    begin_field: int = 1
    begin_char: int = 1
    end_field: int = 0
    end_char: int = 0
    numeric: bool = False
    reverse: bool = False


def _parse_key(text: str) -> KeySpec:
    tokens = re.findall(r"[nr.,]|[^nr.,]+", text)
    key = KeySpec()

    def number(index: int) -> int:
        try:
            return int(tokens[index])
        except (IndexError, ValueError) as exc:
            raise ValueError(_INVALID_K) from exc

    i = 0
    key.begin_field = number(i)
    i += 1
    if i < len(tokens) and tokens[i] == ".":
        key.begin_char = number(i + 1)
        i += 2
    while i < len(tokens) and tokens[i] in ("n", "r"):
        key.numeric |= tokens[i] == "n"
        key.reverse |= tokens[i] == "r"
        i += 1
    if i == len(tokens):
        return key
    if tokens[i] != ",":
        raise ValueError(_INVALID_K)
    key.end_field = number(i + 1)
    i += 2
    if i < len(tokens) and tokens[i] == ".":
        key.end_char = number(i + 1)
        i += 2
    for token in tokens[i:]:
        if token not in ("n", "r"):
            raise ValueError(_INVALID_K)
        key.numeric |= token == "n"
        key.reverse |= token == "r"
    return key


def parse_key_options(options: str) -> list[KeySpec]:
    """KeyFieldHelper.parseOption: the `-k` specs (a global -n/-r applies to specs without
    their own flags); no specs but a global flag: one spec over the whole key."""
    words = options.split()
    if not words:
        return []
    specs: list[KeySpec] = []
    numeric = reverse = False
    i = 0
    while i < len(words):
        word = words[i]
        numeric |= word in ("-n", "-nr")
        reverse |= word in ("-r", "-nr")
        if word.startswith("-k"):
            argument = word[2:]
            if not argument and i + 1 < len(words):
                i += 1
                argument = words[i]
            if argument:
                specs.append(_parse_key(argument))
        i += 1
    for spec in specs:
        if not (spec.numeric or spec.reverse):
            spec.numeric, spec.reverse = numeric, reverse
    return specs or [KeySpec(numeric=numeric, reverse=reverse)]


class KeyFieldHelper:
    """The byte ranges a key spec selects in a key (KeyFieldHelper's offsets)."""

    def __init__(self, separator: bytes, specs: list[KeySpec], *, fields_seen: bool) -> None:
        self.separator = separator
        self.specs = specs
        # Without a -k the whole key is one field, whatever separators it holds.
        self._fields_seen = fields_seen

    def word_lengths(self, key: bytes) -> list[int]:
        """[number of fields, length of field 1, …] (getWordLengths)."""
        if not self._fields_seen:
            return [1]
        lengths = [0]
        start = 0
        while True:
            found = key.find(self.separator, start) if self.separator else -1
            if found < 0:
                break
            lengths.append(found - start)
            # Hadoop steps one byte past the separator's start, whatever its length
            start = found + 1
        lengths.append(len(key) - start)
        lengths[0] = len(lengths) - 1
        return lengths

    def _position(self, lengths: list[int], field: int) -> int:
        return sum(lengths[i] + len(self.separator) for i in range(1, field))

    def start_offset(self, key: bytes, lengths: list[int], spec: KeySpec) -> int:
        """The first byte of the spec in the key, -1 when the key has no such field/char."""
        if lengths[0] >= spec.begin_field:
            position = self._position(lengths, spec.begin_field)
            if position + spec.begin_char <= len(key):
                return position + spec.begin_char - 1
        return -1

    def end_offset(self, key: bytes, lengths: list[int], spec: KeySpec) -> int:
        """The last byte (inclusive) of the spec in the key."""
        if spec.end_field == 0 or lengths[0] < spec.end_field:
            return len(key) - 1
        position = self._position(lengths, spec.end_field)
        if spec.end_char == 0:
            position += lengths[spec.end_field]
        if position + spec.end_char <= len(key):
            return position + spec.end_char - 1
        return len(key) - 1


def _key_separator(spec: JobSpec) -> bytes:
    for name in ("mapreduce.map.output.key.field.separator", "map.output.key.field.separator"):
        if name in spec.conf:
            return spec.conf[name].encode()
    return spec.get("map.output.key.field.separator").encode()


def _has_key_spec(options: str) -> bool:
    return any(word.startswith("-k") for word in options.split())


def _options(spec: JobSpec, key: str, old: str) -> str:
    return spec.conf.get(key, spec.conf.get(old, spec.get(key)))


def make_partitioner(spec: JobSpec) -> Callable[[bytes], int]:
    """key → partition in [0, spec.num_reduces)."""
    reduces = max(spec.num_reduces, 1)
    if spec.partitioner == "hash":
        if reduces == 1:
            return lambda key: 0
        cache: dict[bytes, int] = {}

        def hash_partition(key: bytes) -> int:
            # map output keys repeat (words): remember their partitions, up to a bound
            found = cache.get(key)
            if found is None:
                found = (text_hash(key) & 0x7FFFFFFF) % reduces
                if len(cache) < 1 << 16:
                    cache[key] = found
            return found

        return hash_partition
    legacy = spec.conf.get("num.key.fields.for.partition")
    if legacy is not None:
        fields = int(legacy)
        specs = [KeySpec(end_field=fields)] if fields >= 1 else []
        seen = bool(specs)
    else:
        options = _options(
            spec,
            "mapreduce.partition.keypartitioner.options",
            "mapred.text.key.partitioner.options",
        )
        specs, seen = parse_key_options(options), _has_key_spec(options)
    if not specs:
        return lambda key: (_string_hash(key) & 0x7FFFFFFF) % reduces
    helper = KeyFieldHelper(_key_separator(spec), specs, fields_seen=seen)
    fast = _whole_fields_partitioner(helper, reduces) if seen else None
    if fast is not None:
        return fast

    def partition(key: bytes) -> int:
        if not key:
            return 0
        lengths = helper.word_lengths(key)
        h = 0
        for key_spec in helper.specs:
            start = helper.start_offset(key, lengths, key_spec)
            if start < 0:
                continue
            end = helper.end_offset(key, lengths, key_spec)
            h = _hash_bytes(key[start : end + 1], h)
        return (h & 0x7FFFFFFF) % reduces

    return partition


def _whole_fields_partitioner(
    helper: KeyFieldHelper, reduces: int
) -> Callable[[bytes], int] | None:
    """The partitioner of one `-kF1,F2` spec of whole fields over a one-byte separator (the
    usual `-k1,1`), without KeyFieldHelper's offsets: the selected bytes are fields F1..F2
    as they stand in the key, and their partition is remembered (they repeat)."""
    if len(helper.specs) != 1 or len(helper.separator) != 1:
        return None
    (key_spec,) = helper.specs
    first, last = key_spec.begin_field, key_spec.end_field
    if key_spec.begin_char != 1 or key_spec.end_char != 0 or not 1 <= first <= last:
        return None
    separator = helper.separator
    cache: dict[bytes, int] = {}

    def partition(key: bytes) -> int:
        if not key:
            return 0
        fields = key.split(separator, last)
        if len(fields) > last:  # the key has more fields than the spec's last
            selected = separator.join(fields[first - 1 : last])
        elif first > len(fields) or (first == len(fields) and not fields[-1]):
            return 0  # the field is not there (an empty last field starts past the key)
        else:
            selected = separator.join(fields[first - 1 :])
        found = cache.get(selected)
        if found is None:
            found = (_hash_bytes(selected, 0) & 0x7FFFFFFF) % reduces
            if len(cache) < 1 << 16:
                cache[selected] = found
        return found

    return partition


@total_ordering
class _Reversed:
    """Inverts the order of what it wraps (a reversed key spec)."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Reversed) and bool(self.value == other.value)

    def __lt__(self, other: _Reversed) -> bool:
        return bool(other.value < self.value)

    def __hash__(self) -> int:
        return hash(self.value)


_NUMBER = re.compile(rb"-?\d*(?:\.\d*)?")


def _numeric(field: bytes) -> Decimal:
    match = _NUMBER.match(field)
    text = match.group(0) if match else b""
    if text in (b"", b"-", b".", b"-."):
        return Decimal(0)
    return Decimal(text.decode())


def make_sort_key(spec: JobSpec) -> Callable[[bytes], Any] | None:
    """The sort key of map output keys; None for Text's raw byte order."""
    if spec.comparator != "keyfield":
        return None
    options = _options(
        spec, "mapreduce.partition.keycomparator.options", "mapred.text.key.comparator.options"
    )
    specs = parse_key_options(options)
    if not specs:
        return None
    helper = KeyFieldHelper(_key_separator(spec), specs, fields_seen=_has_key_spec(options))

    def sort_key(key: bytes) -> tuple[Any, ...]:
        lengths = helper.word_lengths(key)
        parts: list[Any] = []
        for key_spec in helper.specs:
            start = helper.start_offset(key, lengths, key_spec)
            part: Any
            if start < 0:
                part = (0,)  # a missing field sorts first (last when reversed)
            else:
                field = key[start : max(start, helper.end_offset(key, lengths, key_spec) + 1)]
                part = (1, _numeric(field) if key_spec.numeric else field)
            parts.append(_Reversed(part) if key_spec.reverse else part)
        return tuple(parts)

    return sort_key
