"""The NameNode daemon: the Namespace, its EditLog and the BlockManager behind one HTTP app.

One Starlette app, served by uvicorn on both NameNode ports (9870 and 8020) in one process
and one event loop: WebHDFS for clients (`webhdfs.py`) and `/_dn/v1` for the DataNodes
(`datanode_rpc.py`). Every namespace and block-manager call runs on the event loop, one at a
time and without awaiting in between, so neither needs a lock; after every call the edits it
queued are appended to the EditLog (fsync) before the answer leaves.

Leases: a WebHDFS write's lease holder is the DataNode running it, which renews it with every
heartbeat (and every call it makes for the write). A lease not renewed for
`dfs.namenode.lease-hard-limit-sec` (60 s here: the holder renews every second) belongs to a
write that ended without closing its file — the DataNode died, or lost its client — and the
NameNode recovers it: the last block keeps what its replicas finalized (the shortest, as
HDFS's block recovery) or, if none did, is abandoned; then the file is closed. A block an
APPEND reopened whose replicas all still have the older stamp (the append never finalized) is
rolled forward first: their holders restamp them (a TruncateCommand to their length) and the
file closes once one reports, so the bytes acknowledged before the append stay readable.

Users' groups come from core-site's hadoop.user.group.static.mapping.overrides (the nodes
generate EMR's: `hadoop` and `hdfs` in hdfsadmingroup, the superuser group).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import defaultdict
from collections.abc import AsyncIterator, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
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
from emr.hdfs.ports import NAMENODE_RPC_PORT
from emr.hdfs.site import parse_group_mapping, read_hosts_file, read_site_xml
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


#: How often the holders of a block being truncated are asked again until one reports it.
TRUNCATE_RETRY_SECONDS = 10.0


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
    #: dfs.namenode.lease-hard-limit-sec: a lease not renewed this long is recovered.
    lease_hard_limit: float = 60.0
    #: Users' groups (hadoop.user.group.static.mapping.overrides; nobody else has any: the
    #: nodes have no OS accounts to ask, unlike Hadoop's ShellBasedUnixGroupsMapping).
    groups: Mapping[str, frozenset[str]] = field(default_factory=dict)
    namespace: NamespaceSettings = field(default_factory=NamespaceSettings)
    blockmanager: BlockManagerConfig = field(default_factory=BlockManagerConfig)
    #: dfs.hosts.exclude: the hosts `dfsadmin -refreshNodes` decommissions (None: no file).
    hosts_exclude: Path | None = None

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
        core = read_site_xml(node_dir / "conf" / "core-site.xml")
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
            lease_hard_limit=float(site.get("dfs.namenode.lease-hard-limit-sec", 60)),
            groups=parse_group_mapping(
                core.get("hadoop.user.group.static.mapping.overrides", "dr.who=;")
            ),
            namespace=namespace,
            blockmanager=blockmanager,
            hosts_exclude=Path(
                site.get("dfs.hosts.exclude") or node_dir / "conf" / "dfs.hosts.exclude"
            ),
        )


class NameNode:
    """The namespace, the edit log and the block manager, and the DataNodes' command queues."""

    def __init__(self, settings: NameNodeSettings) -> None:
        self.settings = settings
        self.rpc_port = NAMENODE_RPC_PORT
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
        #: Lease holder → when it was last renewed (time.monotonic()).
        self._renewed: dict[str, float] = {}
        #: dfs.hosts.exclude as last read (at start and by `dfsadmin -refreshNodes`).
        self.excluded_hosts = read_hosts_file(settings.hosts_exclude)
        #: Paths whose CREATE was redirected to a DataNode that has not created them yet →
        #: until when (time.monotonic()) metadata calls on them wait for it (webhdfs.py).
        self.pending_creates: dict[str, float] = {}
        #: Block being cut by a TRUNCATE → when its holders were last asked to.
        self._truncations_sent: dict[int, float] = {}
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
        """The 1 s timer: dead DataNodes, expired leases, then re-replication."""
        self.feed(HeartbeatCheck(at=_now()))
        if not self.in_safe_mode:
            self.recover_expired_leases()
        self.feed(ReplicationTick(at=_now()))

    # --- leases --------------------------------------------------------------------------

    def renew_leases(self, holders: Iterable[str]) -> None:
        now = time.monotonic()
        for holder in holders:
            self._renewed[holder] = now

    def recover_expired_leases(self) -> None:
        """Close the open files whose holder stopped renewing (see the module docstring), and
        the files being truncated whose last block a DataNode has cut.

        A holder first seen here (e.g. after a restart) starts its grace period now."""
        now = time.monotonic()
        open_files = []
        for open_file in self.namespace.open_files():
            if open_file.truncating:
                self._advance_truncation(open_file.path, now)
            else:
                open_files.append(open_file)
        holders = {f.holder for f in open_files}
        self._renewed = {h: t for h, t in self._renewed.items() if h in holders}
        for open_file in open_files:
            renewed = self._renewed.setdefault(open_file.holder, now)
            expired = now - renewed >= self.settings.lease_hard_limit
            if expired and self._recover_lease(open_file.path, open_file.holder, now):
                del self._renewed[open_file.holder]

    def start_truncation(self, path: str, old: Block, cut: Block) -> None:
        """A TRUNCATE inside a block: the holders of `old` cut it to `cut` (TruncateCommand);
        the first one that reports `cut` closes the file (`_advance_truncation`)."""
        holders = list(self.blocks.locations(old.block_id))
        owner = self.namespace.block_owner(cut.block_id)
        replication = owner.replication if owner is not None else len(holders)
        self.feed(
            FileBlocksAdded(
                at=_now(),
                blocks=[cut],
                replication=replication,
                under_construction=True,
                expected_locations=holders,
            )
        )
        self._send_truncations(old, cut, holders)

    def _send_truncations(self, old: Block, cut: Block, holders: Iterable[DatanodeId]) -> None:
        command = protocol.TruncateCommand(
            block=protocol.BlockModel.of(old),
            new_length=cut.num_bytes,
            new_generation_stamp=cut.generation_stamp,
        )
        for datanode in holders:
            self._commands[datanode].append(command)
        self._truncations_sent[cut.block_id] = time.monotonic()

    def _advance_truncation(self, path: str, now: float) -> None:
        """Close a truncated file once a replica of its cut last block is reported; ask the
        holders again now and then (commands die with a NameNode restart)."""
        cut = self.namespace.last_block(path)
        if cut is None:
            return
        replicas = self.blocks.reported_replicas(cut.block_id)
        if any(r == cut for r in replicas.values()):
            self.namespace.release_lease(path, last_block_length=cut.num_bytes, now=now_ms())
            self.commit()
            self._truncations_sent.pop(cut.block_id, None)
            owner = self.namespace.block_owner(cut.block_id)
            if owner is not None:
                self.feed(
                    FileBlocksAdded(at=_now(), blocks=[owner.block], replication=owner.replication)
                )
            return
        sent = self._truncations_sent.get(cut.block_id)
        if sent is None or now - sent >= TRUNCATE_RETRY_SECONDS:
            stale = {n: r for n, r in replicas.items() if r.generation_stamp < cut.generation_stamp}
            for datanode, old in stale.items():
                self._send_truncations(old, cut, [datanode])

    def _recover_lease(self, path: str, holder: str, now: float) -> bool:
        """Close `path` for its expired `holder`; False while its last block is being rolled
        forward (the holders restamp their older replicas, then a later tick closes it)."""
        last = self.namespace.last_block(path)
        length: int | None = None
        abandoned = False
        if last is not None:
            replicas = self.blocks.reported_replicas(last.block_id)
            current = [r for r in replicas.values() if r.generation_stamp == last.generation_stamp]
            older = {
                n: r for n, r in replicas.items() if r.generation_stamp < last.generation_stamp
            }
            if not current and older:  # an append that never finalized: roll forward first
                sent = self._truncations_sent.get(last.block_id)
                if sent is None or now - sent >= TRUNCATE_RETRY_SECONDS:
                    cut = replace(last, num_bytes=min(r.num_bytes for r in older.values()))
                    for datanode, replica in older.items():
                        self._send_truncations(replica, cut, [datanode])
                return False
            self._truncations_sent.pop(last.block_id, None)
            if current:
                length = min(r.num_bytes for r in current)
            elif last.num_bytes == 0:  # a new block no replica finalized
                abandoned = self.namespace.abandon_block(
                    path, client=holder, block_id=last.block_id
                )
        self.namespace.release_lease(path, last_block_length=length, now=now_ms())
        self.commit()
        log.warning(
            "lease of %s expired for %s: closed (last block %s)",
            path,
            holder,
            "abandoned" if abandoned else f"length {length}" if length is not None else "kept",
        )
        if last is not None and abandoned:
            self.blocks_removed([last])
        elif last is not None and (owner := self.namespace.block_owner(last.block_id)):
            self.feed(
                FileBlocksAdded(at=_now(), blocks=[owner.block], replication=owner.replication)
            )
        return True

    @property
    def in_safe_mode(self) -> bool:
        return self.blocks.safe_mode is not SafeModeState.OFF

    def check_writable(self, what: str) -> None:
        """Refuse a mutation in safe mode, worded as HDFS does ("Cannot create directory /x")."""
        if self.in_safe_mode:
            tip = self.blocks.safe_mode_tip().removeprefix("Safe mode is ON. ")
            raise SafeModeException(f"{what}. Name node is in safe mode.\n{tip}")

    def user(self, name: str) -> User:
        """The caller `name` (WebHDFS user.name) with its groups."""
        return User(name, self.settings.groups.get(name, frozenset()))

    def is_excluded(self, datanode_id: DatanodeId, hostname: str) -> bool:
        """Whether dfs.hosts.exclude names the DataNode (by address, address:port or name)."""
        address = datanode_id.rsplit(":", 1)[0]
        return bool({datanode_id, address, hostname} & self.excluded_hosts)

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
    from emr.hdfs.namenode.admin import admin_routes
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
        *admin_routes(namenode),
    ]
    return Starlette(routes=routes, lifespan=lifespan)
