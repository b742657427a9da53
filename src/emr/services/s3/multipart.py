"""Multipart uploads: create, upload (or copy) parts, complete, abort, list."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import quote

from emr.services.provider import CallContext, operation
from emr.services.s3.access import BucketAccess
from emr.services.s3.conditions import parse_copy_source_range
from emr.services.s3.errors import InvalidArgument, MalformedXML
from emr.services.s3.headers import (
    checksum_members,
    object_headers,
    payload_from_body,
    quote_etag,
    supported_checksum_algorithm,
    unquote_etag,
    version_id_member,
)
from emr.services.s3.listing import list_max_keys, name_encoder
from emr.services.s3.names import check_key, owner_of
from emr.services.s3.objects import write_precondition
from emr.services.s3.store import MultipartUpload, Payload
from emr.services.s3.tagging import parse_tagging_header

__all__ = ["MultipartOperations"]

_MAX_PART_NUMBER = 10000


def _check_part_number(part_number: int) -> None:
    if not 1 <= part_number <= _MAX_PART_NUMBER:
        raise InvalidArgument(
            "Part number must be an integer between 1 and 10000, inclusive",
            ArgumentName="partNumber",
            ArgumentValue=part_number,
        )


def _upload_entry(upload: MultipartUpload, encode: Any) -> dict[str, Any]:
    owner = owner_of(upload.owner_account)
    return {
        "UploadId": upload.upload_id,
        "Key": encode(upload.key),
        "Initiated": upload.initiated,
        "StorageClass": upload.headers.storage_class,
        "Owner": owner,
        "Initiator": owner,
        "ChecksumAlgorithm": upload.checksum_algorithm,
    }


class MultipartOperations(BucketAccess):
    """Create/UploadPart/UploadPartCopy/Complete/Abort/ListParts/ListMultipartUploads."""

    @operation("CreateMultipartUpload")
    async def create_multipart_upload(
        self,
        context: CallContext,
        *,
        Bucket: str,
        Key: str,
        Tagging: str | None = None,
        ChecksumAlgorithm: str | None = None,
        **members: Any,
    ) -> dict[str, Any]:
        await self.owned_bucket(context, Bucket)
        check_key(Key)
        algorithm = supported_checksum_algorithm(ChecksumAlgorithm)
        upload = await self.store.create_multipart_upload(
            Bucket,
            Key,
            object_headers(members),
            owner_account=context.account_id,
            tags=parse_tagging_header(Tagging) if Tagging is not None else None,
            checksum_algorithm=algorithm,
        )
        result = {
            "Bucket": Bucket,
            "Key": Key,
            "UploadId": upload.upload_id,
            "ChecksumAlgorithm": algorithm,
        }
        return result

    @operation("UploadPart")
    async def upload_part(
        self,
        context: CallContext,
        *,
        Bucket: str,
        Key: str,
        UploadId: str,
        PartNumber: int,
        Body: Any = b"",
        **members: Any,
    ) -> dict[str, Any]:
        await self.owned_bucket(context, Bucket)
        check_key(Key)
        _check_part_number(PartNumber)
        part = await self.store.upload_part(
            Bucket, Key, UploadId, PartNumber, payload_from_body(Body, members)
        )
        return {"ETag": quote_etag(part.etag), **checksum_members(part.checksums)}

    @operation("UploadPartCopy")
    async def upload_part_copy(
        self,
        context: CallContext,
        *,
        Bucket: str,
        Key: str,
        UploadId: str,
        PartNumber: int,
        CopySourceRange: str | None = None,
        **members: Any,
    ) -> dict[str, Any]:
        await self.owned_bucket(context, Bucket)
        check_key(Key)
        _check_part_number(PartNumber)
        await self.store.get_multipart_upload(Bucket, Key, UploadId)
        _, source_bucket, version = await self.copy_source(context, members)
        start, end = 0, version.size
        if CopySourceRange is not None:
            byte_range = parse_copy_source_range(CopySourceRange, version.size)
            start, end = byte_range.start, byte_range.end + 1
        chunks: AsyncIterator[bytes] = self.store.read_object(version, start, end)
        payload = Payload(chunks=chunks, declared_length=end - start)
        part = await self.store.upload_part(Bucket, Key, UploadId, PartNumber, payload)
        result: dict[str, Any] = {
            "CopyPartResult": {
                "ETag": quote_etag(part.etag),
                "LastModified": part.last_modified,
                **checksum_members(part.checksums),
            },
            "CopySourceVersionId": version_id_member(source_bucket, version.version_id),
        }
        return result

    @operation("CompleteMultipartUpload")
    async def complete_multipart_upload(
        self,
        context: CallContext,
        *,
        Bucket: str,
        Key: str,
        UploadId: str,
        MultipartUpload: dict[str, Any] | None = None,
        **members: Any,
    ) -> dict[str, Any]:
        bucket = await self.owned_bucket(context, Bucket)
        check_key(Key)
        listed = (MultipartUpload or {}).get("Parts") or []
        if not listed:
            raise MalformedXML()
        parts: list[tuple[int, str]] = []
        for entry in listed:
            if entry.get("PartNumber") is None or entry.get("ETag") is None:
                raise MalformedXML()
            parts.append((int(entry["PartNumber"]), unquote_etag(str(entry["ETag"]))))
        version = await self.store.complete_multipart_upload(
            Bucket, Key, UploadId, parts, precondition=write_precondition(members)
        )
        result: dict[str, Any] = {
            "Location": f"/{quote(Bucket)}/{quote(Key, errors='surrogateescape')}",
            "Bucket": Bucket,
            "Key": Key,
            "ETag": quote_etag(version.etag),
            "VersionId": version_id_member(bucket, version.version_id),
        }
        if version.checksums:
            result.update(checksum_members(version.checksums))
            result["ChecksumType"] = version.checksum_type
        return result

    @operation("AbortMultipartUpload")
    async def abort_multipart_upload(
        self, context: CallContext, *, Bucket: str, Key: str, UploadId: str, **_: Any
    ) -> dict[str, Any]:
        await self.owned_bucket(context, Bucket)
        check_key(Key)
        await self.store.abort_multipart_upload(Bucket, Key, UploadId)
        return {}

    @operation("ListParts")
    async def list_parts(
        self,
        context: CallContext,
        *,
        Bucket: str,
        Key: str,
        UploadId: str,
        MaxParts: int | None = None,
        PartNumberMarker: int | None = None,
        **_: Any,
    ) -> dict[str, Any]:
        await self.owned_bucket(context, Bucket)
        check_key(Key)
        max_parts = list_max_keys(MaxParts, "max-parts")
        marker = PartNumberMarker or 0
        upload = await self.store.get_multipart_upload(Bucket, Key, UploadId)
        page = await self.store.list_parts(
            Bucket, Key, UploadId, marker=marker, max_parts=max_parts
        )
        owner = owner_of(upload.owner_account)
        result: dict[str, Any] = {
            "Bucket": Bucket,
            "Key": Key,
            "UploadId": UploadId,
            "PartNumberMarker": marker,
            "MaxParts": max_parts,
            "IsTruncated": page.is_truncated,
            "Parts": [
                {
                    "PartNumber": part.part_number,
                    "LastModified": part.last_modified,
                    "ETag": quote_etag(part.etag),
                    "Size": part.size,
                    **checksum_members(part.checksums),
                }
                for part in page.parts
            ],
            "Initiator": owner,
            "Owner": owner,
            "StorageClass": upload.headers.storage_class,
            "ChecksumAlgorithm": upload.checksum_algorithm,
        }
        if page.next_part_number_marker is not None:
            result["NextPartNumberMarker"] = page.next_part_number_marker
        return result

    @operation("ListMultipartUploads")
    async def list_multipart_uploads(
        self,
        context: CallContext,
        *,
        Bucket: str,
        Prefix: str | None = None,
        Delimiter: str | None = None,
        EncodingType: str | None = None,
        KeyMarker: str | None = None,
        UploadIdMarker: str | None = None,
        MaxUploads: int | None = None,
        **_: Any,
    ) -> dict[str, Any]:
        await self.owned_bucket(context, Bucket)
        max_uploads = list_max_keys(MaxUploads, "max-uploads")
        encode = name_encoder(EncodingType)
        delimiter = Delimiter or None
        result: dict[str, Any] = {
            "Bucket": Bucket,
            "KeyMarker": encode(KeyMarker or ""),
            "UploadIdMarker": UploadIdMarker or "",
            "Prefix": encode(Prefix or ""),
            "Delimiter": encode(delimiter) if delimiter else None,
            "MaxUploads": max_uploads,
            "EncodingType": EncodingType,
            "IsTruncated": False,
        }
        if max_uploads > 0:
            page = await self.store.list_multipart_uploads(
                Bucket,
                prefix=Prefix or "",
                delimiter=delimiter,
                key_marker=KeyMarker or "",
                upload_id_marker=UploadIdMarker or "",
                max_uploads=max_uploads,
            )
            result["IsTruncated"] = page.is_truncated
            result["Uploads"] = [_upload_entry(upload, encode) for upload in page.uploads]
            result["CommonPrefixes"] = [{"Prefix": encode(p)} for p in page.common_prefixes]
            if page.is_truncated:
                result["NextKeyMarker"] = (
                    encode(page.next_key_marker) if page.next_key_marker is not None else None
                )
                result["NextUploadIdMarker"] = page.next_upload_id_marker
        return result
