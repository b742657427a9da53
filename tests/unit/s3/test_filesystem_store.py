"""FilesystemObjectStore: the conformance suite plus what only a filesystem can get wrong."""

from __future__ import annotations

import asyncio
import hashlib
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from emr.services.s3.store.base import ObjectHeaders, ObjectStore
from emr.services.s3.store.filesystem import FilesystemObjectStore
from tests.unit.s3.conformance import (
    EVIL_KEYS,
    OWNER,
    REGION,
    ObjectStoreConformance,
    payload,
    read_all,
)
from tests.unit.s3.crash_writer import body

CRASH_WRITER = Path(__file__).with_name("crash_writer.py")
REPO = Path(__file__).parents[3]


def _tree(path: Path) -> set[Path]:
    return {Path(dirpath) / name for dirpath, dirs, files in os.walk(path) for name in dirs + files}


class TestFilesystemStore(ObjectStoreConformance):
    MIN_PART_SIZE = 256 * 1024

    @pytest.fixture
    def store(self, tmp_path: Path) -> Iterator[ObjectStore]:
        store = FilesystemObjectStore(tmp_path / "store", min_part_size=self.MIN_PART_SIZE)
        yield store
        asyncio.run(store.close())


async def _put(store: ObjectStore, bucket: str, key: str, data: bytes) -> None:
    await store.put_object(bucket, key, payload(data), ObjectHeaders(), owner_account=OWNER)


def _data_files(root: Path) -> list[Path]:
    return [p for p in (root / "data").rglob("*") if p.is_file()]


async def test_nothing_written_outside_root(tmp_path: Path) -> None:
    root = tmp_path / "deep" / "store"
    store = FilesystemObjectStore(root)
    await store.create_bucket("b", region=REGION, owner_account=OWNER)
    for key in EVIL_KEYS:
        await _put(store, "b", key, b"evil")
    upload = await store.create_multipart_upload("b", "../up", ObjectHeaders(), owner_account=OWNER)
    await store.upload_part("b", "../up", upload.upload_id, 1, payload(b"part"))
    await store.close()
    assert {p for p in _tree(tmp_path) if root not in p.parents and p != root} == {
        tmp_path / "deep"
    }
    names = {p.name for p in _tree(root)}
    assert not any(key.split("/")[-1] in names for key in EVIL_KEYS if len(key) > 2)


async def test_reopen_keeps_everything(tmp_path: Path) -> None:
    store = FilesystemObjectStore(tmp_path)
    await store.create_bucket("b", region=REGION, owner_account=OWNER)
    await store.set_bucket_versioning("b", "Enabled")
    await _put(store, "b", "k", b"one")
    await _put(store, "b", "k", b"two")
    upload = await store.create_multipart_upload("b", "m", ObjectHeaders(), owner_account=OWNER)
    await store.upload_part("b", "m", upload.upload_id, 1, payload(b"part"))
    await store.close()

    store = FilesystemObjectStore(tmp_path)
    assert (await store.get_bucket("b")).versioning == "Enabled"
    versions = (await store.list_object_versions("b")).versions
    assert [await read_all(store, v) for v in versions] == [b"two", b"one"]
    parts = await store.list_parts("b", "m", upload.upload_id)
    assert [p.size for p in parts.parts] == [4]
    version = await store.complete_multipart_upload(
        "b", "m", upload.upload_id, [(1, parts.parts[0].etag)]
    )
    assert await read_all(store, version) == b"part"
    await store.close()


async def test_recovery_removes_orphans_and_deleted_files_go(tmp_path: Path) -> None:
    store = FilesystemObjectStore(tmp_path, inline_threshold=0)  # small bodies in files
    await store.create_bucket("b", region=REGION, owner_account=OWNER)
    await _put(store, "b", "k", b"kept")
    await _put(store, "b", "gone", b"x")
    await _put(store, "b", "gone", b"y")  # the replaced file is removed at once
    await store.delete_object("b", "gone")
    assert len(_data_files(tmp_path)) == 1
    await store.close()
    orphan = tmp_path / "data" / "ab" / ("ab" + "0" * 30)
    orphan.write_bytes(b"orphan")
    (tmp_path / "tmp" / "half-written").write_bytes(b"partial")
    store = FilesystemObjectStore(tmp_path, inline_threshold=0)
    assert not orphan.exists() and not any((tmp_path / "tmp").iterdir())
    assert len(_data_files(tmp_path)) == 1
    assert await read_all(store, await store.get_object("b", "k")) == b"kept"
    await store.close()


async def test_concurrent_writers_leave_one_file(tmp_path: Path) -> None:
    store = FilesystemObjectStore(tmp_path)
    await store.create_bucket("b", region=REGION, owner_account=OWNER)
    bodies = [os.urandom(500_000) for _ in range(8)]
    await asyncio.gather(*(_put(store, "b", "k", data) for data in bodies))
    versions = (await store.list_object_versions("b")).versions
    assert len(versions) == 1
    assert await read_all(store, versions[0]) in bodies
    assert len(_data_files(tmp_path)) == 1
    assert not any((tmp_path / "tmp").iterdir())
    await store.close()


def test_sigkill_loses_no_acknowledged_write(tmp_path: Path) -> None:
    """Kill a writer at random moments; every key it acknowledged must be intact."""
    rng = random.Random(os.getpid())
    acknowledged: list[str] = []
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    for round_id in range(3):
        process = subprocess.Popen(
            [sys.executable, str(CRASH_WRITER), str(tmp_path), f"r{round_id}"],
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )
        assert process.stdout is not None
        first = process.stdout.readline()  # the writer is under way (however loaded the box)
        assert first.endswith("\n"), "the writer exited before acknowledging a key"
        time.sleep(rng.random() * 1.5)
        process.send_signal(signal.SIGKILL)
        out, _ = process.communicate(timeout=30)
        lines = out.splitlines()
        if lines and not out.endswith("\n"):
            lines.pop()  # a key cut in the middle of printing was not acknowledged
        acknowledged += [first.rstrip("\n"), *lines]

    async def check() -> None:
        store = FilesystemObjectStore(tmp_path)
        for key in acknowledged:
            version = await store.get_object("crash", key)
            data = await read_all(store, version)
            assert data == body(key), key
            assert version.etag == hashlib.md5(data).hexdigest()
        listed = 0
        after = ""
        while True:
            page = await store.list_objects("crash", after=after)
            for version in page.objects:
                data = await read_all(store, version)
                assert len(data) == version.size
                assert version.etag == hashlib.md5(data).hexdigest()
                if version.key != "shared":
                    assert data == body(version.key)
                listed += 1
            if not page.is_truncated:
                break
            after = page.next_marker or ""
        assert listed >= len(acknowledged) + 1
        assert not any((tmp_path / "tmp").iterdir())
        await store.close()

    asyncio.run(check())
