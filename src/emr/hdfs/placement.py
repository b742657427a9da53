"""Where replicas go: the DataNodes as the NameNode sees them, and the placement rules.

Pure functions over `DatanodeDescriptor`s; `blockmanager.BlockManager` holds the descriptors and
calls these. There are no racks here (every node is on one loopback network), so Hadoop's
rack-aware policy reduces to its node rules:

- a new block's first replica goes on the writer's node when the writer is a writable DataNode
  (data locality for the client, as `BlockPlacementPolicyDefault` does);
- every other replica goes on a distinct writable node, preferring the fewest transfers already
  scheduled to it, then the most remaining space, then the id (deterministic). Scheduled work
  comes first because every local DataNode shares one disk, so their remaining space differs by
  noise and would send every block of a burst to the same node between two heartbeats;
- writable means alive, in service (not decommissioning or decommissioned) and with space left;
- never two replicas of a block on one node (`exclude` carries the nodes that already hold one).

A re-replication source is a node holding a good replica that is alive (in service or being
drained), with the fewest transfers in flight, preferring a draining node (it takes no new
writes, so copying from it spares the nodes serving clients — Hadoop does the same).
An excess replica is removed from the in-service node with the least remaining space.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import Enum

from emr.errors import EmrError
from emr.hdfs.types import DatanodeId

__all__ = [
    "AdminState",
    "DatanodeDescriptor",
    "NoDatanodesAvailable",
    "choose_excess",
    "choose_source",
    "choose_targets",
    "emr_default_replication",
]


def emr_default_replication(core_nodes: int) -> int:
    """dfs.replication as EMR sets it: 1 below 4 core nodes, 2 below 10, else 3."""
    if core_nodes < 4:
        return 1
    if core_nodes < 10:
        return 2
    return 3


class AdminState(Enum):
    """Hadoop's DatanodeInfo.AdminStates (the ones this platform uses)."""

    NORMAL = "In Service"
    DECOMMISSION_INPROGRESS = "Decommission In Progress"
    DECOMMISSIONED = "Decommissioned"


class NoDatanodesAvailable(EmrError):
    """No DataNode can take a replica (the NameNode answers it as an IOException).

    The message is Hadoop's, without the leading `File <path>` the NameNode adds.
    """

    def __init__(self, requested: int, running: int, excluded: int) -> None:
        self.requested, self.running, self.excluded = requested, running, excluded
        excluded_text = str(excluded) if excluded else "no"
        super().__init__(
            f"could only be written to 0 of the {min(requested, 1)} minReplication nodes. "
            f"There are {running} datanode(s) running and {excluded_text} node(s) are "
            "excluded in this operation."
        )


@dataclass
class DatanodeDescriptor:
    """What the NameNode knows of one DataNode (mutated only by the block manager)."""

    datanode_id: DatanodeId
    hostname: str
    capacity_bytes: int
    used_bytes: int
    remaining_bytes: int
    registered_at: datetime
    last_contact: datetime
    alive: bool = True
    admin_state: AdminState = AdminState.NORMAL

    @property
    def writable(self) -> bool:
        """May receive new replicas: alive, in service, not full."""
        return self.alive and self.admin_state is AdminState.NORMAL and self.remaining_bytes > 0


def choose_targets(
    datanodes: Iterable[DatanodeDescriptor],
    count: int,
    *,
    exclude: Collection[DatanodeId] = (),
    writer: DatanodeId | None = None,
    scheduled: Mapping[DatanodeId, int] | None = None,
) -> list[DatanodeId]:
    """Up to `count` distinct writable nodes, writer's first; fewer when fewer qualify.

    Raises `NoDatanodesAvailable` when `count` ≥ 1 and not one node qualifies.
    """
    if count <= 0:
        return []
    scheduled = scheduled or {}
    nodes = list(datanodes)
    eligible = [d for d in nodes if d.writable and d.datanode_id not in exclude]
    chosen = [d.datanode_id for d in eligible if d.datanode_id == writer]
    others = sorted(
        (d for d in eligible if d.datanode_id != writer),
        key=lambda d: (scheduled.get(d.datanode_id, 0), -d.remaining_bytes, d.datanode_id),
    )
    chosen += [d.datanode_id for d in others]
    if not chosen:
        running = sum(1 for d in nodes if d.alive)
        excluded = sum(1 for d in nodes if d.datanode_id in exclude)
        raise NoDatanodesAvailable(count, running, excluded)
    return chosen[:count]


def choose_source(
    holders: Iterable[DatanodeDescriptor],
    streams: Mapping[DatanodeId, int],
    max_streams: int,
) -> DatanodeId | None:
    """The node to copy a replica from, or None when every holder is busy or gone."""
    candidates = [d for d in holders if d.alive and streams.get(d.datanode_id, 0) < max_streams]
    if not candidates:
        return None
    best = min(
        candidates,
        key=lambda d: (
            streams.get(d.datanode_id, 0),
            d.admin_state is AdminState.NORMAL,  # draining nodes first
            d.datanode_id,
        ),
    )
    return best.datanode_id


def choose_excess(holders: Iterable[DatanodeDescriptor], count: int) -> list[DatanodeId]:
    """The `count` in-service holders whose replicas to delete: least remaining space first."""
    in_service = [d for d in holders if d.alive and d.admin_state is AdminState.NORMAL]
    in_service.sort(key=lambda d: (d.remaining_bytes, d.datanode_id))
    return [d.datanode_id for d in in_service[: max(count, 0)]]
