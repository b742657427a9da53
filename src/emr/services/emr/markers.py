"""Pagination tokens (NextToken / Marker) of EMR's listings.

A token is opaque to clients: the listing's name and a position, base64-encoded. The name is
checked on the way back, so a token of one listing cannot be replayed against another. What the
position means is the listing's business: an offset into a fixed catalog (release labels,
instance types) or the row id after which a stored listing resumes (security configurations),
so a listing that changes between pages neither repeats nor skips what was already there.
"""

from __future__ import annotations

import base64
import binascii

from emr.errors import ServiceError

__all__ = ["InvalidNextToken", "decode_marker", "encode_marker"]


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
