"""The block manager machine: `BlockManager.handle(event) -> list[Action]` and its tables.

Events about one DataNode are looked up by (that node's state, event type) in
`DATANODE_TRANSITIONS`; safe-mode events by (safe-mode state, event type) in
`SAFE_MODE_TRANSITIONS`; the namespace's and the timers' events by type in `TRANSITIONS`. Pairs
not listed answer `Ignored`: a late fact, like a block report from a node already declared dead.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, Final

from emr.hdfs.blockmanager.events import (
    BlockManagerEvent,
    BlockReceived,
    BlockReport,
    BlocksRemoved,
    CorruptReplicaReported,
    DatanodeDead,
    DatanodeDecommissioned,
    DatanodeEvent,
    DatanodeHeartbeat,
    DatanodeRecommissioned,
    DatanodeRegistered,
    DecommissionRequested,
    DeleteReplica,
    FileBlocksAdded,
    HeartbeatCheck,
    NamespaceLoaded,
    RecommissionRequested,
    ReplicateBlock,
    ReplicationChanged,
    ReplicationTick,
    ReregisterDatanode,
    SafeModeEntered,
    SafeModeEnterRequested,
    SafeModeLeaveRequested,
    SafeModeLeft,
)
from emr.hdfs.blockmanager.replicas import (
    BlockRecord,
    Census,
    PendingTransfer,
    census,
    is_sufficient,
)
from emr.hdfs.blockmanager.safemode import SafeModeState, thresholds_met
from emr.hdfs.blockmanager.state import BlockManagerConfig, BlockManagerState, DatanodeState
from emr.hdfs.placement import (
    AdminState,
    DatanodeDescriptor,
    NoDatanodesAvailable,
    choose_excess,
    choose_source,
    choose_targets,
)
from emr.hdfs.types import Block, DatanodeId
from emr.services.emr._machine import Action, Ignored

__all__ = [
    "DATANODE_TRANSITIONS",
    "SAFE_MODE_TRANSITIONS",
    "TRANSITIONS",
    "BlockManager",
    "BlockManagerConfig",
    "DatanodeState",
]


class BlockManager(BlockManagerState):
    """Replicas, DataNodes and safe mode; `handle(event)` returns what the NameNode must do
    (the state and its queries are BlockManagerState's, in state.py)."""

    def handle(self, event: BlockManagerEvent) -> list[Action]:
        handler: _Handler | None
        if isinstance(event, DatanodeEvent):
            node_state = self.datanode_state(event.datanode_id)
            state = node_state.value
            handler = DATANODE_TRANSITIONS.get((node_state, type(event)))
        else:
            state = self.safe_mode.value
            handler = SAFE_MODE_TRANSITIONS.get((self.safe_mode, type(event)))
            handler = handler or TRANSITIONS.get(type(event))
        if handler is None:
            return [Ignored(cause=event.event_id, event=type(event).__name__, state=state)]
        actions = handler(self, event)
        if self.safe_mode is SafeModeState.AUTOMATIC and self._safe_mode_over():
            actions += self._leave_safe_mode(event, manual=False)
        return actions

    # -- DataNode events

    def _registered(self, e: DatanodeRegistered) -> list[Action]:
        remaining = e.remaining_bytes
        if remaining is None:
            remaining = max(e.capacity_bytes - e.used_bytes, 0)
        node = self._datanodes.get(e.datanode_id)
        if node is None:
            node = DatanodeDescriptor(
                datanode_id=e.datanode_id,
                hostname=e.hostname,
                capacity_bytes=e.capacity_bytes,
                used_bytes=e.used_bytes,
                remaining_bytes=remaining,
                registered_at=e.at,
                last_contact=e.at,
            )
            self._datanodes[e.datanode_id] = node
            self._node_blocks[e.datanode_id] = set()
        else:  # restarted, or back from the dead: its full report follows
            node.hostname = e.hostname or node.hostname
            node.capacity_bytes, node.used_bytes = e.capacity_bytes, e.used_bytes
            node.remaining_bytes, node.registered_at = remaining, e.at
            node.last_contact, node.alive = max(node.last_contact, e.at), True
        if node.writable and self.safe_mode is SafeModeState.OFF:
            # A new target may serve blocks that found none before.
            self._needed.update(b for b, rec in self._blocks.items() if self._wants_copies(rec))
        return []

    def _heartbeat(self, e: DatanodeHeartbeat) -> list[Action]:
        node = self._datanodes[e.datanode_id]
        node.last_contact = max(node.last_contact, e.at)
        node.used_bytes, node.remaining_bytes = e.used_bytes, e.remaining_bytes
        if e.capacity_bytes is not None:
            node.capacity_bytes = e.capacity_bytes
        return []

    def _ask_to_register(self, e: DatanodeHeartbeat) -> list[Action]:
        return [ReregisterDatanode(cause=e.event_id, datanode_id=e.datanode_id)]

    def _block_report(self, e: BlockReport) -> list[Action]:
        node_id = e.datanode_id
        self._touch(node_id, e.at)
        reported = {b.block_id: (b, False) for b in e.blocks}
        reported.update({b.block_id: (b, True) for b in e.corrupt})
        held = self._node_blocks[node_id]
        touched = held - reported.keys()
        for block_id in touched:  # no longer on the node
            record = self._blocks[block_id]
            del record.replicas[node_id]
            record.corrupt.discard(node_id)
        held -= touched
        for block_id, holders in list(self._unclaimed.items()):
            if node_id in holders and block_id not in reported:
                del holders[node_id]
                if not holders:
                    del self._unclaimed[block_id]
        actions: list[Action] = []
        for block_id, (block, corrupt) in sorted(reported.items()):
            actions += self._record_replica(node_id, block, corrupt, e.event_id)
            if block_id in self._blocks:
                touched.add(block_id)
        for block_id in sorted(touched):
            actions += self._reconcile(self._blocks[block_id], e.event_id)
        return actions

    def _block_received(self, e: BlockReceived) -> list[Action]:
        self._touch(e.datanode_id, e.at)
        actions = self._record_replica(e.datanode_id, e.block, False, e.event_id)
        record = self._blocks.get(e.block.block_id)
        return actions + ([] if record is None else self._reconcile(record, e.event_id))

    def _corrupt_reported(self, e: CorruptReplicaReported) -> list[Action]:
        actions = self._record_replica(e.datanode_id, e.block, True, e.event_id)
        record = self._blocks.get(e.block.block_id)
        return actions + ([] if record is None else self._reconcile(record, e.event_id))

    def _decommission(self, e: DecommissionRequested) -> list[Action]:
        self._datanodes[e.datanode_id].admin_state = AdminState.DECOMMISSION_INPROGRESS
        self._needed.update(self._node_blocks[e.datanode_id])
        return self._finish_decommissions(e, only=e.datanode_id)

    def _decommission_dead(self, e: DecommissionRequested) -> list[Action]:
        self._datanodes[e.datanode_id].admin_state = AdminState.DECOMMISSIONED
        return [DatanodeDecommissioned(cause=e.event_id, datanode_id=e.datanode_id)]

    def _recommission(self, e: RecommissionRequested) -> list[Action]:
        node_id = e.datanode_id
        self._datanodes[node_id].admin_state = AdminState.NORMAL
        actions: list[Action] = [DatanodeRecommissioned(cause=e.event_id, datanode_id=node_id)]
        for block_id in sorted(self._node_blocks[node_id]):  # now over their factor, maybe
            actions += self._reconcile(self._blocks[block_id], e.event_id)
        return actions

    def _recommission_dead(self, e: RecommissionRequested) -> list[Action]:
        node = self._datanodes[e.datanode_id]
        if node.admin_state is AdminState.NORMAL:
            return [Ignored(cause=e.event_id, event=type(e).__name__, state=_D.DEAD.value)]
        node.admin_state = AdminState.NORMAL  # registers again in service
        return [DatanodeRecommissioned(cause=e.event_id, datanode_id=e.datanode_id)]

    # -- namespace events

    def _file_blocks_added(self, e: FileBlocksAdded) -> list[Action]:
        actions: list[Action] = []
        for block in e.blocks:
            block_id = block.block_id
            record = self._blocks.get(block_id)
            if record is None:
                record = BlockRecord(block, e.replication, e.under_construction)
                self._blocks[block_id] = record
                for node_id, replica in sorted(self._unclaimed.pop(block_id, {}).items()):
                    self._record_replica(node_id, replica, False, e.event_id)
            else:
                committed = record.under_construction and not e.under_construction
                record.block, record.replication = block, e.replication
                record.under_construction = e.under_construction
                if committed:  # pipeline nodes yet to report count as transfers in flight
                    for node_id in sorted(self._expected.pop(block_id, set())):
                        if self._alive(node_id):
                            transfers = self._pending.setdefault(block_id, {})
                            transfers[node_id] = PendingTransfer(None, e.at)
            if record.under_construction and e.expected_locations:
                self._expected[block_id] = {
                    node_id
                    for node_id in e.expected_locations
                    if (held := record.replicas.get(node_id)) is None
                    or held.generation_stamp != block.generation_stamp  # yet to report
                }
            actions += self._reconcile(record, e.event_id)
        return actions

    def _blocks_removed(self, e: BlocksRemoved) -> list[Action]:
        actions: list[Action] = []
        for block_id in e.block_ids:
            record = self._blocks.pop(block_id, None)
            if record is None:
                continue
            self._expected.pop(block_id, None)
            self._pending.pop(block_id, None)
            self._needed.discard(block_id)
            for node_id, replica in sorted(record.replicas.items()):
                self._node_blocks[node_id].discard(block_id)
                if self.safe_mode is not SafeModeState.OFF:
                    self._unclaimed.setdefault(block_id, {})[node_id] = replica
                else:
                    actions.append(
                        DeleteReplica(cause=e.event_id, datanode_id=node_id, block=replica)
                    )
        return actions

    def _replication_changed(self, e: ReplicationChanged) -> list[Action]:
        actions: list[Action] = []
        for block_id in e.block_ids:
            record = self._blocks.get(block_id)
            if record is not None:
                record.replication = e.replication
                actions += self._reconcile(record, e.event_id)
        return actions

    # -- timers

    def _heartbeat_check(self, e: HeartbeatCheck) -> list[Action]:
        actions: list[Action] = []
        for node in sorted(self._datanodes.values(), key=lambda d: d.datanode_id):
            if node.alive and e.at - node.last_contact > self.config.heartbeat_timeout:
                self._declare_dead(node)
                actions.append(
                    DatanodeDead(
                        cause=e.event_id,
                        datanode_id=node.datanode_id,
                        last_contact=node.last_contact,
                    )
                )
        return actions

    def _replication_tick(self, e: ReplicationTick) -> list[Action]:
        self._expire_transfers(e.at)
        if self.safe_mode is not SafeModeState.OFF:
            return []
        actions: list[Action] = []
        streams = self._streams()
        scheduled = self._scheduled()
        counted = {
            b: census(self._blocks[b], self._datanodes) for b in self._needed if b in self._blocks
        }
        self._needed.intersection_update(counted)
        # The blocks closest to being lost first.
        for block_id in sorted(counted, key=lambda b: (len(counted[b].live), b)):
            record, replicas = self._blocks[block_id], counted[block_id]
            in_flight = self._pending.get(block_id, {})
            wanted = record.replication - len(replicas.live) - len(in_flight)
            holders = replicas.live + replicas.draining
            if record.under_construction or wanted <= 0 or not holders:
                self._needed.discard(block_id)  # done, or missing until a replica shows up
                continue
            source = choose_source(
                (self._datanodes[n] for n in holders), streams, self.config.max_streams_per_node
            )
            if source is None:
                continue  # every holder is busy: next tick
            try:
                targets = choose_targets(
                    self._datanodes.values(),
                    wanted,
                    exclude=record.replicas.keys() | in_flight.keys(),
                    scheduled=scheduled,
                )
            except NoDatanodesAvailable:
                self._needed.discard(block_id)  # until a node registers
                continue
            actions.append(
                ReplicateBlock(
                    cause=e.event_id, block=record.block, source=source, targets=tuple(targets)
                )
            )
            streams[source] = streams.get(source, 0) + 1
            transfers = self._pending.setdefault(block_id, {})
            for target in targets:
                transfers[target] = PendingTransfer(source, e.at)
                scheduled[target] = scheduled.get(target, 0) + 1
            if len(targets) >= wanted:
                self._needed.discard(block_id)
        return actions + self._finish_decommissions(e)

    # -- safe mode

    def _namespace_loaded(self, e: NamespaceLoaded) -> list[Action]:
        self.safe_mode = SafeModeState.AUTOMATIC
        return []

    def _enter_safe_mode(self, e: SafeModeEnterRequested) -> list[Action]:
        was_off = self.safe_mode is SafeModeState.OFF
        self.safe_mode = SafeModeState.MANUAL
        return [SafeModeEntered(cause=e.event_id)] if was_off else []

    def _leave_requested(self, e: SafeModeLeaveRequested) -> list[Action]:
        return self._leave_safe_mode(e, manual=True)

    def _leave_safe_mode(self, e: BlockManagerEvent, *, manual: bool) -> list[Action]:
        safe, total = self._safe_counts()
        self.safe_mode = SafeModeState.OFF
        actions: list[Action] = [
            SafeModeLeft(cause=e.event_id, safe_blocks=safe, total_blocks=total, manual=manual)
        ]
        for _, holders in sorted(self._unclaimed.items()):
            actions += [
                DeleteReplica(cause=e.event_id, datanode_id=node_id, block=replica)
                for node_id, replica in sorted(holders.items())
                if self._alive(node_id)
            ]
        self._unclaimed.clear()
        for record in list(self._blocks.values()):
            actions += self._reconcile(record, e.event_id)
        return actions

    def _safe_mode_over(self) -> bool:
        safe, total = self._safe_counts()
        return thresholds_met(
            safe=safe,
            total=total,
            live=self._live_count(),
            threshold=self.config.safe_mode_threshold,
            min_datanodes=self.config.safe_mode_min_datanodes,
        )

    # -- replicas

    def _record_replica(
        self, node_id: DatanodeId, replica: Block, corrupt: bool, cause: str
    ) -> list[Action]:
        """Note that the node holds `replica`. A replica of a block the namespace does not know
        is deleted, or held while in safe mode. The caller reconciles the block afterwards."""
        block_id = replica.block_id
        record = self._blocks.get(block_id)
        if record is None:
            if self.safe_mode is not SafeModeState.OFF:
                self._unclaimed.setdefault(block_id, {})[node_id] = replica
                return []
            return [DeleteReplica(cause=cause, datanode_id=node_id, block=replica)]
        if record.replicas.get(node_id) != replica:
            record.corrupt.discard(node_id)  # not the replica that was reported bad
        record.replicas[node_id] = replica
        if corrupt:
            record.corrupt.add(node_id)
        self._node_blocks[node_id].add(block_id)
        if (pipeline := self._expected.get(block_id)) is not None:
            pipeline.discard(node_id)
        if (transfers := self._pending.get(block_id)) is not None:
            transfers.pop(node_id, None)
            if not transfers:
                del self._pending[block_id]
        return []

    def _reconcile(self, record: BlockRecord, cause: str) -> list[Action]:
        """Delete excess replicas and, once affordable, corrupt ones; note a shortfall."""
        if self.safe_mode is not SafeModeState.OFF:
            return []
        counted = census(record, self._datanodes)
        doomed: list[DatanodeId] = []
        if not record.under_construction and len(counted.live) > record.replication:
            holders = (self._datanodes[n] for n in counted.live)
            doomed += choose_excess(holders, len(counted.live) - record.replication)
        if counted.corrupt and self._sufficient(record, counted):
            # A pipeline node's old replica is the one being appended to: it stays.
            pipeline = self._expected.get(record.block_id, set())
            doomed += sorted(n for n in counted.corrupt if n not in pipeline)
        actions: list[Action] = []
        for node_id in doomed:
            replica = record.replicas.pop(node_id)
            record.corrupt.discard(node_id)
            self._node_blocks[node_id].discard(record.block_id)
            actions.append(DeleteReplica(cause=cause, datanode_id=node_id, block=replica))
        if self._wants_copies(record):
            self._needed.add(record.block_id)
        return actions

    def _sufficient(self, record: BlockRecord, counted: Census) -> bool:
        in_flight = set(self._pending.get(record.block_id, {}))
        return is_sufficient(record, counted, self._datanodes, in_flight)

    def _wants_copies(self, record: BlockRecord) -> bool:
        if record.under_construction:
            return False
        return len(census(record, self._datanodes).live) < record.replication

    def _expire_transfers(self, now: datetime) -> None:
        for block_id, transfers in list(self._pending.items()):
            for target, transfer in list(transfers.items()):
                if now - transfer.issued_at >= self.config.pending_timeout:
                    del transfers[target]
                    self._needed.add(block_id)
            if not transfers:
                del self._pending[block_id]

    # -- DataNodes

    def _finish_decommissions(
        self, e: BlockManagerEvent, only: DatanodeId | None = None
    ) -> list[Action]:
        actions: list[Action] = []
        for node in sorted(self._datanodes.values(), key=lambda d: d.datanode_id):
            node_id = node.datanode_id
            if node.admin_state is not AdminState.DECOMMISSION_INPROGRESS:
                continue
            if only is not None and node_id != only:
                continue
            if all(self._released(b, node_id) for b in self._node_blocks[node_id]):
                node.admin_state = AdminState.DECOMMISSIONED
                actions.append(DatanodeDecommissioned(cause=e.event_id, datanode_id=node_id))
        return actions

    def _released(self, block_id: int, node_id: DatanodeId) -> bool:
        """The draining node's replica of this block is no longer needed."""
        record = self._blocks[block_id]
        if record.under_construction:
            return False
        counted = census(record, self._datanodes)
        return node_id not in counted.draining or self._sufficient(record, counted)

    def _declare_dead(self, node: DatanodeDescriptor) -> None:
        node_id = node.datanode_id
        node.alive = False
        for block_id in self._node_blocks[node_id]:
            record = self._blocks[block_id]
            del record.replicas[node_id]
            record.corrupt.discard(node_id)
            self._needed.add(block_id)
        self._node_blocks[node_id] = set()
        for pipeline in self._expected.values():
            pipeline.discard(node_id)
        for block_id, transfers in list(self._pending.items()):
            for target, transfer in list(transfers.items()):
                if node_id in (target, transfer.source):
                    del transfers[target]
                    self._needed.add(block_id)
            if not transfers:
                del self._pending[block_id]
        for block_id, holders in list(self._unclaimed.items()):
            holders.pop(node_id, None)
            if not holders:
                del self._unclaimed[block_id]

    def _touch(self, node_id: DatanodeId, at: datetime) -> None:
        node = self._datanodes[node_id]
        node.last_contact = max(node.last_contact, at)


_Handler = Callable[[BlockManager, Any], list[Action]]
_D = DatanodeState
_ALIVE: Final = (_D.IN_SERVICE, _D.DECOMMISSIONING, _D.DECOMMISSIONED)
_M = BlockManager

#: (DataNode state, event) → transition. Rows not listed answer `Ignored`.
DATANODE_TRANSITIONS: Final[dict[tuple[DatanodeState, type[DatanodeEvent]], _Handler]] = {
    **{(state, DatanodeRegistered): _M._registered for state in _D},  # → alive
    (_D.UNREGISTERED, DatanodeHeartbeat): _M._ask_to_register,
    (_D.DEAD, DatanodeHeartbeat): _M._ask_to_register,
    **{(state, DatanodeHeartbeat): _M._heartbeat for state in _ALIVE},
    **{(state, BlockReport): _M._block_report for state in _ALIVE},
    **{(state, BlockReceived): _M._block_received for state in _ALIVE},
    **{(state, CorruptReplicaReported): _M._corrupt_reported for state in _ALIVE},
    (_D.IN_SERVICE, DecommissionRequested): _M._decommission,  # → DECOMMISSIONING (→ …ED)
    (_D.DEAD, DecommissionRequested): _M._decommission_dead,  # → DECOMMISSIONED at once
    (_D.DECOMMISSIONING, RecommissionRequested): _M._recommission,  # → IN_SERVICE
    (_D.DECOMMISSIONED, RecommissionRequested): _M._recommission,  # → IN_SERVICE
    (_D.DEAD, RecommissionRequested): _M._recommission_dead,  # in service when it returns
}

_S = SafeModeState

#: (safe-mode state, event) → transition. Rows not listed answer `Ignored`.
SAFE_MODE_TRANSITIONS: Final[dict[tuple[SafeModeState, type[BlockManagerEvent]], _Handler]] = {
    (_S.STARTUP, NamespaceLoaded): _M._namespace_loaded,  # → AUTOMATIC
    (_S.AUTOMATIC, SafeModeEnterRequested): _M._enter_safe_mode,  # → MANUAL
    (_S.OFF, SafeModeEnterRequested): _M._enter_safe_mode,  # → MANUAL
    (_S.AUTOMATIC, SafeModeLeaveRequested): _M._leave_requested,  # → OFF
    (_S.MANUAL, SafeModeLeaveRequested): _M._leave_requested,  # → OFF
}

#: event → transition in every safe-mode state (what safe mode holds back is decided inside).
TRANSITIONS: Final[dict[type[BlockManagerEvent], _Handler]] = {
    FileBlocksAdded: _M._file_blocks_added,
    BlocksRemoved: _M._blocks_removed,
    ReplicationChanged: _M._replication_changed,
    HeartbeatCheck: _M._heartbeat_check,
    ReplicationTick: _M._replication_tick,
}
