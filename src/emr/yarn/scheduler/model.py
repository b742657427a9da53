"""The scheduler's state and its bookkeeping: nodes, applications with their pending asks,
queue and user usage — every counter changes here, in one place.

Why the indexes: a heartbeat must not scan every pending request of every application. Each
application keeps its asks by priority (host preferences in a dict), each leaf keeps only its
*demanding* activated applications in FIFO order (a sorted list, updated when an application's
outstanding count goes from zero to non-zero or back), and every queue counts the demanding
applications beneath it, so queues without demand are skipped without looking inside.
"""

from __future__ import annotations

import bisect
from collections import Counter, deque
from dataclasses import dataclass, field
from datetime import datetime

from emr.yarn.ids import ApplicationAttemptId, ApplicationId, ContainerId, NodeId
from emr.yarn.queues import CapacitySchedulerConfig, QueueSpec
from emr.yarn.resources import Resource
from emr.yarn.scheduler.events import (
    ANY,
    AppState,
    Container,
    FinalStatus,
    NodeState,
    ResourceRequest,
)

__all__ = [
    "PriorityAsks",
    "QueueUsage",
    "Reservation",
    "SchedulerApp",
    "SchedulerNode",
    "SchedulerState",
    "UserUsage",
]


@dataclass(eq=False)
class Reservation:
    """A node held for one application's request at one priority."""

    attempt_id: ApplicationAttemptId
    node_id: NodeId
    priority: int
    resource: Resource


@dataclass(eq=False)
class SchedulerNode:
    node_id: NodeId
    label: str
    total: Resource
    registered_at: datetime
    last_heartbeat: datetime
    state: NodeState = NodeState.RUNNING
    allocated: Resource = Resource.NONE
    containers: dict[ContainerId, Container] = field(default_factory=dict)
    reservation: Reservation | None = None

    @property
    def available(self) -> Resource:
        return self.total - self.allocated


@dataclass(eq=False)
class PriorityAsks:
    """An application's outstanding ask at one priority (Hadoop's per-SchedulerRequestKey
    table): the "*" count is the total wanted, hosts are preferences."""

    capability: Resource
    outstanding: int = 0
    relax_locality: bool = True
    label: str = ""
    hosts: dict[str, int] = field(default_factory=dict)
    missed_opportunities: int = 0
    reserved: int = 0
    is_am: bool = False

    def host_wanted(self, host: str) -> bool:
        return self.hosts.get(host, 0) > 0

    @property
    def has_host_preferences(self) -> bool:
        return any(count > 0 for count in self.hosts.values())


@dataclass(eq=False)
class SchedulerApp:
    application_id: ApplicationId
    queue: str  # leaf path
    user: str
    name: str
    am_resource: Resource
    am_label: str
    max_attempts: int
    priority: int
    submitted_at: datetime
    state: AppState = AppState.ACCEPTED
    final_status: FinalStatus = FinalStatus.UNDEFINED
    diagnostics: str = ""
    finished_at: datetime | None = None
    attempt_id: ApplicationAttemptId | None = None
    attempts: int = 0
    counted_failures: int = 0
    activated: bool = False
    container_sequence: int = 0
    asks: dict[int, PriorityAsks] = field(default_factory=dict)
    priorities: list[int] = field(default_factory=list)  # sorted, those in `asks`
    live: dict[ContainerId, Container] = field(default_factory=dict)
    am_container: ContainerId | None = None
    used: Resource = Resource.NONE
    reserved: Resource = Resource.NONE
    reservations: dict[NodeId, Reservation] = field(default_factory=dict)
    outstanding: int = 0  # containers wanted over all priorities

    @property
    def order_key(self) -> tuple[int, ApplicationId]:
        """FIFO inside a leaf: higher application priority first, then submission order."""
        return (-self.priority, self.application_id)

    @property
    def ended(self) -> bool:
        return self.state in (AppState.FINISHED, AppState.FAILED, AppState.KILLED)

    def pending_resource(self) -> Resource:
        total = Resource.NONE
        for asks in self.asks.values():
            total = total + asks.capability * asks.outstanding
        return total


@dataclass(eq=False)
class UserUsage:
    used: Resource = Resource.NONE
    reserved: Resource = Resource.NONE
    am_used: Resource = Resource.NONE
    demanding_apps: int = 0
    apps: int = 0


@dataclass(eq=False)
class QueueUsage:
    spec: QueueSpec
    used: Resource = Resource.NONE
    reserved: Resource = Resource.NONE
    demanding_apps: int = 0  # in the subtree
    # leaves only
    am_used: Resource = Resource.NONE
    pending_activation: deque[ApplicationId] = field(default_factory=deque)
    active: int = 0
    apps: int = 0
    demanding: list[tuple[int, ApplicationId]] = field(default_factory=list)  # sorted
    #: Outstanding containers of the demanding applications, by label expression: a heartbeat
    #: skips the partition pass of a label nobody asks for without walking every application.
    label_demand: Counter[str] = field(default_factory=Counter)
    users: dict[str, UserUsage] = field(default_factory=dict)
    active_users: int = 0  # users with a demanding application (Hadoop's active users)


class SchedulerState:
    """Everything the scheduler knows; the bookkeeping keeps every total consistent."""

    def __init__(self, config: CapacitySchedulerConfig) -> None:
        self.config = config
        self.nodes: dict[NodeId, SchedulerNode] = {}
        self.apps: dict[ApplicationId, SchedulerApp] = {}
        self.queues: dict[str, QueueUsage] = {
            path: QueueUsage(spec) for path, spec in config.queues.items()
        }
        self.cluster = Resource.NONE  # total of RUNNING nodes
        self.running_nodes = 0
        self.cluster_by_label: dict[str, Resource] = {}
        self.containers: dict[ContainerId, Container] = {}
        self.counters: dict[str, int] = {
            "apps_submitted": 0,
            "apps_completed": 0,
            "apps_failed": 0,
            "apps_killed": 0,
            "containers_allocated_total": 0,
        }

    # -- queue walks

    def ancestry(self, path: str) -> list[QueueUsage]:
        """The queue and every ancestor, leaf first."""
        chain = []
        current: str | None = path
        while current is not None:
            queue = self.queues[current]
            chain.append(queue)
            current = queue.spec.parent
        return chain

    def user(self, app: SchedulerApp) -> UserUsage:
        return self.queues[app.queue].users.setdefault(app.user, UserUsage())

    # -- nodes

    def add_capacity(self, node: SchedulerNode, sign: int) -> None:
        delta = node.total * sign
        self.running_nodes += sign
        self.cluster = self.cluster + delta
        self.cluster_by_label[node.label] = (
            self.cluster_by_label.get(node.label, Resource.NONE) + delta
        )

    # -- asks

    def update_asks(
        self, app: SchedulerApp, request: ResourceRequest, capability: Resource
    ) -> None:
        asks = app.asks.get(request.priority)
        if asks is None:
            asks = PriorityAsks(capability=capability)
            app.asks[request.priority] = asks
            bisect.insort(app.priorities, request.priority)
        if request.resource_name == ANY:
            self._set_outstanding(app, asks, request.num_containers)
            asks.capability = capability
            asks.relax_locality = request.relax_locality
            if asks.label != request.node_label_expression and self.is_demanding(app):
                demand = self.queues[app.queue].label_demand
                demand[asks.label] -= asks.outstanding
                demand[request.node_label_expression] += asks.outstanding
            asks.label = request.node_label_expression
        elif request.resource_name.startswith("/"):
            pass  # a rack: every node is on /default-rack here, so it adds nothing to "*"
        elif request.num_containers > 0:
            asks.hosts[request.resource_name] = request.num_containers
        else:
            asks.hosts.pop(request.resource_name, None)
        if asks.outstanding == 0 and not asks.hosts and not asks.reserved:
            del app.asks[request.priority]
            app.priorities.remove(request.priority)

    def add_am_ask(self, app: SchedulerApp) -> None:
        asks = PriorityAsks(capability=app.am_resource, label=app.am_label, is_am=True)
        app.asks[0] = asks
        bisect.insort(app.priorities, 0)
        self._set_outstanding(app, asks, 1)

    def drop_priority(self, app: SchedulerApp, priority: int) -> None:
        asks = app.asks.pop(priority, None)
        if asks is not None:
            self._set_outstanding(app, asks, 0)
            app.priorities.remove(priority)

    def clear_asks(self, app: SchedulerApp) -> None:
        for asks in list(app.asks.values()):
            self._set_outstanding(app, asks, 0)
        app.asks.clear()
        app.priorities.clear()

    def _set_outstanding(self, app: SchedulerApp, asks: PriorityAsks, count: int) -> None:
        count = max(count, 0)
        was_demanding = self.is_demanding(app)
        delta = count - asks.outstanding
        app.outstanding += delta
        asks.outstanding = count
        if was_demanding:
            self.queues[app.queue].label_demand[asks.label] += delta
        self.demand_changed(app, was_demanding)

    def demand_changed(self, app: SchedulerApp, was_demanding: bool) -> None:
        """Keep the leaf's demanding list and the subtree counts in step with `app`."""
        demanding = app.activated and app.outstanding > 0 and not app.ended
        if demanding == was_demanding:
            return
        leaf = self.queues[app.queue]
        step = 1 if demanding else -1
        for queue in self.ancestry(app.queue):
            queue.demanding_apps += step
        user = self.user(app)
        user.demanding_apps += step
        if user.demanding_apps == (1 if demanding else 0):
            leaf.active_users += step
        for asks in app.asks.values():
            leaf.label_demand[asks.label] += step * asks.outstanding
        key = app.order_key
        if demanding:
            bisect.insort(leaf.demanding, key)
        else:
            index = bisect.bisect_left(leaf.demanding, key)
            if index < len(leaf.demanding) and leaf.demanding[index] == key:
                del leaf.demanding[index]

    def is_demanding(self, app: SchedulerApp) -> bool:
        return app.activated and app.outstanding > 0 and not app.ended

    def take_one(self, app: SchedulerApp, asks: PriorityAsks, host: str | None) -> None:
        """One container of this ask was allocated (on `host` when node-local)."""
        if host is not None:
            remaining = asks.hosts.get(host, 0) - 1
            if remaining > 0:
                asks.hosts[host] = remaining
            else:
                asks.hosts.pop(host, None)
        self._set_outstanding(app, asks, asks.outstanding - 1)

    # -- usage

    def charge(self, app: SchedulerApp, amount: Resource, *, reserved: bool) -> None:
        """Add (or with a negative amount, remove) used or reserved resource everywhere."""
        user = self.user(app)
        if reserved:
            app.reserved = app.reserved + amount
            user.reserved = user.reserved + amount
        else:
            app.used = app.used + amount
            user.used = user.used + amount
        for queue in self.ancestry(app.queue):
            if reserved:
                queue.reserved = queue.reserved + amount
            else:
                queue.used = queue.used + amount

    def place(self, app: SchedulerApp, node: SchedulerNode, container: Container) -> None:
        node.allocated = node.allocated + container.resource
        node.containers[container.container_id] = container
        app.live[container.container_id] = container
        self.containers[container.container_id] = container
        self.charge(app, container.resource, reserved=False)
        self.counters["containers_allocated_total"] += 1

    def unplace(self, container: Container) -> SchedulerApp | None:
        """Free a container's resources; answers its application (None if unknown)."""
        self.containers.pop(container.container_id, None)
        node = self.nodes.get(container.node_id)
        if node is not None and node.containers.pop(container.container_id, None) is not None:
            node.allocated = node.allocated - container.resource
        app = self.apps.get(container.container_id.application_id)
        if app is not None and app.live.pop(container.container_id, None) is not None:
            self.charge(app, Resource.NONE - container.resource, reserved=False)
            if app.am_container == container.container_id:
                app.am_container = None
        return app

    def reserve(
        self, app: SchedulerApp, node: SchedulerNode, asks: PriorityAsks, priority: int
    ) -> Reservation:
        assert app.attempt_id is not None
        reservation = Reservation(app.attempt_id, node.node_id, priority, asks.capability)
        node.reservation = reservation
        app.reservations[node.node_id] = reservation
        asks.reserved += 1
        self.charge(app, asks.capability, reserved=True)
        return reservation

    def unreserve(self, reservation: Reservation) -> None:
        node = self.nodes.get(reservation.node_id)
        if node is not None and node.reservation is reservation:
            node.reservation = None
        app = self.apps.get(reservation.attempt_id.application_id)
        if app is None or app.reservations.get(reservation.node_id) is not reservation:
            return
        del app.reservations[reservation.node_id]
        asks = app.asks.get(reservation.priority)
        if asks is not None:
            asks.reserved -= 1
        self.charge(app, Resource.NONE - reservation.resource, reserved=True)

    def new_container_id(self, app: SchedulerApp, epoch: int) -> ContainerId:
        assert app.attempt_id is not None
        app.container_sequence += 1
        return ContainerId.of(app.attempt_id, app.container_sequence, epoch)
