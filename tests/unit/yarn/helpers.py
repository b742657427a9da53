"""A scheduler driven like the ResourceManager drives it, with a clock the test controls."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from emr.services.emr._machine import Action
from emr.yarn.ids import ApplicationAttemptId, ApplicationId, ContainerId, NodeId
from emr.yarn.queues import CapacitySchedulerConfig, emr_default_properties
from emr.yarn.resources import Resource
from emr.yarn.scheduler import (
    ANY,
    Allocate,
    AppSubmitted,
    AttemptAdded,
    AttemptRegistered,
    CapacityScheduler,
    ContainerAllocated,
    NodeAdded,
    NodeHeartbeat,
    ResourceRequest,
    SchedulerSettings,
)

T0 = datetime(2025, 1, 1, tzinfo=UTC)
CLUSTER_TS = 1700000000000
_A = TypeVar("_A", bound=Action)


def only(actions: Sequence[Action], kind: type[_A]) -> list[_A]:
    return [a for a in actions if isinstance(a, kind)]


def host(n: int) -> NodeId:
    return NodeId(f"127.16.0.{n}", 8041)


def two_queues(
    a: float = 50,
    b: float = 50,
    a_max: float = 100,
    b_max: float = 100,
    extra: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """Queues root.a and root.b; AMs may take the whole cluster."""
    p = "yarn.scheduler.capacity."
    props = {
        p + "root.queues": "a,b",
        p + "root.a.capacity": str(a),
        p + "root.b.capacity": str(b),
        p + "root.a.maximum-capacity": str(a_max),
        p + "root.b.maximum-capacity": str(b_max),
        p + "maximum-am-resource-percent": "1.0",
    }
    props.update(extra or {})
    return props


class Cluster:
    """A CapacityScheduler plus the bookkeeping an RM test needs (clock, ids)."""

    def __init__(
        self,
        properties: Mapping[str, str] | None = None,
        *,
        am_label: str = "",
        exclusive_labels: frozenset[str] = frozenset(),
    ) -> None:
        props = dict(emr_default_properties() if properties is None else properties)
        config = CapacitySchedulerConfig.from_properties(props)
        self.rm = CapacityScheduler(
            SchedulerSettings(
                capacity=config, am_default_label=am_label, exclusive_labels=exclusive_labels
            )
        )
        self.seconds = 0
        self.next_app = 0

    def at(self) -> datetime:
        self.seconds += 1
        return T0 + timedelta(seconds=self.seconds)

    def add_node(self, n: int, memory_mb: int = 4096, vcores: int = 4, label: str = "") -> NodeId:
        node_id = host(n)
        self.rm.handle(
            NodeAdded(
                at=self.at(), node_id=node_id, resource=Resource(memory_mb, vcores), label=label
            )
        )
        return node_id

    def submit(
        self, queue: str = "default", user: str = "alice", am_mb: int = 1024, **kw: object
    ) -> tuple[ApplicationId, list[Action]]:
        self.next_app += 1
        app_id = ApplicationId(CLUSTER_TS, self.next_app)
        actions = self.rm.handle(
            AppSubmitted(
                at=self.at(),
                application_id=app_id,
                queue=queue,
                user=user,
                am_resource=Resource(am_mb, 1),
                **kw,  # type: ignore[arg-type]
            )
        )
        return app_id, actions

    def heartbeat(self, node_id: NodeId) -> list[Action]:
        return self.rm.handle(NodeHeartbeat(at=self.at(), node_id=node_id))

    def heartbeat_all(self, rounds: int = 1) -> list[Action]:
        actions: list[Action] = []
        for _ in range(rounds):
            for node_id in sorted(self.rm.state.nodes):
                actions += self.heartbeat(node_id)
        return actions

    def start(
        self, queue: str = "default", user: str = "alice", am_mb: int = 1024
    ) -> ApplicationAttemptId:
        """Submit, place the AM, register it: a RUNNING application's current attempt."""
        app_id, actions = self.submit(queue, user, am_mb)
        attempt = only(actions, AttemptAdded)[0].attempt_id
        placed = only(self.heartbeat_all(), ContainerAllocated)
        assert [a.attempt_id for a in placed if a.is_am] == [attempt], placed
        self.rm.handle(AttemptRegistered(at=self.at(), attempt_id=attempt))
        assert app_id == attempt.application_id
        return attempt

    def ask(
        self,
        attempt: ApplicationAttemptId,
        memory_mb: int,
        count: int,
        *,
        priority: int = 1,
        hosts: Sequence[NodeId] = (),
        relax_locality: bool = True,
        label: str = "",
        releases: Sequence[ContainerId] = (),
    ) -> list[Action]:
        capability = Resource(memory_mb, 1)
        asks = [
            ResourceRequest(
                priority=priority,
                capability=capability,
                num_containers=count,
                resource_name=ANY,
                relax_locality=relax_locality,
                node_label_expression=label,
            )
        ]
        asks += [
            ResourceRequest(
                priority=priority,
                capability=capability,
                num_containers=count,
                resource_name=h.host,
            )
            for h in hosts
        ]
        return self.rm.handle(
            Allocate(at=self.at(), attempt_id=attempt, asks=asks, releases=releases)
        )


def allocations(actions: Sequence[Action]) -> list[ContainerAllocated]:
    return only(actions, ContainerAllocated)
