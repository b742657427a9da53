"""Queue behaviour: capacity limits, elasticity, fairness between queues, FIFO inside a leaf,
user limits, and the AM share."""

from __future__ import annotations

from collections import Counter

from emr.yarn.ids import ApplicationAttemptId, ContainerId
from emr.yarn.resources import Resource
from emr.yarn.scheduler import (
    AttemptUnregistered,
    ContainerAllocated,
    ContainerFinished,
    FinalStatus,
)

from .helpers import Cluster, allocations, two_queues

P = "yarn.scheduler.capacity."
SLOT = 512


def two_node_cluster(props: dict[str, str]) -> Cluster:
    cluster = Cluster(props)
    cluster.add_node(2)  # 4096 MB each: 16 slots of 512 MB in all
    cluster.add_node(3)
    return cluster


def used_mb(cluster: Cluster, path: str) -> int:
    return cluster.rm.queue_report(path).resources_used.memory_mb


def per_app(placed: list[ContainerAllocated]) -> Counter[ApplicationAttemptId]:
    return Counter(a.attempt_id for a in placed)


def test_a_queue_stops_at_its_maximum_capacity() -> None:
    cluster = two_node_cluster(two_queues(b_max=60, extra={P + "root.b.user-limit-factor": "100"}))
    attempt = cluster.start(queue="b", am_mb=SLOT)
    cluster.ask(attempt, SLOT, 20)
    cluster.heartbeat_all(rounds=3)
    assert used_mb(cluster, "root.b") == 9 * SLOT  # 60% of 8192 = 4915: nine slots fit
    assert cluster.rm.cluster_metrics().available_mb == 8192 - 9 * SLOT
    assert allocations(cluster.heartbeat_all()) == []


def test_an_idle_cluster_lets_a_queue_grow_to_its_maximum() -> None:
    cluster = two_node_cluster(two_queues(extra={P + "root.a.user-limit-factor": "100"}))
    attempt = cluster.start(queue="a", am_mb=SLOT)
    cluster.ask(attempt, SLOT, 100)
    cluster.heartbeat_all(rounds=2)
    assert used_mb(cluster, "root.a") == 8192  # twice its 50% guarantee
    report = cluster.rm.queue_report("root.a")
    assert report.used_capacity == 200.0 and report.absolute_used_capacity == 100.0


def test_a_parents_maximum_bounds_its_children() -> None:
    props = {
        P + "root.queues": "p,q",
        P + "root.p.capacity": "50",
        P + "root.p.maximum-capacity": "50",
        P + "root.q.capacity": "50",
        P + "root.p.queues": "x",
        P + "root.p.x.capacity": "100",
        P + "root.p.x.user-limit-factor": "100",
        P + "maximum-am-resource-percent": "1",
    }
    cluster = two_node_cluster(props)
    attempt = cluster.start(queue="x", am_mb=SLOT)
    cluster.ask(attempt, SLOT, 100)
    cluster.heartbeat_all(rounds=2)
    assert used_mb(cluster, "root.p.x") == used_mb(cluster, "root.p") == 4096


def test_a_single_user_is_held_to_the_queue_capacity_by_user_limit_factor_1() -> None:
    cluster = two_node_cluster(two_queues())
    attempt = cluster.start(queue="a", am_mb=SLOT)
    cluster.ask(attempt, SLOT, 100)
    cluster.heartbeat_all(rounds=2)
    # Hadoop stops a user once its usage exceeds the limit: one container past 4096.
    assert used_mb(cluster, "root.a") == 4096 + SLOT


def test_two_busy_queues_share_the_cluster_by_their_guarantees() -> None:
    cluster = two_node_cluster(
        two_queues(
            extra={P + "root.a.user-limit-factor": "100", P + "root.b.user-limit-factor": "100"}
        )
    )
    a = cluster.start(queue="a", am_mb=SLOT)
    b = cluster.start(queue="b", am_mb=SLOT)
    cluster.ask(a, SLOT, 100)
    cluster.ask(b, SLOT, 100)
    cluster.heartbeat_all(rounds=2)
    assert used_mb(cluster, "root.a") == used_mb(cluster, "root.b") == 4096


def test_freed_resources_go_to_the_least_served_queue() -> None:
    cluster = two_node_cluster(
        two_queues(
            extra={P + "root.a.user-limit-factor": "100", P + "root.b.user-limit-factor": "100"}
        )
    )
    a = cluster.start(queue="a", am_mb=SLOT)
    cluster.ask(a, SLOT, 100)
    workers = [x.container for x in allocations(cluster.heartbeat_all(rounds=2))]
    assert used_mb(cluster, "root.a") == 8192
    b_app, _ = cluster.submit(queue="b", am_mb=SLOT)
    b_attempt = ApplicationAttemptId(b_app, 1)
    winners = []
    for index, worker in enumerate(workers[:9]):
        cluster.rm.handle(
            ContainerFinished(at=cluster.at(), container_id=worker.container_id, exit_status=0)
        )
        [placed] = allocations(cluster.heartbeat(worker.node_id))
        winners.append(placed.attempt_id)
        if index == 0:
            cluster.ask(b_attempt, SLOT, 100)  # its AM is up: it asks for workers
    # b (0% of its guarantee used) wins every freed slot until it holds its 50%; then a does.
    assert winners == [b_attempt] * 8 + [a]
    assert used_mb(cluster, "root.b") == 4096


def test_applications_in_a_leaf_are_served_first_in_first_out() -> None:
    props = {
        P + "root.queues": "default",
        P + "root.default.capacity": "100",
        P + "root.default.user-limit-factor": "100",
        P + "maximum-am-resource-percent": "1",
    }
    cluster = two_node_cluster(props)
    first = cluster.start(am_mb=SLOT)
    second = cluster.start(am_mb=SLOT)
    cluster.ask(second, SLOT, 10)
    cluster.ask(first, SLOT, 10)
    placed = allocations(cluster.heartbeat_all(rounds=2))
    assert per_app(placed) == {first: 10, second: 4}  # 16 slots - 2 AMs
    assert [p.attempt_id for p in placed[:10]] == [first] * 10


def _two_users(minimum_user_limit_percent: int) -> tuple[int, int]:
    props = {
        P + "root.queues": "default",
        P + "root.default.capacity": "100",
        P + "root.default.minimum-user-limit-percent": str(minimum_user_limit_percent),
        P + "maximum-am-resource-percent": "1",
    }
    cluster = two_node_cluster(props)
    alice, _ = cluster.submit(user="alice", am_mb=SLOT)
    bob, _ = cluster.submit(user="bob", am_mb=SLOT)
    for app in (alice, bob):
        cluster.ask(ApplicationAttemptId(app, 1), SLOT, 100)
    cluster.heartbeat_all(rounds=2)
    users = {
        u.username: u.resources_used.memory_mb
        for u in cluster.rm.queue_report("root.default").users
    }
    return users["alice"], users["bob"]


def test_minimum_user_limit_percent_shares_a_queue_between_users() -> None:
    assert _two_users(100) == (8192, 0)  # one user may take the whole queue
    # 50%: each active user is limited to half (Hadoop lets one container overshoot).
    assert _two_users(50) == (4096 + SLOT, 4096 - SLOT)


def test_maximum_am_resource_percent_holds_applications_pending() -> None:
    props = {
        P + "root.queues": "default",
        P + "root.default.capacity": "100",
        P + "root.default.maximum-am-resource-percent": "0.25",
    }
    cluster = two_node_cluster(props)
    first = cluster.start(am_mb=1024)
    cluster.start(am_mb=1024)
    third, _ = cluster.submit(am_mb=1024)
    report = cluster.rm.queue_report("root.default")
    assert report.am_resource_limit == Resource(2048, 2)  # 25% of 8192 MB, 8 vcores
    assert report.am_resource_used == Resource(2048, 2)
    assert (report.num_active_applications, report.num_pending_applications) == (2, 1)
    metrics = cluster.rm.cluster_metrics()
    assert (metrics.apps_running, metrics.apps_pending) == (2, 1)
    assert allocations(cluster.heartbeat_all()) == []  # the third AM is not scheduled
    cluster.rm.handle(
        AttemptUnregistered(at=cluster.at(), attempt_id=first, final_status=FinalStatus.SUCCEEDED)
    )
    [am] = allocations(cluster.heartbeat_all())
    assert am.is_am and am.container.container_id == ContainerId.of(
        ApplicationAttemptId(third, 1), 1
    )
    assert cluster.rm.cluster_metrics().apps_pending == 0


def test_one_application_is_always_admitted() -> None:
    props = {
        P + "root.queues": "default",
        P + "root.default.capacity": "100",
        P + "root.default.maximum-am-resource-percent": "0.01",
    }
    cluster = two_node_cluster(props)
    cluster.start(am_mb=2048)  # over 1% of 8192, but the queue has no active application
    cluster.submit(am_mb=2048)
    metrics = cluster.rm.cluster_metrics()
    assert (metrics.apps_running, metrics.apps_pending) == (1, 1)


def _vcore_bound_cluster(calculator: str) -> Cluster:
    props = {
        P + "root.queues": "default",
        P + "root.default.capacity": "100",
        P + "root.default.user-limit-factor": "100",
        P + "maximum-am-resource-percent": "1",
        P + "resource-calculator": f"org.apache.hadoop.yarn.util.resource.{calculator}",
    }
    cluster = Cluster(props)
    cluster.add_node(2, memory_mb=8192, vcores=2)
    return cluster


def test_the_default_calculator_overcommits_vcores_like_emr() -> None:
    cluster = _vcore_bound_cluster("DefaultResourceCalculator")
    attempt = cluster.start(am_mb=1024)
    cluster.ask(attempt, 1024, 4)
    assert len(allocations(cluster.heartbeat_all())) == 4
    node = cluster.rm.node_report(cluster.rm.node_reports()[0].node_id)
    assert node is not None and node.used == Resource(5120, 5)  # 5 vcores of 2


def test_the_dominant_resource_calculator_respects_vcores() -> None:
    cluster = _vcore_bound_cluster("DominantResourceCalculator")
    attempt = cluster.start(am_mb=1024)
    cluster.ask(attempt, 1024, 4)
    assert len(allocations(cluster.heartbeat_all())) == 1  # the AM holds one of 2 vcores


def test_a_request_too_big_for_the_headroom_does_not_block_smaller_ones() -> None:
    cluster = two_node_cluster(two_queues(b_max=50, extra={P + "root.b.user-limit-factor": "100"}))
    attempt = cluster.start(queue="b", am_mb=SLOT)
    cluster.ask(attempt, 4096, 1, priority=1)  # 512 + 4096 > 50% of 8192
    cluster.ask(attempt, SLOT, 1, priority=2)
    [placed] = allocations(cluster.heartbeat_all())
    assert (placed.container.priority, placed.container.resource) == (2, Resource(SLOT, 1))
