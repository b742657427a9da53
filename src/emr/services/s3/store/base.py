"""The ObjectStore interface: what any S3 backend must do, with S3's semantics.

A backend owns bytes and their metadata together, so it can make a write durable and visible
in one step: a returned PUT or CompleteMultipartUpload means data and metadata are fsynced, a
crash never exposes a partial object, and concurrent writers to one key end with exactly one
complete version. Keys are opaque strings (any UTF-8, up to 1024 bytes) and never become paths.

Backends raise the S3 errors of `emr.services.s3.errors` (NoSuchBucket, NoSuchKey,
PreconditionFailed, EntityTooSmall, BadDigest, …); the provider adds nothing but the protocol.
Every method is a coroutine: backends do blocking I/O off the event loop.
Every backend passes `tests/unit/s3/conformance.py`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

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

#: The checksum algorithms S3 accepts, by the names its API uses.
CHECKSUM_ALGORITHMS = ("CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256")

Versioning = Literal["Enabled", "Suspended"]


@dataclass(frozen=True)
class Bucket:
    name: str
    region: str
    owner_account: str
    created: datetime
    versioning: Versioning | None = None  # None: never enabled


@dataclass(frozen=True)
class ObjectHeaders:
    """What a client sets at PUT (or CreateMultipartUpload) and gets back on GET/HEAD."""

    content_type: str | None = None
    content_encoding: str | None = None
    content_disposition: str | None = None
    content_language: str | None = None
    cache_control: str | None = None
    expires: str | None = None  # kept as sent (an HTTP date)
    metadata: Mapping[str, str] = field(default_factory=dict)  # x-amz-meta-*, names lower-case
    storage_class: str = "STANDARD"


@dataclass(frozen=True)
class ObjectVersion:
    """One version of an object, or a delete marker."""

    bucket: str
    key: str
    version_id: str  # "null" for objects written while versioning was never enabled/suspended
    is_latest: bool
    is_delete_marker: bool
    last_modified: datetime
    owner_account: str
    size: int = 0
    etag: str = ""  # no quotes: hex MD5, or "<hex md5 of part md5s>-<part count>"
    headers: ObjectHeaders = field(default_factory=ObjectHeaders)
    checksums: Mapping[str, str] = field(default_factory=dict)  # algorithm → base64 value
    checksum_type: Literal["FULL_OBJECT", "COMPOSITE"] | None = None
    tags: Mapping[str, str] = field(default_factory=dict)
    part_sizes: tuple[int, ...] = ()  # sizes of the parts of a multipart object, else ()


@dataclass
class Payload:
    """A request body on its way into the store, with what the client claims about it.

    `expected_checksums` holds the values the client sent in headers; when the body is
    aws-chunked with trailing checksums, the gateway adds them to this same dict when the
    stream ends, so a backend reads it only after exhausting `chunks`. The backend computes
    MD5 (the ETag), every algorithm in `expected_checksums` and `checksum_algorithm`, and
    raises BadDigest on any mismatch (InvalidDigest for a malformed Content-MD5) without
    storing anything.
    """

    chunks: AsyncIterator[bytes]
    content_md5: str | None = None  # base64, as in the Content-MD5 header
    checksum_algorithm: str | None = None  # one of CHECKSUM_ALGORITHMS, to compute and store
    expected_checksums: dict[str, str] = field(default_factory=dict)
    declared_length: int | None = None


@dataclass(frozen=True)
class Precondition:
    """Conditional write (If-Match / If-None-Match), checked atomically with the commit.

    `if_none_match="*"`: fail with PreconditionFailed if the key exists (latest version is not
    a delete marker). `if_match`: fail unless the current ETag equals it (quotes optional);
    fail with NoSuchKey if there is no current object.
    """

    if_match: str | None = None
    if_none_match: str | None = None


@dataclass(frozen=True)
class DeleteOutcome:
    version_id: str | None  # the version removed, or the new delete marker's id
    delete_marker: bool  # True when a delete marker was created or removed


@dataclass(frozen=True)
class ListPage:
    """Latest versions (delete markers excluded) in UTF-8 byte order of keys."""

    objects: list[ObjectVersion]
    common_prefixes: list[str]
    is_truncated: bool
    next_marker: str | None  # the last key or common prefix returned, when truncated


@dataclass(frozen=True)
class VersionPage:
    """All versions and delete markers, by key (byte order) then newest first."""

    versions: list[ObjectVersion]
    common_prefixes: list[str]
    is_truncated: bool
    next_key_marker: str | None
    next_version_id_marker: str | None


@dataclass(frozen=True)
class MultipartUpload:
    bucket: str
    key: str
    upload_id: str
    initiated: datetime
    owner_account: str
    headers: ObjectHeaders
    tags: Mapping[str, str]
    checksum_algorithm: str | None


@dataclass(frozen=True)
class Part:
    part_number: int
    etag: str  # no quotes
    size: int
    last_modified: datetime
    checksums: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class PartsPage:
    parts: list[Part]
    is_truncated: bool
    next_part_number_marker: int | None


@dataclass(frozen=True)
class UploadsPage:
    uploads: list[MultipartUpload]
    common_prefixes: list[str]
    is_truncated: bool
    next_key_marker: str | None
    next_upload_id_marker: str | None


class ObjectStore(ABC):
    """An S3 backend: buckets, object versions, multipart uploads and bucket configuration."""

    # -- lifecycle ---------------------------------------------------------------------------

    @abstractmethod
    async def close(self) -> None:
        """Release files and connections."""

    # -- buckets -----------------------------------------------------------------------------

    @abstractmethod
    async def create_bucket(self, name: str, *, region: str, owner_account: str) -> Bucket:
        """Raises BucketAlreadyOwnedByYou (same owner) or BucketAlreadyExists. Names are
        validated by the provider (InvalidBucketName) before this is called."""

    @abstractmethod
    async def get_bucket(self, name: str) -> Bucket:
        """Raises NoSuchBucket."""

    @abstractmethod
    async def list_buckets(self, owner_account: str) -> list[Bucket]:
        """The owner's buckets by name."""

    @abstractmethod
    async def delete_bucket(self, name: str) -> None:
        """Raises NoSuchBucket, or BucketNotEmpty if any version, delete marker or
        multipart upload remains."""

    @abstractmethod
    async def set_bucket_versioning(self, name: str, status: Versioning) -> Bucket:
        """Enable or suspend versioning."""

    @abstractmethod
    async def get_bucket_config(self, name: str, kind: str) -> str | None:
        """A stored bucket sub-resource document ("policy", "cors", "tagging", …) or None."""

    @abstractmethod
    async def put_bucket_config(self, name: str, kind: str, document: str | None) -> None:
        """Store (or with None delete) a bucket sub-resource document."""

    # -- objects -----------------------------------------------------------------------------

    @abstractmethod
    async def put_object(
        self,
        bucket: str,
        key: str,
        payload: Payload,
        headers: ObjectHeaders,
        *,
        owner_account: str,
        tags: Mapping[str, str] | None = None,
        precondition: Precondition | None = None,
    ) -> ObjectVersion:
        """Store a new version (or replace the "null" version) durably; returns it."""

    @abstractmethod
    async def get_object(
        self, bucket: str, key: str, version_id: str | None = None
    ) -> ObjectVersion:
        """The latest version or the given one. Raises NoSuchBucket; NoSuchKey when there is no
        such key or the latest version is a delete marker (the error's headers then carry
        x-amz-delete-marker: true and x-amz-version-id); NoSuchVersion for an unknown version
        id. A delete marker addressed by version id is returned (the provider answers 405)."""

    @abstractmethod
    def read_object(
        self, version: ObjectVersion, start: int = 0, end: int | None = None
    ) -> AsyncIterator[bytes]:
        """The bytes [start, end) of a version (end None: to the end), in chunks of at most
        a few MiB, with bounded memory. Reading a version that a concurrent delete removes
        still yields the complete bytes (or fails cleanly); never a mix of two versions."""

    @abstractmethod
    async def delete_object(
        self, bucket: str, key: str, version_id: str | None = None
    ) -> DeleteOutcome:
        """S3 DeleteObject: without version id, unversioned buckets remove the object and
        versioned buckets add a delete marker; with one, that version is removed. Deleting a
        missing key succeeds."""

    @abstractmethod
    async def copy_object(
        self,
        source: ObjectVersion,
        bucket: str,
        key: str,
        *,
        owner_account: str,
        headers: ObjectHeaders | None = None,
        tags: Mapping[str, str] | None = None,
        checksum_algorithm: str | None = None,
        precondition: Precondition | None = None,
    ) -> ObjectVersion:
        """Copy `source` to bucket/key as a new version. `headers`/`tags` None: keep the
        source's (MetadataDirective/TaggingDirective COPY). Copying an object onto itself is
        allowed here; the provider enforces S3's rule that something must change."""

    @abstractmethod
    async def put_object_tags(
        self, bucket: str, key: str, version_id: str | None, tags: Mapping[str, str]
    ) -> ObjectVersion:
        """Replace the tags of a version (latest when None) without a new version."""

    @abstractmethod
    async def list_objects(
        self,
        bucket: str,
        *,
        prefix: str = "",
        delimiter: str | None = None,
        after: str = "",
        max_keys: int = 1000,
    ) -> ListPage:
        """Keys > `after` (byte order) under `prefix`, rolled up at `delimiter` into common
        prefixes (each counts once towards `max_keys`)."""

    @abstractmethod
    async def list_object_versions(
        self,
        bucket: str,
        *,
        prefix: str = "",
        delimiter: str | None = None,
        key_marker: str = "",
        version_id_marker: str = "",
        max_keys: int = 1000,
    ) -> VersionPage:
        """ListObjectVersions' page, continuing after (key_marker, version_id_marker)."""

    # -- multipart ---------------------------------------------------------------------------

    @abstractmethod
    async def create_multipart_upload(
        self,
        bucket: str,
        key: str,
        headers: ObjectHeaders,
        *,
        owner_account: str,
        tags: Mapping[str, str] | None = None,
        checksum_algorithm: str | None = None,
    ) -> MultipartUpload:
        """A new upload with a fresh opaque upload id."""

    @abstractmethod
    async def get_multipart_upload(self, bucket: str, key: str, upload_id: str) -> MultipartUpload:
        """Raises NoSuchUpload (also when bucket/key do not match the upload)."""

    @abstractmethod
    async def upload_part(
        self, bucket: str, key: str, upload_id: str, part_number: int, payload: Payload
    ) -> Part:
        """Store part 1..10000 durably (replacing an earlier part with that number)."""

    @abstractmethod
    async def list_parts(
        self, bucket: str, key: str, upload_id: str, *, marker: int = 0, max_parts: int = 1000
    ) -> PartsPage:
        """Parts with numbers > marker, ascending."""

    @abstractmethod
    async def complete_multipart_upload(
        self,
        bucket: str,
        key: str,
        upload_id: str,
        parts: list[tuple[int, str]],
        *,
        precondition: Precondition | None = None,
    ) -> ObjectVersion:
        """Assemble the listed (part number, etag) parts into a new version with ETag
        md5(concat(binary part md5s))-N. Raises InvalidPartOrder (not ascending),
        InvalidPart (unknown part or etag mismatch), EntityTooSmall (a part other than the
        last below the store's minimum part size, 5 MiB by default), NoSuchUpload."""

    @abstractmethod
    async def abort_multipart_upload(self, bucket: str, key: str, upload_id: str) -> None:
        """Drop the upload and its parts. Raises NoSuchUpload."""

    @abstractmethod
    async def list_multipart_uploads(
        self,
        bucket: str,
        *,
        prefix: str = "",
        delimiter: str | None = None,
        key_marker: str = "",
        upload_id_marker: str = "",
        max_uploads: int = 1000,
    ) -> UploadsPage:
        """In-progress uploads by key (byte order) then initiation time."""
