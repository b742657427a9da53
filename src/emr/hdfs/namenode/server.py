"""The NameNode daemon: the Namespace, its EditLog and the BlockManager behind one HTTP app.

One Starlette app, served by uvicorn on both NameNode ports (9870 and 8020) in one process
and one event loop: WebHDFS for clients (`webhdfs.py`) and `/_dn/v1` for the DataNodes
(`datanode_rpc.py`). Every namespace and block-manager call runs on the event loop, one at a
time and without awaiting in between, so neither needs a lock; after every call the edits it
queued are appended to the EditLog (fsync) before the answer leaves.

LIMITATIONS: lease expiry (a dead writer's file stays open), truncate inside a block,
decommissioning and `dfsadmin -safemode` are not served yet; user groups are empty (only the
NameNode's own user is a superuser).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import defaultdict
from collections.abc import AsyncIterator, Collection, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import Route

from emr.hdfs import protocol
from emr.hdfs.blockmanager import (
    BlockManager,
    BlockManagerConfig,
    BlockManagerEvent,
    BlocksRemoved,
    DeleteReplica,
    FileBlocksAdded,
    HeartbeatCheck,
    NamespaceLoaded,
    ReplicateBlock,
    ReplicationTick,
    SafeModeState,
    emr_default_replication,
)
from emr.hdfs.namenode.core import NamespaceSettings
from emr.hdfs.namenode.editlog import EditLog
from emr.hdfs.namenode.errors import SafeModeException
from emr.hdfs.namenode.namespace import Namespace
from emr.hdfs.namenode.permissions import User
from emr.hdfs.site import read_site_xml
from emr.hdfs.types import Block, DatanodeId
from emr.hdfs.webhdfs_json import encode
from emr.services.emr._machine import Action, Ignored

__all__ = ["NameNode", "NameNodeSettings", "json_response", "now_ms"]

log = logging.getLogger(__name__)


def now_ms() -> int:
    return int(time.time() * 1000)


def json_response(body: dict[str, Any], status: int = 200) -> Response:
    """A WebHDFS JSON answer: deliberately no `application/json` (pyspark cannot decode it)."""
    return Response(encode(body), status_code=status, media_type=None)


def dead_node_timeout(site: dict[str, str]) -> float | None:
    """Seconds of silence after which a DataNode is dead, when hdfs-site sets Hadoop's keys:
    2 * dfs.namenode.heartbeat.recheck-interval (ms) + 10 * dfs.heartbeat.interval (s), as
    Hadoop computes it. None: the BlockManager's default (30 s; Hadoop's 10.5 min is for
    racks of real machines, ours share one host)."""
    recheck = site.get("dfs.namenode.heartbeat.recheck-interval")
    interval = site.get("dfs.heartbeat.interval")
    if recheck is None and interval is None:
        return None
    return 2 * int(recheck or 300_000) / 1000 + 10 * float(interval or 3)


@dataclass(frozen=True)
class NameNodeSettings:
    """Everything the daemon needs, from the node directory and the command line."""

    state_dir: Path
    token: str
    #: The address DataNodes and redirects advertise for this NameNode (master_ip).
    advertised_host: str
    block_size: int = 134_217_728
    replication: int = 1
    expected_datanodes: int = 0
    ls_limit: int = 1000
    checkpoint_every: int = 10_000
    tick_seconds: float = 1.0
    namespace: NamespaceSettings = field(default_factory=NamespaceSettings)
    blockmanager: BlockManagerConfig = field(default_factory=BlockManagerConfig)

    @classmethod
    def from_node_dir(
        cls,
        node_dir: Path,
        *,
        heartbeat_timeout: float | None = None,
        tick_seconds: float = 1.0,
        checkpoint_every: int = 10_000,
    ) -> NameNodeSettings:
        """agent.json (AgentConfig) and conf/hdfs-site.xml of a node directory."""
        from emr.nodes.protocol import AGENT_CONFIG_FILE, AgentConfig

        config = AgentConfig.model_validate_json((node_dir / AGENT_CONFIG_FILE).read_bytes())
        site = read_site_xml(node_dir / "conf" / "hdfs-site.xml")
        core_nodes = sum(1 for role, _ in config.nodes.values() if role == "CORE")
        defaults = NamespaceSettings()
        namespace = NamespaceSettings(
            supergroup=site.get("dfs.permissions.superusergroup", defaults.supergroup),
            min_block_size=int(
                site.get("dfs.namenode.fs-limits.min-block-size", defaults.min_block_size)
            ),
            access_time_precision_ms=int(
                site.get("dfs.namenode.accesstime.precision", defaults.access_time_precision_ms)
            ),
        )
        bm_defaults = BlockManagerConfig()
        if heartbeat_timeout is None:
            heartbeat_timeout = dead_node_timeout(site)
        blockmanager = BlockManagerConfig(
            heartbeat_timeout=bm_defaults.heartbeat_timeout
            if heartbeat_timeout is None
            else timedelta(seconds=heartbeat_timeout),
            safe_mode_threshold=float(
                site.get("dfs.namenode.safemode.threshold-pct", bm_defaults.safe_mode_threshold)
            ),
        )
        return cls(
            state_dir=node_dir / "data" / "namenode",
            token=config.token,
            advertised_host=config.master_ip,
            block_size=int(site.get("dfs.blocksize", 134_217_728)),
            replication=int(site.get("dfs.replication", emr_default_replication(core_nodes))),
            expected_datanodes=core_nodes,
            checkpoint_every=checkpoint_every,
            tick_seconds=tick_seconds,
            namespace=namespace,
            blockmanager=blockmanager,
        )


class NameNode:
    """The namespace, the edit log and the block manager, and the DataNodes' command queues."""

    def __init__(self, settings: NameNodeSettings) -> None:
        self.settings = settings
        self.rpc_port = protocol.NAMENODE_RPC_PORT
        self.editlog = EditLog(settings.state_dir)
        image, records = self.editlog.load()
        if image is None:
            self.namespace = Namespace(settings.namespace)
        else:
            self.namespace = Namespace.from_snapshot(image, settings.namespace)
        self.namespace.replay(records)
        if image is None and not records:
            self._format()
        self._since_checkpoint = len(records)
        self.blocks = BlockManager(settings.blockmanager)
        self._commands: dict[DatanodeId, list[protocol.Command]] = defaultdict(list)
        self._next_datanode = 0
        by_file: dict[str, list[Block]] = defaultdict(list)
        open_files: dict[str, tuple[int, bool]] = {}
        for owner in self.namespace.blocks():
            by_file[owner.path].append(owner.block)
            open_files[owner.path] = (owner.replication, owner.under_construction)
        for path, file_blocks in by_file.items():
            replication, under_construction = open_files[path]
            complete = file_blocks[:-1] if under_construction else file_blocks
            if complete:
                self.feed(FileBlocksAdded(at=_now(), blocks=complete, replication=replication))
            if under_construction:
                self.feed(
                    FileBlocksAdded(
                        at=_now(),
                        blocks=file_blocks[-1:],
                        replication=replication,
                        under_construction=True,
                    )
                )
        self.feed(NamespaceLoaded(at=_now()))
        log.info("namespace loaded: txid %d, %d blocks", self.namespace.last_txid, len(by_file))

    def _format(self) -> None:
        """A new namespace gets the directories EMR's HDFS starts with: /tmp (1777), /user, and
        the home directory of `hadoop` (the user EMR's steps run as), owned by it."""
        superuser = User(self.settings.namespace.fs_owner)
        now = int(time.time() * 1000)
        self.namespace.mkdirs("/tmp", user=superuser, now=now)
        self.namespace.set_permission("/tmp", 0o1777, user=superuser)
        self.namespace.mkdirs("/user/hadoop", user=superuser, now=now)
        self.namespace.set_owner("/user/hadoop", user=superuser, owner="hadoop", group="hadoop")
        self.editlog.append(self.namespace.take_edits())

    # --- the block manager ---------------------------------------------------------------

    def feed(self, event: BlockManagerEvent) -> list[Action]:
        """Hand one event to the block manager and queue the commands it decides."""
        actions = self.blocks.handle(event)
        for action in actions:
            if isinstance(action, DeleteReplica):
                self._commands[action.datanode_id].append(
                    protocol.DeleteCommand(block=protocol.BlockModel.of(action.block))
                )
            elif isinstance(action, ReplicateBlock):
                self._commands[action.source].append(
                    protocol.ReplicateCommand(
                        block=protocol.BlockModel.of(action.block), targets=list(action.targets)
                    )
                )
            elif not isinstance(action, Ignored):
                log.info("%s: %s", event.event_id, action)
        return actions

    def take_commands(self, datanode_id: DatanodeId) -> list[protocol.Command]:
        return self._commands.pop(datanode_id, [])

    def blocks_removed(self, blocks: Sequence[Block]) -> None:
        if blocks:
            self.feed(BlocksRemoved(at=_now(), block_ids=[b.block_id for b in blocks]))

    def tick(self) -> None:
        """The 1 s timer: dead DataNodes, then re-replication."""
        self.feed(HeartbeatCheck(at=_now()))
        self.feed(ReplicationTick(at=_now()))

    @property
    def in_safe_mode(self) -> bool:
        return self.blocks.safe_mode is not SafeModeState.OFF

    def check_writable(self, what: str) -> None:
        """Refuse a mutation in safe mode, worded as HDFS does ("Cannot create directory /x")."""
        if self.in_safe_mode:
            tip = self.blocks.safe_mode_tip().removeprefix("Safe mode is ON. ")
            raise SafeModeException(f"{what}. Name node is in safe mode.\n{tip}")

    def live_datanodes(self) -> list[DatanodeId]:
        return [r.datanode_id for r in self.blocks.datanode_report() if r.alive]

    def pick_datanode(self, exclude: Collection[DatanodeId] = ()) -> DatanodeId | None:
        """A DataNode for a redirect: the placement rule for one replica, or None."""
        from emr.hdfs.blockmanager import NoDatanodesAvailable

        try:
            return self.blocks.choose_targets(1, exclude=exclude)[0]
        except NoDatanodesAvailable:
            live = [d for d in self.live_datanodes() if d not in exclude]
            if not live:
                return None
            self._next_datanode += 1
            return live[self._next_datanode % len(live)]

    # --- durability ----------------------------------------------------------------------

    def commit(self) -> None:
        """Append the namespace's queued edits to the edit log (fsync); checkpoint now and then."""
        records = self.namespace.take_edits()
        if not records:
            return
        self.editlog.append(records)
        self._since_checkpoint += len(records)
        if self._since_checkpoint >= self.settings.checkpoint_every:
            self.checkpoint()

    def checkpoint(self) -> None:
        self.editlog.checkpoint(self.namespace.snapshot())
        self._since_checkpoint = 0
        log.info("checkpoint written at txid %d", self.namespace.last_txid)

    def close(self) -> None:
        """Clean shutdown: a final checkpoint, then close the edit log."""
        self.commit()
        self.checkpoint()
        self.editlog.close()


def _now() -> datetime:
    return datetime.now(UTC)


def create_app(namenode: NameNode) -> Starlette:
    """The NameNode's HTTP app: WebHDFS and `/_dn/v1`, plus the 1 s timer in its lifespan."""
    from emr.hdfs.namenode.datanode_rpc import datanode_routes
    from emr.hdfs.namenode.webhdfs import webhdfs_endpoint

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async def timer() -> None:
            while True:
                await asyncio.sleep(namenode.settings.tick_seconds)
                try:
                    namenode.tick()
                except Exception:
                    log.exception("timer tick failed")

        task = asyncio.create_task(timer())
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            namenode.close()

    methods = ["GET", "PUT", "POST", "DELETE"]
    routes = [
        Route("/webhdfs/v1", webhdfs_endpoint(namenode), methods=methods),
        Route("/webhdfs/v1/{path:path}", webhdfs_endpoint(namenode), methods=methods),
        *datanode_routes(namenode),
    ]
    return Starlette(routes=routes, lifespan=lifespan)
