"""Bucket sub-resources kept as documents: policy, CORS, tags, encryption, lifecycle,
public access block and ownership controls.

Each is stored with `ObjectStore.put_bucket_config(bucket, kind, text)`: the policy as the
client sent it, the others as the JSON of the model members the client sent, so a GET
answers exactly what was PUT. None of them is enforced (see the provider's LIMITATIONS).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from emr.services.provider import CallContext, operation
from emr.services.s3.access import BucketAccess
from emr.services.s3.errors import (
    MalformedPolicy,
    MalformedXML,
    NoSuchBucketPolicy,
    NoSuchCORSConfiguration,
    NoSuchLifecycleConfiguration,
    NoSuchPublicAccessBlockConfiguration,
    NoSuchTagSet,
    OwnershipControlsNotFoundError,
    S3Error,
    ServerSideEncryptionConfigurationNotFoundError,
)
from emr.services.s3.tagging import tag_set, tags_from_tag_set

__all__ = ["BucketConfigOperations"]

_MAX_BUCKET_TAGS = 50


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    raise TypeError(f"cannot store {type(value).__name__} in a bucket document")


def _dump(document: Any) -> str:
    return json.dumps(document, default=_json_default, separators=(",", ":"))


class BucketConfigOperations(BucketAccess):
    """Put/Get/Delete of the bucket sub-resources stored as documents."""

    async def _put(self, context: CallContext, bucket: str, kind: str, text: str | None) -> None:
        await self.owned_bucket(context, bucket)
        await self.store.put_bucket_config(bucket, kind, text)

    async def _get(
        self, context: CallContext, bucket: str, kind: str, missing: type[S3Error]
    ) -> Any:
        await self.owned_bucket(context, bucket)
        text = await self.store.get_bucket_config(bucket, kind)
        if text is None:
            raise missing(BucketName=bucket)
        return json.loads(text)

    # -- policy --------------------------------------------------------------------------

    @operation("PutBucketPolicy")
    async def put_bucket_policy(
        self, context: CallContext, *, Bucket: str, Policy: str, **_: Any
    ) -> dict[str, Any]:
        try:
            parsed = json.loads(Policy)
        except ValueError as exc:
            raise MalformedPolicy() from exc
        if not isinstance(parsed, dict) or not Policy.lstrip().startswith("{"):
            raise MalformedPolicy()
        await self._put(context, Bucket, "policy", Policy)
        return {}

    @operation("GetBucketPolicy")
    async def get_bucket_policy(
        self, context: CallContext, *, Bucket: str, **_: Any
    ) -> dict[str, Any]:
        await self.owned_bucket(context, Bucket)
        text = await self.store.get_bucket_config(Bucket, "policy")
        if text is None:
            raise NoSuchBucketPolicy(BucketName=Bucket)
        return {"Policy": text}

    @operation("DeleteBucketPolicy")
    async def delete_bucket_policy(
        self, context: CallContext, *, Bucket: str, **_: Any
    ) -> dict[str, Any]:
        await self._put(context, Bucket, "policy", None)
        return {}

    # -- CORS ----------------------------------------------------------------------------

    @operation("PutBucketCors")
    async def put_bucket_cors(
        self, context: CallContext, *, Bucket: str, CORSConfiguration: dict[str, Any], **_: Any
    ) -> dict[str, Any]:
        rules = CORSConfiguration.get("CORSRules") or []
        if not rules or any(
            not rule.get("AllowedMethods") or not rule.get("AllowedOrigins") for rule in rules
        ):
            raise MalformedXML()
        await self._put(context, Bucket, "cors", _dump({"CORSRules": rules}))
        return {}

    @operation("GetBucketCors")
    async def get_bucket_cors(self, context: CallContext, *, Bucket: str, **_: Any) -> Any:
        return await self._get(context, Bucket, "cors", NoSuchCORSConfiguration)

    @operation("DeleteBucketCors")
    async def delete_bucket_cors(
        self, context: CallContext, *, Bucket: str, **_: Any
    ) -> dict[str, Any]:
        await self._put(context, Bucket, "cors", None)
        return {}

    # -- tagging -------------------------------------------------------------------------

    @operation("PutBucketTagging")
    async def put_bucket_tagging(
        self, context: CallContext, *, Bucket: str, Tagging: dict[str, Any], **_: Any
    ) -> dict[str, Any]:
        tags = tags_from_tag_set(Tagging.get("TagSet") or [], limit=_MAX_BUCKET_TAGS)
        await self._put(context, Bucket, "tagging", _dump({"TagSet": tag_set(tags)}))
        return {}

    @operation("GetBucketTagging")
    async def get_bucket_tagging(self, context: CallContext, *, Bucket: str, **_: Any) -> Any:
        return await self._get(context, Bucket, "tagging", NoSuchTagSet)

    @operation("DeleteBucketTagging")
    async def delete_bucket_tagging(
        self, context: CallContext, *, Bucket: str, **_: Any
    ) -> dict[str, Any]:
        await self._put(context, Bucket, "tagging", None)
        return {}

    # -- encryption, lifecycle, public access block, ownership controls ------------------

    @operation("PutBucketEncryption")
    async def put_bucket_encryption(
        self,
        context: CallContext,
        *,
        Bucket: str,
        ServerSideEncryptionConfiguration: dict[str, Any],
        **_: Any,
    ) -> dict[str, Any]:
        await self._put(context, Bucket, "encryption", _dump(ServerSideEncryptionConfiguration))
        return {}

    @operation("GetBucketEncryption")
    async def get_bucket_encryption(
        self, context: CallContext, *, Bucket: str, **_: Any
    ) -> dict[str, Any]:
        document = await self._get(
            context, Bucket, "encryption", ServerSideEncryptionConfigurationNotFoundError
        )
        return {"ServerSideEncryptionConfiguration": document}

    @operation("DeleteBucketEncryption")
    async def delete_bucket_encryption(
        self, context: CallContext, *, Bucket: str, **_: Any
    ) -> dict[str, Any]:
        await self._put(context, Bucket, "encryption", None)
        return {}

    @operation("PutBucketLifecycleConfiguration")
    async def put_bucket_lifecycle_configuration(
        self,
        context: CallContext,
        *,
        Bucket: str,
        LifecycleConfiguration: dict[str, Any] | None = None,
        **_: Any,
    ) -> dict[str, Any]:
        rules = (LifecycleConfiguration or {}).get("Rules") or []
        if not rules:
            raise MalformedXML()
        await self._put(context, Bucket, "lifecycle", _dump({"Rules": rules}))
        return {}

    @operation("GetBucketLifecycleConfiguration")
    async def get_bucket_lifecycle_configuration(
        self, context: CallContext, *, Bucket: str, **_: Any
    ) -> Any:
        return await self._get(context, Bucket, "lifecycle", NoSuchLifecycleConfiguration)

    @operation("DeleteBucketLifecycle")
    async def delete_bucket_lifecycle(
        self, context: CallContext, *, Bucket: str, **_: Any
    ) -> dict[str, Any]:
        await self._put(context, Bucket, "lifecycle", None)
        return {}

    @operation("PutPublicAccessBlock")
    async def put_public_access_block(
        self,
        context: CallContext,
        *,
        Bucket: str,
        PublicAccessBlockConfiguration: dict[str, Any],
        **_: Any,
    ) -> dict[str, Any]:
        document = _dump(PublicAccessBlockConfiguration)
        await self._put(context, Bucket, "public-access-block", document)
        return {}

    @operation("GetPublicAccessBlock")
    async def get_public_access_block(
        self, context: CallContext, *, Bucket: str, **_: Any
    ) -> dict[str, Any]:
        document = await self._get(
            context, Bucket, "public-access-block", NoSuchPublicAccessBlockConfiguration
        )
        return {"PublicAccessBlockConfiguration": document}

    @operation("DeletePublicAccessBlock")
    async def delete_public_access_block(
        self, context: CallContext, *, Bucket: str, **_: Any
    ) -> dict[str, Any]:
        await self._put(context, Bucket, "public-access-block", None)
        return {}

    @operation("PutBucketOwnershipControls")
    async def put_bucket_ownership_controls(
        self, context: CallContext, *, Bucket: str, OwnershipControls: dict[str, Any], **_: Any
    ) -> dict[str, Any]:
        await self._put(context, Bucket, "ownership-controls", _dump(OwnershipControls))
        return {}

    @operation("GetBucketOwnershipControls")
    async def get_bucket_ownership_controls(
        self, context: CallContext, *, Bucket: str, **_: Any
    ) -> dict[str, Any]:
        document = await self._get(
            context, Bucket, "ownership-controls", OwnershipControlsNotFoundError
        )
        return {"OwnershipControls": document}

    @operation("DeleteBucketOwnershipControls")
    async def delete_bucket_ownership_controls(
        self, context: CallContext, *, Bucket: str, **_: Any
    ) -> dict[str, Any]:
        await self._put(context, Bucket, "ownership-controls", None)
        return {}
