"""EMR's CloudWatch metrics from the ResourceManager's scheduler: every name, its unit, and
the values for a few states of a cluster."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from emr.yarn import protocol as p
from emr.yarn.resourcemanager import ResourceManager, ResourceManagerSettings
from emr.yarn.resourcemanager.metrics import METRIC_NAMES, metric_data
from emr.yarn.resourcemanager.submission import parse_submission

AT = datetime(2026, 1, 1, tzinfo=UTC)
NAMES = {
    "YARNMemoryAvailablePercentage", "ContainerAllocated", "ContainerReserved",
    "ContainerPending", "ContainerPendingRatio", "AppsRunning", "AppsPending", "AppsSubmitted",
    "AppsCompleted", "AppsFailed", "AppsKilled", "MemoryTotalMB", "MemoryAllocatedMB",
    "MemoryAvailableMB", "CoreNodesRunning", "TaskNodesRunning", "IsIdle",
}  # fmt: skip


def rm_with(*labels: str) -> ResourceManager:
    rm = ResourceManager(ResourceManagerSettings(token="t", advertised_host="127.16.0.1"))
    for n, label in enumerate(labels, start=2):
        rm.register_node(
            p.NodeRegistration(
                node_id=f"127.16.0.{n}:8041",
                http_address=f"127.16.0.{n}:8042",
                resource=p.ResourceModel(memory_mb=2048, vcores=2),
                label=label,
            )
        )
    return rm


def values(rm: ResourceManager) -> dict[str, float]:
    data = metric_data(rm.scheduler.cluster_metrics(), rm.scheduler.node_reports(), "j-METRICS", AT)
    return {d["MetricName"]: d["Value"] for d in data}


def submit(rm: ResourceManager, memory: int = 512) -> None:
    app_id = rm.new_application()
    body: dict[str, Any] = {
        "application-id": str(app_id),
        "application-name": "unit",
        "am-container-spec": {"commands": {"command": "python am.py"}},
        "resource": {"memory": memory, "vCores": 1},
    }
    rm.submit(parse_submission(body), "alice")
    for node_id in list(rm.nodes):
        rm.node_heartbeat(p.NodeHeartbeat(node_id=str(node_id), containers=[]))


def test_every_metric_is_published_with_emr_s_namespace_shape() -> None:
    data = metric_data(rm_with("CORE").scheduler.cluster_metrics(), [], "j-METRICS", AT)
    assert {d["MetricName"] for d in data} == NAMES == set(METRIC_NAMES)
    assert len(data) == 17
    for datum in data:
        assert datum["Dimensions"] == [{"Name": "JobFlowId", "Value": "j-METRICS"}]
        assert datum["Timestamp"] == AT
        assert isinstance(datum["Value"], float)
    units = {d["MetricName"]: d["Unit"] for d in data}
    assert units["YARNMemoryAvailablePercentage"] == "Percent"
    assert units["IsIdle"] == "None"
    assert {units[n] for n in NAMES - {"YARNMemoryAvailablePercentage", "IsIdle"}} == {"Count"}


def test_an_idle_cluster_of_two_core_nodes_and_one_task_node() -> None:
    got = values(rm_with("CORE", "CORE", ""))
    assert got["CoreNodesRunning"] == 2 and got["TaskNodesRunning"] == 1
    assert got["MemoryTotalMB"] == 3 * 2048 == got["MemoryAvailableMB"]
    assert got["MemoryAllocatedMB"] == 0
    assert got["YARNMemoryAvailablePercentage"] == 100.0
    assert got["IsIdle"] == 1 and got["AppsRunning"] == 0 and got["AppsSubmitted"] == 0
    assert got["ContainerAllocated"] == 0 and got["ContainerPendingRatio"] == 0


def test_a_cluster_without_nodes_has_no_memory_available() -> None:
    got = values(rm_with())
    assert got["MemoryTotalMB"] == 0 and got["YARNMemoryAvailablePercentage"] == 0.0
    assert got["CoreNodesRunning"] == 0 and got["TaskNodesRunning"] == 0


def test_a_running_application_makes_the_cluster_busy() -> None:
    rm = rm_with("CORE")
    submit(rm, memory=512)
    got = values(rm)
    assert got["AppsSubmitted"] == 1 and got["AppsRunning"] == 1
    assert got["IsIdle"] == 0
    assert got["ContainerAllocated"] == 1
    assert got["MemoryAllocatedMB"] == 512 and got["MemoryAvailableMB"] == 2048 - 512
    assert got["YARNMemoryAvailablePercentage"] == 75.0


def test_a_killed_application_is_counted_and_the_cluster_is_idle_again() -> None:
    rm = rm_with("CORE")
    submit(rm)
    [app_id] = list(rm.apps)
    rm.kill(app_id, "alice", "127.0.0.1")
    got = values(rm)
    assert got["AppsKilled"] == 1 and got["AppsRunning"] == 0
    assert got["IsIdle"] == 1 and got["ContainerAllocated"] == 0


def test_container_pending_ratio_is_pending_over_allocated_or_pending_alone() -> None:
    rm = rm_with("CORE")
    base = rm.scheduler.cluster_metrics()

    def ratio(allocated: int, pending: int) -> float:
        metrics = replace(base, containers_allocated=allocated, containers_pending=pending)
        data = metric_data(metrics, [], "j-METRICS", AT)
        return next(d["Value"] for d in data if d["MetricName"] == "ContainerPendingRatio")

    assert ratio(4, 2) == 0.5
    assert ratio(0, 3) == 3.0
    assert ratio(0, 0) == 0.0


def test_a_lost_node_is_not_running() -> None:
    rm = rm_with("CORE", "")
    task = max(rm.nodes)  # 127.16.0.3, the task node
    rm.nodes[task].last_contact -= 3600
    rm.tick()
    got = values(rm)
    assert got["CoreNodesRunning"] == 1 and got["TaskNodesRunning"] == 0
