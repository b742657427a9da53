"""Pagination tokens (NextToken / Marker) of EMR's listings.

A token is opaque to clients: the listing's name and a position, base64-encoded. The name is
checked on the way back, so a token of one listing cannot be replayed against another. What the
position means is the listing's business: an offset into a fixed catalog (release labels,
instance types) or the row id after which a stored listing resumes (security configurations),
so a listing that changes between pages neither repeats nor skips what was already there.

Listings ordered by more than one column (clusters: creation time, then id) resume after a
text key instead (`encode_key_marker`); the listing composes and parses that key itself.
"""

from __future__ import annotations

import base64
import binascii

from emr.errors import ServiceError

__all__ = [
    "InvalidNextToken",
    "decode_key_marker",
    "decode_marker",
    "encode_key_marker",
    "encode_marker",
]

#: Separates a listing's name from a text key (no listing name holds a newline).
_KEY_SEPARATOR = "\n"


class InvalidNextToken(ServiceError):
    """A NextToken/Marker this endpoint did not hand out (or one of another listing)."""

    code = "InvalidRequestException"

    def __init__(self) -> None:
        super().__init__("The pagination token is invalid.")


def encode_marker(listing: str, position: int) -> str:
    """The token that resumes `listing` at `position`."""
    return base64.urlsafe_b64encode(f"{listing}:{position}".encode()).decode()


def decode_marker(listing: str, token: str) -> int:
    """The position `token` resumes `listing` at; InvalidNextToken if it is not one of ours."""
    try:
        kind, _, offset = base64.urlsafe_b64decode(token.encode()).decode().rpartition(":")
        position = int(offset)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise InvalidNextToken() from None
    if kind != listing or position < 0:
        raise InvalidNextToken()
    return position


def encode_key_marker(listing: str, key: str) -> str:
    """The token that resumes `listing` after the row whose sort key is `key`."""
    return base64.urlsafe_b64encode(f"{listing}{_KEY_SEPARATOR}{key}".encode()).decode()


def decode_key_marker(listing: str, token: str) -> str:
    """The key `token` resumes `listing` after; InvalidNextToken if it is not one of ours."""
    try:
        text = base64.urlsafe_b64decode(token.encode()).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise InvalidNextToken() from None
    kind, separator, key = text.partition(_KEY_SEPARATOR)
    if kind != listing or not separator or not key:
        raise InvalidNextToken()
    return key
