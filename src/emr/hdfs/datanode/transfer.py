"""Blocks between DataNodes: the pipeline writer, `PUT`/`GET /_dn/v1/blocks/{id}`, and reading
a block's range from whichever replica answers.

A `PipelineWriter` writes one replica here (when this node is in the pipeline) and streams the
same bytes on to the next node, which does the same for the rest: `finish()` returns only once
the local replica is finalized (fsync) and the downstream answered 200, so its success means
every replica still in the pipeline is durable. At most `QUEUE_PIECES` pieces wait for the
downstream node, so no block is ever held in memory whole.

Pipeline recovery: when the downstream fails (its node died, or it answered an error), a node
that writes a replica itself carries on alone and names the lost nodes in its answer
(`{"num_bytes": n, "lost": [...]}`), so the writer excludes them from the file's next blocks
and the NameNode, seeing fewer replicas than the factor once the block completes,
re-replicates it. The survivors downstream of a failed node lose their partial replica (its
stream was cut), which is what re-replication restores. This is HDFS's
replace-datanode-on-failure policy NEVER; the minimum replication of a write stays 1, as
HDFS's dfs.namenode.replication.min. A partial replica left behind by a killed node is in
rbw/, never reported, and discarded at its restart. A node that writes no replica of its own
(a transfer for re-replication) fails instead: the NameNode retries elsewhere.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncGenerator, Sequence
from typing import TYPE_CHECKING

import httpx
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from emr.hdfs import protocol as p
from emr.hdfs.datanode.errors import CorruptReplica, ReplicaNotFound, StorageError
from emr.hdfs.datanode.storage import BlockWriter, ReplicaReader
from emr.hdfs.namenode.errors import HdfsError, IOException
from emr.hdfs.types import Block

if TYPE_CHECKING:
    from emr.hdfs.datanode.server import DataNode

__all__ = [
    "ChecksumException",
    "PipelineWriter",
    "block_range",
    "local_pieces",
    "transfer_replica",
    "transfer_routes",
]

log = logging.getLogger(__name__)

QUEUE_PIECES = 16


class ChecksumException(IOException):
    """A replica failed its checksums (Hadoop's org.apache.hadoop.fs.ChecksumException)."""

    exception = "ChecksumException"
    java_class_name = "org.apache.hadoop.fs.ChecksumException"
    http_status = 409


class ReplicaNotFoundException(IOException):
    exception = "ReplicaNotFoundException"
    java_class_name = "org.apache.hadoop.hdfs.server.datanode.ReplicaNotFoundException"
    http_status = 404


def block_url(datanode: str, block_id: int) -> str:
    return f"http://{datanode}{p.PREFIX}/blocks/{block_id}"


class PipelineWriter:
    """One replica written here (if `local`) and streamed to `downstream[0]` (which forwards
    to the rest)."""

    def __init__(
        self,
        dn: DataNode,
        block_id: int,
        generation_stamp: int,
        *,
        local: BlockWriter | None,
        downstream: Sequence[str],
        append: bool,
        base_length: int,
    ) -> None:
        self.block_id = block_id
        self.generation_stamp = generation_stamp
        self.local = local
        self.length = base_length
        #: Pipeline nodes that failed during this block (this node's downstream and, from its
        #: answer, the ones further down).
        self.lost: list[str] = []
        self._queue: asyncio.Queue[bytes | None] = asyncio.Queue(maxsize=QUEUE_PIECES)
        self._task: asyncio.Task[httpx.Response] | None = None
        self.downstream = ""
        self._rest = list(downstream[1:])
        if downstream:
            params = {"genstamp": str(generation_stamp)}
            if downstream[1:]:
                params["pipeline"] = ",".join(downstream[1:])
            if append:
                params["append"] = "1"
            self.downstream = downstream[0]
            self._task = asyncio.create_task(
                dn.peers.put(
                    block_url(downstream[0], block_id), params=params, content=self._body()
                )
            )

    @classmethod
    def start(
        cls,
        dn: DataNode,
        block_id: int,
        generation_stamp: int,
        targets: Sequence[str],
        *,
        local: bool,
        append: bool = False,
    ) -> PipelineWriter:
        """Open the local replica (new, or reopened to append) and the downstream stream."""
        writer: BlockWriter | None = None
        base_length = 0
        if local:
            if append:
                base = dn.store.replica(block_id)
                if base is None:
                    raise ReplicaNotFound(block_id, "no replica to append to")
                writer = dn.store.append_writer(base, generation_stamp)
                base_length = base.num_bytes
            else:
                writer = dn.store.open_writer(block_id, generation_stamp)
        return cls(
            dn,
            block_id,
            generation_stamp,
            local=writer,
            downstream=[t for t in targets if t != dn.datanode_id],
            append=append,
            base_length=base_length,
        )

    async def _body(self) -> AsyncGenerator[bytes, None]:
        while (piece := await self._queue.get()) is not None:
            yield piece

    async def _send(self, piece: bytes | None) -> None:
        if self._task is None:
            return
        if self._task.done():  # the downstream ended before taking everything
            await self._lose_downstream()
            return
        if not self._queue.full():
            self._queue.put_nowait(piece)
            return
        put = asyncio.ensure_future(self._queue.put(piece))
        await asyncio.wait({put, self._task}, return_when=asyncio.FIRST_COMPLETED)
        if not put.done():
            put.cancel()
            await self._lose_downstream()

    async def write(self, data: bytes) -> None:
        if not data:
            return
        if self.local is not None:
            self.local.write(data)  # buffered (1 MiB): the event loop rarely waits on disk
        await self._send(data)
        self.length += len(data)

    async def _downstream_answer(self) -> None:
        """The downstream's 200 (with the nodes it lost further down), or IOException."""
        assert self._task is not None
        try:
            response = await self._task
        except httpx.HTTPError as exc:
            raise IOException(f"pipeline to {self.downstream} failed: {exc}") from exc
        if response.status_code != 200:
            raise IOException(
                f"pipeline to {self.downstream} failed: {response.status_code} {response.text}"
            )
        try:
            lost = response.json().get("lost", [])
        except ValueError:
            lost = []
        self.lost += [str(node) for node in lost]

    async def _lose_downstream(self) -> None:
        """The downstream ended early: carry on alone when writing here, else fail the write."""
        assert self._task is not None and self._task.done()
        try:
            await self._downstream_answer()
            error = IOException(f"{self.downstream} stopped reading blk_{self.block_id}")
        except IOException as exc:
            error = exc
        self._task = None
        if self.local is None:
            raise error
        log.warning("blk_%d: %s; going on without it and %s", self.block_id, error, self._rest)
        self.lost += [self.downstream, *self._rest]

    async def finish(self) -> p.BlockModel:
        """Finalize here and wait for the downstream's 200; the block with its length."""
        await self._send(None)
        try:
            if self.local is not None:
                await asyncio.to_thread(self.local.finalize)
            if self._task is not None:
                try:
                    await self._downstream_answer()
                except IOException:
                    await self._lose_downstream()
        except BaseException:
            self.abort()
            raise
        return p.BlockModel(
            block_id=self.block_id, generation_stamp=self.generation_stamp, num_bytes=self.length
        )

    def abort(self) -> None:
        if self.local is not None:
            self.local.abort()
        if self._task is not None and not self._task.done():
            self._task.cancel()


# --- reading -------------------------------------------------------------------------------


async def local_pieces(dn: DataNode, reader: ReplicaReader) -> AsyncGenerator[bytes, None]:
    """The verified pieces of a local read; a bad chunk is reported to the NameNode."""
    try:
        while (piece := await asyncio.to_thread(next, reader, None)) is not None:
            yield piece
    except CorruptReplica:
        await dn.namenode.report_corrupt(p.BlockModel.of(reader.block))
        raise
    finally:
        reader.close()


class PeerReadError(Exception):
    """A peer could not serve a block range."""


async def peer_pieces(
    dn: DataNode, datanode: str, block: p.BlockModel, start: int, end: int
) -> AsyncGenerator[bytes, None]:
    params = {
        "genstamp": str(block.generation_stamp),
        "offset": str(start),
        "length": str(end - start),
    }
    request = dn.peers.build_request("GET", block_url(datanode, block.block_id), params=params)
    response = await dn.peers.send(request, stream=True)
    try:
        if response.status_code != 200:
            await response.aread()
            raise PeerReadError(f"{datanode}: {response.status_code} {response.text}")
        async for piece in response.aiter_bytes():
            yield piece
    finally:
        await response.aclose()


def _open_local(dn: DataNode, block: p.BlockModel, start: int, end: int) -> ReplicaReader:
    replica = dn.store.replica(block.block_id)
    if replica is None or replica.generation_stamp < block.generation_stamp:
        raise ReplicaNotFound(block.block_id, "no replica of that version")
    return dn.store.read(block.block_id, start, end - start)


def _open_for_peer(
    dn: DataNode, block_id: int, stamp: int, offset: int, length: int | None
) -> ReplicaReader:
    reader = dn.store.read(block_id, offset, length)
    if reader.block.generation_stamp < stamp:
        reader.close()
        raise ReplicaNotFound(block_id, f"have {reader.block}, asked for stamp {stamp}")
    return reader


async def block_range(
    dn: DataNode, located: p.LocatedBlock, start: int, end: int
) -> AsyncGenerator[bytes, None]:
    """Bytes [start, end) of a block, from the local replica first, then the others; a
    replica that fails (corrupt, unreachable, cut off) is left for the next one, resuming
    where it stopped."""
    position = start
    locations = sorted(located.locations, key=lambda d: d != dn.datanode_id)
    failures: list[str] = []
    for location in locations:
        if position >= end:
            break
        try:
            if location == dn.datanode_id:
                reader = await asyncio.to_thread(_open_local, dn, located.block, position, end)
                source = local_pieces(dn, reader)
            else:
                source = peer_pieces(dn, location, located.block, position, end)
            async with contextlib.aclosing(source) as pieces:
                async for piece in pieces:
                    piece = piece[: end - position]
                    position += len(piece)
                    yield piece
        except (StorageError, httpx.HTTPError, PeerReadError, ValueError) as exc:
            log.warning("blk_%d from %s: %s", located.block.block_id, location, exc)
            failures.append(f"{location}: {exc}")
    if position < end:
        raise IOException(
            f"Could not obtain block: blk_{located.block.block_id} "
            f"file offset {located.offset + position}; tried {failures or 'no nodes'}"
        )


async def transfer_replica(dn: DataNode, block: Block, targets: Sequence[str]) -> None:
    """Copy the local replica to `targets` as a pipeline (a ReplicateCommand)."""
    reader = await asyncio.to_thread(dn.store.read, block.block_id)
    if reader.block.generation_stamp != block.generation_stamp:
        reader.close()
        raise ReplicaNotFound(block.block_id, f"have {reader.block}, asked for {block}")
    writer = PipelineWriter(
        dn,
        block.block_id,
        block.generation_stamp,
        local=None,
        downstream=list(targets),
        append=False,
        base_length=0,
    )
    try:
        async with contextlib.aclosing(local_pieces(dn, reader)) as pieces:
            async for piece in pieces:
                await writer.write(piece)
    except BaseException:
        writer.abort()
        raise
    await writer.finish()


# --- the endpoints --------------------------------------------------------------------------


def error_response(error: HdfsError) -> Response:
    from emr.hdfs import webhdfs_json as wj

    return Response(wj.encode(wj.remote_exception(error)), error.http_status, media_type=None)


def _block_params(request: Request) -> tuple[int, int, dict[str, str]]:
    from emr.hdfs.namenode.errors import IllegalArgumentException

    params = dict(request.query_params)
    try:
        return int(request.path_params["block_id"]), int(params.get("genstamp", "0")), params
    except ValueError:
        raise IllegalArgumentException("Invalid block id or genstamp") from None


def transfer_routes(dn: DataNode) -> list[Route]:
    """`PUT` and `GET /_dn/v1/blocks/{block_id}` (cluster token required)."""

    async def put_block(request: Request) -> Response:
        if not dn.authorized(request):
            return dn.unauthorized()
        try:
            block_id, stamp, params = _block_params(request)
            pipeline = [d for d in params.get("pipeline", "").split(",") if d]
            append = params.get("append", "") in ("1", "true")
            try:
                writer = PipelineWriter.start(
                    dn, block_id, stamp, pipeline, local=True, append=append
                )
            except StorageError as exc:
                raise IOException(str(exc)) from exc
            try:
                async for chunk in request.stream():
                    await writer.write(chunk)
            except BaseException:
                writer.abort()
                raise
            block = await writer.finish()
        except HdfsError as error:
            return error_response(error)
        await dn.namenode.block_received(block)
        answer = {"num_bytes": block.num_bytes, "lost": writer.lost}
        return Response(json.dumps(answer).encode(), media_type=None)

    async def get_block(request: Request) -> Response:
        if not dn.authorized(request):
            return dn.unauthorized()
        try:
            block_id, stamp, params = _block_params(request)
            offset = int(params.get("offset", "0"))
            length = int(params["length"]) if "length" in params else None
            try:
                reader = await asyncio.to_thread(
                    _open_for_peer, dn, block_id, stamp, offset, length
                )
            except CorruptReplica as exc:  # known bad: reported when found
                raise ChecksumException(str(exc)) from exc
            except (ReplicaNotFound, ValueError) as exc:
                raise ReplicaNotFoundException(str(exc)) from exc
            pieces = local_pieces(dn, reader)
            try:
                first = await anext(pieces, b"")  # a bad first chunk is still a clean 409
            except CorruptReplica as exc:
                raise ChecksumException(str(exc)) from exc
        except HdfsError as error:
            return error_response(error)

        async def body() -> AsyncGenerator[bytes, None]:
            async with contextlib.aclosing(pieces):
                yield first
                async for piece in pieces:
                    yield piece

        headers = {"Content-Length": str(reader.length)}
        return StreamingResponse(body(), headers=headers, media_type="application/octet-stream")

    route = f"{p.PREFIX}/blocks/{{block_id}}"
    return [
        Route(route, put_block, methods=["PUT"]),
        Route(route, get_block, methods=["GET"]),
    ]
