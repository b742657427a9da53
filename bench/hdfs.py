"""HDFS throughput, DFSIO-style: write and read 1 GiB through WebHDFS on a cluster of 1 master and
3 core nodes (m5.xlarge), with replication 1 and 3, against the raw disk measured in the same run.

The peer is the disk under the cluster's data dir (same filesystem, same run), through `dd`,
SAMPLES times before the cluster starts and SAMPLES times after it ends (the median is the
peer): write `conv=fsync` of the same incompressible bytes from a page-cached file (not
/dev/zero: this virtual disk writes zero pages faster than real data, 15-90% in our samples),
read with `iflag=direct` (no page cache; also printed: a buffered read after posix_fadvise
DONTNEED) and from the page cache. The issue's targets: write at least 50% of raw / replication
(every replica lands on this one disk), read at least 50% of raw (`iflag=direct`).

How ours is measured, as DFSIO does with one file per map: 1 file of 1 GiB, then 2 files of
512 MiB at once (the NameNode may put both writers on one DataNode or on two: that placement
moves the 2-file figures). A write is PUT op=CREATE to the NameNode without a body, then the body
to the DataNode its 307 names, streamed from a generator of 1 MiB pieces; it is timed from the
CREATE to the DataNode's 201 (every replica fsynced, the file complete). A read is GET op=OPEN,
following the 307, streamed and checked against the CRC32C of what was written. Each read is
timed SAMPLES times (the median is used): "page cache", as the write left the blocks (what a
DFSIO read right after its write sees; no target), then "cache dropped", after every replica
file is dropped from the page cache (posix_fadvise DONTNEED; the host may still cache the
virtual disk, as it does for dd). The data moves through the standard library's http.client so
the client's own cost stays small (about 0.3 CPU-s per GiB) on a machine whose cores the three
DataNodes share. The cluster's default block size (128 MiB) is kept: a 1 GiB file is 8 blocks,
so block turnover (add-block, pipeline set-up, fsync, complete) is in the measurement as in
Hadoop's.

The server's data dir is put under the bench's own scratch dir (`emr_server(parent=…)`), so the raw
disk is measured on the cluster's filesystem and the replica files can be dropped from the
cache. MiB/s throughout (the ratio does not depend on it). The machine is shared: figures are
noisy; run it more than once.
"""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import os
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import httpx
from awscrt.checksums import crc32c

from bench.harness import Result, emr_cluster, emr_server

MiB = 1024 * 1024
TOTAL = 1024 * MiB
PIECE = MiB
FILES = (1, 2)
REPLICATIONS = (1, 3)
USER = "hadoop"
DIRECTORY = "/user/hadoop/benchmarks/dfsio"
TARGET = 0.5
#: Raw samples before and after the cluster, and timed reads of each file set.
SAMPLES = 3
_TIMEOUT = httpx.Timeout(120.0, connect=10.0)


@dataclass(frozen=True)
class Disk:
    """Samples of the raw disk, MiB/s."""

    write: list[float]
    read_direct: list[float]
    read_dropped: list[float]
    read_cached: list[float]


@dataclass(frozen=True)
class Hdfs:
    """One write and its reads, MiB/s, for `files` files of TOTAL / files bytes together."""

    replication: int
    files: int
    write: float
    read_cold: list[float]
    read_warm: list[float]


# --- the raw disk ------------------------------------------------------------------------------


def _drop_cache(paths: Sequence[Path]) -> None:
    for path in paths:
        fd = os.open(path, os.O_RDONLY)
        try:
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fd)


def _dd(*args: str) -> float:
    """MiB/s of one `dd` moving TOTAL bytes."""
    start = time.perf_counter()
    subprocess.run(["dd", "bs=1M", *args], check=True, capture_output=True)
    return TOTAL / MiB / (time.perf_counter() - start)


def _disk(scratch: Path, data: bytes) -> Disk:
    """SAMPLES of each raw measurement."""
    source, target = scratch / "raw-source", scratch / "raw-target"
    with open(source, "wb") as out:  # the bytes dd copies, durable and in the page cache
        out.write(data)
        os.fsync(out.fileno())
    disk = Disk([], [], [], [])
    try:
        for _ in range(SAMPLES):
            disk.write.append(_dd(f"if={source}", f"of={target}", "conv=fsync"))
            disk.read_direct.append(_dd(f"if={target}", "of=/dev/null", "iflag=direct"))
            _drop_cache([target])
            disk.read_dropped.append(_dd(f"if={target}", "of=/dev/null"))
            disk.read_cached.append(_dd(f"if={target}", "of=/dev/null"))
            target.unlink()
    finally:
        source.unlink(missing_ok=True)
        target.unlink(missing_ok=True)
    return disk


# --- WebHDFS -----------------------------------------------------------------------------------


def _pieces(data: memoryview) -> Iterator[memoryview]:
    for start in range(0, len(data), PIECE):
        yield data[start : start + PIECE]


def _location(namenode: str, method: str, path: str, params: dict[str, str]) -> str:
    """The DataNode URL the NameNode redirects a data op to."""
    query = {"user.name": USER, **params}
    response = httpx.request(method, f"{namenode}/webhdfs/v1{path}", params=query, timeout=_TIMEOUT)
    if response.status_code != 307:
        raise RuntimeError(f"{params['op']} {path}: {response.status_code} {response.text}")
    return response.headers["location"]


def _connection(url: str) -> tuple[http.client.HTTPConnection, str]:
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.netloc, timeout=_TIMEOUT.read)
    return connection, f"{parts.path}?{parts.query}"


def _write_file(namenode: str, path: str, data: memoryview, replication: int) -> None:
    params = {"op": "CREATE", "overwrite": "true", "replication": str(replication)}
    connection, target = _connection(_location(namenode, "PUT", path, params))
    try:
        connection.request(
            "PUT", target, body=_pieces(data), headers={"Content-Length": str(len(data))}
        )
        response = connection.getresponse()
        body = response.read()
        if response.status != 201:
            raise RuntimeError(f"CREATE {path}: {response.status} {body!r}")
    finally:
        connection.close()


def _read_file(namenode: str, path: str) -> tuple[int, int]:
    """The file's length and CRC32C, streamed."""
    connection, target = _connection(_location(namenode, "GET", path, {"op": "OPEN"}))
    buffer = bytearray(PIECE)
    view = memoryview(buffer)
    length, crc = 0, 0
    try:
        connection.request("GET", target)
        response = connection.getresponse()
        if response.status != 200:
            raise RuntimeError(f"OPEN {path}: {response.status} {response.read()!r}")
        while count := response.readinto(buffer):
            crc = crc32c(view[:count], crc)
            length += count
    finally:
        connection.close()
    return length, crc


def _together(calls: Sequence[Callable[[], object]]) -> tuple[float, list[object]]:
    """Seconds to run `calls` at once, and their results."""
    with ThreadPoolExecutor(len(calls)) as pool:
        start = time.perf_counter()
        results = list(pool.map(lambda call: call(), calls))
        return time.perf_counter() - start, results


def _block_files(scratch: Path) -> list[Path]:
    """Every finalized replica file (data and meta) of the cluster's DataNodes."""
    files = [p for p in scratch.glob("*/clusters/*/*/data/datanode/finalized/*") if p.is_file()]
    if not files:  # a cold read must not silently be a warm one
        raise RuntimeError(f"no replica files under {scratch}")
    return files


def _hdfs(namenode: str, scratch: Path, data: bytes, replication: int, files: int) -> Hdfs:
    size = len(data) // files
    parts = [memoryview(data)[n * size : (n + 1) * size] for n in range(files)]
    expected = [(size, crc32c(part)) for part in parts]
    paths = [f"{DIRECTORY}/r{replication}-{files}-{n}" for n in range(files)]
    mib = len(data) / MiB

    def write(n: int) -> Callable[[], object]:
        return lambda: _write_file(namenode, paths[n], parts[n], replication)

    def read(n: int) -> Callable[[], object]:
        return lambda: _read_file(namenode, paths[n])

    write_s, _ = _together([write(n) for n in range(files)])
    warm: list[float] = []
    cold: list[float] = []
    for _ in range(SAMPLES):  # warm first: the blocks as the write left them
        seconds, answers = _together([read(n) for n in range(files)])
        if answers != expected:
            raise RuntimeError(f"read back {answers}, wrote {expected}")
        warm.append(mib / seconds)
    for _ in range(SAMPLES):
        _drop_cache(_block_files(scratch))
        seconds, answers = _together([read(n) for n in range(files)])
        if answers != expected:
            raise RuntimeError(f"read back {answers}, wrote {expected}")
        cold.append(mib / seconds)
    for path in paths:
        response = httpx.delete(
            f"{namenode}/webhdfs/v1{path}", params={"op": "DELETE", "user.name": USER}
        )
        response.raise_for_status()
    return Hdfs(replication, files, mib / write_s, cold, warm)


def _measure() -> tuple[list[Disk], list[Hdfs]]:
    data = hashlib.shake_128(b"emr bench/hdfs").digest(TOTAL)
    with contextlib.ExitStack() as stack:
        scratch = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="emr-bench-hdfs-")))
        disks = [_disk(scratch, data)]
        with emr_server(parent=scratch) as endpoint, emr_cluster(endpoint, "bench-hdfs") as master:
            namenode = f"http://{master}:9870"
            runs = [
                _hdfs(namenode, scratch, data, replication, files)
                for files in FILES
                for replication in REPLICATIONS
            ]
        disks.append(_disk(scratch, data))
    return disks, runs


def _samples(values: Sequence[float]) -> str:
    return " ".join(f"{v:,.0f}" for v in values)


def run() -> list[Result]:
    """Rows for every (files, replication) write and read against the raw disk."""
    disks, runs = _measure()
    writes = [v for d in disks for v in d.write]
    directs = [v for d in disks for v in d.read_direct]
    droppeds = [v for d in disks for v in d.read_dropped]
    cacheds = [v for d in disks for v in d.read_cached]
    write, direct, cached = map(statistics.median, (writes, directs, cacheds))
    print(f"raw disk, MiB/s, {SAMPLES} before and {SAMPLES} after the cluster (median used):")
    print(f"  write dd conv=fsync      {_samples(writes)}  median {write:,.0f}")
    print(f"  read dd iflag=direct     {_samples(directs)}  median {direct:,.0f}")
    print(
        f"  read dd, cache dropped   {_samples(droppeds)}  median {statistics.median(droppeds):,.0f}"
    )
    print(f"  read dd, page cache      {_samples(cacheds)}  median {cached:,.0f}")
    print(f"hdfs reads, MiB/s, {SAMPLES} each (median used):")
    for h in runs:
        print(
            f"  r{h.replication} {h.files} file(s): cache dropped {_samples(h.read_cold)}, "
            f"page cache {_samples(h.read_warm)}"
        )
    results: list[Result] = []
    verdicts: list[str] = []
    for h in runs:
        shape = f"{h.files} x {TOTAL // h.files // MiB} MiB"
        cold, warm = statistics.median(h.read_cold), statistics.median(h.read_warm)
        results += [
            Result(f"hdfs write r{h.replication}, {shape}", "MiB/s", h.write,
                   write / h.replication, f"dd conv=fsync / {h.replication}", True),
            Result(f"hdfs read r{h.replication}, {shape}, cache dropped", "MiB/s", cold,
                   direct, "dd iflag=direct", True),
            Result(f"hdfs read r{h.replication}, {shape}, page cache", "MiB/s", warm,
                   cached, "dd, page cache; no target", True),
        ]  # fmt: skip
        for kind, ratio in (
            ("write", results[-3].ratio),
            ("read (cache dropped)", results[-2].ratio),
        ):
            verdict = "meets" if ratio >= TARGET else "MISSES"
            verdicts.append(f"  {kind} r{h.replication} {shape}: {ratio:.2f} {verdict} it")
    print(f"targets: write >= {TARGET:.2f} x raw/replication, read >= {TARGET:.2f} x raw:")
    print("\n".join(verdicts))
    return results
