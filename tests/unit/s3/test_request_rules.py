"""S3's own rules on names, copy sources, tagging headers and listing tokens."""

from __future__ import annotations

import pytest

from emr.services.s3.buckets import bucket_region
from emr.services.s3.copysource import CopySource, parse_copy_source
from emr.services.s3.errors import (
    InvalidArgument,
    InvalidBucketName,
    InvalidLocationConstraint,
    InvalidTag,
    KeyTooLongError,
)
from emr.services.s3.headers import strip_aws_chunked
from emr.services.s3.listing import (
    continuation_token,
    key_from_continuation_token,
    list_max_keys,
    name_encoder,
)
from emr.services.s3.names import canonical_user_id, check_bucket_name, check_key, owner_of
from emr.services.s3.tagging import parse_tagging_header


@pytest.mark.parametrize("name", ["abc", "my-bucket.logs", "a" * 63, "0bucket9", "x-1.y-2"])
def test_valid_bucket_names(name: str) -> None:
    check_bucket_name(name)


@pytest.mark.parametrize(
    "name",
    [
        "ab",
        "a" * 64,
        "Upper",
        "under_score",
        "-start",
        "end-",
        "double..dot",
        "dash.-dot",
        "192.168.5.4",
        "xn--punycode",
        "sthree-bucket",
        "bucket-s3alias",
        "bucket--ol-s3",
        "space name",
    ],
)
def test_invalid_bucket_names(name: str) -> None:
    with pytest.raises(InvalidBucketName) as caught:
        check_bucket_name(name)
    assert caught.value.fields["BucketName"] == name


def test_key_limits_are_bytes_not_characters() -> None:
    check_key("k" * 1024)
    check_key("é" * 512)  # 1024 bytes
    with pytest.raises(KeyTooLongError):
        check_key("é" * 513)
    with pytest.raises(InvalidArgument):
        check_key("")


def test_canonical_owner_is_stable_64_hex() -> None:
    owner_id = canonical_user_id("123456789012")
    assert len(owner_id) == 64 and int(owner_id, 16) >= 0
    assert owner_id == canonical_user_id("123456789012") != canonical_user_id("210987654321")
    assert owner_of("123456789012") == {"ID": owner_id, "DisplayName": "123456789012"}


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("bucket/key", CopySource("bucket", "key")),
        ("/bucket/dir/key.txt", CopySource("bucket", "dir/key.txt")),
        ("bucket/a%20b%3Fc%2Bd", CopySource("bucket", "a b?c+d")),
        ("bucket/caf%C3%A9", CopySource("bucket", "café")),
        ("bucket/key?versionId=v1", CopySource("bucket", "key", "v1")),
        ("/bucket/k%3Fx?versionId=abc%2B1", CopySource("bucket", "k?x", "abc+1")),
    ],
)
def test_copy_source(header: str, expected: CopySource) -> None:
    assert parse_copy_source(header) == expected


@pytest.mark.parametrize("header", ["", "bucket", "bucket/", "/bucket", "bucket/key?versionId="])
def test_bad_copy_source(header: str) -> None:
    with pytest.raises(InvalidArgument):
        parse_copy_source(header)


def test_tagging_header_is_a_url_encoded_query() -> None:
    assert parse_tagging_header("a=1&b%20c=d%26e&empty=") == {"a": "1", "b c": "d&e", "empty": ""}
    assert parse_tagging_header("") == {}


@pytest.mark.parametrize(
    "header",
    [
        "a=1&a=2",
        "&".join(f"k{i}=v" for i in range(11)),
        "aws:x=1",
        f"{'k' * 129}=v",
        f"k={'v' * 257}",
    ],
)
def test_tagging_limits(header: str) -> None:
    with pytest.raises(InvalidTag):
        parse_tagging_header(header)


@pytest.mark.parametrize("key", ["a", "dir/sub/key with spaces", "ünïcödé/🙂", ""])
def test_continuation_tokens_round_trip(key: str) -> None:
    token = continuation_token(key)
    assert key not in token or not key
    assert key_from_continuation_token(token) == key


@pytest.mark.parametrize("token", ["", "not base64!", "aGVsbG8="])
def test_foreign_continuation_tokens_are_refused(token: str) -> None:
    with pytest.raises(InvalidArgument):
        key_from_continuation_token(token)


def test_max_keys() -> None:
    assert list_max_keys(None) == 1000
    assert list_max_keys(0) == 0
    assert list_max_keys(5000) == 1000
    with pytest.raises(InvalidArgument):
        list_max_keys(-1)


def test_url_encoding_of_listed_names() -> None:
    encode = name_encoder("url")
    assert encode("dir/a b+c&d") == "dir/a%20b%2Bc%26d"
    assert name_encoder(None)("a b") == "a b"
    with pytest.raises(InvalidArgument):
        name_encoder("base64")


def test_aws_chunked_is_not_stored_as_a_content_encoding() -> None:
    assert strip_aws_chunked("aws-chunked") is None
    assert strip_aws_chunked("aws-chunked,gzip") == "gzip"
    assert strip_aws_chunked("gzip") == "gzip"
    assert strip_aws_chunked(None) is None


def test_bucket_region() -> None:
    assert bucket_region(None, "us-east-1") == "us-east-1"
    assert bucket_region("", "eu-central-1") == "eu-central-1"
    assert bucket_region("eu-west-2", "us-east-1") == "eu-west-2"
    assert bucket_region("EU", "us-east-1") == "eu-west-1"
    for bad in ("us-east-1", "mars"):
        with pytest.raises(InvalidLocationConstraint):
            bucket_region(bad, "us-east-1")
