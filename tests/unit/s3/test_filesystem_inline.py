"""FilesystemObjectStore with bodies inline in the index, files only, and mixes of both; group
commit of concurrent writes; the bucket cache; upgrading an index written before inline
bodies existed."""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import hashlib
import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from emr.services.s3 import errors
from emr.services.s3.store.base import ObjectHeaders, ObjectStore, ObjectVersion, Precondition
from emr.services.s3.store.filesystem import FilesystemObjectStore
from emr.services.s3.store.fs_index import SCHEMA_VERSION, MetadataIndex
from tests.unit.s3.conformance import (
    OTHER,
    OWNER,
    REGION,
    ObjectStoreConformance,
    botocore_checksum,
    payload,
    read_all,
)

LIMIT = 1000  # the inline threshold of the tests below


class TestFilesOnlyStore(ObjectStoreConformance):
    """The conformance suite with inlining off: every body is a data file."""

    MIN_PART_SIZE = 256 * 1024

    @pytest.fixture
    def store(self, tmp_path: Path) -> Iterator[ObjectStore]:
        store = FilesystemObjectStore(
            tmp_path, min_part_size=self.MIN_PART_SIZE, inline_threshold=0
        )
        yield store
        asyncio.run(store.close())


class TestTinyInlineStore(ObjectStoreConformance):
    """The conformance suite with a threshold its small bodies straddle, so inline and file
    bodies meet in most tests."""

    MIN_PART_SIZE = 256 * 1024

    @pytest.fixture
    def store(self, tmp_path: Path) -> Iterator[ObjectStore]:
        store = FilesystemObjectStore(
            tmp_path, min_part_size=self.MIN_PART_SIZE, inline_threshold=4
        )
        yield store
        asyncio.run(store.close())


def _open(root: Path, **kwargs: int) -> FilesystemObjectStore:
    return FilesystemObjectStore(root, inline_threshold=LIMIT, **kwargs)


def _data_files(root: Path) -> int:
    return sum(1 for p in (root / "data").rglob("*") if p.is_file())


async def _put(
    store: ObjectStore, key: str, data: bytes, precondition: Precondition | None = None
) -> ObjectVersion:
    return await store.put_object(
        "b",
        key,
        payload(data, chunk=300),
        ObjectHeaders(),
        owner_account=OWNER,
        precondition=precondition,
    )


async def _bucket(store: ObjectStore, versioning: bool = False) -> None:
    await store.create_bucket("b", region=REGION, owner_account=OWNER)
    if versioning:
        await store.set_bucket_versioning("b", "Enabled")


def _bodies() -> dict[int, bytes]:
    return {size: os.urandom(size) for size in (0, 1, LIMIT - 1, LIMIT, LIMIT + 1)}


BODIES = _bodies()


async def test_threshold_boundaries(tmp_path: Path) -> None:
    store = _open(tmp_path)
    await _bucket(store)
    for size, data in BODIES.items():
        put = await _put(store, f"k{size}", data)
        assert (put.size, put.etag) == (size, hashlib.md5(data).hexdigest())
    assert _data_files(tmp_path) == 1  # only LIMIT + 1 bytes needed a file
    for size, data in BODIES.items():
        assert await read_all(store, await store.get_object("b", f"k{size}")) == data
    await store.close()
    store = _open(tmp_path)  # read back from the index, not from memory
    for size in BODIES:
        got = await store.get_object("b", f"k{size}")
        assert got.size == size and len(await read_all(store, got)) == size
    await store.close()


async def test_ranges_of_inline_bodies(tmp_path: Path) -> None:
    store = _open(tmp_path, read_chunk_size=7)
    await _bucket(store)
    data = os.urandom(LIMIT)
    await _put(store, "k", data)
    got = await store.get_object("b", "k")
    # A version rebuilt by the caller carries nothing but its fields: read via the index.
    rebuilt = dataclasses.replace(got)
    for version in (got, rebuilt):
        assert await read_all(store, version) == data
        for start, end in ((0, 1), (5, 6), (3, 700), (LIMIT - 1, LIMIT), (10, LIMIT + 50)):
            assert await read_all(store, version, start, end) == data[start:end]
        assert await read_all(store, version, LIMIT) == b""
        assert max([len(c) async for c in store.read_object(version)]) <= 7
    await store.close()


async def test_overwrite_between_inline_and_file(tmp_path: Path) -> None:
    store = _open(tmp_path)
    await _bucket(store)
    small, large, small2 = os.urandom(10), os.urandom(LIMIT * 5), os.urandom(20)
    await _put(store, "k", small)
    held = await store.get_object("b", "k")
    assert _data_files(tmp_path) == 0
    await _put(store, "k", large)
    assert _data_files(tmp_path) == 1
    # A version read before the overwrite still gives its own bytes (they came with its row);
    # looked up again, it is gone. Never the new bytes.
    assert await read_all(store, held) == small
    with pytest.raises(errors.NoSuchKey):
        await read_all(store, dataclasses.replace(held))
    held = await store.get_object("b", "k")
    await _put(store, "k", small2)
    assert _data_files(tmp_path) == 0  # the replaced file went with its row
    with pytest.raises(errors.NoSuchKey):
        await read_all(store, held)
    assert await read_all(store, await store.get_object("b", "k")) == small2
    await store.delete_object("b", "k")
    with pytest.raises(errors.NoSuchKey):
        await store.get_object("b", "k")
    await store.close()


async def test_versions_mix_inline_and_files(tmp_path: Path) -> None:
    store = _open(tmp_path)
    await _bucket(store, versioning=True)
    bodies = [os.urandom(n) for n in (5, LIMIT * 3, 0, LIMIT, LIMIT + 1)]
    ids = [(await _put(store, "k", data)).version_id for data in bodies]
    assert _data_files(tmp_path) == 2
    for version_id, data in zip(ids, bodies, strict=True):
        got = await store.get_object("b", "k", version_id)
        assert await read_all(store, got) == data
        assert await read_all(store, dataclasses.replace(got), 1, 3) == data[1:3]
    listed = (await store.list_object_versions("b")).versions
    assert [v.version_id for v in listed] == ids[::-1]
    assert [await read_all(store, v) for v in listed] == bodies[::-1]
    for version_id in ids:
        await store.delete_object("b", "k", version_id)
    assert _data_files(tmp_path) == 0
    assert (await store.list_object_versions("b")).versions == []
    await store.close()


async def test_copy_inline_object(tmp_path: Path) -> None:
    store = _open(tmp_path)
    await _bucket(store)
    data = os.urandom(300)
    await _put(store, "src", data)
    source = await store.get_object("b", "src")
    copy = await store.copy_object(
        dataclasses.replace(source), "b", "dst", owner_account=OWNER, checksum_algorithm="sha256"
    )
    assert copy.etag == source.etag and copy.checksums == {
        "SHA256": botocore_checksum("SHA256", data)
    }
    await store.delete_object("b", "src")
    assert await read_all(store, await store.get_object("b", "dst")) == data
    assert _data_files(tmp_path) == 0
    with pytest.raises(errors.NoSuchKey):  # the source is gone now
        await store.copy_object(source, "b", "again", owner_account=OWNER)
    # A small object that lives in a file (written with inlining off) copies as a file.
    await store.close()
    store = FilesystemObjectStore(tmp_path, inline_threshold=0)
    await _put(store, "filed", data)
    await store.close()
    store = _open(tmp_path)
    copy = await store.copy_object(
        await store.get_object("b", "filed"), "b", "copied", owner_account=OWNER
    )
    assert await read_all(store, copy) == data and _data_files(tmp_path) == 2
    await store.close()


async def test_failed_inline_puts_store_nothing(tmp_path: Path) -> None:
    store = _open(tmp_path)
    await _bucket(store)
    bad_md5 = base64.b64encode(hashlib.md5(b"other").digest()).decode()
    with pytest.raises(errors.BadDigest):
        await store.put_object(
            "b", "k", payload(b"body", content_md5=bad_md5), ObjectHeaders(), owner_account=OWNER
        )
    with pytest.raises(errors.NoSuchKey):
        await store.get_object("b", "k")
    assert not any((tmp_path / "tmp").iterdir()) and _data_files(tmp_path) == 0
    await store.close()


async def test_upgrade_index_without_inline_column(tmp_path: Path) -> None:
    store = FilesystemObjectStore(tmp_path, inline_threshold=0)
    await _bucket(store)
    old = os.urandom(50)
    await _put(store, "old", old)
    await store.close()
    # Make the index what the code before inline bodies wrote: no body column, version 0.
    with sqlite3.connect(tmp_path / "index.sqlite3") as conn:
        conn.execute("ALTER TABLE versions DROP COLUMN body")
        conn.execute("PRAGMA user_version = 0")
    store = _open(tmp_path)
    assert await read_all(store, await store.get_object("b", "old")) == old
    new = os.urandom(60)
    await _put(store, "new", new)
    assert await read_all(store, await store.get_object("b", "new")) == new
    await store.close()
    with sqlite3.connect(tmp_path / "index.sqlite3") as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert _data_files(tmp_path) == 1
    store = _open(tmp_path)  # and opening an upgraded index again changes nothing
    assert await read_all(store, await store.get_object("b", "new")) == new
    await store.close()


async def test_index_from_newer_code_is_refused(tmp_path: Path) -> None:
    store = _open(tmp_path)
    await store.close()
    with sqlite3.connect(tmp_path / "index.sqlite3") as conn:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(RuntimeError, match="schema version"):
        _open(tmp_path)


async def test_concurrent_conditional_puts_each_get_their_outcome(tmp_path: Path) -> None:
    store = _open(tmp_path)
    await _bucket(store)
    seeded = await _put(store, "seeded", b"seed")

    async def attempt(n: int) -> str:
        data = b"%d" % n + (os.urandom(LIMIT * 2) if n % 5 == 0 else b"")
        key, precondition = f"k{n % 6}", Precondition(if_none_match="*")
        if n % 4 == 1:
            key, precondition = "seeded", Precondition(if_match="wrong")
        elif n % 4 == 2:
            key, precondition = f"free{n}", Precondition()
        try:
            await _put(store, key, data, precondition)
        except errors.PreconditionFailed:
            return "failed"
        return f"{key}={data[:3]!r}"

    outcomes = await asyncio.gather(*(attempt(n) for n in range(60)))
    for n, outcome in enumerate(outcomes):
        if n % 4 == 1:
            assert outcome == "failed"
        elif n % 4 == 2:
            assert outcome.startswith(f"free{n}=")
    for key in {f"k{n % 6}" for n in range(60) if n % 4 in (0, 3)}:
        winners = [o for o in outcomes if o.startswith(f"{key}=")]
        assert len(winners) == 1, (key, winners)
        stored = await read_all(store, await store.get_object("b", key))
        assert winners[0] == f"{key}={stored[:3]!r}"
    assert (await store.get_object("b", "seeded")).etag == seeded.etag
    assert len((await store.list_object_versions("b")).versions) == 1 + 6 + 15
    await store.close()


def test_group_commit_keeps_each_writes_outcome(tmp_path: Path) -> None:
    index = MetadataIndex(tmp_path / "index.sqlite3")
    started, release = threading.Event(), threading.Event()
    ran_in: dict[int, int] = {}
    outcomes: dict[int, object] = {}

    def insert(n: int) -> None:
        def change(conn: sqlite3.Connection) -> int:
            ran_in[n] = threading.get_ident()
            if n == 0:  # hold the writer so that the others queue up behind it
                started.set()
                release.wait(10)
            conn.execute(
                "INSERT INTO buckets (name, region, owner, created) VALUES (?, 'r', 'o', 0)",
                (f"b{n}",),
            )
            if n % 3 == 1:
                raise ValueError(n)
            return n

        try:
            outcomes[n] = index.write(change)
        except ValueError as exc:
            outcomes[n] = exc

    threads = [threading.Thread(target=insert, args=(n,)) for n in range(12)]
    threads[0].start()
    assert started.wait(10)
    for thread in threads[1:]:
        thread.start()
    time.sleep(0.2)
    release.set()
    for thread in threads:
        thread.join(10)
    names = {row[0] for row in index.reader().execute("SELECT name FROM buckets")}
    index.close()
    assert names == {f"b{n}" for n in range(12) if n % 3 != 1}
    for n in range(12):
        outcome = outcomes[n]
        if n % 3 == 1:
            assert isinstance(outcome, ValueError) and outcome.args == (n,)
        else:
            assert outcome == n
    # The eleven queued writes were committed together, by one of their threads.
    assert len({ran_in[n] for n in range(1, 12)}) == 1


async def test_bucket_cache_follows_bucket_writes(tmp_path: Path) -> None:
    store = _open(tmp_path)
    await _bucket(store)
    assert (await store.get_bucket("b")).versioning is None
    await store.set_bucket_versioning("b", "Enabled")
    assert (await store.get_bucket("b")).versioning == "Enabled"
    await store.delete_bucket("b")
    with pytest.raises(errors.NoSuchBucket):
        await store.get_bucket("b")
    with pytest.raises(errors.NoSuchBucket):
        await store.get_bucket_config("b", "policy")
    with pytest.raises(errors.NoSuchBucket):
        await _put(store, "k", b"x")
    await store.create_bucket("b", region="eu-west-1", owner_account=OTHER)
    again = await store.get_bucket("b")
    assert (again.owner_account, again.region, again.versioning) == (OTHER, "eu-west-1", None)
    await store.close()
