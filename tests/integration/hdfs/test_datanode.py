"""The DataNode daemon as real processes beside a real NameNode: WebHDFS writes through the
307 redirect, replicated blocks, full and ranged reads, append, file checksum, a corrupt
replica and a killed DataNode."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from tests.integration.nodedir import TOKEN

from .cluster import DataNodeProcess, start_datanodes
from .conftest import NameNodeProcess

pytestmark = pytest.mark.timeout(90)

BLOCK = 1 << 20  # 1 MiB blocks: a few MiB make several blocks


@pytest.fixture
def cluster(
    namenode_factory: Any, tmp_path: Path
) -> Iterator[Callable[[int], tuple[NameNodeProcess, list[DataNodeProcess]]]]:
    started: list[DataNodeProcess] = []

    def start(count: int) -> tuple[NameNodeProcess, list[DataNodeProcess]]:
        namenode: NameNodeProcess = namenode_factory(
            core_nodes=count,
            site={
                "dfs.blocksize": str(BLOCK),
                "dfs.replication": "2",
                "dfs.namenode.lease-hard-limit-sec": "2",
            },
            args=["--tick", "0.2", "--heartbeat-timeout", "2"],
        )
        datanodes = start_datanodes(tmp_path, namenode, count)
        started.extend(datanodes)
        return namenode, datanodes

    yield start
    for datanode in started:
        datanode.stop(signal.SIGKILL)


def _url(nn: NameNodeProcess, path: str) -> str:
    return f"{nn.url}/webhdfs/v1{path}"


def create(nn: NameNodeProcess, path: str, data: bytes, **params: Any) -> None:
    query = {"op": "CREATE", "user.name": "hdfs", "overwrite": "true", **params}
    redirect = httpx.put(_url(nn, path), params=query, timeout=10)
    assert redirect.status_code == 307, redirect.text
    location = redirect.headers["location"]

    def chunks() -> Iterator[bytes]:  # a chunked body, as streaming clients send it
        for start in range(0, len(data), 300_000):
            yield data[start : start + 300_000]

    written = httpx.put(location, content=chunks(), timeout=30)
    assert written.status_code == 201, written.text
    assert written.headers["location"].startswith("hdfs://127.0.0.1:")
    assert written.headers["location"].endswith(path)
    assert written.content == b""


def append(nn: NameNodeProcess, path: str, data: bytes) -> None:
    query = {"op": "APPEND", "user.name": "hdfs"}
    redirect = httpx.post(_url(nn, path), params=query, timeout=10)
    assert redirect.status_code == 307, redirect.text
    done = httpx.post(redirect.headers["location"], content=data, timeout=30)
    assert done.status_code == 200, done.text


def read(nn: NameNodeProcess, path: str, **params: Any) -> bytes:
    """OPEN as WebHdfsFileSystem does it: a DataNode that refuses the connection (killed, and
    not yet dead to the NameNode) is excluded on the retry."""
    excluded: list[str] = []
    for _ in range(3):
        query = {"op": "OPEN", "user.name": "hdfs", **{k: str(v) for k, v in params.items()}}
        if excluded:
            query["excludedatanodes"] = ",".join(excluded)
        redirect = httpx.get(_url(nn, path), params=query, timeout=30)
        if redirect.status_code != 307:
            assert redirect.status_code == 200, redirect.text
            return redirect.content
        location = redirect.headers["location"]
        try:
            response = httpx.get(location, timeout=30)
        except httpx.ConnectError:
            excluded.append(urlsplit(location).netloc)
            continue
        assert response.status_code == 200, response.text
        return response.content
    raise AssertionError(f"no DataNode served {path}; refused: {excluded}")


def locations(nn: NameNodeProcess, path: str) -> list[list[str]]:
    query = {"op": "GETFILEBLOCKLOCATIONS", "user.name": "hdfs"}
    response = httpx.get(_url(nn, path), params=query, timeout=10)
    assert response.status_code == 200, response.text
    blocks = response.json()["BlockLocations"]["BlockLocation"]
    return [sorted(block["names"]) for block in blocks]


def wait_for(condition: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.2)


def replica_files(datanode: DataNodeProcess) -> set[str]:
    finalized = datanode.store_dir / "finalized"
    return {f.name for f in finalized.iterdir() if not f.name.endswith(".meta")}


def test_write_replicate_read_append_checksum(cluster: Any) -> None:
    nn, datanodes = cluster(2)
    data = os.urandom(3 * BLOCK + 12_345)
    create(nn, "/user/hdfs/f.bin", data)

    blocks = locations(nn, "/user/hdfs/f.bin")
    assert len(blocks) == 4
    ids = sorted(d.datanode_id for d in datanodes)
    assert all(block == ids for block in blocks)
    assert len(replica_files(datanodes[0])) == 4
    assert replica_files(datanodes[0]) == replica_files(datanodes[1])

    assert read(nn, "/user/hdfs/f.bin") == data
    assert (
        read(nn, "/user/hdfs/f.bin", offset=BLOCK - 10, length=BLOCK + 20)
        == (data[BLOCK - 10 : 2 * BLOCK + 10])
    )
    assert read(nn, "/user/hdfs/f.bin", offset=len(data) - 8) == data[-8:]

    more = os.urandom(BLOCK // 2 + 7)
    append(nn, "/user/hdfs/f.bin", more)
    assert read(nn, "/user/hdfs/f.bin") == data + more
    status = httpx.get(
        _url(nn, "/user/hdfs/f.bin"), params={"op": "GETFILESTATUS"}, timeout=10
    ).json()["FileStatus"]
    assert status["length"] == len(data) + len(more)

    query = {"op": "GETFILECHECKSUM", "user.name": "hdfs"}
    answer = httpx.get(_url(nn, "/user/hdfs/f.bin"), params=query, follow_redirects=True)
    assert answer.status_code == 200, answer.text
    checksum = answer.json()["FileChecksum"]
    assert checksum["algorithm"] == "MD5-of-2048MD5-of-512CRC32C"
    assert checksum["length"] == 28 and len(checksum["bytes"]) == 56

    create(nn, "/user/hdfs/empty", b"")
    assert read(nn, "/user/hdfs/empty") == b""
    missing = httpx.get(
        _url(nn, "/nope"), params={"op": "OPEN", "user.name": "hdfs"}, follow_redirects=True
    )
    assert missing.status_code == 404
    assert missing.json()["RemoteException"]["exception"] == "FileNotFoundException"


def test_corrupt_replica_is_skipped_reported_and_replaced(cluster: Any) -> None:
    nn, datanodes = cluster(3)
    data = os.urandom(2 * BLOCK)
    create(nn, "/c.bin", data)
    first = locations(nn, "/c.bin")[0]
    victim = next(d for d in datanodes if d.datanode_id == first[0])
    block_file = sorted(
        (victim.store_dir / "finalized").glob("blk_*[0-9]"), key=lambda f: int(f.name[4:])
    )[0]
    with open(block_file, "r+b") as f:
        f.seek(100)
        f.write(b"\xff" * 16)

    for _ in range(3):  # whichever DataNode serves it, the bytes are right
        assert read(nn, "/c.bin") == data

    def healed() -> bool:
        now = locations(nn, "/c.bin")[0]
        return len(now) == 2 and victim.datanode_id not in now

    # The first read through the victim reports it; until then, ask it directly.
    wait_for(lambda: healed() or read(nn, "/c.bin") != data)
    assert healed()
    assert read(nn, "/c.bin") == data


def test_killed_datanode_reads_survive_and_factor_returns(cluster: Any) -> None:
    nn, datanodes = cluster(3)
    data = os.urandom(3 * BLOCK + 1)
    create(nn, "/k.bin", data)
    victim = datanodes[0]
    victim.stop(signal.SIGKILL)
    # Until the NameNode declares it dead it may still redirect to the victim (a client then
    # retries elsewhere): read through a survivor, which skips the dead replica itself.
    query = {"op": "OPEN", "user.name": "hdfs", "noredirect": "true"}
    location = httpx.get(_url(nn, "/k.bin"), params=query, timeout=10).json()["Location"]
    rest = location.split("/webhdfs/", 1)[1]
    through = httpx.get(f"http://{datanodes[1].datanode_id}/webhdfs/{rest}", timeout=30)
    assert through.status_code == 200, through.text
    assert through.content == data

    survivors = sorted(d.datanode_id for d in datanodes[1:])

    def restored() -> bool:
        return all(block == survivors for block in locations(nn, "/k.bin"))

    wait_for(restored)
    assert read(nn, "/k.bin") == data


#: A WebHDFS client in a process of its own: sends argv[3] bytes of zeros with method
#: argv[1] to the DataNode URL argv[2], says so, then stalls until it is killed.
STALLED_CLIENT = """
import sys, time, httpx
def body():
    yield bytes(int(sys.argv[3]))
    print("sent", flush=True)
    time.sleep(120)
    yield b"never"
httpx.request(sys.argv[1], sys.argv[2], content=body(), timeout=180)
"""


@contextlib.contextmanager
def stalled_client(method: str, location: str, size: int) -> Iterator[None]:
    """A client that has sent `size` bytes of a write and stalls; killed at the end."""
    client = subprocess.Popen(
        [sys.executable, "-c", STALLED_CLIENT, method.upper(), location, str(size)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert client.stdout is not None
        assert client.stdout.readline() == "sent\n"
        yield
    finally:
        client.kill()
        client.wait(10)
        if client.stdout is not None:
            client.stdout.close()


def under_construction(nn: NameNodeProcess, path: str) -> bool:
    """Whether the file is open for write (the DataNodes' view of it)."""
    body = {"path": path, "user": "hdfs", "client": "test"}
    headers = {"Authorization": f"Bearer {TOKEN}"}
    url = f"{nn.url}/_dn/v1/block-locations"
    located = httpx.post(url, json=body, headers=headers, timeout=10).json()
    return bool(located["under_construction"])


@pytest.mark.parametrize("failure", ["writer DataNode killed", "client killed"])
def test_an_abandoned_write_has_its_lease_recovered(cluster: Any, failure: str) -> None:
    """The file of a write that ends without closing it is closed by the NameNode after the
    lease hard limit (2 s here), with the blocks its replicas finalized; then it can be
    overwritten."""
    nn, datanodes = cluster(3)
    size = 2 * BLOCK + 1000  # two blocks are finalized, the third is not
    query = {"op": "CREATE", "user.name": "hdfs", "replication": "2"}
    location = httpx.put(_url(nn, "/lease.bin"), params=query, timeout=10).headers["location"]
    writer = next(d for d in datanodes if d.datanode_id in location)
    with stalled_client("put", location, size):
        # Two blocks listed: the second got its length when the third was added.
        wait_for(lambda: len(locations(nn, "/lease.bin")) == 2)
        assert under_construction(nn, "/lease.bin")
        if failure == "writer DataNode killed":
            writer.stop(signal.SIGKILL)
    wait_for(lambda: not under_construction(nn, "/lease.bin"))
    assert read(nn, "/lease.bin") == bytes(2 * BLOCK)
    create(nn, "/lease.bin", b"overwritten")
    assert read(nn, "/lease.bin") == b"overwritten"


def test_truncate_inside_a_block_cuts_the_replicas(cluster: Any) -> None:
    """The holders cut their replica under a new generation stamp; the file closes with the
    new length, reads and appends go on from there, and every replica agrees."""
    nn, datanodes = cluster(3)
    data = os.urandom(3 * BLOCK + 1000)
    create(nn, "/t.bin", data)
    new_length = BLOCK + 12345
    query = {"op": "TRUNCATE", "user.name": "hdfs", "newlength": str(new_length)}
    answer = httpx.post(_url(nn, "/t.bin"), params=query, timeout=10)
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"boolean": False}  # not done at once: block recovery runs
    wait_for(lambda: not under_construction(nn, "/t.bin"))
    assert read(nn, "/t.bin") == data[:new_length]
    append(nn, "/t.bin", b"after the cut")
    assert read(nn, "/t.bin") == data[:new_length] + b"after the cut"
    wait_for(lambda: all(len(block) == 2 for block in locations(nn, "/t.bin")))
    for datanode in datanodes:  # each replica of the cut block reads the same
        url = f"http://{datanode.datanode_id}/webhdfs/v1/t.bin"
        response = httpx.get(url, params={"op": "OPEN", "user.name": "hdfs"}, timeout=30)
        assert response.content == data[:new_length] + b"after the cut"


def test_an_append_whose_writer_dies_keeps_the_acknowledged_bytes(cluster: Any) -> None:
    """An APPEND cut off before it finalized: the lease is recovered, the replicas still at
    the older stamp are rolled forward, and the file reads as it was before the append."""
    nn, datanodes = cluster(3)
    data = os.urandom(BLOCK // 2)
    create(nn, "/appended.bin", data)
    holders = locations(nn, "/appended.bin")[0]
    query = {"op": "APPEND", "user.name": "hdfs"}
    location = httpx.post(_url(nn, "/appended.bin"), params=query, timeout=10).headers["location"]
    writer = next(d for d in datanodes if d.datanode_id in location)
    with stalled_client("post", location, 5000):
        assert under_construction(nn, "/appended.bin")
        # The node writing the append dies; if it held no replica, the first holder does.
        victim = (
            writer
            if writer.datanode_id in holders
            else next(d for d in datanodes if d.datanode_id == holders[0])
        )
        victim.stop(signal.SIGKILL)
    wait_for(lambda: not under_construction(nn, "/appended.bin"))
    assert read(nn, "/appended.bin") == data
    survivors = sorted(d.datanode_id for d in datanodes if d is not victim)
    wait_for(lambda: locations(nn, "/appended.bin") == [survivors])
    append(nn, "/appended.bin", b"and more")
    assert read(nn, "/appended.bin") == data + b"and more"
