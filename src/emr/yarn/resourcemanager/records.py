"""What the ResourceManager remembers about applications, attempts and NodeManagers beyond the
scheduler's own state: the submission, times, the AM's registration, progress and usage.

The scheduler owns queues, resources and containers; these records own what a client sees in
an application report and the scheduler does not need (tracking URL, times, memory-seconds).
Rejected applications never reach the scheduler, so their state lives here only.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from emr.yarn.ids import ApplicationAttemptId, ContainerId, NodeId
from emr.yarn.resourcemanager.submission import Submission
from emr.yarn.resources import Resource
from emr.yarn.scheduler import AppState, Container, FinalStatus

__all__ = ["AppRecord", "AttemptRecord", "NodeRecord", "Usage"]

FINAL_STATES = frozenset({AppState.FINISHED, AppState.FAILED, AppState.KILLED})


@dataclass
class AttemptRecord:
    """One ApplicationMaster attempt (Hadoop's RMAppAttempt, as far as reports show it)."""

    attempt_id: ApplicationAttemptId
    started_ms: int
    #: Hadoop's RMAppAttemptState names: SCHEDULED, ALLOCATED, LAUNCHED, RUNNING, FINISHED,
    #: FAILED, KILLED.
    state: str = "SCHEDULED"
    finished_ms: int = 0
    container: Container | None = None
    node_http_address: str = ""
    host: str = ""
    rpc_port: int = -1
    tracking_url: str = ""
    diagnostics: str = ""
    #: time.monotonic() of the AM's last call (None until its container was launched).
    last_contact: float | None = None

    @property
    def registered(self) -> bool:
        return self.state == "RUNNING"


@dataclass
class Usage:
    """A live container's share of memory-seconds and vcore-seconds (Hadoop's metrics)."""

    resource: Resource
    since_ms: int


@dataclass
class AppRecord:
    """One submitted application."""

    submission: Submission
    user: str
    submitted_ms: int
    max_attempts: int
    queue: str  # the leaf's path once accepted, else as submitted
    state: AppState = AppState.SUBMITTED
    final_status: FinalStatus = FinalStatus.UNDEFINED
    diagnostics: str = ""
    launched_ms: int = 0
    finished_ms: int = 0
    progress: float = 0.0  # 0..1, as the AM reports it
    final_tracking_url: str = ""
    attempts: list[AttemptRecord] = field(default_factory=list)
    memory_ms: int = 0  # MB x ms of containers that ended
    vcore_ms: int = 0
    live: dict[ContainerId, Usage] = field(default_factory=dict)
    #: Every node that ran a container of the application (told when it ends).
    nodes: set[NodeId] = field(default_factory=set)

    @property
    def current(self) -> AttemptRecord | None:
        return self.attempts[-1] if self.attempts else None

    @property
    def ended(self) -> bool:
        return self.state in FINAL_STATES

    def attempt(self, attempt_id: ApplicationAttemptId) -> AttemptRecord | None:
        for attempt in self.attempts:
            if attempt.attempt_id == attempt_id:
                return attempt
        return None

    def seconds(self, now_ms: int) -> tuple[int, int]:
        """(memorySeconds, vcoreSeconds) so far, live containers included."""
        memory, vcores = self.memory_ms, self.vcore_ms
        for usage in self.live.values():
            elapsed = max(now_ms - usage.since_ms, 0)
            memory += usage.resource.memory_mb * elapsed
            vcores += usage.resource.vcores * elapsed
        return memory // 1000, vcores // 1000

    def container_ended(self, container_id: ContainerId, now_ms: int) -> None:
        usage = self.live.pop(container_id, None)
        if usage is not None:
            elapsed = max(now_ms - usage.since_ms, 0)
            self.memory_ms += usage.resource.memory_mb * elapsed
            self.vcore_ms += usage.resource.vcores * elapsed


@dataclass
class NodeRecord:
    """A NodeManager as registered (its HTTP address is where containers are started)."""

    node_id: NodeId
    http_address: str
    registered_ms: int
    last_heartbeat_ms: int
    #: time.monotonic() of the last heartbeat, for the liveness monitor.
    last_contact: float
    used_memory_mb: int = 0
    #: Containers to kill, answered with the node's next heartbeat.
    kills: list[str] = field(default_factory=list)
