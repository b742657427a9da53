"""FilesystemObjectStore: S3 objects as data files plus a SQLite index, fsync-durable.

Durability and visibility: a body is streamed to `tmp/`, fsynced, renamed into `data/` and
the directory fsynced; then one index transaction (WAL, synchronous=FULL) checks the
bucket and any precondition and inserts the row naming the file. That commit is the moment
of visibility, so a returned PUT is durable and a crash leaves at most unreferenced files,
which the constructor removes (`BlobDirectory.recover`). Files of replaced rows are
unlinked only after the commit; readers open the file first and keep the descriptor, so a
concurrent overwrite or delete never mixes bytes of two versions.

Copies are hard links (bytes are immutable once published); multipart parts are files of
their own and CompleteMultipartUpload concatenates them into a new one (`fs_multipart`).

LIMITATIONS: one process per root (no cross-process locking); a Content-Length that does not
match the body fails with InvalidRequest where S3 answers IncompleteBody; CopyObject keeps
the source's ETag, part sizes and checksums (S3 recomputes them for multipart sources).
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import AsyncIterator, Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

from emr.services.s3.errors import (
    BucketAlreadyExists,
    BucketAlreadyOwnedByYou,
    BucketNotEmpty,
    InvalidRequest,
    NoSuchBucket,
    NoSuchKey,
    NoSuchVersion,
)
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
from emr.services.s3.store.fs_index import (
    MetadataIndex,
    VersionRow,
    Workers,
    encode_key,
    now_micros,
    timestamp,
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
    latest_row,
    version_row,
)

__all__ = ["FilesystemObjectStore"]

T = TypeVar("T")

_BUCKET_COLUMNS = "name, region, owner, created, versioning"


def _bucket(row: tuple[str, str, str, int, Any]) -> Bucket:
    return Bucket(
        name=row[0],
        region=row[1],
        owner_account=row[2],
        created=timestamp(row[3]),
        versioning=row[4],
    )


class FilesystemObjectStore(ObjectStore):
    """An ObjectStore in one directory: `data/` and `tmp/` files and `index.sqlite3`.

    The constructor creates or opens the store and removes what a crash left behind.
    """

    def __init__(
        self,
        root: Path,
        *,
        min_part_size: int = 5 * 1024 * 1024,
        read_chunk_size: int = FLUSH_BYTES,
        threads: int = 8,
    ) -> None:
        root.mkdir(parents=True, exist_ok=True)
        self.root = root
        self._read_chunk = read_chunk_size
        self._blobs = BlobDirectory(root)
        self._index = MetadataIndex(root / "index.sqlite3")
        self._workers = Workers(threads)
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
        def create() -> Bucket:
            with self._index.transaction() as conn:
                existing = conn.execute(
                    "SELECT owner FROM buckets WHERE name = ?", (name,)
                ).fetchone()
                if existing is not None:
                    if existing[0] == owner_account:
                        raise BucketAlreadyOwnedByYou(BucketName=name)
                    raise BucketAlreadyExists(BucketName=name)
                row = conn.execute(
                    "INSERT INTO buckets (name, region, owner, created) VALUES (?, ?, ?, ?)"
                    f" RETURNING {_BUCKET_COLUMNS}",
                    (name, region, owner_account, now_micros()),
                ).fetchone()
            return _bucket(row)

        return await self._workers.run(create)

    def _get_bucket(self, name: str) -> Bucket:
        row = (
            self._index.reader()
            .execute(f"SELECT {_BUCKET_COLUMNS} FROM buckets WHERE name = ?", (name,))
            .fetchone()
        )
        if row is None:
            raise NoSuchBucket(BucketName=name)
        return _bucket(row)

    async def get_bucket(self, name: str) -> Bucket:
        return await self._workers.run(self._get_bucket, name)

    async def list_buckets(self, owner_account: str) -> list[Bucket]:
        def select() -> list[Bucket]:
            rows = self._index.reader().execute(
                f"SELECT {_BUCKET_COLUMNS} FROM buckets WHERE owner = ? ORDER BY name",
                (owner_account,),
            )
            return [_bucket(row) for row in rows]

        return await self._workers.run(select)

    async def delete_bucket(self, name: str) -> None:
        def delete() -> None:
            with self._index.transaction() as conn:
                bucket_versioning(conn, name)
                for table in ("versions", "uploads"):
                    if conn.execute(
                        f"SELECT 1 FROM {table} WHERE bucket = ? LIMIT 1", (name,)
                    ).fetchone():
                        raise BucketNotEmpty(BucketName=name)
                conn.execute("DELETE FROM bucket_configs WHERE bucket = ?", (name,))
                conn.execute("DELETE FROM buckets WHERE name = ?", (name,))

        await self._workers.run(delete)

    async def set_bucket_versioning(self, name: str, status: Versioning) -> Bucket:
        def update() -> Bucket:
            with self._index.transaction() as conn:
                row = conn.execute(
                    f"UPDATE buckets SET versioning = ? WHERE name = ? RETURNING {_BUCKET_COLUMNS}",
                    (status, name),
                ).fetchone()
            if row is None:
                raise NoSuchBucket(BucketName=name)
            return _bucket(row)

        return await self._workers.run(update)

    async def get_bucket_config(self, name: str, kind: str) -> str | None:
        def select() -> str | None:
            self._get_bucket(name)
            row = (
                self._index.reader()
                .execute(
                    "SELECT document FROM bucket_configs WHERE bucket = ? AND kind = ?",
                    (name, kind),
                )
                .fetchone()
            )
            return None if row is None else str(row[0])

        return await self._workers.run(select)

    async def put_bucket_config(self, name: str, kind: str, document: str | None) -> None:
        def store() -> None:
            with self._index.transaction() as conn:
                bucket_versioning(conn, name)
                if document is None:
                    conn.execute(
                        "DELETE FROM bucket_configs WHERE bucket = ? AND kind = ?", (name, kind)
                    )
                else:
                    conn.execute(
                        "INSERT OR REPLACE INTO bucket_configs (bucket, kind, document)"
                        " VALUES (?, ?, ?)",
                        (name, kind, document),
                    )

        await self._workers.run(store)

    # -- objects -----------------------------------------------------------------------------

    def _commit_version(
        self,
        bucket: str,
        key: bytes,
        *,
        file_id: str,
        owner: str,
        size: int,
        etag: str,
        meta: str,
        precondition: Precondition | None,
    ) -> ObjectVersion:
        """Insert the row naming an already published data file; on failure the file goes."""
        try:
            with self._index.transaction() as conn:
                versioning = bucket_versioning(conn, bucket)
                check_precondition(conn, bucket, key, precondition)
                row, dropped = insert_version(
                    conn,
                    bucket,
                    key,
                    versioning=versioning,
                    owner=owner,
                    size=size,
                    etag=etag,
                    meta=meta,
                    file=file_id,
                )
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
        writer = BlobWriter(self._blobs, algorithms)

        def commit() -> ObjectVersion:
            late = {name.upper() for name in payload.expected_checksums} - algorithms
            blob = writer.finish(late)
            checksums = verify_written(payload, blob)
            if payload.declared_length is not None and payload.declared_length != blob.size:
                raise InvalidRequest(
                    "You did not provide the number of bytes specified by the"
                    " Content-Length HTTP header."
                )
            self._blobs.publish(blob.file_id)
            meta = version_meta(
                headers, checksums, "FULL_OBJECT" if checksums else None, tags or {}, ()
            )
            return self._commit_version(
                bucket,
                encode_key(key),
                file_id=blob.file_id,
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
    ) -> VersionRow:
        raw = encode_key(key)
        if version_id is None:
            row = latest_row(conn, bucket, raw)
        else:
            row = version_row(conn, bucket, raw, version_id)
        if row is None:
            if conn.execute("SELECT 1 FROM buckets WHERE name = ?", (bucket,)).fetchone() is None:
                raise NoSuchBucket(BucketName=bucket)
            if version_id is None:
                raise NoSuchKey(Key=key)
            raise NoSuchVersion(Key=key, VersionId=version_id)
        if version_id is None and row[4]:
            error = NoSuchKey(Key=key)
            error.headers.update({"x-amz-delete-marker": "true", "x-amz-version-id": row[2]})
            raise error
        return row

    async def get_object(
        self, bucket: str, key: str, version_id: str | None = None
    ) -> ObjectVersion:
        def find() -> VersionRow:
            return self._find(self._index.reader(), bucket, key, version_id)

        row = await self._workers.run(find)
        return version_from_row(bucket, row)

    def _with_file(self, version: ObjectVersion, use: Callable[[str], T]) -> T:
        """Apply `use` to the data file of exactly this version's bytes (same version id and
        ETag); `use` opens or links it, which keeps the bytes if a writer unlinks them next."""
        for _ in range(5):
            row = version_row(
                self._index.reader(), version.bucket, encode_key(version.key), version.version_id
            )
            if row is None or row[4] or row[8] != version.etag or row[7] != version.size:
                break
            assert row[10] is not None
            try:
                return use(row[10])
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

        def open_and_read() -> tuple[int, bytes]:
            # One thread hop opens and reads the first chunk: a small GET costs two hops.
            fd = self._with_file(version, self._blobs.open)
            try:
                return fd, os.pread(fd, min(self._read_chunk, end - start), start)
            except BaseException:
                os.close(fd)
                raise

        fd, data = await self._workers.run(open_and_read)
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
        def delete() -> DeleteOutcome:
            with self._index.transaction() as conn:
                owner = conn.execute("SELECT owner FROM buckets WHERE name = ?", (bucket,))
                found = owner.fetchone()
                if found is None:
                    raise NoSuchBucket(BucketName=bucket)
                outcome, dropped = delete_object_rows(
                    conn, bucket, encode_key(key), version_id, found[0]
                )
            self._blobs.unlink(dropped)
            return outcome

        return await self._workers.run(delete)

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
            file_id = self._with_file(source, self._blobs.link)
            checksums = dict(source.checksums)
            checksum_type = source.checksum_type
            algorithm = checksum_algorithm.upper() if checksum_algorithm else None
            if algorithm and (algorithm not in checksums or checksum_type != "FULL_OBJECT"):
                try:
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
        def update() -> ObjectVersion:
            with self._index.transaction() as conn:
                row = self._find(conn, bucket, key, version_id)
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

        return await self._workers.run(update)

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
            marker: bytes | None = None
            if page.truncated:
                marker = page.last_prefix if page.last_prefix is not None else page.last_row[1]  # type: ignore[index]
            return ListPage(
                objects=[version_from_row(bucket, row) for row in page.rows],
                common_prefixes=[p.decode("utf-8") for p in page.prefixes],
                is_truncated=page.truncated,
                next_marker=marker.decode("utf-8") if marker is not None else None,
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
            next_key: str | None = None
            next_version: str | None = None
            if page.truncated:
                if page.last_prefix is not None:
                    next_key = page.last_prefix.decode("utf-8")
                elif page.last_row is not None:
                    next_key, next_version = page.last_row[1].decode("utf-8"), page.last_row[2]
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
