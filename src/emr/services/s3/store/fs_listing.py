"""Listing over the metadata index: prefix ranges, delimiter roll-up and markers.

All three listings (objects, versions, multipart uploads) walk rows in key byte order and
roll keys up into common prefixes. When a common prefix is found and more rows under it
follow, the walk re-seeks to the first key past the prefix with one indexed query instead
of reading every key below it, so a listing of a few "directories" over millions of keys
costs a few queries.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, Literal, TypeVar

from emr.services.s3.store.fs_index import (
    UPLOAD_COLUMNS,
    VERSION_COLUMNS,
    UploadRow,
    VersionRow,
)

__all__ = [
    "Cursor",
    "Walk",
    "fetch_latest",
    "fetch_uploads",
    "fetch_versions",
    "start_cursor",
    "successor",
    "walk",
]

R = TypeVar("R", VersionRow, UploadRow)

#: Where a walk resumes: keys >= key ("ge"), keys > key ("gt"), or after the row (key, seq)
#: in the listing's order ("after").
Cursor = tuple[Literal["ge", "gt", "after"], bytes, int]

_MAX_BATCH = 1000


def successor(prefix: bytes) -> bytes | None:
    """The smallest byte string greater than every string that starts with `prefix`."""
    trimmed = prefix.rstrip(b"\xff")
    if not trimmed:
        return None
    return trimmed[:-1] + bytes([trimmed[-1] + 1])


def start_cursor(prefix: bytes, delimiter: bytes | None, marker: bytes) -> Cursor:
    """The first cursor of a listing that continues after `marker` (a key or a common
    prefix returned by an earlier page: a common prefix is skipped as a whole)."""
    if not marker:
        return ("ge", prefix, 0)
    if delimiter and marker.startswith(prefix) and marker.endswith(delimiter):
        found = marker.find(delimiter, len(prefix))
        if found + len(delimiter) == len(marker):
            after = successor(marker)
            return ("ge", after, 0) if after is not None else ("gt", marker + b"\xff" * 4, 0)
    return ("gt", marker, 0)


@dataclass
class Walk(Generic[R]):
    """One page: rows and common prefixes in order, and the last entry for the next marker."""

    rows: list[R] = field(default_factory=list)
    prefixes: list[bytes] = field(default_factory=list)
    truncated: bool = False
    last_row: R | None = None
    last_prefix: bytes | None = None  # set when the page ended on a common prefix

    def resume_markers(self) -> tuple[str | None, str | None]:
        """(key marker, id marker) that continue after a truncated page: the common prefix it
        ended on, else its last row's key (column 1) and version or upload id (column 2)."""
        if not self.truncated:
            return None, None
        if self.last_prefix is not None:
            return self.last_prefix.decode("utf-8"), None
        row: Any = self.last_row
        return (None, None) if row is None else (row[1].decode("utf-8"), row[2])


Fetch = Callable[[Cursor, int], Sequence[R]]


def walk(
    fetch: Fetch[R],
    cursor: Cursor,
    *,
    prefix: bytes,
    delimiter: bytes | None,
    max_items: int,
    next_cursor: Callable[[R], Cursor],
) -> Walk[R]:
    """Collect up to `max_items` rows and common prefixes, starting at `cursor`."""
    page: Walk[R] = Walk()
    if max_items <= 0:
        return page
    batch = min(max_items + 1, _MAX_BATCH)
    while True:
        rows = fetch(cursor, batch)
        reseek = False
        for index, row in enumerate(rows):
            key = row[1]
            if page.prefixes and key.startswith(page.prefixes[-1]):
                continue
            common: bytes | None = None
            if delimiter:
                found = key.find(delimiter, len(prefix))
                if found >= 0:
                    common = key[: found + len(delimiter)]
            if len(page.rows) + len(page.prefixes) >= max_items:
                page.truncated = True
                return page
            if common is None:
                page.rows.append(row)
                page.last_row, page.last_prefix = row, None
                cursor = next_cursor(row)
                continue
            page.prefixes.append(common)
            page.last_prefix = common
            following = rows[index + 1] if index + 1 < len(rows) else None
            if following is None or following[1].startswith(common):
                after = successor(common)
                if after is None:
                    return page
                cursor, reseek = ("ge", after, 0), True
                break
        if not reseek and len(rows) < batch:
            return page


def _bounds(cursor: Cursor, prefix: bytes) -> tuple[str, bytes]:
    op, key, _ = cursor
    if key < prefix:
        return ">=", prefix
    return (">=" if op == "ge" else ">"), key


def fetch_latest(conn: sqlite3.Connection, bucket: str, prefix: bytes) -> Fetch[VersionRow]:
    """Rows of the live objects (latest, not delete markers) in key order."""
    upper = successor(prefix) if prefix else None
    upper_sql = " AND key < ?" if upper is not None else ""

    def fetch(cursor: Cursor, limit: int) -> Sequence[VersionRow]:
        op, key = _bounds(cursor, prefix)
        args: list[object] = [bucket, key]
        if upper is not None:
            args.append(upper)
        args.append(limit)
        return conn.execute(
            f"SELECT {VERSION_COLUMNS} FROM versions WHERE bucket = ? AND is_latest = 1"
            f" AND is_delete_marker = 0 AND key {op} ?{upper_sql} ORDER BY key LIMIT ?",
            args,
        ).fetchall()

    return fetch


def _fetch_ordered(
    conn: sqlite3.Connection, table: str, columns: str, bucket: str, prefix: bytes, newest: bool
) -> Fetch[R]:
    upper = successor(prefix) if prefix else None
    upper_sql = " AND key < ?" if upper is not None else ""
    order = "seq DESC" if newest else "seq"
    seq_op = "<" if newest else ">"

    def fetch(cursor: Cursor, limit: int) -> Sequence[R]:
        rows: list[R] = []
        if cursor[0] == "after" and cursor[1].startswith(prefix):
            rows = conn.execute(
                f"SELECT {columns} FROM {table} WHERE bucket = ? AND key = ?"
                f" AND seq {seq_op} ? ORDER BY {order} LIMIT ?",
                (bucket, cursor[1], cursor[2], limit),
            ).fetchall()
            if len(rows) >= limit:
                return rows
        op, key = _bounds(cursor, prefix)
        args: list[object] = [bucket, key]
        if upper is not None:
            args.append(upper)
        args.append(limit - len(rows))
        rows += conn.execute(
            f"SELECT {columns} FROM {table} WHERE bucket = ? AND key {op} ?{upper_sql}"
            f" ORDER BY key, {order} LIMIT ?",
            args,
        ).fetchall()
        return rows

    return fetch


def fetch_versions(conn: sqlite3.Connection, bucket: str, prefix: bytes) -> Fetch[VersionRow]:
    """Every version and delete marker, by key then newest first."""
    return _fetch_ordered(conn, "versions", VERSION_COLUMNS, bucket, prefix, newest=True)


def fetch_uploads(conn: sqlite3.Connection, bucket: str, prefix: bytes) -> Fetch[UploadRow]:
    """Multipart uploads, by key then initiation order."""
    return _fetch_ordered(conn, "uploads", UPLOAD_COLUMNS, bucket, prefix, newest=False)
