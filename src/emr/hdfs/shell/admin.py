"""`hdfs fsck` and `hdfs dfsadmin`: Hadoop's DFSck and DFSAdmin over the NameNode's HTTP port.

fsck asks the NameNode's `/fsck` servlet and prints its report (exit 0 when the last line says
HEALTHY or the path does not exist, 1 when CORRUPT, 255 otherwise: Hadoop's rule). dfsadmin
reads the `/jmx` beans for `-report`'s summary and the NameNode's `/_admin/v1` calls (see
emr.hdfs.namenode.admin) for the rest; every message and number format is Hadoop 3's.
A refused call prints `<command>: <the NameNode's message>` and exits 255, as DFSAdmin does.

LIMITATIONS: fsck refuses -move, -delete, -list-corruptfileblocks, -blockId and -replicate;
-storagepolicies, -showprogress and -includeSnapshots change nothing. dfsadmin serves -report [-live] [-dead] [-decommissioning], -safemode
get|enter|leave|wait and -refreshNodes; -safemode wait polls every second (Hadoop: 5 s).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Final, TextIO
from urllib.parse import quote, urlsplit

import httpx

from emr.hdfs.javafmt import float32, java_date
from emr.hdfs.site import HadoopConf

__all__ = [
    "byte_desc",
    "datanode_report",
    "dfsadmin_main",
    "fsck_exit_code",
    "fsck_main",
    "report_summary",
]

TIMEOUT: Final = httpx.Timeout(30.0, connect=5.0)
FAILED: Final = 255  # Java's System.exit(-1)
NAMENODE_INFO: Final = "Hadoop:service=NameNode,name=NameNodeInfo"
FS_NAMESYSTEM: Final = "Hadoop:service=NameNode,name=FSNamesystem"

FSCK_USAGE: Final = (
    "Usage: hdfs fsck <path> [-list-corruptfileblocks | [-move | -delete | -openforwrite] "
    "[-files [-blocks [-locations | -racks | -replicaDetails]]]]"
)
FSCK_FLAGS: Final = {
    "-files": "files",
    "-openforwrite": "openforwrite",
    "-blocks": "blocks",
    "-locations": "locations",
    "-racks": "racks",
    "-replicaDetails": "replicadetails",
    "-storagepolicies": "storagepolicies",
    "-showprogress": "showprogress",
    "-includeSnapshots": "includeSnapshots",
}
#: DFSck options that would change files or print another report: refused, not ignored.
FSCK_UNSUPPORTED: Final = ("-move", "-delete", "-list-corruptfileblocks", "-blockId", "-replicate")
DFSADMIN_USAGE: Final = (
    "Usage: hdfs dfsadmin\n"
    "Note: Administrative commands can only be run as the HDFS superuser.\n"
    "\t[-report [-live] [-dead] [-decommissioning]]\n"
    "\t[-safemode <enter | leave | get | wait>]\n"
    "\t[-refreshNodes]\n"
)
SAFEMODE_USAGE: Final = "Usage: hdfs dfsadmin [-safemode enter | leave | get | wait | forceExit]"


class _Refused(Exception):
    """The NameNode answered a RemoteException; `message` is its message."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# --- Hadoop's number formats -----------------------------------------------------------------

_PREFIXES: Final = ("K", "M", "G", "T", "P", "E")


def _fixed(value: float, places: int = 2) -> str:
    """Java's `%.Nf` (HALF_UP on the exact binary value)."""
    quantum = Decimal(1).scaleb(-places)
    return str(Decimal(value).quantize(quantum, rounding=ROUND_HALF_UP))


def byte_desc(size: int) -> str:
    """StringUtils.byteDesc: `0 B`, `36 KB`, `117.74 GB` (binary prefixes)."""
    if size < 1024:
        return f"{size} B"
    index = 0
    while index + 1 < len(_PREFIXES) and size >= 1024 ** (index + 2):
        index += 1
    unit = 1024 ** (index + 1)
    if size % unit == 0:
        text = str(size // unit)
    else:
        text = _fixed(size / unit)
        if text.startswith("1024") and index + 1 < len(_PREFIXES):
            index += 1
            text = _fixed(size / 1024 ** (index + 1))
    return f"{text} {_PREFIXES[index]}B"


def _percent_of(part: int, whole: int, *, empty: float) -> str:
    """DatanodeInfo's percent2String of a float percentage (`empty` when whole is 0)."""
    value = empty if whole <= 0 else float32(float32(part * 100.0) / whole)
    return _fixed(value) + "%"


# --- fsck -------------------------------------------------------------------------------------


def fsck_exit_code(last_line: str) -> int:
    """DFSck's exit code from the report's last line."""
    if last_line.endswith("is HEALTHY") or last_line.endswith("does not exist"):
        return 0
    if last_line.endswith("is CORRUPT"):
        return 1
    if last_line.endswith("is DECOMMISSIONED"):
        return 2
    if last_line.endswith("is DECOMMISSIONING"):
        return 3
    return FAILED


def _absolute(path: str, user: str) -> str:
    """The path without scheme and authority, relative ones under /user/<user>."""
    parts = urlsplit(path)
    if parts.scheme:
        path = parts.path or "/"
    if not path.startswith("/"):
        path = f"/user/{user}/{path}"
    return path


def fsck_main(
    args: list[str],
    conf: HadoopConf,
    user: str,
    *,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """`hdfs fsck <path> [options]`."""
    out, err = out or sys.stdout, err or sys.stderr
    if not args or args[0] == "-files":
        print(FSCK_USAGE, file=err)
        return FAILED
    query = f"/fsck?ugi={quote(user, safe='')}"
    path: str | None = None
    for arg in args:
        if arg in FSCK_FLAGS:
            query += f"&{FSCK_FLAGS[arg]}=1"
        elif arg in FSCK_UNSUPPORTED:
            print(f"fsck: {arg} is not supported by this NameNode", file=err)
            return FAILED
        elif arg.startswith("-"):
            print(f"fsck: Illegal option '{arg}'", file=err)
            print(FSCK_USAGE, file=err)
            return FAILED
        elif path is None:
            path = arg
        else:
            print(f"fsck: can only operate on one path at a time '{arg}'", file=err)
            print(FSCK_USAGE, file=err)
            return FAILED
    target = _absolute(path or "/", user)
    url = f"{conf.namenode_http}{query}&path={quote(target, safe='')}"
    print(f"Connecting to namenode via {url}", file=err)
    last = ""
    try:
        with (
            httpx.Client(timeout=TIMEOUT) as client,
            client.stream("GET", url) as response,
        ):
            if response.status_code != 200:
                response.read()
                print(
                    f"fsck: Server returned HTTP response code: "
                    f"{response.status_code} for URL: {url}",
                    file=err,
                )
                return FAILED
            for line in response.iter_lines():
                print(line, file=out)
                last = line
    except httpx.HTTPError as exc:
        print(f"fsck: {_describe(exc, url)}", file=err)
        return FAILED
    return fsck_exit_code(last)


def _describe(exc: httpx.HTTPError, url: str) -> str:
    address = urlsplit(url).netloc
    if isinstance(exc, httpx.ConnectError):
        return (
            f"Call to {address} failed on connection exception: "
            "java.net.ConnectException: Connection refused"
        )
    if isinstance(exc, httpx.TimeoutException):
        return f"Call to {address} failed: java.net.SocketTimeoutException: {exc}"
    return f"java.io.IOException: {exc}"


# --- dfsadmin ---------------------------------------------------------------------------------


class _NameNode:
    """The calls dfsadmin makes, as one user."""

    def __init__(self, client: httpx.Client, base: str, user: str) -> None:
        self.client, self.base, self.user = client, base, user

    def call(self, method: str, path: str, **params: str) -> dict[str, Any]:
        url = f"{self.base}/_admin/v1/{path}"
        response = self.client.request(method, url, params={"user.name": self.user, **params})
        body: dict[str, Any] = response.json()
        if "RemoteException" in body:
            raise _Refused(str(body["RemoteException"]["message"]).split("\n", 1)[0])
        return body

    def beans(self) -> dict[str, dict[str, Any]]:
        response = self.client.get(f"{self.base}/jmx", params={"qry": "Hadoop:service=NameNode,*"})
        return {bean["name"]: bean for bean in response.json()["beans"]}


def report_summary(info: dict[str, Any], fs: dict[str, Any], safe_mode: bool) -> list[str]:
    """DFSAdmin.report's lines before the DataNodes (from the NameNodeInfo and FSNamesystem
    beans), the dashes included."""
    capacity, used, remaining = int(info["Total"]), int(info["Used"]), int(info["Free"])
    present = used + remaining
    lines = ["Safe mode is ON"] if safe_mode else []
    fraction = used / present if present else 0.0
    lines += [
        f"Configured Capacity: {capacity} ({byte_desc(capacity)})",
        f"Present Capacity: {present} ({byte_desc(present)})",
        f"DFS Remaining: {remaining} ({byte_desc(remaining)})",
        f"DFS Used: {used} ({byte_desc(used)})",
        f"DFS Used%: {_fixed(fraction * 100)}%",
        "Replicated Blocks:",
        f"\tUnder replicated blocks: {fs['UnderReplicatedBlocks']}",
        f"\tBlocks with corrupt replicas: {fs['CorruptBlocks']}",
        f"\tMissing blocks: {fs['MissingBlocks']}",
        f"\tMissing blocks (with replication factor 1): {fs['MissingReplOneBlocks']}",
        "\tLow redundancy blocks with highest priority to recover: "
        f"{fs.get('HighestPriorityLowRedundancyReplicatedBlocks', 0)}",
        f"\tPending deletion blocks: {fs['PendingDeletionBlocks']}",
        "Erasure Coded Block Groups: ",
        "\tLow redundancy block groups: 0",
        "\tBlock groups with corrupt internal blocks: 0",
        "\tMissing block groups: 0",
        "\tLow redundancy blocks with highest priority to recover: 0",
        "\tPending deletion blocks: 0",
        "",
        "-------------------------------------------------",
    ]
    return lines


def datanode_report(node: dict[str, Any]) -> str:
    """DatanodeInfo.getDatanodeReport for one node of `/_admin/v1/datanodes`."""
    capacity, used = int(node["capacity"]), int(node["dfsUsed"])
    remaining, non_dfs = int(node["remaining"]), int(node["nonDfsUsed"])
    status = {
        "Decommissioned": "Decommissioned",
        "Decommission In Progress": "Decommission in progress",
    }.get(node["adminState"], "Normal")
    last_report = node.get("lastBlockReport") or 0
    lines = [
        f"Name: {node['datanodeId']} ({node['hostname']})",
        f"Hostname: {node['hostname']}",
        f"Decommission Status : {status}",
        f"Configured Capacity: {capacity} ({byte_desc(capacity)})",
        f"DFS Used: {used} ({byte_desc(used)})",
        f"Non DFS Used: {non_dfs} ({byte_desc(non_dfs)})",
        f"DFS Remaining: {remaining} ({byte_desc(remaining)})",
        f"DFS Used%: {_percent_of(used, capacity, empty=100.0)}",
        f"DFS Remaining%: {_percent_of(remaining, capacity, empty=0.0)}",
        "Configured Cache Capacity: 0 (0 B)",
        "Cache Used: 0 (0 B)",
        "Cache Remaining: 0 (0 B)",
        "Cache Used%: 100.00%",
        "Cache Remaining%: 0.00%",
        "Xceivers: 0",
        f"Last contact: {java_date(node['lastContact'] / 1000)}",
        "Last Block Report: " + (java_date(last_report / 1000) if last_report else "Never"),
        f"Num of Blocks: {node['numBlocks']}",
    ]
    return "\n".join(lines) + "\n"


#: -report's node sections: (flag, /_admin/v1/datanodes type, title).
_SECTIONS: Final = (
    ("-live", "live", "Live"),
    ("-dead", "dead", "Dead"),
    ("-decommissioning", "decommissioning", "Decommissioning"),
)


def _report(nn: _NameNode, flags: Sequence[str], out: TextIO) -> None:
    beans = nn.beans()
    info, fs = beans[NAMENODE_INFO], beans[FS_NAMESYSTEM]
    safe = bool(nn.call("GET", "safemode")["SafeMode"]["on"])
    for line in report_summary(info, fs, safe):
        print(line, file=out)
    chosen = {f for f in flags if f in ("-live", "-dead", "-decommissioning")}
    for flag, kind, title in _SECTIONS:
        if chosen and flag not in chosen:
            continue
        nodes = nn.call("GET", "datanodes", type=kind)["DatanodeReports"]
        if nodes or flag in chosen:
            print(f"{title} datanodes ({len(nodes)}):\n", file=out)
        for node in nodes:
            print(datanode_report(node), file=out)
            print(file=out)


def _safemode(nn: _NameNode, action: str, out: TextIO, err: TextIO) -> int:
    if action == "get":
        on = nn.call("GET", "safemode")["SafeMode"]["on"]
    elif action in ("enter", "leave"):
        on = nn.call("PUT", "safemode", action=action)["SafeMode"]["on"]
    elif action == "wait":
        on = nn.call("GET", "safemode")["SafeMode"]["on"]
        while on:
            time.sleep(1.0)
            on = nn.call("GET", "safemode")["SafeMode"]["on"]
    else:
        print(SAFEMODE_USAGE, file=err)
        return 0
    print(f"Safe mode is {'ON' if on else 'OFF'}", file=out)
    return 0


def dfsadmin_main(
    args: list[str],
    conf: HadoopConf,
    user: str,
    *,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """`hdfs dfsadmin -report | -safemode <action> | -refreshNodes`."""
    out, err = out or sys.stdout, err or sys.stderr
    if not args:
        print(DFSADMIN_USAGE, file=err)
        return FAILED
    command = args[0]
    if command == "-safemode" and len(args) != 2:
        print(SAFEMODE_USAGE, file=err)
        return FAILED
    if command == "-refreshNodes" and len(args) != 1:
        print("Usage: hdfs dfsadmin [-refreshNodes]", file=err)
        return FAILED
    if command not in ("-report", "-safemode", "-refreshNodes"):
        print(f"{command[1:]}: Unknown command", file=err)
        print(DFSADMIN_USAGE, file=err)
        return FAILED
    try:
        with httpx.Client(timeout=TIMEOUT) as client:
            nn = _NameNode(client, conf.namenode_http, user)
            if command == "-report":
                _report(nn, args[1:], out)
                return 0
            if command == "-safemode":
                return _safemode(nn, args[1].lower(), out, err)
            nn.call("PUT", "refresh-nodes")
            print("Refresh nodes successful", file=out)
            return 0
    except _Refused as refused:
        print(f"{command[1:]}: {refused.message}", file=err)
    except httpx.HTTPError as exc:
        print(f"{command[1:]}: {_describe(exc, conf.namenode_http)}", file=err)
    except (ValueError, KeyError) as exc:
        print(f"{command[1:]}: java.io.IOException: unexpected answer: {exc}", file=err)
    return FAILED
