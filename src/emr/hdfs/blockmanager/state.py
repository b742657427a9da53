"""The block manager's state and what the NameNode asks of it (fsck, dfsadmin -report,
placement, read locations); `machine.BlockManager` adds the events that change it.
Pure: no I/O, no clock."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from enum import Enum
from typing import Final

from emr.hdfs.blockmanager.events import (
    BlockStatus,
    DatanodeReport,
)
from emr.hdfs.blockmanager.replicas import (
    BlockRecord,
    PendingTransfer,
    census,
    status,
)
from emr.hdfs.blockmanager.safemode import SafeModeState, safe_mode_tip
from emr.hdfs.placement import (
    AdminState,
    DatanodeDescriptor,
    choose_targets,
)
from emr.hdfs.types import Block, DatanodeId

__all__ = ["BlockManagerConfig", "BlockManagerState", "DatanodeState"]


@dataclass(frozen=True)
class BlockManagerConfig:
    """The block manager's settings (Hadoop's names in the comments)."""

    heartbeat_timeout: timedelta = timedelta(seconds=30)  # dead after this much silence
    pending_timeout: timedelta = timedelta(minutes=5)  # …reconstruction.pending.timeout-sec
    safe_mode_threshold: float = 0.999  # dfs.namenode.safemode.threshold-pct
    safe_mode_min_datanodes: int = 0  # dfs.namenode.safemode.min.datanodes
    max_streams_per_node: int = 2  # dfs.namenode.replication.max-streams


class DatanodeState(Enum):
    """A DataNode's state as `DATANODE_TRANSITIONS` keys it."""

    UNREGISTERED = "UNREGISTERED"
    IN_SERVICE = "IN_SERVICE"
    DECOMMISSIONING = "DECOMMISSIONING"
    DECOMMISSIONED = "DECOMMISSIONED"
    DEAD = "DEAD"


class BlockManagerState:
    """Replicas, DataNodes, pipelines, transfers and safe mode, and the queries on them."""

    def __init__(self, config: BlockManagerConfig | None = None) -> None:
        self.config = config or BlockManagerConfig()
        self.safe_mode = SafeModeState.STARTUP
        self._datanodes: dict[DatanodeId, DatanodeDescriptor] = {}
        self._blocks: dict[int, BlockRecord] = {}
        self._node_blocks: dict[DatanodeId, set[int]] = {}  # known blocks each node holds
        self._unclaimed: dict[int, dict[DatanodeId, Block]] = {}  # unknown blocks, safe mode
        self._expected: dict[int, set[DatanodeId]] = {}  # pipelines yet to report
        self._pending: dict[int, dict[DatanodeId, PendingTransfer]] = {}  # by target
        self._needed: set[int] = set()  # blocks the next tick looks at

    # -- queries

    def datanode_state(self, datanode_id: DatanodeId) -> DatanodeState:
        node = self._datanodes.get(datanode_id)
        if node is None:
            return DatanodeState.UNREGISTERED
        if not node.alive:
            return DatanodeState.DEAD
        return _ADMIN_TO_STATE[node.admin_state]

    def choose_targets(
        self,
        count: int,
        exclude: Iterable[DatanodeId] = (),
        writer: DatanodeId | None = None,
    ) -> list[DatanodeId]:
        """A new block's pipeline (rules in `emr.hdfs.placement`); raises
        `NoDatanodesAvailable` when not one node can take it."""
        return choose_targets(
            self._datanodes.values(),
            count,
            exclude=frozenset(exclude),
            writer=writer,
            scheduled=self._scheduled(),
        )

    def locations(self, block_id: int, reader: DatanodeId | None = None) -> tuple[DatanodeId, ...]:
        """Where to read the block: the reader's own node first, then in-service nodes by id,
        then draining ones; a block being written also lists its pipeline."""
        record = self._blocks.get(block_id)
        if record is None:
            return ()
        counted = census(record, self._datanodes)
        order = sorted(counted.live, key=lambda n: (n != reader, n))
        order += sorted(counted.draining, key=lambda n: (self._datanodes[n].admin_state.value, n))
        if record.under_construction:
            pipeline = self._expected.get(block_id, set())
            order += sorted(n for n in pipeline if self._alive(n) and n not in order)
        return tuple(order)

    def block_status(self, block_id: int) -> BlockStatus | None:
        record = self._blocks.get(block_id)
        return None if record is None else status(record, self._datanodes)

    def reported_replicas(self, block_id: int) -> dict[DatanodeId, Block]:
        """The replicas of a block live nodes reported, as reported (length, stamp), by node;
        those reported corrupt left out."""
        record = self._blocks.get(block_id)
        if record is None:
            return {}
        return {
            node_id: replica
            for node_id, replica in sorted(record.replicas.items())
            if self._alive(node_id) and node_id not in record.corrupt
        }

    def under_replicated(self) -> list[BlockStatus]:
        """Complete blocks with at least one but fewer live replicas than their factor."""
        return [s for s in self._statuses() if s.under_replicated]

    def missing_blocks(self) -> list[BlockStatus]:
        """Complete blocks without a good replica on a live node."""
        return [s for s in self._statuses() if s.missing]

    def corrupt_blocks(self) -> list[BlockStatus]:
        """Blocks with at least one corrupt replica (fsck calls a block corrupt only when no
        good replica is left: those are in `missing_blocks` too)."""
        return [s for s in self._statuses() if s.corrupt]

    def datanode_report(self) -> list[DatanodeReport]:
        """Every DataNode ever registered, by id (`hdfs dfsadmin -report`)."""
        return [
            DatanodeReport(
                datanode_id=d.datanode_id,
                hostname=d.hostname,
                alive=d.alive,
                admin_state=d.admin_state,
                capacity_bytes=d.capacity_bytes,
                used_bytes=d.used_bytes,
                remaining_bytes=d.remaining_bytes,
                last_contact=d.last_contact,
                registered_at=d.registered_at,
                blocks=len(self._node_blocks[d.datanode_id]),
            )
            for d in sorted(self._datanodes.values(), key=lambda d: d.datanode_id)
        ]

    @property
    def total_blocks(self) -> int:
        return len(self._blocks)

    def safe_mode_tip(self) -> str:
        """Where safe mode stands, in Hadoop's words."""
        safe, total = self._safe_counts()
        return safe_mode_tip(
            self.safe_mode,
            safe=safe,
            total=total,
            live=self._live_count(),
            threshold=self.config.safe_mode_threshold,
            min_datanodes=self.config.safe_mode_min_datanodes,
        )

    def _safe_counts(self) -> tuple[int, int]:
        """(complete blocks with a replica on a live node, complete blocks)."""
        safe = total = 0
        for record in self._blocks.values():
            if not record.under_construction:
                total += 1
                counted = census(record, self._datanodes)
                safe += bool(counted.live or counted.draining)
        return safe, total

    def _statuses(self) -> list[BlockStatus]:
        return [status(self._blocks[b], self._datanodes) for b in sorted(self._blocks)]

    def _scheduled(self) -> dict[DatanodeId, int]:
        """Replicas each node is about to receive (write pipelines and transfers)."""
        counts: dict[DatanodeId, int] = {}
        for pipeline in self._expected.values():
            for node_id in pipeline:
                counts[node_id] = counts.get(node_id, 0) + 1
        for transfers in self._pending.values():
            for target in transfers:
                counts[target] = counts.get(target, 0) + 1
        return counts

    def _streams(self) -> dict[DatanodeId, int]:
        """Transfers each node is sending."""
        counts: dict[DatanodeId, int] = {}
        for transfers in self._pending.values():
            for transfer in transfers.values():
                if transfer.source is not None:
                    counts[transfer.source] = counts.get(transfer.source, 0) + 1
        return counts

    def _alive(self, node_id: DatanodeId) -> bool:
        node = self._datanodes.get(node_id)
        return node is not None and node.alive

    def _live_count(self) -> int:
        return sum(1 for d in self._datanodes.values() if d.alive)


_ADMIN_TO_STATE: Final = {
    AdminState.NORMAL: DatanodeState.IN_SERVICE,
    AdminState.DECOMMISSION_INPROGRESS: DatanodeState.DECOMMISSIONING,
    AdminState.DECOMMISSIONED: DatanodeState.DECOMMISSIONED,
}
