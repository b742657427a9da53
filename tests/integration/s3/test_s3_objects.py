"""S3 object operations through boto3 against the real server: bytes, headers, errors."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests
from botocore.exceptions import ClientError

from tests.integration.s3.test_s3_buckets import error_of


def test_put_get_head_round_trip_with_headers_and_metadata(s3: Any, bucket: str) -> None:
    body = b"hello, object store\n" * 100
    put = s3.put_object(
        Bucket=bucket,
        Key="dir/hello.txt",
        Body=body,
        ContentType="text/plain",
        ContentDisposition='attachment; filename="hello.txt"',
        ContentLanguage="en",
        CacheControl="max-age=60",
        ContentEncoding="identity",
        Expires=datetime(2030, 1, 1, tzinfo=UTC),
        Metadata={"Owner": "alice", "purpose": "test"},
    )
    etag = f'"{hashlib.md5(body).hexdigest()}"'
    assert put["ETag"] == etag
    assert "VersionId" not in put  # versioning never enabled
    got = s3.get_object(Bucket=bucket, Key="dir/hello.txt")
    assert got["Body"].read() == body
    assert got["ETag"] == etag
    assert got["ContentLength"] == len(body)
    assert got["ContentType"] == "text/plain"
    assert got["ContentDisposition"] == 'attachment; filename="hello.txt"'
    assert got["ContentLanguage"] == "en"
    assert got["CacheControl"] == "max-age=60"
    assert got["ContentEncoding"] == "identity"
    assert got["ResponseMetadata"]["HTTPHeaders"]["expires"] == "Tue, 01 Jan 2030 00:00:00 GMT"
    assert got["Metadata"] == {"owner": "alice", "purpose": "test"}
    assert got["AcceptRanges"] == "bytes"
    assert abs(got["LastModified"] - datetime.now(UTC)) < timedelta(minutes=1)
    head = s3.head_object(Bucket=bucket, Key="dir/hello.txt")
    assert head["ContentLength"] == len(body)
    assert head["ETag"] == etag
    assert head["Metadata"] == {"owner": "alice", "purpose": "test"}


def test_defaults_empty_objects_and_unusual_keys(s3: Any, bucket: str) -> None:
    keys = ["empty", "sp ace/plus+sign", "ünï/cödé/🙂", "a?b&c=d#e", "trailing/", "%2F-literal"]
    for key in keys:
        s3.put_object(Bucket=bucket, Key=key, Body=b"" if key == "empty" else key.encode())
    got = s3.get_object(Bucket=bucket, Key="empty")
    assert got["Body"].read() == b""
    assert got["ContentType"] == "binary/octet-stream"
    assert got["ETag"] == '"d41d8cd98f00b204e9800998ecf8427e"'
    for key in keys[1:]:
        assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == key.encode()
    listed = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]]
    assert sorted(listed, key=lambda k: k.encode()) == listed
    assert set(listed) == set(keys)


def test_missing_keys_and_key_length(s3: Any, bucket: str) -> None:
    with pytest.raises(ClientError) as caught:
        s3.get_object(Bucket=bucket, Key="nope")
    assert error_of(caught) == ("NoSuchKey", 404)
    assert caught.value.response["Error"]["Key"] == "nope"
    with pytest.raises(ClientError) as caught:
        s3.head_object(Bucket=bucket, Key="nope")
    assert error_of(caught) == ("404", 404)  # HEAD errors have no body
    s3.put_object(Bucket=bucket, Key="k" * 1024, Body=b"max")
    with pytest.raises(ClientError) as caught:
        s3.put_object(Bucket=bucket, Key="k" * 1025, Body=b"too long")
    assert error_of(caught) == ("KeyTooLongError", 400)


def test_content_encoding_drops_aws_chunked(s3: Any, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="gz", Body=b"\x1f\x8b", ContentEncoding="gzip")
    assert s3.head_object(Bucket=bucket, Key="gz")["ContentEncoding"] == "gzip"
    s3.put_object(Bucket=bucket, Key="chunked", Body=b"x", ChecksumAlgorithm="CRC32")
    assert "ContentEncoding" not in s3.head_object(Bucket=bucket, Key="chunked")


@pytest.mark.parametrize(
    ("algorithm", "member"),
    [
        ("CRC32", "ChecksumCRC32"),
        ("CRC32C", "ChecksumCRC32C"),
        ("SHA1", "ChecksumSHA1"),
        ("SHA256", "ChecksumSHA256"),
        ("CRC64NVME", "ChecksumCRC64NVME"),
    ],
)
def test_checksums_are_returned_only_when_asked(
    s3: Any, bucket: str, algorithm: str, member: str
) -> None:
    put = s3.put_object(Bucket=bucket, Key="sum", Body=b"checksummed", ChecksumAlgorithm=algorithm)
    assert put[member]
    plain = s3.head_object(Bucket=bucket, Key="sum")
    assert member not in plain
    enabled = s3.head_object(Bucket=bucket, Key="sum", ChecksumMode="ENABLED")
    assert enabled[member] == put[member]
    got = s3.get_object(Bucket=bucket, Key="sum", ChecksumMode="ENABLED")
    assert got["Body"].read() == b"checksummed"  # botocore validates the checksum too
    assert got[member] == put[member]


def test_wrong_checksum_is_bad_digest(s3: Any, bucket: str) -> None:
    with pytest.raises(ClientError) as caught:
        s3.put_object(Bucket=bucket, Key="bad", Body=b"data", ChecksumSHA256="A" * 43 + "=")
    assert error_of(caught) == ("BadDigest", 400)
    with pytest.raises(ClientError):
        s3.head_object(Bucket=bucket, Key="bad")


def test_response_overrides(s3: Any, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="o", Body=b"x", ContentType="text/plain")
    got = s3.get_object(
        Bucket=bucket,
        Key="o",
        ResponseContentType="application/json",
        ResponseContentDisposition="inline",
        ResponseCacheControl="no-cache",
        ResponseContentLanguage="fr",
        ResponseContentEncoding="identity",
        ResponseExpires=datetime(2031, 2, 3, tzinfo=UTC),
    )
    assert got["ContentType"] == "application/json"
    assert got["ContentDisposition"] == "inline"
    assert got["CacheControl"] == "no-cache"
    assert got["ContentLanguage"] == "fr"
    assert got["ContentEncoding"] == "identity"
    assert got["ResponseMetadata"]["HTTPHeaders"]["expires"] == "Mon, 03 Feb 2031 00:00:00 GMT"


def test_delete_object_and_delete_objects(s3: Any, bucket: str) -> None:
    for key in ("a", "b", "c"):
        s3.put_object(Bucket=bucket, Key=key, Body=key.encode())
    deleted = s3.delete_object(Bucket=bucket, Key="a")
    assert deleted["ResponseMetadata"]["HTTPStatusCode"] == 204
    # deleting a missing key succeeds, as in S3
    assert s3.delete_object(Bucket=bucket, Key="a")["ResponseMetadata"]["HTTPStatusCode"] == 204
    batch = s3.delete_objects(
        Bucket=bucket, Delete={"Objects": [{"Key": "b"}, {"Key": "c"}, {"Key": "missing"}]}
    )
    assert sorted(d["Key"] for d in batch["Deleted"]) == ["b", "c", "missing"]
    assert "Errors" not in batch
    s3.put_object(Bucket=bucket, Key="q", Body=b"q")
    quiet = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "q"}], "Quiet": True})
    assert "Deleted" not in quiet and "Errors" not in quiet
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0


def test_object_tagging(s3: Any, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="t", Body=b"x", Tagging="project=emr&team=data%20eng")
    got = s3.get_object(Bucket=bucket, Key="t")
    assert got["TagCount"] == 2
    tags = s3.get_object_tagging(Bucket=bucket, Key="t")["TagSet"]
    assert {t["Key"]: t["Value"] for t in tags} == {"project": "emr", "team": "data eng"}
    s3.put_object_tagging(
        Bucket=bucket, Key="t", Tagging={"TagSet": [{"Key": "only", "Value": "one"}]}
    )
    assert s3.get_object_tagging(Bucket=bucket, Key="t")["TagSet"] == [
        {"Key": "only", "Value": "one"}
    ]
    s3.delete_object_tagging(Bucket=bucket, Key="t")
    assert s3.get_object_tagging(Bucket=bucket, Key="t")["TagSet"] == []
    assert "TagCount" not in s3.head_object(Bucket=bucket, Key="t")
    with pytest.raises(ClientError) as caught:
        s3.put_object(Bucket=bucket, Key="t2", Body=b"x", Tagging="a=1&a=2")
    assert error_of(caught) == ("InvalidTag", 400)
    many = {"TagSet": [{"Key": f"k{i}", "Value": "v"} for i in range(11)]}
    with pytest.raises(ClientError) as caught:
        s3.put_object_tagging(Bucket=bucket, Key="t", Tagging=many)
    assert error_of(caught) == ("InvalidTag", 400)


def test_object_acl_and_attributes(s3: Any, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="attr", Body=b"12345", ChecksumAlgorithm="SHA256")
    acl = s3.get_object_acl(Bucket=bucket, Key="attr")
    assert acl["Grants"][0]["Permission"] == "FULL_CONTROL"
    assert acl["Grants"][0]["Grantee"]["ID"] == acl["Owner"]["ID"]
    attributes = s3.get_object_attributes(
        Bucket=bucket,
        Key="attr",
        ObjectAttributes=["ETag", "ObjectSize", "StorageClass", "Checksum"],
    )
    assert attributes["ETag"] == hashlib.md5(b"12345").hexdigest()  # unquoted here, as in S3
    assert attributes["ObjectSize"] == 5
    assert attributes["StorageClass"] == "STANDARD"
    assert attributes["Checksum"]["ChecksumSHA256"]


def test_conditional_put(s3: Any, bucket: str) -> None:
    first = s3.put_object(Bucket=bucket, Key="c", Body=b"1", IfNoneMatch="*")
    with pytest.raises(ClientError) as caught:
        s3.put_object(Bucket=bucket, Key="c", Body=b"2", IfNoneMatch="*")
    assert error_of(caught) == ("PreconditionFailed", 412)
    with pytest.raises(ClientError) as caught:
        s3.put_object(Bucket=bucket, Key="c", Body=b"2", IfMatch='"0123"')
    assert error_of(caught) == ("PreconditionFailed", 412)
    s3.put_object(Bucket=bucket, Key="c", Body=b"3", IfMatch=first["ETag"])
    assert s3.get_object(Bucket=bucket, Key="c")["Body"].read() == b"3"


def test_presigned_get_with_plain_http(s3: Any, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="shared", Body=b"presigned bytes")
    url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "shared"})
    response = requests.get(url, timeout=10)
    assert response.status_code == 200
    assert response.content == b"presigned bytes"
