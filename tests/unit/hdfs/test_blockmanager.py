"""The block manager: DataNode liveness, block reports, placement, re-replication, corrupt
replicas, decommissioning, safe mode — replayed with chosen timestamps."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import TypeVar

import pytest

from emr.hdfs.blockmanager import (
    DATANODE_TRANSITIONS,
    AdminState,
    BlockManager,
    BlockManagerConfig,
    BlockReceived,
    BlockReport,
    BlocksRemoved,
    CorruptReplicaReported,
    DatanodeDead,
    DatanodeDecommissioned,
    DatanodeEvent,
    DatanodeHeartbeat,
    DatanodeRegistered,
    DatanodeState,
    DecommissionRequested,
    DeleteReplica,
    FileBlocksAdded,
    HeartbeatCheck,
    NamespaceLoaded,
    NoDatanodesAvailable,
    ReplicateBlock,
    ReplicationChanged,
    ReplicationTick,
    ReregisterDatanode,
    SafeModeEntered,
    SafeModeEnterRequested,
    SafeModeLeaveRequested,
    SafeModeLeft,
    SafeModeState,
    emr_default_replication,
)
from emr.hdfs.types import Block
from emr.services.emr._machine import Action, Ignored

T0 = datetime(2025, 1, 1, tzinfo=UTC)
GIB = 1 << 30
A, B, C, D, E = (f"127.16.0.{n}:9864" for n in range(2, 7))
GS = 1001
_A = TypeVar("_A", bound=Action)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def blk(block_id: int, length: int = 1024, gs: int = GS) -> Block:
    return Block(block_id, gs, length)


def only(actions: Sequence[Action], kind: type[_A]) -> list[_A]:
    return [a for a in actions if isinstance(a, kind)]


def register(
    bm: BlockManager, node: str, seconds: float = 0, remaining: int | None = None
) -> list[Action]:
    return bm.handle(
        DatanodeRegistered(
            at=at(seconds), datanode_id=node, capacity_bytes=10 * GIB, remaining_bytes=remaining
        )
    )


def cluster(*nodes: str, config: BlockManagerConfig | None = None) -> BlockManager:
    """A running manager: empty namespace loaded (out of safe mode), nodes registered."""
    bm = BlockManager(config)
    assert only(bm.handle(NamespaceLoaded(at=at(0))), SafeModeLeft)
    for node in nodes:
        register(bm, node)
        bm.handle(BlockReport(at=at(0), datanode_id=node, blocks=()))
    return bm


def write(bm: BlockManager, block: Block, holders: Sequence[str], seconds: float = 1) -> None:
    """A client writes `block` through a pipeline of `holders` and closes the file."""
    replication = len(holders)
    allocated = Block(block.block_id, block.generation_stamp, 0)
    bm.handle(
        FileBlocksAdded(
            at=at(seconds),
            blocks=(allocated,),
            replication=replication,
            under_construction=True,
            expected_locations=tuple(holders),
        )
    )
    for node in holders:
        assert bm.handle(BlockReceived(at=at(seconds), datanode_id=node, block=block)) == []
    bm.handle(FileBlocksAdded(at=at(seconds), blocks=(block,), replication=replication))


def heartbeat(bm: BlockManager, node: str, seconds: float) -> list[Action]:
    return bm.handle(
        DatanodeHeartbeat(at=at(seconds), datanode_id=node, used_bytes=0, remaining_bytes=10 * GIB)
    )


# --- defaults and DataNode liveness -----------------------------------------------------------


@pytest.mark.parametrize(
    ("core_nodes", "replication"),
    [(0, 1), (1, 1), (3, 1), (4, 2), (9, 2), (10, 3), (50, 3)],
)
def test_emr_default_replication(core_nodes: int, replication: int) -> None:
    assert emr_default_replication(core_nodes) == replication


def test_registration_and_heartbeats_feed_the_report() -> None:
    bm = cluster()
    bm.handle(
        DatanodeRegistered(
            at=at(1), datanode_id=A, capacity_bytes=100, used_bytes=10, hostname="ip-a"
        )
    )
    (report,) = bm.datanode_report()
    assert (report.datanode_id, report.hostname, report.alive) == (A, "ip-a", True)
    assert (report.capacity_bytes, report.used_bytes, report.remaining_bytes) == (100, 10, 90)
    assert report.admin_state is AdminState.NORMAL and report.last_contact == at(1)
    bm.handle(DatanodeHeartbeat(at=at(4), datanode_id=A, used_bytes=30, remaining_bytes=60))
    bm.handle(DatanodeHeartbeat(at=at(3), datanode_id=A, used_bytes=30, remaining_bytes=60))
    (report,) = bm.datanode_report()
    assert (report.used_bytes, report.remaining_bytes, report.last_contact) == (30, 60, at(4))


def test_heartbeat_from_an_unknown_node_asks_it_to_register() -> None:
    bm = cluster()
    event = DatanodeHeartbeat(at=at(1), datanode_id=A, used_bytes=0, remaining_bytes=1)
    assert bm.handle(event) == [ReregisterDatanode(cause=event.event_id, datanode_id=A)]


def test_silent_node_is_declared_dead_after_the_timeout() -> None:
    bm = cluster(A, B)
    heartbeat(bm, A, 10)
    heartbeat(bm, B, 25)
    assert bm.handle(HeartbeatCheck(at=at(40))) == []  # A silent exactly 30 s
    check = HeartbeatCheck(at=at(40.5))
    assert bm.handle(check) == [
        DatanodeDead(cause=check.event_id, datanode_id=A, last_contact=at(10))
    ]
    assert bm.datanode_state(A) is DatanodeState.DEAD
    assert [r.alive for r in bm.datanode_report()] == [False, True]
    assert bm.handle(HeartbeatCheck(at=at(41))) == []  # declared once
    assert only(heartbeat(bm, A, 42), ReregisterDatanode)
    late = BlockReport(at=at(42), datanode_id=A, blocks=())
    assert bm.handle(late) == [Ignored(cause=late.event_id, event="BlockReport", state="DEAD")]
    register(bm, A, 43)
    assert bm.datanode_state(A) is DatanodeState.IN_SERVICE


def test_heartbeat_timeout_is_configurable() -> None:
    bm = cluster(A, config=BlockManagerConfig(heartbeat_timeout=timedelta(seconds=5)))
    assert only(bm.handle(HeartbeatCheck(at=at(6))), DatanodeDead)


# --- placement --------------------------------------------------------------------------------


def test_pipeline_starts_on_the_writer_and_uses_distinct_nodes() -> None:
    bm = cluster(A, B, C, D)
    targets = bm.choose_targets(3, writer=C)
    assert targets[0] == C and len(set(targets)) == 3
    assert bm.choose_targets(3, writer="10.0.0.9:9864")[0] != "10.0.0.9:9864"
    assert set(bm.choose_targets(4)) == {A, B, C, D}
    assert bm.choose_targets(9) and len(bm.choose_targets(9)) == 4  # fewer when fewer qualify
    assert bm.choose_targets(0) == []


def test_pipeline_never_uses_excluded_dead_or_draining_nodes() -> None:
    bm = cluster(A, B, C, D)
    heartbeat(bm, A, 30)
    heartbeat(bm, B, 30)
    heartbeat(bm, C, 30)
    bm.handle(HeartbeatCheck(at=at(31)))  # D dead
    bm.handle(DecommissionRequested(at=at(31), datanode_id=C))
    assert bm.choose_targets(3, exclude=[A], writer=C) == [B]


def test_no_live_datanode_is_a_clear_error() -> None:
    bm = cluster()
    with pytest.raises(NoDatanodesAvailable, match="There are 0 datanode"):
        bm.choose_targets(1)
    bm = cluster(A)
    with pytest.raises(NoDatanodesAvailable) as raised:
        bm.choose_targets(2, exclude=[A])
    assert str(raised.value) == (
        "could only be written to 0 of the 1 minReplication nodes. "
        "There are 1 datanode(s) running and 1 node(s) are excluded in this operation."
    )


def test_pipeline_prefers_the_most_remaining_space_then_spreads_scheduled_writes() -> None:
    bm = BlockManager()
    bm.handle(NamespaceLoaded(at=at(0)))
    register(bm, A, remaining=1 * GIB)
    register(bm, B, remaining=3 * GIB)
    register(bm, C, remaining=2 * GIB)
    assert bm.choose_targets(3) == [B, C, A]
    firsts = []
    for block_id in range(1, 4):  # allocations between two heartbeats go round the nodes
        (target,) = bm.choose_targets(1)
        firsts.append(target)
        bm.handle(
            FileBlocksAdded(
                at=at(1),
                blocks=(blk(block_id, 0),),
                replication=1,
                under_construction=True,
                expected_locations=(target,),
            )
        )
    assert sorted(firsts) == sorted([A, B, C])


def test_full_node_takes_no_replica() -> None:
    bm = cluster(A, B)
    bm.handle(DatanodeHeartbeat(at=at(1), datanode_id=A, used_bytes=GIB, remaining_bytes=0))
    assert bm.choose_targets(2) == [B]


# --- reports and replicas ---------------------------------------------------------------------


def test_written_block_has_its_locations_and_is_healthy() -> None:
    bm = cluster(A, B, C)
    write(bm, blk(1), [C, A])
    assert bm.locations(1) == (A, C)
    assert bm.locations(1, reader=C) == (C, A)
    assert bm.locations(99) == ()
    status = bm.block_status(1)
    assert status is not None and status.live == (A, C) and not status.under_replicated
    assert bm.under_replicated() == bm.missing_blocks() == bm.corrupt_blocks() == []


def test_block_under_construction_lists_its_pipeline_and_is_not_missing() -> None:
    bm = cluster(A, B, C)
    bm.handle(
        FileBlocksAdded(
            at=at(1),
            blocks=(blk(1, 0),),
            replication=2,
            under_construction=True,
            expected_locations=(B, A),
        )
    )
    assert bm.locations(1) == (A, B)
    assert bm.missing_blocks() == [] and bm.under_replicated() == []
    assert only(bm.handle(ReplicationTick(at=at(2))), ReplicateBlock) == []


def test_reported_replicas_are_the_live_good_ones_as_reported() -> None:
    """What lease recovery reads: the lengths the live nodes finalized, corrupt ones left out."""
    bm = cluster(A, B, C)
    bm.handle(
        FileBlocksAdded(
            at=at(1),
            blocks=(blk(1, 0),),
            replication=3,
            under_construction=True,
            expected_locations=(A, B, C),
        )
    )
    assert bm.reported_replicas(1) == {}
    bm.handle(BlockReceived(at=at(1), datanode_id=A, block=blk(1, 700)))
    bm.handle(BlockReceived(at=at(1), datanode_id=B, block=blk(1, 500)))
    bm.handle(BlockReceived(at=at(1), datanode_id=C, block=blk(1, 700)))
    bm.handle(CorruptReplicaReported(at=at(1), datanode_id=C, block=blk(1, 700)))
    assert bm.reported_replicas(1) == {A: blk(1, 700), B: blk(1, 500)}
    assert bm.reported_replicas(99) == {}


def test_full_report_adds_and_removes_replicas_and_deletes_unknown_blocks() -> None:
    bm = cluster(A, B)
    write(bm, blk(1), [A, B])
    write(bm, blk(2), [A, B])
    report = BlockReport(at=at(5), datanode_id=A, blocks=(blk(2), blk(77)))
    assert bm.handle(report) == [DeleteReplica(cause=report.event_id, datanode_id=A, block=blk(77))]
    assert bm.locations(1) == (B,) and bm.locations(2) == (A, B)
    assert [s.block.block_id for s in bm.under_replicated()] == [1]


def test_append_bumps_the_stamp_and_the_replica_that_missed_it_is_deleted() -> None:
    bm = cluster(A, B, C)
    write(bm, blk(1), [A, B, C])
    # The namespace bumps the stamp for an append through A and B; C is not in the pipeline.
    appended = blk(1, 2048, GS + 1)
    reopened = Block(1, GS + 1, 1024)
    assert (
        bm.handle(
            FileBlocksAdded(
                at=at(2),
                blocks=(reopened,),
                replication=2,
                under_construction=True,
                expected_locations=(A, B),
            )
        )
        == []
    )
    assert bm.locations(1) == (A, B)  # the pipeline serves reads meanwhile
    assert bm.handle(BlockReceived(at=at(3), datanode_id=A, block=appended)) == []
    second = BlockReceived(at=at(3), datanode_id=B, block=appended)
    assert bm.handle(second) == [DeleteReplica(cause=second.event_id, datanode_id=C, block=blk(1))]
    assert bm.handle(FileBlocksAdded(at=at(4), blocks=(appended,), replication=2)) == []
    assert bm.locations(1) == (A, B) and bm.corrupt_blocks() == bm.under_replicated() == []


def test_newer_stamp_reported_first_waits_for_the_namespace() -> None:
    bm = cluster(A, B)
    write(bm, blk(1), [A, B])
    newer = blk(1, 2048, GS + 1)
    assert bm.handle(BlockReceived(at=at(2), datanode_id=A, block=newer)) == []
    assert bm.locations(1) == (B,)  # neither counted nor deleted
    update = FileBlocksAdded(at=at(3), blocks=(newer,), replication=2)
    assert bm.handle(update) == [DeleteReplica(cause=update.event_id, datanode_id=B, block=blk(1))]
    assert bm.locations(1) == (A,)


def test_wrong_length_of_a_complete_block_is_corrupt() -> None:
    bm = cluster(A, B, C)
    write(bm, blk(1), [A])
    bm.handle(ReplicationChanged(at=at(1), block_ids=(1,), replication=2))
    assert bm.handle(BlockReport(at=at(2), datanode_id=C, blocks=(blk(1, 10),))) == []
    status = bm.block_status(1)
    assert status is not None and status.corrupt == (C,) and status.live == (A,)
    # Enough good replicas again: the short one goes.
    (transfer,) = only(bm.handle(ReplicationTick(at=at(3))), ReplicateBlock)
    assert transfer.targets == (B,)
    received = BlockReceived(at=at(4), datanode_id=B, block=blk(1))
    assert bm.handle(received) == [
        DeleteReplica(cause=received.event_id, datanode_id=C, block=blk(1, 10))
    ]


def test_lower_replication_deletes_excess_from_the_fullest_node() -> None:
    bm = BlockManager()
    bm.handle(NamespaceLoaded(at=at(0)))
    register(bm, A, remaining=3 * GIB)
    register(bm, B, remaining=1 * GIB)
    register(bm, C, remaining=2 * GIB)
    write(bm, blk(1), [A, B, C])
    change = ReplicationChanged(at=at(2), block_ids=(1,), replication=1)
    assert bm.handle(change) == [
        DeleteReplica(cause=change.event_id, datanode_id=B, block=blk(1)),
        DeleteReplica(cause=change.event_id, datanode_id=C, block=blk(1)),
    ]
    assert bm.locations(1) == (A,)


def test_removed_blocks_are_deleted_everywhere() -> None:
    bm = cluster(A, B)
    write(bm, blk(1), [A, B])
    removed = BlocksRemoved(at=at(2), block_ids=(1, 2))
    assert bm.handle(removed) == [
        DeleteReplica(cause=removed.event_id, datanode_id=A, block=blk(1)),
        DeleteReplica(cause=removed.event_id, datanode_id=B, block=blk(1)),
    ]
    assert bm.total_blocks == 0 and bm.block_status(1) is None


# --- re-replication ---------------------------------------------------------------------------


def kill(bm: BlockManager, dead: str, survivors: Sequence[str], seconds: float = 40) -> None:
    for node in survivors:
        heartbeat(bm, node, seconds - 1)
    assert [
        a.datanode_id for a in only(bm.handle(HeartbeatCheck(at=at(seconds))), DatanodeDead)
    ] == [dead]


def test_death_is_repaired_until_the_factor_is_restored() -> None:
    bm = cluster(A, B, C, D)
    for block_id in range(1, 6):
        write(bm, blk(block_id), [A, B])
    kill(bm, A, [B, C, D])
    assert len(bm.under_replicated()) == 5
    seconds, copies = 41.0, 0
    while bm.under_replicated():
        tick = bm.handle(ReplicationTick(at=at(seconds)))
        transfers = only(tick, ReplicateBlock)
        assert transfers and all(t.source == B for t in transfers)
        assert len(transfers) <= 2  # max streams per node
        for transfer in transfers:
            (target,) = transfer.targets
            assert target in (C, D)
            bm.handle(BlockReceived(at=at(seconds), datanode_id=target, block=transfer.block))
            copies += 1
        seconds += 1
    assert copies == 5
    assert all(len(bm.locations(b)) == 2 and A not in bm.locations(b) for b in range(1, 6))


def test_transfers_are_spread_over_the_sources() -> None:
    bm = cluster(A, B, C, D, E)
    for block_id in range(1, 7):
        write(bm, blk(block_id), [A, B, C])
    kill(bm, A, [B, C, D, E])
    transfers = only(bm.handle(ReplicationTick(at=at(41))), ReplicateBlock)
    assert sorted(t.source for t in transfers) == [B, B, C, C]  # two streams each
    assert all(t.targets[0] in (D, E) for t in transfers)
    assert sorted(t.targets[0] for t in transfers) == [D, D, E, E]  # spread over targets too


def test_busy_source_waits_for_its_transfers_to_finish() -> None:
    bm = cluster(A, B, C)
    for block_id in range(1, 5):
        write(bm, blk(block_id), [A, B])
    kill(bm, A, [B, C])
    assert len(only(bm.handle(ReplicationTick(at=at(41))), ReplicateBlock)) == 2
    assert only(bm.handle(ReplicationTick(at=at(42))), ReplicateBlock) == []  # 2 in flight
    bm.handle(BlockReceived(at=at(43), datanode_id=C, block=blk(1)))
    (transfer,) = only(bm.handle(ReplicationTick(at=at(43))), ReplicateBlock)
    assert transfer.source == B


def test_unconfirmed_transfer_is_issued_again_after_the_pending_timeout() -> None:
    config = BlockManagerConfig(pending_timeout=timedelta(seconds=60))
    bm = cluster(A, B, C, config=config)
    write(bm, blk(1), [A, B])
    kill(bm, A, [B, C])
    (first,) = only(bm.handle(ReplicationTick(at=at(41))), ReplicateBlock)
    for seconds in (42, 60, 100):
        heartbeat(bm, B, seconds)
        heartbeat(bm, C, seconds)
        assert only(bm.handle(ReplicationTick(at=at(seconds))), ReplicateBlock) == []
    (again,) = only(bm.handle(ReplicationTick(at=at(101))), ReplicateBlock)
    assert (again.source, again.targets) == (first.source, first.targets) == (B, (C,))


def test_target_dying_mid_transfer_is_replaced() -> None:
    bm = cluster(A, B, C, D)
    write(bm, blk(1), [A, B])
    kill(bm, A, [B, C, D])
    (transfer,) = only(bm.handle(ReplicationTick(at=at(41))), ReplicateBlock)
    dead_target = transfer.targets[0]
    survivor = ({C, D} - {dead_target}).pop()
    kill(bm, dead_target, [B, survivor], seconds=80)
    (retry,) = only(bm.handle(ReplicationTick(at=at(81))), ReplicateBlock)
    assert retry.targets == (survivor,)


def test_all_holders_dead_makes_the_block_missing_until_one_returns() -> None:
    bm = cluster(A, B)
    write(bm, blk(1), [A])
    kill(bm, A, [B])
    assert [s.block for s in bm.missing_blocks()] == [blk(1)]
    assert only(bm.handle(ReplicationTick(at=at(41))), ReplicateBlock) == []
    register(bm, A, 50)
    bm.handle(BlockReport(at=at(50), datanode_id=A, blocks=(blk(1),)))
    assert bm.missing_blocks() == [] and bm.locations(1) == (A,)


def test_returning_node_makes_excess_replicas_that_are_deleted() -> None:
    bm = cluster(A, B, C)
    write(bm, blk(1), [A, B])
    kill(bm, A, [B, C])
    assert only(bm.handle(ReplicationTick(at=at(41))), ReplicateBlock)
    bm.handle(BlockReceived(at=at(42), datanode_id=C, block=blk(1)))
    register(bm, A, 50)
    deletes = only(
        bm.handle(BlockReport(at=at(50), datanode_id=A, blocks=(blk(1),))), DeleteReplica
    )
    assert len(deletes) == 1 and len(bm.locations(1)) == 2


def test_commit_with_a_silent_pipeline_node_waits_before_copying() -> None:
    config = BlockManagerConfig(pending_timeout=timedelta(seconds=30))
    bm = cluster(A, B, C, config=config)
    bm.handle(
        FileBlocksAdded(
            at=at(1),
            blocks=(blk(1, 0),),
            replication=2,
            under_construction=True,
            expected_locations=(A, B),
        )
    )
    bm.handle(BlockReceived(at=at(2), datanode_id=A, block=blk(1)))
    bm.handle(FileBlocksAdded(at=at(2), blocks=(blk(1),), replication=2))
    assert only(bm.handle(ReplicationTick(at=at(3))), ReplicateBlock) == []
    bm.handle(BlockReceived(at=at(4), datanode_id=B, block=blk(1)))  # late, but it came
    for node in (A, B, C):
        heartbeat(bm, node, 40)
    assert only(bm.handle(ReplicationTick(at=at(40))), ReplicateBlock) == []
    assert bm.locations(1) == (A, B)


# --- corrupt replicas -------------------------------------------------------------------------


def test_corrupt_replica_is_copied_around_then_deleted() -> None:
    bm = cluster(A, B, C)
    write(bm, blk(1), [A, B])
    report = CorruptReplicaReported(at=at(2), datanode_id=A, block=blk(1))
    assert bm.handle(report) == []  # only one good replica: keep the bad one for now
    assert bm.locations(1) == (B,)
    (status,) = bm.corrupt_blocks()
    assert status.corrupt == (A,) and status.live == (B,) and status.under_replicated
    tick = ReplicationTick(at=at(3))
    assert bm.handle(tick) == [
        ReplicateBlock(cause=tick.event_id, block=blk(1), source=B, targets=(C,))
    ]
    received = BlockReceived(at=at(4), datanode_id=C, block=blk(1))
    assert bm.handle(received) == [
        DeleteReplica(cause=received.event_id, datanode_id=A, block=blk(1))
    ]
    assert bm.corrupt_blocks() == [] and bm.locations(1) == (B, C)


def test_corrupt_replica_on_the_only_free_node_is_deleted_first() -> None:
    bm = cluster(A, B)
    write(bm, blk(1), [A, B])
    report = CorruptReplicaReported(at=at(2), datanode_id=A, block=blk(1))
    assert bm.handle(report) == [DeleteReplica(cause=report.event_id, datanode_id=A, block=blk(1))]
    (transfer,) = only(bm.handle(ReplicationTick(at=at(3))), ReplicateBlock)
    assert (transfer.source, transfer.targets) == (B, (A,))


def test_sole_corrupt_replica_makes_the_block_missing_and_is_kept() -> None:
    bm = cluster(A, B)
    write(bm, blk(1), [A])
    assert bm.handle(CorruptReplicaReported(at=at(2), datanode_id=A, block=blk(1))) == []
    assert [s.block.block_id for s in bm.missing_blocks()] == [1]
    assert [s.block.block_id for s in bm.corrupt_blocks()] == [1]
    assert only(bm.handle(ReplicationTick(at=at(3))), ReplicateBlock) == []


def test_corrupt_replicas_in_a_full_report_stay_corrupt() -> None:
    bm = cluster(A, B, C)
    write(bm, blk(1), [A, B])
    bm.handle(BlockReport(at=at(2), datanode_id=A, blocks=(), corrupt=(blk(1),)))
    status = bm.block_status(1)
    assert status is not None and status.corrupt == (A,) and status.live == (B,)


# --- decommissioning --------------------------------------------------------------------------


def test_decommission_drains_the_node_before_reporting_it_done() -> None:
    bm = cluster(A, B, C)
    write(bm, blk(1), [A, B])
    write(bm, blk(2), [B, C])
    assert bm.handle(DecommissionRequested(at=at(2), datanode_id=A)) == []
    assert bm.datanode_state(A) is DatanodeState.DECOMMISSIONING
    assert bm.locations(1) == (B, A)  # still readable, listed last
    assert A not in bm.choose_targets(3)
    tick = ReplicationTick(at=at(3))
    assert bm.handle(tick) == [
        ReplicateBlock(cause=tick.event_id, block=blk(1), source=A, targets=(C,))
    ]
    assert bm.handle(ReplicationTick(at=at(4))) == []  # in flight
    bm.handle(BlockReceived(at=at(5), datanode_id=C, block=blk(1)))
    done = ReplicationTick(at=at(6))
    assert bm.handle(done) == [DatanodeDecommissioned(cause=done.event_id, datanode_id=A)]
    assert bm.datanode_state(A) is DatanodeState.DECOMMISSIONED
    assert bm.datanode_report()[0].admin_state is AdminState.DECOMMISSIONED
    assert isinstance(bm.handle(DecommissionRequested(at=at(7), datanode_id=A))[0], Ignored)


def test_node_without_needed_replicas_is_decommissioned_at_once() -> None:
    bm = cluster(A, B)
    event = DecommissionRequested(at=at(1), datanode_id=A)
    assert bm.handle(event) == [DatanodeDecommissioned(cause=event.event_id, datanode_id=A)]
    kill(bm, B, [A])
    dead = DecommissionRequested(at=at(41), datanode_id=B)
    assert bm.handle(dead) == [DatanodeDecommissioned(cause=dead.event_id, datanode_id=B)]


def test_decommission_waits_while_the_node_holds_the_only_replica_of_a_block_being_written() -> (
    None
):
    bm = cluster(A, B)
    bm.handle(
        FileBlocksAdded(
            at=at(1),
            blocks=(blk(1, 0),),
            replication=1,
            under_construction=True,
            expected_locations=(A,),
        )
    )
    bm.handle(BlockReceived(at=at(1), datanode_id=A, block=blk(1)))
    assert bm.handle(DecommissionRequested(at=at(2), datanode_id=A)) == []
    assert only(bm.handle(ReplicationTick(at=at(3))), DatanodeDecommissioned) == []
    bm.handle(FileBlocksAdded(at=at(4), blocks=(blk(1),), replication=1))
    (transfer,) = only(bm.handle(ReplicationTick(at=at(5))), ReplicateBlock)
    assert (transfer.source, transfer.targets) == (A, (B,))
    bm.handle(BlockReceived(at=at(6), datanode_id=B, block=blk(1)))
    assert only(bm.handle(ReplicationTick(at=at(7))), DatanodeDecommissioned)


def test_decommission_below_the_factor_completes_when_no_node_could_take_a_copy() -> None:
    bm = cluster(A, B)
    write(bm, blk(1), [A, B])
    event = DecommissionRequested(at=at(2), datanode_id=A)
    assert bm.handle(event) == [DatanodeDecommissioned(cause=event.event_id, datanode_id=A)]
    assert bm.locations(1) == (B, A) and [s.block for s in bm.under_replicated()] == [blk(1)]


def test_decommissioning_node_that_dies_is_decommissioned() -> None:
    bm = cluster(A, B, C)
    write(bm, blk(1), [A])
    bm.handle(DecommissionRequested(at=at(2), datanode_id=A))
    kill(bm, A, [B, C])
    assert [
        a.datanode_id for a in only(bm.handle(ReplicationTick(at=at(41))), DatanodeDecommissioned)
    ] == [A]
    assert [s.block.block_id for s in bm.missing_blocks()] == [1]


# --- safe mode --------------------------------------------------------------------------------


def test_empty_namespace_leaves_safe_mode_at_once() -> None:
    bm = BlockManager()
    assert bm.safe_mode is SafeModeState.STARTUP
    register(bm, A)  # before the namespace is loaded: no decision
    assert bm.safe_mode is SafeModeState.STARTUP
    loaded = NamespaceLoaded(at=at(1))
    assert bm.handle(loaded) == [
        SafeModeLeft(cause=loaded.event_id, safe_blocks=0, total_blocks=0, manual=False)
    ]
    assert bm.safe_mode_tip() == "Safe mode is OFF."


def test_safe_mode_waits_for_reports_and_holds_unknown_replicas() -> None:
    bm = BlockManager()
    register(bm, A)
    # A reports before the namespace finished loading: block 2 is not announced yet.
    assert bm.handle(BlockReport(at=at(1), datanode_id=A, blocks=(blk(2), blk(9)))) == []
    bm.handle(FileBlocksAdded(at=at(2), blocks=(blk(1), blk(2)), replication=2))
    assert bm.handle(NamespaceLoaded(at=at(3))) == []
    assert bm.safe_mode is SafeModeState.AUTOMATIC
    assert bm.safe_mode_tip().startswith(
        "Safe mode is ON. The reported blocks 1 needs additional 1 blocks to reach the "
        "threshold 0.9990 of total blocks 2.\n"
    )
    register(bm, B, 4)
    report = BlockReport(at=at(4), datanode_id=B, blocks=(blk(1),))
    actions = bm.handle(report)
    assert actions[0] == SafeModeLeft(
        cause=report.event_id, safe_blocks=2, total_blocks=2, manual=False
    )
    # Only now: the never-announced block 9 goes.
    assert only(actions, DeleteReplica) == [
        DeleteReplica(cause=report.event_id, datanode_id=A, block=blk(9))
    ]
    assert bm.safe_mode is SafeModeState.OFF


def test_safe_mode_issues_no_transfer_and_no_delete() -> None:
    bm = BlockManager()
    register(bm, A)
    register(bm, B)
    bm.handle(FileBlocksAdded(at=at(1), blocks=(blk(1), blk(2)), replication=2))
    bm.handle(NamespaceLoaded(at=at(1)))
    assert bm.handle(BlockReport(at=at(2), datanode_id=A, blocks=(blk(1), blk(3)))) == []
    assert bm.handle(ReplicationTick(at=at(3))) == []
    assert bm.handle(BlocksRemoved(at=at(3), block_ids=(1,))) == []
    actions = bm.handle(SafeModeLeaveRequested(at=at(4)))
    assert actions[0] == SafeModeLeft(
        cause=actions[0].cause, safe_blocks=0, total_blocks=1, manual=True
    )
    assert {(a.datanode_id, a.block.block_id) for a in only(actions, DeleteReplica)} == {
        (A, 1),
        (A, 3),
    }


def test_safe_mode_needs_the_minimum_number_of_datanodes() -> None:
    bm = BlockManager(BlockManagerConfig(safe_mode_min_datanodes=2))
    assert bm.handle(NamespaceLoaded(at=at(0))) == []
    assert "needs an additional 2 live datanodes" in bm.safe_mode_tip()
    assert register(bm, A) == []
    assert only(register(bm, B), SafeModeLeft)


@pytest.mark.parametrize(("reported", "leaves"), [(998, False), (999, True)])
def test_safe_mode_threshold_of_a_thousand_blocks(reported: int, leaves: bool) -> None:
    bm = BlockManager()
    register(bm, A)
    blocks = [blk(n) for n in range(1000)]
    bm.handle(FileBlocksAdded(at=at(0), blocks=blocks, replication=1))
    bm.handle(NamespaceLoaded(at=at(0)))
    bm.handle(BlockReport(at=at(1), datanode_id=A, blocks=blocks[:reported]))
    assert (bm.safe_mode is SafeModeState.OFF) is leaves


def test_manual_safe_mode_stays_until_left_by_hand() -> None:
    bm = cluster(A)
    enter = SafeModeEnterRequested(at=at(1))
    assert bm.handle(enter) == [SafeModeEntered(cause=enter.event_id)]
    assert "turned on manually" in bm.safe_mode_tip()
    write(bm, blk(1), [A])
    assert bm.safe_mode is SafeModeState.MANUAL
    assert isinstance(bm.handle(SafeModeEnterRequested(at=at(2)))[0], Ignored)
    assert only(bm.handle(SafeModeLeaveRequested(at=at(3))), SafeModeLeft)
    assert isinstance(bm.handle(SafeModeLeaveRequested(at=at(4)))[0], Ignored)


def test_leaving_is_refused_before_the_namespace_is_loaded() -> None:
    bm = BlockManager()
    leave = SafeModeLeaveRequested(at=at(1))
    assert bm.handle(leave) == [
        Ignored(cause=leave.event_id, event="SafeModeLeaveRequested", state="STARTUP")
    ]


# --- the table --------------------------------------------------------------------------------


def datanode_event(kind: type[DatanodeEvent], node: str = A) -> DatanodeEvent:
    extra: dict[type[DatanodeEvent], dict[str, object]] = {
        DatanodeRegistered: {"capacity_bytes": GIB},
        DatanodeHeartbeat: {"used_bytes": 0, "remaining_bytes": GIB},
        BlockReport: {"blocks": ()},
        BlockReceived: {"block": blk(1)},
        CorruptReplicaReported: {"block": blk(1)},
    }
    return kind(at=at(5), datanode_id=node, **extra.get(kind, {}))  # type: ignore[arg-type]


def in_state(state: DatanodeState) -> BlockManager:
    bm = cluster(B)
    if state is DatanodeState.UNREGISTERED:
        return bm
    register(bm, A)
    if state is DatanodeState.DEAD:
        heartbeat(bm, B, 40)
        bm.handle(HeartbeatCheck(at=at(40)))
    elif state is not DatanodeState.IN_SERVICE:
        if state is DatanodeState.DECOMMISSIONING:
            write(bm, blk(2), [A])  # its only replica, and B could take a copy
        bm.handle(DecommissionRequested(at=at(1), datanode_id=A))
    assert bm.datanode_state(A) is state
    return bm


@pytest.mark.parametrize("state", list(DatanodeState))
@pytest.mark.parametrize(
    "kind",
    [DatanodeRegistered, DatanodeHeartbeat, BlockReport, BlockReceived, CorruptReplicaReported,
     DecommissionRequested],
)  # fmt: skip
def test_datanode_table(state: DatanodeState, kind: type[DatanodeEvent]) -> None:
    bm = in_state(state)
    event = datanode_event(kind)
    actions = bm.handle(event)
    ignored = [a for a in actions if isinstance(a, Ignored)]
    if (state, kind) in DATANODE_TRANSITIONS:
        assert ignored == []
    else:
        assert actions == [Ignored(cause=event.event_id, event=kind.__name__, state=state.value)]
