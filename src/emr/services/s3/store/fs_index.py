"""The filesystem store's metadata index: one SQLite database in WAL mode next to the bytes.

Keys are stored as UTF-8 BLOBs so that SQLite's memcmp ordering is S3's byte order (TEXT
would also compare with memcmp, but a BLOB makes it impossible for a collation or a text
affinity to creep in). A row holds its bytes (`versions.body`: small bodies, so that a small
PUT is one transaction and no file at all) or names its data file (`file`); the commit of
that row is the moment the bytes become visible, so a file no row names is garbage that
recovery removes.

Threads: every blocking call runs in the store's executor threads. Writes go through one
connection (`write()`), which serialises writers without SQLite's sleeping busy handler and
commits them in groups: the writer that takes the connection runs every write queued by
then, each in a savepoint of its own, and commits them with one fsync. A write's caller
returns only after that commit, with its own result or error. Reads use one connection per
thread, and WAL lets them run beside the writer.

Schema: `PRAGMA user_version` numbers the schema; opening an index written by an older
version of this code applies the missing steps of `_MIGRATIONS` in order.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal, TypeVar, cast

from emr.services.s3.store.base import MultipartUpload, ObjectHeaders, ObjectVersion, Part

__all__ = [
    "PART_COLUMNS",
    "SCHEMA_VERSION",
    "UPLOAD_COLUMNS",
    "VERSION_COLUMNS",
    "MetadataIndex",
    "PartRow",
    "UploadRow",
    "VersionRow",
    "Workers",
    "decode_key",
    "encode_key",
    "headers_to_json",
    "now_micros",
    "part_from_row",
    "timestamp",
    "upload_from_row",
    "version_from_row",
    "version_meta",
]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS buckets (
    name TEXT PRIMARY KEY,
    region TEXT NOT NULL,
    owner TEXT NOT NULL,
    created INTEGER NOT NULL,
    versioning TEXT
);
CREATE TABLE IF NOT EXISTS bucket_configs (
    bucket TEXT NOT NULL,
    kind TEXT NOT NULL,
    document TEXT NOT NULL,
    PRIMARY KEY (bucket, kind)
);
CREATE TABLE IF NOT EXISTS versions (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    bucket TEXT NOT NULL,
    key BLOB NOT NULL,
    version_id TEXT NOT NULL,
    is_latest INTEGER NOT NULL,
    is_delete_marker INTEGER NOT NULL,
    last_modified INTEGER NOT NULL,
    owner TEXT NOT NULL,
    size INTEGER NOT NULL,
    etag TEXT NOT NULL,
    meta TEXT NOT NULL,
    file TEXT
);
CREATE UNIQUE INDEX IF NOT EXISTS versions_by_id ON versions (bucket, key, version_id);
CREATE INDEX IF NOT EXISTS versions_by_key ON versions (bucket, key, seq DESC);
CREATE INDEX IF NOT EXISTS live_objects ON versions (bucket, key)
    WHERE is_latest = 1 AND is_delete_marker = 0;
CREATE TABLE IF NOT EXISTS uploads (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    upload_id TEXT NOT NULL UNIQUE,
    bucket TEXT NOT NULL,
    key BLOB NOT NULL,
    initiated INTEGER NOT NULL,
    owner TEXT NOT NULL,
    meta TEXT NOT NULL,
    checksum_algorithm TEXT
);
CREATE INDEX IF NOT EXISTS uploads_by_key ON uploads (bucket, key, seq);
CREATE TABLE IF NOT EXISTS parts (
    upload_seq INTEGER NOT NULL,
    part_number INTEGER NOT NULL,
    etag TEXT NOT NULL,
    size INTEGER NOT NULL,
    last_modified INTEGER NOT NULL,
    checksums TEXT NOT NULL,
    file TEXT NOT NULL,
    PRIMARY KEY (upload_seq, part_number)
) WITHOUT ROWID;
"""

#: Schema steps after the original one (`_SCHEMA` is version 0 and never changes): entry n
#: takes an index from version n to n + 1.
_MIGRATIONS = (
    # 0 → 1: bodies of small objects inline in their row.
    "ALTER TABLE versions ADD COLUMN body BLOB;",
)
SCHEMA_VERSION = len(_MIGRATIONS)

#: The columns of `versions` in the order `version_from_row` reads them.
VERSION_COLUMNS = "seq, key, version_id, is_latest, is_delete_marker, last_modified, owner, size, etag, meta, file"
VersionRow = tuple[int, bytes, str, int, int, int, str, int, str, str, str | None]

T = TypeVar("T")
_ChecksumType = Literal["FULL_OBJECT", "COMPOSITE"] | None
_NO_HEADERS = ObjectHeaders()

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def now_micros() -> int:
    return time.time_ns() // 1000


def timestamp(micros: int) -> datetime:
    return _EPOCH + timedelta(microseconds=micros)


def encode_key(key: str) -> bytes:
    return key.encode("utf-8")


def decode_key(raw: bytes) -> str:
    return raw.decode("utf-8")


def headers_to_json(headers: ObjectHeaders) -> dict[str, Any]:
    out: dict[str, Any] = {
        name: value
        for name in (
            "content_type",
            "content_encoding",
            "content_disposition",
            "content_language",
            "cache_control",
            "expires",
        )
        if (value := getattr(headers, name)) is not None
    }
    if headers.metadata:
        out["metadata"] = dict(headers.metadata)
    if headers.storage_class != "STANDARD":
        out["storage_class"] = headers.storage_class
    return out


def _headers_from_json(data: dict[str, Any] | None) -> ObjectHeaders:
    return ObjectHeaders(**data) if data else _NO_HEADERS


def version_meta(
    headers: ObjectHeaders,
    checksums: Mapping[str, str],
    checksum_type: str | None,
    tags: Mapping[str, str],
    part_sizes: tuple[int, ...],
) -> str:
    """Everything of a version that is read but never queried, as one JSON document."""
    meta: dict[str, Any] = {}
    if head := headers_to_json(headers):
        meta["h"] = head
    if checksums:
        meta["c"] = dict(checksums)
        meta["t"] = checksum_type
    if tags:
        meta["g"] = dict(tags)
    if part_sizes:
        meta["p"] = list(part_sizes)
    return json.dumps(meta, separators=(",", ":"))


def version_from_row(bucket: str, row: VersionRow) -> ObjectVersion:
    _, key, version_id, is_latest, is_marker, modified, owner, size, etag, meta_json, _ = row
    meta = json.loads(meta_json) if meta_json != "{}" else {}
    return ObjectVersion(
        bucket=bucket,
        key=decode_key(key),
        version_id=version_id,
        is_latest=bool(is_latest),
        is_delete_marker=bool(is_marker),
        last_modified=timestamp(modified),
        owner_account=owner,
        size=size,
        etag=etag,
        headers=_headers_from_json(meta.get("h")),
        checksums=meta.get("c", {}),
        checksum_type=cast("_ChecksumType", meta.get("t")),
        tags=meta.get("g", {}),
        part_sizes=tuple(meta.get("p", ())),
    )


#: The columns of `uploads` in the order `upload_from_row` reads them.
UPLOAD_COLUMNS = "seq, key, upload_id, bucket, initiated, owner, meta, checksum_algorithm"
UploadRow = tuple[int, bytes, str, str, int, str, str, str | None]


def upload_from_row(row: UploadRow) -> MultipartUpload:
    _, key, upload_id, bucket, initiated, owner, meta_json, algorithm = row
    meta = json.loads(meta_json)
    return MultipartUpload(
        bucket=bucket,
        key=decode_key(key),
        upload_id=upload_id,
        initiated=timestamp(initiated),
        owner_account=owner,
        headers=_headers_from_json(meta.get("h", {})),
        tags=meta.get("g", {}),
        checksum_algorithm=algorithm,
    )


PART_COLUMNS = "part_number, etag, size, last_modified, checksums, file"
PartRow = tuple[int, str, int, int, str, str]


def part_from_row(row: PartRow) -> Part:
    number, etag, size, modified, checksums, _ = row
    return Part(
        part_number=number,
        etag=etag,
        size=size,
        last_modified=timestamp(modified),
        checksums=json.loads(checksums),
    )


class _Write:
    """One caller's write in the commit queue, and what became of it."""

    __slots__ = ("done", "error", "function", "result")

    def __init__(self, function: Callable[[sqlite3.Connection], Any]) -> None:
        self.function = function
        self.done = False
        self.result: Any = None
        self.error: BaseException | None = None


class MetadataIndex:
    """The SQLite database: one writer connection with group commit, one reader per thread."""

    def __init__(self, path: Path) -> None:
        self._path = path
        # Guards the queue and `_committing`; the thread that set `_committing` owns the
        # writer connection. Waiters sleep on it until their write is done or it is their turn.
        self._turn = threading.Condition(threading.Lock())
        self._committing = False
        self._queue: list[_Write] = []
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._all_lock = threading.Lock()
        self._writer = self._connect()
        self._migrate()

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("PRAGMA busy_timeout=30000")
        with self._all_lock:
            self._all.append(conn)
        return conn

    def _migrate(self) -> None:
        conn = self._writer
        version: int = conn.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise RuntimeError(
                f"{self._path} has schema version {version}; this code knows up to {SCHEMA_VERSION}"
            )
        if version == 0:
            conn.executescript(_SCHEMA)
        for step in range(version, SCHEMA_VERSION):
            # One transaction per step: a crash leaves the index at a version, never between.
            conn.executescript(
                f"BEGIN IMMEDIATE; {_MIGRATIONS[step]} PRAGMA user_version = {step + 1}; COMMIT;"
            )

    def reader(self) -> sqlite3.Connection:
        """This thread's read connection (autocommit: each statement sees the latest commit)."""
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._connect()
            self._local.conn = conn
        return conn

    @contextmanager
    def snapshot(self) -> Iterator[sqlite3.Connection]:
        """A read transaction: several queries that see one consistent state."""
        conn = self.reader()
        conn.execute("BEGIN")
        try:
            yield conn
        finally:
            conn.execute("COMMIT")

    def write(self, function: Callable[[sqlite3.Connection], T]) -> T:
        """Run `function` in a write transaction and return its result once that is durably
        committed; its exception (after its changes are rolled back) otherwise.

        `function` may run in another caller's thread, grouped with other writes: it must
        only use the connection (no files, no locks) and it sees the writes before it.
        """
        write = _Write(function)
        with self._turn:
            self._queue.append(write)
            while not write.done and self._committing:
                self._turn.wait()
            leader = not write.done
            if leader:  # the writer connection is free: commit everything queued by now
                self._committing = True
                batch, self._queue = self._queue, []
        if leader:
            try:
                self._commit(batch)
            finally:
                with self._turn:
                    self._committing = False
                    self._turn.notify_all()
        if write.error is not None:
            raise write.error
        return cast("T", write.result)

    def _commit(self, batch: list[_Write]) -> None:
        conn = self._writer
        try:
            conn.execute("BEGIN IMMEDIATE")
            for write in batch:
                conn.execute("SAVEPOINT write")
                try:
                    write.result = write.function(conn)
                except BaseException as exc:
                    write.error = exc
                    conn.execute("ROLLBACK TO write")
                conn.execute("RELEASE write")
            conn.execute("COMMIT")
        except BaseException as exc:
            # The transaction itself failed (disk full, I/O error): nothing of it is durable.
            if conn.in_transaction:
                with contextlib.suppress(sqlite3.Error):
                    conn.execute("ROLLBACK")
            for write in batch:
                if write.error is None:
                    write.error, write.result = exc, None
        finally:
            for write in batch:
                write.done = True

    def close(self) -> None:
        with self._all_lock:
            conns, self._all = self._all, []
        for conn in conns:
            conn.close()


class Workers:
    """The store's own threads for blocking work (SQLite, fsync, file I/O), so a slow disk
    never stalls the event loop and never starves the loop's default executor."""

    def __init__(self, count: int) -> None:
        self._executor = ThreadPoolExecutor(max_workers=count, thread_name_prefix="s3-store")

    async def run(self, function: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._executor, function, *args)

    def shutdown(self) -> None:
        self._executor.shutdown(wait=True)
