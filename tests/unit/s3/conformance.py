"""The ObjectStore conformance suite: every backend's test class inherits `ObjectStoreConformance`.

Subclasses provide a `store` fixture (an empty store whose minimum part size is
`MIN_PART_SIZE`). Tests are coroutines, run by tests/unit/s3/conftest.py. Expected
checksum values come from botocore's own checksum classes, so the store and the SDK agree.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import os
from collections.abc import AsyncIterator, Iterable
from typing import Any, ClassVar

import pytest
from botocore import httpchecksum

from emr.services.s3 import errors
from emr.services.s3.store.base import (
    CHECKSUM_ALGORITHMS,
    ObjectHeaders,
    ObjectStore,
    ObjectVersion,
    Payload,
    Precondition,
)

OWNER = "111122223333"
OTHER = "444455556666"
REGION = "us-east-1"

#: Keys whose UTF-8 byte order differs from UTF-16 / code-point-naive orders, and keys that
#: would be dangerous as paths.
UNICODE_KEYS = ["a", "a\u00e9", "a\ue000", "a\uffff", "a\U0001f600", "a\U0010fffd", "b"]
EVIL_KEYS = [
    "../escape",
    "../../etc/passwd",
    "a//b",
    "//",
    "/leading",
    "a/./b",
    ".",
    "..",
    "k" * 1024,
    "é" * 512,
    "prefix",
    "prefix/",
    "prefix/x",
    "prefixx",
    "nul\x00byte",
    "back\\slash",
]


def botocore_checksum(algorithm: str, data: bytes) -> str:
    checksum = httpchecksum._CHECKSUM_CLS[algorithm.lower()]()
    checksum.update(data)
    return str(checksum.b64digest())


def md5_b64(data: bytes) -> str:
    return base64.b64encode(hashlib.md5(data).digest()).decode()


async def _chunks(data: bytes, size: int) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]
        await asyncio.sleep(0)


def payload(data: bytes, *, chunk: int = 64 * 1024, **kwargs: Any) -> Payload:
    return Payload(chunks=_chunks(data, max(chunk, 1)), **kwargs)


async def read_all(store: ObjectStore, version: ObjectVersion, *args: int) -> bytes:
    return b"".join([chunk async for chunk in store.read_object(version, *args)])


async def list_all_keys(
    store: ObjectStore, bucket: str, **kwargs: Any
) -> tuple[list[str], list[str]]:
    """Page through list_objects with max_keys pages; returns keys and common prefixes."""
    keys: list[str] = []
    prefixes: list[str] = []
    after = ""
    while True:
        page = await store.list_objects(bucket, after=after, **kwargs)
        keys += [o.key for o in page.objects]
        prefixes += page.common_prefixes
        if not page.is_truncated:
            return keys, prefixes
        assert page.next_marker is not None and page.next_marker > after
        after = page.next_marker


def byte_sorted(keys: Iterable[str]) -> list[str]:
    return sorted(keys, key=lambda k: k.encode("utf-8"))


class ObjectStoreConformance:
    """S3 semantics every ObjectStore must have (see emr.services.s3.store.base)."""

    MIN_PART_SIZE: ClassVar[int] = 5 * 1024 * 1024

    @pytest.fixture
    def store(self) -> ObjectStore:
        raise NotImplementedError("subclasses provide the store fixture")

    async def bucket(self, store: ObjectStore, name: str = "bucket", versioning: str = "") -> str:
        await store.create_bucket(name, region=REGION, owner_account=OWNER)
        if versioning:
            await store.set_bucket_versioning(name, versioning)  # type: ignore[arg-type]
        return name

    async def put(
        self,
        store: ObjectStore,
        bucket: str,
        key: str,
        data: bytes,
        headers: ObjectHeaders | None = None,
        **kwargs: Any,
    ) -> ObjectVersion:
        body = payload(data, **kwargs.pop("payload", {}))
        return await store.put_object(
            bucket, key, body, headers or ObjectHeaders(), owner_account=OWNER, **kwargs
        )

    # -- buckets -----------------------------------------------------------------------------

    async def test_bucket_lifecycle(self, store: ObjectStore) -> None:
        created = await store.create_bucket("b1", region=REGION, owner_account=OWNER)
        assert (created.name, created.region, created.owner_account) == ("b1", REGION, OWNER)
        assert created.versioning is None
        await store.create_bucket("a0", region=REGION, owner_account=OWNER)
        await store.create_bucket("c2", region=REGION, owner_account=OTHER)
        assert (await store.get_bucket("b1")).created == created.created
        assert [b.name for b in await store.list_buckets(OWNER)] == ["a0", "b1"]
        with pytest.raises(errors.BucketAlreadyOwnedByYou):
            await store.create_bucket("b1", region=REGION, owner_account=OWNER)
        with pytest.raises(errors.BucketAlreadyExists):
            await store.create_bucket("b1", region=REGION, owner_account=OTHER)
        await store.delete_bucket("b1")
        with pytest.raises(errors.NoSuchBucket):
            await store.get_bucket("b1")
        with pytest.raises(errors.NoSuchBucket):
            await store.delete_bucket("b1")
        with pytest.raises(errors.NoSuchBucket):
            await store.list_objects("b1")

    async def test_bucket_not_empty(self, store: ObjectStore) -> None:
        bucket = await self.bucket(store, versioning="Enabled")
        await self.put(store, bucket, "k", b"x")
        with pytest.raises(errors.BucketNotEmpty):
            await store.delete_bucket(bucket)
        marker = await store.delete_object(bucket, "k")  # a delete marker still counts
        with pytest.raises(errors.BucketNotEmpty):
            await store.delete_bucket(bucket)
        page = await store.list_object_versions(bucket)
        for version in page.versions:
            await store.delete_object(bucket, "k", version.version_id)
        assert marker.delete_marker
        upload = await store.create_multipart_upload(
            bucket, "m", ObjectHeaders(), owner_account=OWNER
        )
        with pytest.raises(errors.BucketNotEmpty):
            await store.delete_bucket(bucket)
        await store.abort_multipart_upload(bucket, "m", upload.upload_id)
        await store.delete_bucket(bucket)

    async def test_versioning_status_and_configs(self, store: ObjectStore) -> None:
        bucket = await self.bucket(store)
        assert (await store.set_bucket_versioning(bucket, "Enabled")).versioning == "Enabled"
        assert (await store.get_bucket(bucket)).versioning == "Enabled"
        assert (await store.set_bucket_versioning(bucket, "Suspended")).versioning == "Suspended"
        with pytest.raises(errors.NoSuchBucket):
            await store.set_bucket_versioning("missing", "Enabled")
        assert await store.get_bucket_config(bucket, "policy") is None
        await store.put_bucket_config(bucket, "policy", '{"Version": "2012-10-17"}')
        await store.put_bucket_config(bucket, "cors", "<CORSConfiguration/>")
        assert await store.get_bucket_config(bucket, "policy") == '{"Version": "2012-10-17"}'
        await store.put_bucket_config(bucket, "policy", None)
        assert await store.get_bucket_config(bucket, "policy") is None
        assert await store.get_bucket_config(bucket, "cors") == "<CORSConfiguration/>"
        with pytest.raises(errors.NoSuchBucket):
            await store.put_bucket_config("missing", "policy", "{}")

    # -- objects -----------------------------------------------------------------------------

    async def test_put_get_read(self, store: ObjectStore) -> None:
        bucket = await self.bucket(store)
        data = os.urandom(3 * 1024 * 1024 + 17)
        put = await self.put(store, bucket, "dir/obj", data, payload={"chunk": 100_000})
        assert put.etag == hashlib.md5(data).hexdigest()
        assert (put.size, put.version_id, put.is_latest) == (len(data), "null", True)
        got = await store.get_object(bucket, "dir/obj")
        assert (got.etag, got.size, got.last_modified) == (put.etag, put.size, put.last_modified)
        assert await read_all(store, got) == data
        chunks = [c async for c in store.read_object(got)]
        assert max(len(c) for c in chunks) <= 8 * 1024 * 1024
        assert await read_all(store, got, 0, 1) == data[:1]
        assert await read_all(store, got, 1_000_000, 2_500_001) == data[1_000_000:2_500_001]
        assert await read_all(store, got, len(data) - 5) == data[-5:]
        empty = await self.put(store, bucket, "empty", b"")
        assert (empty.size, empty.etag) == (0, hashlib.md5(b"").hexdigest())
        assert await read_all(store, await store.get_object(bucket, "empty")) == b""
        with pytest.raises(errors.NoSuchKey):
            await store.get_object(bucket, "dir")
        with pytest.raises(errors.NoSuchBucket):
            await store.get_object("missing", "dir/obj")
        with pytest.raises(errors.NoSuchBucket):
            await self.put(store, "missing", "k", b"x")

    async def test_overwrite_unversioned(self, store: ObjectStore) -> None:
        bucket = await self.bucket(store)
        await self.put(store, bucket, "k", b"first version")
        await self.put(store, bucket, "k", b"second")
        got = await store.get_object(bucket, "k")
        assert await read_all(store, got) == b"second"
        versions = (await store.list_object_versions(bucket)).versions
        assert [(v.version_id, v.is_latest, v.size) for v in versions] == [("null", True, 6)]

    async def test_headers_metadata_tags_round_trip(self, store: ObjectStore) -> None:
        bucket = await self.bucket(store)
        headers = ObjectHeaders(
            content_type="text/plain; charset=utf-8",
            content_encoding="gzip",
            content_disposition='attachment; filename="a.txt"',
            content_language="en",
            cache_control="max-age=60",
            expires="Wed, 21 Oct 2015 07:28:00 GMT",
            metadata={"color": "blue", "unicode": "ünï"},
            storage_class="STANDARD_IA",
        )
        tags = {"team": "data", "empty": ""}
        put = await self.put(store, bucket, "k", b"x", headers, tags=tags)
        got = await store.get_object(bucket, "k")
        assert got.headers == headers == put.headers
        assert dict(got.tags) == tags
        tagged = await store.put_object_tags(bucket, "k", None, {"new": "1"})
        assert dict(tagged.tags) == {"new": "1"}
        got = await store.get_object(bucket, "k")
        assert dict(got.tags) == {"new": "1"} and got.etag == put.etag
        assert got.version_id == put.version_id and got.headers == headers
        with pytest.raises(errors.NoSuchKey):
            await store.put_object_tags(bucket, "missing", None, {})
        listed = (await store.list_objects(bucket)).objects[0]
        assert listed.headers == headers and listed.etag == put.etag

    async def test_delete_unversioned(self, store: ObjectStore) -> None:
        bucket = await self.bucket(store)
        await self.put(store, bucket, "k", b"x")
        outcome = await store.delete_object(bucket, "k")
        assert not outcome.delete_marker
        with pytest.raises(errors.NoSuchKey):
            await store.get_object(bucket, "k")
        assert (await store.list_object_versions(bucket)).versions == []
        await store.delete_object(bucket, "never-existed")
        with pytest.raises(errors.NoSuchBucket):
            await store.delete_object("missing", "k")

    async def test_copy(self, store: ObjectStore) -> None:
        bucket = await self.bucket(store)
        other = await self.bucket(store, "other")
        headers = ObjectHeaders(content_type="a/b", metadata={"m": "1"})
        source = await self.put(store, bucket, "src", b"payload", headers, tags={"t": "1"})
        kept = await store.copy_object(source, other, "dst", owner_account=OWNER)
        assert (kept.bucket, kept.key, kept.etag) == (other, "dst", source.etag)
        assert kept.headers == headers and dict(kept.tags) == {"t": "1"}
        assert await read_all(store, await store.get_object(other, "dst")) == b"payload"
        replaced = await store.copy_object(
            source,
            bucket,
            "dst2",
            owner_account=OWNER,
            headers=ObjectHeaders(content_type="c/d"),
            tags={},
            checksum_algorithm="SHA256",
        )
        assert replaced.headers == ObjectHeaders(content_type="c/d") and dict(replaced.tags) == {}
        assert replaced.checksums["SHA256"] == botocore_checksum("SHA256", b"payload")
        # Copy onto itself (the provider checks that something changes).
        self_copy = await store.copy_object(
            source, bucket, "src", owner_account=OWNER, headers=ObjectHeaders(content_type="x/y")
        )
        assert self_copy.headers.content_type == "x/y"
        now = await store.get_object(bucket, "src")
        assert now.headers.content_type == "x/y"
        assert await read_all(store, now) == b"payload"
        # The original `source` record was replaced (same "null" id, same bytes), so
        # copying it again still gives those bytes.
        await store.copy_object(source, bucket, "again", owner_account=OWNER)
        assert await read_all(store, await store.get_object(bucket, "again")) == b"payload"
        with pytest.raises(errors.NoSuchBucket):
            await store.copy_object(source, "missing", "dst", owner_account=OWNER)

    async def test_copy_precondition(self, store: ObjectStore) -> None:
        bucket = await self.bucket(store)
        source = await self.put(store, bucket, "src", b"payload")
        await self.put(store, bucket, "dst", b"exists")
        with pytest.raises(errors.PreconditionFailed):
            await store.copy_object(
                source,
                bucket,
                "dst",
                owner_account=OWNER,
                precondition=Precondition(if_none_match="*"),
            )
        assert await read_all(store, await store.get_object(bucket, "dst")) == b"exists"

    # -- versioning --------------------------------------------------------------------------

    async def test_versioning_enabled(self, store: ObjectStore) -> None:
        bucket = await self.bucket(store)
        null = await self.put(store, bucket, "k", b"v0")
        await store.set_bucket_versioning(bucket, "Enabled")
        v1 = await self.put(store, bucket, "k", b"v1")
        v2 = await self.put(store, bucket, "k", b"v2")
        assert len({null.version_id, v1.version_id, v2.version_id}) == 3
        assert null.version_id == "null" and len(v1.version_id) >= 20
        for version_id, body in (("null", b"v0"), (v1.version_id, b"v1"), (v2.version_id, b"v2")):
            got = await store.get_object(bucket, "k", version_id)
            assert await read_all(store, got) == body
            assert got.is_latest == (version_id == v2.version_id)
        with pytest.raises(errors.NoSuchVersion):
            await store.get_object(bucket, "k", "doesnotexist000000000000000000000")
        page = await store.list_object_versions(bucket)
        assert [v.version_id for v in page.versions] == [v2.version_id, v1.version_id, "null"]
        assert [v.is_latest for v in page.versions] == [True, False, False]

        deleted = await store.delete_object(bucket, "k")
        assert deleted.delete_marker and deleted.version_id not in (None, "null")
        with pytest.raises(errors.NoSuchKey) as raised:
            await store.get_object(bucket, "k")
        assert raised.value.headers["x-amz-delete-marker"] == "true"
        assert raised.value.headers["x-amz-version-id"] == deleted.version_id
        assert deleted.version_id is not None
        marker = await store.get_object(bucket, "k", deleted.version_id)
        assert marker.is_delete_marker and marker.is_latest
        assert (await store.list_objects(bucket)).objects == []
        page = await store.list_object_versions(bucket)
        assert [(v.is_delete_marker, v.is_latest) for v in page.versions] == [
            (True, True),
            (False, False),
            (False, False),
            (False, False),
        ]
        # Removing the marker by id brings v2 back as latest.
        removed = await store.delete_object(bucket, "k", deleted.version_id)
        assert removed.delete_marker and removed.version_id == deleted.version_id
        got = await store.get_object(bucket, "k")
        assert got.version_id == v2.version_id and got.is_latest
        # Deleting the latest version by id promotes the next one.
        outcome = await store.delete_object(bucket, "k", v2.version_id)
        assert not outcome.delete_marker and outcome.version_id == v2.version_id
        got = await store.get_object(bucket, "k")
        assert got.version_id == v1.version_id and got.is_latest
        assert await read_all(store, got) == b"v1"
        # Deleting an old version leaves the latest alone.
        await store.delete_object(bucket, "k", "null")
        page = await store.list_object_versions(bucket)
        assert [(v.version_id, v.is_latest) for v in page.versions] == [(v1.version_id, True)]

    async def test_versioning_suspended(self, store: ObjectStore) -> None:
        bucket = await self.bucket(store, versioning="Enabled")
        v1 = await self.put(store, bucket, "k", b"v1")
        await store.set_bucket_versioning(bucket, "Suspended")
        n1 = await self.put(store, bucket, "k", b"n1")
        n2 = await self.put(store, bucket, "k", b"n2")
        assert n1.version_id == n2.version_id == "null"
        page = await store.list_object_versions(bucket)
        assert [(v.version_id, v.is_latest) for v in page.versions] == [
            ("null", True),
            (v1.version_id, False),
        ]
        assert await read_all(store, await store.get_object(bucket, "k")) == b"n2"
        outcome = await store.delete_object(bucket, "k")
        assert outcome.delete_marker and outcome.version_id == "null"
        page = await store.list_object_versions(bucket)
        assert [(v.version_id, v.is_delete_marker, v.is_latest) for v in page.versions] == [
            ("null", True, True),
            (v1.version_id, False, False),
        ]
        with pytest.raises(errors.NoSuchKey):
            await store.get_object(bucket, "k")
        # A new suspended write replaces the null delete marker.
        await self.put(store, bucket, "k", b"n3")
        page = await store.list_object_versions(bucket)
        assert [(v.version_id, v.is_delete_marker) for v in page.versions] == [
            ("null", False),
            (v1.version_id, False),
        ]

    async def test_list_versions_pagination(self, store: ObjectStore) -> None:
        bucket = await self.bucket(store, versioning="Enabled")
        expected: list[tuple[str, str]] = []
        for key in ("a", "b/1", "b/2", "c"):
            ids = [(await self.put(store, bucket, key, key.encode())).version_id for _ in range(3)]
            expected += [(key, vid) for vid in reversed(ids)]
        marker = await store.delete_object(bucket, "c")
        assert marker.version_id is not None
        expected.insert(9, ("c", marker.version_id))
        seen: list[tuple[str, str]] = []
        key_marker = version_marker = ""
        while True:
            page = await store.list_object_versions(
                bucket, key_marker=key_marker, version_id_marker=version_marker, max_keys=2
            )
            assert len(page.versions) <= 2
            seen += [(v.key, v.version_id) for v in page.versions]
            if not page.is_truncated:
                break
            assert page.next_key_marker is not None and page.next_version_id_marker is not None
            key_marker, version_marker = page.next_key_marker, page.next_version_id_marker
        assert seen == expected
        rolled = await store.list_object_versions(bucket, delimiter="/", max_keys=4)
        assert [v.key for v in rolled.versions] == ["a", "a", "a"]
        assert rolled.common_prefixes == ["b/"] and rolled.is_truncated
        assert rolled.next_key_marker == "b/"
        rest = await store.list_object_versions(bucket, delimiter="/", key_marker="b/")
        assert {v.key for v in rest.versions} == {"c"} and rest.common_prefixes == []
        assert len(rest.versions) == 4
        under = await store.list_object_versions(bucket, prefix="b/")
        assert [v.key for v in under.versions] == ["b/1"] * 3 + ["b/2"] * 3

    # -- listing -----------------------------------------------------------------------------

    async def test_list_prefix_delimiter_pagination(self, store: ObjectStore) -> None:
        bucket = await self.bucket(store)
        keys = ["a", "a/b", "a/c/d", "a/c/e", "b", "b--x--y", "b--z", "c/", "c/d", "d"]
        for key in keys:
            await self.put(store, bucket, key, b"x")
        page = await store.list_objects(bucket)
        assert [o.key for o in page.objects] == keys and not page.is_truncated
        page = await store.list_objects(bucket, delimiter="/")
        assert [o.key for o in page.objects] == ["a", "b", "b--x--y", "b--z", "d"]
        assert page.common_prefixes == ["a/", "c/"]
        page = await store.list_objects(bucket, prefix="a/", delimiter="/")
        assert [o.key for o in page.objects] == ["a/b"] and page.common_prefixes == ["a/c/"]
        page = await store.list_objects(bucket, prefix="b", delimiter="--")
        assert [o.key for o in page.objects] == ["b"] and page.common_prefixes == ["b--"]
        page = await store.list_objects(bucket, prefix="b--", delimiter="--")
        assert [o.key for o in page.objects] == ["b--z"] and page.common_prefixes == ["b--x--"]
        page = await store.list_objects(bucket, prefix="zz")
        assert page.objects == [] and page.common_prefixes == []
        # Pagination: every common prefix counts once and is never repeated.
        page = await store.list_objects(bucket, delimiter="/", max_keys=2)
        assert [o.key for o in page.objects] == ["a"] and page.common_prefixes == ["a/"]
        assert page.is_truncated and page.next_marker == "a/"
        for max_keys in (1, 2, 3, 7):
            assert await list_all_keys(store, bucket, delimiter="/", max_keys=max_keys) == (
                ["a", "b", "b--x--y", "b--z", "d"],
                ["a/", "c/"],
            )
            assert await list_all_keys(store, bucket, max_keys=max_keys) == (keys, [])
        page = await store.list_objects(bucket, max_keys=3)
        assert page.is_truncated and page.next_marker == "a/c/d"
        page = await store.list_objects(bucket, after="a/c/d")
        assert [o.key for o in page.objects] == keys[3:]
        page = await store.list_objects(bucket, max_keys=0)
        assert page.objects == [] and page.common_prefixes == []

    async def test_list_skips_delete_markers(self, store: ObjectStore) -> None:
        bucket = await self.bucket(store, versioning="Enabled")
        await self.put(store, bucket, "gone", b"x")
        await self.put(store, bucket, "kept", b"x")
        await store.delete_object(bucket, "gone")
        assert [o.key for o in (await store.list_objects(bucket)).objects] == ["kept"]
        assert all(o.is_latest for o in (await store.list_objects(bucket)).objects)

    async def test_list_byte_order_unicode(self, store: ObjectStore) -> None:
        bucket = await self.bucket(store)
        for key in reversed(UNICODE_KEYS):
            await self.put(store, bucket, key, key.encode())
        expected = byte_sorted(UNICODE_KEYS)
        # UTF-16 order would put U+E000..U+FFFF after the astral characters.
        assert expected.index("a\uffff") < expected.index("a\U0001f600")
        assert [o.key for o in (await store.list_objects(bucket)).objects] == expected
        assert (await list_all_keys(store, bucket, max_keys=2))[0] == expected
        page = await store.list_objects(bucket, prefix="a\U0001f600")
        assert [o.key for o in page.objects] == ["a\U0001f600"]
        page = await store.list_objects(bucket, after="a\uffff")
        assert [o.key for o in page.objects] == ["a\U0001f600", "a\U0010fffd", "b"]
        page = await store.list_objects(bucket, delimiter="\U0001f600")
        assert page.common_prefixes == ["a\U0001f600"]

    async def test_evil_keys_are_plain_keys(self, store: ObjectStore) -> None:
        bucket = await self.bucket(store)
        for key in EVIL_KEYS:
            await self.put(store, bucket, key, key.encode())
        for key in EVIL_KEYS:
            got = await store.get_object(bucket, key)
            assert got.key == key and await read_all(store, got) == key.encode()
        assert (await list_all_keys(store, bucket, max_keys=3))[0] == byte_sorted(EVIL_KEYS)
        page = await store.list_objects(bucket, prefix="prefix")
        assert [o.key for o in page.objects] == ["prefix", "prefix/", "prefix/x", "prefixx"]
        page = await store.list_objects(bucket, prefix="prefix", delimiter="/")
        assert [o.key for o in page.objects] == ["prefix", "prefixx"]
        assert page.common_prefixes == ["prefix/"]
        page = await store.list_objects(bucket, delimiter="/")
        assert "/" in page.common_prefixes and "../" in page.common_prefixes
        await store.delete_object(bucket, "prefix")
        assert await read_all(store, await store.get_object(bucket, "prefix/")) == b"prefix/"

    async def test_list_many_keys_with_prefix_rollup(self, store: ObjectStore) -> None:
        bucket = await self.bucket(store)

        async def put(key: str) -> None:
            await self.put(store, bucket, key, b"")

        keys = [f"dir{d}/file{f:03d}" for d in range(3) for f in range(150)] + ["top"]
        await asyncio.gather(*(put(key) for key in keys))
        page = await store.list_objects(bucket, delimiter="/")
        assert page.common_prefixes == ["dir0/", "dir1/", "dir2/"]
        assert [o.key for o in page.objects] == ["top"]
        all_keys, _ = await list_all_keys(store, bucket, max_keys=100)
        assert all_keys == sorted(keys)

    # -- multipart ---------------------------------------------------------------------------

    async def _upload(self, store: ObjectStore, bucket: str, key: str, **kwargs: Any) -> str:
        upload = await store.create_multipart_upload(
            bucket, key, ObjectHeaders(content_type="x/y"), owner_account=OWNER, **kwargs
        )
        return upload.upload_id

    async def test_multipart_full_cycle(self, store: ObjectStore) -> None:
        bucket = await self.bucket(store)
        upload_id = await store.create_multipart_upload(
            bucket,
            "big",
            ObjectHeaders(content_type="x/y", metadata={"m": "v"}),
            owner_account=OWNER,
            tags={"t": "v"},
            checksum_algorithm="CRC32",
        )
        got = await store.get_multipart_upload(bucket, "big", upload_id.upload_id)
        assert got.upload_id == upload_id.upload_id and got.checksum_algorithm == "CRC32"
        uid = upload_id.upload_id
        bodies = [os.urandom(self.MIN_PART_SIZE), os.urandom(self.MIN_PART_SIZE), b"tail"]
        parts = []
        for number, body in enumerate(bodies, 1):
            part = await store.upload_part(bucket, "big", uid, number, payload(body))
            assert part.etag == hashlib.md5(body).hexdigest() and part.size == len(body)
            assert part.checksums["CRC32"] == botocore_checksum("CRC32", body)
            parts.append((number, f'"{part.etag}"'))
        # Replace part 2.
        bodies[1] = os.urandom(self.MIN_PART_SIZE + 1)
        part2 = await store.upload_part(bucket, "big", uid, 2, payload(bodies[1]))
        parts[1] = (2, part2.etag)
        listed = await store.list_parts(bucket, "big", uid)
        assert [(p.part_number, p.size) for p in listed.parts] == [
            (i + 1, len(b)) for i, b in enumerate(bodies)
        ]
        version = await store.complete_multipart_upload(bucket, "big", uid, parts)
        md5s = b"".join(hashlib.md5(b).digest() for b in bodies)
        assert version.etag == f"{hashlib.md5(md5s).hexdigest()}-3"
        assert version.part_sizes == tuple(len(b) for b in bodies)
        assert version.size == sum(len(b) for b in bodies)
        crcs = b"".join(base64.b64decode(botocore_checksum("CRC32", b)) for b in bodies)
        assert version.checksums["CRC32"] == botocore_checksum("CRC32", crcs) + "-3"
        assert version.checksum_type == "COMPOSITE"
        got_version = await store.get_object(bucket, "big")
        assert got_version.headers.metadata == {"m": "v"} and dict(got_version.tags) == {"t": "v"}
        assert got_version.part_sizes == version.part_sizes
        assert await read_all(store, got_version) == b"".join(bodies)
        start = self.MIN_PART_SIZE - 3
        assert (
            await read_all(store, got_version, start, start + 10)
            == b"".join(bodies)[start : start + 10]
        )
        with pytest.raises(errors.NoSuchUpload):
            await store.get_multipart_upload(bucket, "big", uid)
        assert (await store.list_multipart_uploads(bucket)).uploads == []
        await store.delete_object(bucket, "big")
        await store.delete_bucket(bucket)

    async def test_multipart_full_object_crc64nvme(self, store: ObjectStore) -> None:
        bucket = await self.bucket(store)
        uid = await self._upload(store, bucket, "k", checksum_algorithm="CRC64NVME")
        bodies = [os.urandom(self.MIN_PART_SIZE), os.urandom(100)]
        parts = []
        for number, body in enumerate(bodies, 1):
            part = await store.upload_part(bucket, "k", uid, number, payload(body))
            assert part.checksums["CRC64NVME"] == botocore_checksum("CRC64NVME", body)
            parts.append((number, part.etag))
        version = await store.complete_multipart_upload(bucket, "k", uid, parts)
        assert version.checksum_type == "FULL_OBJECT"
        assert version.checksums["CRC64NVME"] == botocore_checksum("CRC64NVME", b"".join(bodies))

    async def test_multipart_errors(self, store: ObjectStore) -> None:
        bucket = await self.bucket(store)
        uid = await self._upload(store, bucket, "k")
        small = await store.upload_part(bucket, "k", uid, 1, payload(b"small"))
        last = await store.upload_part(bucket, "k", uid, 2, payload(b"last"))
        with pytest.raises(errors.EntityTooSmall):
            await store.complete_multipart_upload(
                bucket, "k", uid, [(1, small.etag), (2, last.etag)]
            )
        with pytest.raises(errors.InvalidPartOrder):
            await store.complete_multipart_upload(
                bucket, "k", uid, [(2, last.etag), (1, small.etag)]
            )
        with pytest.raises(errors.InvalidPartOrder):
            await store.complete_multipart_upload(
                bucket, "k", uid, [(1, small.etag), (1, small.etag)]
            )
        with pytest.raises(errors.InvalidPart):
            await store.complete_multipart_upload(bucket, "k", uid, [(3, last.etag)])
        with pytest.raises(errors.InvalidPart):
            await store.complete_multipart_upload(bucket, "k", uid, [(2, small.etag)])
        for bad in ((bucket, "other", uid), (bucket, "k", "nope"), ("missing", "k", uid)):
            with pytest.raises(errors.NoSuchUpload):
                await store.get_multipart_upload(*bad)
            with pytest.raises(errors.NoSuchUpload):
                await store.upload_part(*bad, 1, payload(b"x"))
            with pytest.raises(errors.NoSuchUpload):
                await store.complete_multipart_upload(*bad, [(2, last.etag)])
            with pytest.raises(errors.NoSuchUpload):
                await store.list_parts(*bad)
            with pytest.raises(errors.NoSuchUpload):
                await store.abort_multipart_upload(*bad)
        with pytest.raises(errors.InvalidArgument):
            await store.upload_part(bucket, "k", uid, 10001, payload(b"x"))
        # A single part below the minimum is fine: it is the last part.
        version = await store.complete_multipart_upload(bucket, "k", uid, [(2, last.etag)])
        assert version.size == 4 and version.part_sizes == (4,)
        assert await read_all(store, version) == b"last"
        with pytest.raises(errors.NoSuchUpload):
            await store.complete_multipart_upload(bucket, "k", uid, [(2, last.etag)])

    async def test_multipart_abort_and_listing(self, store: ObjectStore) -> None:
        bucket = await self.bucket(store)
        ids: dict[str, list[str]] = {}
        for key in ("a", "b/1", "b/2", "c", "a"):
            ids.setdefault(key, []).append(await self._upload(store, bucket, key))
        for number in range(1, 6):
            await store.upload_part(bucket, "c", ids["c"][0], number, payload(b"p%d" % number))
        page = await store.list_parts(bucket, "c", ids["c"][0], max_parts=2)
        assert [p.part_number for p in page.parts] == [1, 2]
        assert page.is_truncated and page.next_part_number_marker == 2
        page = await store.list_parts(bucket, "c", ids["c"][0], marker=2, max_parts=10)
        assert [p.part_number for p in page.parts] == [3, 4, 5] and not page.is_truncated

        expected = [("a", ids["a"][0]), ("a", ids["a"][1]), ("b/1", ids["b/1"][0])]
        expected += [("b/2", ids["b/2"][0]), ("c", ids["c"][0])]
        listed = await store.list_multipart_uploads(bucket)
        assert [(u.key, u.upload_id) for u in listed.uploads] == expected
        assert all(u.headers.content_type == "x/y" for u in listed.uploads)
        seen = []
        key_marker = upload_marker = ""
        while True:
            page2 = await store.list_multipart_uploads(
                bucket, key_marker=key_marker, upload_id_marker=upload_marker, max_uploads=2
            )
            seen += [(u.key, u.upload_id) for u in page2.uploads]
            if not page2.is_truncated:
                break
            key_marker = page2.next_key_marker or ""
            upload_marker = page2.next_upload_id_marker or ""
        assert seen == expected
        rolled = await store.list_multipart_uploads(bucket, delimiter="/")
        assert [u.key for u in rolled.uploads] == ["a", "a", "c"]
        assert rolled.common_prefixes == ["b/"]
        assert [
            u.key for u in (await store.list_multipart_uploads(bucket, prefix="b/")).uploads
        ] == [
            "b/1",
            "b/2",
        ]
        await store.abort_multipart_upload(bucket, "c", ids["c"][0])
        with pytest.raises(errors.NoSuchUpload):
            await store.list_parts(bucket, "c", ids["c"][0])
        with pytest.raises(errors.NoSuchUpload):
            await store.abort_multipart_upload(bucket, "c", ids["c"][0])
        assert len((await store.list_multipart_uploads(bucket)).uploads) == 4

    async def test_multipart_precondition(self, store: ObjectStore) -> None:
        bucket = await self.bucket(store)
        await self.put(store, bucket, "k", b"exists")
        uid = await self._upload(store, bucket, "k")
        part = await store.upload_part(bucket, "k", uid, 1, payload(b"new"))
        with pytest.raises(errors.PreconditionFailed):
            await store.complete_multipart_upload(
                bucket, "k", uid, [(1, part.etag)], precondition=Precondition(if_none_match="*")
            )
        assert await read_all(store, await store.get_object(bucket, "k")) == b"exists"
        await store.complete_multipart_upload(
            bucket,
            "k",
            uid,
            [(1, part.etag)],
            precondition=Precondition(if_match=hashlib.md5(b"exists").hexdigest()),
        )
        assert await read_all(store, await store.get_object(bucket, "k")) == b"new"

    # -- preconditions -----------------------------------------------------------------------

    async def test_preconditions(self, store: ObjectStore) -> None:
        bucket = await self.bucket(store, versioning="Enabled")
        create_only = Precondition(if_none_match="*")
        first = await self.put(store, bucket, "k", b"1", precondition=create_only)
        with pytest.raises(errors.PreconditionFailed):
            await self.put(store, bucket, "k", b"2", precondition=create_only)
        with pytest.raises(errors.PreconditionFailed):
            await self.put(store, bucket, "k", b"2", precondition=Precondition(if_match="abc"))
        second = await self.put(
            store, bucket, "k", b"2", precondition=Precondition(if_match=f'"{first.etag}"')
        )
        assert await read_all(store, await store.get_object(bucket, "k")) == b"2"
        with pytest.raises(errors.NoSuchKey):
            await self.put(store, bucket, "new", b"x", precondition=Precondition(if_match="abc"))
        await store.delete_object(bucket, "k")
        # A delete marker is no object: If-None-Match succeeds, If-Match finds nothing.
        with pytest.raises(errors.NoSuchKey):
            await self.put(
                store, bucket, "k", b"3", precondition=Precondition(if_match=second.etag)
            )
        await self.put(store, bucket, "k", b"3", precondition=create_only)
        versions = (await store.list_object_versions(bucket)).versions
        assert len(versions) == 4  # 1, 2, marker, 3: failed writes stored nothing

    async def test_racing_create_only_writers(self, store: ObjectStore) -> None:
        bucket = await self.bucket(store)

        async def attempt(n: int) -> bytes | None:
            try:
                await self.put(
                    store,
                    bucket,
                    "k",
                    b"writer %d" % n,
                    precondition=Precondition(if_none_match="*"),
                )
            except errors.PreconditionFailed:
                return None
            return b"writer %d" % n

        results = await asyncio.gather(*(attempt(n) for n in range(8)))
        winners = [r for r in results if r is not None]
        assert len(winners) == 1
        assert await read_all(store, await store.get_object(bucket, "k")) == winners[0]

    async def test_racing_writers_one_key(self, store: ObjectStore) -> None:
        bucket = await self.bucket(store)
        bodies = [bytes([n]) * (300_000 + n) for n in range(8)]
        await asyncio.gather(*(self.put(store, bucket, "k", body) for body in bodies))
        versions = (await store.list_object_versions(bucket)).versions
        assert len(versions) == 1 and versions[0].is_latest
        got = await store.get_object(bucket, "k")
        assert await read_all(store, got) in bodies
        assert got.etag == hashlib.md5(await read_all(store, got)).hexdigest()

    async def test_read_survives_overwrite(self, store: ObjectStore) -> None:
        bucket = await self.bucket(store)
        old = os.urandom(3 * 1024 * 1024)
        await self.put(store, bucket, "k", old)
        version = await store.get_object(bucket, "k")
        reader = store.read_object(version)
        first = await anext(reader)
        await self.put(store, bucket, "k", os.urandom(3 * 1024 * 1024))
        await store.delete_object(bucket, "k")
        rest = b"".join([chunk async for chunk in reader])
        assert first + rest == old

    # -- checksums and digests ---------------------------------------------------------------

    @pytest.mark.parametrize("algorithm", CHECKSUM_ALGORITHMS)
    async def test_checksums(self, store: ObjectStore, algorithm: str) -> None:
        bucket = await self.bucket(store)
        data = os.urandom(200_000)
        good = botocore_checksum(algorithm, data)
        put = await self.put(
            store, bucket, "good", data, payload={"expected_checksums": {algorithm: good}}
        )
        assert put.checksums[algorithm] == good and put.checksum_type == "FULL_OBJECT"
        assert (await store.get_object(bucket, "good")).checksums[algorithm] == good
        computed = await self.put(
            store, bucket, "computed", data, payload={"checksum_algorithm": algorithm}
        )
        assert computed.checksums == {algorithm: good}
        bad = botocore_checksum(algorithm, data + b"!")
        with pytest.raises(errors.BadDigest):
            await self.put(
                store, bucket, "bad", data, payload={"expected_checksums": {algorithm: bad}}
            )
        with pytest.raises(errors.NoSuchKey):
            await store.get_object(bucket, "bad")

    async def test_trailing_checksum(self, store: ObjectStore) -> None:
        bucket = await self.bucket(store)
        data = b"trailing checksum body"
        expected: dict[str, str] = {}

        async def body() -> AsyncIterator[bytes]:
            yield data
            expected["CRC32C"] = botocore_checksum("CRC32C", data)  # as the gateway does

        put = await store.put_object(
            bucket,
            "k",
            Payload(chunks=body(), checksum_algorithm="CRC32C", expected_checksums=expected),
            ObjectHeaders(),
            owner_account=OWNER,
        )
        assert put.checksums["CRC32C"] == botocore_checksum("CRC32C", data)
        expected2: dict[str, str] = {}

        async def bad_body() -> AsyncIterator[bytes]:
            yield data
            expected2["SHA1"] = botocore_checksum("SHA1", b"other")

        with pytest.raises(errors.BadDigest):
            await store.put_object(
                bucket,
                "k2",
                Payload(chunks=bad_body(), expected_checksums=expected2),
                ObjectHeaders(),
                owner_account=OWNER,
            )

    async def test_content_md5(self, store: ObjectStore) -> None:
        bucket = await self.bucket(store)
        data = b"content md5 body"
        await self.put(store, bucket, "good", data, payload={"content_md5": md5_b64(data)})
        with pytest.raises(errors.BadDigest):
            await self.put(store, bucket, "bad", data, payload={"content_md5": md5_b64(b"x")})
        for malformed in ("not base64!", base64.b64encode(b"short").decode()):
            with pytest.raises(errors.InvalidDigest):
                await self.put(store, bucket, "bad", data, payload={"content_md5": malformed})
        assert [o.key for o in (await store.list_objects(bucket)).objects] == ["good"]

    async def test_failed_body_stores_nothing(self, store: ObjectStore) -> None:
        bucket = await self.bucket(store)

        async def broken() -> AsyncIterator[bytes]:
            yield os.urandom(2 * 1024 * 1024)
            yield b"more"
            raise ConnectionResetError("client went away")

        with pytest.raises(ConnectionResetError):
            await store.put_object(
                bucket, "k", Payload(chunks=broken()), ObjectHeaders(), owner_account=OWNER
            )
        with pytest.raises(errors.NoSuchKey):
            await store.get_object(bucket, "k")
        uid = await self._upload(store, bucket, "m")
        with pytest.raises(ConnectionResetError):
            await store.upload_part(bucket, "m", uid, 1, Payload(chunks=broken()))
        assert (await store.list_parts(bucket, "m", uid)).parts == []
        assert (await store.list_object_versions(bucket)).versions == []
