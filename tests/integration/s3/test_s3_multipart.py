"""Multipart uploads through boto3 against the real server: low-level calls and transfers."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
from boto3.s3.transfer import TransferConfig
from botocore.exceptions import ClientError

from tests.integration.s3.conftest import MiB, deterministic_bytes
from tests.integration.s3.test_s3_buckets import error_of


def multipart_etag(parts: list[bytes]) -> str:
    digest = hashlib.md5(b"".join(hashlib.md5(p).digest() for p in parts)).hexdigest()
    return f'"{digest}-{len(parts)}"'


def test_low_level_multipart_upload(s3: Any, bucket: str) -> None:
    parts = [deterministic_bytes(5 * MiB, 1), deterministic_bytes(5 * MiB, 2), b"tail"]
    created = s3.create_multipart_upload(
        Bucket=bucket, Key="big", ContentType="application/octet-stream", Metadata={"m": "1"}
    )
    upload_id = created["UploadId"]
    assert created["Bucket"] == bucket and created["Key"] == "big"
    listed = s3.list_multipart_uploads(Bucket=bucket)
    assert [u["UploadId"] for u in listed["Uploads"]] == [upload_id]
    etags = []
    for number, data in enumerate(parts, 1):
        answer = s3.upload_part(
            Bucket=bucket, Key="big", UploadId=upload_id, PartNumber=number, Body=data
        )
        assert answer["ETag"] == f'"{hashlib.md5(data).hexdigest()}"'
        etags.append(answer["ETag"])
    listed_parts = s3.list_parts(Bucket=bucket, Key="big", UploadId=upload_id)
    assert [(p["PartNumber"], p["ETag"], p["Size"]) for p in listed_parts["Parts"]] == [
        (n, e, len(d)) for n, (e, d) in enumerate(zip(etags, parts, strict=True), 1)
    ]
    paged = s3.list_parts(Bucket=bucket, Key="big", UploadId=upload_id, MaxParts=2)
    assert paged["IsTruncated"] and paged["NextPartNumberMarker"] == 2
    done = s3.complete_multipart_upload(
        Bucket=bucket,
        Key="big",
        UploadId=upload_id,
        MultipartUpload={"Parts": [{"PartNumber": n, "ETag": e} for n, e in enumerate(etags, 1)]},
    )
    assert done["ETag"] == multipart_etag(parts)
    got = s3.get_object(Bucket=bucket, Key="big")
    assert got["Body"].read() == b"".join(parts)
    assert got["Metadata"] == {"m": "1"}
    assert got["ETag"] == multipart_etag(parts)
    second = s3.get_object(Bucket=bucket, Key="big", PartNumber=2)
    assert second["ResponseMetadata"]["HTTPStatusCode"] == 206
    assert second["PartsCount"] == 3
    assert second["Body"].read() == parts[1]
    assert second["ContentRange"] == f"bytes {5 * MiB}-{10 * MiB - 1}/{10 * MiB + 4}"
    attributes = s3.get_object_attributes(
        Bucket=bucket, Key="big", ObjectAttributes=["ObjectParts"]
    )
    assert attributes["ObjectParts"]["TotalPartsCount"] == 3
    assert "Uploads" not in s3.list_multipart_uploads(Bucket=bucket)


def test_complete_errors_and_abort(s3: Any, bucket: str) -> None:
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="k")["UploadId"]
    small = s3.upload_part(Bucket=bucket, Key="k", UploadId=upload_id, PartNumber=1, Body=b"a")
    s3.upload_part(Bucket=bucket, Key="k", UploadId=upload_id, PartNumber=2, Body=b"b")
    with pytest.raises(ClientError) as caught:
        s3.complete_multipart_upload(
            Bucket=bucket, Key="k", UploadId=upload_id, MultipartUpload={"Parts": []}
        )
    assert error_of(caught) == ("MalformedXML", 400)
    with pytest.raises(ClientError) as caught:
        s3.complete_multipart_upload(
            Bucket=bucket,
            Key="k",
            UploadId=upload_id,
            MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": '"0000"'}]},
        )
    assert error_of(caught) == ("InvalidPart", 400)
    with pytest.raises(ClientError) as caught:
        s3.upload_part(Bucket=bucket, Key="k", UploadId=upload_id, PartNumber=10001, Body=b"x")
    assert error_of(caught)[1] == 400
    parts = s3.list_parts(Bucket=bucket, Key="k", UploadId=upload_id)["Parts"]
    with pytest.raises(ClientError) as caught:
        s3.complete_multipart_upload(
            Bucket=bucket,
            Key="k",
            UploadId=upload_id,
            MultipartUpload={
                "Parts": [{"PartNumber": p["PartNumber"], "ETag": p["ETag"]} for p in parts]
            },
        )
    assert error_of(caught) == ("EntityTooSmall", 400)
    assert small["ETag"] == parts[0]["ETag"]
    aborted = s3.abort_multipart_upload(Bucket=bucket, Key="k", UploadId=upload_id)
    assert aborted["ResponseMetadata"]["HTTPStatusCode"] == 204
    with pytest.raises(ClientError) as caught:
        s3.list_parts(Bucket=bucket, Key="k", UploadId=upload_id)
    assert error_of(caught) == ("NoSuchUpload", 404)


def test_upload_part_copy_with_ranges(s3: Any, bucket: str) -> None:
    source = deterministic_bytes(6 * MiB, 7)
    s3.put_object(Bucket=bucket, Key="source", Body=source)
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="assembled")["UploadId"]
    first = s3.upload_part_copy(
        Bucket=bucket,
        Key="assembled",
        UploadId=upload_id,
        PartNumber=1,
        CopySource={"Bucket": bucket, "Key": "source"},
        CopySourceRange=f"bytes=0-{5 * MiB - 1}",
    )
    second = s3.upload_part_copy(
        Bucket=bucket,
        Key="assembled",
        UploadId=upload_id,
        PartNumber=2,
        CopySource={"Bucket": bucket, "Key": "source"},
        CopySourceRange=f"bytes={5 * MiB}-{6 * MiB - 1}",
    )
    with pytest.raises(ClientError) as caught:
        s3.upload_part_copy(
            Bucket=bucket,
            Key="assembled",
            UploadId=upload_id,
            PartNumber=3,
            CopySource={"Bucket": bucket, "Key": "source"},
            CopySourceRange=f"bytes=0-{6 * MiB}",
        )
    assert error_of(caught)[1] == 400
    s3.complete_multipart_upload(
        Bucket=bucket,
        Key="assembled",
        UploadId=upload_id,
        MultipartUpload={
            "Parts": [
                {"PartNumber": 1, "ETag": first["CopyPartResult"]["ETag"]},
                {"PartNumber": 2, "ETag": second["CopyPartResult"]["ETag"]},
            ]
        },
    )
    assert s3.get_object(Bucket=bucket, Key="assembled")["Body"].read() == source


def test_upload_file_and_download_file_in_5_mib_parts(s3: Any, bucket: str, tmp_path: Path) -> None:
    data = deterministic_bytes(12 * MiB + 123, 11)
    source = tmp_path / "source.bin"
    source.write_bytes(data)
    config = TransferConfig(multipart_threshold=5 * MiB, multipart_chunksize=5 * MiB)
    s3.upload_file(str(source), bucket, "transfer/file.bin", Config=config)
    head = s3.head_object(Bucket=bucket, Key="transfer/file.bin")
    assert head["ContentLength"] == len(data)
    assert head["ETag"].endswith('-3"')
    target = tmp_path / "target.bin"
    s3.download_file(bucket, "transfer/file.bin", str(target), Config=config)
    assert target.read_bytes() == data
