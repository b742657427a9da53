"""Bucket operations: create, head, delete, list, location, versioning, ACL."""

from __future__ import annotations

import re
from typing import Any

from emr.services.provider import CallContext, operation
from emr.services.s3.access import BucketAccess
from emr.services.s3.errors import InvalidArgument, InvalidLocationConstraint, MalformedXML
from emr.services.s3.listing import continuation_token, key_from_continuation_token
from emr.services.s3.names import check_bucket_name, owner_of
from emr.services.s3.objects import full_control_acl

__all__ = ["BucketOperations", "bucket_region"]

#: The region S3 means when a bucket has no location constraint.
US_EAST_1 = "us-east-1"
_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d+$")
_MAX_BUCKETS_PAGE = 10000


def bucket_region(location_constraint: str | None, request_region: str) -> str:
    """The region a new bucket lives in. No constraint: the region the request was signed
    for (us-east-1 for S3's classic default). An explicit `us-east-1` is refused, as S3 does;
    `EU` is S3's old name for eu-west-1."""
    if not location_constraint:
        return request_region
    if location_constraint == "EU":
        return "eu-west-1"
    if location_constraint == US_EAST_1 or not _REGION.match(location_constraint):
        raise InvalidLocationConstraint(LocationConstraint=location_constraint)
    return location_constraint


class BucketOperations(BucketAccess):
    """CreateBucket, HeadBucket, DeleteBucket, ListBuckets, GetBucketLocation, versioning
    and the bucket ACL."""

    @operation("CreateBucket")
    async def create_bucket(
        self,
        context: CallContext,
        *,
        Bucket: str,
        CreateBucketConfiguration: dict[str, Any] | None = None,
        **_: Any,
    ) -> dict[str, Any]:
        check_bucket_name(Bucket)
        constraint = (CreateBucketConfiguration or {}).get("LocationConstraint")
        region = bucket_region(constraint, context.region)
        await self.store.create_bucket(Bucket, region=region, owner_account=context.account_id)
        return {"Location": f"/{Bucket}"}

    @operation("HeadBucket")
    async def head_bucket(self, context: CallContext, *, Bucket: str, **_: Any) -> dict[str, Any]:
        bucket = await self.owned_bucket(context, Bucket)
        return {"BucketRegion": bucket.region, "AccessPointAlias": False}

    @operation("DeleteBucket")
    async def delete_bucket(self, context: CallContext, *, Bucket: str, **_: Any) -> dict[str, Any]:
        await self.owned_bucket(context, Bucket)
        await self.store.delete_bucket(Bucket)
        return {}

    @operation("ListBuckets")
    async def list_buckets(
        self,
        context: CallContext,
        *,
        MaxBuckets: int | None = None,
        ContinuationToken: str | None = None,
        Prefix: str | None = None,
        BucketRegion: str | None = None,
        **_: Any,
    ) -> dict[str, Any]:
        if MaxBuckets is not None and not 1 <= MaxBuckets <= _MAX_BUCKETS_PAGE:
            raise InvalidArgument(
                "Argument max-buckets must be an integer between 1 and 10000",
                ArgumentName="max-buckets",
                ArgumentValue=MaxBuckets,
            )
        after = key_from_continuation_token(ContinuationToken) if ContinuationToken else ""
        buckets = [
            bucket
            for bucket in await self.store.list_buckets(context.account_id)
            if bucket.name > after
            and bucket.name.startswith(Prefix or "")
            and (BucketRegion is None or bucket.region == BucketRegion)
        ]
        page = buckets if MaxBuckets is None else buckets[:MaxBuckets]
        result: dict[str, Any] = {
            "Buckets": [
                {"Name": b.name, "CreationDate": b.created, "BucketRegion": b.region} for b in page
            ],
            "Owner": owner_of(context.account_id),
            "Prefix": Prefix,
        }
        if len(page) < len(buckets):
            result["ContinuationToken"] = continuation_token(page[-1].name)
        return result

    @operation("GetBucketLocation")
    async def get_bucket_location(
        self, context: CallContext, *, Bucket: str, **_: Any
    ) -> dict[str, Any]:
        bucket = await self.owned_bucket(context, Bucket)
        # S3 answers an empty constraint for us-east-1.
        return {"LocationConstraint": None if bucket.region == US_EAST_1 else bucket.region}

    @operation("GetBucketVersioning")
    async def get_bucket_versioning(
        self, context: CallContext, *, Bucket: str, **_: Any
    ) -> dict[str, Any]:
        bucket = await self.owned_bucket(context, Bucket)
        return {"Status": bucket.versioning} if bucket.versioning else {}

    @operation("PutBucketVersioning")
    async def put_bucket_versioning(
        self,
        context: CallContext,
        *,
        Bucket: str,
        VersioningConfiguration: dict[str, Any],
        **_: Any,
    ) -> dict[str, Any]:
        await self.owned_bucket(context, Bucket)
        status = VersioningConfiguration.get("Status")
        if status == "Enabled":
            await self.store.set_bucket_versioning(Bucket, "Enabled")
        elif status == "Suspended":
            await self.store.set_bucket_versioning(Bucket, "Suspended")
        else:
            raise MalformedXML()
        return {}

    @operation("GetBucketAcl")
    async def get_bucket_acl(
        self, context: CallContext, *, Bucket: str, **_: Any
    ) -> dict[str, Any]:
        await self.owned_bucket(context, Bucket)
        return full_control_acl(context.account_id)
