"""The `/ws/v1/cluster` JSON bodies and query filters, as Hadoop shapes and words them."""

from __future__ import annotations

import pytest

from emr.yarn.ids import ApplicationAttemptId, ApplicationId, ContainerId, NodeId
from emr.yarn.queues import CapacitySchedulerConfig, emr_default_properties
from emr.yarn.resourcemanager.errors import BadRequest
from emr.yarn.resourcemanager.records import AppRecord, AttemptRecord, Usage
from emr.yarn.resourcemanager.submission import parse_submission
from emr.yarn.resourcemanager.views import (
    AppFilter,
    ClusterView,
    app_json,
    app_statistics_json,
    attempts_json,
    node_states,
    scheduler_json,
)
from emr.yarn.resources import Resource
from emr.yarn.scheduler import AppState, CapacityScheduler, Container, FinalStatus

TS = 1700000000000


def record(n: int = 1, **fields: object) -> AppRecord:
    submission = parse_submission(
        {
            "application-id": f"application_{TS}_{n:04d}",
            "application-name": f"app{n}",
            "application-type": "SPARK",
            "am-container-spec": {"commands": {"command": "true"}},
            "application-tags": {"tag": ["a", "b"]},
        }
    )
    app = AppRecord(
        submission=submission,
        user="alice",
        submitted_ms=TS + 1000 * n,
        max_attempts=2,
        queue="root.default",
    )
    for key, value in fields.items():
        setattr(app, key, value)
    return app


VIEW = ClusterView(TS, TS + 100_000, Resource(4096, 4), {"root.default": Resource(4096, 4)})


def test_a_finished_application_reports_hadoops_dummy_usage() -> None:
    app = record(state=AppState.FINISHED, final_status=FinalStatus.SUCCEEDED, progress=1.0)
    app.finished_ms = TS + 5000
    attempt_id = ApplicationAttemptId(ApplicationId(TS, 1), 1)
    am = Container(
        ContainerId.of(attempt_id, 1), NodeId("127.0.0.2", 8041), Resource(512, 1), 0, True
    )
    app.attempts.append(
        AttemptRecord(
            attempt_id,
            started_ms=TS + 1500,
            state="FINISHED",
            container=am,
            node_http_address="127.0.0.2:8042",
            host="127.0.0.2",
            rpc_port=4242,
            tracking_url="http://127.0.0.2:4040",
        )
    )
    app.final_tracking_url = "http://history/app"
    app.memory_ms = 512 * 3500
    body = app_json(app, None, VIEW)
    assert body["state"] == "FINISHED" and body["finalStatus"] == "SUCCEEDED"
    assert body["trackingUI"] == "History" and body["trackingUrl"] == "http://history/app"
    assert body["progress"] == 100.0 and body["elapsedTime"] == 4000
    assert body["allocatedMB"] == -1 and body["runningContainers"] == -1
    assert body["memorySeconds"] == 1792
    assert body["amRPCAddress"] == "127.0.0.2:4242"
    assert body["amHostHttpAddress"] == "127.0.0.2:8042"
    assert body["amContainerLogs"] == (
        f"http://127.0.0.2:8042/node/containerlogs/container_{TS}_0001_01_000001/alice"
    )
    assert body["applicationTags"] == "a,b" and body["clusterId"] == TS
    [attempt] = attempts_json(app)["appAttempts"]["appAttempt"]
    assert attempt["id"] == 1 and attempt["nodeId"] == "127.0.0.2:8041"
    assert attempt["appAttemptId"] == f"appattempt_{TS}_0001_000001"


def test_an_accepted_application_has_no_tracking_url_yet() -> None:
    body = app_json(record(state=AppState.ACCEPTED), None, VIEW)
    assert body["trackingUI"] == "UNASSIGNED" and "trackingUrl" not in body
    assert body["finishedTime"] == 0 and body["elapsedTime"] == 99_000


def test_live_containers_count_towards_memory_seconds() -> None:
    app = record(state=AppState.RUNNING)
    container = ContainerId.of(ApplicationAttemptId(ApplicationId(TS, 1), 1), 2)
    app.live[container] = Usage(Resource(1024, 2), TS + 90_000)
    assert app.seconds(TS + 100_000) == (10240, 20)
    app.container_ended(container, TS + 95_000)
    assert app.seconds(TS + 100_000) == (5120, 10)


def test_app_filters() -> None:
    apps = [
        record(1, state=AppState.FINISHED, final_status=FinalStatus.SUCCEEDED),
        record(2, state=AppState.RUNNING, user="bob"),
        record(3, state=AppState.FAILED, final_status=FinalStatus.FAILED, queue="root.a.b"),
    ]
    apps[0].finished_ms = TS + 10_000

    def ids(**query: str) -> list[int]:
        return [a.submission.application_id.id for a in AppFilter.from_query(query).select(apps)]

    assert ids() == [1, 2, 3]
    assert ids(states="finished,FAILED") == [1, 3]
    assert ids(state="RUNNING") == [2]
    assert ids(finalStatus="succeeded") == [1]
    assert ids(user="bob") == [2]
    assert ids(queue="b") == [3] and ids(queue="root.a.b") == [3]
    assert ids(applicationTypes="spark, mapreduce") == [1, 2, 3]
    assert ids(applicationTypes="MAPREDUCE") == []
    assert ids(applicationTags="b") == [1, 2, 3]
    assert ids(limit="2") == [1, 2]
    assert ids(startedTimeBegin=str(TS + 2000)) == [2, 3]
    assert ids(startedTimeEnd=str(TS + 2000)) == [1, 2]
    assert ids(finishedTimeBegin="1") == [1]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"states": "DONE"}, "Invalid application-state DONE specified. It should be one of NEW"),
        ({"limit": "0"}, "limit value must be greater then 0"),
        ({"limit": "x"}, 'For input string: "x"'),
        ({"startedTimeBegin": "-1"}, "startedTimeBegin must be greater than 0"),
        (
            {"startedTimeBegin": "5", "startedTimeEnd": "4"},
            "startedTimeEnd must be greater than startTimeBegin",
        ),
        ({"finishedTimeEnd": "abc"}, 'NumberFormatException: For input string: "abc"'),
    ],
)
def test_app_filter_errors(query: dict[str, str], message: str) -> None:
    with pytest.raises(BadRequest) as error:
        AppFilter.from_query(query)
    assert message in error.value.message


def test_node_states() -> None:
    assert "DECOMMISSIONED" not in node_states({}) and "LOST" in node_states({})
    assert node_states({"states": "lost,running"}) == {"LOST", "RUNNING"}
    with pytest.raises(BadRequest, match="Invalid node state GONE"):
        node_states({"states": "gone"})


def test_scheduler_json_of_two_queues() -> None:
    properties = emr_default_properties() | {
        "yarn.scheduler.capacity.root.queues": "default,etl",
        "yarn.scheduler.capacity.root.default.capacity": "70",
        "yarn.scheduler.capacity.root.etl.capacity": "30",
    }
    from emr.yarn.scheduler import SchedulerSettings

    config = CapacitySchedulerConfig.from_properties(properties)
    scheduler = CapacityScheduler(SchedulerSettings(capacity=config))
    body = scheduler_json(scheduler.queue_reports(), config.queues, {"root.etl": 2})
    info = body["scheduler"]["schedulerInfo"]
    assert info["type"] == "capacityScheduler" and info["queueName"] == "root"
    assert "absoluteCapacity" not in info
    default, etl = info["queues"]["queue"]
    assert (default["queueName"], default["capacity"]) == ("default", 70.0)
    assert (etl["queuePath"], etl["absoluteCapacity"], etl["numContainers"]) == (
        "root.etl",
        pytest.approx(30.0),
        2,
    )
    assert etl["type"] == "capacitySchedulerLeafQueueInfo" and etl["users"] is None
    assert etl["maxApplications"] == 3000


def test_app_statistics() -> None:
    apps = [record(1, state=AppState.RUNNING), record(2, state=AppState.FINISHED)]
    body = app_statistics_json(apps, "running,finished", None)
    assert body == {
        "appStatInfo": {
            "statItem": [
                {"state": "RUNNING", "type": "*", "count": 1},
                {"state": "FINISHED", "type": "*", "count": 1},
            ]
        }
    }
    items = app_statistics_json(apps, None, "mapreduce")["appStatInfo"]["statItem"]
    assert len(items) == 8 and all(i["count"] == 0 for i in items)
