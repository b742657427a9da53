"""WebHDFS on the DataNode: the ops the NameNode redirects here (307) — CREATE, APPEND, OPEN,
GETFILECHECKSUM. The DataNode acts as the client towards the NameNode (create, add-block,
complete, append, block-locations) with the `user.name` the redirect carried.

A DataNode of the pipeline failing in the middle of a write is dropped from it (see
transfer.py) and excluded from the file's next blocks, as HDFS's client excludes bad nodes.
APPEND continues the reopened last block in place on the nodes that hold it.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import uuid
from collections.abc import AsyncGenerator, Awaitable, Callable, Iterator
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote_to_bytes

import httpx
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from emr.hdfs import protocol as p
from emr.hdfs import webhdfs_json as wj
from emr.hdfs.datanode.checksums import BYTES_PER_CHECKSUM, BlockChecksum, ChunkChecksummer
from emr.hdfs.datanode.checksums import file_checksum as md5md5crc
from emr.hdfs.datanode.errors import StorageError
from emr.hdfs.datanode.namenode_link import NameNodeError
from emr.hdfs.datanode.transfer import PipelineWriter, block_range, error_response
from emr.hdfs.namenode.errors import HdfsError, IllegalArgumentException, IOException

if TYPE_CHECKING:
    from emr.hdfs.datanode.server import DataNode

__all__ = ["webhdfs_routes"]

log = logging.getLogger(__name__)

DEFAULT_BLOCK_SIZE = 134_217_728
Params = dict[str, str]


def request_path(request: Request) -> str:
    """The HDFS path of a `/webhdfs/v1/<path>` request, decoded as UTF-8 from the raw path."""
    raw: bytes = request.scope.get("raw_path") or request.scope["path"].encode()
    decoded = unquote_to_bytes(raw.split(b"?", 1)[0]).decode("utf-8", errors="strict")
    return decoded.removeprefix("/webhdfs/v1") or "/"


def _int(params: Params, name: str) -> int | None:
    value = params.get(name)
    if value is None or value == "":
        return None
    try:
        return int(value)
    except ValueError:
        raise IllegalArgumentException(
            f'Invalid value for webhdfs parameter "{name}": {value}'
        ) from None


class FileWriter:
    """A client's bytes cut into blocks: add-block for each, a pipeline per block."""

    def __init__(
        self,
        dn: DataNode,
        call: dict[str, str],
        block_size: int,
        *,
        current: PipelineWriter | None = None,
    ) -> None:
        self._dn = dn
        self._call = call
        self._block_size = block_size
        self._sink = current
        self._previous: p.BlockModel | None = None
        #: DataNodes that failed in one of this write's pipelines.
        self._excluded: list[str] = []
        #: The previous block, finalizing while the next one is written.
        self._finishing: asyncio.Task[None] | None = None

    async def write(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            if self._sink is None:
                located = await self._dn.namenode.call(
                    "add-block",
                    p.AddBlockRequest(
                        **self._call,
                        previous=self._previous,
                        writer=self._dn.datanode_id,
                        excluded=self._excluded,
                    ),
                    p.LocatedBlock,
                )
                block = located.block
                self._sink = PipelineWriter.start(
                    self._dn,
                    block.block_id,
                    block.generation_stamp,
                    located.locations,
                    local=self._dn.datanode_id in located.locations,
                )
            room = self._block_size - self._sink.length
            await self._sink.write(bytes(view[:room]))
            view = view[room:]
            if self._sink.length >= self._block_size:
                await self._end_block()

    async def _end_block(self) -> None:
        """Close the current block; it finalizes (fsync, the pipeline's answer) while the next
        one is written, and the one before it must have finished by now."""
        assert self._sink is not None
        sink, self._sink = self._sink, None
        await self._finished()
        self._previous = p.BlockModel(
            block_id=sink.block_id, generation_stamp=sink.generation_stamp, num_bytes=sink.length
        )
        self._finishing = asyncio.create_task(self._finish(sink))

    async def _finish(self, sink: PipelineWriter) -> None:
        block = await sink.finish()
        self._excluded += [node for node in sink.lost if node not in self._excluded]
        if sink.local is not None:
            await self._dn.namenode.block_received(block)

    async def _finished(self) -> None:
        if self._finishing is not None:
            finishing, self._finishing = self._finishing, None
            await finishing

    async def close(self) -> p.BlockModel | None:
        """Finish the last block and wait for every block to be durable; the file's last
        block with its length."""
        if self._sink is not None:
            await self._end_block()
        await self._finished()
        return self._previous

    def abort(self) -> None:
        if self._sink is not None:
            self._sink.abort()
        finishing = self._finishing
        if finishing is not None:
            if finishing.done() and not finishing.cancelled():
                finishing.exception()  # already failed: retrieved, the write fails anyway
            finishing.cancel()  # its sink aborts itself


async def _write_body(writer: FileWriter, request: Request) -> p.BlockModel | None:
    try:
        async for chunk in request.stream():
            await writer.write(chunk)
        return await writer.close()
    except StorageError as exc:
        writer.abort()
        raise IOException(str(exc)) from exc
    except BaseException:
        writer.abort()
        raise


@contextlib.contextmanager
def _holding_lease(dn: DataNode, call: dict[str, str]) -> Iterator[None]:
    """The write's lease is renewed with every heartbeat while it runs here."""
    dn.writers.add(call["client"])
    try:
        yield
    finally:
        dn.writers.discard(call["client"])


def _client_call(path: str, params: Params) -> dict[str, str]:
    return {
        "path": path,
        "user": params.get("user.name") or "dr.who",
        "client": f"webhdfs-{uuid.uuid4().hex}",
    }


async def _create(dn: DataNode, path: str, params: Params, request: Request) -> Response:
    call = _client_call(path, params)
    block_size = _int(params, "blocksize") or DEFAULT_BLOCK_SIZE
    permission = params.get("permission") or "644"
    try:
        mode = int(permission, 8)
    except ValueError:
        raise IllegalArgumentException(f"Invalid permission: {permission}") from None
    with _holding_lease(dn, call):
        await dn.namenode.call_empty(
            "create",
            p.CreateRequest(
                **call,
                overwrite=params.get("overwrite", "false").lower() == "true",
                replication=_int(params, "replication"),
                block_size=block_size,
                permission=mode,
            ),
        )
        last = await _write_body(FileWriter(dn, call, block_size), request)
        await dn.namenode.call_empty("complete", p.CompleteRequest(**call, last=last))
    rpc = params.get("namenoderpcaddress", dn.settings.namenode_url.split("//", 1)[-1])
    return Response(b"", 201, headers={"Location": f"hdfs://{rpc}{path}"}, media_type=None)


async def _file_block_size(dn: DataNode, path: str, user: str) -> int:
    response = await dn.namenode.client.get(
        f"/webhdfs/v1{path}", params={"op": "GETFILESTATUS", "user.name": user}
    )
    if response.status_code != 200:
        raise NameNodeError(response.status_code, response.content)
    size: int = response.json()["FileStatus"]["blockSize"]
    return size


async def _append(dn: DataNode, path: str, params: Params, request: Request) -> Response:
    call = _client_call(path, params)
    with _holding_lease(dn, call):
        await _append_as(dn, call, path, request)
    return Response(b"", 200, media_type=None)


async def _append_as(dn: DataNode, call: dict[str, str], path: str, request: Request) -> None:
    block_size = await _file_block_size(dn, path, call["user"])
    answer = await dn.namenode.call(
        "append", p.AppendRequest(**call, writer=dn.datanode_id), p.AppendAnswer
    )
    current = None
    if answer.last_block is not None:
        last = answer.last_block
        if not last.locations:
            raise IOException(f"No live replica of the last block of {path} to append to")
        first, rest = (
            (last.locations[0], last.locations[1:])
            if dn.datanode_id not in last.locations
            else (dn.datanode_id, [d for d in last.locations if d != dn.datanode_id])
        )
        try:
            current = PipelineWriter.start(
                dn,
                last.block.block_id,
                last.block.generation_stamp,
                [first, *rest],
                local=first == dn.datanode_id,
                append=True,
            )
        except StorageError as exc:
            raise IOException(str(exc)) from exc
        current.length = last.block.num_bytes
    writer = FileWriter(dn, call, block_size, current=current)
    final = await _write_body(writer, request)
    await dn.namenode.call_empty("complete", p.CompleteRequest(**call, last=final))


async def _locations(
    dn: DataNode, path: str, params: Params, offset: int, length: int | None
) -> p.BlockLocations:
    call = _client_call(path, params)
    return await dn.namenode.call(
        "block-locations",
        p.BlockLocationsRequest(**call, offset=offset, length=length),
        p.BlockLocations,
    )


async def _open(dn: DataNode, path: str, params: Params, request: Request) -> Response:
    offset = _int(params, "offset") or 0
    length = _int(params, "length")
    if offset < 0 or (length is not None and length < 0):
        raise IllegalArgumentException("Invalid offset or length")
    located = await _locations(dn, path, params, offset, length)
    if offset > located.file_length:
        raise IOException(f"Offset={offset} out of the range [0, {located.file_length}]")
    end = located.file_length if length is None else min(offset + length, located.file_length)

    async def body() -> AsyncGenerator[bytes, None]:
        for block in located.blocks:
            start = max(offset, block.offset) - block.offset
            stop = min(end, block.offset + block.block.num_bytes) - block.offset
            if start < stop:
                async with contextlib.aclosing(block_range(dn, block, start, stop)) as pieces:
                    async for piece in pieces:
                        yield piece

    headers = {"Content-Length": str(end - offset)}
    return StreamingResponse(body(), headers=headers, media_type="application/octet-stream")


async def _block_checksum(dn: DataNode, block: p.LocatedBlock) -> BlockChecksum:
    """The replica's MD5-of-CRCs: from the local meta, else recomputed from verified bytes."""
    local = dn.store.replica(block.block.block_id)
    if local is not None and local.generation_stamp == block.block.generation_stamp:
        with contextlib.suppress(StorageError):
            return await asyncio.to_thread(dn.store.block_checksum, block.block.block_id)
    checksummer = ChunkChecksummer(BYTES_PER_CHECKSUM)
    digest = hashlib.md5(usedforsecurity=False)
    crcs = 0
    async with contextlib.aclosing(block_range(dn, block, 0, block.block.num_bytes)) as pieces:
        async for piece in pieces:
            crc = checksummer.update(piece)
            crcs += len(crc) // 4
            digest.update(crc)
    crc = checksummer.finish()
    crcs += len(crc) // 4
    digest.update(crc)
    return BlockChecksum(digest.digest(), crcs, BYTES_PER_CHECKSUM)


async def _checksum(dn: DataNode, path: str, params: Params, request: Request) -> Response:
    located = await _locations(dn, path, params, 0, None)
    blocks = [await _block_checksum(dn, b) for b in located.blocks if b.block.num_bytes]
    checksum = md5md5crc(blocks)
    body = wj.file_checksum(checksum.bytes, algorithm=checksum.algorithm, length=checksum.length)
    return Response(wj.encode(body), media_type=None)


Handler = Callable[["DataNode", str, Params, Request], Awaitable[Response]]

_HANDLERS: dict[str, dict[str, Handler]] = {
    "PUT": {"CREATE": _create},
    "POST": {"APPEND": _append},
    "GET": {"OPEN": _open, "GETFILECHECKSUM": _checksum},
}


def webhdfs_routes(dn: DataNode) -> list[Route]:
    """`/webhdfs/v1/{path}` for the redirected ops."""

    async def endpoint(request: Request) -> Response:
        params = {k.lower(): v for k, v in request.query_params.items()}
        op = params.get("op", "").upper()
        try:
            handler = _HANDLERS.get(request.method, {}).get(op)
            if handler is None:
                raise IllegalArgumentException(
                    f'Invalid value for webhdfs parameter "op": {op} is not served by a DataNode'
                )
            try:
                path = request_path(request)
            except UnicodeDecodeError:
                raise IllegalArgumentException("Invalid path: not UTF-8") from None
            return await handler(dn, path, params, request)
        except NameNodeError as error:
            return Response(error.body, error.status, media_type=None)
        except HdfsError as error:
            return error_response(error)
        except httpx.HTTPError as error:
            return error_response(IOException(f"NameNode unreachable: {error}"))
        except Exception as error:
            log.exception("%s %s failed", request.method, op)
            body: dict[str, Any] = wj.remote_exception_of(
                "RuntimeException", "java.lang.RuntimeException", str(error)
            )
            return Response(wj.encode(body), 500, media_type=None)

    methods = ["GET", "PUT", "POST"]
    return [Route("/webhdfs/v1/{path:path}", endpoint, methods=methods)]
