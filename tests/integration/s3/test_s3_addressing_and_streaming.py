"""Virtual-hosted addressing, and multi-hundred-MiB objects through bounded server memory."""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psutil
import pytest
from botocore.awsrequest import AWSPreparedRequest
from botocore.config import Config

from tests.conftest import RunningServer
from tests.integration.s3.conftest import MiB, unique_bucket_name

pytestmark = pytest.mark.integration


def test_virtual_hosted_style_addressing(region: RunningServer) -> None:
    """Host: <bucket>.localhost:<port>, as boto3 sends with addressing_style=virtual."""
    port = urlsplit(region.url).port
    client = region.session().client(
        "s3",
        endpoint_url=f"http://localhost:{port}",
        config=Config(s3={"addressing_style": "virtual"}, retries={"max_attempts": 1}),
    )
    sent_hosts: list[str] = []

    def to_loopback(request: AWSPreparedRequest, **_: Any) -> None:
        # <bucket>.localhost need not resolve here: keep the signed Host, dial 127.0.0.1.
        parts = urlsplit(request.url)
        request.headers["Host"] = parts.netloc
        sent_hosts.append(parts.netloc)
        request.url = urlunsplit(parts._replace(netloc=f"127.0.0.1:{port}"))

    client.meta.events.register_last("before-send", to_loopback)
    bucket = unique_bucket_name("virtual")
    client.create_bucket(Bucket=bucket)
    client.put_object(Bucket=bucket, Key="dir/a b.txt", Body=b"virtually hosted")
    assert client.get_object(Bucket=bucket, Key="dir/a b.txt")["Body"].read() == b"virtually hosted"
    listed = client.list_objects_v2(Bucket=bucket)["Contents"]
    assert [entry["Key"] for entry in listed] == ["dir/a b.txt"]
    assert all(host.startswith(f"{bucket}.localhost") for host in sent_hosts[1:])
    # The same bucket through path-style addressing sees the same object.
    path_style = region.client("s3")
    assert path_style.head_object(Bucket=bucket, Key="dir/a b.txt")["ContentLength"] == 16
    client.delete_object(Bucket=bucket, Key="dir/a b.txt")
    client.delete_bucket(Bucket=bucket)


_PATTERN = bytes(range(256)) * 4096  # 1 MiB


class _Generated:
    """A file-like of `size` deterministic bytes that is never held in memory whole: MiB number
    m is the 1 MiB pattern rotated by m % 251, so any byte depends only on its position."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.position = 0

    def read(self, amount: int = -1) -> bytes:
        remaining = self.size - self.position
        amount = remaining if amount is None or amount < 0 else min(amount, remaining)
        pieces = []
        while amount > 0:
            mib, offset = divmod(self.position, MiB)
            rotated = _PATTERN[mib % 251 :] + _PATTERN[: mib % 251]
            piece = rotated[offset : offset + amount]
            pieces.append(piece)
            self.position += len(piece)
            amount -= len(piece)
        return b"".join(pieces)

    def seek(self, offset: int, whence: int = 0) -> int:
        base = {0: 0, 1: self.position, 2: self.size}[whence]
        self.position = base + offset
        return self.position

    def tell(self) -> int:
        return self.position


def _peak_rss(pid: int, stop: threading.Event, peak: list[int]) -> None:
    process = psutil.Process(pid)
    while not stop.is_set():
        peak[0] = max(peak[0], process.memory_info().rss)
        time.sleep(0.02)


def _chunks(body: Any) -> Iterator[bytes]:
    yield from body.iter_chunks(1 << 20)


def test_large_object_streams_through_bounded_memory(region: RunningServer) -> None:
    size = 320 * MiB
    client = region.client("s3")
    bucket = unique_bucket_name("stream")
    client.create_bucket(Bucket=bucket)
    baseline = psutil.Process(region.process.pid).memory_info().rss
    peak = [baseline]
    stop = threading.Event()
    watcher = threading.Thread(target=_peak_rss, args=(region.process.pid, stop, peak))
    watcher.start()
    try:
        source = _Generated(size)
        expected = hashlib.md5()
        while chunk := source.read(8 * MiB):
            expected.update(chunk)
        source.seek(0)
        put = client.put_object(Bucket=bucket, Key="big.bin", Body=source, ContentLength=size)
        assert put["ETag"].strip('"') == expected.hexdigest()

        received = hashlib.md5()
        length = 0
        for chunk in _chunks(client.get_object(Bucket=bucket, Key="big.bin")["Body"]):
            received.update(chunk)
            length += len(chunk)
        assert (length, received.hexdigest()) == (size, expected.hexdigest())
    finally:
        stop.set()
        watcher.join()
        client.delete_object(Bucket=bucket, Key="big.bin")
        client.delete_bucket(Bucket=bucket)
    assert peak[0] - baseline < 128 * MiB, f"server grew by {(peak[0] - baseline) // MiB} MiB"
