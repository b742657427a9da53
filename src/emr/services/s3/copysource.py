"""The `x-amz-copy-source` header of CopyObject and UploadPartCopy."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import unquote

from emr.services.s3.errors import InvalidArgument

__all__ = ["CopySource", "parse_copy_source"]


@dataclass(frozen=True)
class CopySource:
    bucket: str
    key: str
    version_id: str | None = None


def parse_copy_source(header: str) -> CopySource:
    """`[/]bucket/key[?versionId=id]`, the bucket and key percent-encoded (a literal `?` in a
    key arrives as %3F, so the first raw `?` starts the query)."""
    path, _, query = header.partition("?")
    bucket, _, key = unquote(path.lstrip("/"), errors="surrogateescape").partition("/")
    version_id: str | None = None
    if query:
        for pair in query.split("&"):
            name, _, value = pair.partition("=")
            if name == "versionId":
                version_id = unquote(value)
        if version_id == "":
            raise _invalid(header, "Invalid version id specified")
    if not bucket or not key:
        raise _invalid(header, "Invalid copy source object key")
    return CopySource(bucket, key, version_id)


def _invalid(header: str, message: str) -> InvalidArgument:
    return InvalidArgument(message, ArgumentName="x-amz-copy-source", ArgumentValue=header)
