"""The DataNode's side of `/_dn/v1` towards the NameNode: register (retried until the NameNode
answers), full block report, a heartbeat every `heartbeat_seconds` whose commands are carried
out in order, block-received and corrupt-replica reports, and the calls made on behalf of a
WebHDFS client (create, add-block, complete, append, block-locations).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING, Any, TypeVar

import httpx
from pydantic import BaseModel

from emr.hdfs import protocol as p
from emr.hdfs.datanode.errors import StorageError

if TYPE_CHECKING:
    from emr.hdfs.datanode.server import DataNode

__all__ = ["NameNodeError", "NameNodeLink"]

log = logging.getLogger(__name__)

M = TypeVar("M", bound=BaseModel)

#: How long to wait between attempts while the NameNode does not answer.
RETRY_SECONDS = 0.2


class NameNodeError(Exception):
    """The NameNode answered an error: its status and RemoteException body, to relay as is."""

    def __init__(self, status: int, body: bytes) -> None:
        super().__init__(f"namenode answered {status}: {body[:200]!r}")
        self.status = status
        self.body = body


class NameNodeLink:
    """One DataNode's connection to its NameNode."""

    def __init__(self, datanode: DataNode) -> None:
        self._dn = datanode
        settings = datanode.settings
        self.client = httpx.AsyncClient(
            base_url=settings.namenode_url,
            headers={"Authorization": f"Bearer {settings.token}"},
            timeout=httpx.Timeout(30.0, connect=5.0),
        )
        self.registered = asyncio.Event()
        self._transfers: set[asyncio.Task[None]] = set()

    async def call(self, name: str, body: BaseModel, answer: type[M]) -> M:
        """POST one `/_dn/v1/<name>` call; NameNodeError when the NameNode refuses it."""
        response = await self.client.post(f"{p.PREFIX}/{name}", content=body.model_dump_json())
        if response.status_code != 200:
            raise NameNodeError(response.status_code, response.content)
        return answer.model_validate_json(response.content)

    async def call_empty(self, name: str, body: BaseModel) -> dict[str, Any]:
        response = await self.client.post(f"{p.PREFIX}/{name}", content=body.model_dump_json())
        if response.status_code != 200:
            raise NameNodeError(response.status_code, response.content)
        answer: dict[str, Any] = response.json()
        return answer

    async def aclose(self) -> None:
        for task in list(self._transfers):
            task.cancel()
        for task in list(self._transfers):
            with contextlib.suppress(BaseException):
                await task
        await self.client.aclose()

    # --- membership -----------------------------------------------------------------------

    async def register(self) -> None:
        """Register, then send the full block report (with the replicas found corrupt)."""
        store = self._dn.store
        report = await asyncio.to_thread(store.storage_report)
        datanode_id = self._dn.datanode_id
        await self.call_empty(
            "register",
            p.DatanodeRegistration(
                datanode_id=datanode_id,
                capacity_bytes=report.capacity_bytes,
                used_bytes=report.used_bytes,
                remaining_bytes=report.remaining_bytes,
            ),
        )
        await self.call_empty(
            "block-report",
            p.BlockReportRequest(
                datanode_id=datanode_id,
                blocks=[p.BlockModel.of(b) for b in store.block_report()],
                corrupt=[p.BlockModel.of(b) for b in store.corrupt_replicas()],
            ),
        )
        if not self.registered.is_set():
            log.info("registered with %s as %s", self._dn.settings.namenode_url, datanode_id)
        self.registered.set()

    async def run(self) -> None:
        """Register (retrying), then heartbeat forever; commands are executed in order."""
        while True:
            try:
                if not self.registered.is_set():
                    await self.register()
                await self.heartbeat()
            except (httpx.HTTPError, NameNodeError) as exc:
                log.warning("namenode unreachable: %s", exc)
                if not self.registered.is_set():
                    await asyncio.sleep(RETRY_SECONDS)
                    continue
            except Exception:
                log.exception("heartbeat failed")
            await asyncio.sleep(self._dn.settings.heartbeat_seconds)

    async def heartbeat(self) -> None:
        report = await asyncio.to_thread(self._dn.store.storage_report)
        answer = await self.call(
            "heartbeat",
            p.DatanodeHeartbeat(
                datanode_id=self._dn.datanode_id,
                capacity_bytes=report.capacity_bytes,
                used_bytes=report.used_bytes,
                remaining_bytes=report.remaining_bytes,
                writers=sorted(self._dn.writers),
            ),
            p.HeartbeatAnswer,
        )
        for command in answer.commands:
            await self.execute(command)

    async def execute(self, command: p.Command) -> None:
        if isinstance(command, p.DeleteCommand):
            block = command.block
            try:
                deleted = await asyncio.to_thread(
                    self._dn.store.delete, block.block_id, block.generation_stamp
                )
            except StorageError as exc:
                log.warning("cannot delete blk_%d: %s", block.block_id, exc)
                return
            log.info("deleted blk_%d: %s", block.block_id, deleted)
        elif isinstance(command, p.TruncateCommand):
            await self._truncate(command)
        elif isinstance(command, p.ReplicateCommand):
            # A transfer runs beside the heartbeats (a 128 MiB block takes a while).
            task = asyncio.create_task(self._replicate(command))
            self._transfers.add(task)
            task.add_done_callback(self._transfers.discard)
        else:
            log.info("namenode asks to register again")
            await self.register()

    async def _truncate(self, command: p.TruncateCommand) -> None:
        block = command.block
        try:
            cut = await asyncio.to_thread(
                self._dn.store.truncate,
                block.block_id,
                command.new_length,
                command.new_generation_stamp,
            )
        except (StorageError, ValueError) as exc:
            log.warning("cannot truncate blk_%d: %s", block.block_id, exc)
            return
        log.info("truncated blk_%d to %d bytes", block.block_id, command.new_length)
        await self.block_received(p.BlockModel.of(cut))

    async def _replicate(self, command: p.ReplicateCommand) -> None:
        from emr.hdfs.datanode.transfer import transfer_replica

        try:
            await transfer_replica(self._dn, command.block.to_block(), command.targets)
            log.info("copied blk_%d to %s", command.block.block_id, command.targets)
        except Exception as exc:
            log.warning(
                "copy of blk_%d to %s failed: %s", command.block.block_id, command.targets, exc
            )

    # --- replica events --------------------------------------------------------------------

    async def block_received(self, block: p.BlockModel) -> None:
        try:
            await self.call_empty(
                "block-received",
                p.BlockReceivedRequest(datanode_id=self._dn.datanode_id, block=block),
            )
        except (httpx.HTTPError, NameNodeError) as exc:
            # The next full report (after a reregister) carries it.
            log.warning("block-received blk_%d not delivered: %s", block.block_id, exc)

    async def report_corrupt(self, block: p.BlockModel) -> None:
        log.warning("corrupt replica blk_%d", block.block_id)
        try:
            await self.call_empty(
                "corrupt", p.CorruptReplicaRequest(datanode_id=self._dn.datanode_id, block=block)
            )
        except (httpx.HTTPError, NameNodeError) as exc:
            log.warning("corrupt report of blk_%d not delivered: %s", block.block_id, exc)
