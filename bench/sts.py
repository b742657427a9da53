"""STS GetCallerIdentity through boto3: emr's region endpoint against moto's server."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import boto3
from botocore.config import Config

from bench.harness import Endpoint, Result, emr_server, latency_ms, moto_server, throughput

SEQUENTIAL_CALLS = 300
THREADS = 4
CALLS_PER_THREAD = 150


def _client(endpoint: Endpoint) -> Any:
    return boto3.Session(
        aws_access_key_id=endpoint.access_key,
        aws_secret_access_key=endpoint.secret_key,
        region_name="us-east-1",
    ).client("sts", endpoint_url=endpoint.url, config=Config(retries={"max_attempts": 1}))


def _measure(endpoint: Endpoint) -> tuple[float, float]:
    client = _client(endpoint)

    def make_call() -> Callable[[], object]:
        call: Callable[[], object] = _client(endpoint).get_caller_identity
        return call

    return latency_ms(client.get_caller_identity, SEQUENTIAL_CALLS), throughput(
        make_call, THREADS, CALLS_PER_THREAD
    )


def run() -> list[Result]:
    """Latency and requests/s of GetCallerIdentity, ours and moto's, in this run."""
    with emr_server() as ours:
        our_latency, our_rate = _measure(ours)
    with moto_server() as peer:
        peer_latency, peer_rate = _measure(peer)
    return [
        Result("sts GetCallerIdentity latency (median)", "ms", our_latency, peer_latency, "moto_server", False),
        Result(f"sts GetCallerIdentity throughput ({THREADS} clients)", "req/s", our_rate, peer_rate, "moto_server", True),
    ]  # fmt: skip
