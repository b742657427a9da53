"""Buckets of the filesystem store: rows in the index, and an in-memory cache of them.

Every object request looks its bucket up (the provider checks the owner), so bucket records
are cached: a hit costs neither a query nor a thread hop. The cache is only ever filled
from the index and only ever emptied by this process's bucket writes (after their commit),
so it never holds a record the index no longer has once such a write has returned: a
deleted bucket is NoSuchBucket at once. A generation number keeps a lookup that raced with
a bucket write from putting back what that write removed. Object writes still check their
bucket inside their own transaction, so a bucket deleted concurrently never gets objects.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from emr.services.s3.errors import (
    BucketAlreadyExists,
    BucketAlreadyOwnedByYou,
    BucketNotEmpty,
    NoSuchBucket,
)
from emr.services.s3.store.base import Bucket, Versioning
from emr.services.s3.store.fs_index import MetadataIndex, Workers, now_micros, timestamp
from emr.services.s3.store.fs_versions import bucket_versioning

__all__ = ["BucketCatalog"]

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


class BucketCatalog:
    """The bucket half of FilesystemObjectStore: bucket rows, their configs and the cache."""

    def __init__(self, index: MetadataIndex, workers: Workers) -> None:
        self._index = index
        self._workers = workers
        self._cache: dict[str, Bucket] = {}
        self._generation = 0
        self._lock = threading.Lock()

    def _forget(self, name: str) -> None:
        """Drop a cached record; call after the commit that changed the bucket."""
        with self._lock:
            self._generation += 1
            self._cache.pop(name, None)

    def cached(self, name: str) -> Bucket | None:
        """The cached record, if any (safe on the event loop: no I/O)."""
        return self._cache.get(name)

    def lookup(self, name: str) -> Bucket:
        """The bucket (blocking: from the cache, else from the index); raises NoSuchBucket."""
        bucket = self._cache.get(name)
        if bucket is not None:
            return bucket
        with self._lock:
            generation = self._generation
        row = (
            self._index.reader()
            .execute(f"SELECT {_BUCKET_COLUMNS} FROM buckets WHERE name = ?", (name,))
            .fetchone()
        )
        if row is None:
            raise NoSuchBucket(BucketName=name)
        bucket = _bucket(row)
        with self._lock:
            if generation == self._generation:
                self._cache[name] = bucket
        return bucket

    async def get(self, name: str) -> Bucket:
        bucket = self.cached(name)
        if bucket is not None:
            return bucket
        return await self._workers.run(self.lookup, name)

    async def create(self, name: str, *, region: str, owner_account: str) -> Bucket:
        def insert(conn: sqlite3.Connection) -> Bucket:
            existing = conn.execute("SELECT owner FROM buckets WHERE name = ?", (name,)).fetchone()
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

        return await self._write(name, insert)

    async def list(self, owner_account: str) -> list[Bucket]:
        def select() -> list[Bucket]:
            rows = self._index.reader().execute(
                f"SELECT {_BUCKET_COLUMNS} FROM buckets WHERE owner = ? ORDER BY name",
                (owner_account,),
            )
            return [_bucket(row) for row in rows]

        return await self._workers.run(select)

    async def delete(self, name: str) -> None:
        def delete(conn: sqlite3.Connection) -> None:
            bucket_versioning(conn, name)
            for table in ("versions", "uploads"):
                if conn.execute(
                    f"SELECT 1 FROM {table} WHERE bucket = ? LIMIT 1", (name,)
                ).fetchone():
                    raise BucketNotEmpty(BucketName=name)
            conn.execute("DELETE FROM bucket_configs WHERE bucket = ?", (name,))
            conn.execute("DELETE FROM buckets WHERE name = ?", (name,))

        await self._write(name, delete)

    async def set_versioning(self, name: str, status: Versioning) -> Bucket:
        def update(conn: sqlite3.Connection) -> Bucket:
            row = conn.execute(
                f"UPDATE buckets SET versioning = ? WHERE name = ? RETURNING {_BUCKET_COLUMNS}",
                (status, name),
            ).fetchone()
            if row is None:
                raise NoSuchBucket(BucketName=name)
            return _bucket(row)

        return await self._write(name, update)

    async def _write(self, name: str, change: Callable[[sqlite3.Connection], T]) -> T:
        def write() -> T:
            try:
                result: T = self._index.write(change)
            finally:
                self._forget(name)  # also after a failure: the commit may have happened
            return result

        return await self._workers.run(write)

    async def get_config(self, name: str, kind: str) -> str | None:
        def select() -> str | None:
            self.lookup(name)
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

    async def put_config(self, name: str, kind: str, document: str | None) -> None:
        def store(conn: sqlite3.Connection) -> None:
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

        await self._workers.run(self._index.write, store)
