"""WebHDFS at `/webhdfs/v1/<path>?op=…`: one handler per op, on the NameNode's namespace.

Paths are decoded as UTF-8 from the raw request path. Data ops (CREATE, APPEND, OPEN,
GETFILECHECKSUM) answer 307 to a DataNode, which then acts as the client towards the NameNode
through `/_dn/v1` (protocol.py).
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote, unquote_to_bytes, urlencode

from starlette.requests import Request
from starlette.responses import Response

from emr.hdfs import webhdfs_json as wj
from emr.hdfs.blockmanager import ReplicationChanged
from emr.hdfs.namenode.errors import (
    FileNotFoundException,
    HdfsError,
    IllegalArgumentException,
    IOException,
)
from emr.hdfs.namenode.permissions import User
from emr.hdfs.namenode.server import NameNode, _now, json_response, now_ms

__all__ = ["request_path", "webhdfs_endpoint"]

log = logging.getLogger(__name__)

Params = dict[str, str]
Handler = Callable[[NameNode, str, User, Params, Request], Response]

#: A client's CREATE reaches the NameNode twice: here (answered with a redirect), then from the
#: DataNode, which creates the file when the client's request reaches it. Hadoop's
#: FileSystem.create(fs, path, permission) sets the permission right after create() returns,
#: which can overtake the DataNode's call (Spark's event log writer does exactly that), so
#: calls on the file that find nothing wait up to this long for a create redirected here.
PENDING_CREATE_WAIT_S = 5.0
_PENDING_CREATES_MAX = 1000
_AFTER_CREATE = frozenset(
    {"SETPERMISSION", "SETOWNER", "SETTIMES", "SETREPLICATION", "GETFILESTATUS"}
)

_PERMISSION = re.compile(r"^[0-1]?[0-7]{1,3}$")
_OP_ENUMS = {
    "GET": "GetOpParam",
    "PUT": "PutOpParam",
    "POST": "PostOpParam",
    "DELETE": "DeleteOpParam",
}


def _bad(name: str, value: str, why: str) -> IllegalArgumentException:
    return IllegalArgumentException(
        f'Invalid value for webhdfs parameter "{name}": {why}: "{value}"'
    )


def _int(params: Params, name: str, default: int | None = None) -> int | None:
    value = params.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise _bad(name, value, "For input string") from None


def _bool(params: Params, name: str, default: bool = False) -> bool:
    value = params.get(name)
    if value is None or value == "":
        return default
    if value.lower() not in ("true", "false"):
        raise _bad(name, value, "Failed to parse boolean")
    return value.lower() == "true"


def _permission(params: Params, default: int) -> int:
    value = params.get("permission")
    if value is None or value == "":
        return default
    if not _PERMISSION.match(value):
        raise _bad("permission", value, "does not match ^[0-1]?[0-7]{1,3}$")
    return int(value, 8)


def _empty() -> Response:
    return Response(b"", status_code=200, media_type=None)


# --- reads ------------------------------------------------------------------------------------


def _getfilestatus(nn: NameNode, path: str, user: User, p: Params, r: Request) -> Response:
    return json_response(wj.file_status(nn.namespace.get_file_status(path, user=user)))


def _liststatus(nn: NameNode, path: str, user: User, p: Params, r: Request) -> Response:
    listing = nn.namespace.list_status(path, user=user)
    return json_response(wj.file_statuses(listing.statuses))


def _liststatus_batch(nn: NameNode, path: str, user: User, p: Params, r: Request) -> Response:
    listing = nn.namespace.list_status(
        path, user=user, start_after=p.get("startafter") or None, limit=nn.settings.ls_limit
    )
    return json_response(wj.directory_listing(listing))


def _contentsummary(nn: NameNode, path: str, user: User, p: Params, r: Request) -> Response:
    return json_response(wj.content_summary(nn.namespace.get_content_summary(path, user=user)))


def _homedirectory(nn: NameNode, path: str, user: User, p: Params, r: Request) -> Response:
    return json_response(wj.home_path(nn.namespace.get_home_directory(user)))


def _status(nn: NameNode, path: str, user: User, p: Params, r: Request) -> Response:
    """GETSTATUS: the live DataNodes' capacity (the path is not looked at, as in HDFS)."""
    live = [d for d in nn.blocks.datanode_report() if d.alive]
    return json_response(
        wj.fs_status(
            capacity=sum(d.capacity_bytes for d in live),
            used=sum(d.used_bytes for d in live),
            remaining=sum(d.remaining_bytes for d in live),
        )
    )


def _serverdefaults(nn: NameNode, path: str, user: User, p: Params, r: Request) -> Response:
    return json_response(wj.server_defaults(nn.settings.block_size, nn.settings.replication))


def _blocklocations(nn: NameNode, path: str, user: User, p: Params, r: Request) -> Response:
    located = nn.namespace.get_block_locations(
        path, user=user, offset=_int(p, "offset", 0) or 0, length=_int(p, "length"), now=now_ms()
    )
    nn.commit()
    return json_response(
        wj.block_locations(
            wj.BlockLocation(b.offset, b.block.num_bytes, nn.blocks.locations(b.block.block_id))
            for b in located.blocks
        )
    )


# --- redirects --------------------------------------------------------------------------------


def _redirect(nn: NameNode, datanode: str, path: str, query: dict[str, Any], p: Params) -> Response:
    query = {"namenoderpcaddress": f"{nn.settings.advertised_host}:{nn.rpc_port}", **query}
    url = f"http://{datanode}/webhdfs/v1{quote(path, safe='/')}?{urlencode(query)}"
    if _bool(p, "noredirect"):
        return json_response(wj.location(url))
    return Response(b"", status_code=307, headers={"Location": url}, media_type=None)


def _no_datanode() -> IOException:
    return IOException("Failed to find datanode, suggest to check cluster health.")


def _expect_create(nn: NameNode, path: str) -> None:
    now = time.monotonic()
    if len(nn.pending_creates) > _PENDING_CREATES_MAX:
        for stale in [k for k, until in nn.pending_creates.items() if until < now]:
            del nn.pending_creates[stale]
    nn.pending_creates[path] = now + PENDING_CREATE_WAIT_S


def _create(nn: NameNode, path: str, user: User, p: Params, r: Request) -> Response:
    replication = _int(p, "replication")
    block_size = _int(p, "blocksize")
    permission = _permission(p, 0o644)
    overwrite = _bool(p, "overwrite")
    datanode = nn.pick_datanode(_excluded(p))
    if datanode is None:
        raise _no_datanode()
    _expect_create(nn, path)
    query: dict[str, Any] = {
        "op": "CREATE",
        "user.name": user.name,
        "overwrite": str(overwrite).lower(),
        "replication": replication if replication is not None else nn.settings.replication,
        "blocksize": block_size if block_size is not None else nn.settings.block_size,
        "permission": format(permission, "o"),
    }
    return _redirect(nn, datanode, path, query, p)


def _append(nn: NameNode, path: str, user: User, p: Params, r: Request) -> Response:
    datanode = nn.pick_datanode(_excluded(p))
    if datanode is None:
        raise _no_datanode()
    query = {"op": "APPEND", "user.name": user.name}
    if "buffersize" in p:
        query["buffersize"] = p["buffersize"]
    return _redirect(nn, datanode, path, query, p)


def _excluded(p: Params) -> frozenset[str]:
    """`excludedatanodes`: the `host:port`s a client found failing (WebHdfsFileSystem sends
    them when it retries a redirected call)."""
    return frozenset(d.strip() for d in p.get("excludedatanodes", "").split(",") if d.strip())


def _reader(nn: NameNode, path: str, user: User, offset: int, p: Params) -> str:
    excluded = _excluded(p)
    located = nn.namespace.get_block_locations(
        path, user=user, offset=offset, length=1, now=now_ms()
    )
    nn.commit()
    for block in located.blocks:
        locations = [d for d in nn.blocks.locations(block.block.block_id) if d not in excluded]
        if locations:
            return locations[0]
    datanode = nn.pick_datanode(excluded)
    if datanode is None:
        raise _no_datanode()
    return datanode


def _open(nn: NameNode, path: str, user: User, p: Params, r: Request) -> Response:
    offset = _int(p, "offset", 0) or 0
    length = _int(p, "length")
    datanode = _reader(nn, path, user, offset, p)
    query: dict[str, Any] = {"op": "OPEN", "user.name": user.name, "offset": offset}
    if length is not None:
        query["length"] = length
    if "buffersize" in p:
        query["buffersize"] = p["buffersize"]
    return _redirect(nn, datanode, path, query, p)


def _checksum(nn: NameNode, path: str, user: User, p: Params, r: Request) -> Response:
    datanode = _reader(nn, path, user, 0, p)
    return _redirect(nn, datanode, path, {"op": "GETFILECHECKSUM", "user.name": user.name}, p)


# --- mutations --------------------------------------------------------------------------------


def _mkdirs(nn: NameNode, path: str, user: User, p: Params, r: Request) -> Response:
    permission = _permission(p, 0o755)
    nn.check_writable(f"Cannot create directory {path}")
    done = nn.namespace.mkdirs(path, user=user, permission=permission, now=now_ms())
    nn.commit()
    return json_response(wj.boolean(done))


def _rename(nn: NameNode, path: str, user: User, p: Params, r: Request) -> Response:
    destination = p.get("destination", "")
    if not destination.startswith("/"):
        raise _bad("destination", destination, "Invalid parameter value")
    nn.check_writable(f"Cannot rename {path}")
    options = p.get("renameoptions")
    if options is None:
        done = nn.namespace.rename(path, destination, user=user, now=now_ms())
        nn.commit()
        return json_response(wj.boolean(done))
    names = {o.strip().upper() for o in options.split(",") if o.strip()}
    if not names <= {"NONE", "OVERWRITE"}:
        raise _bad("renameoptions", options, "No enum constant")
    removed = nn.namespace.rename2(
        path, destination, user=user, overwrite="OVERWRITE" in names, now=now_ms()
    )
    nn.commit()
    nn.blocks_removed(removed)
    return _empty()


def _delete(nn: NameNode, path: str, user: User, p: Params, r: Request) -> Response:
    recursive = _bool(p, "recursive")
    nn.check_writable(f"Cannot delete {path}")
    result = nn.namespace.delete(path, user=user, recursive=recursive, now=now_ms())
    nn.commit()
    nn.blocks_removed(result.removed_blocks)
    return json_response(wj.boolean(result.deleted))


def _setpermission(nn: NameNode, path: str, user: User, p: Params, r: Request) -> Response:
    permission = _permission(p, 0o755)
    nn.check_writable(f"Cannot set permission for {path}")
    nn.namespace.set_permission(path, permission, user=user)
    nn.commit()
    return _empty()


def _setowner(nn: NameNode, path: str, user: User, p: Params, r: Request) -> Response:
    nn.check_writable(f"Cannot set owner for {path}")
    nn.namespace.set_owner(
        path, user=user, owner=p.get("owner") or None, group=p.get("group") or None
    )
    nn.commit()
    return _empty()


def _settimes(nn: NameNode, path: str, user: User, p: Params, r: Request) -> Response:
    mtime = _int(p, "modificationtime", -1)
    atime = _int(p, "accesstime", -1)
    nn.check_writable(f"Cannot set times {path}")
    nn.namespace.set_times(
        path,
        user=user,
        modification_time=-1 if mtime is None else mtime,
        access_time=-1 if atime is None else atime,
    )
    nn.commit()
    return _empty()


def _setreplication(nn: NameNode, path: str, user: User, p: Params, r: Request) -> Response:
    replication = _int(p, "replication", nn.settings.replication)
    assert replication is not None
    nn.check_writable(f"Cannot set replication for {path}")
    change = nn.namespace.set_replication(path, replication, user=user)
    nn.commit()
    if change is not None and change.blocks:
        nn.feed(
            ReplicationChanged(
                at=_now(), block_ids=[b.block_id for b in change.blocks], replication=replication
            )
        )
    return json_response(wj.boolean(change is not None))


def _concat(nn: NameNode, path: str, user: User, p: Params, r: Request) -> Response:
    sources = [s for s in p.get("sources", "").split(",") if s]
    nn.check_writable(f"Cannot concat {path}")
    nn.namespace.concat(path, sources, user=user, now=now_ms())
    nn.commit()
    owners = [o for o in nn.namespace.blocks() if o.path == path]
    if owners:
        nn.feed(
            ReplicationChanged(
                at=_now(),
                block_ids=[o.block.block_id for o in owners],
                replication=owners[0].replication,
            )
        )
    return _empty()


def _truncate(nn: NameNode, path: str, user: User, p: Params, r: Request) -> Response:
    new_length = _int(p, "newlength")
    if new_length is None:
        raise _bad("newlength", "", "newlength is required")
    nn.check_writable(f"Cannot truncate for {path}")
    client = f"webhdfs-truncate-{user.name}"
    host = r.client.host if r.client else ""
    result = nn.namespace.truncate(
        path, new_length, user=user, client=client, client_machine=host, now=now_ms()
    )
    nn.commit()
    nn.blocks_removed(result.removed_blocks)
    if result.old_block is not None and result.truncated_block is not None:
        nn.start_truncation(path, result.old_block, result.truncated_block)
    return json_response(wj.boolean(result.done))


_HANDLERS: dict[str, dict[str, Handler]] = {
    "GET": {
        "GETFILESTATUS": _getfilestatus,
        "GETFILELINKSTATUS": _getfilestatus,
        "LISTSTATUS": _liststatus,
        "LISTSTATUS_BATCH": _liststatus_batch,
        "GETCONTENTSUMMARY": _contentsummary,
        "GETHOMEDIRECTORY": _homedirectory,
        "GETSTATUS": _status,
        "GETSERVERDEFAULTS": _serverdefaults,
        "GETFILEBLOCKLOCATIONS": _blocklocations,
        "OPEN": _open,
        "GETFILECHECKSUM": _checksum,
    },
    "PUT": {
        "CREATE": _create,
        "MKDIRS": _mkdirs,
        "RENAME": _rename,
        "SETPERMISSION": _setpermission,
        "SETOWNER": _setowner,
        "SETTIMES": _settimes,
        "SETREPLICATION": _setreplication,
    },
    "POST": {"APPEND": _append, "CONCAT": _concat, "TRUNCATE": _truncate},
    "DELETE": {"DELETE": _delete},
}


def request_path(request: Request) -> str:
    """The HDFS path of a `/webhdfs/v1/<path>` request, decoded as UTF-8 from the raw path."""
    raw: bytes = request.scope.get("raw_path") or request.scope["path"].encode()
    raw = raw.split(b"?", 1)[0]
    decoded = unquote_to_bytes(raw).decode("utf-8", errors="strict")
    path = decoded.removeprefix("/webhdfs/v1")
    return path or "/"


def webhdfs_endpoint(nn: NameNode) -> Callable[[Request], Awaitable[Response]]:
    """The Starlette endpoint serving every WebHDFS op."""

    async def endpoint(request: Request) -> Response:
        params = {k.lower(): v for k, v in request.query_params.items()}
        op = params.get("op", "").upper()
        try:
            handler = _HANDLERS.get(request.method, {}).get(op)
            if handler is None:
                enum = _OP_ENUMS.get(request.method, "GetOpParam")
                raise IllegalArgumentException(
                    f'Invalid value for webhdfs parameter "op": No enum constant '
                    f"org.apache.hadoop.hdfs.web.resources.{enum}.Op.{op}"
                )
            try:
                path = request_path(request)
            except UnicodeDecodeError:
                raise IllegalArgumentException("Invalid path: not UTF-8") from None
            user = nn.user(params.get("user.name") or "dr.who")
            while True:
                try:
                    return handler(nn, path, user, params, request)
                except FileNotFoundException:
                    until = nn.pending_creates.get(path) if op in _AFTER_CREATE else None
                    if until is None or time.monotonic() > until:
                        raise
                await asyncio.sleep(0.01)
        except HdfsError as error:
            return json_response(wj.remote_exception(error), error.http_status)
        except Exception as error:
            log.exception("%s %s failed", request.method, op)
            body = wj.remote_exception_of(
                "RuntimeException", "java.lang.RuntimeException", str(error)
            )
            return json_response(body, 500)

    return endpoint
