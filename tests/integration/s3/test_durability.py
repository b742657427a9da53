"""kill -9 of the region server loses no acknowledged object and exposes no partial one."""

from __future__ import annotations

import hashlib
import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from botocore.exceptions import BotoCoreError, ClientError

from tests.conftest import RunningServer

pytestmark = pytest.mark.integration

ROUNDS = 3
WRITERS = 3


def _content(key: str) -> bytes:
    # Sizes from 1 byte to ~600 KiB so kills land both between and inside bodies.
    seed = hashlib.sha256(key.encode()).digest()
    size = 1 + int.from_bytes(seed[:3], "big") % (600 * 1024)
    return (seed * (size // len(seed) + 1))[:size]


def test_kill_9_during_uploads_loses_no_acknowledged_object(
    server_factory: Callable[..., RunningServer], tmp_path: Path
) -> None:
    data_dir = tmp_path / "data"
    server = server_factory(data_dir)
    server.client("s3").create_bucket(Bucket="durable")
    acknowledged: set[str] = set()
    lock = threading.Lock()

    for round_number in range(ROUNDS):
        stop = threading.Event()

        def write(writer: int, server: RunningServer = server, round_number: int = round_number,
                  stop: threading.Event = stop) -> None:  # fmt: skip
            client = server.client("s3")
            for index in range(10_000):
                if stop.is_set():
                    return
                key = f"round{round_number}/writer{writer}/object-{index:05d}"
                try:
                    client.put_object(Bucket="durable", Key=key, Body=_content(key))
                except (BotoCoreError, ClientError):
                    return  # the server died under us: this write was never acknowledged
                with lock:
                    acknowledged.add(key)

        threads = [threading.Thread(target=write, args=(n,)) for n in range(WRITERS)]
        for thread in threads:
            thread.start()
        time.sleep(1.0 + 0.4 * round_number)
        server.stop(signal.SIGKILL)
        stop.set()
        for thread in threads:
            thread.join(timeout=60)

        server = server_factory(data_dir)
        client = server.client("s3")
        listed = {
            entry["Key"]: entry["ETag"].strip('"')
            for page in client.get_paginator("list_objects_v2").paginate(Bucket="durable")
            for entry in page.get("Contents", [])
        }
        missing = acknowledged - listed.keys()
        assert not missing, f"acknowledged but lost after kill -9: {sorted(missing)[:5]}"
        for key, etag in listed.items():  # single-part ETag = MD5 of the stored bytes
            assert etag == hashlib.md5(_content(key)).hexdigest(), f"{key} is partial"
        newest = {key.rsplit("/", 1)[0]: key for key in sorted(listed)}  # last of each writer
        for key in newest.values():
            assert client.get_object(Bucket="durable", Key=key)["Body"].read() == _content(key)
    assert len(acknowledged) > WRITERS * ROUNDS
