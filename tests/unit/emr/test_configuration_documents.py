"""What Create*SecurityConfiguration and PutBlockPublicAccessConfiguration accept."""

from __future__ import annotations

from typing import Any

import pytest

from emr.services.emr.block_public_access import check_port_ranges
from emr.services.emr.errors import InvalidRequestException
from emr.services.emr.security_configurations import (
    MAX_NAME_LENGTH,
    check_security_configuration,
)


@pytest.mark.parametrize("document", ["{}", '{"EncryptionConfiguration": {}}', ' {"a": [1]} '])
def test_json_objects_are_accepted(document: str) -> None:
    check_security_configuration("name", document)


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ("{", "Invalid security configuration; the document is not valid JSON at line 1 column 2."),
        (
            "{}\n}",
            "Invalid security configuration; the document is not valid JSON at line 2 column 1.",
        ),
        ("[" * 100_000, "Invalid security configuration; the document is not valid JSON."),
        ("null", "Invalid security configuration; the document must be a JSON object."),
        ("3", "Invalid security configuration; the document must be a JSON object."),
    ],
)
def test_other_documents_are_refused(document: str, message: str) -> None:
    with pytest.raises(InvalidRequestException) as caught:
        check_security_configuration("name", document)
    assert caught.value.message == message


@pytest.mark.parametrize("length", [1, MAX_NAME_LENGTH])
def test_name_lengths_accepted(length: int) -> None:
    check_security_configuration("n" * length, "{}")


@pytest.mark.parametrize("length", [0, MAX_NAME_LENGTH + 1])
def test_name_lengths_refused(length: int) -> None:
    with pytest.raises(InvalidRequestException):
        check_security_configuration("n" * length, "{}")


def test_port_ranges_are_kept_as_given() -> None:
    ranges: list[dict[str, Any]] = [
        {"MinRange": 22, "MaxRange": 22},
        {"MinRange": 0, "MaxRange": 65535},
        {"MinRange": 443},
    ]
    assert check_port_ranges(ranges) == ranges
    assert check_port_ranges([]) == []


@pytest.mark.parametrize(
    ("port_range", "message"),
    [
        (
            {"MinRange": 23, "MaxRange": 22},
            "Invalid port range: MinRange 23 is greater than MaxRange 22.",
        ),
        ({"MinRange": -1}, "Invalid port range: ports must be between 0 and 65535."),
        (
            {"MinRange": 1, "MaxRange": 70000},
            "Invalid port range: ports must be between 0 and 65535.",
        ),
    ],
)
def test_bad_port_ranges_are_refused(port_range: dict[str, int], message: str) -> None:
    with pytest.raises(InvalidRequestException) as caught:
        check_port_ranges([{"MinRange": 80, "MaxRange": 80}, port_range])
    assert caught.value.message == message
