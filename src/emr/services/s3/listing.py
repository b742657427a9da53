"""Listing: ListObjectsV2, ListObjects (v1) and ListObjectVersions."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from emr.services.provider import CallContext, operation
from emr.services.s3.access import BucketAccess
from emr.services.s3.errors import InvalidArgument
from emr.services.s3.headers import quote_etag
from emr.services.s3.names import owner_of
from emr.services.s3.store import ListPage, ObjectVersion

__all__ = [
    "ListingOperations",
    "continuation_token",
    "key_from_continuation_token",
    "list_max_keys",
    "name_encoder",
]

#: S3 never returns more than this many entries in one page, whatever max-keys asks.
MAX_PAGE = 1000
_TOKEN_PREFIX = b"emr1:"


def continuation_token(key: str) -> str:
    """An opaque ListObjectsV2 token that resumes after `key`."""
    raw = _TOKEN_PREFIX + key.encode("utf-8", "surrogateescape")
    return base64.urlsafe_b64encode(raw).decode("ascii")


def key_from_continuation_token(token: str) -> str:
    """The key a token resumes after; InvalidArgument for a token this endpoint never gave."""
    try:
        raw = base64.urlsafe_b64decode(token.encode("ascii"))
    except (binascii.Error, ValueError, UnicodeEncodeError) as exc:
        raise _bad_token(token) from exc
    if not token or not raw.startswith(_TOKEN_PREFIX):
        raise _bad_token(token)
    return raw[len(_TOKEN_PREFIX) :].decode("utf-8", "surrogateescape")


def _bad_token(token: str) -> InvalidArgument:
    return InvalidArgument(
        "The continuation token provided is incorrect",
        ArgumentName="continuation-token",
        ArgumentValue=token,
    )


def list_max_keys(value: int | None, argument: str = "max-keys") -> int:
    """max-keys as S3 reads it: default and cap 1000, negative refused."""
    if value is None:
        return MAX_PAGE
    if value < 0:
        raise InvalidArgument(
            f"Argument {argument} must be an integer between 0 and 2147483647",
            ArgumentName=argument,
            ArgumentValue=value,
        )
    return min(value, MAX_PAGE)


def name_encoder(encoding_type: str | None) -> Callable[[str], str]:
    """How keys and prefixes appear in a listing: percent-encoded for `EncodingType=url`
    (so keys with characters XML cannot carry survive), as they are otherwise."""
    if encoding_type is None:
        return lambda name: name
    if encoding_type.lower() != "url":
        raise InvalidArgument(
            "Invalid Encoding Method specified in Request",
            ArgumentName="encoding-type",
            ArgumentValue=encoding_type,
        )
    return lambda name: quote(name, safe="/", errors="surrogateescape")


def _object_entry(
    version: ObjectVersion, encode: Callable[[str], str], *, owner: bool
) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "Key": encode(version.key),
        "LastModified": version.last_modified,
        "ETag": quote_etag(version.etag),
        "Size": version.size,
        "StorageClass": version.headers.storage_class,
    }
    if version.checksums:
        entry["ChecksumAlgorithm"] = list(version.checksums)
        entry["ChecksumType"] = version.checksum_type
    if owner:
        entry["Owner"] = owner_of(version.owner_account)
    return entry


def _common_prefixes(
    page_prefixes: list[str], encode: Callable[[str], str]
) -> list[dict[str, str]]:
    return [{"Prefix": encode(prefix)} for prefix in page_prefixes]


class ListingOperations(BucketAccess):
    """ListObjectsV2, ListObjects, ListObjectVersions."""

    async def _page(
        self, bucket: str, prefix: str, delimiter: str | None, after: str, max_keys: int
    ) -> ListPage:
        if max_keys == 0:
            return ListPage(objects=[], common_prefixes=[], is_truncated=False, next_marker=None)
        return await self.store.list_objects(
            bucket, prefix=prefix, delimiter=delimiter, after=after, max_keys=max_keys
        )

    @operation("ListObjectsV2")
    async def list_objects_v2(
        self,
        context: CallContext,
        *,
        Bucket: str,
        Prefix: str | None = None,
        Delimiter: str | None = None,
        EncodingType: str | None = None,
        MaxKeys: int | None = None,
        ContinuationToken: str | None = None,
        FetchOwner: bool | None = None,
        StartAfter: str | None = None,
        **_: Any,
    ) -> dict[str, Any]:
        await self.owned_bucket(context, Bucket)
        max_keys = list_max_keys(MaxKeys)
        encode = name_encoder(EncodingType)
        if ContinuationToken is not None:
            after = key_from_continuation_token(ContinuationToken)
        else:
            after = StartAfter or ""
        delimiter = Delimiter or None
        page = await self._page(Bucket, Prefix or "", delimiter, after, max_keys)
        result: dict[str, Any] = {
            "Name": Bucket,
            "Prefix": encode(Prefix or ""),
            "Delimiter": encode(delimiter) if delimiter else None,
            "MaxKeys": max_keys,
            "KeyCount": len(page.objects) + len(page.common_prefixes),
            "IsTruncated": page.is_truncated,
            "Contents": [_object_entry(v, encode, owner=bool(FetchOwner)) for v in page.objects],
            "CommonPrefixes": _common_prefixes(page.common_prefixes, encode),
            "EncodingType": EncodingType,
            "ContinuationToken": ContinuationToken,
            "StartAfter": encode(StartAfter) if StartAfter else None,
        }
        if page.is_truncated and page.next_marker is not None:
            result["NextContinuationToken"] = continuation_token(page.next_marker)
        return result

    @operation("ListObjects")
    async def list_objects(
        self,
        context: CallContext,
        *,
        Bucket: str,
        Prefix: str | None = None,
        Delimiter: str | None = None,
        EncodingType: str | None = None,
        MaxKeys: int | None = None,
        Marker: str | None = None,
        **_: Any,
    ) -> dict[str, Any]:
        await self.owned_bucket(context, Bucket)
        max_keys = list_max_keys(MaxKeys)
        encode = name_encoder(EncodingType)
        delimiter = Delimiter or None
        page = await self._page(Bucket, Prefix or "", delimiter, Marker or "", max_keys)
        result: dict[str, Any] = {
            "Name": Bucket,
            "Prefix": encode(Prefix or ""),
            "Marker": encode(Marker or ""),
            "Delimiter": encode(delimiter) if delimiter else None,
            "MaxKeys": max_keys,
            "IsTruncated": page.is_truncated,
            "Contents": [_object_entry(v, encode, owner=True) for v in page.objects],
            "CommonPrefixes": _common_prefixes(page.common_prefixes, encode),
            "EncodingType": EncodingType,
        }
        # S3 sends NextMarker only with a delimiter; without one, clients resume after the
        # last key listed.
        if page.is_truncated and delimiter and page.next_marker is not None:
            result["NextMarker"] = encode(page.next_marker)
        return result

    @operation("ListObjectVersions")
    async def list_object_versions(
        self,
        context: CallContext,
        *,
        Bucket: str,
        Prefix: str | None = None,
        Delimiter: str | None = None,
        EncodingType: str | None = None,
        MaxKeys: int | None = None,
        KeyMarker: str | None = None,
        VersionIdMarker: str | None = None,
        **_: Any,
    ) -> dict[str, Any]:
        await self.owned_bucket(context, Bucket)
        max_keys = list_max_keys(MaxKeys)
        encode = name_encoder(EncodingType)
        if VersionIdMarker and not KeyMarker:
            raise InvalidArgument(
                "A version-id marker cannot be specified without a key marker.",
                ArgumentName="version-id-marker",
                ArgumentValue=VersionIdMarker,
            )
        delimiter = Delimiter or None
        versions: list[dict[str, Any]] = []
        markers: list[dict[str, Any]] = []
        result: dict[str, Any] = {
            "Name": Bucket,
            "Prefix": encode(Prefix or ""),
            "KeyMarker": encode(KeyMarker or ""),
            "VersionIdMarker": VersionIdMarker or "",
            "Delimiter": encode(delimiter) if delimiter else None,
            "MaxKeys": max_keys,
            "EncodingType": EncodingType,
            "IsTruncated": False,
        }
        if max_keys > 0:
            page = await self.store.list_object_versions(
                Bucket,
                prefix=Prefix or "",
                delimiter=delimiter,
                key_marker=KeyMarker or "",
                version_id_marker=VersionIdMarker or "",
                max_keys=max_keys,
            )
            for version in page.versions:
                if version.is_delete_marker:
                    markers.append(
                        {
                            "Key": encode(version.key),
                            "VersionId": version.version_id,
                            "IsLatest": version.is_latest,
                            "LastModified": version.last_modified,
                            "Owner": owner_of(version.owner_account),
                        }
                    )
                else:
                    entry = _object_entry(version, encode, owner=True)
                    entry["VersionId"] = version.version_id
                    entry["IsLatest"] = version.is_latest
                    versions.append(entry)
            result["IsTruncated"] = page.is_truncated
            result["CommonPrefixes"] = _common_prefixes(page.common_prefixes, encode)
            if page.is_truncated:
                if page.next_key_marker is not None:
                    result["NextKeyMarker"] = encode(page.next_key_marker)
                result["NextVersionIdMarker"] = page.next_version_id_marker
        result["Versions"] = versions
        result["DeleteMarkers"] = markers
        return result
