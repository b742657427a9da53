"""Versioned buckets through boto3 against the real server: versions and delete markers."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.integration.s3.conftest import unique_bucket_name
from tests.integration.s3.test_s3_buckets import error_of


@pytest.fixture
def versioned(s3: Any, request: pytest.FixtureRequest) -> Iterator[str]:
    name = unique_bucket_name(request.node.name)
    s3.create_bucket(Bucket=name)
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    yield name
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=name):
        for entry in page.get("Versions", []) + page.get("DeleteMarkers", []):
            s3.delete_object(Bucket=name, Key=entry["Key"], VersionId=entry["VersionId"])
    s3.delete_bucket(Bucket=name)


def test_versions_delete_markers_and_version_reads(s3: Any, versioned: str) -> None:
    v1 = s3.put_object(Bucket=versioned, Key="k", Body=b"one")["VersionId"]
    v2 = s3.put_object(Bucket=versioned, Key="k", Body=b"two")["VersionId"]
    assert v1 != v2 and "null" not in (v1, v2)
    assert s3.get_object(Bucket=versioned, Key="k")["Body"].read() == b"two"
    old = s3.get_object(Bucket=versioned, Key="k", VersionId=v1)
    assert old["Body"].read() == b"one" and old["VersionId"] == v1
    assert s3.head_object(Bucket=versioned, Key="k", VersionId=v1)["ContentLength"] == 3

    deleted = s3.delete_object(Bucket=versioned, Key="k")
    assert deleted["DeleteMarker"] is True
    marker = deleted["VersionId"]
    with pytest.raises(ClientError) as caught:
        s3.get_object(Bucket=versioned, Key="k")
    assert error_of(caught) == ("NoSuchKey", 404)
    headers = caught.value.response["ResponseMetadata"]["HTTPHeaders"]
    assert headers["x-amz-delete-marker"] == "true"
    with pytest.raises(ClientError) as caught:
        s3.get_object(Bucket=versioned, Key="k", VersionId=marker)
    assert error_of(caught) == ("MethodNotAllowed", 405)
    with pytest.raises(ClientError) as caught:
        s3.head_object(Bucket=versioned, Key="k", VersionId=marker)
    assert error_of(caught)[1] == 405
    with pytest.raises(ClientError) as caught:
        s3.get_object(Bucket=versioned, Key="k", VersionId="no-such-version")
    assert error_of(caught)[1] in (400, 404)

    listed = s3.list_object_versions(Bucket=versioned)
    assert [(v["VersionId"], v["IsLatest"]) for v in listed["Versions"]] == [
        (v2, False),
        (v1, False),
    ]
    assert [(m["VersionId"], m["IsLatest"]) for m in listed["DeleteMarkers"]] == [(marker, True)]
    assert "Contents" not in s3.list_objects_v2(Bucket=versioned)

    # removing the marker brings the object back
    removed = s3.delete_object(Bucket=versioned, Key="k", VersionId=marker)
    assert removed["DeleteMarker"] is True and removed["VersionId"] == marker
    assert s3.get_object(Bucket=versioned, Key="k")["Body"].read() == b"two"


def test_tagging_by_version(s3: Any, versioned: str) -> None:
    v1 = s3.put_object(Bucket=versioned, Key="t", Body=b"1", Tagging="gen=1")["VersionId"]
    s3.put_object(Bucket=versioned, Key="t", Body=b"2", Tagging="gen=2")
    tags = s3.get_object_tagging(Bucket=versioned, Key="t", VersionId=v1)
    assert tags["TagSet"] == [{"Key": "gen", "Value": "1"}] and tags["VersionId"] == v1
    assert s3.get_object_tagging(Bucket=versioned, Key="t")["TagSet"] == [
        {"Key": "gen", "Value": "2"}
    ]


def test_list_object_versions_pagination(s3: Any, versioned: str) -> None:
    for key in ("a", "b"):
        for body in (b"1", b"2"):
            s3.put_object(Bucket=versioned, Key=key, Body=body)
    pages = list(
        s3.get_paginator("list_object_versions").paginate(
            Bucket=versioned, PaginationConfig={"PageSize": 3}
        )
    )
    seen = [(v["Key"], v["IsLatest"]) for page in pages for v in page.get("Versions", [])]
    assert seen == [("a", True), ("a", False), ("b", True), ("b", False)]
    assert len(pages) == 2


def test_copy_of_an_old_version(s3: Any, versioned: str) -> None:
    v1 = s3.put_object(Bucket=versioned, Key="src", Body=b"old")["VersionId"]
    s3.put_object(Bucket=versioned, Key="src", Body=b"new")
    copied = s3.copy_object(
        Bucket=versioned, Key="dst", CopySource={"Bucket": versioned, "Key": "src", "VersionId": v1}
    )
    assert copied["CopySourceVersionId"] == v1
    assert copied["VersionId"]
    assert s3.get_object(Bucket=versioned, Key="dst")["Body"].read() == b"old"
