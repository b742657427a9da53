"""Version bookkeeping inside one index transaction: S3's versioning rules as row changes.

- Versioning never enabled or suspended: a write replaces the "null" version (wherever it
  sits in the history) and becomes the latest; a delete without version id removes the
  null version and, when suspended, adds a "null" delete marker in its place.
- Enabled: every write and delete adds a row with a fresh version id.
- The latest row is the one with the highest `seq`; `is_latest` mirrors that and is kept
  right on every change, including when the latest version is deleted by id.

Each function returns the data files that rows no longer reference; the caller unlinks them
after the commit, never before (a reader may still hold them open, which Linux allows).
"""

from __future__ import annotations

import secrets
import sqlite3

from emr.services.s3.errors import NoSuchBucket, NoSuchKey, PreconditionFailed
from emr.services.s3.store.base import DeleteOutcome, Precondition
from emr.services.s3.store.fs_index import VERSION_COLUMNS, VersionRow, now_micros

__all__ = [
    "bucket_versioning",
    "check_precondition",
    "delete_object_rows",
    "insert_version",
    "latest_row",
    "new_version_id",
    "version_row",
    "version_with_body",
]


def new_version_id() -> str:
    """A URL-safe 32-character id, like S3's."""
    return secrets.token_urlsafe(24)


def bucket_versioning(conn: sqlite3.Connection, bucket: str) -> str | None:
    row = conn.execute("SELECT versioning FROM buckets WHERE name = ?", (bucket,)).fetchone()
    if row is None:
        raise NoSuchBucket(BucketName=bucket)
    versioning: str | None = row[0]
    return versioning


def latest_row(conn: sqlite3.Connection, bucket: str, key: bytes) -> VersionRow | None:
    row: VersionRow | None = conn.execute(
        f"SELECT {VERSION_COLUMNS} FROM versions WHERE bucket = ? AND key = ?"
        " ORDER BY seq DESC LIMIT 1",
        (bucket, key),
    ).fetchone()
    return row


def version_row(
    conn: sqlite3.Connection, bucket: str, key: bytes, version_id: str
) -> VersionRow | None:
    row: VersionRow | None = conn.execute(
        f"SELECT {VERSION_COLUMNS} FROM versions WHERE bucket = ? AND key = ? AND version_id = ?",
        (bucket, key, version_id),
    ).fetchone()
    return row


def version_with_body(
    conn: sqlite3.Connection, bucket: str, key: bytes, version_id: str | None
) -> tuple[VersionRow, bytes | None] | None:
    """The latest row of a key (version_id None) or the given version, with its inline body
    (None when its bytes are in a file or it is a delete marker), in one query."""
    select = f"SELECT {VERSION_COLUMNS}, body FROM versions WHERE bucket = ? AND key = ?"
    if version_id is None:
        found = conn.execute(f"{select} ORDER BY seq DESC LIMIT 1", (bucket, key)).fetchone()
    else:
        found = conn.execute(f"{select} AND version_id = ?", (bucket, key, version_id)).fetchone()
    if found is None:
        return None
    return found[:-1], found[-1]


def check_precondition(
    conn: sqlite3.Connection, bucket: str, key: bytes, precondition: Precondition | None
) -> None:
    """If-None-Match / If-Match against the current object, in the writer's transaction."""
    if precondition is None or (
        precondition.if_match is None and precondition.if_none_match is None
    ):
        return
    row = latest_row(conn, bucket, key)
    current = None if row is None or row[4] else row[8]
    if precondition.if_none_match is not None and current is not None:
        wanted = precondition.if_none_match.strip().strip('"')
        if wanted in ("*", current):
            raise PreconditionFailed(Condition="If-None-Match")
    if precondition.if_match is not None:
        if current is None:
            raise NoSuchKey(Key=key.decode("utf-8"))
        wanted = precondition.if_match.strip().strip('"')
        if wanted not in ("*", current):
            raise PreconditionFailed(Condition="If-Match")


def _drop_null(conn: sqlite3.Connection, bucket: str, key: bytes) -> list[str | None]:
    row = conn.execute(
        "DELETE FROM versions WHERE bucket = ? AND key = ? AND version_id = 'null' RETURNING file",
        (bucket, key),
    ).fetchone()
    return [row[0]] if row else []


def insert_version(
    conn: sqlite3.Connection,
    bucket: str,
    key: bytes,
    *,
    versioning: str | None,
    owner: str,
    size: int,
    etag: str,
    meta: str,
    file: str | None,
    body: bytes | None = None,
    delete_marker: bool = False,
) -> tuple[VersionRow, list[str | None]]:
    """Add the new latest version (or delete marker) of a key, its bytes in a `file` or
    inline as `body`; returns its row and the files of rows it replaced."""
    if versioning == "Enabled":
        version_id, dropped = new_version_id(), []
    else:
        version_id, dropped = "null", _drop_null(conn, bucket, key)
    conn.execute(
        "UPDATE versions SET is_latest = 0 WHERE bucket = ? AND key = ? AND is_latest = 1",
        (bucket, key),
    )
    row: VersionRow = conn.execute(
        "INSERT INTO versions (bucket, key, version_id, is_latest, is_delete_marker,"
        " last_modified, owner, size, etag, meta, file, body)"
        f" VALUES (?, ?, ?, 1, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING {VERSION_COLUMNS}",
        (
            bucket,
            key,
            version_id,
            int(delete_marker),
            now_micros(),
            owner,
            size,
            etag,
            meta,
            file,
            body,
        ),
    ).fetchone()
    return row, dropped


def delete_object_rows(
    conn: sqlite3.Connection, bucket: str, key: bytes, version_id: str | None, owner: str
) -> tuple[DeleteOutcome, list[str | None]]:
    """S3 DeleteObject as row changes; returns the outcome and the files to unlink."""
    versioning = bucket_versioning(conn, bucket)
    if version_id is not None:
        removed = conn.execute(
            "DELETE FROM versions WHERE bucket = ? AND key = ? AND version_id = ?"
            " RETURNING is_latest, is_delete_marker, file",
            (bucket, key, version_id),
        ).fetchone()
        if removed is None:
            return DeleteOutcome(version_id=version_id, delete_marker=False), []
        if removed[0]:
            conn.execute(
                "UPDATE versions SET is_latest = 1 WHERE seq = (SELECT seq FROM versions"
                " WHERE bucket = ? AND key = ? ORDER BY seq DESC LIMIT 1)",
                (bucket, key),
            )
        return DeleteOutcome(version_id=version_id, delete_marker=bool(removed[1])), [removed[2]]
    if versioning is None:
        dropped = _drop_null(conn, bucket, key)
        return DeleteOutcome(version_id=None, delete_marker=False), dropped
    row, dropped = insert_version(
        conn,
        bucket,
        key,
        versioning=versioning,
        owner=owner,
        size=0,
        etag="",
        meta="{}",
        file=None,
        delete_marker=True,
    )
    return DeleteOutcome(version_id=row[2], delete_marker=True), dropped
