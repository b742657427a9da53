"""boto3's managed transfers (s3transfer): parallel multipart uploads, ranged downloads, copies."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path
from typing import Any

import pytest
from boto3.s3.transfer import TransferConfig
from botocore.exceptions import ClientError

from tests.integration.s3.conftest import MiB, deterministic_bytes, unique_bucket_name

pytestmark = pytest.mark.integration

CHUNK = 5 * MiB
CONFIG = TransferConfig(multipart_threshold=CHUNK, multipart_chunksize=CHUNK, max_concurrency=4)
SIZE = 23 * MiB  # five parts: 4 x 5 MiB + 3 MiB


@pytest.fixture(scope="module")
def payload() -> bytes:
    return deterministic_bytes(SIZE, seed=40)


def multipart_etag(data: bytes, part_size: int) -> str:
    """S3's ETag of a multipart object: MD5 of the parts' binary MD5s, dash, part count."""
    parts = [data[start : start + part_size] for start in range(0, len(data), part_size)]
    digest = hashlib.md5(b"".join(hashlib.md5(part).digest() for part in parts)).hexdigest()
    return f'"{digest}-{len(parts)}"'


def test_upload_and_download_file(s3: Any, bucket: str, tmp_path: Path, payload: bytes) -> None:
    source = tmp_path / "big.bin"
    source.write_bytes(payload)
    s3.upload_file(
        str(source),
        bucket,
        "big/file.bin",
        ExtraArgs={"ContentType": "application/x-big", "Metadata": {"run": "transfer"}},
        Config=CONFIG,
    )
    head = s3.head_object(Bucket=bucket, Key="big/file.bin")
    assert head["ContentLength"] == SIZE
    assert head["ETag"].endswith('-5"'), head["ETag"]
    assert head["ETag"] == multipart_etag(payload, CHUNK)
    assert head["ContentType"] == "application/x-big"
    assert head["Metadata"] == {"run": "transfer"}
    assert s3.head_object(Bucket=bucket, Key="big/file.bin", PartNumber=2)["ContentLength"] == (
        CHUNK
    )

    target = tmp_path / "down" / "big.bin"
    target.parent.mkdir()
    s3.download_file(bucket, "big/file.bin", str(target), Config=CONFIG)
    assert target.read_bytes() == payload

    with pytest.raises(ClientError) as caught:
        s3.download_file(bucket, "big/missing.bin", str(tmp_path / "missing"), Config=CONFIG)
    assert caught.value.response["Error"]["Code"] == "404"


def test_upload_and_download_fileobj(s3: Any, bucket: str, payload: bytes) -> None:
    s3.upload_fileobj(io.BytesIO(payload), bucket, "big/obj.bin", Config=CONFIG)
    head = s3.head_object(Bucket=bucket, Key="big/obj.bin")
    assert head["ContentLength"] == SIZE
    assert head["ETag"] == multipart_etag(payload, CHUNK)

    sink = io.BytesIO()
    s3.download_fileobj(bucket, "big/obj.bin", sink, Config=CONFIG)
    assert sink.getvalue() == payload

    small = deterministic_bytes(CHUNK - 1, seed=41)  # under the threshold: one PutObject
    s3.upload_fileobj(io.BytesIO(small), bucket, "small/obj.bin", Config=CONFIG)
    assert s3.head_object(Bucket=bucket, Key="small/obj.bin")["ETag"] == (
        f'"{hashlib.md5(small).hexdigest()}"'
    )
    sink = io.BytesIO()
    s3.download_fileobj(bucket, "small/obj.bin", sink, Config=CONFIG)
    assert sink.getvalue() == small


def test_managed_copy(s3: Any, bucket: str, payload: bytes) -> None:
    s3.upload_fileobj(io.BytesIO(payload), bucket, "source/big.bin", Config=CONFIG)
    small = b"a small object, copied with one CopyObject"
    s3.put_object(Bucket=bucket, Key="source/small.txt", Body=small)

    # Large: CreateMultipartUpload + UploadPartCopy with ranges + Complete. Same part
    # boundaries as the upload, so the same ETag.
    s3.copy({"Bucket": bucket, "Key": "source/big.bin"}, bucket, "copies/big.bin", Config=CONFIG)
    head = s3.head_object(Bucket=bucket, Key="copies/big.bin")
    assert head["ContentLength"] == SIZE
    assert head["ETag"] == multipart_etag(payload, CHUNK)
    assert s3.get_object(Bucket=bucket, Key="copies/big.bin")["Body"].read() == payload

    other = unique_bucket_name("transfer-copy-target")
    s3.create_bucket(Bucket=other)
    try:
        s3.copy(
            {"Bucket": bucket, "Key": "source/small.txt"},
            other,
            "elsewhere/small.txt",
            Config=CONFIG,
        )
        # Small, to another bucket: one CopyObject.
        copied = s3.get_object(Bucket=other, Key="elsewhere/small.txt")
        assert copied["Body"].read() == small
        assert copied["ETag"] == f'"{hashlib.md5(small).hexdigest()}"'
    finally:
        s3.delete_object(Bucket=other, Key="elsewhere/small.txt")
        s3.delete_bucket(Bucket=other)
