"""Scalar conversions shared by the wire protocols: timestamps, blobs and special floats.

Every protocol reads timestamps in whatever form clients send (botocore honours a member's
`timestampFormat` trait, older SDKs and hand-written clients do not) and writes them in the
form the model asks for, so reading is lenient and writing is exact.
"""

from __future__ import annotations

import base64
import binascii
import calendar
import math
import re
from datetime import UTC, datetime
from email.utils import formatdate, parsedate_to_datetime
from typing import Any

__all__ = [
    "ISO8601",
    "RFC822",
    "UNIX_TIMESTAMP",
    "decode_blob",
    "encode_blob",
    "format_float",
    "format_timestamp",
    "parse_float",
    "parse_timestamp",
    "to_datetime",
]

ISO8601 = "iso8601"
RFC822 = "rfc822"
UNIX_TIMESTAMP = "unixTimestamp"

_ISO_RE = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:[.,](\d+))?"
    r"(?:([Zz])|([+-])(\d{2}):?(\d{2}))?$"
)
_NUMBER_RE = re.compile(r"^-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?$")
_SPECIAL_FLOATS = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}


def to_datetime(value: Any) -> datetime:
    """An aware UTC datetime from a datetime (naive means UTC), epoch number or string.

    Providers may hand back either form, so serializers funnel every timestamp through here.
    """
    if isinstance(value, datetime):
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)
    if isinstance(value, bool):
        raise ValueError(f"not a timestamp: {value!r}")
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value, UTC)
    if isinstance(value, str):
        return parse_timestamp(value)
    raise ValueError(f"not a timestamp: {value!r}")


def parse_timestamp(text: str) -> datetime:
    """Parse an ISO 8601, RFC 822 (http-date) or epoch-seconds timestamp to aware UTC."""
    text = text.strip()
    if _NUMBER_RE.match(text):
        try:
            return datetime.fromtimestamp(float(text), UTC)
        except (OverflowError, OSError, ValueError) as exc:
            raise ValueError(f"timestamp out of range: {text!r}") from exc
    match = _ISO_RE.match(text)
    if match:
        return _iso_from_match(match)
    try:
        parsed = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError) as exc:
        raise ValueError(f"not a timestamp: {text!r}") from exc
    return to_datetime(parsed)


def _iso_from_match(match: re.Match[str]) -> datetime:
    year, month, day, hour, minute, second, fraction, _, sign, off_h, off_m = match.groups()
    micro = int((fraction or "0")[:6].ljust(6, "0"))
    try:
        moment = datetime(
            int(year), int(month), int(day), int(hour), int(minute), int(second), micro, UTC
        )
    except ValueError as exc:
        raise ValueError(f"not a timestamp: {match.string!r}") from exc
    if sign:
        offset = (int(off_h) * 60 + int(off_m)) * 60
        moment = datetime.fromtimestamp(
            moment.timestamp() - (offset if sign == "+" else -offset), UTC
        )
    return moment


def format_timestamp(value: Any, timestamp_format: str) -> str | int | float:
    """A timestamp in the model's format, at millisecond precision (Smithy's wire precision).

    `unixTimestamp` gives an int for whole seconds and a float otherwise, as AWS does.
    """
    moment = to_datetime(value)
    millis = moment.microsecond // 1000
    if timestamp_format == UNIX_TIMESTAMP:
        seconds = calendar.timegm(moment.utctimetuple())
        return seconds if millis == 0 else (seconds * 1000 + millis) / 1000
    if timestamp_format == RFC822:
        return formatdate(calendar.timegm(moment.utctimetuple()), usegmt=True)
    base = moment.strftime("%Y-%m-%dT%H:%M:%S")
    return f"{base}.{millis:03d}Z" if millis else f"{base}Z"


def encode_blob(value: Any) -> str:
    """Base64 text for a blob; `str` values are taken as UTF-8 so providers may return either."""
    if isinstance(value, str):
        value = value.encode("utf-8")
    return base64.b64encode(bytes(value)).decode("ascii")


def decode_blob(text: str) -> bytes:
    """Bytes from base64 text; raises ValueError on anything that is not base64."""
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError) as exc:
        raise ValueError("not base64") from exc


def parse_float(text: str) -> float:
    """A float from text, accepting the NaN/Infinity spellings botocore sends."""
    if text in _SPECIAL_FLOATS:
        return _SPECIAL_FLOATS[text]
    return float(text)


def format_float(value: float) -> str | float:
    """A float for a text or JSON document: NaN and infinities become their Smithy names."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return value
