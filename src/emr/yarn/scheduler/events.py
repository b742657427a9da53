"""What the ResourceManager tells the capacity scheduler (events), what it is told to do
(actions), and the records its queries answer. Events carry `at` and `event_id`; actions carry
`cause`, the id of the event that led to them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum

from emr.services.emr._machine import Action, Event
from emr.yarn.ids import ApplicationAttemptId, ApplicationId, ContainerId, NodeId
from emr.yarn.resources import Resource

__all__ = [
    "ANY",
    "Allocate",
    "AppAccepted",
    "AppForgotten",
    "AppKillRequested",
    "AppRejected",
    "AppState",
    "AppStateChanged",
    "AppSubmitted",
    "AttemptAdded",
    "AttemptFailed",
    "AttemptRegistered",
    "AttemptUnregistered",
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
    "NodeResync",
    "NodeState",
    "ResourceRequest",
    "SchedulerEvent",
]

#: The resource name of a request that may run anywhere (Hadoop's ResourceRequest.ANY).
ANY = "*"


class ContainerExitStatus:
    """Hadoop's ContainerExitStatus values the scheduler itself assigns."""

    SUCCESS = 0
    INVALID = -1000
    ABORTED = -100  # released by the application, or its node was lost
    DISKS_FAILED = -101
    PREEMPTED = -102
    KILLED_BY_RESOURCEMANAGER = -106
    KILLED_BY_APPMASTER = -105


class AppState(Enum):
    """YARN's YarnApplicationState, as far as the scheduler drives it."""

    NEW = "NEW"
    SUBMITTED = "SUBMITTED"
    ACCEPTED = "ACCEPTED"
    RUNNING = "RUNNING"
    FINISHED = "FINISHED"
    FAILED = "FAILED"
    KILLED = "KILLED"


class FinalStatus(Enum):
    """YARN's FinalApplicationStatus."""

    UNDEFINED = "UNDEFINED"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    KILLED = "KILLED"


class NodeState(Enum):
    """A NodeManager as the scheduler sees it (YARN's NodeState subset)."""

    NEW = "NEW"  # never registered
    RUNNING = "RUNNING"
    LOST = "LOST"
    DECOMMISSIONED = "DECOMMISSIONED"


class Locality(Enum):
    """Where an allocation landed relative to its request (Hadoop's NodeType)."""

    NODE_LOCAL = "NODE_LOCAL"
    OFF_SWITCH = "OFF_SWITCH"


@dataclass(frozen=True, slots=True)
class ResourceRequest:
    """One line of an AM's ask: `num_containers` of `capability` at `priority` (lower number =
    more urgent), on `resource_name` (a host, or "*"). Like Hadoop, a new line replaces the
    previous one of the same (priority, resource_name); the "*" line's count is the total
    wanted at that priority, host lines are preferences. Racks are not modelled: a rack name
    is taken as "anywhere"."""

    priority: int
    capability: Resource
    num_containers: int
    resource_name: str = ANY
    relax_locality: bool = True
    node_label_expression: str = ""


@dataclass(frozen=True, slots=True)
class Container:
    """An allocated container: where, how big, for whom."""

    container_id: ContainerId
    node_id: NodeId
    resource: Resource
    priority: int
    is_am: bool


# --- events -----------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class SchedulerEvent(Event):
    """Base of the scheduler's events."""


@dataclass(frozen=True, kw_only=True)
class NodeEvent(SchedulerEvent):
    """An event about one NodeManager (looked up by that node's state)."""

    node_id: NodeId


@dataclass(frozen=True, kw_only=True)
class NodeAdded(NodeEvent):
    """A NodeManager registered with its capacity and node label ("" = default partition;
    EMR labels core nodes CORE)."""

    resource: Resource
    label: str = ""


@dataclass(frozen=True, kw_only=True)
class NodeHeartbeat(NodeEvent):
    """A NodeManager's heartbeat: the scheduler places what fits on it now."""


@dataclass(frozen=True, kw_only=True)
class NodeRemoved(NodeEvent):
    """The node left in good order (decommissioned, scaled down)."""


@dataclass(frozen=True, kw_only=True)
class NodeLost(NodeEvent):
    """The node stopped heartbeating (yarn.nm.liveness-monitor.expiry-interval-ms)."""


@dataclass(frozen=True, kw_only=True)
class AppSubmitted(SchedulerEvent):
    """A client submitted an application (already given its id by the RM)."""

    application_id: ApplicationId
    queue: str  # a leaf's name or full path
    user: str
    am_resource: Resource
    max_attempts: int = 2  # yarn.resourcemanager.am.max-attempts
    am_label_expression: str | None = None  # None: the scheduler's AM default (CORE on EMR)
    priority: int = 0  # the application's priority (higher = first), within its queue
    name: str = ""


@dataclass(frozen=True, kw_only=True)
class AttemptRegistered(SchedulerEvent):
    """The AM called registerApplicationMaster: the application is RUNNING."""

    attempt_id: ApplicationAttemptId


@dataclass(frozen=True, kw_only=True)
class Allocate(SchedulerEvent):
    """The AM's allocate call: new ask lines and containers it gives back."""

    attempt_id: ApplicationAttemptId
    asks: Sequence[ResourceRequest] = ()
    releases: Sequence[ContainerId] = ()


@dataclass(frozen=True, kw_only=True)
class ContainerFinished(SchedulerEvent):
    """A NodeManager reported a container completed (exit status as Hadoop reports it)."""

    container_id: ContainerId
    exit_status: int
    diagnostics: str = ""


@dataclass(frozen=True, kw_only=True)
class AttemptUnregistered(SchedulerEvent):
    """The AM called finishApplicationMaster: the application is FINISHED with this status."""

    attempt_id: ApplicationAttemptId
    final_status: FinalStatus
    diagnostics: str = ""


@dataclass(frozen=True, kw_only=True)
class AttemptFailed(SchedulerEvent):
    """The attempt died without its AM container exiting (e.g. AM liveness expired)."""

    attempt_id: ApplicationAttemptId
    diagnostics: str = ""
    counts_towards_max_attempts: bool = True


@dataclass(frozen=True, kw_only=True)
class AppForgotten(SchedulerEvent):
    """The RM no longer keeps this ended application (max-completed-applications): drop it.
    The cumulative counters (appsCompleted, …) keep counting it."""

    application_id: ApplicationId


@dataclass(frozen=True, kw_only=True)
class AppKillRequested(SchedulerEvent):
    """`yarn application -kill` (or the RM on a step cancel)."""

    application_id: ApplicationId
    diagnostics: str = ""


# --- actions ----------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class AppAccepted(Action):
    """The application entered its leaf queue (YARN's ACCEPTED); its first attempt follows."""

    application_id: ApplicationId
    queue: str  # full path


@dataclass(frozen=True, kw_only=True)
class AppRejected(Action):
    """The application cannot run (YARN's APP_REJECTED → FAILED); Hadoop's message."""

    application_id: ApplicationId
    message: str


@dataclass(frozen=True, kw_only=True)
class AttemptAdded(Action):
    """A new attempt exists; its AM container is requested (allocated later on a node)."""

    attempt_id: ApplicationAttemptId


@dataclass(frozen=True, kw_only=True)
class AppStateChanged(Action):
    """The application's YARN state changed (for the RM's application report and history)."""

    application_id: ApplicationId
    state: AppState
    final_status: FinalStatus
    diagnostics: str = ""


@dataclass(frozen=True, kw_only=True)
class ContainerAllocated(Action):
    """A container was placed. `is_am`: the RM launches the attempt's AM in it on the node;
    otherwise the RM hands it to the AM in its next allocate response."""

    container: Container
    attempt_id: ApplicationAttemptId
    locality: Locality

    @property
    def is_am(self) -> bool:
        return self.container.is_am


@dataclass(frozen=True, kw_only=True)
class ContainerReserved(Action):
    """The node is held for this request until enough of it frees up."""

    attempt_id: ApplicationAttemptId
    node_id: NodeId
    resource: Resource
    priority: int


@dataclass(frozen=True, kw_only=True)
class ContainerUnreserved(Action):
    """A reservation ended (fulfilled, no longer wanted, or its node went away)."""

    attempt_id: ApplicationAttemptId
    node_id: NodeId
    resource: Resource
    priority: int


@dataclass(frozen=True, kw_only=True)
class ContainerKill(Action):
    """Tell the node to stop this container (released, attempt ended, application killed)."""

    container_id: ContainerId
    node_id: NodeId
    diagnostics: str


@dataclass(frozen=True, kw_only=True)
class ContainerCompleted(Action):
    """A container of a live attempt is done: report it to the AM on its next allocate."""

    container_id: ContainerId
    attempt_id: ApplicationAttemptId
    exit_status: int
    diagnostics: str


@dataclass(frozen=True, kw_only=True)
class InvalidAsk(Action):
    """The AM's allocate call was refused as a whole (Hadoop's InvalidResourceRequestException);
    nothing of it was applied."""

    attempt_id: ApplicationAttemptId
    message: str


@dataclass(frozen=True, kw_only=True)
class NodeResync(Action):
    """Answer a heartbeat from a node the scheduler does not know (Hadoop's RESYNC)."""

    node_id: NodeId
