"""What one block's replicas are worth: the record the block manager keeps per block, and the
census that sorts its replicas into live, draining and corrupt.

A replica is live when its node is alive and in service, its generation stamp equals the
namespace's and, for a complete block, its length equals the committed length. An older stamp
or a wrong length makes it corrupt (Hadoop's GENSTAMP_MISMATCH / SIZE_MISMATCH), as does a
DataNode's report that it failed its checksums. A newer stamp is a write (append, truncate,
recovery) the namespace has not recorded yet: it neither counts nor gets deleted. Replicas on
decommissioning or decommissioned nodes are readable ("draining") but do not count toward the
replication factor, so they are copied elsewhere.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from emr.hdfs.blockmanager.events import BlockStatus
from emr.hdfs.placement import AdminState, DatanodeDescriptor
from emr.hdfs.types import Block, DatanodeId

__all__ = ["BlockRecord", "Census", "PendingTransfer", "census", "is_sufficient", "status"]


@dataclass
class BlockRecord:
    """One block: the namespace's view of it and every replica the DataNodes reported."""

    block: Block  # generation stamp and committed length, as the namespace has them
    replication: int
    under_construction: bool
    replicas: dict[DatanodeId, Block] = field(default_factory=dict)  # as each node reported
    corrupt: set[DatanodeId] = field(default_factory=set)  # reported bad by the node

    @property
    def block_id(self) -> int:
        return self.block.block_id


@dataclass(frozen=True)
class PendingTransfer:
    """A replica on its way to a target: copied from `source`, or (None) a write pipeline
    node that had not reported when the block was committed."""

    source: DatanodeId | None
    issued_at: datetime


@dataclass
class Census:
    """A block's replicas on live nodes, sorted by what they are worth."""

    live: list[DatanodeId] = field(default_factory=list)  # good, in service
    draining: list[DatanodeId] = field(default_factory=list)  # good, being decommissioned
    corrupt: list[DatanodeId] = field(default_factory=list)


def census(record: BlockRecord, datanodes: Mapping[DatanodeId, DatanodeDescriptor]) -> Census:
    """Sort the record's replicas (replicas on dead nodes and newer stamps are left out)."""
    result = Census()
    expected = record.block
    for node_id, replica in record.replicas.items():
        node = datanodes[node_id]
        if not node.alive or replica.generation_stamp > expected.generation_stamp:
            continue
        if (
            node_id in record.corrupt
            or replica.generation_stamp < expected.generation_stamp
            or (not record.under_construction and replica.num_bytes != expected.num_bytes)
        ):
            result.corrupt.append(node_id)
        elif node.admin_state is AdminState.NORMAL:
            result.live.append(node_id)
        else:
            result.draining.append(node_id)
    return result


def is_sufficient(
    record: BlockRecord,
    counted: Census,
    datanodes: Mapping[DatanodeId, DatanodeDescriptor],
    pending_targets: frozenset[DatanodeId] | set[DatanodeId],
) -> bool:
    """Enough live replicas to let one go: the factor, or, for a complete block, at least one
    when no copy is on its way and no writable node is free to take one (then only deleting a
    bad replica frees a target, and only the nodes left can hold the block)."""
    if len(counted.live) >= record.replication:
        return True
    if not counted.live or pending_targets or record.under_construction:
        return False
    return not any(d.writable and d.datanode_id not in record.replicas for d in datanodes.values())


def status(record: BlockRecord, datanodes: Mapping[DatanodeId, DatanodeDescriptor]) -> BlockStatus:
    """The record as fsck reports it."""
    counted = census(record, datanodes)
    return BlockStatus(
        block=record.block,
        replication=record.replication,
        under_construction=record.under_construction,
        live=tuple(sorted(counted.live)),
        decommissioning=tuple(sorted(counted.draining)),
        corrupt=tuple(sorted(counted.corrupt)),
    )
