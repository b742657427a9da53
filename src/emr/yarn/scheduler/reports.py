"""What the scheduler can be asked, for the RM's REST API (`/ws/v1/cluster/metrics`,
`/scheduler`, `/apps`, `/nodes`), the `yarn` CLI and metrics. Field names are Hadoop's REST
names in snake case (appsSubmitted → apps_submitted)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from emr.yarn.ids import ApplicationAttemptId, ApplicationId, ContainerId, NodeId
from emr.yarn.queues import QueueState
from emr.yarn.resources import Resource
from emr.yarn.scheduler.events import AppState, Container, FinalStatus, NodeState
from emr.yarn.scheduler.model import SchedulerApp, SchedulerState
from emr.yarn.scheduler.placement import am_limit

if TYPE_CHECKING:
    from emr.yarn.scheduler.machine import SchedulerSettings

__all__ = [
    "AppReport",
    "ClusterMetrics",
    "NodeReport",
    "QueueReport",
    "Reports",
    "UserReport",
]


@dataclass(frozen=True)
class ClusterMetrics:
    apps_submitted: int
    apps_completed: int
    apps_pending: int
    apps_running: int
    apps_failed: int
    apps_killed: int
    reserved_mb: int
    available_mb: int
    allocated_mb: int
    total_mb: int
    reserved_virtual_cores: int
    available_virtual_cores: int
    allocated_virtual_cores: int
    total_virtual_cores: int
    containers_allocated: int
    containers_reserved: int
    containers_pending: int
    total_nodes: int
    active_nodes: int
    lost_nodes: int
    decommissioned_nodes: int


@dataclass(frozen=True)
class UserReport:
    username: str
    resources_used: Resource
    am_resource_used: Resource
    num_active_applications: int
    num_pending_applications: int


@dataclass(frozen=True)
class QueueReport:
    queue_path: str
    queue_name: str
    state: QueueState
    is_leaf: bool
    capacity: float  # percent of parent
    maximum_capacity: float
    absolute_capacity: float  # percent of the cluster
    absolute_maximum_capacity: float
    used_capacity: float  # percent of its guarantee
    absolute_used_capacity: float  # percent of the cluster
    resources_used: Resource
    resources_reserved: Resource
    num_applications: int
    num_active_applications: int
    num_pending_applications: int
    pending_resource: Resource
    am_resource_used: Resource
    am_resource_limit: Resource
    user_limit_factor: float
    minimum_user_limit_percent: int
    children: tuple[str, ...]
    users: tuple[UserReport, ...]


@dataclass(frozen=True)
class AppReport:
    application_id: ApplicationId
    name: str
    user: str
    queue: str
    state: AppState
    final_status: FinalStatus
    diagnostics: str
    current_attempt: ApplicationAttemptId | None
    attempts: int
    am_container: Container | None
    allocated: Resource
    reserved: Resource
    pending: Resource
    running_containers: int
    reserved_containers: int
    pending_containers: int
    priority: int
    submitted_at: datetime
    activated: bool


@dataclass(frozen=True)
class NodeReport:
    node_id: NodeId
    label: str
    state: NodeState
    total: Resource
    used: Resource
    available: Resource
    num_containers: int
    last_heartbeat: datetime
    reserved: Resource


class Reports:
    """The queries of `CapacityScheduler` (read-only views of its state)."""

    state: SchedulerState
    settings: SchedulerSettings

    def cluster_metrics(self) -> ClusterMetrics:
        state = self.state
        used = Resource.NONE
        reserved = Resource.NONE
        reserved_count = 0
        for node in state.nodes.values():
            if node.state is NodeState.RUNNING:
                used = used + node.allocated
                if node.reservation is not None:
                    reserved = reserved + node.reservation.resource
                    reserved_count += 1
        pending_apps = sum(len(q.pending_activation) for q in state.queues.values())
        running_apps = sum(q.active for q in state.queues.values() if q.spec.is_leaf)
        pending_containers = sum(
            a.outstanding for a in state.apps.values() if a.activated and not a.ended
        )
        by_state = {s: 0 for s in NodeState}
        for node in state.nodes.values():
            by_state[node.state] += 1
        return ClusterMetrics(
            apps_submitted=state.counters["apps_submitted"],
            apps_completed=state.counters["apps_completed"],
            apps_pending=pending_apps,
            apps_running=running_apps,
            apps_failed=state.counters["apps_failed"],
            apps_killed=state.counters["apps_killed"],
            reserved_mb=reserved.memory_mb,
            available_mb=state.cluster.memory_mb - used.memory_mb,
            allocated_mb=used.memory_mb,
            total_mb=state.cluster.memory_mb,
            reserved_virtual_cores=reserved.vcores,
            available_virtual_cores=state.cluster.vcores - used.vcores,
            allocated_virtual_cores=used.vcores,
            total_virtual_cores=state.cluster.vcores,
            containers_allocated=len(state.containers),
            containers_reserved=reserved_count,
            containers_pending=pending_containers,
            total_nodes=len(state.nodes),  # Hadoop: active + lost + decommissioned
            active_nodes=by_state[NodeState.RUNNING],
            lost_nodes=by_state[NodeState.LOST],
            decommissioned_nodes=by_state[NodeState.DECOMMISSIONED],
        )

    def queue_report(self, path: str) -> QueueReport:
        """One queue by full path (KeyError if unknown)."""
        state = self.state
        usage = state.queues[path]
        spec = usage.spec
        calculator = state.config.calculator
        cluster = state.cluster
        guaranteed = cluster.scaled(spec.absolute_capacity)
        users: list[UserReport] = []
        pending_by_user: dict[str, int] = {}
        pending = Resource.NONE
        for app in state.apps.values():
            if app.ended or not _under(path, app.queue):
                continue
            if app.activated:
                pending = pending + app.pending_resource()
            elif app.queue == path:
                pending_by_user[app.user] = pending_by_user.get(app.user, 0) + 1
        for name, user in sorted(usage.users.items()):
            pending_apps = pending_by_user.get(name, 0)
            users.append(
                UserReport(
                    username=name,
                    resources_used=user.used,
                    am_resource_used=user.am_used,
                    num_active_applications=user.apps - pending_apps,
                    num_pending_applications=pending_apps,
                )
            )
        consumed = usage.used
        minimum = self.settings.minimum_allocation
        return QueueReport(
            queue_path=path,
            queue_name=spec.name,
            state=spec.state,
            is_leaf=spec.is_leaf,
            capacity=spec.capacity,
            maximum_capacity=spec.maximum_capacity,
            absolute_capacity=spec.absolute_capacity * 100,
            absolute_maximum_capacity=spec.absolute_maximum_capacity * 100,
            used_capacity=100 * calculator.share(cluster, consumed, guaranteed)
            if guaranteed != Resource.NONE
            else 0.0,
            absolute_used_capacity=100 * calculator.share(cluster, consumed, cluster)
            if cluster != Resource.NONE
            else 0.0,
            resources_used=usage.used,
            resources_reserved=usage.reserved,
            num_applications=self._apps_under(path),
            num_active_applications=self._apps_under(path, activated=True),
            num_pending_applications=self._apps_under(path, activated=False),
            pending_resource=pending,
            am_resource_used=usage.am_used,
            am_resource_limit=am_limit(state, minimum, usage) if spec.is_leaf else Resource.NONE,
            user_limit_factor=spec.user_limit_factor,
            minimum_user_limit_percent=spec.minimum_user_limit_percent,
            children=spec.children,
            users=tuple(users),
        )

    def queue_reports(self) -> list[QueueReport]:
        """Every queue, root first, parents before their children."""
        return [self.queue_report(path) for path in self.state.queues]

    def _apps_under(self, path: str, activated: bool | None = None) -> int:
        count = 0
        for queue in self.state.queues.values():
            if queue.spec.is_leaf and _under(path, queue.spec.path):
                if activated is None:
                    count += queue.apps
                elif activated:
                    count += queue.active
                else:
                    count += len(queue.pending_activation)
        return count

    def app_report(self, application_id: ApplicationId) -> AppReport | None:
        app = self.state.apps.get(application_id)
        return None if app is None else _app_report(self.state, app)

    def app_reports(self) -> list[AppReport]:
        """Every application the scheduler accepted, by id."""
        return [_app_report(self.state, a) for _, a in sorted(self.state.apps.items())]

    def node_report(self, node_id: NodeId) -> NodeReport | None:
        node = self.state.nodes.get(node_id)
        if node is None:
            return None
        return NodeReport(
            node_id=node.node_id,
            label=node.label,
            state=node.state,
            total=node.total,
            used=node.allocated,
            available=node.available,
            num_containers=len(node.containers),
            last_heartbeat=node.last_heartbeat,
            reserved=Resource.NONE if node.reservation is None else node.reservation.resource,
        )

    def node_reports(self) -> list[NodeReport]:
        reports = (self.node_report(node_id) for node_id in sorted(self.state.nodes))
        return [r for r in reports if r is not None]

    def container(self, container_id: ContainerId) -> Container | None:
        """A live container."""
        return self.state.containers.get(container_id)

    def live_containers(self, application_id: ApplicationId) -> list[Container]:
        app = self.state.apps.get(application_id)
        return [] if app is None else sorted(app.live.values(), key=lambda c: c.container_id)


def _under(path: str, queue_path: str) -> bool:
    return queue_path == path or queue_path.startswith(path + ".")


def _app_report(state: SchedulerState, app: SchedulerApp) -> AppReport:
    am = None if app.am_container is None else app.live.get(app.am_container)
    return AppReport(
        application_id=app.application_id,
        name=app.name,
        user=app.user,
        queue=app.queue,
        state=app.state,
        final_status=app.final_status,
        diagnostics=app.diagnostics,
        current_attempt=app.attempt_id,
        attempts=app.attempts,
        am_container=am,
        allocated=app.used,
        reserved=app.reserved,
        pending=app.pending_resource(),
        running_containers=len(app.live),
        reserved_containers=len(app.reservations),
        pending_containers=app.outstanding,
        priority=app.priority,
        submitted_at=app.submitted_at,
        activated=app.activated,
    )
