"""s3fs (fsspec over aiobotocore) against the region's S3: a filesystem view of buckets."""

from __future__ import annotations

from typing import Any

import pytest
import s3fs

from tests.integration.s3.conftest import (
    MiB,
    S3Access,
    deterministic_bytes,
    empty_and_delete_bucket,
    unique_bucket_name,
)

pytestmark = pytest.mark.integration


@pytest.fixture
def fs(s3_access: S3Access) -> s3fs.S3FileSystem:
    return s3fs.S3FileSystem(
        key=s3_access.access_key,
        secret=s3_access.secret_key,
        client_kwargs={"endpoint_url": s3_access.url, "region_name": s3_access.region_name},
        skip_instance_cache=True,
    )


def test_mkdir_makes_a_bucket_and_rm_removes_it(s3_access: S3Access, s3: Any) -> None:
    # s3fs sends its client's region_name as the LocationConstraint, which S3 refuses for
    # us-east-1 (InvalidLocationConstraint), so us-east-1 users create buckets without one.
    fs = s3fs.S3FileSystem(
        key=s3_access.access_key,
        secret=s3_access.secret_key,
        client_kwargs={"endpoint_url": s3_access.url},
        skip_instance_cache=True,
    )
    name = unique_bucket_name("s3fs-mkdir")
    fs.mkdir(name)
    try:
        assert fs.exists(name)
        assert name in [path.rstrip("/") for path in fs.ls("")]
        with pytest.raises(FileExistsError):
            fs.mkdir(name, create_parents=False)
        fs.pipe(f"{name}/a/b.txt", b"b")
        fs.rm(name, recursive=True)
        fs.invalidate_cache()
        assert not fs.exists(name)
        assert name not in {entry["Name"] for entry in s3.list_buckets()["Buckets"]}
    finally:
        if name in {entry["Name"] for entry in s3.list_buckets()["Buckets"]}:
            empty_and_delete_bucket(s3, name)


def test_pipe_cat_and_ranges(fs: s3fs.S3FileSystem, s3: Any, bucket: str) -> None:
    data = deterministic_bytes(100_000, seed=10)
    fs.pipe(f"{bucket}/blob.bin", data)
    assert s3.get_object(Bucket=bucket, Key="blob.bin")["Body"].read() == data
    assert fs.cat(f"{bucket}/blob.bin") == data
    assert fs.cat_file(f"{bucket}/blob.bin", start=1000, end=1010) == data[1000:1010]
    assert fs.cat_file(f"{bucket}/blob.bin", start=-16) == data[-16:]
    fs.pipe({f"{bucket}/many/{index}": bytes([index]) * index for index in range(1, 6)})
    assert fs.cat(f"{bucket}/many/*") == {
        f"{bucket}/many/{index}": bytes([index]) * index for index in range(1, 6)
    }
    with pytest.raises(FileNotFoundError):
        fs.cat(f"{bucket}/no-such-key")


def test_open_text_and_binary(fs: s3fs.S3FileSystem, bucket: str) -> None:
    lines = [f"línea {index}: ✓ naïve café\n" for index in range(200)]
    with fs.open(f"{bucket}/text/lines.txt", "w", encoding="utf-8") as out:
        out.writelines(lines)
    with fs.open(f"{bucket}/text/lines.txt", "r", encoding="utf-8") as got:
        assert got.readline() == lines[0]
        assert got.readlines() == lines[1:]

    data = deterministic_bytes(300_000, seed=11)
    with fs.open(f"{bucket}/bin/data.bin", "wb") as out:
        for start in range(0, len(data), 64_000):
            out.write(data[start : start + 64_000])
    # Small block size: reads become several ranged GETs, seeks included.
    with fs.open(f"{bucket}/bin/data.bin", "rb", block_size=32_768) as got:
        assert got.read(10) == data[:10]
        got.seek(200_000)
        assert got.read(50_000) == data[200_000:250_000]
        got.seek(-5, 2)
        assert got.read() == data[-5:]
        assert got.tell() == len(data)
        got.seek(0)
        assert got.read() == data


def test_listing_info_and_removal(fs: s3fs.S3FileSystem, s3: Any, bucket: str) -> None:
    files = {
        "data/2024/01/a.csv": b"1,2\n",
        "data/2024/01/b.csv": b"3,4,5\n",
        "data/2024/02/c.csv": b"6\n",
        "data/readme.md": b"# data\n",
        "other.txt": b"other",
    }
    fs.pipe({f"{bucket}/{key}": data for key, data in files.items()})

    assert sorted(fs.ls(bucket, detail=False)) == [f"{bucket}/data", f"{bucket}/other.txt"]
    assert sorted(fs.ls(f"{bucket}/data/2024", detail=False)) == [
        f"{bucket}/data/2024/01",
        f"{bucket}/data/2024/02",
    ]
    detailed = {entry["name"]: entry for entry in fs.ls(f"{bucket}/data", detail=True)}
    assert detailed[f"{bucket}/data/readme.md"]["type"] == "file"
    assert detailed[f"{bucket}/data/readme.md"]["size"] == len(files["data/readme.md"])
    assert detailed[f"{bucket}/data/2024"]["type"] == "directory"

    assert fs.find(bucket) == sorted(f"{bucket}/{key}" for key in files)
    assert fs.glob(f"{bucket}/data/*/*/*.csv") == [
        f"{bucket}/data/2024/01/a.csv",
        f"{bucket}/data/2024/01/b.csv",
        f"{bucket}/data/2024/02/c.csv",
    ]
    assert fs.glob(f"{bucket}/**/b.csv") == [f"{bucket}/data/2024/01/b.csv"]

    info = fs.info(f"{bucket}/data/2024/01/b.csv")
    assert info["type"] == "file"
    assert info["size"] == 6
    etag = s3.head_object(Bucket=bucket, Key="data/2024/01/b.csv")["ETag"]
    assert info["ETag"] == etag
    assert fs.info(f"{bucket}/data/2024")["type"] == "directory"
    assert fs.exists(f"{bucket}/data/2024/01/a.csv")
    assert fs.exists(f"{bucket}/data/2024")  # a prefix is a directory
    assert not fs.exists(f"{bucket}/data/2023")
    assert not fs.exists(f"{bucket}/data/2024/01/a.cs")
    with pytest.raises(FileNotFoundError):
        fs.info(f"{bucket}/nothing/here")

    assert fs.du(bucket) == sum(len(data) for data in files.values())
    assert fs.du(f"{bucket}/data/2024", total=False) == {
        f"{bucket}/data/2024/01/a.csv": 4,
        f"{bucket}/data/2024/01/b.csv": 6,
        f"{bucket}/data/2024/02/c.csv": 2,
    }
    walked = {
        root: (sorted(dirs), sorted(names)) for root, dirs, names in fs.walk(f"{bucket}/data")
    }
    assert walked == {
        f"{bucket}/data": (["2024"], ["readme.md"]),
        f"{bucket}/data/2024": (["01", "02"], []),
        f"{bucket}/data/2024/01": ([], ["a.csv", "b.csv"]),
        f"{bucket}/data/2024/02": ([], ["c.csv"]),
    }

    fs.rm(f"{bucket}/other.txt")
    fs.rm(f"{bucket}/data/2024", recursive=True)
    remaining = [item["Key"] for item in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]
    assert remaining == ["data/readme.md"]
    assert fs.find(bucket) == [f"{bucket}/data/readme.md"]


def test_large_write_is_multipart(fs: s3fs.S3FileSystem, s3: Any, bucket: str) -> None:
    data = deterministic_bytes(12 * MiB + 777, seed=12)
    with fs.open(f"{bucket}/large.bin", "wb", block_size=5 * MiB) as out:
        for start in range(0, len(data), MiB):
            out.write(data[start : start + MiB])
    head = s3.head_object(Bucket=bucket, Key="large.bin")
    assert head["ContentLength"] == len(data)
    parts = int(head["ETag"].strip('"').rsplit("-", 1)[1])
    assert parts >= 2, head["ETag"]
    assert s3.get_object(Bucket=bucket, Key="large.bin")["Body"].read() == data
    assert fs.cat(f"{bucket}/large.bin") == data


def test_copy_and_move_between_keys(fs: s3fs.S3FileSystem, s3: Any, bucket: str) -> None:
    fs.pipe(f"{bucket}/src/one.txt", b"one")
    fs.pipe(f"{bucket}/src/sub/two.txt", b"two")
    fs.copy(f"{bucket}/src/one.txt", f"{bucket}/single/one-copy.txt")
    assert fs.cat(f"{bucket}/single/one-copy.txt") == b"one"

    fs.copy(f"{bucket}/src", f"{bucket}/tree-copy", recursive=True)
    assert fs.find(f"{bucket}/tree-copy") == [
        f"{bucket}/tree-copy/one.txt",
        f"{bucket}/tree-copy/sub/two.txt",
    ]
    assert fs.cat(f"{bucket}/tree-copy/sub/two.txt") == b"two"

    fs.mv(f"{bucket}/src/one.txt", f"{bucket}/moved.txt")
    assert not fs.exists(f"{bucket}/src/one.txt")
    assert s3.get_object(Bucket=bucket, Key="moved.txt")["Body"].read() == b"one"
