"""Byte ranges and conditional requests as S3 evaluates them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from emr.services.s3.conditions import (
    ByteRange,
    Conditions,
    Verdict,
    check_copy_source_conditions,
    check_read_conditions,
    etag_matches,
    evaluate_conditions,
    parse_copy_source_range,
    parse_range,
)
from emr.services.s3.errors import InvalidArgument, InvalidRange, NotModified, PreconditionFailed

MODIFIED = datetime(2024, 5, 1, 12, 0, 0, 500_000, tzinfo=UTC)
BEFORE = MODIFIED - timedelta(days=1)
AFTER = MODIFIED + timedelta(days=1)
ETAG = "9b2cf535f27731c974343645a3985328"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("bytes=0-4", ByteRange(0, 4, 10)),
        ("bytes=2-", ByteRange(2, 9, 10)),
        ("bytes=-3", ByteRange(7, 9, 10)),
        ("bytes=-30", ByteRange(0, 9, 10)),  # a suffix longer than the object: all of it
        ("bytes=5-100", ByteRange(5, 9, 10)),  # the end is clamped
        ("bytes=9-9", ByteRange(9, 9, 10)),
    ],
)
def test_satisfiable_ranges(header: str, expected: ByteRange) -> None:
    assert parse_range(header, 10) == expected


@pytest.mark.parametrize(
    "header",
    [None, "bytes=0-1,3-4", "bytes=5-2", "items=0-1", "bytes=abc", "bytes=-", "nonsense"],
)
def test_ignored_ranges_mean_the_whole_object(header: str | None) -> None:
    assert parse_range(header, 10) is None


@pytest.mark.parametrize(
    ("header", "size"),
    [("bytes=10-", 10), ("bytes=10-20", 10), ("bytes=-0", 10), ("bytes=0-", 0), ("bytes=-5", 0)],
)
def test_unsatisfiable_ranges_are_416_with_the_object_size(header: str, size: int) -> None:
    with pytest.raises(InvalidRange) as caught:
        parse_range(header, size)
    assert caught.value.status_code == 416
    assert caught.value.fields["ActualObjectSize"] == size
    assert caught.value.fields["RangeRequested"] == header


def test_content_range_and_length() -> None:
    byte_range = ByteRange(2, 5, 10)
    assert byte_range.length == 4
    assert byte_range.content_range == "bytes 2-5/10"


def test_copy_source_range_needs_both_ends_within_the_source() -> None:
    assert parse_copy_source_range("bytes=0-9", 10) == ByteRange(0, 9, 10)
    for bad in ("bytes=0-", "bytes=-5", "bytes=5-2", "0-5"):
        with pytest.raises(InvalidArgument):
            parse_copy_source_range(bad, 10)
    with pytest.raises(InvalidArgument, match="size: 10"):
        parse_copy_source_range("bytes=0-10", 10)


@pytest.mark.parametrize(
    ("header", "matches"),
    [
        ("*", True),
        (f'"{ETAG}"', True),
        (ETAG, True),
        (f'W/"{ETAG}"', True),
        (f'"other", "{ETAG}"', True),
        ('"other"', False),
    ],
)
def test_etag_lists(header: str, matches: bool) -> None:
    assert etag_matches(header, ETAG) is matches


@pytest.mark.parametrize(
    ("conditions", "verdict", "decider"),
    [
        (Conditions(), Verdict.PROCEED, None),
        (Conditions(if_match=f'"{ETAG}"'), Verdict.PROCEED, None),
        (Conditions(if_match='"x"'), Verdict.PRECONDITION_FAILED, "If-Match"),
        (
            Conditions(if_unmodified_since=BEFORE),
            Verdict.PRECONDITION_FAILED,
            "If-Unmodified-Since",
        ),
        (Conditions(if_unmodified_since=AFTER), Verdict.PROCEED, None),
        # If-Match true wins over a failing If-Unmodified-Since (S3's documented rule)
        (Conditions(if_match=ETAG, if_unmodified_since=BEFORE), Verdict.PROCEED, None),
        (Conditions(if_none_match=ETAG), Verdict.NOT_MODIFIED, "If-None-Match"),
        (Conditions(if_none_match='"x"'), Verdict.PROCEED, None),
        (Conditions(if_modified_since=AFTER), Verdict.NOT_MODIFIED, "If-Modified-Since"),
        (Conditions(if_modified_since=BEFORE), Verdict.PROCEED, None),
        # If-None-Match false → 304 even when If-Modified-Since holds
        (
            Conditions(if_none_match=ETAG, if_modified_since=BEFORE),
            Verdict.NOT_MODIFIED,
            "If-None-Match",
        ),
        # If-None-Match true → If-Modified-Since is ignored
        (Conditions(if_none_match='"x"', if_modified_since=AFTER), Verdict.PROCEED, None),
        # 412 beats 304
        (Conditions(if_match='"x"', if_none_match=ETAG), Verdict.PRECONDITION_FAILED, "If-Match"),
    ],
)
def test_precedence(conditions: Conditions, verdict: Verdict, decider: str | None) -> None:
    assert evaluate_conditions(conditions, ETAG, MODIFIED) == (verdict, decider)


def test_dates_compare_at_whole_seconds() -> None:
    same_second = MODIFIED.replace(microsecond=0)
    verdict, _ = evaluate_conditions(Conditions(if_modified_since=same_second), ETAG, MODIFIED)
    assert verdict is Verdict.NOT_MODIFIED
    verdict, _ = evaluate_conditions(Conditions(if_unmodified_since=same_second), ETAG, MODIFIED)
    assert verdict is Verdict.PROCEED


def test_read_conditions_raise_304_with_validators_and_412() -> None:
    with pytest.raises(NotModified) as not_modified:
        check_read_conditions(
            Conditions(if_none_match="*"), ETAG, MODIFIED, headers={"ETag": f'"{ETAG}"'}
        )
    assert not_modified.value.status_code == 304
    assert not_modified.value.headers == {"ETag": f'"{ETAG}"'}
    with pytest.raises(PreconditionFailed) as failed:
        check_read_conditions(Conditions(if_match='"x"'), ETAG, MODIFIED, headers={})
    assert failed.value.fields["Condition"] == "If-Match"


def test_copy_source_conditions_fail_with_412_only() -> None:
    check_copy_source_conditions(Conditions(if_match=ETAG), ETAG, MODIFIED)
    for conditions in (Conditions(if_none_match=ETAG), Conditions(if_modified_since=AFTER)):
        with pytest.raises(PreconditionFailed) as failed:
            check_copy_source_conditions(conditions, ETAG, MODIFIED)
        assert str(failed.value.fields["Condition"]).startswith("x-amz-copy-source-")
