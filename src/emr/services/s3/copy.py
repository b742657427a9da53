"""CopyObject: within a bucket, across buckets, and onto itself to change metadata."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from emr.services.provider import CallContext, operation
from emr.services.s3.access import BucketAccess
from emr.services.s3.errors import InvalidArgument, InvalidRequest
from emr.services.s3.headers import (
    checksum_members,
    object_headers,
    quote_etag,
    supported_checksum_algorithm,
    version_id_member,
)
from emr.services.s3.names import check_key
from emr.services.s3.objects import write_precondition
from emr.services.s3.store import ObjectHeaders
from emr.services.s3.tagging import parse_tagging_header

__all__ = ["CopyOperations"]

_DIRECTIVES = ("COPY", "REPLACE")
_SELF_COPY_MESSAGE = (
    "This copy request is illegal because it is trying to copy an object to itself without "
    "changing the object's metadata, storage class, website redirect location or encryption "
    "attributes."
)


def _directive(value: str | None, header: str) -> str:
    directive = (value or "COPY").upper()
    if directive not in _DIRECTIVES:
        raise InvalidArgument(
            f"Unknown {header.split('-')[2]} directive.", ArgumentName=header, ArgumentValue=value
        )
    return directive


class CopyOperations(BucketAccess):
    """CopyObject."""

    @operation("CopyObject")
    async def copy_object(
        self,
        context: CallContext,
        *,
        Bucket: str,
        Key: str,
        MetadataDirective: str | None = None,
        TaggingDirective: str | None = None,
        Tagging: str | None = None,
        StorageClass: str | None = None,
        ChecksumAlgorithm: str | None = None,
        **members: Any,
    ) -> dict[str, Any]:
        bucket = await self.owned_bucket(context, Bucket)
        check_key(Key)
        metadata_directive = _directive(MetadataDirective, "x-amz-metadata-directive")
        tagging_directive = _directive(TaggingDirective, "x-amz-tagging-directive")
        source, source_bucket, version = await self.copy_source(context, members)
        changes_something = (
            metadata_directive == "REPLACE"
            or StorageClass is not None
            or ChecksumAlgorithm is not None
            or members.get("WebsiteRedirectLocation") is not None
            or members.get("ServerSideEncryption") is not None
        )
        onto_itself = (source.bucket, source.key) == (Bucket, Key) and version.is_latest
        if onto_itself and not changes_something:
            raise InvalidRequest(_SELF_COPY_MESSAGE)
        headers: ObjectHeaders | None = None
        if metadata_directive == "REPLACE":
            headers = object_headers({**members, "StorageClass": StorageClass})
        elif StorageClass is not None:
            headers = replace(version.headers, storage_class=StorageClass)
        tags = parse_tagging_header(Tagging or "") if tagging_directive == "REPLACE" else None
        copied = await self.store.copy_object(
            version,
            Bucket,
            Key,
            owner_account=context.account_id,
            headers=headers,
            tags=tags,
            checksum_algorithm=supported_checksum_algorithm(ChecksumAlgorithm),
            precondition=write_precondition(members),
        )
        copy_result: dict[str, Any] = {
            "ETag": quote_etag(copied.etag),
            "LastModified": copied.last_modified,
        }
        if copied.checksums:
            copy_result.update(checksum_members(copied.checksums))
            copy_result["ChecksumType"] = copied.checksum_type
        result: dict[str, Any] = {
            "CopyObjectResult": copy_result,
            "VersionId": version_id_member(bucket, copied.version_id),
            "CopySourceVersionId": version_id_member(source_bucket, version.version_id),
        }
        return result
