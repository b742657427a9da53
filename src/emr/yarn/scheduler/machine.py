"""The capacity scheduler machine: `CapacityScheduler.handle(event) -> list[Action]` and its
transition tables.

Events about a node are looked up by (that node's state, event type) in `NODE_TRANSITIONS`;
events about an application (its attempts and containers included) by (the application's
state, event type) in `APP_TRANSITIONS`, an unknown application being NEW. Pairs not listed
answer `Ignored`, and so does an event naming an attempt that is no longer the current one:
late facts, like a container report after its application was killed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final

from emr.services.emr._machine import Action, Ignored
from emr.yarn.ids import ApplicationAttemptId, NodeId
from emr.yarn.queues import CapacitySchedulerConfig, QueueState, emr_default_properties
from emr.yarn.resources import Resource
from emr.yarn.scheduler.events import (
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
    ContainerCompleted,
    ContainerExitStatus,
    ContainerFinished,
    ContainerKill,
    ContainerUnreserved,
    FinalStatus,
    InvalidAsk,
    NodeAdded,
    NodeEvent,
    NodeHeartbeat,
    NodeLost,
    NodeRemoved,
    NodeResync,
    NodeState,
    SchedulerEvent,
)
from emr.yarn.scheduler.model import SchedulerApp, SchedulerNode, SchedulerState
from emr.yarn.scheduler.placement import PlacementSettings, am_limit, schedule_node
from emr.yarn.scheduler.reports import Reports

__all__ = [
    "APP_TRANSITIONS",
    "NODE_TRANSITIONS",
    "CapacityScheduler",
    "SchedulerSettings",
]

RELEASED_CONTAINER: Final = "Container released by application"
LOST_CONTAINER: Final = "Container released on a *lost* node"
KILLED_CONTAINER: Final = "Container killed by the ApplicationMaster's end"
# Hadoop does not count these AM exits towards yarn.resourcemanager.am.max-attempts.
_NOT_COUNTED: Final = frozenset(
    {
        ContainerExitStatus.ABORTED,
        ContainerExitStatus.DISKS_FAILED,
        ContainerExitStatus.PREEMPTED,
        ContainerExitStatus.KILLED_BY_RESOURCEMANAGER,
    }
)


_EMR_MINIMUM_ALLOCATION: Final = Resource(32, 1)
_HADOOP_MAXIMUM_ALLOCATION: Final = Resource(8192, 4)


@dataclass(frozen=True)
class SchedulerSettings:
    """yarn-site and capacity-scheduler settings the scheduler reads (Hadoop's names)."""

    capacity: CapacitySchedulerConfig = field(
        default_factory=lambda: CapacitySchedulerConfig.from_properties(emr_default_properties())
    )
    #: yarn.scheduler.minimum-allocation-mb / -vcores (EMR sets 32 MB; Hadoop's default 1024).
    minimum_allocation: Resource = _EMR_MINIMUM_ALLOCATION
    #: yarn.scheduler.maximum-allocation-mb / -vcores (Hadoop's defaults; EMR sets the node's
    #: memory). The effective maximum is also capped by the largest registered node.
    maximum_allocation: Resource = _HADOOP_MAXIMUM_ALLOCATION
    #: yarn.node-labels.am.default-node-label-expression (EMR 5.19+: CORE).
    am_default_label: str = "CORE"
    #: Node labels added with exclusive=true (EMR adds CORE(exclusive=false): none).
    exclusive_labels: frozenset[str] = frozenset()
    #: The RM's restart epoch, in container ids.
    epoch: int = 0


_Handler = Callable[["CapacityScheduler", Any], list[Action]]


class CapacityScheduler(Reports):
    """Queues, nodes, applications and their containers; `handle(event)` returns what the
    ResourceManager must do. Queries are in `Reports`."""

    def __init__(self, settings: SchedulerSettings | None = None) -> None:
        self.settings = settings or SchedulerSettings()
        self.state = SchedulerState(self.settings.capacity)
        self._placement = PlacementSettings(
            minimum_allocation=self.settings.minimum_allocation,
            exclusive_labels=self.settings.exclusive_labels,
            epoch=self.settings.epoch,
        )

    def handle(self, event: SchedulerEvent) -> list[Action]:
        handler: _Handler | None
        if isinstance(event, NodeEvent):
            node_state = self.node_state(event.node_id)
            state = node_state.value
            handler = NODE_TRANSITIONS.get((node_state, type(event)))
        else:
            app = self._app_of(event)
            app_state = AppState.NEW if app is None else app.state
            state = app_state.value
            handler = APP_TRANSITIONS.get((app_state, type(event)))
            attempt = getattr(event, "attempt_id", None)
            if app is not None and attempt is not None and attempt != app.attempt_id:
                handler, state = None, f"{state} (attempt {attempt} is not current)"
        if handler is None:
            return [Ignored(cause=event.event_id, event=type(event).__name__, state=state)]
        actions = handler(self, event)
        self._activate_applications()
        return actions

    def node_state(self, node_id: NodeId) -> NodeState:
        node = self.state.nodes.get(node_id)
        return NodeState.NEW if node is None else node.state

    def maximum_allocation(self) -> Resource:
        """The configured maximum, capped by the largest running node (Hadoop's rule)."""
        configured = self.settings.maximum_allocation
        running = [n.total for n in self.state.nodes.values() if n.state is NodeState.RUNNING]
        if not running:
            return configured
        largest = running[0]
        for total in running[1:]:
            largest = largest.component_max(total)
        return configured.component_min(largest)

    def _app_of(self, event: SchedulerEvent) -> SchedulerApp | None:
        if isinstance(event, (AppSubmitted, AppKillRequested, AppForgotten)):
            return self.state.apps.get(event.application_id)
        if isinstance(event, ContainerFinished):
            return self.state.apps.get(event.container_id.application_id)
        attempt = getattr(event, "attempt_id", None)
        return None if attempt is None else self.state.apps.get(attempt.application_id)

    # -- nodes

    def _node_added(self, e: NodeAdded) -> list[Action]:
        node = SchedulerNode(
            node_id=e.node_id,
            label=e.label,
            total=e.resource,
            registered_at=e.at,
            last_heartbeat=e.at,
        )
        self.state.nodes[e.node_id] = node
        self.state.add_capacity(node, 1)
        return []

    def _node_reconnected(self, e: NodeAdded) -> list[Action]:
        """A running node registered again (its NodeManager restarted): its containers are gone."""
        return self._node_gone(e, NodeState.LOST) + self._node_added(e)

    def _heartbeat(self, e: NodeHeartbeat) -> list[Action]:
        node = self.state.nodes[e.node_id]
        node.last_heartbeat = e.at
        return schedule_node(self.state, self._placement, node, e.event_id)

    def _resync(self, e: NodeHeartbeat) -> list[Action]:
        return [NodeResync(cause=e.event_id, node_id=e.node_id)]

    def _node_lost(self, e: NodeLost) -> list[Action]:
        return self._node_gone(e, NodeState.LOST)

    def _node_removed(self, e: NodeRemoved) -> list[Action]:
        return self._node_gone(e, NodeState.DECOMMISSIONED)

    def _node_gone(self, e: NodeEvent, new_state: NodeState) -> list[Action]:
        node = self.state.nodes[e.node_id]
        actions: list[Action] = []
        if node.reservation is not None:
            reservation = node.reservation
            self.state.unreserve(reservation)
            actions.append(
                ContainerUnreserved(
                    cause=e.event_id,
                    attempt_id=reservation.attempt_id,
                    node_id=node.node_id,
                    resource=reservation.resource,
                    priority=reservation.priority,
                )
            )
        for container in list(node.containers.values()):
            if container.container_id not in node.containers:
                continue  # went with its attempt's AM, earlier in this loop
            actions += self._complete(
                container, ContainerExitStatus.ABORTED, LOST_CONTAINER, e.event_id
            )
        node.state = new_state
        self.state.add_capacity(node, -1)
        return actions

    # -- applications

    def _submit(self, e: AppSubmitted) -> list[Action]:
        state = self.state
        config = state.config
        maximum = self.maximum_allocation()
        queue = config.find(e.queue)
        message = None
        if config.calculator.exceeds(e.am_resource, maximum) or e.am_resource.memory_mb < 0:
            message = (
                "Invalid resource request! Cannot allocate containers as requested resource is "
                "greater than maximum allowed allocation. Requested resource type=[memory-mb], "
                f"Requested resource={e.am_resource}, maximum allowed allocation={maximum}, "
                "please note that maximum allowed allocation is calculated by scheduler based "
                "on maximum resource of registered NodeManagers, which might be less than "
                f"configured maximum allocation={self.settings.maximum_allocation}"
            )
        elif queue is None:
            message = (
                f"Application {e.application_id} submitted by user {e.user} to unknown queue: "
                f"{e.queue}"
            )
        elif not queue.is_leaf:
            message = (
                f"Application {e.application_id} submitted by user {e.user} to non-leaf queue: "
                f"{e.queue}"
            )
        elif queue.state is QueueState.STOPPED:
            message = (
                f"Queue {queue.path} is STOPPED. Cannot accept submission of application: "
                f"{e.application_id}"
            )
        elif state.queues[queue.path].apps >= queue.maximum_applications:
            message = (
                f"Queue {queue.path} already has {state.queues[queue.path].apps} applications, "
                f"cannot accept submission of application: {e.application_id}"
            )
        if message is not None or queue is None:
            return [
                AppRejected(
                    cause=e.event_id, application_id=e.application_id, message=message or ""
                )
            ]
        label = (
            self.settings.am_default_label
            if e.am_label_expression is None
            else (e.am_label_expression)
        )
        minimum = self.settings.minimum_allocation
        app = SchedulerApp(
            application_id=e.application_id,
            queue=queue.path,
            user=e.user,
            name=e.name,
            am_resource=config.calculator.normalize(e.am_resource, minimum, maximum, minimum),
            am_label=label,
            max_attempts=max(e.max_attempts, 1),
            priority=e.priority,
            submitted_at=e.at,
        )
        state.apps[app.application_id] = app
        leaf = state.queues[queue.path]
        leaf.apps += 1
        state.user(app).apps += 1
        leaf.pending_activation.append(app.application_id)
        state.counters["apps_submitted"] += 1
        return [
            AppAccepted(cause=e.event_id, application_id=app.application_id, queue=queue.path),
            AppStateChanged(
                cause=e.event_id,
                application_id=app.application_id,
                state=AppState.ACCEPTED,
                final_status=FinalStatus.UNDEFINED,
            ),
            self._new_attempt(app, e.event_id),
        ]

    def _new_attempt(self, app: SchedulerApp, cause: str) -> AttemptAdded:
        app.attempts += 1
        app.attempt_id = ApplicationAttemptId(app.application_id, app.attempts)
        app.container_sequence = 0
        self.state.add_am_ask(app)
        return AttemptAdded(cause=cause, attempt_id=app.attempt_id)

    def _registered(self, e: AttemptRegistered) -> list[Action]:
        app = self.state.apps[e.attempt_id.application_id]
        app.state = AppState.RUNNING
        return [
            AppStateChanged(
                cause=e.event_id,
                application_id=app.application_id,
                state=AppState.RUNNING,
                final_status=FinalStatus.UNDEFINED,
            )
        ]

    def _allocate(self, e: Allocate) -> list[Action]:
        state = self.state
        app = state.apps[e.attempt_id.application_id]
        queue = state.config.queues[app.queue]
        maximum = self.maximum_allocation()
        minimum = self.settings.minimum_allocation
        calculator = state.config.calculator
        for ask in e.asks:
            problem = None
            if (
                ask.capability.memory_mb < 0
                or ask.capability.vcores < 0
                or calculator.exceeds(ask.capability, maximum)
            ):
                problem = (
                    "Invalid resource request! Cannot allocate containers as requested resource "
                    "is greater than maximum allowed allocation. Requested resource "
                    f"type=[memory-mb], Requested resource={ask.capability}, maximum allowed "
                    f"allocation={maximum}, please note that maximum allowed allocation is "
                    "calculated by scheduler based on maximum resource of registered "
                    "NodeManagers, which might be less than configured maximum "
                    f"allocation={self.settings.maximum_allocation}"
                )
            elif not queue.can_access_label(ask.node_label_expression):
                problem = (
                    f"Invalid resource request, queue={queue.path} doesn't have permission to "
                    "access all labels in resource request. labelExpression of resource "
                    f"request={ask.node_label_expression}. Queue "
                    f"labels={','.join(sorted(queue.accessible_node_labels))}"
                )
            if problem is not None:
                return [InvalidAsk(cause=e.event_id, attempt_id=e.attempt_id, message=problem)]
        for ask in e.asks:
            if ask.priority in app.asks and app.asks[ask.priority].is_am:
                continue  # the AM container's request is the scheduler's, not the AM's
            capability = calculator.normalize(ask.capability, minimum, maximum, minimum)
            state.update_asks(app, ask, capability)
        actions: list[Action] = []
        for container_id in e.releases:
            container = app.live.get(container_id)
            if container is None or container.is_am:
                continue
            actions.append(
                ContainerKill(
                    cause=e.event_id,
                    container_id=container_id,
                    node_id=container.node_id,
                    diagnostics=RELEASED_CONTAINER,
                )
            )
            actions += self._complete(
                container, ContainerExitStatus.ABORTED, RELEASED_CONTAINER, e.event_id
            )
        return actions

    def _container_finished(self, e: ContainerFinished) -> list[Action]:
        container = self.state.containers.get(e.container_id)
        if container is None:
            app = self.state.apps[e.container_id.application_id]
            return [
                Ignored(
                    cause=e.event_id,
                    event="ContainerFinished",
                    state=f"{app.state.value} (container not live)",
                )
            ]
        return self._complete(container, e.exit_status, e.diagnostics, e.event_id)

    def _complete(
        self, container: Container, exit_status: int, diagnostics: str, cause: str
    ) -> list[Action]:
        """A live container is over: free it; an AM's end fails its attempt."""
        app = self.state.unplace(container)
        if app is None:
            return []
        if container.is_am:
            reason = (
                f"AM Container for {container.container_id.application_attempt_id} exited with "
                f" exitCode: {exit_status}" + (f"\n{diagnostics}" if diagnostics else "")
            )
            return self._fail_attempt(app, reason, exit_status not in _NOT_COUNTED, cause)
        return [
            ContainerCompleted(
                cause=cause,
                container_id=container.container_id,
                attempt_id=container.container_id.application_attempt_id,
                exit_status=exit_status,
                diagnostics=diagnostics,
            )
        ]

    def _attempt_failed(self, e: AttemptFailed) -> list[Action]:
        app = self.state.apps[e.attempt_id.application_id]
        return self._fail_attempt(app, e.diagnostics, e.counts_towards_max_attempts, e.event_id)

    def _fail_attempt(
        self, app: SchedulerApp, reason: str, counts: bool, cause: str
    ) -> list[Action]:
        actions = self._release_everything(app, cause)
        if counts:
            app.counted_failures += 1
        if app.counted_failures >= app.max_attempts:
            diagnostics = (
                f"Application {app.application_id} failed {app.max_attempts} times due to "
                f"{reason}. Failing the application."
            )
            return actions + self._end(app, AppState.FAILED, FinalStatus.FAILED, diagnostics, cause)
        was_running = app.state is AppState.RUNNING
        app.state = AppState.ACCEPTED
        app.diagnostics = reason
        if was_running:
            actions.append(
                AppStateChanged(
                    cause=cause,
                    application_id=app.application_id,
                    state=AppState.ACCEPTED,
                    final_status=FinalStatus.UNDEFINED,
                    diagnostics=reason,
                )
            )
        actions.append(self._new_attempt(app, cause))
        return actions

    def _unregistered(self, e: AttemptUnregistered) -> list[Action]:
        app = self.state.apps[e.attempt_id.application_id]
        actions = self._release_everything(app, e.event_id)
        return actions + self._end(
            app, AppState.FINISHED, e.final_status, e.diagnostics, e.event_id
        )

    def _forget(self, e: AppForgotten) -> list[Action]:
        del self.state.apps[e.application_id]
        return []

    def _kill(self, e: AppKillRequested) -> list[Action]:
        app = self.state.apps[e.application_id]
        actions = self._release_everything(app, e.event_id)
        diagnostics = e.diagnostics or "Application killed by user."
        return actions + self._end(
            app, AppState.KILLED, FinalStatus.KILLED, diagnostics, e.event_id
        )

    def _release_everything(self, app: SchedulerApp, cause: str) -> list[Action]:
        """The attempt is over: kill its containers, drop its reservations and asks."""
        actions: list[Action] = []
        for reservation in list(app.reservations.values()):
            self.state.unreserve(reservation)
            actions.append(
                ContainerUnreserved(
                    cause=cause,
                    attempt_id=reservation.attempt_id,
                    node_id=reservation.node_id,
                    resource=reservation.resource,
                    priority=reservation.priority,
                )
            )
        for container in list(app.live.values()):
            self.state.unplace(container)
            actions.append(
                ContainerKill(
                    cause=cause,
                    container_id=container.container_id,
                    node_id=container.node_id,
                    diagnostics=KILLED_CONTAINER,
                )
            )
        self.state.clear_asks(app)
        return actions

    def _end(
        self,
        app: SchedulerApp,
        final_state: AppState,
        final_status: FinalStatus,
        diagnostics: str,
        cause: str,
    ) -> list[Action]:
        state = self.state
        leaf = state.queues[app.queue]
        user = state.user(app)
        if app.activated:
            leaf.active -= 1
            leaf.am_used = leaf.am_used - app.am_resource
            user.am_used = user.am_used - app.am_resource
        else:
            leaf.pending_activation.remove(app.application_id)
        leaf.apps -= 1
        user.apps -= 1
        was_demanding = state.is_demanding(app)
        app.state = final_state
        state.demand_changed(app, was_demanding)
        app.final_status = final_status
        app.diagnostics = diagnostics
        counter = {
            AppState.FINISHED: "apps_completed",
            AppState.FAILED: "apps_failed",
            AppState.KILLED: "apps_killed",
        }[final_state]
        state.counters[counter] += 1
        return [
            AppStateChanged(
                cause=cause,
                application_id=app.application_id,
                state=final_state,
                final_status=final_status,
                diagnostics=diagnostics,
            )
        ]

    def _activate_applications(self) -> None:
        """Admit accepted applications into scheduling, FIFO, while their AMs fit the leaf's
        maximum-am-resource-percent (one is always admitted into an empty leaf, as Hadoop)."""
        state = self.state
        calculator = state.config.calculator
        for leaf in state.queues.values():
            if not leaf.pending_activation:
                continue
            limit = am_limit(state, self.settings.minimum_allocation, leaf)
            while leaf.pending_activation:
                app = state.apps[leaf.pending_activation[0]]
                if leaf.active > 0 and not calculator.fits_in(
                    leaf.am_used + app.am_resource, limit
                ):
                    break
                leaf.pending_activation.popleft()
                leaf.active += 1
                leaf.am_used = leaf.am_used + app.am_resource
                user = state.user(app)
                user.am_used = user.am_used + app.am_resource
                app.activated = True
                state.demand_changed(app, was_demanding=False)


NODE_TRANSITIONS: Final[dict[tuple[NodeState, type[SchedulerEvent]], _Handler]] = {
    (NodeState.NEW, NodeAdded): CapacityScheduler._node_added,
    (NodeState.LOST, NodeAdded): CapacityScheduler._node_added,
    (NodeState.DECOMMISSIONED, NodeAdded): CapacityScheduler._node_added,
    (NodeState.RUNNING, NodeAdded): CapacityScheduler._node_reconnected,
    (NodeState.RUNNING, NodeHeartbeat): CapacityScheduler._heartbeat,
    (NodeState.NEW, NodeHeartbeat): CapacityScheduler._resync,
    (NodeState.LOST, NodeHeartbeat): CapacityScheduler._resync,
    (NodeState.DECOMMISSIONED, NodeHeartbeat): CapacityScheduler._resync,
    (NodeState.RUNNING, NodeLost): CapacityScheduler._node_lost,
    (NodeState.RUNNING, NodeRemoved): CapacityScheduler._node_removed,
}

_LIVE = (AppState.ACCEPTED, AppState.RUNNING)
_ENDED = (AppState.FINISHED, AppState.FAILED, AppState.KILLED)

APP_TRANSITIONS: Final[dict[tuple[AppState, type[SchedulerEvent]], _Handler]] = {
    (AppState.NEW, AppSubmitted): CapacityScheduler._submit,
    (AppState.ACCEPTED, AttemptRegistered): CapacityScheduler._registered,
    (AppState.RUNNING, AttemptUnregistered): CapacityScheduler._unregistered,
    **{(s, Allocate): CapacityScheduler._allocate for s in _LIVE},
    **{(s, ContainerFinished): CapacityScheduler._container_finished for s in _LIVE},
    **{(s, AttemptFailed): CapacityScheduler._attempt_failed for s in _LIVE},
    **{(s, AppKillRequested): CapacityScheduler._kill for s in _LIVE},
    **{(s, AppForgotten): CapacityScheduler._forget for s in _ENDED},
}
