"""What every group of S3 handlers shares: the store, the region, bucket ownership and the
source of a copy."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from emr.services.provider import CallContext
from emr.services.s3.conditions import Conditions, check_copy_source_conditions
from emr.services.s3.copysource import CopySource, parse_copy_source
from emr.services.s3.errors import AccessDenied, InvalidRequest
from emr.services.s3.names import check_key
from emr.services.s3.store import Bucket, ObjectStore, ObjectVersion

__all__ = ["BucketAccess"]


class BucketAccess:
    """Base of the S3 handler mixins. Buckets belong to the account that created them; any
    other account is refused with AccessDenied (IAM policies will refine this)."""

    def __init__(self, store: ObjectStore, *, region: str) -> None:
        self.store = store
        self.region = region

    async def owned_bucket(self, context: CallContext, name: str) -> Bucket:
        """The bucket (NoSuchBucket if missing), when the caller's account owns it."""
        bucket = await self.store.get_bucket(name)
        if bucket.owner_account != context.account_id:
            raise AccessDenied()
        return bucket

    async def copy_source(
        self, context: CallContext, members: Mapping[str, Any]
    ) -> tuple[CopySource, Bucket, ObjectVersion]:
        """The version `x-amz-copy-source` names, once its `x-amz-copy-source-if-*`
        conditions hold (PreconditionFailed otherwise)."""
        source = parse_copy_source(str(members.get("CopySource", "")))
        check_key(source.key)
        bucket = await self.owned_bucket(context, source.bucket)
        version = await self.store.get_object(source.bucket, source.key, source.version_id)
        if version.is_delete_marker:
            raise InvalidRequest(
                "The source of a copy request may not specifically refer to a delete marker "
                "by version id."
            )
        conditions = Conditions(
            if_match=members.get("CopySourceIfMatch"),
            if_none_match=members.get("CopySourceIfNoneMatch"),
            if_modified_since=members.get("CopySourceIfModifiedSince"),
            if_unmodified_since=members.get("CopySourceIfUnmodifiedSince"),
        )
        check_copy_source_conditions(conditions, version.etag, version.last_modified)
        return source, bucket, version
