"""The ResourceManager's capacity scheduler — a pure state machine (no clock, no sockets).

    events.py     what the RM feeds it, what it decides, ResourceRequest, Container
    machine.py    CapacityScheduler.handle(event) -> list[Action], SchedulerSettings, the tables
    model.py      its state and bookkeeping (nodes, applications' asks, queue and user usage)
    placement.py  what one node heartbeat places or reserves, user and AM limits
    reports.py    the queries (cluster metrics, queues, applications, nodes)

How the ResourceManager daemon wires it (it owns the clock, the ids' cluster timestamp and the
sockets; one event loop feeds the machine, so events are handled one at a time, in order):

    NodeManager registers               → NodeAdded(node_id, resource, label: "CORE" on core
                                          nodes, "" on task nodes, as EMR labels them)
    NodeManager heartbeat               → NodeHeartbeat; ContainerFinished for each completed
                                          container it reports (before the heartbeat); answer
                                          with the ContainerKill actions for that node, or a
                                          resync on NodeResync
    no heartbeat for the expiry interval → NodeLost;  decommission / scale-down → NodeRemoved
    submitApplication                   → AppSubmitted (the RM assigns the ApplicationId);
                                          AppRejected → the app is FAILED with that message;
                                          AppAccepted + AttemptAdded → ACCEPTED
    ContainerAllocated(is_am=True)      → launch the attempt's AM on that node (NM startContainer)
    registerApplicationMaster           → AttemptRegistered (→ RUNNING)
    allocate(asks, releases)            → Allocate; answer with the ContainerAllocated (not AM)
                                          and ContainerCompleted actions gathered for that
                                          attempt since its last call; InvalidAsk → the error
    finishApplicationMaster             → AttemptUnregistered(final_status) (→ FINISHED)
    AM liveness expired                 → AttemptFailed;  kill → AppKillRequested
    AppStateChanged                     → the application report, history, step state

A new attempt after an AM failure (up to max_attempts; lost-node and preemption exits do not
count, as in Hadoop) comes as AttemptAdded; the old attempt's containers are killed (Hadoop's
default, keep-containers-across-application-attempts=false).

LIMITATIONS (where this differs from Hadoop's CapacityScheduler):
- Queue capacities, AM limits and user limits are computed against the whole cluster, not per
  partition; `accessible-node-labels` is enforced on label expressions and per-label
  capacities are parsed and validated, but not used as limits.
- Unlabelled requests use non-exclusive partitions (EMR's CORE) on the same heartbeat, after
  the partition's own requests, without Hadoop's extra per-node delay for them.
- Racks are not modelled (one /default-rack): locality is node-local, then off-switch after
  min(active nodes, node-locality-delay) missed offers.
- No preemption, no per-user AM limit, no application priorities across queues, no
  reservation system (ReservationSystem), no queue mapping or auto-created queues, no
  work-preserving AM restart.
- Applications are FIFO within a leaf (no fair ordering policy).
"""

from emr.yarn.scheduler.events import (
    ANY,
    Allocate,
    AppAccepted,
    AppForgotten,
    AppKillRequested,
    AppRejected,
    AppState,
    AppStateChanged,
    AppSubmitted,
    AttemptAdded,
    AttemptFailed,
    AttemptRegistered,
    AttemptUnregistered,
    Container,
    ContainerAllocated,
    ContainerCompleted,
    ContainerExitStatus,
    ContainerFinished,
    ContainerKill,
    ContainerReserved,
    ContainerUnreserved,
    FinalStatus,
    InvalidAsk,
    Locality,
    NodeAdded,
    NodeEvent,
    NodeHeartbeat,
    NodeLost,
    NodeRemoved,
    NodeResync,
    NodeState,
    ResourceRequest,
    SchedulerEvent,
)
from emr.yarn.scheduler.machine import (
    APP_TRANSITIONS,
    NODE_TRANSITIONS,
    CapacityScheduler,
    SchedulerSettings,
)
from emr.yarn.scheduler.reports import (
    AppReport,
    ClusterMetrics,
    NodeReport,
    QueueReport,
    UserReport,
)

__all__ = [
    "ANY",
    "APP_TRANSITIONS",
    "NODE_TRANSITIONS",
    "Allocate",
    "AppAccepted",
    "AppForgotten",
    "AppKillRequested",
    "AppRejected",
    "AppReport",
    "AppState",
    "AppStateChanged",
    "AppSubmitted",
    "AttemptAdded",
    "AttemptFailed",
    "AttemptRegistered",
    "AttemptUnregistered",
    "CapacityScheduler",
    "ClusterMetrics",
    "Container",
    "ContainerAllocated",
    "ContainerCompleted",
    "ContainerExitStatus",
    "ContainerFinished",
    "ContainerKill",
    "ContainerReserved",
    "ContainerUnreserved",
    "FinalStatus",
    "InvalidAsk",
    "Locality",
    "NodeAdded",
    "NodeEvent",
    "NodeHeartbeat",
    "NodeLost",
    "NodeRemoved",
    "NodeReport",
    "NodeResync",
    "NodeState",
    "QueueReport",
    "ResourceRequest",
    "SchedulerEvent",
    "SchedulerSettings",
    "UserReport",
]
