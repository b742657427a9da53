"""Object-store backends for the S3 service, behind one interface."""

from emr.services.s3.store.base import (
    CHECKSUM_ALGORITHMS,
    Bucket,
    DeleteOutcome,
    ListPage,
    MultipartUpload,
    ObjectHeaders,
    ObjectStore,
    ObjectVersion,
    Part,
    PartsPage,
    Payload,
    Precondition,
    UploadsPage,
    VersionPage,
)

__all__ = [
    "CHECKSUM_ALGORITHMS",
    "Bucket",
    "DeleteOutcome",
    "ListPage",
    "MultipartUpload",
    "ObjectHeaders",
    "ObjectStore",
    "ObjectVersion",
    "Part",
    "PartsPage",
    "Payload",
    "Precondition",
    "UploadsPage",
    "VersionPage",
]
