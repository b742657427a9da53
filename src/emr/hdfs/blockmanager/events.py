"""What the NameNode tells the block manager (events), what it is told to do (actions), and what
it can ask (query results). Events carry `at` and `event_id`; actions carry `cause`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from emr.hdfs.placement import AdminState
from emr.hdfs.types import Block, DatanodeId
from emr.services.emr._machine import Action, Event

__all__ = [
    "BlockManagerEvent",
    "BlockReceived",
    "BlockReport",
    "BlockStatus",
    "BlocksRemoved",
    "CorruptReplicaReported",
    "DatanodeDead",
    "DatanodeDecommissioned",
    "DatanodeEvent",
    "DatanodeHeartbeat",
    "DatanodeRecommissioned",
    "DatanodeRegistered",
    "DatanodeReport",
    "DecommissionRequested",
    "DeleteReplica",
    "FileBlocksAdded",
    "HeartbeatCheck",
    "NamespaceLoaded",
    "RecommissionRequested",
    "ReplicateBlock",
    "ReplicationChanged",
    "ReplicationTick",
    "ReregisterDatanode",
    "SafeModeEnterRequested",
    "SafeModeEntered",
    "SafeModeLeaveRequested",
    "SafeModeLeft",
]


@dataclass(frozen=True, kw_only=True)
class BlockManagerEvent(Event):
    """Base of the block manager's events."""


@dataclass(frozen=True, kw_only=True)
class DatanodeEvent(BlockManagerEvent):
    """An event about one DataNode (looked up by that node's state)."""

    datanode_id: DatanodeId


@dataclass(frozen=True, kw_only=True)
class DatanodeRegistered(DatanodeEvent):
    """A DataNode (re)registered; its full block report follows."""

    capacity_bytes: int
    used_bytes: int = 0
    remaining_bytes: int | None = None  # None: capacity - used
    hostname: str = ""


@dataclass(frozen=True, kw_only=True)
class DatanodeHeartbeat(DatanodeEvent):
    """A DataNode reported in, with its storage figures."""

    used_bytes: int
    remaining_bytes: int
    capacity_bytes: int | None = None  # None: unchanged


@dataclass(frozen=True, kw_only=True)
class BlockReport(DatanodeEvent):
    """Every finalized replica the node holds; replicas not listed are gone from it."""

    blocks: Sequence[Block]
    corrupt: Sequence[Block] = ()  # replicas the node itself found bad (kept until deleted)


@dataclass(frozen=True, kw_only=True)
class BlockReceived(DatanodeEvent):
    """The node finalized a replica (a write, an append, a transfer)."""

    block: Block


@dataclass(frozen=True, kw_only=True)
class CorruptReplicaReported(DatanodeEvent):
    """The node's replica failed its checksums."""

    block: Block


@dataclass(frozen=True, kw_only=True)
class DecommissionRequested(DatanodeEvent):
    """Drain the node: copy away what only it holds, then report it decommissioned."""


@dataclass(frozen=True, kw_only=True)
class RecommissionRequested(DatanodeEvent):
    """Put a decommissioning or decommissioned node back in service (its host left the
    exclude file); its replicas count again, and any excess is deleted."""


@dataclass(frozen=True, kw_only=True)
class HeartbeatCheck(BlockManagerEvent):
    """The daemon's timer: declare dead every node silent for longer than the timeout."""


@dataclass(frozen=True, kw_only=True)
class ReplicationTick(BlockManagerEvent):
    """The daemon's timer: issue transfers, expire stale pending ones, finish decommissions."""


@dataclass(frozen=True, kw_only=True)
class NamespaceLoaded(BlockManagerEvent):
    """Every block of the loaded namespace has been announced (safe mode may end now)."""


@dataclass(frozen=True, kw_only=True)
class FileBlocksAdded(BlockManagerEvent):
    """The namespace's current view of these blocks: new ones, or a new stamp/length/state."""

    blocks: Sequence[Block]
    replication: int
    under_construction: bool = False
    expected_locations: Sequence[DatanodeId] = ()  # the write pipeline (under construction)


@dataclass(frozen=True, kw_only=True)
class BlocksRemoved(BlockManagerEvent):
    """The namespace dropped these blocks (delete, truncate, abandoned block)."""

    block_ids: Sequence[int]


@dataclass(frozen=True, kw_only=True)
class ReplicationChanged(BlockManagerEvent):
    """setReplication on a file: its blocks' new factor."""

    block_ids: Sequence[int]
    replication: int


@dataclass(frozen=True, kw_only=True)
class SafeModeEnterRequested(BlockManagerEvent):
    """`hdfs dfsadmin -safemode enter`."""


@dataclass(frozen=True, kw_only=True)
class SafeModeLeaveRequested(BlockManagerEvent):
    """`hdfs dfsadmin -safemode leave` (ignored until the namespace is loaded)."""


# --- actions ----------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class ReplicateBlock(Action):
    """Tell `source` to copy its replica of `block` to every one of `targets`."""

    block: Block
    source: DatanodeId
    targets: tuple[DatanodeId, ...]


@dataclass(frozen=True, kw_only=True)
class DeleteReplica(Action):
    """Tell the node to delete its replica (unless it holds a newer generation stamp)."""

    datanode_id: DatanodeId
    block: Block


@dataclass(frozen=True, kw_only=True)
class DatanodeDead(Action):
    """The node missed its heartbeats; its replicas no longer count."""

    datanode_id: DatanodeId
    last_contact: datetime


@dataclass(frozen=True, kw_only=True)
class DatanodeDecommissioned(Action):
    """The node is drained: it may be stopped without losing a replica the cluster needs."""

    datanode_id: DatanodeId


@dataclass(frozen=True, kw_only=True)
class DatanodeRecommissioned(Action):
    """The node is in service again: it takes new replicas and its replicas count."""

    datanode_id: DatanodeId


@dataclass(frozen=True, kw_only=True)
class ReregisterDatanode(Action):
    """Answer the node's heartbeat with Hadoop's DNA_REGISTER: it is unknown or was dead."""

    datanode_id: DatanodeId


@dataclass(frozen=True, kw_only=True)
class SafeModeLeft(Action):
    """Safe mode is off: writes may proceed."""

    safe_blocks: int
    total_blocks: int
    manual: bool


@dataclass(frozen=True, kw_only=True)
class SafeModeEntered(Action):
    """Safe mode is on again (by an administrator): the namespace is read-only."""


# --- query results ----------------------------------------------------------------------------


@dataclass(frozen=True)
class BlockStatus:
    """One block's replicas as fsck reports them."""

    block: Block
    replication: int
    under_construction: bool
    live: tuple[DatanodeId, ...]  # good, on in-service nodes
    decommissioning: tuple[DatanodeId, ...]  # good, on decommissioning/decommissioned nodes
    corrupt: tuple[DatanodeId, ...]  # reported bad, stale stamp or wrong length

    @property
    def missing(self) -> bool:
        """A complete block with no good replica on a live node."""
        return not self.under_construction and not self.live and not self.decommissioning

    @property
    def under_replicated(self) -> bool:
        """A complete block with fewer live replicas than its factor (and at least one)."""
        return (
            not self.under_construction and not self.missing and (len(self.live) < self.replication)
        )


@dataclass(frozen=True)
class DatanodeReport:
    """One DataNode for `hdfs dfsadmin -report`."""

    datanode_id: DatanodeId
    hostname: str
    alive: bool
    admin_state: AdminState
    capacity_bytes: int
    used_bytes: int
    remaining_bytes: int
    last_contact: datetime
    registered_at: datetime
    blocks: int
