"""Range GETs, part GETs and conditional GET/HEAD through boto3 against the real server."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.integration.s3.test_s3_buckets import error_of

BODY = bytes(range(256)) * 4  # 1024 bytes


@pytest.fixture
def stored(s3: Any, bucket: str) -> dict[str, Any]:
    put = s3.put_object(Bucket=bucket, Key="r", Body=BODY)
    head = s3.head_object(Bucket=bucket, Key="r")
    return {"bucket": bucket, "etag": put["ETag"], "modified": head["LastModified"]}


@pytest.mark.parametrize(
    ("header", "start", "end"),
    [
        ("bytes=0-9", 0, 9),
        ("bytes=1000-", 1000, 1023),
        ("bytes=-24", 1000, 1023),
        ("bytes=10-5000", 10, 1023),
    ],
)
def test_ranges_are_206_with_content_range(
    s3: Any, stored: dict[str, Any], header: str, start: int, end: int
) -> None:
    got = s3.get_object(Bucket=stored["bucket"], Key="r", Range=header)
    assert got["ResponseMetadata"]["HTTPStatusCode"] == 206
    assert got["Body"].read() == BODY[start : end + 1]
    assert got["ContentRange"] == f"bytes {start}-{end}/1024"
    assert got["ContentLength"] == end - start + 1
    assert got["ETag"] == stored["etag"]
    head = s3.head_object(Bucket=stored["bucket"], Key="r", Range=header)
    assert head["ContentLength"] == end - start + 1


def test_unsatisfiable_range_is_416_with_the_size(s3: Any, stored: dict[str, Any]) -> None:
    with pytest.raises(ClientError) as caught:
        s3.get_object(Bucket=stored["bucket"], Key="r", Range="bytes=1024-")
    assert error_of(caught) == ("InvalidRange", 416)
    assert caught.value.response["Error"]["ActualObjectSize"] == "1024"


@pytest.mark.parametrize("header", ["bytes=0-1,5-6", "bytes=9-3", "lines=1-2"])
def test_ranges_s3_ignores_return_the_whole_object(
    s3: Any, stored: dict[str, Any], header: str
) -> None:
    got = s3.get_object(Bucket=stored["bucket"], Key="r", Range=header)
    assert got["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert got["Body"].read() == BODY


def test_part_number_of_a_single_part_object(s3: Any, stored: dict[str, Any]) -> None:
    got = s3.get_object(Bucket=stored["bucket"], Key="r", PartNumber=1)
    assert got["Body"].read() == BODY
    with pytest.raises(ClientError) as caught:
        s3.get_object(Bucket=stored["bucket"], Key="r", PartNumber=2)
    assert error_of(caught) == ("InvalidPartNumber", 416)


def test_if_match_and_if_none_match(s3: Any, stored: dict[str, Any]) -> None:
    bucket, etag = stored["bucket"], stored["etag"]
    assert s3.get_object(Bucket=bucket, Key="r", IfMatch=etag)["Body"].read() == BODY
    with pytest.raises(ClientError) as caught:
        s3.get_object(Bucket=bucket, Key="r", IfMatch='"nope"')
    assert error_of(caught) == ("PreconditionFailed", 412)
    with pytest.raises(ClientError) as caught:
        s3.get_object(Bucket=bucket, Key="r", IfNoneMatch=etag)
    assert error_of(caught)[1] == 304
    assert caught.value.response["ResponseMetadata"]["HTTPHeaders"]["etag"] == etag
    with pytest.raises(ClientError) as caught:
        s3.head_object(Bucket=bucket, Key="r", IfNoneMatch=etag)
    assert error_of(caught) == ("304", 304)
    assert s3.head_object(Bucket=bucket, Key="r", IfNoneMatch='"other"')["ETag"] == etag


def test_modified_since_conditions_and_precedence(s3: Any, stored: dict[str, Any]) -> None:
    bucket, etag, modified = stored["bucket"], stored["etag"], stored["modified"]
    earlier, later = modified - timedelta(hours=1), modified + timedelta(hours=1)
    assert s3.head_object(Bucket=bucket, Key="r", IfModifiedSince=earlier)["ETag"] == etag
    with pytest.raises(ClientError) as caught:
        s3.get_object(Bucket=bucket, Key="r", IfModifiedSince=later)
    assert error_of(caught)[1] == 304
    with pytest.raises(ClientError) as caught:
        s3.get_object(Bucket=bucket, Key="r", IfUnmodifiedSince=earlier)
    assert error_of(caught) == ("PreconditionFailed", 412)
    # If-Match true overrides a false If-Unmodified-Since
    got = s3.get_object(Bucket=bucket, Key="r", IfMatch=etag, IfUnmodifiedSince=earlier)
    assert got["Body"].read() == BODY
    # If-None-Match true overrides a false If-Modified-Since
    got = s3.get_object(Bucket=bucket, Key="r", IfNoneMatch='"other"', IfModifiedSince=later)
    assert got["ResponseMetadata"]["HTTPStatusCode"] == 200
