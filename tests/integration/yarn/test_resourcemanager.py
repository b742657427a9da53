"""The real ResourceManager (`python -m emr.yarn.resourcemanager`) started from a master node
dir, with real NodeManager processes (`python -m emr.yarn.nodemanager`) on their own loopback
IPs, and real ApplicationMasters: a small Python script (AM_SCRIPT) that uses
emr.yarn.amclient.AMClient, launched by the RM in a container. Clients are httpx and
emr.yarn.client.YarnRestClient against Hadoop's REST API. The daemons, node dirs and fixtures
are conftest.py's."""

from __future__ import annotations

import signal

import httpx
import psutil
import pytest
import yarn_api_client

from emr.yarn.client import YarnClientError, YarnRestClient
from tests.integration.yarn.conftest import (
    AUTH,
    MASTER_IP,
    WAIT_S,
    Cluster,
    ClusterFactory,
    Daemon,
    read_report,
    wait_for,
)

pytestmark = pytest.mark.integration


# --- the ResourceManager alone ---------------------------------------------------------------


def test_rest_shapes_on_an_empty_cluster(cluster: Cluster) -> None:
    info = cluster.get("/ws/v1/cluster/info")["clusterInfo"]
    assert info["state"] == "STARTED" and info["haState"] == "ACTIVE"
    assert info["hadoopVersion"] == info["resourceManagerVersion"]
    assert cluster.get("/ws/v1/cluster")["clusterInfo"]["id"] == info["id"]
    metrics = cluster.get("/ws/v1/cluster/metrics")["clusterMetrics"]
    assert metrics["appsSubmitted"] == 0 and metrics["totalNodes"] == 0
    assert metrics["totalMB"] == 0 and metrics["activeNodes"] == 0
    scheduler = cluster.get("/ws/v1/cluster/scheduler")["scheduler"]["schedulerInfo"]
    assert scheduler["type"] == "capacityScheduler" and scheduler["queueName"] == "root"
    [default] = scheduler["queues"]["queue"]
    assert default["queueName"] == "default"
    assert default["type"] == "capacitySchedulerLeafQueueInfo"
    assert default["capacity"] == 100.0 and default["numApplications"] == 0
    assert cluster.get("/ws/v1/cluster/apps") == {"apps": None}
    assert cluster.get("/ws/v1/cluster/nodes") == {"nodes": None}
    status = httpx.get(f"{cluster.url}/_yarn/v1/status", headers=AUTH).json()
    assert status == {"registered_nodemanagers": 0, "expected_nodemanagers": 0}
    # the web UI's address, which clients (yarn-api-client) probe for the active RM
    page = httpx.get(f"{cluster.url}/cluster")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]


def test_new_application_ids_carry_the_cluster_timestamp(
    cluster: Cluster, rest: YarnRestClient
) -> None:
    timestamp = rest.cluster_info()["id"]
    first, second = rest.new_application(), rest.new_application()
    assert first.application_id == f"application_{timestamp}_0001"
    assert second.application_id == f"application_{timestamp}_0002"
    assert (first.maximum_memory_mb, first.maximum_vcores) == (8192, 4)


def test_submission_and_query_errors(cluster: Cluster, rest: YarnRestClient) -> None:
    assert cluster.http is not None
    answer = cluster.http.post("/ws/v1/cluster/apps", content=b"{not json")
    assert answer.status_code == 400
    assert answer.json()["RemoteException"]["exception"] == "BadRequestException"
    app_id = rest.new_application().application_id
    with pytest.raises(YarnClientError) as missing:
        rest.submit_context({"application-id": app_id, "application-name": "x"})
    assert missing.value.status == 400 and "am-container-spec" in missing.value.message
    with pytest.raises(YarnClientError) as bad_id:
        rest.submit("application_x", "x", ["true"])
    assert bad_id.value.message == "Invalid ApplicationId: application_x"
    with pytest.raises(YarnClientError) as unknown:
        rest.submit("application_1_0001", "x", ["true"])
    assert unknown.value.status == 400
    rest.submit(app_id, "x", ["true"])
    with pytest.raises(YarnClientError) as duplicate:
        rest.submit(app_id, "x", ["true"])
    assert "already present" in duplicate.value.message
    missing_app = cluster.get("/ws/v1/cluster/apps/application_1_0009", status=404)
    assert missing_app["RemoteException"] == {
        "exception": "NotFoundException",
        "message": "java.lang.Exception: app with id: application_1_0009 not found",
        "javaClassName": "org.apache.hadoop.yarn.webapp.NotFoundException",
    }
    bad_state = cluster.get("/ws/v1/cluster/apps", status=400, states="DONE")
    assert "Invalid application-state DONE" in bad_state["RemoteException"]["message"]
    bad_limit = cluster.get("/ws/v1/cluster/apps", status=400, limit="0")
    assert bad_limit["RemoteException"]["message"] == "limit value must be greater then 0"
    put = cluster.http.put(f"/ws/v1/cluster/apps/{app_id}/state", json={"state": "RUNNING"})
    assert put.status_code == 400
    cluster.get("/ws/v1/cluster/nodes/127.0.0.9:8041", status=404)


def test_unknown_queue_fails_the_application(cluster: Cluster, rest: YarnRestClient) -> None:
    app_id = rest.new_application().application_id
    location = rest.submit(app_id, "lost", ["true"], queue="nowhere")
    assert location.endswith(f"/ws/v1/cluster/apps/{app_id}")
    report = rest.application(app_id)
    assert (report.state, report.final_status) == ("FAILED", "FAILED")
    assert "unknown queue: nowhere" in report.diagnostics
    assert report.raw["allocatedMB"] == -1
    assert [a.application_id for a in rest.applications(states="FAILED")] == [app_id]
    assert rest.applications(states="RUNNING,ACCEPTED") == []


def test_internal_calls_need_their_tokens(cluster: Cluster) -> None:
    registration = {
        "node_id": "127.0.0.9:8041",
        "http_address": "127.0.0.9:8042",
        "resource": {"memory_mb": 1024, "vcores": 1},
        "label": "CORE",
    }
    url = cluster.url + "/_yarn/v1"
    assert httpx.post(f"{url}/nm/register", json=registration).status_code == 401
    assert httpx.get(f"{url}/status").status_code == 401
    attempt = "appattempt_1_0001_000001"
    assert (
        httpx.post(f"{url}/am/{attempt}/register", json={"host": "h"}, headers=AUTH).status_code
        == 401
    )


# --- with NodeManagers -----------------------------------------------------------------------


def test_nodemanagers_register_and_report(cluster_factory: ClusterFactory) -> None:
    cluster = cluster_factory({"127.0.0.2": "CORE", "127.0.0.3": "TASK"})
    nodes = cluster.get("/ws/v1/cluster/nodes")["nodes"]["node"]
    assert [(n["id"], n["state"], n["nodeLabels"]) for n in nodes] == [
        ("127.0.0.2:8041", "RUNNING", ["CORE"]),
        ("127.0.0.3:8041", "RUNNING", []),
    ]
    assert nodes[0]["nodeHTTPAddress"] == f"127.0.0.2:{cluster.nodemanagers['127.0.0.2'].port}"
    assert nodes[0]["availMemoryMB"] == 1024
    node = cluster.get("/ws/v1/cluster/nodes/127.0.0.3:8041")["node"]
    assert node["totalResource"] == {"memory": 1024, "vCores": 2}
    metrics = cluster.get("/ws/v1/cluster/metrics")["clusterMetrics"]
    assert (metrics["activeNodes"], metrics["totalMB"], metrics["totalVirtualCores"]) == (
        2,
        2048,
        4,
    )
    status = httpx.get(f"{cluster.url}/_yarn/v1/status", headers=AUTH).json()
    assert status == {"registered_nodemanagers": 2, "expected_nodemanagers": 2}


# --- applications end to end -----------------------------------------------------------------


def test_application_runs_its_containers_and_finishes(cluster_factory: ClusterFactory) -> None:
    cluster = cluster_factory({"127.0.0.2": "CORE", "127.0.0.3": "TASK"})
    report = cluster.root / "report.json"
    command = cluster.am_command("ok", str(report), "3", "echo hello; sleep 0.2")
    with YarnRestClient(cluster.url, user="alice") as rest:
        app_id = cluster.submit(rest, "echo three", command, application_type="TEST")
        running = cluster.wait_app(app_id, {"RUNNING", "FINISHED", "FAILED"})
        assert running["amRPCAddress"] == "127.0.0.2:4242", cluster.logs()
        assert running["amHostHttpAddress"].startswith("127.0.0.2:")
        final = rest.wait(app_id, timeout=WAIT_S)
    assert (final.state, final.final_status) == ("FINISHED", "SUCCEEDED"), cluster.logs()
    assert final.tracking_url == "http://history.example/app"
    assert final.raw["trackingUI"] == "History" and final.progress == 100.0
    assert (final.user, final.queue, final.application_type) == ("alice", "default", "TEST")
    assert final.raw["memorySeconds"] >= 0 and final.raw["runningContainers"] == -1
    done = read_report(report)["done"]
    assert sorted(done.values()) == [0, 0, 0], done
    attempts = cluster.get(f"/ws/v1/cluster/apps/{app_id}/appattempts")["appAttempts"]
    [attempt] = attempts["appAttempt"]
    assert attempt["id"] == 1 and attempt["appAttemptState"] == "FINISHED"
    assert attempt["containerId"].endswith("_01_000001") and attempt["nodeId"] == "127.0.0.2:8041"
    # the containers' output, where the NodeManager put it
    outputs = list(cluster.root.glob(f"127.0.0.*/logs/userlogs/{app_id}/*/stdout"))
    assert sum(p.read_text() == "hello\n" for p in outputs) == 3, cluster.logs()
    # Hadoop's filters
    assert [
        a["id"] for a in cluster.get("/ws/v1/cluster/apps", states="FINISHED")["apps"]["app"]
    ] == [app_id]
    assert (
        cluster.get("/ws/v1/cluster/apps", applicationTypes="test")["apps"]["app"][0]["id"]
        == app_id
    )
    assert cluster.get("/ws/v1/cluster/apps", applicationTypes="spark") == {"apps": None}
    assert cluster.get("/ws/v1/cluster/apps", user="bob") == {"apps": None}
    assert (
        cluster.get("/ws/v1/cluster/apps", queue="default", limit="1")["apps"]["app"][0]["id"]
        == app_id
    )
    metrics = cluster.get("/ws/v1/cluster/metrics")["clusterMetrics"]
    assert (metrics["appsSubmitted"], metrics["appsCompleted"]) == (1, 1)
    stats = cluster.get("/ws/v1/cluster/appstatistics", states="FINISHED")["appStatInfo"]
    assert stats["statItem"] == [{"state": "FINISHED", "type": "*", "count": 1}]
    one = cluster.get(f"/ws/v1/cluster/apps/{app_id}/appattempts/{attempt['appAttemptId']}")
    assert one["appAttempt"]["containerId"] == attempt["containerId"]
    wait_for(lambda: cluster.get("/ws/v1/cluster/metrics")["clusterMetrics"]["allocatedMB"] == 0)
    # the NodeManagers that ran its containers were told the application is over
    ran = {"127.0.0.2", *(node.split(":")[0] for node in read_report(report)["started"].values())}
    for ip in ran:
        node_app = f"http://{ip}:{cluster.nodemanagers[ip].port}/ws/v1/node/apps/{app_id}"
        wait_for(lambda u=node_app: httpx.get(u).json()["app"]["state"] == "FINISHED", cluster.logs)


def test_kill_stops_a_running_application_and_its_containers(
    cluster_factory: ClusterFactory,
) -> None:
    cluster = cluster_factory({"127.0.0.2": "CORE"})
    report = cluster.root / "report.json"
    command = cluster.am_command("hold", str(report), "2", "sleep 300")
    with YarnRestClient(cluster.url) as rest:
        app_id = cluster.submit(rest, "forever", command)
        started = wait_for(
            lambda: (
                len(read_report(report).get("started", {})) == 2 and read_report(report)["started"]
            ),
            cluster.logs,
        )
        app = cluster.wait_app(app_id, {"RUNNING"})
        assert app["runningContainers"] == 3 and app["allocatedMB"] == 3 * 128
        assert rest.kill(app_id) == "KILLED"
        killed = rest.application(app_id)
    assert (killed.state, killed.final_status) == ("KILLED", "KILLED")
    assert "was killed by user hadoop" in killed.diagnostics
    nm = f"http://127.0.0.2:{cluster.nodemanagers['127.0.0.2'].port}/_yarn/v1/containers"
    for container_id in [*started, app["amContainerLogs"].split("/")[-2]]:
        status = wait_for(
            lambda c=container_id: (
                (s := httpx.get(f"{nm}/{c}/status", headers=AUTH).json())["state"] == "COMPLETE"
                and s
            ),
            cluster.logs,
        )
        assert status["exit_status"] != 0
    wait_for(
        lambda: cluster.get("/ws/v1/cluster/nodes/127.0.0.2:8041")["node"]["numContainers"] == 0
    )


def test_a_failing_am_gets_a_second_attempt_then_the_app_fails(
    cluster_factory: ClusterFactory,
) -> None:
    cluster = cluster_factory({"127.0.0.2": "CORE"})
    command = cluster.am_command("fail", str(cluster.root / "unused.json"))
    with YarnRestClient(cluster.url) as rest:
        app_id = cluster.submit(rest, "fails", command)
        final = rest.wait(app_id, timeout=WAIT_S)
    assert (final.state, final.final_status) == ("FAILED", "FAILED")
    assert f"Application {app_id} failed 2 times" in final.diagnostics
    assert "exitCode: 1" in final.diagnostics
    attempts = cluster.get(f"/ws/v1/cluster/apps/{app_id}/appattempts")["appAttempts"]["appAttempt"]
    assert [(a["id"], a["appAttemptState"]) for a in attempts] == [(1, "FAILED"), (2, "FAILED")]
    assert attempts[1]["containerId"].endswith("_02_000001")


def test_max_app_attempts_of_one_and_a_silent_am(cluster_factory: ClusterFactory) -> None:
    cluster = cluster_factory(
        {"127.0.0.2": "CORE"}, site={"yarn.am.liveness-monitor.expiry-interval-ms": "1500"}
    )
    command = cluster.am_command("silent", str(cluster.root / "unused.json"))
    with YarnRestClient(cluster.url) as rest:
        app_id = cluster.submit(rest, "silent", command, max_app_attempts=1)
        final = rest.wait(app_id, timeout=WAIT_S)
    assert (final.state, final.final_status) == ("FAILED", "FAILED")
    assert "timed out" in final.diagnostics and "failed 1 times" in final.diagnostics


def test_a_lost_nodemanager_loses_its_containers(cluster_factory: ClusterFactory) -> None:
    cluster = cluster_factory({"127.0.0.2": "CORE", "127.0.0.3": "TASK"})
    report = cluster.root / "report.json"
    command = cluster.am_command("hold", str(report), "2", "sleep 300", "127.0.0.3")
    with YarnRestClient(cluster.url) as rest:
        app_id = cluster.submit(rest, "doomed", command)
        started = wait_for(
            lambda: (
                len(read_report(report).get("started", {})) == 2 and read_report(report)["started"]
            ),
            cluster.logs,
        )
        assert set(started.values()) == {"127.0.0.3:8041"}
        cluster.nodemanagers["127.0.0.3"].stop(signal.SIGKILL)
        lost = wait_for(
            lambda: (
                (n := cluster.get("/ws/v1/cluster/nodes/127.0.0.3:8041")["node"])["state"] == "LOST"
                and n
            ),
            cluster.logs,
        )
        assert lost["numContainers"] == 0
        done = wait_for(
            lambda: len(read_report(report)["done"]) == 2 and read_report(report)["done"],
            cluster.logs,
        )
        assert done == {c: -100 for c in started}
        assert rest.application(app_id).state == "RUNNING"
        assert cluster.get("/ws/v1/cluster/metrics")["clusterMetrics"]["lostNodes"] == 1
        assert cluster.get("/ws/v1/cluster/nodes")["nodes"]["node"][1]["state"] == "LOST"
        rest.kill(app_id)


def test_a_killed_am_gets_a_new_attempt(cluster_factory: ClusterFactory) -> None:
    cluster = cluster_factory({"127.0.0.2": "CORE"})
    report = cluster.root / "report.json"
    command = cluster.am_command("hold", str(report), "1", "sleep 300")
    with YarnRestClient(cluster.url) as rest:
        app_id = cluster.submit(rest, "resilient", command)
        first = wait_for(lambda: read_report(report).get("started"), cluster.logs)
        [am] = [
            proc
            for proc in psutil.process_iter(["cmdline"])
            if str(cluster.root / "am.py") in (proc.info["cmdline"] or [])
        ]
        am.kill()
        second = wait_for(
            lambda: (s := read_report(report).get("started")) and s.keys() != first.keys() and s,
            cluster.logs,
        )
        [container] = second
        assert container.split("_")[-2] == "02"  # the second attempt's container
        app = rest.application(app_id)
        assert app.state == "RUNNING" and "exitCode: 137" in app.diagnostics
        attempts = cluster.get(f"/ws/v1/cluster/apps/{app_id}/appattempts")["appAttempts"]
        assert [a["appAttemptState"] for a in attempts["appAttempt"]] == ["FAILED", "RUNNING"]
        rest.kill(app_id)


def test_nodemanagers_resync_with_a_restarted_resourcemanager(
    cluster_factory: ClusterFactory,
) -> None:
    cluster = cluster_factory({"127.0.0.2": "CORE"})
    first = cluster.get("/ws/v1/cluster/info")["clusterInfo"]["id"]
    port = cluster.rm.port
    cluster.rm.stop()
    cluster.rm = Daemon(
        "resourcemanager", cluster.rm.node_dir, ["--bind", MASTER_IP, "--port", str(port)]
    )
    cluster.rm.start()
    assert cluster.get("/ws/v1/cluster/info")["clusterInfo"]["id"] > first
    node = wait_for(
        lambda: (n := cluster.get("/ws/v1/cluster/nodes")["nodes"]) and n["node"][0],
        cluster.logs,
    )
    assert (node["id"], node["state"]) == ("127.0.0.2:8041", "RUNNING")


def test_yarn_api_client(cluster_factory: ClusterFactory) -> None:
    """The PyPI client (`yarn-api-client`) against our RM: probe, submit, report, kill."""
    cluster = cluster_factory({"127.0.0.2": "CORE"})
    report = cluster.root / "report.json"
    rm = yarn_api_client.ResourceManager(service_endpoints=[cluster.url], timeout=10)
    try:
        assert rm.cluster_information().data["clusterInfo"]["haState"] == "ACTIVE"
        assert rm.cluster_metrics().data["clusterMetrics"]["activeNodes"] == 1
        assert rm.cluster_scheduler_queue("default")["queueName"] == "default"
        new = rm.cluster_new_application().data
        app_id = new["application-id"]
        rm.cluster_submit_application(
            {
                "application-id": app_id,
                "application-name": "from yarn-api-client",
                "am-container-spec": {
                    "commands": {
                        "command": cluster.am_command("hold", str(report), "1", "sleep 300")
                    }
                },
                "resource": {"memory": 128, "vCores": 1},
                "application-type": "YARN",
            }
        )
        wait_for(
            lambda: rm.cluster_application(app_id).data["app"]["state"] == "RUNNING", cluster.logs
        )
        apps = rm.cluster_applications(states=["RUNNING"]).data["apps"]["app"]
        assert [a["id"] for a in apps] == [app_id]
        assert (
            rm.cluster_application_attempts(app_id).data["appAttempts"]["appAttempt"][0]["id"] == 1
        )
        assert rm.cluster_nodes().data["nodes"]["node"][0]["id"] == "127.0.0.2:8041"
        rm.cluster_application_kill(app_id)
        assert rm.cluster_application_state(app_id).data == {"state": "KILLED"}
    finally:
        rm.session.close()
