"""FilesystemObjectStore: S3 objects as data files plus a SQLite index, fsync-durable.

Durability and visibility: a body up to `inline_threshold` bytes is kept in memory and
stored in its index row; a larger one is streamed to `tmp/`, fsynced, renamed into `data/`
and the directory fsynced. Then one index transaction (WAL, synchronous=FULL, grouped with
concurrent writes: see `fs_index`) checks the bucket and any precondition and inserts the
row holding or naming the bytes. That commit is the moment of visibility, so a returned PUT
is durable and a crash leaves at most unreferenced files, which the constructor removes
(`BlobDirectory.recover`). Files of replaced rows are unlinked only after the commit;
readers open the file first and keep the descriptor, and read an inline body together with
the row that describes it, so a concurrent overwrite or delete never mixes bytes of two
versions.

Copies are hard links (bytes are immutable once published) or, for inline objects, copies
of the row's bytes; multipart parts are files of their own and CompleteMultipartUpload
concatenates them into a new one (`fs_multipart`).

LIMITATIONS: one process per root (no cross-process locking, and the bucket cache assumes
no other writer); a Content-Length that does not match the body fails with InvalidRequest
where S3 answers IncompleteBody; CopyObject keeps the source's ETag, part sizes and
checksums (S3 recomputes them for multipart sources).
"""

from __future__ import annotations

import base64
import os
import sqlite3
from collections.abc import AsyncIterator, Callable, Mapping
from pathlib import Path
from typing import TypeVar

from emr.services.s3.checksums import new_hasher
from emr.services.s3.errors import InvalidRequest, NoSuchBucket, NoSuchKey, NoSuchVersion
from emr.services.s3.store.base import (
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
    Versioning,
    VersionPage,
)
from emr.services.s3.store.fs_blobs import (
    FLUSH_BYTES,
    BlobDirectory,
    BlobWriter,
    check_declared_digests,
    verify_written,
)
from emr.services.s3.store.fs_buckets import BucketCatalog
from emr.services.s3.store.fs_index import (
    MetadataIndex,
    VersionRow,
    Workers,
    encode_key,
    version_from_row,
    version_meta,
)
from emr.services.s3.store.fs_listing import (
    Cursor,
    fetch_latest,
    fetch_versions,
    start_cursor,
    walk,
)
from emr.services.s3.store.fs_multipart import MultipartUploads, receive
from emr.services.s3.store.fs_versions import (
    bucket_versioning,
    check_precondition,
    delete_object_rows,
    insert_version,
    version_row,
    version_with_body,
)

__all__ = ["FilesystemObjectStore"]

T = TypeVar("T")

#: The attribute under which `get_object` leaves an inline body on the version it returns,
#: read in the same query as the row: `read_object` then needs no lookup and no thread hop.
#: (ObjectVersion is the interface's frozen type; this rides along without being a field.)
_INLINE_BODY = "_fs_inline_body"


def _with_body(version: ObjectVersion, body: bytes | None) -> ObjectVersion:
    if body is not None:
        object.__setattr__(version, _INLINE_BODY, body)
    return version


def _checksum(algorithm: str, data: bytes) -> str:
    hasher = new_hasher(algorithm)
    hasher.update(data)
    return base64.b64encode(hasher.digest()).decode("ascii")


class FilesystemObjectStore(ObjectStore):
    """An ObjectStore in one directory: `data/` and `tmp/` files and `index.sqlite3`.

    The constructor creates or opens the store (upgrading an older index) and removes what a
    crash left behind. Bodies up to `inline_threshold` bytes live in the index (0: never).
    """

    def __init__(
        self,
        root: Path,
        *,
        min_part_size: int = 5 * 1024 * 1024,
        read_chunk_size: int = FLUSH_BYTES,
        threads: int = 8,
        inline_threshold: int = 64 * 1024,
    ) -> None:
        root.mkdir(parents=True, exist_ok=True)
        self.root = root
        self._read_chunk = read_chunk_size
        # Inline bodies are held whole in memory: never more than one flush buffer.
        self._inline_threshold = max(0, min(inline_threshold, FLUSH_BYTES))
        self._blobs = BlobDirectory(root)
        self._index = MetadataIndex(root / "index.sqlite3")
        self._workers = Workers(threads)
        self._buckets = BucketCatalog(self._index, self._workers)
        self._multipart = MultipartUploads(self._index, self._blobs, self._workers, min_part_size)
        self._recover()

    def _recover(self) -> None:
        conn = self._index.reader()
        referenced = {
            row[0]
            for row in conn.execute(
                "SELECT file FROM versions WHERE file IS NOT NULL UNION SELECT file FROM parts"
            )
        }
        self._blobs.recover(referenced)

    async def close(self) -> None:
        await self._workers.run(lambda: None)
        self._workers.shutdown()
        self._index.close()

    # -- buckets -----------------------------------------------------------------------------

    async def create_bucket(self, name: str, *, region: str, owner_account: str) -> Bucket:
        return await self._buckets.create(name, region=region, owner_account=owner_account)

    async def get_bucket(self, name: str) -> Bucket:
        return await self._buckets.get(name)

    async def list_buckets(self, owner_account: str) -> list[Bucket]:
        return await self._buckets.list(owner_account)

    async def delete_bucket(self, name: str) -> None:
        await self._buckets.delete(name)

    async def set_bucket_versioning(self, name: str, status: Versioning) -> Bucket:
        return await self._buckets.set_versioning(name, status)

    async def get_bucket_config(self, name: str, kind: str) -> str | None:
        return await self._buckets.get_config(name, kind)

    async def put_bucket_config(self, name: str, kind: str, document: str | None) -> None:
        await self._buckets.put_config(name, kind, document)

    # -- objects -----------------------------------------------------------------------------

    def _commit_version(
        self,
        bucket: str,
        key: bytes,
        *,
        file_id: str | None,
        body: bytes | None,
        owner: str,
        size: int,
        etag: str,
        meta: str,
        precondition: Precondition | None,
    ) -> ObjectVersion:
        """Insert the row holding `body` or naming an already published data file; on
        failure the file goes."""

        def insert(conn: sqlite3.Connection) -> tuple[VersionRow, list[str | None]]:
            versioning = bucket_versioning(conn, bucket)
            check_precondition(conn, bucket, key, precondition)
            return insert_version(
                conn,
                bucket,
                key,
                versioning=versioning,
                owner=owner,
                size=size,
                etag=etag,
                meta=meta,
                file=file_id,
                body=body,
            )

        try:
            row, dropped = self._index.write(insert)
        except BaseException:
            self._blobs.unlink([file_id])
            raise
        self._blobs.unlink(dropped)
        return version_from_row(bucket, row)

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
        algorithms = check_declared_digests(payload)
        writer = BlobWriter(self._blobs, algorithms, inline_limit=self._inline_threshold)

        def commit() -> ObjectVersion:
            late = {name.upper() for name in payload.expected_checksums} - algorithms
            blob = writer.finish(late)
            checksums = verify_written(payload, blob)
            if payload.declared_length is not None and payload.declared_length != blob.size:
                raise InvalidRequest(
                    "You did not provide the number of bytes specified by the"
                    " Content-Length HTTP header."
                )
            if blob.file_id is not None:
                self._blobs.publish(blob.file_id)
            meta = version_meta(
                headers, checksums, "FULL_OBJECT" if checksums else None, tags or {}, ()
            )
            return self._commit_version(
                bucket,
                encode_key(key),
                file_id=blob.file_id,
                body=blob.body,
                owner=owner_account,
                size=blob.size,
                etag=blob.md5_hex,
                meta=meta,
                precondition=precondition,
            )

        try:
            await receive(writer, payload, self._workers)
            return await self._workers.run(commit)
        except BaseException:
            await self._workers.run(writer.discard)
            raise

    @staticmethod
    def _find(
        conn: sqlite3.Connection, bucket: str, key: str, version_id: str | None
    ) -> tuple[VersionRow, bytes | None]:
        found = version_with_body(conn, bucket, encode_key(key), version_id)
        if found is None:
            if conn.execute("SELECT 1 FROM buckets WHERE name = ?", (bucket,)).fetchone() is None:
                raise NoSuchBucket(BucketName=bucket)
            if version_id is None:
                raise NoSuchKey(Key=key)
            raise NoSuchVersion(Key=key, VersionId=version_id)
        row = found[0]
        if version_id is None and row[4]:
            error = NoSuchKey(Key=key)
            error.headers.update({"x-amz-delete-marker": "true", "x-amz-version-id": row[2]})
            raise error
        return found

    async def get_object(
        self, bucket: str, key: str, version_id: str | None = None
    ) -> ObjectVersion:
        def find() -> tuple[VersionRow, bytes | None]:
            return self._find(self._index.reader(), bucket, key, version_id)

        row, body = await self._workers.run(find)
        return _with_body(version_from_row(bucket, row), body)

    def _with_bytes(
        self, version: ObjectVersion, use_file: Callable[[str], T], use_body: Callable[[bytes], T]
    ) -> T:
        """Apply `use_file` to the data file of exactly this version's bytes (same version id,
        size and ETag), or `use_body` to its inline bytes. `use_file` opens or links the file,
        which keeps the bytes if a writer unlinks them next."""
        for _ in range(5):
            found = version_with_body(
                self._index.reader(), version.bucket, encode_key(version.key), version.version_id
            )
            if found is None:
                break
            row, body = found
            if row[4] or row[8] != version.etag or row[7] != version.size:
                break
            if row[10] is None:
                assert body is not None
                return use_body(body)
            try:
                return use_file(row[10])
            except FileNotFoundError:
                continue  # replaced between the lookup and the open: look again
        if version.version_id == "null":
            raise NoSuchKey(Key=version.key)
        raise NoSuchVersion(Key=version.key, VersionId=version.version_id)

    async def read_object(
        self, version: ObjectVersion, start: int = 0, end: int | None = None
    ) -> AsyncIterator[bytes]:
        end = version.size if end is None else min(end, version.size)
        if start >= end:
            return
        body: bytes | None = getattr(version, _INLINE_BODY, None)
        if body is None:

            def open_and_read() -> tuple[int | None, bytes]:
                # One thread hop opens and reads the first chunk: a small GET costs two hops.
                def first_chunk(file_id: str) -> tuple[int | None, bytes]:
                    fd = self._blobs.open(file_id)
                    try:
                        return fd, os.pread(fd, min(self._read_chunk, end - start), start)
                    except BaseException:
                        os.close(fd)
                        raise

                return self._with_bytes(version, first_chunk, lambda inline: (None, inline))

            fd, data = await self._workers.run(open_and_read)
            if fd is None:
                body = data
        if body is not None:
            for offset in range(start, end, self._read_chunk):
                yield body[offset : min(offset + self._read_chunk, end)]
            return
        assert fd is not None
        try:
            position = start
            while True:
                if not data:
                    raise NoSuchKey(Key=version.key)  # cannot happen: data files are immutable
                position += len(data)
                yield data
                if position >= end:
                    return
                data = await self._workers.run(
                    os.pread, fd, min(self._read_chunk, end - position), position
                )
        finally:
            os.close(fd)

    async def delete_object(
        self, bucket: str, key: str, version_id: str | None = None
    ) -> DeleteOutcome:
        def delete(conn: sqlite3.Connection) -> tuple[DeleteOutcome, list[str | None]]:
            found = conn.execute("SELECT owner FROM buckets WHERE name = ?", (bucket,)).fetchone()
            if found is None:
                raise NoSuchBucket(BucketName=bucket)
            return delete_object_rows(conn, bucket, encode_key(key), version_id, found[0])

        def run() -> DeleteOutcome:
            outcome, dropped = self._index.write(delete)
            self._blobs.unlink(dropped)
            return outcome

        return await self._workers.run(run)

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
        def copy() -> ObjectVersion:
            file_id, body = self._with_bytes(
                source,
                lambda file: (self._blobs.link(file), None),
                lambda inline: (None, inline),
            )
            checksums = dict(source.checksums)
            checksum_type = source.checksum_type
            algorithm = checksum_algorithm.upper() if checksum_algorithm else None
            if algorithm and (algorithm not in checksums or checksum_type != "FULL_OBJECT"):
                try:
                    if body is not None:
                        checksums = {algorithm: _checksum(algorithm, body)}
                    else:
                        assert file_id is not None
                        checksums = {algorithm: self._blobs.checksum(file_id, algorithm)}
                except BaseException:
                    self._blobs.unlink([file_id])
                    raise
                checksum_type = "FULL_OBJECT"
            meta = version_meta(
                source.headers if headers is None else headers,
                checksums,
                checksum_type,
                source.tags if tags is None else tags,
                source.part_sizes,
            )
            return self._commit_version(
                bucket,
                encode_key(key),
                file_id=file_id,
                body=body,
                owner=owner_account,
                size=source.size,
                etag=source.etag,
                meta=meta,
                precondition=precondition,
            )

        return await self._workers.run(copy)

    async def put_object_tags(
        self, bucket: str, key: str, version_id: str | None, tags: Mapping[str, str]
    ) -> ObjectVersion:
        def update(conn: sqlite3.Connection) -> ObjectVersion:
            row = self._find(conn, bucket, key, version_id)[0]
            if row[4]:
                raise NoSuchKey(Key=key)
            current = version_from_row(bucket, row)
            meta = version_meta(
                current.headers,
                current.checksums,
                current.checksum_type,
                tags,
                current.part_sizes,
            )
            conn.execute("UPDATE versions SET meta = ? WHERE seq = ?", (meta, row[0]))
            return version_from_row(bucket, (*row[:9], meta, row[10]))

        return await self._workers.run(self._index.write, update)

    async def list_objects(
        self,
        bucket: str,
        *,
        prefix: str = "",
        delimiter: str | None = None,
        after: str = "",
        max_keys: int = 1000,
    ) -> ListPage:
        raw_prefix = encode_key(prefix)
        raw_delimiter = encode_key(delimiter) if delimiter else None

        def select() -> ListPage:
            with self._index.snapshot() as conn:
                bucket_versioning(conn, bucket)
                page = walk(
                    fetch_latest(conn, bucket, raw_prefix),
                    start_cursor(raw_prefix, raw_delimiter, encode_key(after)),
                    prefix=raw_prefix,
                    delimiter=raw_delimiter,
                    max_items=max_keys,
                    next_cursor=_after_key,
                )
            return ListPage(
                objects=[version_from_row(bucket, row) for row in page.rows],
                common_prefixes=[p.decode("utf-8") for p in page.prefixes],
                is_truncated=page.truncated,
                next_marker=page.resume_markers()[0],
            )

        return await self._workers.run(select)

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
        raw_prefix = encode_key(prefix)
        raw_delimiter = encode_key(delimiter) if delimiter else None
        raw_marker = encode_key(key_marker)

        def select() -> VersionPage:
            with self._index.snapshot() as conn:
                bucket_versioning(conn, bucket)
                cursor = start_cursor(raw_prefix, raw_delimiter, raw_marker)
                if key_marker and version_id_marker:
                    marked = version_row(conn, bucket, raw_marker, version_id_marker)
                    if marked is not None:
                        cursor = ("after", raw_marker, marked[0])
                page = walk(
                    fetch_versions(conn, bucket, raw_prefix),
                    cursor,
                    prefix=raw_prefix,
                    delimiter=raw_delimiter,
                    max_items=max_keys,
                    next_cursor=_after_row,
                )
            next_key, next_version = page.resume_markers()
            return VersionPage(
                versions=[version_from_row(bucket, row) for row in page.rows],
                common_prefixes=[p.decode("utf-8") for p in page.prefixes],
                is_truncated=page.truncated,
                next_key_marker=next_key,
                next_version_id_marker=next_version,
            )

        return await self._workers.run(select)

    # -- multipart ---------------------------------------------------------------------------

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
        return await self._multipart.create(
            bucket,
            key,
            headers,
            owner_account=owner_account,
            tags=tags or {},
            checksum_algorithm=checksum_algorithm,
        )

    async def get_multipart_upload(self, bucket: str, key: str, upload_id: str) -> MultipartUpload:
        return await self._multipart.get(bucket, key, upload_id)

    async def upload_part(
        self, bucket: str, key: str, upload_id: str, part_number: int, payload: Payload
    ) -> Part:
        return await self._multipart.upload_part(bucket, key, upload_id, part_number, payload)

    async def list_parts(
        self, bucket: str, key: str, upload_id: str, *, marker: int = 0, max_parts: int = 1000
    ) -> PartsPage:
        return await self._multipart.list_parts(bucket, key, upload_id, marker, max_parts)

    async def complete_multipart_upload(
        self,
        bucket: str,
        key: str,
        upload_id: str,
        parts: list[tuple[int, str]],
        *,
        precondition: Precondition | None = None,
    ) -> ObjectVersion:
        return await self._multipart.complete(bucket, key, upload_id, parts, precondition)

    async def abort_multipart_upload(self, bucket: str, key: str, upload_id: str) -> None:
        await self._multipart.abort(bucket, key, upload_id)

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
        return await self._multipart.list_uploads(
            bucket, prefix, delimiter, key_marker, upload_id_marker, max_uploads
        )


def _after_key(row: VersionRow) -> Cursor:
    return ("gt", row[1], 0)


def _after_row(row: VersionRow) -> Cursor:
    return ("after", row[1], row[0])
