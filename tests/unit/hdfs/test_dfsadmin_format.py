"""`hdfs dfsadmin -report`'s formats (Hadoop's StringUtils.byteDesc, DFSAdmin.report,
DatanodeInfo.getDatanodeReport), fsck's exit codes, and the CLIs' answers without a NameNode."""

from __future__ import annotations

import io
import socket
from datetime import datetime

import pytest

from emr.hdfs.shell.admin import (
    byte_desc,
    datanode_report,
    dfsadmin_main,
    fsck_exit_code,
    fsck_main,
    report_summary,
)
from emr.hdfs.site import HadoopConf

CONTACT_MS = 1_700_000_000_000


@pytest.mark.parametrize(
    ("size", "text"),
    [
        (0, "0 B"),
        (1023, "1023 B"),
        (1024, "1 KB"),
        (36_864, "36 KB"),
        (1_048_575, "1.00 MB"),
        (5_283_963, "5.04 MB"),
        (126_421_467_136, "117.74 GB"),
        (1_215_238_594_560, "1.11 TB"),
        (3 << 50, "3 PB"),
    ],
)
def test_byte_desc(size: int, text: str) -> None:
    assert byte_desc(size) == text


def test_report_summary() -> None:
    info = {"Total": 54_716_792_832, "Used": 40_960, "Free": 39_475_204_096}
    fs = {
        "UnderReplicatedBlocks": 3,
        "CorruptBlocks": 1,
        "MissingBlocks": 0,
        "MissingReplOneBlocks": 0,
        "HighestPriorityLowRedundancyReplicatedBlocks": 2,
        "PendingDeletionBlocks": 0,
    }
    assert report_summary(info, fs, safe_mode=False) == [
        "Configured Capacity: 54716792832 (50.96 GB)",
        "Present Capacity: 39475245056 (36.76 GB)",
        "DFS Remaining: 39475204096 (36.76 GB)",
        "DFS Used: 40960 (40 KB)",
        "DFS Used%: 0.00%",
        "Replicated Blocks:",
        "\tUnder replicated blocks: 3",
        "\tBlocks with corrupt replicas: 1",
        "\tMissing blocks: 0",
        "\tMissing blocks (with replication factor 1): 0",
        "\tLow redundancy blocks with highest priority to recover: 2",
        "\tPending deletion blocks: 0",
        "Erasure Coded Block Groups: ",
        "\tLow redundancy block groups: 0",
        "\tBlock groups with corrupt internal blocks: 0",
        "\tMissing block groups: 0",
        "\tLow redundancy blocks with highest priority to recover: 0",
        "\tPending deletion blocks: 0",
        "",
        "-------------------------------------------------",
    ]
    empty = report_summary({"Total": 0, "Used": 0, "Free": 0}, fs, safe_mode=True)
    assert empty[:2] == ["Safe mode is ON", "Configured Capacity: 0 (0 B)"]
    assert "DFS Used%: 0.00%" in empty


def test_datanode_report() -> None:
    node = {
        "datanodeId": "10.0.1.13:9866",
        "hostname": "dl13",
        "alive": True,
        "adminState": "Decommission In Progress",
        "capacity": 210_304_475_136,
        "dfsUsed": 5_589_286_912,
        "remaining": 177_215_995_904,
        "nonDfsUsed": 27_499_192_320,
        "lastContact": CONTACT_MS,
        "lastBlockReport": 0,
        "numBlocks": 39,
    }
    lines = datanode_report(node).split("\n")
    contact = datetime.fromtimestamp(CONTACT_MS / 1000).astimezone()
    assert lines == [
        "Name: 10.0.1.13:9866 (dl13)",
        "Hostname: dl13",
        "Decommission Status : Decommission in progress",
        "Configured Capacity: 210304475136 (195.86 GB)",
        "DFS Used: 5589286912 (5.21 GB)",
        "Non DFS Used: 27499192320 (25.61 GB)",
        "DFS Remaining: 177215995904 (165.05 GB)",
        "DFS Used%: 2.66%",
        "DFS Remaining%: 84.27%",
        "Configured Cache Capacity: 0 (0 B)",
        "Cache Used: 0 (0 B)",
        "Cache Remaining: 0 (0 B)",
        "Cache Used%: 100.00%",
        "Cache Remaining%: 0.00%",
        "Xceivers: 0",
        "Last contact: " + contact.strftime("%a %b %d %H:%M:%S %Z %Y"),
        "Last Block Report: Never",
        "Num of Blocks: 39",
        "",
    ]
    for state, shown in [("In Service", "Normal"), ("Decommissioned", "Decommissioned")]:
        assert f"Decommission Status : {shown}\n" in datanode_report({**node, "adminState": state})
    assert "DFS Used%: 100.00%\nDFS Remaining%: 0.00%\n" in datanode_report({**node, "capacity": 0})


@pytest.mark.parametrize(
    ("line", "code"),
    [
        ("The filesystem under path '/' is HEALTHY", 0),
        ("The filesystem under path '/' is CORRUPT", 1),
        ("Path '/x' does not exist", 0),
        ("Fsck on path '/x' FAILED", 255),
        ("", 255),
    ],
)
def test_fsck_exit_code(line: str, code: int) -> None:
    assert fsck_exit_code(line) == code


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def test_usage_and_unknown_commands() -> None:
    conf = HadoopConf({"dfs.namenode.http-address": f"127.0.0.1:{_closed_port()}"})
    out, err = io.StringIO(), io.StringIO()
    assert dfsadmin_main([], conf, "hdfs", out=out, err=err) == 255
    assert err.getvalue().startswith("Usage: hdfs dfsadmin\n")
    err = io.StringIO()
    assert dfsadmin_main(["-frobnicate"], conf, "hdfs", out=out, err=err) == 255
    assert err.getvalue().startswith("frobnicate: Unknown command\n")
    err = io.StringIO()
    assert dfsadmin_main(["-safemode"], conf, "hdfs", out=out, err=err) == 255
    assert err.getvalue().startswith("Usage: hdfs dfsadmin [-safemode enter | leave")
    err = io.StringIO()
    assert fsck_main(["/", "-bogus"], conf, "hdfs", out=out, err=err) == 255
    assert err.getvalue().startswith("fsck: Illegal option '-bogus'\n")
    err = io.StringIO()
    assert fsck_main(["/", "-delete"], conf, "hdfs", out=out, err=err) == 255
    assert err.getvalue() == "fsck: -delete is not supported by this NameNode\n"
    assert out.getvalue() == ""


def test_a_namenode_that_is_down() -> None:
    port = _closed_port()
    conf = HadoopConf({"dfs.namenode.http-address": f"127.0.0.1:{port}"})
    out, err = io.StringIO(), io.StringIO()
    assert fsck_main(["data"], conf, "alice", out=out, err=err) == 255
    assert err.getvalue().splitlines() == [
        f"Connecting to namenode via http://127.0.0.1:{port}/fsck?ugi=alice"
        "&path=%2Fuser%2Falice%2Fdata",
        f"fsck: Call to 127.0.0.1:{port} failed on connection exception: "
        "java.net.ConnectException: Connection refused",
    ]
    err = io.StringIO()
    assert dfsadmin_main(["-refreshNodes"], conf, "hdfs", out=out, err=err) == 255
    assert err.getvalue() == (
        f"refreshNodes: Call to 127.0.0.1:{port} failed on connection exception: "
        "java.net.ConnectException: Connection refused\n"
    )
    assert out.getvalue() == ""
