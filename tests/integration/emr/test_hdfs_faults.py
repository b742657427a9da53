"""HDFS under faults, each test on a cluster of its own: 1 master + 4 core nodes, so replication 2
(EMR's default for 4 core nodes), 1 MiB blocks, and DataNodes declared dead after 15 s of
silence (hdfs-site: 2 x 2.5 s recheck + 10 x 1 s heartbeat, Hadoop's formula)."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import psutil
import pytest

from tests.conftest import RunningServer
from tests.integration.emr.conftest import dedicated_cluster

pytestmark = pytest.mark.integration

BLOCK = 1 << 20
PIECE = 64 << 10
HDFS_SITE = {
    "Classification": "hdfs-site",
    "Properties": {
        "dfs.blocksize": str(BLOCK),
        "dfs.namenode.heartbeat.recheck-interval": "2500",
        "dfs.heartbeat.interval": "1",
    },
}
#: Dead after 15 s, re-replication within a few ticks after that.
HEAL_DEADLINE_S = 120
USER = {"user.name": "hadoop"}


def payload(size: int, seed: int) -> bytes:
    return random.Random(seed).randbytes(size)


@dataclass
class HdfsCluster:
    emr: Any
    cluster_id: str
    namenode: str  # http://<master>:9870

    def url(self, path: str) -> str:
        return f"{self.namenode}/webhdfs/v1{path}"

    def datanode_process(self, datanode: str) -> psutil.Process:
        """The DataNode process serving `ip:port`, found by its node's instance."""
        ip = datanode.rsplit(":", 1)[0]
        instances = self.emr.list_instances(ClusterId=self.cluster_id)["Instances"]
        instance_id = next(i["Ec2InstanceId"] for i in instances if i["PrivateIpAddress"] == ip)
        for process in psutil.process_iter(["cmdline"]):
            cmdline = " ".join(process.info["cmdline"] or [])
            if "emr.hdfs.datanode" in cmdline and f"/{instance_id}" in cmdline:
                return process
        raise AssertionError(f"no DataNode process for {datanode}")

    def store_dir(self, datanode: str) -> Path:
        cmdline = self.datanode_process(datanode).cmdline()
        node_dir = Path(cmdline[cmdline.index("--node-dir") + 1])
        return node_dir / "data" / "datanode" / "finalized"

    def datanodes(self) -> list[str]:
        groups = ["CORE"]
        instances = self.emr.list_instances(ClusterId=self.cluster_id, InstanceGroupTypes=groups)
        return [f"{i['PrivateIpAddress']}:9864" for i in instances["Instances"]]

    def pipeline_peer(self, writer: str) -> str:
        """The other DataNode of the block `writer` is writing now: the one node besides it
        with a replica being written (in its store's rbw/)."""
        deadline = time.monotonic() + 30
        while True:
            writing = [
                datanode
                for datanode in self.datanodes()
                if datanode != writer
                and any(
                    path.name.startswith("blk_") and not path.name.endswith(".meta")
                    for path in (self.store_dir(datanode).parent / "rbw").iterdir()
                )
            ]
            if len(writing) == 1:
                return writing[0]
            assert time.monotonic() < deadline, f"no single pipeline peer: {writing}"
            time.sleep(0.1)

    def kill(self, datanode: str) -> None:
        process = self.datanode_process(datanode)
        process.kill()
        process.wait(10)

    def block_locations(self, client: httpx.Client, path: str) -> list[dict[str, Any]]:
        response = client.get(self.url(path), params={"op": "GETFILEBLOCKLOCATIONS", **USER})
        assert response.status_code == 200, response.text
        blocks: list[dict[str, Any]] = response.json()["BlockLocations"]["BlockLocation"]
        return blocks

    def read(self, client: httpx.Client, path: str) -> bytes:
        """OPEN as WebHdfsFileSystem does it: a DataNode that refuses the connection (killed,
        and not yet dead to the NameNode) is excluded on the retry."""
        excluded: list[str] = []
        for _ in range(3):
            params = {"op": "OPEN", **USER, "excludedatanodes": ",".join(excluded)}
            redirect = client.get(self.url(path), params=params)
            assert redirect.status_code == 307, redirect.text
            location = redirect.headers["location"]
            try:
                response = client.get(location)
            except httpx.ConnectError:
                excluded.append(urlsplit(location).netloc)
                continue
            assert response.status_code == 200, response.text
            return response.content
        raise AssertionError(f"no DataNode served {path}; refused: {excluded}")

    def create(self, client: httpx.Client, path: str, data: bytes) -> str:
        """Write a file through the DataNode the NameNode picks; that DataNode's id."""
        location = self.redirect(client, path)
        assert client.put(location, content=data).status_code == 201
        return urlsplit(location).netloc

    def redirect(self, client: httpx.Client, path: str) -> str:
        params = {"op": "CREATE", "replication": "2", "overwrite": "true", **USER}
        response = client.put(self.url(path), params=params)
        assert response.status_code == 307, response.text
        return response.headers["location"]

    def wait_healed(
        self, client: httpx.Client, path: str, dead: set[str], blocks: int
    ) -> list[dict[str, Any]]:
        """Until every block of `path` has 2 live replicas, none on a `dead` node."""
        deadline = time.monotonic() + HEAL_DEADLINE_S
        while True:
            located = self.block_locations(client, path)
            names = [set(b["names"]) for b in located]
            if len(located) == blocks and all(len(n) == 2 and not n & dead for n in names):
                return located
            assert time.monotonic() < deadline, f"not re-replicated: {names}"
            time.sleep(0.5)


@pytest.fixture
def hdfs_cluster(region: RunningServer) -> Iterator[HdfsCluster]:
    emr = region.client("emr")
    with dedicated_cluster(emr, "hdfs-faults", core=4, configurations=[HDFS_SITE]) as cluster:
        namenode = f"http://{cluster['MasterPublicDnsName']}:9870"
        yield HdfsCluster(emr, cluster["Id"], namenode)


def test_a_datanode_killed_while_a_client_writes(hdfs_cluster: HdfsCluster) -> None:
    """The downstream DataNode of the block being written dies: the write goes on without it
    and is acknowledged, nothing is lost, and the factor 2 comes back on the survivors."""
    cluster = hdfs_cluster
    earlier, data = payload(3 * BLOCK + 5, seed=1), payload(12 * BLOCK + 12345, seed=2)
    reached, resume = threading.Event(), threading.Event()

    def body() -> Iterator[bytes]:
        for start in range(0, len(data), PIECE):
            if start == 5 * BLOCK + 3 * PIECE:
                reached.set()
                resume.wait(60)
            yield data[start : start + PIECE]

    outcome: dict[str, Any] = {}

    def write(location: str) -> None:
        with httpx.Client(timeout=120) as writer:
            try:
                outcome["status"] = writer.put(location, content=body()).status_code
            except httpx.HTTPError as exc:
                outcome["error"] = exc

    with httpx.Client(timeout=30) as client:
        cluster.create(client, "/user/hadoop/earlier.bin", earlier)
        location = cluster.redirect(client, "/user/hadoop/big.bin")
        writer_node = urlsplit(location).netloc
        thread = threading.Thread(target=write, args=(location,))
        thread.start()
        try:
            assert reached.wait(60), "the write did not start"
            victim = cluster.pipeline_peer(writer_node)
            cluster.kill(victim)
        finally:
            resume.set()
            thread.join(120)
        assert outcome == {"status": 201}
        assert cluster.read(client, "/user/hadoop/big.bin") == data
        assert cluster.read(client, "/user/hadoop/earlier.bin") == earlier
        located = cluster.wait_healed(client, "/user/hadoop/big.bin", {victim}, blocks=13)
        assert all(block["names"][0] for block in located)
        cluster.wait_healed(client, "/user/hadoop/earlier.bin", {victim}, blocks=4)
        assert cluster.read(client, "/user/hadoop/big.bin") == data


def test_datanodes_killed_while_a_client_reads(hdfs_cluster: HdfsCluster) -> None:
    """A replica's node dies under a read (the serving DataNode fails over to the other
    replica), then the serving DataNode itself dies (the client resumes at its offset,
    excluding it, as WebHdfsFileSystem does); the factor 2 comes back on the survivors."""
    cluster = hdfs_cluster
    data = payload(10 * BLOCK + 777, seed=3)
    with httpx.Client(timeout=30) as client:
        holder = cluster.create(client, "/user/hadoop/read.bin", data)  # it has every block
        names = {
            n for b in cluster.block_locations(client, "/user/hadoop/read.bin") for n in b["names"]
        }
        serving = sorted(names - {holder})[0]
        # 1. Read through `serving`; kill `holder`, the one node with every block, mid-read.
        received = bytearray()
        url = f"http://{serving}/webhdfs/v1/user/hadoop/read.bin"
        with client.stream("GET", url, params={"op": "OPEN", **USER}) as response:
            assert response.status_code == 200
            for piece in response.iter_bytes(PIECE):
                received += piece
                if len(received) >= 2 * BLOCK and holder:
                    cluster.kill(holder)
                    holder, killed = "", holder
        assert bytes(received) == data
        # The factor comes back without the killed node before the second fault.
        cluster.wait_healed(client, "/user/hadoop/read.bin", {killed}, blocks=11)
        # 2. Read through the NameNode's pick and kill that DataNode mid-read.
        received = bytearray()
        params = {"op": "OPEN", **USER}
        first = client.get(cluster.url("/user/hadoop/read.bin"), params=params)
        assert first.status_code == 307
        reader = urlsplit(first.headers["location"]).netloc
        alive = True
        try:
            with client.stream("GET", first.headers["location"]) as response:
                for piece in response.iter_bytes(PIECE):
                    received += piece
                    if len(received) >= 4 * BLOCK and alive:
                        cluster.kill(reader)
                        alive = False
        except httpx.HTTPError:
            pass  # cut off: resume where it stopped, without that DataNode
        assert len(received) < len(data)
        resumed = client.get(
            cluster.url("/user/hadoop/read.bin"),
            params={**params, "offset": len(received), "excludedatanodes": reader},
            follow_redirects=True,
        )
        assert resumed.status_code == 200, resumed.text
        assert bytes(received) + resumed.content == data
        cluster.wait_healed(client, "/user/hadoop/read.bin", {killed, reader}, blocks=11)
        assert cluster.read(client, "/user/hadoop/read.bin") == data


def test_a_corrupt_replica_is_skipped_reported_and_replaced(hdfs_cluster: HdfsCluster) -> None:
    cluster = hdfs_cluster
    data = payload(4 * BLOCK, seed=4)
    with httpx.Client(timeout=30) as client:
        holder = cluster.create(client, "/user/hadoop/corrupt.bin", data)
        # Flip a byte in the middle of one of the writer's replicas, on disk.
        replica = sorted(cluster.store_dir(holder).glob("blk_*[0-9]"))[1]
        original = replica.read_bytes()
        index = next(k for k in range(4) if data[k * BLOCK : (k + 1) * BLOCK] == original)
        damaged = bytearray(original)
        damaged[BLOCK // 2] ^= 0xFF
        replica.write_bytes(bytes(damaged))
        # Read through the damaged node: it fails its checksums there and comes from the other.
        url = f"http://{holder}/webhdfs/v1/user/hadoop/corrupt.bin"
        response = client.get(url, params={"op": "OPEN", **USER})
        assert response.status_code == 200, response.text
        assert response.content == data
        # Reported: replaced by a good replica elsewhere, and the bad one removed.
        deadline = time.monotonic() + HEAL_DEADLINE_S
        while replica.exists() and replica.read_bytes() != original:
            assert time.monotonic() < deadline, "the corrupt replica was not removed"
            time.sleep(0.5)
        located = cluster.wait_healed(client, "/user/hadoop/corrupt.bin", set(), blocks=4)
        assert not any(block["corrupt"] for block in located)
        assert len(located[index]["names"]) == 2
        assert cluster.read(client, "/user/hadoop/corrupt.bin") == data
