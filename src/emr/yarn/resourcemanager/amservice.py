"""The ApplicationMasters' side of the ResourceManager (Hadoop's ApplicationMasterService):
register, allocate and finish for one attempt, called by internal.py once the attempt's AMRM
token was checked. An attempt must register before it allocates (as in Hadoop); an attempt
that is no longer current is told to shut down on allocate."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from emr.yarn import protocol as p
from emr.yarn.ids import ApplicationAttemptId, ContainerId, InvalidId
from emr.yarn.resourcemanager.errors import (
    ApplicationAttemptNotFound,
    ApplicationMasterNotRegistered,
    InvalidApplicationMasterRequest,
    InvalidResourceRequest,
)
from emr.yarn.resourcemanager.records import AppRecord, AttemptRecord
from emr.yarn.resources import Resource
from emr.yarn.scheduler import (
    Allocate,
    AttemptRegistered,
    AttemptUnregistered,
    FinalStatus,
    InvalidAsk,
    ResourceRequest,
)

if TYPE_CHECKING:
    from emr.yarn.resourcemanager.core import ResourceManager

__all__ = ["ApplicationMasterService"]


def _now() -> datetime:
    return datetime.now(UTC)


def _now_ms() -> int:
    return int(time.time() * 1000)


class ApplicationMasterService:
    """register / allocate / finish of the current attempts."""

    def __init__(self, rm: ResourceManager) -> None:
        self.rm = rm

    def _call(self, attempt_id: ApplicationAttemptId) -> tuple[AppRecord, AttemptRecord]:
        app = self.rm.apps.get(attempt_id.application_id)
        attempt = None if app is None else app.attempt(attempt_id)
        if app is None or attempt is None:
            raise ApplicationAttemptNotFound(
                f"Application attempt {attempt_id} doesn't exist in ApplicationMasterService cache."
            )
        if attempt.last_contact is not None:
            attempt.last_contact = time.monotonic()
        return app, attempt

    def register(
        self, attempt_id: ApplicationAttemptId, request: p.RegisterRequest
    ) -> p.RegisterAnswer:
        app, attempt = self._call(attempt_id)
        if app.ended or app.current is not attempt:
            raise ApplicationAttemptNotFound(
                f"Application attempt {attempt_id} is not the current attempt of "
                f"{attempt_id.application_id} ({app.state.value})"
            )
        if attempt.registered:
            raise InvalidApplicationMasterRequest(
                f"Application Master is already registered : {attempt_id.application_id}"
            )
        self.rm.feed(AttemptRegistered(at=_now(), attempt_id=attempt_id))
        attempt.state = "RUNNING"
        attempt.host, attempt.rpc_port = request.host, request.rpc_port
        attempt.tracking_url = request.tracking_url
        attempt.last_contact = time.monotonic()
        app.launched_ms = app.launched_ms or _now_ms()
        maximum = self.rm.scheduler.maximum_allocation()
        return p.RegisterAnswer(
            maximum_resource=p.ResourceModel(memory_mb=maximum.memory_mb, vcores=maximum.vcores),
            queue=app.queue.rsplit(".", 1)[-1],
        )

    def allocate(
        self, attempt_id: ApplicationAttemptId, request: p.AllocateRequest
    ) -> p.AllocateAnswer:
        app, attempt = self._call(attempt_id)
        if app.ended or app.current is not attempt:
            return p.AllocateAnswer(
                available=p.ResourceModel(memory_mb=0, vcores=0),
                num_cluster_nodes=self.rm.running_nodes(),
                shutdown=True,
            )
        if not attempt.registered:
            raise ApplicationMasterNotRegistered(
                f"AM is not registered for known application attempt: {attempt_id} or RM had "
                "restarted after AM registered. AM should re-register."
            )
        app.progress = min(max(request.progress, 0.0), 1.0)
        releases = []
        for text in request.releases:
            try:
                releases.append(ContainerId.parse(text))
            except InvalidId:
                continue
        asks = [
            ResourceRequest(
                priority=ask.priority,
                capability=Resource(ask.capability.memory_mb, ask.capability.vcores),
                num_containers=ask.num_containers,
                resource_name=ask.resource_name,
                relax_locality=ask.relax_locality,
                node_label_expression=ask.node_label_expression,
            )
            for ask in request.asks
        ]
        actions = self.rm.feed(
            Allocate(at=_now(), attempt_id=attempt_id, asks=asks, releases=releases)
        )
        for action in actions:
            if isinstance(action, InvalidAsk):
                raise InvalidResourceRequest(action.message)
        headroom = self._headroom(app)
        return p.AllocateAnswer(
            allocated=self.rm.allocated_for_am.pop(attempt_id, []),
            completed=self.rm.completed_for_am.pop(attempt_id, []),
            available=p.ResourceModel(memory_mb=headroom.memory_mb, vcores=headroom.vcores),
            num_cluster_nodes=self.rm.running_nodes(),
        )

    def _headroom(self, app: AppRecord) -> Resource:
        """The queue's maximum share of the cluster minus what it uses, within what is free."""
        metrics = self.rm.scheduler.cluster_metrics()
        free = Resource(metrics.available_mb, metrics.available_virtual_cores)
        try:
            queue = self.rm.scheduler.queue_report(app.queue)
        except KeyError:
            return free.at_least_zero()
        total = Resource(metrics.total_mb, metrics.total_virtual_cores)
        ceiling = total.scaled(queue.absolute_maximum_capacity / 100) - queue.resources_used
        return ceiling.component_min(free).at_least_zero()

    def finish(self, attempt_id: ApplicationAttemptId, request: p.FinishRequest) -> None:
        app, attempt = self._call(attempt_id)
        if app.ended:
            return
        if app.current is not attempt:
            raise ApplicationAttemptNotFound(
                f"Application attempt {attempt_id} is not the current attempt"
            )
        if not attempt.registered:
            raise ApplicationMasterNotRegistered(
                f"Application Master is trying to unregister before registering for: {attempt_id}"
            )
        app.final_tracking_url = request.tracking_url or attempt.tracking_url
        self.rm.feed(
            AttemptUnregistered(
                at=_now(),
                attempt_id=attempt_id,
                final_status=FinalStatus(request.final_status),
                diagnostics=request.diagnostics,
            )
        )
