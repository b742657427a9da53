"""`/_dn/v1/*` on the NameNode: the DataNodes' side of `emr.hdfs.protocol`, bearer token required.

Membership and replica events feed the BlockManager; the calls a DataNode makes on behalf of a
WebHDFS client (create, add-block, complete, append, block-locations) call the Namespace with
the client's user and tell the BlockManager about the blocks, as its docstring prescribes.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from emr.hdfs import protocol as p
from emr.hdfs import webhdfs_json as wj
from emr.hdfs.blockmanager import (
    BlockReceived,
    BlockReport,
    CorruptReplicaReported,
    DatanodeHeartbeat,
    DatanodeRegistered,
    DecommissionRequested,
    FileBlocksAdded,
    NoDatanodesAvailable,
    ReregisterDatanode,
)
from emr.hdfs.namenode.errors import HdfsError, IllegalArgumentException, IOException
from emr.hdfs.namenode.server import NameNode, _now, json_response, now_ms

__all__ = ["datanode_routes"]

M = TypeVar("M", bound=BaseModel)
Call = Callable[[NameNode, Any, Request], BaseModel | dict[str, Any]]


def _host(request: Request) -> str:
    return request.client.host if request.client else ""


def _register(nn: NameNode, req: p.DatanodeRegistration, r: Request) -> dict[str, Any]:
    nn.take_commands(req.datanode_id)  # a (re)registered node starts afresh
    nn.feed(
        DatanodeRegistered(
            at=_now(),
            datanode_id=req.datanode_id,
            capacity_bytes=req.capacity_bytes,
            used_bytes=req.used_bytes,
            remaining_bytes=req.remaining_bytes,
            hostname=req.datanode_id.rsplit(":", 1)[0],
        )
    )
    if nn.is_excluded(req.datanode_id, req.datanode_id.rsplit(":", 1)[0]):
        # Listed in dfs.hosts.exclude (registering after a refresh, or after a restart).
        nn.feed(DecommissionRequested(at=_now(), datanode_id=req.datanode_id))
    return {}


def _heartbeat(nn: NameNode, req: p.DatanodeHeartbeat, r: Request) -> p.HeartbeatAnswer:
    nn.renew_leases(req.writers)
    actions = nn.feed(
        DatanodeHeartbeat(
            at=_now(),
            datanode_id=req.datanode_id,
            used_bytes=req.used_bytes,
            remaining_bytes=req.remaining_bytes,
            capacity_bytes=req.capacity_bytes,
        )
    )
    commands: list[p.Command] = []
    if any(isinstance(a, ReregisterDatanode) for a in actions):
        commands.append(p.ReregisterCommand())
    commands += nn.take_commands(req.datanode_id)
    return p.HeartbeatAnswer(commands=commands)


def _block_report(nn: NameNode, req: p.BlockReportRequest, r: Request) -> dict[str, Any]:
    nn.feed(
        BlockReport(
            at=_now(),
            datanode_id=req.datanode_id,
            blocks=[b.to_block() for b in req.blocks],
            corrupt=[b.to_block() for b in req.corrupt],
        )
    )
    return {}


def _block_received(nn: NameNode, req: p.BlockReceivedRequest, r: Request) -> dict[str, Any]:
    nn.feed(BlockReceived(at=_now(), datanode_id=req.datanode_id, block=req.block.to_block()))
    return {}


def _corrupt(nn: NameNode, req: p.CorruptReplicaRequest, r: Request) -> dict[str, Any]:
    nn.feed(
        CorruptReplicaReported(at=_now(), datanode_id=req.datanode_id, block=req.block.to_block())
    )
    return {}


def _create(nn: NameNode, req: p.CreateRequest, r: Request) -> dict[str, Any]:
    nn.check_writable(f"Cannot create file{req.path}")
    nn.renew_leases([req.client])
    result = nn.namespace.create(
        req.path,
        user=nn.user(req.user),
        client=req.client,
        client_machine=_host(r),
        replication=req.replication or nn.settings.replication,
        block_size=req.block_size or nn.settings.block_size,
        overwrite=req.overwrite,
        permission=req.permission,
        now=now_ms(),
    )
    nn.commit()
    nn.pending_creates.pop(req.path, None)
    nn.blocks_removed(result.removed_blocks)
    return {}


def _commit_block(nn: NameNode, block: p.BlockModel | None) -> None:
    """The previous block of a file is complete with its final length."""
    if block is None:
        return
    owner = nn.namespace.block_owner(block.block_id)
    if owner is not None:
        nn.feed(FileBlocksAdded(at=_now(), blocks=[owner.block], replication=owner.replication))


def _add_block(nn: NameNode, req: p.AddBlockRequest, r: Request) -> p.LocatedBlock:
    nn.check_writable(f"Cannot add block to {req.path}")
    nn.renew_leases([req.client])
    user = nn.user(req.user)
    status = nn.namespace.get_file_status(req.path, user=user)
    try:
        targets = nn.blocks.choose_targets(
            status.replication, exclude=req.excluded, writer=req.writer
        )
    except NoDatanodesAvailable:
        live = len(nn.live_datanodes())
        excluded = f"{len(req.excluded)} node(s) are" if req.excluded else "no node(s) are"
        raise IOException(
            f"File {req.path} could only be written to 0 of the 1 minReplication nodes. "
            f"There are {live} datanode(s) running and {excluded} excluded in this operation."
        ) from None
    previous = req.previous
    block = nn.namespace.add_block(
        req.path,
        client=req.client,
        last_block_length=None if previous is None else previous.num_bytes,
    )
    nn.commit()
    _commit_block(nn, previous)
    nn.feed(
        FileBlocksAdded(
            at=_now(),
            blocks=[block],
            replication=status.replication,
            under_construction=True,
            expected_locations=targets,
        )
    )
    # The new block is empty, so the file's length is where it starts.
    offset = nn.namespace.get_file_status(req.path, user=user).length
    return p.LocatedBlock(block=p.BlockModel.of(block), locations=targets, offset=offset)


def _complete(nn: NameNode, req: p.CompleteRequest, r: Request) -> dict[str, Any]:
    nn.check_writable(f"Cannot complete file {req.path}")
    last = req.last
    done = nn.namespace.complete(
        req.path,
        client=req.client,
        last_block_length=None if last is None else last.num_bytes,
        now=now_ms(),
    )
    nn.commit()
    _commit_block(nn, last)
    return {"complete": done}


def _append(nn: NameNode, req: p.AppendRequest, r: Request) -> p.AppendAnswer:
    nn.check_writable(f"Cannot append to file{req.path}")
    nn.renew_leases([req.client])
    result = nn.namespace.append(
        req.path, user=nn.user(req.user), client=req.client, client_machine=_host(r)
    )
    nn.commit()
    length = result.status.length
    last = result.last_block
    if last is None:
        return p.AppendAnswer(last_block=None, file_length=length)
    locations = list(nn.blocks.locations(last.block_id))
    nn.feed(
        FileBlocksAdded(
            at=_now(),
            blocks=[last],
            replication=result.status.replication,
            under_construction=True,
            expected_locations=locations,
        )
    )
    located = p.LocatedBlock(
        block=p.BlockModel.of(last), locations=locations, offset=length - last.num_bytes
    )
    return p.AppendAnswer(last_block=located, file_length=length)


def _block_locations(nn: NameNode, req: p.BlockLocationsRequest, r: Request) -> p.BlockLocations:
    located = nn.namespace.get_block_locations(
        req.path, user=nn.user(req.user), offset=req.offset, length=req.length, now=now_ms()
    )
    nn.commit()
    return p.BlockLocations(
        file_length=located.file_length,
        blocks=[
            p.LocatedBlock(
                block=p.BlockModel.of(b.block),
                locations=list(nn.blocks.locations(b.block.block_id)),
                offset=b.offset,
            )
            for b in located.blocks
        ],
        under_construction=located.under_construction,
    )


def _authorized(nn: NameNode, request: Request) -> bool:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    return scheme.lower() == "bearer" and secrets.compare_digest(
        token.encode(), nn.settings.token.encode()
    )


def _unauthorized() -> Response:
    body = wj.remote_exception_of(
        "SecurityException", "java.lang.SecurityException", "Invalid or missing cluster token"
    )
    return json_response(body, 401)


def _endpoint(
    nn: NameNode, model: type[M], call: Callable[[NameNode, M, Request], Any]
) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        if not _authorized(nn, request):
            return _unauthorized()
        body = await request.body()
        try:
            try:
                parsed = model.model_validate_json(body)
            except ValidationError as exc:
                raise IllegalArgumentException(f"Invalid request: {exc}") from exc
            answer = call(nn, parsed, request)
        except HdfsError as error:
            return json_response(wj.remote_exception(error), error.http_status)
        if isinstance(answer, BaseModel):
            return Response(answer.model_dump_json().encode(), media_type=None)
        return json_response(answer)

    return endpoint


def datanode_routes(nn: NameNode) -> list[Route]:
    """The `/_dn/v1` routes, and `GET /_dn/v1/status` for the agent's readiness probe."""

    async def status(request: Request) -> Response:
        if not _authorized(nn, request):
            return _unauthorized()
        return json_response(
            {
                "safe_mode": nn.in_safe_mode,
                "live_datanodes": len(nn.live_datanodes()),
                "expected_datanodes": nn.settings.expected_datanodes,
            }
        )

    calls: list[tuple[str, type[BaseModel], Callable[[NameNode, Any, Request], Any]]] = [
        ("register", p.DatanodeRegistration, _register),
        ("heartbeat", p.DatanodeHeartbeat, _heartbeat),
        ("block-report", p.BlockReportRequest, _block_report),
        ("block-received", p.BlockReceivedRequest, _block_received),
        ("corrupt", p.CorruptReplicaRequest, _corrupt),
        ("create", p.CreateRequest, _create),
        ("add-block", p.AddBlockRequest, _add_block),
        ("complete", p.CompleteRequest, _complete),
        ("append", p.AppendRequest, _append),
        ("block-locations", p.BlockLocationsRequest, _block_locations),
    ]
    routes = [
        Route(f"{p.PREFIX}/{name}", _endpoint(nn, model, call), methods=["POST"])
        for name, model, call in calls
    ]
    routes.append(Route(f"{p.PREFIX}/status", status, methods=["GET"]))
    return routes
