"""Conditional requests and byte ranges, as S3 evaluates them (pure functions).

Read conditions follow RFC 7232 §6, which is also S3's documented precedence:

    If-Match            false → 412            (when present, If-Unmodified-Since is ignored)
    If-Unmodified-Since false → 412
    If-None-Match       false → 304 on GET/HEAD (when present, If-Modified-Since is ignored)
    If-Modified-Since   false → 304

CopyObject's `x-amz-copy-source-if-*` headers use the same table with 412 in place of 304.
Dates compare at whole seconds, the precision of an HTTP date.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from enum import Enum

from emr.services.s3.errors import InvalidArgument, InvalidRange, NotModified, PreconditionFailed

__all__ = [
    "ByteRange",
    "Conditions",
    "Verdict",
    "check_copy_source_conditions",
    "check_read_conditions",
    "etag_matches",
    "evaluate_conditions",
    "parse_copy_source_range",
    "parse_range",
]

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
_COPY_RANGE = re.compile(r"^bytes=(\d+)-(\d+)$")


@dataclass(frozen=True)
class ByteRange:
    """An inclusive byte range [start, end] of an object of `size` bytes."""

    start: int
    end: int
    size: int

    @property
    def length(self) -> int:
        return self.end - self.start + 1

    @property
    def content_range(self) -> str:
        return f"bytes {self.start}-{self.end}/{self.size}"


def parse_range(header: str | None, size: int) -> ByteRange | None:
    """The range a GET's Range header selects; None means the whole object (no header, a
    header S3 ignores: another unit, several ranges, bad syntax, first > last). A range
    starting at or beyond the end, or a zero-length suffix, raises InvalidRange (416)."""
    if header is None:
        return None
    text = header.strip()
    if "," in text:
        return None
    found = _RANGE.match(text)
    if found is None:
        return None
    first, last = found.group(1), found.group(2)
    if not first and not last:
        return None
    if not first:
        suffix = int(last)
        if suffix == 0 or size == 0:
            raise _unsatisfiable(text, size)
        return ByteRange(max(size - suffix, 0), size - 1, size)
    start = int(first)
    if last and int(last) < start:
        return None
    if start >= size:
        raise _unsatisfiable(text, size)
    end = min(int(last), size - 1) if last else size - 1
    return ByteRange(start, end, size)


def _unsatisfiable(requested: str, size: int) -> InvalidRange:
    return InvalidRange(RangeRequested=requested, ActualObjectSize=size)


def parse_copy_source_range(header: str, size: int) -> ByteRange:
    """UploadPartCopy's `x-amz-copy-source-range: bytes=first-last`, both required."""
    found = _COPY_RANGE.match(header.strip())
    if found is None or int(found.group(1)) > int(found.group(2)):
        raise InvalidArgument(
            "The x-amz-copy-source-range value must be of the form bytes=first-last where "
            "first and last are the zero-based offsets of the first and last bytes to copy",
            ArgumentName="x-amz-copy-source-range",
            ArgumentValue=header,
        )
    start, end = int(found.group(1)), int(found.group(2))
    if end >= size:
        raise InvalidArgument(
            f"Range specified is not valid for source object of size: {size}",
            ArgumentName="x-amz-copy-source-range",
            ArgumentValue=header,
        )
    return ByteRange(start, end, size)


def etag_matches(header: str, etag: str) -> bool:
    """Whether an If-Match / If-None-Match list (`*`, quoted or bare, weak or strong)
    names `etag` (unquoted)."""
    for item in header.split(","):
        candidate = item.strip()
        if candidate == "*":
            return True
        candidate = candidate.removeprefix("W/").strip('"')
        if candidate == etag:
            return True
    return False


@dataclass(frozen=True)
class Conditions:
    """The four conditional headers of a read (or a copy's source)."""

    if_match: str | None = None
    if_none_match: str | None = None
    if_modified_since: datetime | None = None
    if_unmodified_since: datetime | None = None


class Verdict(Enum):
    PROCEED = "proceed"
    NOT_MODIFIED = "not-modified"
    PRECONDITION_FAILED = "precondition-failed"


def _modified_since(last_modified: datetime, moment: datetime) -> bool:
    return int(last_modified.timestamp()) > int(moment.timestamp())


def evaluate_conditions(
    conditions: Conditions, etag: str, last_modified: datetime
) -> tuple[Verdict, str | None]:
    """The verdict and the header that decided it (None when proceeding)."""
    if conditions.if_match is not None:
        if not etag_matches(conditions.if_match, etag):
            return Verdict.PRECONDITION_FAILED, "If-Match"
    elif conditions.if_unmodified_since is not None and _modified_since(
        last_modified, conditions.if_unmodified_since
    ):
        return Verdict.PRECONDITION_FAILED, "If-Unmodified-Since"
    if conditions.if_none_match is not None:
        if etag_matches(conditions.if_none_match, etag):
            return Verdict.NOT_MODIFIED, "If-None-Match"
    elif conditions.if_modified_since is not None and not _modified_since(
        last_modified, conditions.if_modified_since
    ):
        return Verdict.NOT_MODIFIED, "If-Modified-Since"
    return Verdict.PROCEED, None


def check_read_conditions(
    conditions: Conditions, etag: str, last_modified: datetime, *, headers: dict[str, str]
) -> None:
    """Raise NotModified (304) or PreconditionFailed (412) for a GET/HEAD; `headers` (ETag,
    Last-Modified, …) go with a 304 as S3 sends them."""
    verdict, condition = evaluate_conditions(conditions, etag, last_modified)
    if verdict is Verdict.PRECONDITION_FAILED:
        raise PreconditionFailed(Condition=condition)
    if verdict is Verdict.NOT_MODIFIED:
        error = NotModified()
        error.headers.update(headers)
        raise error


def check_copy_source_conditions(
    conditions: Conditions, etag: str, last_modified: datetime
) -> None:
    """Raise PreconditionFailed unless the copy source satisfies its conditions."""
    verdict, condition = evaluate_conditions(conditions, etag, last_modified)
    if verdict is not Verdict.PROCEED:
        header = {
            "If-Match": "x-amz-copy-source-If-Match",
            "If-None-Match": "x-amz-copy-source-If-None-Match",
            "If-Modified-Since": "x-amz-copy-source-If-Modified-Since",
            "If-Unmodified-Since": "x-amz-copy-source-If-Unmodified-Since",
        }.get(condition or "", condition)
        raise PreconditionFailed(Condition=header)
