"""S3's checksums: incremental hashers and the base64 encodings S3 and botocore exchange.

Every CRC is sent big-endian and base64-encoded (botocore's `httpchecksum` classes do the
same), SHA digests are base64 of the raw digest, and the ETag is the hex MD5.

Multipart objects carry one of two kinds of checksum (S3 user guide, "Checking object
integrity"):

- COMPOSITE (CRC32, CRC32C, SHA1, SHA256): the checksum of the concatenated *binary* part
  checksums, reported with a "-N" suffix, N the number of parts. `composite_checksum`.
- FULL_OBJECT (CRC64NVME always; CRC32/CRC32C on request): the checksum of the whole
  object's bytes, as if it had been uploaded in one piece. S3 derives it by combining part
  CRCs; a store that assembles the object can simply hash the assembled bytes, which is what
  `emr` does (`FULL_OBJECT_ONLY` names the algorithms that can only be full-object).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import zlib
from collections.abc import Iterable
from typing import Protocol

from awscrt import checksums as crt  # no stubs

__all__ = [
    "FULL_OBJECT_ONLY",
    "Hasher",
    "composite_checksum",
    "decode_checksum",
    "digest_length",
    "etag_of_parts",
    "header_name",
    "new_hasher",
]

#: Algorithms whose multipart checksum is always of the full object.
FULL_OBJECT_ONLY = frozenset({"CRC64NVME"})

_DIGEST_LENGTHS = {"CRC32": 4, "CRC32C": 4, "CRC64NVME": 8, "SHA1": 20, "SHA256": 32, "MD5": 16}


class Hasher(Protocol):
    """What every hasher offers: feed bytes, then take the raw big-endian digest."""

    def update(self, data: bytes | memoryview, /) -> None: ...

    def digest(self) -> bytes: ...


class _Crc32:
    __slots__ = ("_value",)

    def __init__(self) -> None:
        self._value = 0

    def update(self, data: bytes | memoryview, /) -> None:
        self._value = zlib.crc32(data, self._value)

    def digest(self) -> bytes:
        return self._value.to_bytes(4, "big")


class _Crc32c:
    __slots__ = ("_value",)

    def __init__(self) -> None:
        self._value = 0

    def update(self, data: bytes | memoryview, /) -> None:
        self._value = crt.crc32c(bytes(data) if isinstance(data, memoryview) else data, self._value)

    def digest(self) -> bytes:
        return self._value.to_bytes(4, "big")


class _Crc64Nvme:
    __slots__ = ("_value",)

    def __init__(self) -> None:
        self._value = 0

    def update(self, data: bytes | memoryview, /) -> None:
        value = crt.crc64nvme(bytes(data) if isinstance(data, memoryview) else data, self._value)
        self._value = value & 0xFFFFFFFFFFFFFFFF

    def digest(self) -> bytes:
        return self._value.to_bytes(8, "big")


def new_hasher(algorithm: str) -> Hasher:
    """A fresh hasher for "MD5" or one of S3's checksum algorithms (upper-case names)."""
    match algorithm:
        case "CRC32":
            return _Crc32()
        case "CRC32C":
            return _Crc32c()
        case "CRC64NVME":
            return _Crc64Nvme()
        case "SHA1":
            return hashlib.sha1(usedforsecurity=False)
        case "SHA256":
            return hashlib.sha256()
        case "MD5":
            return hashlib.md5(usedforsecurity=False)
    raise ValueError(f"unknown checksum algorithm {algorithm!r}")


def digest_length(algorithm: str) -> int:
    """Bytes in the raw digest of `algorithm`."""
    return _DIGEST_LENGTHS[algorithm]


def header_name(algorithm: str) -> str:
    """The request header that carries the algorithm's value, e.g. x-amz-checksum-crc32."""
    return f"x-amz-checksum-{algorithm.lower()}"


def decode_checksum(algorithm: str, value: str) -> bytes | None:
    """The raw digest in a base64 header value, or None when it is not a valid value."""
    try:
        raw = base64.b64decode(value.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        return None
    return raw if len(raw) == _DIGEST_LENGTHS[algorithm] else None


def composite_checksum(algorithm: str, part_checksums: Iterable[str]) -> str:
    """S3's COMPOSITE multipart checksum: base64(hash(concat(raw part checksums)))-N."""
    hasher = new_hasher(algorithm)
    count = 0
    for value in part_checksums:
        hasher.update(base64.b64decode(value))
        count += 1
    return f"{base64.b64encode(hasher.digest()).decode('ascii')}-{count}"


def etag_of_parts(part_etags: Iterable[str]) -> str:
    """A multipart object's ETag: hex md5 of the concatenated binary part MD5s, "-N"."""
    md5 = hashlib.md5(usedforsecurity=False)
    count = 0
    for etag in part_etags:
        md5.update(bytes.fromhex(etag.strip('"')))
        count += 1
    return f"{md5.hexdigest()}-{count}"
