"""The NameNode's block bookkeeping: which DataNode holds which replica, what to copy or delete,
which DataNodes are alive, and safe mode — a pure state machine (no clock, no sockets).

    events.py    what the NameNode feeds it, what it decides, what it can be asked
    machine.py   BlockManager.handle(event) -> list[Action], and its transition tables
    replicas.py  what a block's replicas are worth (live, draining, corrupt)
    safemode.py  when safe mode ends, and Hadoop's wording of where it stands
    (../placement.py: the DataNodes as the NameNode sees them, where replicas go)

How the NameNode daemon wires it (it owns the clock and the sockets; one event loop feeds the
machine, so events are handled one at a time, in order):

    namespace loaded (image + edits)    → FileBlocksAdded for every file, then NamespaceLoaded
    a DataNode registers                → DatanodeRegistered, then its full BlockReport
    a DataNode heartbeat (every 3 s)    → DatanodeHeartbeat; the answer carries the
                                          DeleteReplica and ReplicateBlock commands queued for
                                          that node, in the order decided (ReregisterDatanode:
                                          tell it to register and report again)
    a DataNode finalized a replica      → BlockReceived (a write, an append, a transfer)
    a DataNode's read failed a checksum → CorruptReplicaReported
    the daemon's 1 s timer              → HeartbeatCheck(at), then ReplicationTick(at)
    addBlock                            → choose_targets(replication, exclude, writer), then
                                          FileBlocksAdded(under_construction=True,
                                          expected_locations=the pipeline)
    close, or the next addBlock         → FileBlocksAdded(the committed length, complete)
    append / truncate / lease recovery  → FileBlocksAdded(the new generation stamp,
                                          under_construction=True, expected_locations=the
                                          pipeline) before the DataNodes act, then the commit
                                          as above; the pipeline's old replicas are never
                                          deleted meanwhile (a stamp newer than the namespace's
                                          is held, neither counted nor deleted, until it
                                          catches up)
    delete, truncate of whole blocks    → BlocksRemoved;  setReplication → ReplicationChanged
    dfsadmin -safemode enter | leave    → SafeModeEnterRequested | SafeModeLeaveRequested
    scale-down of a core node, or       → DecommissionRequested; stop the node only after
    `dfsadmin -refreshNodes` with the     DatanodeDecommissioned
    host in dfs.hosts.exclude
    `-refreshNodes` with the host gone  → RecommissionRequested (back in service; excess
    from the exclude file                 replicas are deleted)
    SafeModeLeft                        → the namespace accepts writes; the cluster may report
                                          WAITING (the cluster contract's condition)

Rules in one place (details in the modules): a DataNode silent for `heartbeat_timeout` (30 s)
is dead and its replicas stop counting; blocks under their factor are copied at the next ticks,
most endangered first, each node sending at most `max_streams_per_node` transfers at a time;
a transfer not confirmed within `pending_timeout` is issued again. A corrupt replica is deleted
once the block is sufficiently replicated (as many live replicas as its factor, or at least one
when no node is free to take another copy); excess replicas are deleted from the node with the
least space. Decommissioning waits for the same sufficiency of every block the node holds, so a
cluster with fewer in-service nodes than the factor can still shrink (Hadoop would wait). While
in safe mode nothing is copied or deleted, and replicas of blocks the namespace has not
announced are held, then deleted on leaving.
"""

from emr.hdfs.blockmanager.events import (
    BlockManagerEvent,
    BlockReceived,
    BlockReport,
    BlocksRemoved,
    BlockStatus,
    CorruptReplicaReported,
    DatanodeDead,
    DatanodeDecommissioned,
    DatanodeEvent,
    DatanodeHeartbeat,
    DatanodeRecommissioned,
    DatanodeRegistered,
    DatanodeReport,
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
from emr.hdfs.blockmanager.machine import (
    DATANODE_TRANSITIONS,
    SAFE_MODE_TRANSITIONS,
    TRANSITIONS,
    BlockManager,
    BlockManagerConfig,
    DatanodeState,
)
from emr.hdfs.blockmanager.safemode import SafeModeState
from emr.hdfs.placement import AdminState, NoDatanodesAvailable, emr_default_replication

__all__ = [
    "DATANODE_TRANSITIONS",
    "SAFE_MODE_TRANSITIONS",
    "TRANSITIONS",
    "AdminState",
    "BlockManager",
    "BlockManagerConfig",
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
    "DatanodeState",
    "DecommissionRequested",
    "DeleteReplica",
    "FileBlocksAdded",
    "HeartbeatCheck",
    "NamespaceLoaded",
    "NoDatanodesAvailable",
    "RecommissionRequested",
    "ReplicateBlock",
    "ReplicationChanged",
    "ReplicationTick",
    "ReregisterDatanode",
    "SafeModeEnterRequested",
    "SafeModeEntered",
    "SafeModeLeaveRequested",
    "SafeModeLeft",
    "SafeModeState",
    "emr_default_replication",
]
