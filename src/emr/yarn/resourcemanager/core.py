"""The ResourceManager: the CapacityScheduler and the records around it, driven by the calls
NodeManagers, ApplicationMasters and clients make (see emr.yarn.scheduler for the wiring).

Every method runs on the daemon's one event loop without awaiting, so events reach the
scheduler one at a time and in order, and nothing here needs a lock (as the NameNode). The
only I/O it asks for is launching an AM container, through `launch_am`, which the daemon
sets to a task that POSTs to the NodeManager and reports back with `am_launched` or
`am_launch_failed`.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from emr.nodes.hadoop_conf import RESOURCEMANAGER_WEBAPP_PORT
from emr.services.emr._machine import Action, Ignored
from emr.yarn import protocol as p
from emr.yarn.ids import ApplicationAttemptId, ApplicationId, ContainerId, InvalidId, NodeId
from emr.yarn.resourcemanager.amservice import ApplicationMasterService
from emr.yarn.resourcemanager.errors import BadRequest
from emr.yarn.resourcemanager.records import AppRecord, AttemptRecord, NodeRecord, Usage
from emr.yarn.resourcemanager.settings import ResourceManagerSettings
from emr.yarn.resourcemanager.submission import Submission
from emr.yarn.resources import Resource
from emr.yarn.scheduler import (
    AppAccepted,
    AppForgotten,
    AppKillRequested,
    AppRejected,
    AppState,
    AppStateChanged,
    AppSubmitted,
    AttemptAdded,
    AttemptFailed,
    CapacityScheduler,
    ContainerAllocated,
    ContainerCompleted,
    ContainerFinished,
    ContainerKill,
    FinalStatus,
    NodeAdded,
    NodeHeartbeat,
    NodeLost,
    NodeResync,
    NodeState,
    SchedulerEvent,
)

__all__ = ["AmLaunch", "AppFinishedNotice", "ResourceManager", "now_ms"]

log = logging.getLogger("emr.yarn.resourcemanager")

_ATTEMPT_END = {
    AppState.FINISHED: "FINISHED",
    AppState.FAILED: "FAILED",
    AppState.KILLED: "KILLED",
}


def now_ms() -> int:
    return int(time.time() * 1000)


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class AmLaunch:
    """Start an attempt's AM: POST `request` to the NodeManager at `node_http_address`."""

    attempt_id: ApplicationAttemptId
    node_http_address: str
    request: p.StartRequest


@dataclass(frozen=True)
class AppFinishedNotice:
    """Tell the NodeManager at `node_http_address` that the application is over
    (`POST /_yarn/v1/containers/app-finished`): it cleans up and aggregates its logs."""

    application_id: ApplicationId
    node_http_address: str


class ResourceManager:
    """Nodes, applications and the scheduler; the HTTP layers call its methods."""

    def __init__(self, settings: ResourceManagerSettings, rm_address: str = "") -> None:
        self.settings = settings
        self.cluster_timestamp = now_ms()
        self.started_ms = self.cluster_timestamp
        #: `http://host:port` AMs reach this RM at (EMR_RM_ADDRESS).
        self.rm_address = (
            rm_address or f"http://{settings.advertised_host}:{RESOURCEMANAGER_WEBAPP_PORT}"
        )
        self.scheduler = CapacityScheduler(settings.scheduler)
        self.apps: dict[ApplicationId, AppRecord] = {}
        self.nodes: dict[NodeId, NodeRecord] = {}
        self._sequence = 0
        #: What each attempt's next allocate call answers (gathered since its last call).
        self.allocated_for_am: dict[ApplicationAttemptId, list[p.ContainerModel]] = defaultdict(
            list
        )
        self.completed_for_am: dict[ApplicationAttemptId, list[p.ContainerStatus]] = defaultdict(
            list
        )
        #: Applications holding containers (for memory-seconds), and ended ones, oldest first.
        self._using: set[ApplicationId] = set()
        self._ended: deque[ApplicationId] = deque()
        self.launches: list[AmLaunch] = []
        #: Set by the daemon; by default launches queue up in `launches` (tests read them).
        self.launch_am: Callable[[AmLaunch], None] = self.launches.append
        self.notices: list[AppFinishedNotice] = []
        #: Set by the daemon, like `launch_am`.
        self.notify_app_finished: Callable[[AppFinishedNotice], None] = self.notices.append
        self.ams = ApplicationMasterService(self)

    # --- the scheduler ----------------------------------------------------------------------

    def feed(self, event: SchedulerEvent) -> list[Action]:
        """Hand one event to the scheduler and carry out what it decides."""
        actions = self.scheduler.handle(event)
        for action in actions:
            self._apply(action)
        self._sweep_usage()
        self._forget_old_applications()
        return actions

    def _apply(self, action: Action) -> None:
        if isinstance(action, Ignored):
            log.debug("%s ignored: %s in %s", action.cause, action.event, action.state)
            return
        log.info("%s: %s", action.cause, action)
        handler = _ACTION_HANDLERS.get(type(action))
        if handler is not None:  # reservations need nothing beyond the log line
            handler(self, action)

    def _app_accepted(self, action: AppAccepted) -> None:
        self.apps[action.application_id].queue = action.queue

    def _app_rejected(self, action: AppRejected) -> None:
        app = self.apps[action.application_id]
        self._app_ended(app, AppState.FAILED, FinalStatus.FAILED, action.message)

    def _app_state_changed(self, action: AppStateChanged) -> None:
        app = self.apps[action.application_id]
        if action.state in (AppState.FINISHED, AppState.FAILED, AppState.KILLED):
            self._app_ended(app, action.state, action.final_status, action.diagnostics)
        else:
            app.state, app.final_status = action.state, action.final_status
            app.diagnostics = action.diagnostics or app.diagnostics

    def _container_kill(self, action: ContainerKill) -> None:
        node = self.nodes.get(action.node_id)
        if node is not None:
            node.kills.append(str(action.container_id))

    def _container_completed(self, action: ContainerCompleted) -> None:
        self.completed_for_am[action.attempt_id].append(
            p.ContainerStatus(
                container_id=str(action.container_id),
                state="COMPLETE",
                exit_status=action.exit_status,
                diagnostics=action.diagnostics,
            )
        )

    def _attempt_added_action(self, action: AttemptAdded) -> None:
        self._attempt_added(action.attempt_id)

    def _attempt_added(self, attempt_id: ApplicationAttemptId) -> None:
        app = self.apps[attempt_id.application_id]
        report = self.scheduler.app_report(attempt_id.application_id)
        if report is not None and report.diagnostics:
            app.diagnostics = report.diagnostics
        at = now_ms()
        for earlier in app.attempts:
            if earlier.state not in ("FINISHED", "FAILED", "KILLED"):
                earlier.state, earlier.finished_ms = "FAILED", at
                earlier.diagnostics = app.diagnostics
                earlier.last_contact = None
            self.allocated_for_am.pop(earlier.attempt_id, None)
            self.completed_for_am.pop(earlier.attempt_id, None)
        app.attempts.append(AttemptRecord(attempt_id=attempt_id, started_ms=at))

    def _app_ended(
        self, app: AppRecord, state: AppState, final_status: FinalStatus, diagnostics: str
    ) -> None:
        app.state, app.final_status = state, final_status
        app.diagnostics = diagnostics
        app.finished_ms = now_ms()
        self._ended.append(app.submission.application_id)
        for node_id in sorted(app.nodes):
            node = self.nodes.get(node_id)
            if node is not None:
                notice = AppFinishedNotice(app.submission.application_id, node.http_address)
                self.notify_app_finished(notice)
        if state is AppState.FINISHED:
            app.progress = 1.0
        attempt = app.current
        if attempt is not None and attempt.state not in ("FINISHED", "FAILED", "KILLED"):
            attempt.state, attempt.finished_ms = _ATTEMPT_END[state], app.finished_ms
            attempt.diagnostics = diagnostics
            attempt.last_contact = None
        if attempt is not None:
            self.allocated_for_am.pop(attempt.attempt_id, None)
            self.completed_for_am.pop(attempt.attempt_id, None)

    def _container_allocated(self, action: ContainerAllocated) -> None:
        container = action.container
        app = self.apps[action.attempt_id.application_id]
        app.live[container.container_id] = Usage(container.resource, now_ms())
        self._using.add(action.attempt_id.application_id)
        app.nodes.add(container.node_id)
        node = self.nodes.get(container.node_id)
        http_address = node.http_address if node is not None else ""
        model = p.ContainerModel(
            container_id=str(container.container_id),
            node_id=str(container.node_id),
            node_http_address=http_address,
            resource=p.ResourceModel(
                memory_mb=container.resource.memory_mb, vcores=container.resource.vcores
            ),
            priority=container.priority,
            token=p.container_token(
                self.settings.token,
                str(container.container_id),
                str(container.node_id),
                container.resource.memory_mb,
                container.resource.vcores,
            ),
        )
        if not container.is_am:
            self.allocated_for_am[action.attempt_id].append(model)
            return
        attempt = app.attempt(action.attempt_id)
        if attempt is None:
            return
        attempt.container, attempt.node_http_address, attempt.state = (
            container,
            http_address,
            "ALLOCATED",
        )
        self.launch_am(self._am_launch(app, attempt, model))

    def _am_launch(
        self, app: AppRecord, attempt: AttemptRecord, model: p.ContainerModel
    ) -> AmLaunch:
        launch = app.submission.launch_context
        environment = {
            **launch.environment,
            "EMR_AMRM_TOKEN": p.amrm_token(self.settings.token, str(attempt.attempt_id)),
            "EMR_RM_ADDRESS": self.rm_address,
            "APP_SUBMIT_TIME_ENV": str(app.submitted_ms),
            "MAX_APP_ATTEMPTS": str(app.max_attempts),
        }
        request = p.StartRequest(
            container=model,
            application_id=str(app.submission.application_id),
            user=app.user,
            launch_context=launch.model_copy(update={"environment": environment}),
        )
        return AmLaunch(attempt.attempt_id, model.node_http_address, request)

    def _sweep_usage(self) -> None:
        """Containers the scheduler no longer holds stop counting towards memory-seconds."""
        at = now_ms()
        for application_id in list(self._using):
            app = self.apps.get(application_id)
            if app is None:
                self._using.discard(application_id)
                continue
            for container_id in [c for c in app.live if self.scheduler.container(c) is None]:
                app.container_ended(container_id, at)
            if not app.live:
                self._using.discard(application_id)

    def _forget_old_applications(self) -> None:
        """Keep yarn.resourcemanager.max-completed-applications ended applications."""
        while len(self._ended) > self.settings.max_completed_applications:
            application_id = self._ended.popleft()
            self.apps.pop(application_id, None)
            self.scheduler.handle(AppForgotten(at=_now(), application_id=application_id))

    # --- AM launches (reported back by the daemon) -----------------------------------------

    def am_launched(self, attempt_id: ApplicationAttemptId) -> None:
        attempt = self._live_attempt(attempt_id)
        if attempt is None:
            return
        if attempt.state == "ALLOCATED":
            attempt.state = "LAUNCHED"
        if attempt.last_contact is None:
            attempt.last_contact = time.monotonic()
        app = self.apps[attempt_id.application_id]
        app.launched_ms = app.launched_ms or now_ms()

    def am_launch_failed(self, attempt_id: ApplicationAttemptId, diagnostics: str) -> None:
        if self._live_attempt(attempt_id) is None:
            return
        self.feed(
            AttemptFailed(
                at=_now(),
                attempt_id=attempt_id,
                diagnostics=f"Error launching {attempt_id}. Got exception: {diagnostics}",
            )
        )

    def _live_attempt(self, attempt_id: ApplicationAttemptId) -> AttemptRecord | None:
        app = self.apps.get(attempt_id.application_id)
        if app is None or app.ended or app.current is None:
            return None
        return app.current if app.current.attempt_id == attempt_id else None

    # --- NodeManagers ------------------------------------------------------------------------

    def register_node(self, request: p.NodeRegistration) -> p.RegistrationAnswer:
        node_id = _node_id(request.node_id)
        at = now_ms()
        self.nodes[node_id] = NodeRecord(
            node_id=node_id,
            http_address=request.http_address,
            registered_ms=at,
            last_heartbeat_ms=at,
            last_contact=time.monotonic(),
        )
        self.feed(
            NodeAdded(
                at=_now(),
                node_id=node_id,
                resource=Resource(request.resource.memory_mb, request.resource.vcores),
                label=request.label,
            )
        )
        self._kill_forgotten(self.nodes[node_id], request.containers)
        log.info("node %s registered (%s, label %r)", node_id, request.resource, request.label)
        return p.RegistrationAnswer(cluster_timestamp=self.cluster_timestamp)

    def node_heartbeat(self, request: p.NodeHeartbeat) -> p.HeartbeatAnswer:
        node_id = _node_id(request.node_id)
        node = self.nodes.get(node_id)
        if node is None or self.scheduler.node_state(node_id) is not NodeState.RUNNING:
            return p.HeartbeatAnswer(resync=True)
        node.last_contact = time.monotonic()
        node.last_heartbeat_ms = now_ms()
        node.used_memory_mb = request.used_memory_mb
        for status in request.containers:
            if status.state != "COMPLETE":
                continue
            try:
                container_id = ContainerId.parse(status.container_id)
            except InvalidId:
                continue
            self.feed(
                ContainerFinished(
                    at=_now(),
                    container_id=container_id,
                    exit_status=status.exit_status,
                    diagnostics=status.diagnostics,
                )
            )
        self._kill_forgotten(node, request.containers)
        actions = self.feed(NodeHeartbeat(at=_now(), node_id=node_id))
        if any(isinstance(a, NodeResync) for a in actions):
            return p.HeartbeatAnswer(resync=True)
        kills, node.kills = list(dict.fromkeys(node.kills)), []
        return p.HeartbeatAnswer(kill=kills)

    def _kill_forgotten(self, node: NodeRecord, statuses: list[p.ContainerStatus]) -> None:
        """A running container the scheduler does not hold (its application ended, or the RM
        restarted) is killed, as Hadoop's RM answers with containers to clean up."""
        for status in statuses:
            if status.state != "RUNNING":
                continue
            try:
                known = self.scheduler.container(ContainerId.parse(status.container_id))
            except InvalidId:
                known = None
            if known is None:
                node.kills.append(status.container_id)

    def running_nodes(self) -> int:
        return sum(1 for n in self.nodes if self.scheduler.node_state(n) is NodeState.RUNNING)

    # --- clients ----------------------------------------------------------------------------

    def new_application(self) -> ApplicationId:
        self._sequence += 1
        return ApplicationId(self.cluster_timestamp, self._sequence)

    def submit(self, submission: Submission, user: str) -> AppRecord:
        application_id = submission.application_id
        if application_id in self.apps:
            raise BadRequest(
                f"Application with id {application_id} is already present! Cannot add a duplicate!"
            )
        if (
            application_id.cluster_timestamp != self.cluster_timestamp
            or not 0 < application_id.id <= self._sequence
        ):
            raise BadRequest(
                f"Application {application_id} was not handed out by this ResourceManager "
                "(ask POST /ws/v1/cluster/apps/new-application first)"
            )
        cluster_max = self.settings.max_attempts
        wanted = submission.max_app_attempts
        max_attempts = wanted if 0 < wanted <= cluster_max else cluster_max
        app = AppRecord(
            submission=submission,
            user=user,
            submitted_ms=now_ms(),
            max_attempts=max_attempts,
            queue=submission.queue,
        )
        self.apps[application_id] = app
        self.feed(
            AppSubmitted(
                at=_now(),
                application_id=application_id,
                queue=submission.queue,
                user=user,
                am_resource=submission.am_resource,
                max_attempts=max_attempts,
                am_label_expression=submission.am_label_expression,
                priority=submission.priority,
                name=submission.name,
            )
        )
        log.info("%s submitted by %s to %s", application_id, user, submission.queue)
        return app

    def kill(self, application_id: ApplicationId, user: str, client: str) -> AppRecord:
        app = self.apps[application_id]
        if not app.ended:
            self.feed(
                AppKillRequested(
                    at=_now(),
                    application_id=application_id,
                    diagnostics=f"Application {application_id} was killed by user {user} at "
                    f"{client}",
                )
            )
        return app

    # --- the timer --------------------------------------------------------------------------

    def tick(self) -> None:
        """Lost NodeManagers, then ApplicationMasters that went silent."""
        now = time.monotonic()
        for node in list(self.nodes.values()):
            running = self.scheduler.node_state(node.node_id) is NodeState.RUNNING
            if running and now - node.last_contact > self.settings.nm_expiry_seconds:
                log.warning(
                    "node %s lost: no heartbeat for %.0f s", node.node_id, now - node.last_contact
                )
                self.feed(NodeLost(at=_now(), node_id=node.node_id))
        for app in list(self.apps.values()):
            attempt = app.current
            if app.ended or attempt is None or attempt.last_contact is None:
                continue
            if now - attempt.last_contact > self.settings.am_expiry_seconds:
                attempt.last_contact = None
                self.feed(
                    AttemptFailed(
                        at=_now(),
                        attempt_id=attempt.attempt_id,
                        diagnostics=f"ApplicationMaster for attempt {attempt.attempt_id} timed out",
                    )
                )


#: What the daemon does for each decision of the scheduler (InvalidAsk and NodeResync are
#: answered by the calls that caused them; reservations are only logged).
_ACTION_HANDLERS: dict[type[Action], Callable[[ResourceManager, Any], None]] = {
    AppAccepted: ResourceManager._app_accepted,
    AppRejected: ResourceManager._app_rejected,
    AttemptAdded: ResourceManager._attempt_added_action,
    AppStateChanged: ResourceManager._app_state_changed,
    ContainerAllocated: ResourceManager._container_allocated,
    ContainerKill: ResourceManager._container_kill,
    ContainerCompleted: ResourceManager._container_completed,
}


def _node_id(text: str) -> NodeId:
    try:
        return NodeId.parse(text)
    except InvalidId as exc:
        raise BadRequest(str(exc)) from exc
