"""The ResourceManager without sockets: the calls NodeManagers, AMs and clients make, and
what it answers and asks the daemon to do."""

from __future__ import annotations

import time
from dataclasses import replace

import pytest

from emr.yarn import protocol as p
from emr.yarn.ids import ApplicationAttemptId
from emr.yarn.resourcemanager import ResourceManager, ResourceManagerSettings
from emr.yarn.resourcemanager.core import AppFinishedNotice
from emr.yarn.resourcemanager.errors import (
    ApplicationAttemptNotFound,
    ApplicationMasterNotRegistered,
    BadRequest,
    InvalidApplicationMasterRequest,
    InvalidResourceRequest,
)
from emr.yarn.resourcemanager.submission import parse_submission
from emr.yarn.scheduler import AppState, FinalStatus, NodeState

TOKEN = "cluster-token"
CORE = "127.16.0.2:8041"


@pytest.fixture
def rm() -> ResourceManager:
    settings = ResourceManagerSettings(token=TOKEN, advertised_host="127.16.0.1")
    manager = ResourceManager(settings, rm_address="http://127.16.0.1:8088")
    manager.register_node(
        p.NodeRegistration(
            node_id=CORE,
            http_address="127.16.0.2:8042",
            resource=p.ResourceModel(memory_mb=2048, vcores=2),
            label="CORE",
        )
    )
    return manager


def heartbeat(rm: ResourceManager, *statuses: p.ContainerStatus) -> p.HeartbeatAnswer:
    return rm.node_heartbeat(p.NodeHeartbeat(node_id=CORE, containers=list(statuses)))


def submit(rm: ResourceManager, **extra: object) -> ApplicationAttemptId:
    app_id = rm.new_application()
    body = {
        "application-id": str(app_id),
        "application-name": "unit",
        "am-container-spec": {
            "commands": {"command": "python am.py"},
            "environment": {"entry": [{"key": "A", "value": "1"}]},
        },
        "resource": {"memory": 256, "vCores": 1},
        **extra,
    }
    rm.submit(parse_submission(body), "alice")
    heartbeat(rm)
    return ApplicationAttemptId(app_id, 1)


def test_an_application_from_submission_to_finish(rm: ResourceManager) -> None:
    attempt = submit(rm)
    app = rm.apps[attempt.application_id]
    assert app.state is AppState.ACCEPTED and app.queue == "root.default"
    [launch] = rm.launches
    assert launch.node_http_address == "127.16.0.2:8042"
    env = launch.request.launch_context.environment
    assert env["A"] == "1" and env["EMR_RM_ADDRESS"] == "http://127.16.0.1:8088"
    assert env["EMR_AMRM_TOKEN"] == p.amrm_token(TOKEN, str(attempt))
    assert env["APP_SUBMIT_TIME_ENV"] == str(app.submitted_ms)
    assert launch.request.user == "alice"
    assert launch.request.container.container_id.endswith("_01_000001")
    rm.am_launched(attempt)
    answer = rm.ams.register(attempt, p.RegisterRequest(host="h", rpc_port=7, tracking_url="u"))
    assert answer.queue == "default" and answer.maximum_resource.memory_mb == 2048
    assert app.state is AppState.RUNNING
    ask = p.ResourceRequestModel(
        priority=1, capability=p.ResourceModel(memory_mb=128, vcores=1), num_containers=2
    )
    first = rm.ams.allocate(attempt, p.AllocateRequest(asks=[ask], progress=0.1))
    assert first.allocated == [] and first.num_cluster_nodes == 1
    heartbeat(rm)
    second = rm.ams.allocate(attempt, p.AllocateRequest(progress=0.5))
    assert len(second.allocated) == 2
    container = second.allocated[0]
    assert container.token == p.container_token(
        TOKEN, container.container_id, CORE, container.resource.memory_mb, 1
    )
    assert second.available.memory_mb == 2048 - 256 - 2 * 128
    done = p.ContainerStatus(container_id=container.container_id, state="COMPLETE", exit_status=0)
    heartbeat(rm, done)
    third = rm.ams.allocate(attempt, p.AllocateRequest(progress=0.9))
    assert [(c.container_id, c.exit_status) for c in third.completed] == [
        (container.container_id, 0)
    ]
    rm.ams.finish(attempt, p.FinishRequest(final_status="SUCCEEDED", tracking_url="hist"))
    assert (app.state, app.final_status, app.progress) == (
        AppState.FINISHED,
        FinalStatus.SUCCEEDED,
        1.0,
    )
    assert app.final_tracking_url == "hist" and app.current is not None
    assert app.current.state == "FINISHED"
    # the AM's and the other container are killed through the node's next heartbeat
    kills = heartbeat(rm).kill
    assert set(kills) == {
        launch.request.container.container_id,
        second.allocated[1].container_id,
    }
    late = rm.ams.allocate(attempt, p.AllocateRequest())
    assert late.shutdown
    assert rm.notices == [AppFinishedNotice(attempt.application_id, "127.16.0.2:8042")]


def test_am_protocol_errors(rm: ResourceManager) -> None:
    attempt = submit(rm)
    with pytest.raises(ApplicationMasterNotRegistered):
        rm.ams.allocate(attempt, p.AllocateRequest())
    rm.ams.register(attempt, p.RegisterRequest(host="h"))
    with pytest.raises(InvalidApplicationMasterRequest):
        rm.ams.register(attempt, p.RegisterRequest(host="h"))
    huge = p.ResourceRequestModel(
        priority=1, capability=p.ResourceModel(memory_mb=99999, vcores=1), num_containers=1
    )
    with pytest.raises(InvalidResourceRequest, match="greater than maximum allowed"):
        rm.ams.allocate(attempt, p.AllocateRequest(asks=[huge]))
    with pytest.raises(ApplicationAttemptNotFound):
        rm.ams.register(
            ApplicationAttemptId(attempt.application_id, 7), p.RegisterRequest(host="h")
        )


def test_a_failed_launch_starts_a_second_attempt_then_fails(rm: ResourceManager) -> None:
    attempt = submit(rm)
    rm.am_launch_failed(attempt, "ConnectError: refused")
    app = rm.apps[attempt.application_id]
    assert app.state is AppState.ACCEPTED and len(app.attempts) == 2
    assert app.attempts[0].state == "FAILED"
    assert "Error launching" in app.attempts[0].diagnostics
    heartbeat(rm)
    second = ApplicationAttemptId(attempt.application_id, 2)
    rm.am_launch_failed(second, "ConnectError: refused")
    assert app.state is AppState.FAILED and app.final_status is FinalStatus.FAILED
    assert f"Application {attempt.application_id} failed 2 times" in app.diagnostics


def test_max_app_attempts_is_capped_by_the_cluster(rm: ResourceManager) -> None:
    attempt = submit(rm, **{"max-app-attempts": 5})
    assert rm.apps[attempt.application_id].max_attempts == 2
    one = submit(rm, **{"max-app-attempts": 1})
    assert rm.apps[one.application_id].max_attempts == 1


def test_submissions_need_an_id_from_this_rm(rm: ResourceManager) -> None:
    attempt = submit(rm)
    again = {
        "application-id": str(attempt.application_id),
        "am-container-spec": {"commands": {"command": "true"}},
    }
    with pytest.raises(BadRequest, match="already present"):
        rm.submit(parse_submission(again), "bob")
    foreign = again | {"application-id": "application_1_0001"}
    with pytest.raises(BadRequest, match="new-application"):
        rm.submit(parse_submission(foreign), "bob")


def test_kill(rm: ResourceManager) -> None:
    attempt = submit(rm)
    app = rm.kill(attempt.application_id, "bob", "10.0.0.1")
    assert (app.state, app.final_status) == (AppState.KILLED, FinalStatus.KILLED)
    assert (
        app.diagnostics
        == f"Application {attempt.application_id} was killed by user bob at 10.0.0.1"
    )
    assert heartbeat(rm).kill == [str(rm.launches[0].request.container.container_id)]


def test_silent_nodes_are_lost_and_resync(rm: ResourceManager) -> None:
    attempt = submit(rm)
    rm.settings = replace(rm.settings, nm_expiry_seconds=0.0)
    time.sleep(0.01)
    rm.tick()
    node = rm.scheduler.node_report(rm.nodes[next(iter(rm.nodes))].node_id)
    assert node is not None and node.state is NodeState.LOST
    # the AM's node went away: the attempt does not count, a new one waits for a node
    app = rm.apps[attempt.application_id]
    assert app.state is AppState.ACCEPTED and len(app.attempts) == 2
    assert heartbeat(rm).resync
    assert rm.running_nodes() == 0


def test_silent_ams_time_out(rm: ResourceManager) -> None:
    attempt = submit(rm, **{"max-app-attempts": 1})
    rm.am_launched(attempt)
    rm.settings = replace(rm.settings, am_expiry_seconds=0.0)
    time.sleep(0.01)
    rm.tick()
    app = rm.apps[attempt.application_id]
    assert app.state is AppState.FAILED
    assert f"ApplicationMaster for attempt {attempt} timed out" in app.diagnostics


def test_forgotten_running_containers_are_killed(rm: ResourceManager) -> None:
    stray = p.ContainerStatus(container_id="container_1_0001_01_000002", state="RUNNING")
    assert heartbeat(rm, stray).kill == ["container_1_0001_01_000002"]


def test_old_ended_applications_are_forgotten(rm: ResourceManager) -> None:
    rm.settings = replace(rm.settings, max_completed_applications=1)
    first, second = submit(rm), submit(rm)
    rm.kill(first.application_id, "bob", "")
    assert set(rm.apps) == {first.application_id, second.application_id}
    rm.kill(second.application_id, "bob", "")
    assert set(rm.apps) == {second.application_id}
