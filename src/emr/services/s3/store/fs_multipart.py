"""Multipart uploads of the filesystem store: parts as data files, completion by assembly.

Each part is received like a PUT body (streamed, hashed, fsynced, published) and its row
commits it. CompleteMultipartUpload copies the listed parts into one new data file (in the
kernel with copy_file_range unless a full-object checksum must be computed on the way),
publishes it and, in one transaction, re-checks the upload, inserts the version and drops
the upload and its parts; part files are unlinked after that commit.

Checksums: each part gets the upload's algorithm (and any the client sent). The object gets
a COMPOSITE checksum ("-N") for CRC32, CRC32C, SHA1 and SHA256 and a FULL_OBJECT one for
CRC64NVME, computed over the assembled bytes (see `emr.services.s3.checksums`).
"""

from __future__ import annotations

import base64
import itertools
import json
import os
import secrets
import sqlite3
from collections.abc import Mapping

from emr.services.s3.checksums import (
    FULL_OBJECT_ONLY,
    composite_checksum,
    etag_of_parts,
    new_hasher,
)
from emr.services.s3.errors import (
    EntityTooSmall,
    InvalidArgument,
    InvalidPart,
    InvalidPartOrder,
    InvalidRequest,
    MalformedXML,
    NoSuchUpload,
)
from emr.services.s3.store.base import (
    CHECKSUM_ALGORITHMS,
    MultipartUpload,
    ObjectHeaders,
    ObjectVersion,
    Part,
    PartsPage,
    Payload,
    Precondition,
    UploadsPage,
)
from emr.services.s3.store.fs_blobs import (
    FLUSH_BYTES,
    BlobDirectory,
    BlobWriter,
    check_declared_digests,
    verify_written,
)
from emr.services.s3.store.fs_index import (
    PART_COLUMNS,
    UPLOAD_COLUMNS,
    MetadataIndex,
    PartRow,
    UploadRow,
    VersionRow,
    Workers,
    encode_key,
    headers_to_json,
    now_micros,
    part_from_row,
    upload_from_row,
    version_from_row,
    version_meta,
)
from emr.services.s3.store.fs_listing import Cursor, fetch_uploads, start_cursor, walk
from emr.services.s3.store.fs_versions import bucket_versioning, check_precondition, insert_version

__all__ = ["MultipartUploads", "receive"]

_MAX_PART_NUMBER = 10000


async def receive(writer: BlobWriter, payload: Payload, workers: Workers) -> None:
    """Feed a request body to a writer, flushing to disk in worker threads as it fills."""
    async for chunk in payload.chunks:
        if writer.feed(chunk):
            await workers.run(writer.flush)


def _upload_row(conn: sqlite3.Connection, bucket: str, key: str, upload_id: str) -> UploadRow:
    row: UploadRow | None = conn.execute(
        f"SELECT {UPLOAD_COLUMNS} FROM uploads WHERE upload_id = ?", (upload_id,)
    ).fetchone()
    if row is None or row[3] != bucket or row[1] != encode_key(key):
        raise NoSuchUpload(UploadId=upload_id)
    return row


def _after_upload(row: UploadRow) -> Cursor:
    return ("after", row[1], row[0])


class MultipartUploads:
    """The multipart half of FilesystemObjectStore, sharing its index, files and threads."""

    def __init__(
        self, index: MetadataIndex, blobs: BlobDirectory, workers: Workers, min_part_size: int
    ) -> None:
        self._index = index
        self._blobs = blobs
        self._workers = workers
        self._min_part_size = min_part_size

    async def create(
        self,
        bucket: str,
        key: str,
        headers: ObjectHeaders,
        *,
        owner_account: str,
        tags: Mapping[str, str],
        checksum_algorithm: str | None,
    ) -> MultipartUpload:
        algorithm = checksum_algorithm.upper() if checksum_algorithm else None
        if algorithm is not None and algorithm not in CHECKSUM_ALGORITHMS:
            raise InvalidRequest(f"Checksum algorithm {algorithm} is not supported.")
        meta = json.dumps({"h": headers_to_json(headers), "g": dict(tags)})

        def create(conn: sqlite3.Connection) -> MultipartUpload:
            bucket_versioning(conn, bucket)
            row = conn.execute(
                "INSERT INTO uploads (upload_id, bucket, key, initiated, owner, meta,"
                f" checksum_algorithm) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING {UPLOAD_COLUMNS}",
                (
                    secrets.token_urlsafe(48),
                    bucket,
                    encode_key(key),
                    now_micros(),
                    owner_account,
                    meta,
                    algorithm,
                ),
            ).fetchone()
            return upload_from_row(row)

        return await self._workers.run(self._index.write, create)

    async def get(self, bucket: str, key: str, upload_id: str) -> MultipartUpload:
        def select() -> MultipartUpload:
            return upload_from_row(_upload_row(self._index.reader(), bucket, key, upload_id))

        return await self._workers.run(select)

    async def upload_part(
        self, bucket: str, key: str, upload_id: str, part_number: int, payload: Payload
    ) -> Part:
        if not 1 <= part_number <= _MAX_PART_NUMBER:
            raise InvalidArgument(
                "Part number must be an integer between 1 and 10000, inclusive",
                ArgumentName="partNumber",
                ArgumentValue=str(part_number),
            )
        upload = await self.get(bucket, key, upload_id)
        algorithms = check_declared_digests(payload)
        if upload.checksum_algorithm:
            algorithms.add(upload.checksum_algorithm)
        writer = BlobWriter(self._blobs, algorithms)

        def commit() -> Part:
            late = {name.upper() for name in payload.expected_checksums} - algorithms
            blob = writer.finish(late)
            checksums = verify_written(payload, blob)
            file_id = blob.file_id
            assert file_id is not None  # parts are never inline
            self._blobs.publish(file_id)

            def insert(conn: sqlite3.Connection) -> tuple[PartRow, str | None]:
                seq = _upload_row(conn, bucket, key, upload_id)[0]
                old = conn.execute(
                    "SELECT file FROM parts WHERE upload_seq = ? AND part_number = ?",
                    (seq, part_number),
                ).fetchone()
                row: PartRow = conn.execute(
                    "INSERT OR REPLACE INTO parts (upload_seq, part_number, etag, size,"
                    " last_modified, checksums, file) VALUES (?, ?, ?, ?, ?, ?, ?)"
                    f" RETURNING {PART_COLUMNS}",
                    (
                        seq,
                        part_number,
                        blob.md5_hex,
                        blob.size,
                        now_micros(),
                        json.dumps(checksums),
                        file_id,
                    ),
                ).fetchone()
                return row, old[0] if old else None

            try:
                row, replaced = self._index.write(insert)
            except BaseException:
                self._blobs.unlink([file_id])
                raise
            self._blobs.unlink([replaced])
            return part_from_row(row)

        try:
            await receive(writer, payload, self._workers)
            return await self._workers.run(commit)
        except BaseException:
            await self._workers.run(writer.discard)
            raise

    async def list_parts(
        self, bucket: str, key: str, upload_id: str, marker: int, max_parts: int
    ) -> PartsPage:
        def select() -> PartsPage:
            with self._index.snapshot() as conn:
                seq = _upload_row(conn, bucket, key, upload_id)[0]
                rows: list[PartRow] = conn.execute(
                    f"SELECT {PART_COLUMNS} FROM parts WHERE upload_seq = ? AND part_number > ?"
                    " ORDER BY part_number LIMIT ?",
                    (seq, marker, max(max_parts, 0) + 1),
                ).fetchall()
            truncated = len(rows) > max_parts
            parts = [part_from_row(row) for row in rows[:max_parts]]
            return PartsPage(
                parts=parts,
                is_truncated=truncated,
                next_part_number_marker=parts[-1].part_number if truncated and parts else None,
            )

        return await self._workers.run(select)

    def _plan(
        self, bucket: str, key: str, upload_id: str, wanted: list[tuple[int, str]]
    ) -> tuple[UploadRow, list[PartRow]]:
        """The upload and its listed parts, validated as S3 does, in one snapshot."""
        with self._index.snapshot() as conn:
            upload = _upload_row(conn, bucket, key, upload_id)
            stored: dict[int, PartRow] = {
                row[0]: row
                for row in conn.execute(
                    f"SELECT {PART_COLUMNS} FROM parts WHERE upload_seq = ?", (upload[0],)
                )
            }
        chosen: list[PartRow] = []
        for number, etag in wanted:
            row = stored.get(number)
            if row is None or row[1] != etag.strip().strip('"').lower():
                raise InvalidPart(PartNumber=number, ETag=etag, UploadId=upload_id)
            chosen.append(row)
        for row in chosen[:-1]:
            if row[2] < self._min_part_size:
                raise EntityTooSmall(
                    ProposedSize=row[2],
                    MinSizeAllowed=self._min_part_size,
                    PartNumber=row[0],
                    ETag=row[1],
                )
        return upload, chosen

    def _assemble(self, parts: list[PartRow], full_object: str | None) -> tuple[str, str | None]:
        """Concatenate part files into a new published data file; returns its id and, when
        asked, the full-object checksum of its bytes."""
        file_id = self._blobs.new_id()
        hasher = new_hasher(full_object) if full_object else None
        out = os.open(self._blobs.tmp_path(file_id), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            for part in parts:
                source = self._blobs.open(part[5])
                try:
                    if hasher is None:
                        remaining = part[2]
                        while remaining > 0:
                            copied = os.copy_file_range(source, out, min(remaining, 1 << 30))
                            if copied == 0:
                                raise OSError(f"part file {part[5]} is shorter than recorded")
                            remaining -= copied
                    else:
                        while block := os.read(source, FLUSH_BYTES):
                            hasher.update(block)
                            os.write(out, block)
                finally:
                    os.close(source)
            os.fsync(out)
        except BaseException:
            os.close(out)
            self._blobs.discard_tmp(file_id)
            raise
        os.close(out)
        self._blobs.publish(file_id)
        digest = None
        if hasher is not None:
            digest = base64.b64encode(hasher.digest()).decode("ascii")
        return file_id, digest

    async def complete(
        self,
        bucket: str,
        key: str,
        upload_id: str,
        wanted: list[tuple[int, str]],
        precondition: Precondition | None,
    ) -> ObjectVersion:
        if not wanted:
            raise MalformedXML()
        for (before, _), (after, _) in itertools.pairwise(wanted):
            if after <= before:
                raise InvalidPartOrder(UploadId=upload_id)

        def complete() -> ObjectVersion:
            upload_row, parts = self._plan(bucket, key, upload_id, wanted)
            upload = upload_from_row(upload_row)
            algorithm = upload.checksum_algorithm
            full = algorithm if algorithm in FULL_OBJECT_ONLY else None
            file_id, full_digest = self._assemble(parts, full)
            checksums: dict[str, str] = {}
            checksum_type: str | None = None
            if algorithm and full_digest is not None:
                checksums, checksum_type = {algorithm: full_digest}, "FULL_OBJECT"
            elif algorithm:
                values = [json.loads(part[4]).get(algorithm) for part in parts]
                if all(values):
                    checksums = {algorithm: composite_checksum(algorithm, values)}
                    checksum_type = "COMPOSITE"
            meta = version_meta(
                upload.headers,
                checksums,
                checksum_type,
                upload.tags,
                tuple(part[2] for part in parts),
            )

            def commit(conn: sqlite3.Connection) -> tuple[VersionRow, list[str | None]]:
                seq = _upload_row(conn, bucket, key, upload_id)[0]
                current = {
                    row[0]: row[1]
                    for row in conn.execute(
                        "SELECT part_number, file FROM parts WHERE upload_seq = ?", (seq,)
                    )
                }
                if any(current.get(part[0]) != part[5] for part in parts):
                    raise InvalidPart(UploadId=upload_id)  # a part was replaced meanwhile
                versioning = bucket_versioning(conn, bucket)
                check_precondition(conn, bucket, encode_key(key), precondition)
                row, dropped = insert_version(
                    conn,
                    bucket,
                    encode_key(key),
                    versioning=versioning,
                    owner=upload.owner_account,
                    size=sum(part[2] for part in parts),
                    etag=etag_of_parts(part[1] for part in parts),
                    meta=meta,
                    file=file_id,
                )
                conn.execute("DELETE FROM parts WHERE upload_seq = ?", (seq,))
                conn.execute("DELETE FROM uploads WHERE seq = ?", (seq,))
                return row, [*dropped, *current.values()]

            try:
                row, unreferenced = self._index.write(commit)
            except BaseException:
                self._blobs.unlink([file_id])
                raise
            self._blobs.unlink(unreferenced)
            return version_from_row(bucket, row)

        return await self._workers.run(complete)

    async def abort(self, bucket: str, key: str, upload_id: str) -> None:
        def drop(conn: sqlite3.Connection) -> list[str]:
            seq = _upload_row(conn, bucket, key, upload_id)[0]
            files = [
                row[0]
                for row in conn.execute(
                    "DELETE FROM parts WHERE upload_seq = ? RETURNING file", (seq,)
                ).fetchall()
            ]
            conn.execute("DELETE FROM uploads WHERE seq = ?", (seq,))
            return files

        def abort() -> None:
            self._blobs.unlink(self._index.write(drop))

        await self._workers.run(abort)

    async def list_uploads(
        self,
        bucket: str,
        prefix: str,
        delimiter: str | None,
        key_marker: str,
        upload_id_marker: str,
        max_uploads: int,
    ) -> UploadsPage:
        raw_prefix = encode_key(prefix)
        raw_delimiter = encode_key(delimiter) if delimiter else None
        raw_marker = encode_key(key_marker)

        def select() -> UploadsPage:
            with self._index.snapshot() as conn:
                bucket_versioning(conn, bucket)
                cursor = start_cursor(raw_prefix, raw_delimiter, raw_marker)
                if key_marker and upload_id_marker:
                    marked = conn.execute(
                        "SELECT seq FROM uploads WHERE upload_id = ? AND bucket = ? AND key = ?",
                        (upload_id_marker, bucket, raw_marker),
                    ).fetchone()
                    if marked is not None:
                        cursor = ("after", raw_marker, marked[0])
                page = walk(
                    fetch_uploads(conn, bucket, raw_prefix),
                    cursor,
                    prefix=raw_prefix,
                    delimiter=raw_delimiter,
                    max_items=max_uploads,
                    next_cursor=_after_upload,
                )
            next_key, next_upload = page.resume_markers()
            return UploadsPage(
                uploads=[upload_from_row(row) for row in page.rows],
                common_prefixes=[p.decode("utf-8") for p in page.prefixes],
                is_truncated=page.truncated,
                next_key_marker=next_key,
                next_upload_id_marker=next_upload,
            )

        return await self._workers.run(select)
