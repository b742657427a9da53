"""The JSON bodies of Hadoop's ResourceManager REST API (`/ws/v1/cluster/…`), shaped as Hadoop
serves them (field names, `-1` usage for finished applications, `{"apps": null}` when empty),
and the `/apps` and `/nodes` query filters with Hadoop's error messages. Pure: records and
scheduler reports in, dicts out."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from emr.services.emr.releases import HADOOP_VERSION
from emr.yarn.queues import QueueSpec
from emr.yarn.resourcemanager.errors import BadRequest
from emr.yarn.resourcemanager.records import AppRecord, NodeRecord
from emr.yarn.resources import Resource
from emr.yarn.scheduler import (
    AppReport,
    AppState,
    ClusterMetrics,
    NodeReport,
    NodeState,
    QueueReport,
)
from emr.yarn.states import APPLICATION_STATES, NODE_STATES

__all__ = [
    "AppFilter",
    "ClusterView",
    "app_json",
    "app_statistics_json",
    "attempts_json",
    "cluster_info_json",
    "cluster_metrics_json",
    "node_json",
    "node_states",
    "resource_json",
    "scheduler_json",
]

_BUILD: Final = f"{HADOOP_VERSION} from emr"


@dataclass(frozen=True)
class ClusterView:
    """What an application report needs besides the application."""

    cluster_timestamp: int
    now_ms: int
    cluster: Resource
    #: Queue path → its guaranteed share of the cluster.
    guarantees: Mapping[str, Resource]


def resource_json(resource: Resource) -> dict[str, int]:
    return {"memory": resource.memory_mb, "vCores": resource.vcores}


def cluster_info_json(cluster_timestamp: int, started_ms: int) -> dict[str, Any]:
    return {
        "clusterInfo": {
            "id": cluster_timestamp,
            "startedOn": started_ms,
            "state": "STARTED",
            "haState": "ACTIVE",
            "rmStateStoreName": "org.apache.hadoop.yarn.server.resourcemanager.recovery."
            "NullRMStateStore",
            "resourceManagerVersion": HADOOP_VERSION,
            "resourceManagerBuildVersion": _BUILD,
            "resourceManagerVersionBuiltOn": "",
            "hadoopVersion": HADOOP_VERSION,
            "hadoopBuildVersion": _BUILD,
            "hadoopVersionBuiltOn": "",
            "haZooKeeperConnectionState": "ResourceManager HA is not enabled.",
        }
    }


def cluster_metrics_json(m: ClusterMetrics) -> dict[str, Any]:
    return {
        "clusterMetrics": {
            "appsSubmitted": m.apps_submitted,
            "appsCompleted": m.apps_completed,
            "appsPending": m.apps_pending,
            "appsRunning": m.apps_running,
            "appsFailed": m.apps_failed,
            "appsKilled": m.apps_killed,
            "reservedMB": m.reserved_mb,
            "availableMB": m.available_mb,
            "allocatedMB": m.allocated_mb,
            "totalMB": m.total_mb,
            "reservedVirtualCores": m.reserved_virtual_cores,
            "availableVirtualCores": m.available_virtual_cores,
            "allocatedVirtualCores": m.allocated_virtual_cores,
            "totalVirtualCores": m.total_virtual_cores,
            "containersAllocated": m.containers_allocated,
            "containersReserved": m.containers_reserved,
            "containersPending": m.containers_pending,
            "totalNodes": m.total_nodes,
            "activeNodes": m.active_nodes,
            "lostNodes": m.lost_nodes,
            "unhealthyNodes": 0,
            "decommissioningNodes": 0,
            "decommissionedNodes": m.decommissioned_nodes,
            "rebootedNodes": 0,
            "shutdownNodes": 0,
        }
    }


# --- the scheduler ---------------------------------------------------------------------------


def _queue_json(
    report: QueueReport,
    by_path: Mapping[str, QueueReport],
    specs: Mapping[str, QueueSpec],
    containers: Mapping[str, int],
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "queuePath": report.queue_path,
        "capacity": report.capacity,
        "usedCapacity": report.used_capacity,
        "maxCapacity": report.maximum_capacity,
        "absoluteCapacity": report.absolute_capacity,
        "absoluteMaxCapacity": report.absolute_maximum_capacity,
        "absoluteUsedCapacity": report.absolute_used_capacity,
        "numApplications": report.num_applications,
        "usedResources": str(report.resources_used),
        "queueName": report.queue_name,
        "state": report.state.value,
        "resourcesUsed": resource_json(report.resources_used),
        "numContainers": containers.get(report.queue_path, 0),
    }
    if not report.is_leaf:
        body["queues"] = {
            "queue": [
                _queue_json(by_path[child], by_path, specs, containers) for child in report.children
            ]
        }
        return body
    spec = specs[report.queue_path]
    per_user = int(
        spec.maximum_applications
        * (report.minimum_user_limit_percent / 100)
        * report.user_limit_factor
    )
    users = [
        {
            "username": user.username,
            "resourcesUsed": resource_json(user.resources_used),
            "AMResourceUsed": resource_json(user.am_resource_used),
            "numActiveApplications": user.num_active_applications,
            "numPendingApplications": user.num_pending_applications,
        }
        for user in report.users
    ]
    body |= {
        "type": "capacitySchedulerLeafQueueInfo",
        "numActiveApplications": report.num_active_applications,
        "numPendingApplications": report.num_pending_applications,
        "maxApplications": spec.maximum_applications,
        "maxApplicationsPerUser": per_user,
        "userLimit": report.minimum_user_limit_percent,
        "userLimitFactor": report.user_limit_factor,
        "users": {"user": users} if users else None,
        "AMResourceLimit": resource_json(report.am_resource_limit),
        "usedAMResource": resource_json(report.am_resource_used),
        "userAMResourceLimit": resource_json(report.am_resource_limit),
        "pendingResource": resource_json(report.pending_resource),
        "reservedResource": resource_json(report.resources_reserved),
        "maxAMResourcePercent": spec.maximum_am_resource_percent,
        "defaultPriority": 0,
        "isAutoCreatedLeafQueue": False,
        "nodeLabels": sorted(spec.accessible_node_labels),
    }
    return body


def scheduler_json(
    reports: Sequence[QueueReport],
    specs: Mapping[str, QueueSpec],
    containers: Mapping[str, int],
) -> dict[str, Any]:
    """`{"scheduler": {"schedulerInfo": {"type": "capacityScheduler", …}}}`; `containers`:
    live containers by leaf path."""
    by_path = {r.queue_path: r for r in reports}
    root = by_path["root"]
    info = _queue_json(root, by_path, specs, containers)
    for key in ("absoluteCapacity", "absoluteMaxCapacity", "absoluteUsedCapacity", "state"):
        info.pop(key, None)
    info = {"type": "capacityScheduler", **info}
    return {"scheduler": {"schedulerInfo": info}}


# --- applications ----------------------------------------------------------------------------


def _percent(part: Resource, whole: Resource) -> float:
    return 100.0 * part.memory_mb / whole.memory_mb if whole.memory_mb > 0 else 0.0


def app_json(app: AppRecord, report: AppReport | None, view: ClusterView) -> dict[str, Any]:
    """One `app` object (Hadoop's AppInfo)."""
    sub = app.submission
    attempt = app.current
    am = attempt.container if attempt is not None else None
    finished = app.finished_ms
    end = finished or view.now_ms
    memory_seconds, vcore_seconds = app.seconds(view.now_ms)
    tracking_url = app.final_tracking_url if app.ended else ""
    if not tracking_url and attempt is not None:
        tracking_url = attempt.tracking_url
    ready = bool(tracking_url) and app.state not in (AppState.SUBMITTED, AppState.ACCEPTED)
    body: dict[str, Any] = {
        "id": str(sub.application_id),
        "user": app.user,
        "name": sub.name,
        "queue": app.queue.rsplit(".", 1)[-1],
        "state": app.state.value,
        "finalStatus": app.final_status.value,
        "progress": round(app.progress * 100, 6),
        "trackingUI": "UNASSIGNED"
        if not ready
        else ("History" if finished else "ApplicationMaster"),
        "diagnostics": app.diagnostics,
        "clusterId": view.cluster_timestamp,
        "applicationType": sub.application_type,
        "applicationTags": ",".join(sub.tags),
        "priority": sub.priority,
        "startedTime": app.submitted_ms,
        "launchTime": app.launched_ms,
        "finishedTime": finished,
        "elapsedTime": max(end - app.submitted_ms, 0),
        "memorySeconds": memory_seconds,
        "vcoreSeconds": vcore_seconds,
        "preemptedResourceMB": 0,
        "preemptedResourceVCores": 0,
        "numNonAMContainerPreempted": 0,
        "numAMContainerPreempted": 0,
        "preemptedMemorySeconds": 0,
        "preemptedVcoreSeconds": 0,
        "logAggregationStatus": "DISABLED",
        "unmanagedApplication": False,
        "amNodeLabelExpression": sub.am_label_expression or "",
        "appNodeLabelExpression": sub.app_label_expression,
    }
    if ready:
        body["trackingUrl"] = tracking_url
    if app.ended or report is None:
        body |= {
            "allocatedMB": -1,
            "allocatedVCores": -1,
            "reservedMB": -1,
            "reservedVCores": -1,
            "runningContainers": -1,
            "queueUsagePercentage": 0.0,
            "clusterUsagePercentage": 0.0,
        }
    else:
        guarantee = view.guarantees.get(app.queue, view.cluster)
        body |= {
            "allocatedMB": report.allocated.memory_mb,
            "allocatedVCores": report.allocated.vcores,
            "reservedMB": report.reserved.memory_mb,
            "reservedVCores": report.reserved.vcores,
            "runningContainers": report.running_containers,
            "queueUsagePercentage": _percent(report.allocated, guarantee),
            "clusterUsagePercentage": _percent(report.allocated, view.cluster),
        }
    if am is not None and attempt is not None:
        http = attempt.node_http_address
        body |= {
            "amContainerLogs": f"http://{http}/node/containerlogs/{am.container_id}/{app.user}",
            "amHostHttpAddress": http,
            "masterNodeId": str(am.node_id),
        }
    if attempt is not None and attempt.host:
        body["amRPCAddress"] = f"{attempt.host}:{attempt.rpc_port}"
    return body


def attempts_json(app: AppRecord) -> dict[str, Any]:
    """`{"appAttempts": {"appAttempt": [...]}}` (Hadoop's AppAttemptsInfo)."""
    attempts = []
    for attempt in app.attempts:
        body: dict[str, Any] = {
            "id": attempt.attempt_id.attempt_id,
            "appAttemptId": str(attempt.attempt_id),
            "startTime": attempt.started_ms,
            "finishedTime": attempt.finished_ms,
            "appAttemptState": attempt.state,
            "diagnosticsInfo": attempt.diagnostics,
            "blacklistedNodes": "",
            "nodesBlacklistedBySystem": "",
        }
        if attempt.container is not None:
            container = attempt.container
            http = attempt.node_http_address
            body |= {
                "containerId": str(container.container_id),
                "nodeId": str(container.node_id),
                "nodeHttpAddress": http,
                "logsLink": f"http://{http}/node/containerlogs/{container.container_id}/{app.user}",
            }
        attempts.append(body)
    return {"appAttempts": {"appAttempt": attempts}}


def app_statistics_json(
    apps: Iterable[AppRecord], states: str | None, application_type: str | None
) -> dict[str, Any]:
    """`{"appStatInfo": {"statItem": [...]}}`: applications counted by state, for one type
    (or "*"), every state Hadoop knows when none is asked for."""
    if states:
        wanted = [s.strip().upper() for s in states.split(",") if s.strip()]
        for state in wanted:
            if state not in APPLICATION_STATES:
                raise BadRequest(
                    f"Invalid application-state {state} specified. It should be one of "
                    + ", ".join(APPLICATION_STATES)
                )
    else:
        wanted = list(APPLICATION_STATES)
    kind = application_type.strip().lower() if application_type else None
    counts = dict.fromkeys(wanted, 0)
    for app in apps:
        if kind is not None and app.submission.application_type.lower() != kind:
            continue
        if app.state.value in counts:
            counts[app.state.value] += 1
    items = [{"state": s, "type": kind or "*", "count": n} for s, n in counts.items()]
    return {"appStatInfo": {"statItem": items}}


def _time(query: Mapping[str, str], key: str) -> int | None:
    text = query.get(key)
    if text is None or text == "":
        return None
    try:
        value = int(text)
    except ValueError as exc:
        raise BadRequest(f'java.lang.NumberFormatException: For input string: "{text}"') from exc
    if value < 0:
        raise BadRequest(f"{key} must be greater than 0")
    return value


def _words(text: str | None) -> frozenset[str] | None:
    if text is None:
        return None
    words = frozenset(w.strip().lower() for w in text.split(",") if w.strip())
    return words or None


@dataclass(frozen=True)
class AppFilter:
    """The query of `GET /ws/v1/cluster/apps` (Hadoop's parameters and messages)."""

    states: frozenset[str] | None = None
    final_status: str | None = None
    user: str | None = None
    queue: str | None = None
    types: frozenset[str] | None = None
    tags: frozenset[str] | None = None
    limit: int | None = None
    started: tuple[int, int] = (0, 2**63 - 1)
    finished: tuple[int, int] = (0, 2**63 - 1)

    @classmethod
    def from_query(cls, query: Mapping[str, str]) -> AppFilter:
        """`query`: parameter → value (repeated parameters joined with commas)."""
        raw = ",".join(v for k in ("state", "states") if (v := query.get(k)))
        states = None
        if raw.strip(", "):
            for state in (w.strip() for w in raw.split(",") if w.strip()):
                if state.upper() not in APPLICATION_STATES:
                    raise BadRequest(
                        f"Invalid application-state {state} specified. It should be one of "
                        + ", ".join(APPLICATION_STATES)
                    )
            states = frozenset(w.strip().upper() for w in raw.split(",") if w.strip())
        limit = None
        if query.get("limit"):
            try:
                limit = int(query["limit"])
            except ValueError as exc:
                raise BadRequest(f'For input string: "{query["limit"]}"') from exc
            if limit <= 0:
                raise BadRequest("limit value must be greater then 0")
        started_begin = _time(query, "startedTimeBegin") or 0
        started_end = _time(query, "startedTimeEnd")
        finished_begin = _time(query, "finishedTimeBegin") or 0
        finished_end = _time(query, "finishedTimeEnd")
        if started_end is not None and started_end < started_begin:
            raise BadRequest("startedTimeEnd must be greater than startTimeBegin")
        if finished_end is not None and finished_end < finished_begin:
            raise BadRequest("finishedTimeEnd must be greater than finishedTimeBegin")
        return cls(
            states=states,
            final_status=query.get("finalStatus") or None,
            user=query.get("user") or None,
            queue=query.get("queue") or None,
            types=_words(query.get("applicationTypes")),
            tags=_words(query.get("applicationTags")),
            limit=limit,
            started=(started_begin, 2**63 - 1 if started_end is None else started_end),
            finished=(finished_begin, 2**63 - 1 if finished_end is None else finished_end),
        )

    def matches(self, app: AppRecord) -> bool:
        sub = app.submission
        if self.states is not None and app.state.value not in self.states:
            return False
        if self.final_status is not None and (app.final_status.value != self.final_status.upper()):
            return False
        if self.user is not None and app.user != self.user:
            return False
        if self.queue is not None and self.queue not in (app.queue, app.queue.rsplit(".")[-1]):
            return False
        if self.types is not None and sub.application_type.lower() not in self.types:
            return False
        if self.tags is not None and not self.tags & set(sub.tags):
            return False
        if not self.started[0] <= app.submitted_ms <= self.started[1]:
            return False
        if self.finished == (0, 2**63 - 1):
            return True
        return bool(app.finished_ms) and self.finished[0] <= app.finished_ms <= self.finished[1]

    def select(self, apps: Iterable[AppRecord]) -> list[AppRecord]:
        chosen = [a for a in apps if self.matches(a)]
        return chosen[: self.limit] if self.limit is not None else chosen


def node_states(query: Mapping[str, str]) -> frozenset[str]:
    """The `states` (or deprecated `state`) filter of `/nodes`; by default every state but
    DECOMMISSIONED, as Hadoop."""
    words = _words(",".join(v for k in ("state", "states") if (v := query.get(k))) or None)
    if words is None:
        return frozenset(NODE_STATES) - {"DECOMMISSIONED"}
    states = frozenset(w.upper() for w in words)
    for state in states:
        if state not in NODE_STATES:
            raise BadRequest(
                f"Invalid node state {state} specified. It should be one of "
                + ", ".join(NODE_STATES)
            )
    return states


def node_json(report: NodeReport, record: NodeRecord | None) -> dict[str, Any]:
    """One `node` object (Hadoop's NodeInfo)."""
    running = report.state is NodeState.RUNNING
    used = report.used if running else Resource.NONE
    available = report.available if running else Resource.NONE
    body: dict[str, Any] = {
        "rack": "/default-rack",
        "state": report.state.value,
        "id": str(report.node_id),
        "nodeHostName": report.node_id.host,
        "nodeHTTPAddress": record.http_address if record is not None else "",
        "lastHealthUpdate": record.last_heartbeat_ms if record is not None else 0,
        "version": HADOOP_VERSION,
        "healthReport": "",
        "numContainers": report.num_containers if running else 0,
        "usedMemoryMB": used.memory_mb,
        "availMemoryMB": available.memory_mb,
        "usedVirtualCores": used.vcores,
        "availableVirtualCores": available.vcores,
        "nodeLabels": [report.label] if report.label else [],
        "totalResource": resource_json(report.total),
        "usedResource": resource_json(used),
        "availableResource": resource_json(available),
        "resourceUtilization": {
            "nodePhysicalMemoryMB": record.used_memory_mb if record is not None else 0,
            "nodeVirtualMemoryMB": record.used_memory_mb if record is not None else 0,
            "nodeCPUUsage": 0.0,
            "aggregatedContainersPhysicalMemoryMB": record.used_memory_mb
            if record is not None
            else 0,
            "aggregatedContainersVirtualMemoryMB": record.used_memory_mb
            if record is not None
            else 0,
            "containersCPUUsage": 0.0,
        },
    }
    return body
