"""Placement: node locality, delay scheduling, and reservations against starvation."""

from __future__ import annotations

from emr.yarn.ids import ApplicationAttemptId
from emr.yarn.resources import Resource
from emr.yarn.scheduler import (
    Container,
    ContainerFinished,
    ContainerReserved,
    ContainerUnreserved,
    Locality,
)

from .helpers import Cluster, allocations, host, only

P = "yarn.scheduler.capacity."


def cluster_of(nodes: int, delay: int = 40, memory_mb: int = 4096) -> Cluster:
    props = {
        P + "root.queues": "default",
        P + "root.default.capacity": "100",
        P + "root.default.user-limit-factor": "100",
        P + "maximum-am-resource-percent": "1",
        P + "node-locality-delay": str(delay),
    }
    cluster = Cluster(props)
    for n in range(2, 2 + nodes):
        cluster.add_node(n, memory_mb=memory_mb)
    return cluster


def test_a_request_for_a_host_waits_for_that_host() -> None:
    cluster = cluster_of(3)
    attempt = cluster.start(am_mb=512)
    cluster.ask(attempt, 512, 1, hosts=[host(4)])
    assert allocations(cluster.heartbeat(host(2))) == []  # one missed offer
    [placed] = allocations(cluster.heartbeat(host(4)))
    assert placed.container.node_id == host(4)
    assert placed.locality is Locality.NODE_LOCAL


def test_delay_scheduling_relaxes_after_missed_offers() -> None:
    cluster = cluster_of(3)
    attempt = cluster.start(am_mb=512)
    cluster.ask(attempt, 512, 1, hosts=[host(9)])  # a host not in the cluster
    # min(3 active nodes, node-locality-delay 40) = 3 offers before going anywhere
    assert allocations(cluster.heartbeat(host(2))) == []
    assert allocations(cluster.heartbeat(host(3))) == []
    [placed] = allocations(cluster.heartbeat(host(4)))
    assert placed.locality is Locality.OFF_SWITCH


def test_node_locality_delay_minus_one_goes_anywhere_at_once() -> None:
    cluster = cluster_of(3, delay=-1)
    attempt = cluster.start(am_mb=512)
    cluster.ask(attempt, 512, 1, hosts=[host(9)])
    [placed] = allocations(cluster.heartbeat(host(2)))
    assert placed.locality is Locality.OFF_SWITCH


def test_strict_locality_never_goes_elsewhere() -> None:
    cluster = cluster_of(2)
    attempt = cluster.start(am_mb=512)
    cluster.ask(attempt, 512, 1, hosts=[host(3)], relax_locality=False)
    for _ in range(50):
        assert allocations(cluster.heartbeat(host(2))) == []
    [placed] = allocations(cluster.heartbeat(host(3)))
    assert placed.locality is Locality.NODE_LOCAL


def test_strict_locality_on_a_missing_host_stays_pending() -> None:
    cluster = cluster_of(2)
    attempt = cluster.start(am_mb=512)
    cluster.ask(attempt, 512, 1, hosts=[host(9)], relax_locality=False)
    assert allocations(cluster.heartbeat_all(rounds=50)) == []
    assert cluster.rm.cluster_metrics().containers_pending == 1


def fragmented() -> tuple[Cluster, ApplicationAttemptId, ApplicationAttemptId, list[Container]]:
    """AMs on a CORE node; two 4096 MB workers with three 1024 MB small containers each:
    2048 MB free in all, 1024 on each worker. A large app (bob) asks for 2048."""
    cluster = Cluster(
        {
            P + "root.queues": "default",
            P + "root.default.capacity": "100",
            P + "root.default.user-limit-factor": "100",
            P + "maximum-am-resource-percent": "1",
        },
        am_label="CORE",
    )
    cluster.add_node(2, memory_mb=2048, label="CORE")  # the two AMs fill it
    w1 = cluster.add_node(3, memory_mb=4096)
    w2 = cluster.add_node(4, memory_mb=4096)
    small = cluster.start(user="alice", am_mb=1024)
    large = cluster.start(user="bob", am_mb=1024)
    smalls = []
    for worker in (w1, w2):
        cluster.ask(small, 1024, 3)
        smalls += [a.container for a in allocations(cluster.heartbeat(worker))]
    assert len(smalls) == 6
    cluster.ask(large, 2048, 1)
    return cluster, small, large, smalls


def test_a_reservation_keeps_a_large_request_from_starving() -> None:
    """Small containers keep being asked for; without a reservation every 1024 MB that frees
    up would go to them and the 2048 MB request would never find room."""
    cluster, small, large, smalls = fragmented()
    w1, w2 = host(3), host(4)
    [reserved] = only(cluster.heartbeat(w1), ContainerReserved)
    assert (reserved.attempt_id, reserved.node_id, reserved.resource) == (
        large,
        w1,
        Resource(2048, 1),
    )
    metrics = cluster.rm.cluster_metrics()
    assert (metrics.reserved_mb, metrics.containers_reserved) == (2048, 1)
    cluster.ask(small, 1024, 10)  # the small app (first in FIFO) wants more and more
    assert allocations(cluster.heartbeat(w1)) == []  # 1024 free there, held for the large one
    # The reservation counts against the queue (as in Hadoop): no headroom left for w2 either.
    assert allocations(cluster.heartbeat(w2)) == []
    assert cluster.rm.queue_report("root.default").resources_reserved == Resource(2048, 1)
    cluster.rm.handle(
        ContainerFinished(at=cluster.at(), container_id=smalls[0].container_id, exit_status=0)
    )
    actions = cluster.heartbeat(w1)
    assert only(actions, ContainerUnreserved)[0].attempt_id == large
    [placed] = allocations(actions)
    assert placed.attempt_id == large and placed.container.resource == Resource(2048, 1)
    assert cluster.rm.cluster_metrics().reserved_mb == 0


def test_a_withdrawn_request_drops_its_reservation() -> None:
    cluster, small, large, _ = fragmented()
    w1 = host(3)
    assert only(cluster.heartbeat(w1), ContainerReserved)
    cluster.ask(large, 2048, 0)
    cluster.ask(small, 1024, 1)
    actions = cluster.heartbeat(w1)
    assert only(actions, ContainerUnreserved)[0].attempt_id == large
    assert [a.attempt_id for a in allocations(actions)] == [small]
    assert cluster.rm.node_report(w1).reserved == Resource.NONE  # type: ignore[union-attr]


def test_no_reservation_beyond_the_queues_headroom() -> None:
    """Hadoop reserves only what the queue could still take: 3072 > the 2048 MB left."""
    cluster, _, large, _ = fragmented()
    cluster.ask(large, 3072, 1)
    assert only(cluster.heartbeat_all(), ContainerReserved) == []


def test_a_request_larger_than_the_node_never_reserves_it() -> None:
    cluster = cluster_of(2, memory_mb=2048)
    cluster.add_node(9, memory_mb=8192)
    attempt = cluster.start(am_mb=1024)
    cluster.ask(attempt, 6144, 1)
    actions = cluster.heartbeat(host(2)) + cluster.heartbeat(host(3))
    assert only(actions, ContainerReserved) == [] and allocations(actions) == []
    [placed] = allocations(cluster.heartbeat(host(9)))
    assert placed.container.resource == Resource(6144, 1)
