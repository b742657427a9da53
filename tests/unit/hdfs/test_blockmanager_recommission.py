"""Recommissioning: a node whose host left the exclude file goes back in service."""

from __future__ import annotations

from emr.hdfs.blockmanager import (
    DATANODE_TRANSITIONS,
    AdminState,
    BlockReceived,
    DatanodeDecommissioned,
    DatanodeRecommissioned,
    DatanodeState,
    DecommissionRequested,
    DeleteReplica,
    RecommissionRequested,
    ReplicateBlock,
    ReplicationTick,
    SafeModeEnterRequested,
)
from emr.services.emr._machine import Ignored

from .test_blockmanager import A, B, C, at, blk, cluster, kill, only, register, write


def test_decommissioning_node_goes_back_in_service_and_counts_again() -> None:
    bm = cluster(A, B, C)
    write(bm, blk(1), [A, B])
    bm.handle(DecommissionRequested(at=at(2), datanode_id=A))
    assert bm.datanode_state(A) is DatanodeState.DECOMMISSIONING
    event = RecommissionRequested(at=at(3), datanode_id=A)
    assert bm.handle(event) == [DatanodeRecommissioned(cause=event.event_id, datanode_id=A)]
    assert bm.datanode_state(A) is DatanodeState.IN_SERVICE
    assert bm.datanode_report()[0].admin_state is AdminState.NORMAL
    assert A in bm.choose_targets(3)
    assert bm.under_replicated() == []
    assert only(bm.handle(ReplicationTick(at=at(4))), ReplicateBlock) == []


def test_recommissioned_node_makes_copies_made_meanwhile_excess() -> None:
    bm = cluster(A, B, C)
    write(bm, blk(1), [A, B])
    bm.handle(DecommissionRequested(at=at(2), datanode_id=A))
    (transfer,) = only(bm.handle(ReplicationTick(at=at(3))), ReplicateBlock)
    assert transfer.targets == (C,)
    bm.handle(BlockReceived(at=at(4), datanode_id=C, block=blk(1)))
    assert only(bm.handle(ReplicationTick(at=at(5))), DatanodeDecommissioned)
    assert bm.datanode_state(A) is DatanodeState.DECOMMISSIONED

    event = RecommissionRequested(at=at(6), datanode_id=A)
    actions = bm.handle(event)
    assert only(actions, DatanodeRecommissioned) == [
        DatanodeRecommissioned(cause=event.event_id, datanode_id=A)
    ]
    (excess,) = only(actions, DeleteReplica)
    assert excess.block == blk(1)
    assert len(bm.locations(1)) == 2
    assert bm.block_status(1) is not None


def test_recommission_in_safe_mode_deletes_nothing() -> None:
    bm = cluster(A, B, C)
    write(bm, blk(1), [A, B])
    bm.handle(DecommissionRequested(at=at(2), datanode_id=A))
    bm.handle(ReplicationTick(at=at(3)))
    bm.handle(BlockReceived(at=at(4), datanode_id=C, block=blk(1)))
    bm.handle(ReplicationTick(at=at(5)))
    bm.handle(SafeModeEnterRequested(at=at(6)))
    actions = bm.handle(RecommissionRequested(at=at(7), datanode_id=A))
    assert only(actions, DeleteReplica) == []
    assert bm.datanode_state(A) is DatanodeState.IN_SERVICE


def test_dead_decommissioned_node_returns_in_service() -> None:
    bm = cluster(A, B)
    kill(bm, A, [B])
    assert only(bm.handle(DecommissionRequested(at=at(41), datanode_id=A)), DatanodeDecommissioned)
    event = RecommissionRequested(at=at(42), datanode_id=A)
    assert bm.handle(event) == [DatanodeRecommissioned(cause=event.event_id, datanode_id=A)]
    register(bm, A, seconds=43)
    assert bm.datanode_state(A) is DatanodeState.IN_SERVICE


def test_recommission_of_a_node_in_service_or_unknown_is_ignored() -> None:
    bm = cluster(A, B)
    assert isinstance(bm.handle(RecommissionRequested(at=at(1), datanode_id=A))[0], Ignored)
    assert isinstance(bm.handle(RecommissionRequested(at=at(1), datanode_id=C))[0], Ignored)
    kill(bm, A, [B])
    (ignored,) = bm.handle(RecommissionRequested(at=at(41), datanode_id=A))
    assert isinstance(ignored, Ignored) and ignored.state == "DEAD"
    assert (DatanodeState.IN_SERVICE, RecommissionRequested) not in DATANODE_TRANSITIONS
