"""Partition numbers and sort orders, against values Java gives."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from emr.mapreduce.partition import (
    KeySpec,
    make_partitioner,
    make_sort_key,
    parse_key_options,
    text_hash,
)
from tests.unit.mapreduce.data_helpers import job_spec


def java_int32_hash(data: bytes, start: int) -> int:
    """A literal transcription of the Java loop, wrapping at every step."""
    h = start
    for byte in data:
        signed = byte - 256 if byte > 127 else byte
        h = (31 * h + signed) & 0xFFFFFFFF
        h = h - (1 << 32) if h >= 1 << 31 else h
    return h


def test_text_hash_known_values() -> None:
    # "hello".hashCode() is 99162322 in Java; hashBytes starts from 1, adding 31**5.
    assert text_hash(b"hello") == 99162322 + 31**5 == 127791473
    # "polygenelubricants".hashCode() == Integer.MIN_VALUE in Java.
    assert text_hash(b"polygenelubricants") == java_int32_hash(b"polygenelubricants", 1)
    assert (java_int32_hash(b"polygenelubricants", 0)) == -(2**31)
    # UTF-8 bytes above 127 count as negative Java bytes: é = C3 A9 → -61, -87.
    assert text_hash("é".encode()) == (31 - 61) * 31 - 87 == -1017
    assert text_hash(b"") == 1
    long_key = bytes(range(256)) * 5
    assert text_hash(long_key) == java_int32_hash(long_key, 1)


def test_hash_partitioner() -> None:
    partition = make_partitioner(job_spec(num_reduces=3))
    assert partition(b"hello") == 127791473 % 3 == 2
    assert partition("é".encode()) == (-1017 & 0x7FFFFFFF) % 3 == 2147482631 % 3
    single = make_partitioner(job_spec(num_reduces=1))
    assert {single(b"k%d" % i) for i in range(100)} == {0}
    seven = make_partitioner(job_spec(num_reduces=7))
    for i in range(500):
        key = b"word%d" % i
        assert seven(key) == (java_int32_hash(key, 1) & 0x7FFFFFFF) % 7


def keyfield(options: str, reduces: int, **conf: str) -> Callable[[bytes], int]:
    settings = {"mapreduce.partition.keypartitioner.options": options, **conf}
    return make_partitioner(job_spec(settings, num_reduces=reduces, partitioner="keyfield"))


def test_keyfield_partitioner_hashes_the_selected_fields_from_zero() -> None:
    by_first = keyfield("-k1,1", 1000)
    assert by_first(b"a\tb") == 97
    assert by_first(b"a\tzzz") == 97
    assert keyfield("-k2,2", 1000)(b"a\tb") == 98
    assert keyfield("-k1,2", 100000)(b"a\tb") == 97 * 31 * 31 + 9 * 31 + 98
    # several specs chain one hash
    assert keyfield("-k2,2 -k1,1", 100000)(b"a\tb") == 98 * 31 + 97
    # a field the key lacks is skipped; the empty key goes to 0
    assert keyfield("-k3,3", 1000)(b"a\tb") == 0
    assert keyfield("-k1,1", 7)(b"") == 0
    # characters within a field, and a custom separator
    dotted = keyfield("-k2.2,2.3", 100000, **{"map.output.key.field.separator": "."})
    assert dotted(b"x.abcd") == ord("b") * 31 + ord("c")
    # the same fields, different rest: the same reduce
    spread = keyfield("-k1,2", 13)
    assert spread(b"u1\t2024\tx") == spread(b"u1\t2024\ty")


def test_keyfield_partitioner_without_options_uses_string_hash() -> None:
    # String.hashCode("polygenelubricants") is Integer.MIN_VALUE: & MAX_VALUE → 0
    assert keyfield("", 5)(b"polygenelubricants") == 0
    assert keyfield("", 1000)(b"hello") == 99162322 % 1000


def test_parse_key_options() -> None:
    assert parse_key_options("") == []
    assert parse_key_options("-k1,1 -k2,2nr") == [
        KeySpec(1, 1, 1, 0),
        KeySpec(2, 1, 2, 0, numeric=True, reverse=True),
    ]
    assert parse_key_options("-k 3.2n") == [KeySpec(3, 2, 0, 0, numeric=True)]
    assert parse_key_options("-nr -k1,1 -k2,2n") == [
        KeySpec(1, 1, 1, 0, numeric=True, reverse=True),
        KeySpec(2, 1, 2, 0, numeric=True),
    ]
    assert parse_key_options("-r") == [KeySpec(reverse=True)]
    with pytest.raises(ValueError, match="Invalid -k argument"):
        parse_key_options("-k1,2x")


def ordered(options: str, keys: list[bytes], **conf: str) -> list[bytes]:
    settings = {"mapreduce.partition.keycomparator.options": options, **conf}
    sort_key = make_sort_key(job_spec(settings, comparator="keyfield"))
    assert sort_key is not None
    return sorted(keys, key=sort_key)


def test_sort_keys() -> None:
    assert make_sort_key(job_spec()) is None
    assert make_sort_key(job_spec(comparator="keyfield")) is None  # no options: raw bytes
    keys = [b"b\t1", b"a\t9", b"a\t10", b"c\t-2", b"a\t010"]
    assert ordered("-k1,1 -k2,2nr", keys) == [b"a\t10", b"a\t010", b"a\t9", b"b\t1", b"c\t-2"]
    assert ordered("-k2,2n", keys) == [b"c\t-2", b"b\t1", b"a\t9", b"a\t10", b"a\t010"]
    assert ordered("-k2,2", keys) == [b"c\t-2", b"a\t010", b"b\t1", b"a\t10", b"a\t9"]
    assert ordered("-r", keys) == sorted(keys, reverse=True)
    assert ordered("-n -k2,2", [b"x\t2.5", b"x\t-1.5", b"x\t2.25"]) == [
        b"x\t-1.5",
        b"x\t2.25",
        b"x\t2.5",
    ]
    # a missing field sorts first, last when reversed
    assert ordered("-k2,2", [b"a\tb", b"z"]) == [b"z", b"a\tb"]
    assert ordered("-k2,2r", [b"z", b"a\tb"]) == [b"a\tb", b"z"]
    # character positions and another separator
    assert ordered("-k1.2,1.2", [b"ab", b"ba", b"ca"]) == [b"ba", b"ca", b"ab"]
    assert ordered(
        "-k2,2nr", [b"a,1", b"b,3", b"c,2"], **{"map.output.key.field.separator": ","}
    ) == [b"b,3", b"c,2", b"a,1"]
