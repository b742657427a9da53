"""S3 through boto3: large-object throughput, small-object ops/s, listing; emr against moto."""

from __future__ import annotations

import itertools
import random
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.config import Config

from bench.harness import Endpoint, Result, emr_server, moto_server, throughput

MiB = 1024 * 1024
BUCKET = "bench"
LARGE_SIZE = 8 * MiB
LARGE_COUNT = 16
SMALL_SIZE = 1024
THREADS = 8
SMALL_PER_THREAD = 250  # 2,000 calls in all
LIST_KEYS = 10_000
LIST_PAGE = 1000
PEER = "moto_server"


@dataclass(frozen=True)
class Measurements:
    large_put_mib_s: float
    large_get_mib_s: float
    small_put_ops: float
    small_get_ops: float
    list_keys_s: float


def _client(endpoint: Endpoint) -> Any:
    return boto3.Session(
        aws_access_key_id=endpoint.access_key,
        aws_secret_access_key=endpoint.secret_key,
        region_name="us-east-1",
    ).client(
        "s3",
        endpoint_url=endpoint.url,
        config=Config(retries={"max_attempts": 1}, max_pool_connections=THREADS),
    )


def _timed(work: Callable[[], object]) -> float:
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


def _large_objects(client: Any) -> tuple[float, float]:
    """MiB/s of sequential 8 MiB PutObject, then of GetObject reading them back whole."""
    body = random.Random(8).randbytes(LARGE_SIZE)
    client.put_object(Bucket=BUCKET, Key="large/warm-up", Body=body)
    client.get_object(Bucket=BUCKET, Key="large/warm-up")["Body"].read()

    def put_all() -> None:
        for index in range(LARGE_COUNT):
            client.put_object(Bucket=BUCKET, Key=f"large/{index}", Body=body)

    def get_all() -> None:
        for index in range(LARGE_COUNT):
            read = client.get_object(Bucket=BUCKET, Key=f"large/{index}")["Body"].read()
            assert len(read) == LARGE_SIZE

    total_mib = LARGE_COUNT * LARGE_SIZE / MiB
    return total_mib / _timed(put_all), total_mib / _timed(get_all)


def _small_objects(endpoint: Endpoint) -> tuple[float, float]:
    """Ops/s of 1 KiB PutObject and GetObject with THREADS clients, each on its own keys."""
    body = random.Random(1).randbytes(SMALL_SIZE)
    thread_ids = itertools.count()

    def make_put() -> Callable[[], object]:
        client, thread, calls = _client(endpoint), next(thread_ids), itertools.count()
        return lambda: client.put_object(
            Bucket=BUCKET, Key=f"small/{thread}/{next(calls)}", Body=body
        )

    put_rate = throughput(make_put, THREADS, SMALL_PER_THREAD)
    thread_ids = itertools.count()

    def make_get() -> Callable[[], object]:
        client, thread, calls = _client(endpoint), next(thread_ids), itertools.count()
        return lambda: client.get_object(
            Bucket=BUCKET, Key=f"small/{thread}/{next(calls) % SMALL_PER_THREAD}"
        )["Body"].read()

    return put_rate, throughput(make_get, THREADS, SMALL_PER_THREAD)


def _listing(endpoint: Endpoint) -> float:
    """Keys/s of listing LIST_KEYS keys with the paginator (seeded by THREADS clients first)."""
    per_thread = LIST_KEYS // THREADS

    def seed(thread: int) -> None:
        client = _client(endpoint)
        for index in range(per_thread):
            client.put_object(Bucket=BUCKET, Key=f"list/{thread:02d}/{index:06d}", Body=b"x")

    with ThreadPoolExecutor(THREADS) as pool:
        list(pool.map(seed, range(THREADS)))

    client = _client(endpoint)
    paginator = client.get_paginator("list_objects_v2")

    def list_all() -> None:
        pages = paginator.paginate(
            Bucket=BUCKET, Prefix="list/", PaginationConfig={"PageSize": LIST_PAGE}
        )
        count = sum(page["KeyCount"] for page in pages)
        assert count == per_thread * THREADS, count

    list_all()  # warm-up
    return per_thread * THREADS / min(_timed(list_all) for _ in range(3))


def _measure(endpoint: Endpoint) -> Measurements:
    client = _client(endpoint)
    client.create_bucket(Bucket=BUCKET)
    large_put, large_get = _large_objects(client)
    small_put, small_get = _small_objects(endpoint)
    return Measurements(large_put, large_get, small_put, small_get, _listing(endpoint))


def run() -> list[Result]:
    """S3 object and listing rates through boto3, ours and moto's, in this run."""
    with emr_server() as ours_endpoint:
        ours = _measure(ours_endpoint)
    with moto_server() as peer_endpoint:
        peer = _measure(peer_endpoint)
    rows = [
        ("s3 PutObject 8 MiB (sequential)", "MiB/s", "large_put_mib_s"),
        ("s3 GetObject 8 MiB (sequential)", "MiB/s", "large_get_mib_s"),
        (f"s3 PutObject 1 KiB ({THREADS} clients)", "ops/s", "small_put_ops"),
        (f"s3 GetObject 1 KiB ({THREADS} clients)", "ops/s", "small_get_ops"),
        (f"s3 ListObjectsV2 {LIST_KEYS:,} keys (paginated)", "keys/s", "list_keys_s"),
    ]
    return [
        Result(name, unit, getattr(ours, field), getattr(peer, field), PEER, True)
        for name, unit, field in rows
    ]
