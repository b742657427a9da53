"""S3: buckets, objects, listings, multipart uploads and bucket sub-resources over an
`ObjectStore`.

The handlers are grouped by resource in mixins (`buckets`, `bucketconfig`, `objects`,
`copy`, `listing`, `multipart`); pure rules live in `names`, `conditions`, `copysource`,
`tagging` and `headers`. Every error is a class of `emr.services.s3.errors`.

LIMITATIONS (where this differs from AWS):
- Ownership is per account: any operation on another account's bucket is AccessDenied.
  Bucket policies, ACLs, public access blocks, CORS, encryption, lifecycle and ownership
  controls are stored and returned but not enforced; ACLs are always the owner's
  FULL_CONTROL and PutBucketAcl/PutObjectAcl are not implemented.
- No server-side encryption, SSE-C, object lock, replication, website hosting, requester
  pays, storage-class transitions or restores; storage classes are labels.
- CreateBucket accepts any well-formed LocationConstraint (S3 refuses one that differs from
  a regional endpoint's region); without one, the bucket lives in the region the request
  was signed for. An explicit `us-east-1` is refused as S3 does.
- CompleteMultipartUpload's `Location` is the path `/bucket/key`, not an absolute URL.
- ListObjectVersions lists versions before delete markers (S3 interleaves them by key);
  each list is in the right order.
- Checksums beyond CRC32, CRC32C, CRC64NVME, SHA1 and SHA256 are ignored.
- Object tags are not checked against the 10-tag limit when a copy keeps the source's.
"""

from __future__ import annotations

from typing import ClassVar

from emr.services.provider import Provider
from emr.services.s3.bucketconfig import BucketConfigOperations
from emr.services.s3.buckets import BucketOperations
from emr.services.s3.copy import CopyOperations
from emr.services.s3.listing import ListingOperations
from emr.services.s3.multipart import MultipartOperations
from emr.services.s3.objects import ObjectOperations
from emr.services.s3.store import ObjectStore

__all__ = ["S3Provider"]


class S3Provider(
    BucketOperations,
    BucketConfigOperations,
    ObjectOperations,
    CopyOperations,
    ListingOperations,
    MultipartOperations,
    Provider,
):
    """The S3 operations, served from one `ObjectStore`."""

    service_name: ClassVar[str] = "s3"

    def __init__(self, store: ObjectStore, *, region: str) -> None:
        super().__init__(store, region=region)
