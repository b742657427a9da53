"""What the S3 client-compatibility tests share: a bucket of their own, keys, generated data."""

from __future__ import annotations

import random
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.conftest import RunningServer

MiB = 1024 * 1024


def deterministic_bytes(size: int, seed: int) -> bytes:
    """`size` pseudo-random bytes that are the same on every run (no repeating pattern)."""
    return random.Random(seed).randbytes(size)


def unique_bucket_name(hint: str) -> str:
    """A valid bucket name that no other test of the run uses (the server is shared)."""
    stem = re.sub(r"[^a-z0-9]+", "-", hint.lower()).strip("-")[:40].strip("-")
    return f"{stem or 'bucket'}-{uuid.uuid4().hex[:12]}"


@dataclass(frozen=True)
class S3Access:
    """How a non-boto3 client reaches the region endpoint, as `emr env` gives it."""

    url: str
    access_key: str
    secret_key: str
    region_name: str

    @property
    def host_port(self) -> str:
        return urlsplit(self.url).netloc


@pytest.fixture(scope="session")
def s3_access(region: RunningServer) -> S3Access:
    return S3Access(
        url=region.url,
        access_key=region.env["AWS_ACCESS_KEY_ID"],
        secret_key=region.env["AWS_SECRET_ACCESS_KEY"],
        region_name=region.env["AWS_DEFAULT_REGION"],
    )


@pytest.fixture
def s3(region: RunningServer) -> Any:
    """A boto3 S3 client for setting up and checking what another client did."""
    return region.client("s3")


def empty_and_delete_bucket(s3: Any, name: str) -> None:
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=name):
        keys = [{"Key": item["Key"]} for item in page.get("Contents", [])]
        if keys:
            s3.delete_objects(Bucket=name, Delete={"Objects": keys, "Quiet": True})
    s3.delete_bucket(Bucket=name)


@pytest.fixture
def bucket(s3: Any, request: pytest.FixtureRequest) -> Iterator[str]:
    """A fresh bucket for one test, emptied and deleted afterwards."""
    name = unique_bucket_name(request.node.name)
    s3.create_bucket(Bucket=name)
    yield name
    empty_and_delete_bucket(s3, name)
