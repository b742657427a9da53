"""ListObjectsV2 and ListObjects through boto3 against the real server."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.integration.s3.test_s3_buckets import error_of

KEYS = ["a/1", "a/2", "a/b/3", "b/4", "c", "d e/5", "z+plus"]


@pytest.fixture
def filled(s3: Any, bucket: str) -> str:
    for key in KEYS:
        s3.put_object(Bucket=bucket, Key=key, Body=key.encode())
    return bucket


def test_prefix_delimiter_and_common_prefixes(s3: Any, filled: str) -> None:
    top = s3.list_objects_v2(Bucket=filled, Delimiter="/")
    assert [o["Key"] for o in top["Contents"]] == ["c", "z+plus"]
    assert [p["Prefix"] for p in top["CommonPrefixes"]] == ["a/", "b/", "d e/"]
    assert top["KeyCount"] == 5
    under_a = s3.list_objects_v2(Bucket=filled, Prefix="a/", Delimiter="/")
    assert [o["Key"] for o in under_a["Contents"]] == ["a/1", "a/2"]
    assert [p["Prefix"] for p in under_a["CommonPrefixes"]] == ["a/b/"]
    entry = under_a["Contents"][0]
    assert (
        entry["Size"] == 3 and entry["ETag"].startswith('"') and entry["StorageClass"] == "STANDARD"
    )
    assert "Owner" not in entry
    owned = s3.list_objects_v2(Bucket=filled, Prefix="c", FetchOwner=True)["Contents"][0]
    assert len(owned["Owner"]["ID"]) == 64


def test_pagination_with_paginator_and_tokens(s3: Any, filled: str) -> None:
    pages = list(
        s3.get_paginator("list_objects_v2").paginate(
            Bucket=filled, PaginationConfig={"PageSize": 2}
        )
    )
    assert [o["Key"] for page in pages for o in page.get("Contents", [])] == KEYS
    assert len(pages) == 4
    first = s3.list_objects_v2(Bucket=filled, MaxKeys=3)
    assert first["IsTruncated"] and first["KeyCount"] == 3
    rest = s3.list_objects_v2(Bucket=filled, ContinuationToken=first["NextContinuationToken"])
    assert [o["Key"] for o in rest["Contents"]] == KEYS[3:]
    assert rest["ContinuationToken"] == first["NextContinuationToken"]
    after = s3.list_objects_v2(Bucket=filled, StartAfter="b/4")
    assert [o["Key"] for o in after["Contents"]] == KEYS[4:]
    assert after["StartAfter"] == "b/4"


def test_max_keys_edges(s3: Any, filled: str) -> None:
    none = s3.list_objects_v2(Bucket=filled, MaxKeys=0)
    assert none["KeyCount"] == 0 and "Contents" not in none and not none["IsTruncated"]
    with pytest.raises(ClientError) as caught:
        s3.list_objects_v2(Bucket=filled, MaxKeys=-1)
    assert error_of(caught) == ("InvalidArgument", 400)
    with pytest.raises(ClientError) as caught:
        s3.list_objects_v2(Bucket=filled, ContinuationToken="garbage")
    assert error_of(caught) == ("InvalidArgument", 400)


def test_url_encoding_type(s3: Any, filled: str) -> None:
    # boto3 asks for EncodingType=url by itself and decodes the answer
    decoded = s3.list_objects_v2(Bucket=filled, Prefix="d e/")
    assert [o["Key"] for o in decoded["Contents"]] == ["d e/5"]
    assert decoded["Prefix"] == "d e/"
    raw = s3.list_objects_v2(Bucket=filled, EncodingType="url", Delimiter="/")
    assert raw["EncodingType"] == "url"
    assert [p["Prefix"] for p in raw["CommonPrefixes"]] == ["a/", "b/", "d%20e/"]
    assert [o["Key"] for o in raw["Contents"]] == ["c", "z%2Bplus"]


def test_list_objects_v1_markers(s3: Any, filled: str) -> None:
    page = s3.list_objects(Bucket=filled, MaxKeys=2)
    assert [o["Key"] for o in page["Contents"]] == ["a/1", "a/2"]
    assert page["IsTruncated"] and "NextMarker" not in page  # only with a delimiter
    assert len(page["Contents"][0]["Owner"]["ID"]) == 64
    rest = s3.list_objects(Bucket=filled, Marker="a/2")
    assert [o["Key"] for o in rest["Contents"]] == KEYS[2:]
    delimited = s3.list_objects(Bucket=filled, Delimiter="/", MaxKeys=2)
    assert delimited["NextMarker"] == "b/"
    pages = s3.get_paginator("list_objects").paginate(
        Bucket=filled, PaginationConfig={"PageSize": 3}
    )
    assert [o["Key"] for page in pages for o in page.get("Contents", [])] == KEYS
