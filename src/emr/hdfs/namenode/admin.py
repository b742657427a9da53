"""The NameNode's administration surface: Hadoop's fsck servlet, its JMX JSON servlet, and the
calls `hdfs dfsadmin` makes (ours, under `/_admin/v1`).

    GET /fsck?ugi=<user>&path=/p[&files=1&blocks=1&locations=1&racks=1&replicadetails=1
              &openforwrite=1]
        text/plain: NamenodeFsck's report, line for line as Hadoop 3 prints it; the last line
        is `The filesystem under path '/p' is HEALTHY` (or `is CORRUPT`, `Path '/p' does not
        exist`, `Fsck on path '/p' FAILED`). The walk checks what Hadoop's does: EXECUTE on the
        ancestors, READ_EXECUTE on every directory listed, READ on every file.
    GET /jmx[?qry=Hadoop:service=NameNode,name=<Bean>]     (qry may use * as Hadoop's does)
        {"beans": [...]}: NameNodeInfo, FSNamesystem, FSNamesystemState, NameNodeStatus, with
        Hadoop's attribute names (LiveNodes/DeadNodes/DecomNodes are JSON strings keyed by
        `<hostname>:<xfer port>`).

    /_admin/v1 (ours; JSON bodies without `application/json`, errors as WebHDFS
    RemoteExceptions). The caller is `user.name` (default dr.who) or, with the cluster's bearer
    token, the superuser. Changing state needs the superuser (`hdfs`, or the supergroup):
    anyone else gets 403 AccessControlException "Access denied for user <u>. Superuser
    privilege is required", as Hadoop's checkSuperuserPrivilege words it.
    GET  /_admin/v1/safemode                     {"SafeMode": {"on": bool, "tip": str}}
    PUT  /_admin/v1/safemode?action=enter|leave  the same, after the change (superuser)
    PUT  /_admin/v1/refresh-nodes                re-read dfs.hosts.exclude (superuser):
         {"RefreshNodes": {"excludeFile": str, "decommissioning": [ids], "recommissioned": [ids]}}
    GET  /_admin/v1/datanodes?type=all|live|dead|decommissioning
         {"DatanodeReports": [{datanodeId, hostname, alive, adminState, capacity, dfsUsed,
          remaining, lastContact (ms), lastBlockReport (ms), numBlocks}]} (superuser, as
          Hadoop's getDatanodeReport)

Decommissioning: the exclude file (`dfs.hosts.exclude`, default `<node>/conf/dfs.hosts.exclude`)
lists hosts, by address or `address:port`, whitespace-separated, `#` comments. refresh-nodes
asks the BlockManager to decommission each listed DataNode and to put back in service every
decommissioning or decommissioned one no longer listed.

LIMITATIONS: fsck's move, delete, listcorruptfileblocks, blockId, storagepolicies and
replicate parameters are ignored (the CLI refuses the options that need them); there are no racks (one `/default-rack`), storage ids
are derived from the DataNode's address, the block pool id is made up on first use and kept
in the state directory's VERSION file; pending replications and deletions are not counted in the beans (0).
fsck walks on the event loop, like every namespace call: a huge tree pauses the NameNode.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Awaitable, Callable
from fnmatch import fnmatchcase
from typing import Any, Final

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from emr.hdfs import webhdfs_json as wj
from emr.hdfs.blockmanager import (
    AdminState,
    DatanodeReport,
    DecommissionRequested,
    RecommissionRequested,
    SafeModeEnterRequested,
    SafeModeLeaveRequested,
)
from emr.hdfs.namenode.errors import (
    AccessControlException,
    HdfsError,
    IllegalArgumentException,
)
from emr.hdfs.namenode.fsck import FsckOptions, run_fsck
from emr.hdfs.namenode.jmx import jmx_beans, namespace_identity, non_dfs_used
from emr.hdfs.namenode.permissions import PermissionChecker, User
from emr.hdfs.namenode.server import NameNode, _now, json_response
from emr.hdfs.site import read_hosts_file
from emr.hdfs.types import DatanodeId

__all__ = ["admin_routes", "refresh_nodes"]

ADMIN_PREFIX: Final = "/_admin/v1"

# --- dfsadmin's calls -------------------------------------------------------------------------


def refresh_nodes(nn: NameNode) -> tuple[list[DatanodeId], list[DatanodeId]]:
    """Re-read dfs.hosts.exclude: decommission listed nodes, put back in service the ones no
    longer listed."""
    nn.excluded_hosts = read_hosts_file(nn.settings.hosts_exclude)
    started, restored = [], []
    for report in nn.blocks.datanode_report():
        node_id, state = report.datanode_id, report.admin_state
        if nn.is_excluded(node_id, report.hostname):
            if state is AdminState.NORMAL:
                nn.feed(DecommissionRequested(at=_now(), datanode_id=node_id))
                started.append(node_id)
        elif state is not AdminState.NORMAL:
            nn.feed(RecommissionRequested(at=_now(), datanode_id=node_id))
            restored.append(node_id)
    return started, restored


def _report_json(report: DatanodeReport) -> dict[str, Any]:
    return {
        "datanodeId": report.datanode_id,
        "hostname": report.hostname or report.datanode_id.rsplit(":", 1)[0],
        "alive": report.alive,
        "adminState": report.admin_state.value,
        "capacity": report.capacity_bytes,
        "dfsUsed": report.used_bytes,
        "remaining": report.remaining_bytes,
        "nonDfsUsed": non_dfs_used(report),
        "lastContact": int(report.last_contact.timestamp() * 1000),
        "lastBlockReport": int(report.registered_at.timestamp() * 1000),
        "numBlocks": report.blocks,
    }


_DATANODE_TYPES: Final[dict[str, Callable[[DatanodeReport], bool]]] = {
    "all": lambda r: True,
    "live": lambda r: r.alive,
    "dead": lambda r: not r.alive,
    "decommissioning": lambda r: r.admin_state is AdminState.DECOMMISSION_INPROGRESS,
}


class _Admin:
    """The endpoints, bound to one NameNode."""

    def __init__(self, nn: NameNode) -> None:
        self.nn = nn
        self.identity = namespace_identity(nn.settings.state_dir, nn.settings.advertised_host)

    def caller(self, request: Request) -> User:
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() == "bearer" and secrets.compare_digest(
            token.encode(), self.nn.settings.token.encode()
        ):
            return User(self.nn.settings.namespace.fs_owner)
        params = request.query_params
        return self.nn.user(params.get("user.name") or params.get("ugi") or "dr.who")

    def require_superuser(self, user: User) -> None:
        settings = self.nn.settings.namespace
        if not PermissionChecker(user, settings.fs_owner, settings.supergroup).is_superuser:
            raise AccessControlException(
                f"Access denied for user {user.name}. Superuser privilege is required"
            )

    async def fsck(self, request: Request) -> Response:
        params = dict(request.query_params)
        user = self.nn.user(params.get("user.name") or params.get("ugi") or "dr.who")
        remote = request.client.host if request.client else "127.0.0.1"
        path, options = params.get("path") or "/", FsckOptions.of(params)
        text = run_fsck(self.nn, user, remote, path, options, self.identity["blockpoolID"])
        return Response(text.encode(), media_type="text/plain; charset=utf-8")

    async def jmx(self, request: Request) -> Response:
        query = request.query_params.get("qry") or "*:*"
        beans = [
            b
            for b in jmx_beans(self.nn, self.identity, time.time())
            if fnmatchcase(b["name"], query)
        ]
        body = json.dumps({"beans": beans}, indent=2)
        return Response(body.encode(), media_type="application/json; charset=utf8")

    def safemode(self, request: Request, user: User) -> dict[str, Any]:
        if request.method == "PUT":
            self.require_superuser(user)
            action = request.query_params.get("action", "")
            if action == "enter":
                self.nn.feed(SafeModeEnterRequested(at=_now()))
            elif action == "leave":
                self.nn.feed(SafeModeLeaveRequested(at=_now()))
            else:
                raise IllegalArgumentException(f"Invalid safe mode action: {action!r}")
        return {"SafeMode": {"on": self.nn.in_safe_mode, "tip": self.nn.blocks.safe_mode_tip()}}

    def refresh(self, request: Request, user: User) -> dict[str, Any]:
        self.require_superuser(user)
        path = self.nn.settings.hosts_exclude
        started, restored = refresh_nodes(self.nn)
        return {
            "RefreshNodes": {
                "excludeFile": str(path or ""),
                "decommissioning": started,
                "recommissioned": restored,
            }
        }

    def datanodes(self, request: Request, user: User) -> dict[str, Any]:
        self.require_superuser(user)
        kind = request.query_params.get("type", "all")
        if kind not in _DATANODE_TYPES:
            raise IllegalArgumentException(f"Invalid datanode report type: {kind!r}")
        wanted = _DATANODE_TYPES[kind]
        reports = [_report_json(r) for r in self.nn.blocks.datanode_report() if wanted(r)]
        return {"DatanodeReports": reports}

    def endpoint(
        self, call: Callable[[Request, User], dict[str, Any]]
    ) -> Callable[[Request], Awaitable[Response]]:
        async def answer(request: Request) -> Response:
            try:
                return json_response(call(request, self.caller(request)))
            except HdfsError as error:
                return json_response(wj.remote_exception(error), error.http_status)

        return answer


def admin_routes(nn: NameNode) -> list[Route]:
    """`/fsck`, `/jmx` and `/_admin/v1/*` for `create_app`'s route list."""
    admin = _Admin(nn)
    return [
        Route("/fsck", admin.fsck, methods=["GET"]),
        Route("/jmx", admin.jmx, methods=["GET"]),
        Route(f"{ADMIN_PREFIX}/safemode", admin.endpoint(admin.safemode), methods=["GET", "PUT"]),
        Route(f"{ADMIN_PREFIX}/refresh-nodes", admin.endpoint(admin.refresh), methods=["PUT"]),
        Route(f"{ADMIN_PREFIX}/datanodes", admin.endpoint(admin.datanodes), methods=["GET"]),
    ]
