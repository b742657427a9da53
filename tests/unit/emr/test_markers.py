"""Pagination tokens: round trip, and refusal of tokens of other listings or none at all."""

from __future__ import annotations

import base64

import pytest

from emr.services.emr.markers import InvalidNextToken, decode_marker, encode_marker


@pytest.mark.parametrize("position", [0, 1, 50, 10**12])
def test_round_trip(position: int) -> None:
    assert decode_marker("ListClusters", encode_marker("ListClusters", position)) == position


def test_a_listing_name_may_hold_colons_and_slashes() -> None:
    listing = "ListSupportedInstanceTypes/emr-7.5.0:x"
    assert decode_marker(listing, encode_marker(listing, 7)) == 7


@pytest.mark.parametrize(
    "token",
    [
        encode_marker("ListSteps", 3),  # another listing's
        encode_marker("ListClusters", -1),
        base64.urlsafe_b64encode(b"ListClusters:x").decode(),
        base64.urlsafe_b64encode(b"ListClusters").decode(),
        base64.urlsafe_b64encode(b"\xff\xfe").decode(),
        "not base64!",
        "",
    ],
)
def test_foreign_tokens_are_refused(token: str) -> None:
    with pytest.raises(InvalidNextToken) as caught:
        decode_marker("ListClusters", token)
    assert caught.value.code == "InvalidRequestException"
    assert caught.value.message == "The pagination token is invalid."
