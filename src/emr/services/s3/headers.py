"""Object representation on the wire: request headers in, response members out."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from datetime import datetime
from email.utils import format_datetime
from typing import Any

from emr.services.s3.store import CHECKSUM_ALGORITHMS, Bucket, ObjectHeaders, Payload

__all__ = [
    "DEFAULT_CONTENT_TYPE",
    "checksum_members",
    "expected_checksums",
    "object_headers",
    "payload_from_body",
    "quote_etag",
    "representation_members",
    "strip_aws_chunked",
    "supported_checksum_algorithm",
    "unquote_etag",
    "version_id_member",
]

#: What S3 answers for an object stored without a Content-Type.
DEFAULT_CONTENT_TYPE = "binary/octet-stream"


def quote_etag(etag: str) -> str:
    return f'"{etag}"'


def unquote_etag(etag: str) -> str:
    return etag.strip().strip('"')


def strip_aws_chunked(content_encoding: str | None) -> str | None:
    """The Content-Encoding to store: `aws-chunked` only framed the upload."""
    if content_encoding is None:
        return None
    kept = [c.strip() for c in content_encoding.split(",") if c.strip().lower() != "aws-chunked"]
    kept = [c for c in kept if c]
    return ",".join(kept) or None


def _http_date(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return format_datetime(value, usegmt=True)
    return str(value)


def object_headers(members: Mapping[str, Any]) -> ObjectHeaders:
    """The headers a PUT, CopyObject (REPLACE) or CreateMultipartUpload sets."""
    metadata = members.get("Metadata") or {}
    return ObjectHeaders(
        content_type=members.get("ContentType") or None,
        content_encoding=strip_aws_chunked(members.get("ContentEncoding")),
        content_disposition=members.get("ContentDisposition"),
        content_language=members.get("ContentLanguage"),
        cache_control=members.get("CacheControl"),
        expires=_http_date(members.get("Expires")),
        metadata={str(k).lower(): str(v) for k, v in metadata.items()},
        storage_class=members.get("StorageClass") or "STANDARD",
    )


def supported_checksum_algorithm(name: str | None) -> str | None:
    """A checksum algorithm name the store computes, or None."""
    if name is None:
        return None
    upper = name.upper()
    return upper if upper in CHECKSUM_ALGORITHMS else None


def expected_checksums(members: Mapping[str, Any]) -> dict[str, str]:
    """The checksum values a request sent in headers, by algorithm."""
    found: dict[str, str] = {}
    for algorithm in CHECKSUM_ALGORITHMS:
        value = members.get(f"Checksum{algorithm}")
        if value:
            found[algorithm] = str(value)
    return found


def payload_from_body(body: Any, members: Mapping[str, Any]) -> Payload:
    """A `Payload` for the store from the request's `Body`: a `BodyStream` (whose trailing
    checksums join `expected_checksums` when it ends) or, in tests, plain bytes."""
    declared = getattr(body, "length", None)
    if declared is None:
        declared = (
            len(body) if isinstance(body, bytes | bytearray) else members.get("ContentLength")
        )
    payload = Payload(
        chunks=_no_chunks(),
        content_md5=members.get("ContentMD5"),
        checksum_algorithm=supported_checksum_algorithm(members.get("ChecksumAlgorithm")),
        expected_checksums=expected_checksums(members),
        declared_length=declared,
    )
    payload.chunks = _chunks(body, payload)
    return payload


async def _no_chunks() -> AsyncIterator[bytes]:
    return
    yield b""  # pragma: no cover - makes this an async generator


async def _chunks(body: Any, payload: Payload) -> AsyncIterator[bytes]:
    if body is None:
        return
    if isinstance(body, bytes | bytearray | memoryview):
        if body:
            yield bytes(body)
        return
    async for chunk in body:
        yield chunk
    trailers: Mapping[str, str] = getattr(body, "trailers", {}) or {}
    for algorithm in CHECKSUM_ALGORITHMS:
        value = trailers.get(f"x-amz-checksum-{algorithm.lower()}")
        if value:
            payload.expected_checksums[algorithm] = value


def checksum_members(checksums: Mapping[str, str]) -> dict[str, str]:
    """`{"CRC32": v}` → `{"ChecksumCRC32": v}`."""
    return {f"Checksum{algorithm}": value for algorithm, value in checksums.items()}


def version_id_member(bucket: Bucket, version_id: str | None) -> str | None:
    """S3 names versions only in buckets whose versioning was ever configured."""
    if version_id is None or (bucket.versioning is None and version_id == "null"):
        return None
    return version_id


def representation_members(headers: ObjectHeaders) -> dict[str, Any]:
    """The Content-* and metadata members of a GET/HEAD answer (Expires goes as a raw
    header: it is kept as sent)."""
    members: dict[str, Any] = {
        "ContentType": headers.content_type or DEFAULT_CONTENT_TYPE,
        "ContentEncoding": headers.content_encoding,
        "ContentDisposition": headers.content_disposition,
        "ContentLanguage": headers.content_language,
        "CacheControl": headers.cache_control,
    }
    if headers.metadata:
        members["Metadata"] = dict(headers.metadata)
    if headers.storage_class != "STANDARD":
        members["StorageClass"] = headers.storage_class
    return {k: v for k, v in members.items() if v is not None}
