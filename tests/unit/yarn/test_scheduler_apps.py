"""Application and node lifecycles in the capacity scheduler: admission and rejection, AM
placement on CORE nodes, labels, AM restarts, release, kill, node loss, metrics."""

from __future__ import annotations

import pytest

from emr.services.emr._machine import Ignored
from emr.yarn.ids import ApplicationAttemptId, ApplicationId, ContainerId
from emr.yarn.resources import Resource
from emr.yarn.scheduler import (
    AppAccepted,
    AppForgotten,
    AppKillRequested,
    AppRejected,
    AppState,
    AppStateChanged,
    AttemptAdded,
    AttemptFailed,
    AttemptRegistered,
    AttemptUnregistered,
    ContainerCompleted,
    ContainerExitStatus,
    ContainerFinished,
    ContainerKill,
    FinalStatus,
    InvalidAsk,
    NodeLost,
    NodeRemoved,
    NodeResync,
    NodeState,
)

from .helpers import CLUSTER_TS, Cluster, allocations, host, only, two_queues

P = "yarn.scheduler.capacity."


def emr_cluster() -> Cluster:
    """1 core node (CORE, non-exclusive) + 1 task node (unlabelled), AMs on CORE (EMR 5.x)."""
    cluster = Cluster(am_label="CORE")
    cluster.add_node(2, label="CORE")
    cluster.add_node(3)
    return cluster


def test_submission_is_accepted_and_the_am_lands_on_a_core_node() -> None:
    cluster = emr_cluster()
    app_id, actions = cluster.submit()
    assert only(actions, AppAccepted)[0].queue == "root.default"
    assert [a.state for a in only(actions, AppStateChanged)] == [AppState.ACCEPTED]
    attempt = only(actions, AttemptAdded)[0].attempt_id
    assert str(attempt) == f"appattempt_{CLUSTER_TS}_0001_000001"
    assert allocations(cluster.heartbeat(host(3))) == []  # task node: no AM
    [am] = allocations(cluster.heartbeat(host(2)))
    assert am.is_am and am.attempt_id == attempt
    assert str(am.container.container_id) == f"container_{CLUSTER_TS}_0001_01_000001"
    assert am.container.node_id == host(2)
    report = cluster.rm.app_report(app_id)
    assert report is not None and report.am_container == am.container
    changed = cluster.rm.handle(AttemptRegistered(at=cluster.at(), attempt_id=attempt))
    assert only(changed, AppStateChanged)[0].state is AppState.RUNNING


def test_unlabelled_containers_use_core_and_task_nodes() -> None:
    cluster = emr_cluster()
    attempt = cluster.start(am_mb=1024)
    cluster.ask(attempt, 1024, 8)
    placed = allocations(cluster.heartbeat_all())
    assert {a.container.node_id for a in placed} == {host(2), host(3)}
    assert len(placed) == 7  # 4096 x 2 - the AM's 1024


def test_an_exclusive_label_takes_only_its_own_requests() -> None:
    cluster = Cluster(am_label="CORE", exclusive_labels=frozenset({"CORE"}))
    cluster.add_node(2, label="CORE")
    cluster.add_node(3)
    attempt = cluster.start(am_mb=1024)
    cluster.ask(attempt, 1024, 8)
    placed = allocations(cluster.heartbeat_all())
    assert {a.container.node_id for a in placed} == {host(3)}
    cluster.ask(attempt, 1024, 1, priority=2, label="CORE")
    [core] = allocations(cluster.heartbeat(host(2)))
    assert core.container.priority == 2


def test_a_label_expression_runs_only_on_that_label() -> None:
    cluster = emr_cluster()
    attempt = cluster.start()
    cluster.ask(attempt, 512, 1, label="CORE")
    assert allocations(cluster.heartbeat(host(3))) == []
    [placed] = allocations(cluster.heartbeat(host(2)))
    assert placed.container.node_id == host(2)


@pytest.mark.parametrize(
    ("queue", "am_mb", "message"),
    [
        (
            "nope",
            1024,
            f"Application application_{CLUSTER_TS}_0001 submitted by user alice to unknown "
            "queue: nope",
        ),
        (
            "root",
            1024,
            f"Application application_{CLUSTER_TS}_0001 submitted by user alice to non-leaf "
            "queue: root",
        ),
        (
            "b",
            1024,
            f"Queue root.b is STOPPED. Cannot accept submission of application: "
            f"application_{CLUSTER_TS}_0001",
        ),
        (
            "a",
            5000,
            "Invalid resource request! Cannot allocate containers as requested resource is "
            "greater than maximum allowed allocation. Requested resource type=[memory-mb], "
            "Requested resource=<memory:5000, vCores:1>, maximum allowed "
            "allocation=<memory:4096, vCores:4>, please note that maximum allowed allocation "
            "is calculated by scheduler based on maximum resource of registered NodeManagers, "
            "which might be less than configured maximum allocation=<memory:8192, vCores:4>",
        ),
    ],
)
def test_rejections_use_hadoops_messages(queue: str, am_mb: int, message: str) -> None:
    cluster = Cluster(two_queues(extra={P + "root.b.state": "STOPPED"}))
    cluster.add_node(2)
    app_id, actions = cluster.submit(queue=queue, am_mb=am_mb)
    assert actions == [AppRejected(cause=actions[0].cause, application_id=app_id, message=message)]
    assert cluster.rm.app_report(app_id) is None
    assert cluster.rm.cluster_metrics().apps_submitted == 0


def test_a_full_queue_rejects_with_its_application_count() -> None:
    cluster = Cluster(two_queues(extra={P + "root.a.maximum-applications": "1"}))
    cluster.submit(queue="a")
    app_id, actions = cluster.submit(queue="a")
    assert only(actions, AppRejected)[0].message == (
        f"Queue root.a already has 1 applications, cannot accept submission of application: "
        f"{app_id}"
    )


def test_finishing_kills_what_is_left_and_counts_completed() -> None:
    cluster = Cluster()
    cluster.add_node(2)
    attempt = cluster.start()
    cluster.ask(attempt, 1024, 2)
    workers = allocations(cluster.heartbeat_all())
    assert len(workers) == 2
    actions = cluster.rm.handle(
        AttemptUnregistered(at=cluster.at(), attempt_id=attempt, final_status=FinalStatus.SUCCEEDED)
    )
    killed = {k.container_id for k in only(actions, ContainerKill)}
    assert killed == {w.container.container_id for w in workers} | {ContainerId.of(attempt, 1)}
    [changed] = only(actions, AppStateChanged)
    assert (changed.state, changed.final_status) == (AppState.FINISHED, FinalStatus.SUCCEEDED)
    metrics = cluster.rm.cluster_metrics()
    assert (metrics.apps_completed, metrics.apps_running, metrics.allocated_mb) == (1, 0, 0)
    late = cluster.rm.handle(
        ContainerFinished(at=cluster.at(), container_id=ContainerId.of(attempt, 1), exit_status=0)
    )
    assert only(late, Ignored)
    # Forgotten (max-completed-applications): gone from the reports, still counted.
    application_id = attempt.application_id
    assert cluster.rm.handle(AppForgotten(at=cluster.at(), application_id=application_id)) == []
    assert application_id not in {a.application_id for a in cluster.rm.app_reports()}
    assert cluster.rm.cluster_metrics().apps_completed == 1
    assert only(
        cluster.rm.handle(AppForgotten(at=cluster.at(), application_id=application_id)), Ignored
    )


def test_am_failure_starts_a_new_attempt_until_max_attempts() -> None:
    cluster = Cluster()
    cluster.add_node(2)
    first = cluster.start()
    cluster.ask(first, 1024, 1)
    [worker] = allocations(cluster.heartbeat_all())
    actions = cluster.rm.handle(
        ContainerFinished(at=cluster.at(), container_id=ContainerId.of(first, 1), exit_status=1)
    )
    assert [k.container_id for k in only(actions, ContainerKill)] == [worker.container.container_id]
    [added] = only(actions, AttemptAdded)
    second = added.attempt_id
    assert second == ApplicationAttemptId(first.application_id, 2)
    assert only(actions, AppStateChanged)[0].state is AppState.ACCEPTED
    [am] = allocations(cluster.heartbeat_all())
    assert str(am.container.container_id) == f"container_{CLUSTER_TS}_0001_02_000001"
    stale = cluster.ask(first, 1024, 1)
    assert only(stale, Ignored)
    actions = cluster.rm.handle(
        ContainerFinished(at=cluster.at(), container_id=am.container.container_id, exit_status=1)
    )
    [failed] = only(actions, AppStateChanged)
    assert (failed.state, failed.final_status) == (AppState.FAILED, FinalStatus.FAILED)
    assert failed.diagnostics.startswith(
        f"Application {first.application_id} failed 2 times due to AM Container for {second} "
        "exited with  exitCode: 1"
    )
    assert cluster.rm.cluster_metrics().apps_failed == 1


def test_an_am_lost_with_its_node_does_not_use_up_an_attempt() -> None:
    cluster = Cluster()
    cluster.add_node(2)
    cluster.add_node(3)
    app_id, _ = cluster.submit(max_attempts=1)
    [am] = allocations(cluster.heartbeat_all())
    actions = cluster.rm.handle(NodeLost(at=cluster.at(), node_id=am.container.node_id))
    assert only(actions, AttemptAdded)
    report = cluster.rm.app_report(app_id)
    assert report is not None and report.state is AppState.ACCEPTED and report.attempts == 2
    failed = cluster.rm.handle(
        AttemptFailed(at=cluster.at(), attempt_id=only(actions, AttemptAdded)[0].attempt_id)
    )
    assert only(failed, AppStateChanged)[0].state is AppState.FAILED


def test_a_lost_node_aborts_its_containers_and_is_told_to_resync() -> None:
    cluster = Cluster()
    cluster.add_node(2, memory_mb=2048)
    cluster.add_node(3, memory_mb=4096)
    attempt = cluster.start()  # the AM lands on host 2 (first heartbeat)
    cluster.ask(attempt, 1024, 3)
    placed = allocations(cluster.heartbeat_all())
    on_3 = {a.container.container_id for a in placed if a.container.node_id == host(3)}
    assert len(on_3) == 2
    actions = cluster.rm.handle(NodeLost(at=cluster.at(), node_id=host(3)))
    completed = only(actions, ContainerCompleted)
    assert {c.container_id for c in completed} == on_3
    assert {(c.exit_status, c.diagnostics) for c in completed} == {
        (ContainerExitStatus.ABORTED, "Container released on a *lost* node")
    }
    metrics = cluster.rm.cluster_metrics()
    assert (metrics.active_nodes, metrics.lost_nodes, metrics.total_mb) == (1, 1, 2048)
    assert cluster.rm.node_state(host(3)) is NodeState.LOST
    assert only(cluster.heartbeat(host(3)), NodeResync)
    removed = cluster.rm.handle(NodeRemoved(at=cluster.at(), node_id=host(2)))
    assert only(removed, AttemptAdded)  # the AM went with it
    assert cluster.rm.cluster_metrics().decommissioned_nodes == 1


def test_release_frees_the_container_and_reports_it() -> None:
    cluster = Cluster()
    cluster.add_node(2, memory_mb=3072)
    attempt = cluster.start()
    cluster.ask(attempt, 1024, 2)
    placed = allocations(cluster.heartbeat_all())
    assert cluster.rm.cluster_metrics().available_mb == 0
    released = placed[0].container.container_id
    actions = cluster.ask(attempt, 1024, 0, releases=[released])
    assert only(actions, ContainerKill)[0].container_id == released
    [completed] = only(actions, ContainerCompleted)
    assert (completed.exit_status, completed.diagnostics) == (
        ContainerExitStatus.ABORTED,
        "Container released by application",
    )
    assert cluster.rm.cluster_metrics().available_mb == 1024
    assert cluster.rm.container(released) is None


def test_kill_ends_running_and_waiting_applications() -> None:
    cluster = Cluster(two_queues(extra={P + "maximum-am-resource-percent": "0.1"}))
    cluster.add_node(2)
    running = cluster.start(queue="a")
    waiting, _ = cluster.submit(queue="a")  # over the AM limit: not activated
    assert cluster.rm.cluster_metrics().apps_pending == 1
    for app_id in (running.application_id, waiting):
        actions = cluster.rm.handle(AppKillRequested(at=cluster.at(), application_id=app_id))
        [changed] = only(actions, AppStateChanged)
        assert (changed.state, changed.final_status) == (AppState.KILLED, FinalStatus.KILLED)
    metrics = cluster.rm.cluster_metrics()
    assert (metrics.apps_killed, metrics.apps_pending, metrics.apps_running) == (2, 0, 0)
    assert metrics.allocated_mb == 0
    again = cluster.rm.handle(AppKillRequested(at=cluster.at(), application_id=waiting))
    assert only(again, Ignored)[0].state == "KILLED"


def test_invalid_asks_are_refused_whole() -> None:
    props = two_queues(extra={P + "root.a.accessible-node-labels": "TASK"})
    cluster = Cluster(props)
    cluster.add_node(2)
    attempt = cluster.start(queue="a")
    [too_big] = only(cluster.ask(attempt, 9000, 1), InvalidAsk)
    assert "Requested resource=<memory:9000, vCores:1>" in too_big.message
    [label] = only(cluster.ask(attempt, 512, 1, label="CORE"), InvalidAsk)
    assert label.message == (
        "Invalid resource request, queue=root.a doesn't have permission to access all labels "
        "in resource request. labelExpression of resource request=CORE. Queue labels=TASK"
    )
    assert cluster.rm.app_report(attempt.application_id).pending_containers == 0  # type: ignore[union-attr]


def test_events_without_a_transition_are_ignored() -> None:
    cluster = Cluster()
    unknown = ApplicationId(CLUSTER_TS, 99)
    [ignored] = cluster.rm.handle(AppKillRequested(at=cluster.at(), application_id=unknown))
    assert isinstance(ignored, Ignored) and ignored.state == "NEW"
    [lost] = cluster.rm.handle(NodeLost(at=cluster.at(), node_id=host(9)))
    assert isinstance(lost, Ignored)


def test_requests_are_normalised_to_the_minimum_allocation() -> None:
    cluster = Cluster()
    cluster.add_node(2)
    attempt = cluster.start(am_mb=1000)
    report = cluster.rm.app_report(attempt.application_id)
    assert report is not None and report.allocated == Resource(1024, 1)  # 1000 → 32 x 32
    cluster.ask(attempt, 100, 1)
    [placed] = allocations(cluster.heartbeat_all())
    assert placed.container.resource == Resource(128, 1)


def test_the_am_may_ask_at_priority_zero_once_it_runs() -> None:
    """Spark asks for executors at priority 0, the AM container's own priority."""
    cluster = Cluster()
    cluster.add_node(2)
    attempt = cluster.start()
    cluster.ask(attempt, 1024, 2, priority=0)
    placed = allocations(cluster.heartbeat_all())
    assert [(p.container.priority, p.is_am) for p in placed] == [(0, False), (0, False)]


def test_reports_for_the_rest_api() -> None:
    cluster = emr_cluster()
    attempt = cluster.start(user="alice", am_mb=1024)
    cluster.ask(attempt, 1024, 2)
    cluster.heartbeat(host(3))
    cluster.ask(attempt, 1024, 5)
    metrics = cluster.rm.cluster_metrics()
    assert (metrics.total_mb, metrics.allocated_mb, metrics.available_mb) == (8192, 3072, 5120)
    assert (metrics.containers_allocated, metrics.containers_pending) == (3, 5)
    assert (metrics.apps_submitted, metrics.apps_running, metrics.total_nodes) == (1, 1, 2)
    assert [q.queue_path for q in cluster.rm.queue_reports()] == ["root", "root.default"]
    root = cluster.rm.queue_report("root")
    assert (root.resources_used, root.num_applications) == (Resource(3072, 3), 1)
    default = cluster.rm.queue_report("root.default")
    assert default.pending_resource == Resource(5120, 5)
    assert [(u.username, u.resources_used.memory_mb) for u in default.users] == [("alice", 3072)]
    report = cluster.rm.app_report(attempt.application_id)
    assert report is not None
    assert (report.state, report.running_containers, report.pending_containers) == (
        AppState.RUNNING,
        3,
        5,
    )
    nodes = {n.node_id: n for n in cluster.rm.node_reports()}
    assert (nodes[host(2)].label, nodes[host(2)].used) == ("CORE", Resource(1024, 1))
    assert (nodes[host(3)].num_containers, nodes[host(3)].available) == (2, Resource(2048, 2))
    assert len(cluster.rm.live_containers(attempt.application_id)) == 3
