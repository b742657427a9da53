"""The S3 checksum encodings agree with botocore's own checksum classes."""

from __future__ import annotations

import base64
import hashlib
import os

import pytest
from botocore import httpchecksum

from emr.services.s3.checksums import (
    composite_checksum,
    decode_checksum,
    digest_length,
    etag_of_parts,
    header_name,
    new_hasher,
)
from emr.services.s3.store.base import CHECKSUM_ALGORITHMS


def _botocore(algorithm: str, data: bytes) -> str:
    checksum = httpchecksum._CHECKSUM_CLS[algorithm.lower()]()
    checksum.update(data)
    return str(checksum.b64digest())


@pytest.mark.parametrize("algorithm", CHECKSUM_ALGORITHMS)
def test_incremental_hashers_match_botocore(algorithm: str) -> None:
    data = os.urandom(300_001)
    hasher = new_hasher(algorithm)
    for start in range(0, len(data), 65_537):
        hasher.update(data[start : start + 65_537])
    assert base64.b64encode(hasher.digest()).decode() == _botocore(algorithm, data)
    assert len(hasher.digest()) == digest_length(algorithm)
    empty = base64.b64encode(new_hasher(algorithm).digest()).decode()
    assert empty == _botocore(algorithm, b"")


@pytest.mark.parametrize("algorithm", CHECKSUM_ALGORITHMS)
def test_decode_checksum(algorithm: str) -> None:
    value = _botocore(algorithm, b"abc")
    assert decode_checksum(algorithm, value) == base64.b64decode(value)
    assert decode_checksum(algorithm, "!!!") is None
    assert decode_checksum(algorithm, base64.b64encode(b"\0" * 3).decode()) is None
    assert header_name(algorithm) == f"x-amz-checksum-{algorithm.lower()}"


def test_composite_and_etag_of_parts() -> None:
    parts = [os.urandom(1000), os.urandom(10)]
    raw = b"".join(base64.b64decode(_botocore("SHA256", p)) for p in parts)
    expected = base64.b64encode(hashlib.sha256(raw).digest()).decode() + "-2"
    assert composite_checksum("SHA256", [_botocore("SHA256", p) for p in parts]) == expected
    md5s = b"".join(hashlib.md5(p).digest() for p in parts)
    etags = [f'"{hashlib.md5(p).hexdigest()}"' for p in parts]
    assert etag_of_parts(etags) == f"{hashlib.md5(md5s).hexdigest()}-2"


def test_unknown_algorithm() -> None:
    with pytest.raises(ValueError):
        new_hasher("XXHASH64")
