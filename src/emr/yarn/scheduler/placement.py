"""What one node heartbeat places: the capacity scheduler's assignment walk and its limits.

On a heartbeat the node first serves its reservation, if it has one (a reserved node serves
nothing else until the reservation is fulfilled or dropped: that is what keeps a large request
from starving behind a stream of small ones). Then, while the node has room for a minimum
allocation, one container at a time is assigned by walking the queue tree:

- children of a parent are tried least served first: used / guaranteed (`used` counts
  reservations, as Hadoop's does), ties by path; queues without demand are skipped unseen;
- a queue never grows past its maximum capacity (nor any ancestor past its own), but may use
  idle capacity up to it (elasticity); a request too big for the headroom left is skipped,
  a smaller one behind it may still be placed;
- inside a leaf, demanding activated applications in FIFO order (application priority, then
  submission); a user over the user limit is skipped (Hadoop lets one container overshoot it);
- inside an application, priorities in order (lower number first); a request is placed
  node-local when it names this host, off-switch when it names no host, and off-switch after
  `min(active nodes, node-locality-delay)` offers missed when it names other hosts (delay
  scheduling; `relax_locality=False` never goes off-switch);
- partitions: a request with a label expression runs only on nodes of that label; an
  unlabelled request runs on default-partition nodes and, after the label's own requests had
  their turn on this heartbeat, on nodes of non-exclusive labels (EMR's CORE is non-exclusive);
- a request that fits the node's total but not its free space reserves the node, provided
  the queue's headroom could take it (the reservation then counts as used, as in Hadoop).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from emr.services.emr._machine import Action
from emr.yarn.resources import Resource
from emr.yarn.scheduler.events import (
    Container,
    ContainerAllocated,
    ContainerReserved,
    ContainerUnreserved,
    Locality,
)
from emr.yarn.scheduler.model import (
    PriorityAsks,
    QueueUsage,
    SchedulerApp,
    SchedulerNode,
    SchedulerState,
)

__all__ = ["PlacementSettings", "am_limit", "schedule_node", "user_limit"]


@dataclass(frozen=True)
class PlacementSettings:
    minimum_allocation: Resource
    exclusive_labels: frozenset[str]
    epoch: int


@dataclass
class _Outcome:
    actions: list[Action]
    allocated: bool


def schedule_node(
    state: SchedulerState, settings: PlacementSettings, node: SchedulerNode, cause: str
) -> list[Action]:
    """Everything this heartbeat places on (or reserves) `node`."""
    actions: list[Action] = []
    if node.reservation is not None:
        actions += _serve_reservation(state, settings, node, cause)
        if node.reservation is not None:
            return actions
    calculator = state.config.calculator
    while calculator.fits_in(settings.minimum_allocation, node.available):
        outcome = _assign_queue(state, settings, state.queues["root"], node, cause)
        if outcome is None:
            break
        actions += outcome.actions
        if not outcome.allocated:
            break
    return actions


def _serve_reservation(
    state: SchedulerState, settings: PlacementSettings, node: SchedulerNode, cause: str
) -> list[Action]:
    reservation = node.reservation
    assert reservation is not None
    app = state.apps.get(reservation.attempt_id.application_id)
    asks = None if app is None else app.asks.get(reservation.priority)
    unreserved = ContainerUnreserved(
        cause=cause,
        attempt_id=reservation.attempt_id,
        node_id=node.node_id,
        resource=reservation.resource,
        priority=reservation.priority,
    )
    wanted = (
        app is not None
        and asks is not None
        and app.attempt_id == reservation.attempt_id
        and asks.outstanding >= asks.reserved
        and asks.outstanding > 0
        and asks.capability == reservation.resource
    )
    if not wanted:
        state.unreserve(reservation)
        return [unreserved]
    assert app is not None and asks is not None
    if not state.config.calculator.fits_in(reservation.resource, node.available):
        return []
    state.unreserve(reservation)
    locality = Locality.NODE_LOCAL if asks.host_wanted(node.node_id.host) else Locality.OFF_SWITCH
    return [
        unreserved,
        _allocate(state, settings, app, asks, reservation.priority, node, locality, cause),
    ]


def _assign_queue(
    state: SchedulerState,
    settings: PlacementSettings,
    queue: QueueUsage,
    node: SchedulerNode,
    cause: str,
) -> _Outcome | None:
    if queue.demanding_apps == 0:
        return None
    if queue.spec.is_leaf:
        return _assign_leaf(state, settings, queue, node, cause)
    children = [state.queues[path] for path in queue.spec.children]
    children = [c for c in children if c.demanding_apps > 0]
    children.sort(key=lambda c: (_used_ratio(state, settings, c), c.spec.path))
    for child in children:
        if not _within_maximum(state, child, settings.minimum_allocation):
            continue
        outcome = _assign_queue(state, settings, child, node, cause)
        if outcome is not None:
            return outcome
    return None


def _assign_leaf(
    state: SchedulerState,
    settings: PlacementSettings,
    leaf: QueueUsage,
    node: SchedulerNode,
    cause: str,
) -> _Outcome | None:
    exclusive = not node.label or node.label in settings.exclusive_labels
    passes = (node.label,) if exclusive else (node.label, "")
    calculator = state.config.calculator
    blocked_users: set[str] = set()
    # Limits depend on the leaf and the request's size only, and nothing changes during the
    # walk until a placement (which ends it): compute each once per walk.
    within: dict[Resource, bool] = {}
    limits: dict[Resource, Resource] = {}
    for wanted_label in passes:
        if leaf.label_demand[wanted_label] <= 0:
            continue  # nobody in this queue asks for that partition
        # Safe to walk the live list: it only changes on an allocation, which returns.
        for _, app_id in leaf.demanding:
            app = state.apps[app_id]
            if app.user in blocked_users:
                continue
            for priority in app.priorities:
                asks = app.asks[priority]
                if asks.outstanding <= 0 or asks.label != wanted_label:
                    continue
                required = asks.capability
                fits_queue = within.get(required)
                if fits_queue is None:
                    fits_queue = within[required] = _within_maximum(state, leaf, required)
                if not fits_queue:
                    continue  # too big for the queue's headroom; a smaller ask may still fit
                limit = limits.get(required)
                if limit is None:
                    limit = limits[required] = user_limit(
                        state, settings.minimum_allocation, leaf, required
                    )
                user = state.user(app)
                if calculator.greater_than(state.cluster, user.used + user.reserved, limit):
                    blocked_users.add(app.user)  # Hadoop lets a user overshoot by one container
                    break
                outcome = _try_node(state, settings, app, asks, priority, node, cause)
                if outcome is not None:
                    return outcome
    return None


def _try_node(
    state: SchedulerState,
    settings: PlacementSettings,
    app: SchedulerApp,
    asks: PriorityAsks,
    priority: int,
    node: SchedulerNode,
    cause: str,
) -> _Outcome | None:
    calculator = state.config.calculator
    asks.missed_opportunities += 1
    if asks.host_wanted(node.node_id.host):
        locality = Locality.NODE_LOCAL
    elif not asks.relax_locality or (asks.has_host_preferences and not _delay_over(state, asks)):
        return None
    else:
        locality = Locality.OFF_SWITCH
    if calculator.fits_in(asks.capability, node.available):
        allocated = _allocate(state, settings, app, asks, priority, node, locality, cause)
        return _Outcome([allocated], allocated=True)
    if (
        node.reservation is None
        and calculator.fits_in(asks.capability, node.total)
        and asks.reserved < asks.outstanding
        and node.node_id not in app.reservations
    ):
        reservation = state.reserve(app, node, asks, priority)
        reserved = ContainerReserved(
            cause=cause,
            attempt_id=reservation.attempt_id,
            node_id=node.node_id,
            resource=reservation.resource,
            priority=priority,
        )
        return _Outcome([reserved], allocated=False)
    return None


def _allocate(
    state: SchedulerState,
    settings: PlacementSettings,
    app: SchedulerApp,
    asks: PriorityAsks,
    priority: int,
    node: SchedulerNode,
    locality: Locality,
    cause: str,
) -> ContainerAllocated:
    assert app.attempt_id is not None
    container = Container(
        container_id=state.new_container_id(app, settings.epoch),
        node_id=node.node_id,
        resource=asks.capability,
        priority=priority,
        is_am=asks.is_am,
    )
    state.place(app, node, container)
    if asks.is_am:
        app.am_container = container.container_id
    if locality is Locality.NODE_LOCAL:
        asks.missed_opportunities = 0  # off-switch placements keep the count (Hadoop)
    state.take_one(app, asks, node.node_id.host if locality is Locality.NODE_LOCAL else None)
    if asks.is_am:
        state.drop_priority(app, priority)  # the AM's own asks may use priority 0 (Spark does)
    return ContainerAllocated(
        cause=cause, container=container, attempt_id=app.attempt_id, locality=locality
    )


# --- limits -----------------------------------------------------------------------------------


def _delay_over(state: SchedulerState, asks: PriorityAsks) -> bool:
    delay = state.config.node_locality_delay
    if delay < 0:
        return True
    return asks.missed_opportunities >= min(state.running_nodes, delay)


def _used_ratio(state: SchedulerState, settings: PlacementSettings, queue: QueueUsage) -> float:
    calculator = state.config.calculator
    cluster = state.cluster
    guaranteed = calculator.max(
        cluster, cluster.scaled(queue.spec.absolute_capacity), settings.minimum_allocation
    )
    return calculator.share(cluster, queue.used + queue.reserved, guaranteed)


def _within_maximum(state: SchedulerState, queue: QueueUsage, required: Resource) -> bool:
    """Whether `required` more keeps the queue and every ancestor within maximum capacity."""
    calculator = state.config.calculator
    cluster = state.cluster
    for q in state.ancestry(queue.spec.path):
        limit = cluster.scaled(q.spec.absolute_maximum_capacity)
        if calculator.greater_than(cluster, q.used + q.reserved + required, limit):
            return False
    return True


def user_limit(
    state: SchedulerState, minimum_allocation: Resource, leaf: QueueUsage, required: Resource
) -> Resource:
    """Hadoop's LeafQueue user limit for one more `required`: an equal share of the queue among
    users with demand, at least minimum-user-limit-percent of it, at most user-limit-factor x
    the queue's capacity (and never past its maximum capacity)."""
    calculator = state.config.calculator
    cluster = state.cluster
    spec = leaf.spec
    queue_capacity = calculator.max(cluster, cluster.scaled(spec.absolute_capacity), required)
    consumed = leaf.used + leaf.reserved
    if calculator.greater_than(cluster, queue_capacity, consumed):
        current = queue_capacity
    else:
        current = consumed + required
    active_users = max(leaf.active_users, 1)
    equal_share = Resource(
        math.ceil(current.memory_mb / active_users), math.ceil(current.vcores / active_users)
    )
    floor_share = Resource(
        math.ceil(current.memory_mb * spec.minimum_user_limit_percent / 100),
        math.ceil(current.vcores * spec.minimum_user_limit_percent / 100),
    )
    limit = calculator.max(cluster, equal_share, floor_share)
    maximum = calculator.min(
        cluster,
        queue_capacity.scaled(spec.user_limit_factor),
        cluster.scaled(spec.absolute_maximum_capacity),
    )
    limit = calculator.min(cluster, limit, maximum)
    return calculator.round_up(limit, minimum_allocation)


def am_limit(state: SchedulerState, minimum_allocation: Resource, leaf: QueueUsage) -> Resource:
    """The share of a leaf its activated applications' AMs may take:
    maximum-am-resource-percent of what the queue may use (its maximum capacity)."""
    calculator = state.config.calculator
    cluster = state.cluster
    usable = calculator.max(
        cluster,
        cluster.scaled(leaf.spec.absolute_capacity),
        cluster.scaled(leaf.spec.absolute_maximum_capacity),
    )
    return calculator.round_up(
        usable.scaled(leaf.spec.maximum_am_resource_percent), minimum_allocation
    )
