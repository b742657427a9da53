"""CopyObject through boto3 against the real server."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.integration.s3.conftest import unique_bucket_name
from tests.integration.s3.test_s3_buckets import error_of


def test_copy_keeps_metadata_and_tags_by_default(s3: Any, bucket: str) -> None:
    s3.put_object(
        Bucket=bucket,
        Key="src",
        Body=b"copy me",
        ContentType="text/plain",
        Metadata={"a": "1"},
        Tagging="t=1",
    )
    copied = s3.copy_object(Bucket=bucket, Key="dst", CopySource={"Bucket": bucket, "Key": "src"})
    source = s3.head_object(Bucket=bucket, Key="src")
    assert copied["CopyObjectResult"]["ETag"] == source["ETag"]
    got = s3.get_object(Bucket=bucket, Key="dst")
    assert got["Body"].read() == b"copy me"
    assert got["ContentType"] == "text/plain"
    assert got["Metadata"] == {"a": "1"}
    assert got["TagCount"] == 1


def test_replace_directives(s3: Any, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="src", Body=b"x", Metadata={"a": "1"}, Tagging="t=1")
    s3.copy_object(
        Bucket=bucket,
        Key="dst",
        CopySource=f"{bucket}/src",
        MetadataDirective="REPLACE",
        Metadata={"b": "2"},
        ContentType="application/json",
        TaggingDirective="REPLACE",
        Tagging="u=2&v=3",
    )
    head = s3.head_object(Bucket=bucket, Key="dst")
    assert head["Metadata"] == {"b": "2"}
    assert head["ContentType"] == "application/json"
    tags = s3.get_object_tagging(Bucket=bucket, Key="dst")["TagSet"]
    assert {t["Key"]: t["Value"] for t in tags} == {"u": "2", "v": "3"}


def test_self_copy_needs_a_change(s3: Any, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="self", Body=b"x", Metadata={"v": "1"})
    with pytest.raises(ClientError) as caught:
        s3.copy_object(Bucket=bucket, Key="self", CopySource=f"{bucket}/self")
    assert error_of(caught) == ("InvalidRequest", 400)
    s3.copy_object(
        Bucket=bucket,
        Key="self",
        CopySource=f"{bucket}/self",
        MetadataDirective="REPLACE",
        Metadata={"v": "2"},
    )
    assert s3.head_object(Bucket=bucket, Key="self")["Metadata"] == {"v": "2"}


def test_cross_bucket_copy_with_encoded_key(s3: Any, bucket: str) -> None:
    other = unique_bucket_name("copy-target")
    s3.create_bucket(Bucket=other)
    try:
        key = "dir/spa ce+plus?q=ü"
        s3.put_object(Bucket=bucket, Key=key, Body=b"encoded")
        s3.copy_object(Bucket=other, Key="copied", CopySource={"Bucket": bucket, "Key": key})
        assert s3.get_object(Bucket=other, Key="copied")["Body"].read() == b"encoded"
    finally:
        s3.delete_object(Bucket=other, Key="copied")
        s3.delete_bucket(Bucket=other)


def test_copy_source_conditions_and_missing_sources(s3: Any, bucket: str) -> None:
    put = s3.put_object(Bucket=bucket, Key="src", Body=b"x")
    s3.copy_object(
        Bucket=bucket, Key="ok", CopySource=f"{bucket}/src", CopySourceIfMatch=put["ETag"]
    )
    for conditions in ({"CopySourceIfMatch": '"other"'}, {"CopySourceIfNoneMatch": put["ETag"]}):
        with pytest.raises(ClientError) as caught:
            s3.copy_object(Bucket=bucket, Key="no", CopySource=f"{bucket}/src", **conditions)
        assert error_of(caught) == ("PreconditionFailed", 412)
    with pytest.raises(ClientError) as caught:
        s3.copy_object(Bucket=bucket, Key="no", CopySource=f"{bucket}/missing")
    assert error_of(caught) == ("NoSuchKey", 404)
    with pytest.raises(ClientError) as caught:
        s3.copy_object(Bucket=bucket, Key="no", CopySource=f"{unique_bucket_name('gone')}/src")
    assert error_of(caught) == ("NoSuchBucket", 404)
