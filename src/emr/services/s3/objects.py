"""Object operations: put, get, head, delete, tagging, attributes and ACL."""

from __future__ import annotations

from datetime import datetime
from email.utils import format_datetime
from typing import Any

from emr.services.provider import CallContext, OperationResult, operation
from emr.services.s3.access import BucketAccess
from emr.services.s3.conditions import ByteRange, Conditions, check_read_conditions, parse_range
from emr.services.s3.errors import (
    InvalidArgument,
    InvalidPartNumber,
    InvalidRequest,
    MalformedXML,
    MethodNotAllowed,
    NotImplementedFeature,
    S3Error,
)
from emr.services.s3.headers import (
    checksum_members,
    object_headers,
    payload_from_body,
    quote_etag,
    representation_members,
    version_id_member,
)
from emr.services.s3.names import check_key, owner_of
from emr.services.s3.store import Bucket as StoredBucket
from emr.services.s3.store import ObjectVersion, Precondition
from emr.services.s3.tagging import (
    MAX_OBJECT_TAGS,
    parse_tagging_header,
    tag_set,
    tags_from_tag_set,
)

__all__ = ["ObjectOperations", "full_control_acl", "write_precondition"]

_MAX_DELETE_KEYS = 1000
_OBJECT_ATTRIBUTES = frozenset({"ETag", "Checksum", "ObjectParts", "StorageClass", "ObjectSize"})
_RESPONSE_OVERRIDES = {
    "ResponseContentType": "ContentType",
    "ResponseContentLanguage": "ContentLanguage",
    "ResponseCacheControl": "CacheControl",
    "ResponseContentDisposition": "ContentDisposition",
    "ResponseContentEncoding": "ContentEncoding",
}


def write_precondition(members: dict[str, Any]) -> Precondition | None:
    """A conditional write's If-Match / If-None-Match (only `*`, as S3 allows)."""
    if_match, if_none_match = members.get("IfMatch"), members.get("IfNoneMatch")
    if if_none_match is not None and if_none_match.strip() != "*":
        raise NotImplementedFeature(Header="If-None-Match", AdditionalMessage="Only * is supported")
    if if_match is None and if_none_match is None:
        return None
    return Precondition(if_match=if_match, if_none_match=if_none_match)


def full_control_acl(account_id: str) -> dict[str, Any]:
    """The only ACL there is: the owner with FULL_CONTROL."""
    owner = owner_of(account_id)
    grantee = {**owner, "Type": "CanonicalUser"}
    return {"Owner": owner, "Grants": [{"Grantee": grantee, "Permission": "FULL_CONTROL"}]}


def _delete_marker_not_allowed(version: ObjectVersion, method: str) -> MethodNotAllowed:
    """S3's answer to GET/HEAD of a delete marker by version id."""
    error = MethodNotAllowed(Method=method, ResourceType="DeleteMarker")
    error.headers.update(
        {
            "x-amz-delete-marker": "true",
            "x-amz-version-id": version.version_id,
            "Last-Modified": format_datetime(version.last_modified, usegmt=True),
        }
    )
    return error


def _part_range(version: ObjectVersion, part_number: int) -> ByteRange | None:
    """The bytes of part `part_number` (None: a single-part object's whole body)."""
    if part_number < 1 or part_number > 10000:
        raise InvalidArgument(
            "Part number must be an integer between 1 and 10000, inclusive",
            ArgumentName="partNumber",
            ArgumentValue=part_number,
        )
    sizes = version.part_sizes
    if not sizes:
        if part_number != 1:
            raise InvalidPartNumber()
        return None
    if part_number > len(sizes):
        raise InvalidPartNumber()
    start = sum(sizes[: part_number - 1])
    return ByteRange(start, start + sizes[part_number - 1] - 1, version.size)


class ObjectOperations(BucketAccess):
    """PutObject, GetObject, HeadObject, DeleteObject(s), tagging, attributes, ACL."""

    @operation("PutObject")
    async def put_object(
        self,
        context: CallContext,
        *,
        Bucket: str,
        Key: str,
        Body: Any = b"",
        Tagging: str | None = None,
        **members: Any,
    ) -> dict[str, Any]:
        bucket = await self.owned_bucket(context, Bucket)
        check_key(Key)
        tags = parse_tagging_header(Tagging) if Tagging is not None else None
        precondition = write_precondition(members)
        version = await self.store.put_object(
            Bucket,
            Key,
            payload_from_body(Body, members),
            object_headers(members),
            owner_account=context.account_id,
            tags=tags,
            precondition=precondition,
        )
        return _written(bucket, version)

    @operation("GetObject")
    async def get_object(
        self, context: CallContext, *, Bucket: str, Key: str, **members: Any
    ) -> OperationResult:
        return await self._read(context, Bucket, Key, members, method="GET")

    @operation("HeadObject")
    async def head_object(
        self, context: CallContext, *, Bucket: str, Key: str, **members: Any
    ) -> OperationResult:
        return await self._read(context, Bucket, Key, members, method="HEAD")

    async def _read(
        self,
        context: CallContext,
        bucket_name: str,
        key: str,
        members: dict[str, Any],
        *,
        method: str,
    ) -> OperationResult:
        bucket = await self.owned_bucket(context, bucket_name)
        check_key(key)
        version = await self.store.get_object(bucket_name, key, members.get("VersionId"))
        if version.is_delete_marker:
            raise _delete_marker_not_allowed(version, method)
        etag = quote_etag(version.etag)
        check_read_conditions(
            Conditions(
                if_match=members.get("IfMatch"),
                if_none_match=members.get("IfNoneMatch"),
                if_modified_since=members.get("IfModifiedSince"),
                if_unmodified_since=members.get("IfUnmodifiedSince"),
            ),
            version.etag,
            version.last_modified,
            headers={
                "ETag": etag,
                "Last-Modified": format_datetime(version.last_modified, usegmt=True),
            },
        )
        part_number: int | None = members.get("PartNumber")
        if part_number is not None and members.get("Range") is not None:
            raise InvalidRequest("Cannot specify both Range header and partNumber query parameter")
        if part_number is not None:
            byte_range = _part_range(version, part_number)
        else:
            byte_range = parse_range(members.get("Range"), version.size)
        result: dict[str, Any] = {
            "AcceptRanges": "bytes",
            "ETag": etag,
            "LastModified": version.last_modified,
            "ContentLength": version.size if byte_range is None else byte_range.length,
            "VersionId": version_id_member(bucket, version.version_id),
            **representation_members(version.headers),
        }
        if version.tags:
            result["TagCount"] = len(version.tags)
        if part_number is not None and version.part_sizes:
            result["PartsCount"] = len(version.part_sizes)
        if byte_range is not None:
            result["ContentRange"] = byte_range.content_range
        whole = byte_range is None
        if (
            whole
            and str(members.get("ChecksumMode", "")).upper() == "ENABLED"
            and version.checksums
        ):
            result.update(checksum_members(version.checksums))
            result["ChecksumType"] = version.checksum_type
        for request_member, response_member in _RESPONSE_OVERRIDES.items():
            if members.get(request_member) is not None:
                result[response_member] = members[request_member]
        extra: dict[str, str] = {}
        expires = members.get("ResponseExpires")
        if isinstance(expires, datetime):
            extra["Expires"] = format_datetime(expires, usegmt=True)
        elif version.headers.expires is not None:
            extra["Expires"] = version.headers.expires
        if method == "GET":
            if byte_range is None:
                result["Body"] = self.store.read_object(version)
            else:
                result["Body"] = self.store.read_object(
                    version, byte_range.start, byte_range.end + 1
                )
        status = None if byte_range is None else 206
        return OperationResult(result, status, extra)

    @operation("DeleteObject")
    async def delete_object(
        self,
        context: CallContext,
        *,
        Bucket: str,
        Key: str,
        VersionId: str | None = None,
        **_: Any,
    ) -> dict[str, Any]:
        bucket = await self.owned_bucket(context, Bucket)
        check_key(Key)
        outcome = await self.store.delete_object(Bucket, Key, VersionId)
        return {
            "DeleteMarker": True if outcome.delete_marker else None,
            "VersionId": version_id_member(bucket, outcome.version_id),
        }

    @operation("DeleteObjects")
    async def delete_objects(
        self, context: CallContext, *, Bucket: str, Delete: dict[str, Any], **_: Any
    ) -> dict[str, Any]:
        bucket = await self.owned_bucket(context, Bucket)
        entries: list[dict[str, Any]] = Delete.get("Objects") or []
        if not entries or len(entries) > _MAX_DELETE_KEYS:
            raise MalformedXML()
        deleted: list[dict[str, Any]] = []
        errors: list[dict[str, Any]] = []
        for entry in entries:
            key, version_id = str(entry.get("Key", "")), entry.get("VersionId")
            try:
                check_key(key)
                outcome = await self.store.delete_object(Bucket, key, version_id)
            except S3Error as error:
                code = "UserKeyMustBeSpecified" if not key else error.code
                errors.append(
                    {"Key": key, "VersionId": version_id, "Code": code, "Message": error.message}
                )
                continue
            item: dict[str, Any] = {"Key": key, "VersionId": version_id}
            if outcome.delete_marker:
                item["DeleteMarker"] = True
                item["DeleteMarkerVersionId"] = version_id_member(bucket, outcome.version_id)
            deleted.append(item)
        result: dict[str, Any] = {"Errors": errors} if errors else {}
        if not Delete.get("Quiet"):
            result["Deleted"] = deleted
        return result

    # -- tagging -------------------------------------------------------------------------

    async def _version(
        self, context: CallContext, bucket_name: str, key: str, version_id: str | None, method: str
    ) -> tuple[StoredBucket, ObjectVersion]:
        bucket = await self.owned_bucket(context, bucket_name)
        check_key(key)
        version = await self.store.get_object(bucket_name, key, version_id)
        if version.is_delete_marker:
            raise _delete_marker_not_allowed(version, method)
        return bucket, version

    @operation("GetObjectTagging")
    async def get_object_tagging(
        self,
        context: CallContext,
        *,
        Bucket: str,
        Key: str,
        VersionId: str | None = None,
        **_: Any,
    ) -> dict[str, Any]:
        bucket, version = await self._version(context, Bucket, Key, VersionId, "GET")
        return {
            "TagSet": tag_set(version.tags),
            "VersionId": version_id_member(bucket, version.version_id),
        }

    @operation("PutObjectTagging")
    async def put_object_tagging(
        self,
        context: CallContext,
        *,
        Bucket: str,
        Key: str,
        Tagging: dict[str, Any],
        VersionId: str | None = None,
        **_: Any,
    ) -> dict[str, Any]:
        bucket = await self.owned_bucket(context, Bucket)
        check_key(Key)
        tags = tags_from_tag_set(Tagging.get("TagSet") or [], limit=MAX_OBJECT_TAGS)
        version = await self.store.put_object_tags(Bucket, Key, VersionId, tags)
        return {"VersionId": version_id_member(bucket, version.version_id)}

    @operation("DeleteObjectTagging")
    async def delete_object_tagging(
        self,
        context: CallContext,
        *,
        Bucket: str,
        Key: str,
        VersionId: str | None = None,
        **_: Any,
    ) -> dict[str, Any]:
        bucket = await self.owned_bucket(context, Bucket)
        check_key(Key)
        version = await self.store.put_object_tags(Bucket, Key, VersionId, {})
        return {"VersionId": version_id_member(bucket, version.version_id)}

    # -- attributes and ACL --------------------------------------------------------------

    @operation("GetObjectAttributes")
    async def get_object_attributes(
        self,
        context: CallContext,
        *,
        Bucket: str,
        Key: str,
        ObjectAttributes: list[str],
        VersionId: str | None = None,
        MaxParts: int | None = None,
        PartNumberMarker: int | None = None,
        **_: Any,
    ) -> dict[str, Any]:
        wanted = {name.strip() for name in ObjectAttributes if name.strip()}
        if not wanted or not wanted <= _OBJECT_ATTRIBUTES:
            raise InvalidArgument(
                "Invalid attribute name specified.",
                ArgumentName="x-amz-object-attributes",
                ArgumentValue=",".join(ObjectAttributes),
            )
        bucket, version = await self._version(context, Bucket, Key, VersionId, "GET")
        result: dict[str, Any] = {
            "LastModified": version.last_modified,
            "VersionId": version_id_member(bucket, version.version_id),
        }
        if "ETag" in wanted:
            result["ETag"] = version.etag
        if "ObjectSize" in wanted:
            result["ObjectSize"] = version.size
        if "StorageClass" in wanted:
            result["StorageClass"] = version.headers.storage_class
        if "Checksum" in wanted and version.checksums:
            result["Checksum"] = {
                **checksum_members(version.checksums),
                "ChecksumType": version.checksum_type,
            }
        if "ObjectParts" in wanted and version.part_sizes:
            result["ObjectParts"] = _object_parts(
                version.part_sizes, PartNumberMarker or 0, 1000 if MaxParts is None else MaxParts
            )
        return result

    @operation("GetObjectAcl")
    async def get_object_acl(
        self,
        context: CallContext,
        *,
        Bucket: str,
        Key: str,
        VersionId: str | None = None,
        **_: Any,
    ) -> dict[str, Any]:
        await self._version(context, Bucket, Key, VersionId, "GET")
        return full_control_acl(context.account_id)


def _written(bucket: StoredBucket, version: ObjectVersion) -> dict[str, Any]:
    """The members of a PUT's answer."""
    result: dict[str, Any] = {
        "ETag": quote_etag(version.etag),
        "VersionId": version_id_member(bucket, version.version_id),
    }
    if version.checksums:
        result.update(checksum_members(version.checksums))
        result["ChecksumType"] = version.checksum_type
    return result


def _object_parts(sizes: tuple[int, ...], marker: int, max_parts: int) -> dict[str, Any]:
    if max_parts < 0 or marker < 0:
        raise InvalidArgument("Argument max-parts must be an integer between 0 and 1000")
    numbered = [(number, size) for number, size in enumerate(sizes, 1) if number > marker]
    page = numbered[:max_parts]
    truncated = len(numbered) > len(page)
    return {
        "TotalPartsCount": len(sizes),
        "PartNumberMarker": marker,
        "NextPartNumberMarker": page[-1][0] if page else marker,
        "MaxParts": max_parts,
        "IsTruncated": truncated,
        "Parts": [{"PartNumber": number, "Size": size} for number, size in page],
    }
