"""`hdfs fsck` and `hdfs dfsadmin` as subprocesses against a real NameNode and DataNodes:
health, a killed DataNode, a corrupt replica, decommissioning through the exclude file, safe
mode, refused callers, and a NameNode that is down."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.integration.nodedir import TOKEN

from .cluster import DataNodeProcess, start_datanodes
from .conftest import NameNodeProcess

pytestmark = pytest.mark.timeout(120)

BLOCK = 1 << 16  # 64 KiB blocks: a few hundred KiB make several blocks

_RUNNER = """
import sys
from emr.hdfs.shell.admin import dfsadmin_main, fsck_main
from emr.hdfs.site import HadoopConf
tool, address, user, *args = sys.argv[1:]
main = fsck_main if tool == "fsck" else dfsadmin_main
sys.exit(main(args, HadoopConf({"dfs.namenode.http-address": address}), user))
"""


@dataclass
class Cli:
    """Runs `hdfs fsck` / `hdfs dfsadmin` in a subprocess against one NameNode."""

    address: str

    def run(self, tool: str, *args: str, user: str = "hdfs") -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-c", _RUNNER, tool, self.address, user, *args],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    def fsck(self, *args: str, user: str = "hdfs") -> subprocess.CompletedProcess[str]:
        return self.run("fsck", *args, user=user)

    def dfsadmin(self, *args: str, user: str = "hdfs") -> subprocess.CompletedProcess[str]:
        return self.run("dfsadmin", *args, user=user)


@dataclass
class Cluster:
    namenode: NameNodeProcess
    datanodes: list[DataNodeProcess]
    cli: Cli
    exclude: Path
    add_datanode: Callable[[], DataNodeProcess]


@pytest.fixture
def cluster(namenode_factory: Any, tmp_path: Path) -> Iterator[Callable[[int], Cluster]]:
    started: list[DataNodeProcess] = []

    def start(count: int) -> Cluster:
        exclude = tmp_path / "dfs.hosts.exclude"
        namenode: NameNodeProcess = namenode_factory(
            core_nodes=count,
            site={
                "dfs.blocksize": str(BLOCK),
                "dfs.replication": "2",
                "dfs.hosts.exclude": str(exclude),
            },
            args=["--tick", "0.2", "--heartbeat-timeout", "2"],
        )
        datanodes = start_datanodes(tmp_path, namenode, count)
        started.extend(datanodes)

        def add_datanode() -> DataNodeProcess:
            (added,) = start_datanodes(tmp_path / f"more{len(started)}", namenode, 1)
            started.append(added)
            return added

        cli = Cli(f"127.0.0.1:{namenode.http_port}")
        return Cluster(namenode, datanodes, cli, exclude, add_datanode)

    yield start
    for datanode in started:
        datanode.stop(signal.SIGKILL)


def _url(nn: NameNodeProcess, path: str) -> str:
    return f"{nn.url}/webhdfs/v1{path}"


def create(nn: NameNodeProcess, path: str, data: bytes) -> None:
    query = {"op": "CREATE", "user.name": "hdfs", "overwrite": "true"}
    redirect = httpx.put(_url(nn, path), params=query, timeout=10)
    assert redirect.status_code == 307, redirect.text
    written = httpx.put(redirect.headers["location"], content=data, timeout=30)
    assert written.status_code == 201, written.text


def read(nn: NameNodeProcess, path: str, via: str | None = None) -> bytes:
    """The file's bytes, through the DataNode the NameNode picks or through `via`."""
    query = {"op": "OPEN", "user.name": "hdfs", "noredirect": "true"}
    location = httpx.get(_url(nn, path), params=query, timeout=10).json()["Location"]
    if via is not None:
        location = f"http://{via}/webhdfs/{location.split('/webhdfs/', 1)[1]}"
    response = httpx.get(location, timeout=30)
    assert response.status_code == 200, response.text
    return response.content


def locations(nn: NameNodeProcess, path: str) -> list[list[str]]:
    query = {"op": "GETFILEBLOCKLOCATIONS", "user.name": "hdfs"}
    response = httpx.get(_url(nn, path), params=query, timeout=10)
    assert response.status_code == 200, response.text
    return [b["names"] for b in response.json()["BlockLocations"]["BlockLocation"]]


def wait_for(condition: Callable[[], bool], timeout: float = 45.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.2)


def last_line(text: str) -> str:
    return text.rstrip("\n").rsplit("\n", 1)[-1]


def node_status(report: str, datanode_id: str) -> str:
    """The `Decommission Status` of one node in `dfsadmin -report`'s output."""
    match = re.search(rf"Name: {re.escape(datanode_id)} .*\n.*\nDecommission Status : (.*)", report)
    assert match, report
    return match.group(1)


def test_fsck_and_report_follow_a_killed_datanode_until_it_is_replaced(
    cluster: Callable[[int], Cluster],
) -> None:
    c = cluster(2)
    nn, cli = c.namenode, c.cli
    big, small = os.urandom(3 * BLOCK + 100), b"small file\n"
    create(nn, "/user/hdfs/big.bin", big)
    create(nn, "/user/hdfs/small.txt", small)

    fresh = cli.fsck("/")
    assert fresh.returncode == 0, fresh.stderr
    assert fresh.stderr.startswith(f"Connecting to namenode via http://{cli.address}/fsck?ugi=hdfs")
    assert "&path=%2F" in fresh.stderr
    lines = fresh.stdout.splitlines()
    assert re.fullmatch(
        r"FSCK started by hdfs \(auth:SIMPLE\) from /127\.0\.0\.1 for path / at .+", lines[0]
    )
    assert "Status: HEALTHY" in lines
    assert " Number of data-nodes:\t2" in lines
    assert " Total files:\t2" in lines
    assert " Total blocks (validated):\t5 (avg. block size 39343 B)" in lines
    assert " Average block replication:\t2.0" in lines
    assert lines[-1] == "The filesystem under path '/' is HEALTHY"

    report = cli.dfsadmin("-report")
    assert report.returncode == 0, report.stderr
    assert "Live datanodes (2):" in report.stdout
    assert "Dead datanodes" not in report.stdout
    assert "\tUnder replicated blocks: 0" in report.stdout
    beans = httpx.get(f"{nn.url}/jmx", params={"qry": "Hadoop:service=NameNode,*"}).json()
    by_name = {b["name"].rsplit("=", 1)[1]: b for b in beans["beans"]}
    assert set(by_name) == {"NameNodeInfo", "FSNamesystem", "FSNamesystemState", "NameNodeStatus"}
    assert by_name["NameNodeStatus"]["State"] == "active"
    info = by_name["NameNodeInfo"]
    assert info["Safemode"] == "" and info["TotalBlocks"] == 5
    assert info["Total"] == info["Used"] + info["Free"] + info["NonDfsUsedSpace"]
    live_nodes = json.loads(info["LiveNodes"])
    assert sorted(live_nodes) == sorted(d.datanode_id for d in c.datanodes)
    assert {n["adminState"] for n in live_nodes.values()} == {"In Service"}
    assert by_name["FSNamesystem"]["NumLiveDataNodes"] == 2

    victim = c.datanodes[0]
    victim.stop(signal.SIGKILL)
    wait_for(lambda: "Dead datanodes (1):" in cli.dfsadmin("-report").stdout)
    report = cli.dfsadmin("-report")
    assert "Live datanodes (1):" in report.stdout
    assert f"Name: {victim.datanode_id} (127.0.0.1)" in report.stdout.split("Dead datanodes")[1]
    assert "\tUnder replicated blocks: 5" in report.stdout

    under = cli.fsck("/user/hdfs", "-files")
    assert under.returncode == 0  # under-replicated is still HEALTHY, as in Hadoop
    assert re.search(
        r"/user/hdfs/small\.txt 11 bytes, replicated: replication=2, 1 block\(s\):  Under "
        r"replicated BP-\d+-127\.0\.0\.1-\d+:blk_\d+_\d+\. Target Replicas is 2 but found 1 live "
        r"replica\(s\), 0 decommissioned replica\(s\), 0 decommissioning replica\(s\)\.",
        under.stdout,
    ), under.stdout
    assert " Under-replicated blocks:\t5 (100.0 %)" in under.stdout
    assert " Missing replicas:\t\t5 (50.0 %)" in under.stdout

    c.add_datanode()  # a replacement joins
    wait_for(lambda: " Under-replicated blocks:\t0 (0.0 %)" in cli.fsck("/").stdout)
    healed = cli.fsck("/")
    assert healed.returncode == 0 and last_line(healed.stdout).endswith("is HEALTHY")
    assert read(nn, "/user/hdfs/big.bin") == big
    for block in locations(nn, "/user/hdfs/big.bin"):
        assert len(block) == 2 and victim.datanode_id not in block
    jmx = httpx.get(f"{nn.url}/jmx", timeout=10).json()["beans"]
    state = next(b for b in jmx if b["name"] == "Hadoop:service=NameNode,name=FSNamesystemState")
    assert (state["NumLiveDataNodes"], state["NumDeadDataNodes"]) == (2, 1)
    assert state["UnderReplicatedBlocks"] == 0 and state["FSState"] == "Operational"


def test_corrupt_replica_is_read_around_listed_and_replaced(
    cluster: Callable[[int], Cluster],
) -> None:
    c = cluster(3)
    nn, cli = c.namenode, c.cli
    data = os.urandom(2 * BLOCK)
    create(nn, "/c.bin", data)
    victim = next(d for d in c.datanodes if d.datanode_id == locations(nn, "/c.bin")[0][0])
    block_file = min(
        (victim.store_dir / "finalized").glob("blk_*[0-9]"), key=lambda f: int(f.name[4:])
    )
    with open(block_file, "r+b") as f:
        f.seek(100)
        f.write(b"\xff" * 16)

    # Safe mode holds the NameNode's repairs, so the corrupt replica stays to be seen.
    assert cli.dfsadmin("-safemode", "enter").stdout == "Safe mode is ON\n"
    assert read(nn, "/c.bin", via=victim.datanode_id) == data  # the victim reads around it

    def corrupt_listed() -> bool:
        out = cli.fsck("/c.bin", "-files", "-blocks", "-replicaDetails").stdout
        return f"DatanodeInfoWithStorage[{victim.datanode_id}," in out and "(CORRUPT)" in out

    wait_for(corrupt_listed)
    listed = cli.fsck("/c.bin", "-files", "-blocks", "-replicaDetails")
    assert listed.returncode == 0  # one good replica left: not a corrupt block
    assert "Target Replicas is 2 but found 1 live replica(s)" in listed.stdout
    assert re.search(
        r"0\. BP-\S+ len=65536 Live_repl=1 \[.*\(LIVE\), .*\(CORRUPT\)\]", listed.stdout
    )
    report = cli.dfsadmin("-report")
    assert "Safe mode is ON" in report.stdout
    assert "\tBlocks with corrupt replicas: 1" in report.stdout

    assert cli.dfsadmin("-safemode", "leave").stdout == "Safe mode is OFF\n"

    def healed() -> bool:
        out = cli.fsck("/c.bin", "-files", "-blocks", "-locations").stdout
        return "(CORRUPT)" not in out and out.count("Live_repl=2") == 2

    wait_for(healed)
    first = locations(nn, "/c.bin")[0]
    assert len(first) == 2 and victim.datanode_id not in first
    assert read(nn, "/c.bin") == data


def test_decommission_through_the_exclude_file_and_back(
    cluster: Callable[[int], Cluster],
) -> None:
    c = cluster(3)
    nn, cli = c.namenode, c.cli
    files = {f"/data/part-{n}": os.urandom(2 * BLOCK + n) for n in range(3)}
    for path, data in files.items():
        create(nn, path, data)
    victim = next(d for d in c.datanodes if d.datanode_id == locations(nn, "/data/part-0")[0][0])

    # In safe mode nothing is copied, so the node stays "in progress" until we leave it.
    assert cli.dfsadmin("-safemode", "enter").returncode == 0
    c.exclude.write_text(f"# draining\n{victim.datanode_id}\n")
    refreshed = cli.dfsadmin("-refreshNodes")
    assert (refreshed.returncode, refreshed.stdout) == (0, "Refresh nodes successful\n")
    report = cli.dfsadmin("-report")
    assert node_status(report.stdout, victim.datanode_id) == "Decommission in progress"
    assert "Decommissioning datanodes (1):" in report.stdout
    decommissioning = cli.dfsadmin("-report", "-decommissioning").stdout
    assert "Live datanodes" not in decommissioning and victim.datanode_id in decommissioning
    beans = httpx.get(
        f"{nn.url}/jmx", params={"qry": "Hadoop:service=NameNode,name=NameNodeInfo"}, timeout=10
    ).json()["beans"]
    decom_nodes = json.loads(beans[0]["DecomNodes"])
    assert [n["xferaddr"] for n in decom_nodes.values()] == [victim.datanode_id]
    during = cli.fsck("/data")
    assert " DecommissioningReplicas:\t" in during.stdout

    assert cli.dfsadmin("-safemode", "leave").returncode == 0
    wait_for(
        lambda: node_status(cli.dfsadmin("-report").stdout, victim.datanode_id) == "Decommissioned"
    )
    for path, data in files.items():
        assert read(nn, path) == data
        for block in locations(nn, path):
            assert len([n for n in block if n != victim.datanode_id]) == 2
    done = cli.fsck("/data")
    assert done.returncode == 0 and " DecommissionedReplicas:\t" in done.stdout

    c.exclude.write_text("")
    assert cli.dfsadmin("-refreshNodes").returncode == 0
    assert node_status(cli.dfsadmin("-report").stdout, victim.datanode_id) == "Normal"
    wait_for(lambda: all(len(b) == 2 for p in files for b in locations(nn, p)))


def test_safe_mode_and_refusals(cluster: Callable[[int], Cluster]) -> None:
    c = cluster(1)
    nn, cli = c.namenode, c.cli
    assert cli.dfsadmin("-safemode", "get").stdout == "Safe mode is OFF\n"
    assert cli.dfsadmin("-safemode", "get", user="alice").stdout == "Safe mode is OFF\n"

    refused = cli.dfsadmin("-safemode", "enter", user="alice")
    assert refused.returncode == 255
    assert refused.stderr == (
        "safemode: Access denied for user alice. Superuser privilege is required\n"
    )
    raw = httpx.put(
        f"{nn.url}/_admin/v1/safemode", params={"action": "enter", "user.name": "alice"}
    )
    assert raw.status_code == 403
    assert "application/json" not in raw.headers.get("content-type", "")
    assert raw.json()["RemoteException"]["exception"] == "AccessControlException"

    with_token = httpx.get(
        f"{nn.url}/_admin/v1/datanodes",
        headers={"Authorization": f"Bearer {TOKEN}"},
        params={"user.name": "alice"},
    )
    assert with_token.status_code == 200  # the cluster's token is the superuser's
    assert [n["datanodeId"] for n in with_token.json()["DatanodeReports"]] == [
        c.datanodes[0].datanode_id
    ]

    assert cli.dfsadmin("-safemode", "enter").stdout == "Safe mode is ON\n"
    mkdir = httpx.put(_url(nn, "/x"), params={"op": "MKDIRS", "user.name": "hdfs"}, timeout=10)
    assert mkdir.json()["RemoteException"]["exception"] == "SafeModeException"
    assert cli.dfsadmin("-safemode", "leave").stdout == "Safe mode is OFF\n"
    assert cli.dfsadmin("-safemode", "wait").stdout == "Safe mode is OFF\n"

    report = cli.dfsadmin("-report", user="alice")
    assert report.returncode == 255
    assert report.stdout.rstrip("\n").endswith("-------------------------------------------------")
    assert (
        report.stderr == "report: Access denied for user alice. Superuser privilege is required\n"
    )
    nodes = cli.dfsadmin("-refreshNodes", user="alice")
    assert nodes.returncode == 255 and nodes.stderr.startswith("refreshNodes: Access denied")

    mkdir = httpx.put(
        _url(nn, "/private"), params={"op": "MKDIRS", "user.name": "hdfs", "permission": "700"}
    )
    assert mkdir.status_code == 200
    denied = cli.fsck("/private", user="alice")
    assert denied.returncode == 255
    assert "Permission denied: user=alice, access=READ_EXECUTE" in denied.stdout
    assert last_line(denied.stdout) == "Fsck on path '/private' FAILED"
    missing = cli.fsck("/nope")
    assert (missing.returncode, last_line(missing.stdout)) == (0, "Path '/nope' does not exist")


def test_clis_report_a_namenode_that_is_down(cluster: Callable[[int], Cluster]) -> None:
    c = cluster(1)
    c.namenode.stop()
    fsck = c.cli.fsck("/")
    assert fsck.returncode == 255
    assert "fsck: Call to " in fsck.stderr and "Connection refused" in fsck.stderr
    report = c.cli.dfsadmin("-report")
    assert report.returncode == 255
    assert report.stderr.startswith("report: Call to ") and "Connection refused" in report.stderr
