"""Hadoop's NodeManager REST bodies (`/ws/v1/node/…`), field for field as its DAO classes
serialize them: NodeInfo, AppsInfo/AppInfo, ContainersInfo/ContainerInfo, and
RemoteException for errors. Pure functions from records to JSON-able dicts.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from emr.yarn.nodemanager.container import ContainerRecord
from emr.yarn.nodemanager.containers import AppRecord

__all__ = [
    "HADOOP_VERSION",
    "NodeFacts",
    "app_info",
    "apps_info",
    "container_info",
    "containers_info",
    "node_info",
    "remote_exception",
]

#: The Hadoop client this platform runs (DESIGN: "Versions").
HADOOP_VERSION: Final = "3.5.0"
_BUILD: Final = f"{HADOOP_VERSION} from emr"


@dataclass(frozen=True, slots=True)
class NodeFacts:
    node_id: str
    host: str
    http_address: str
    memory_mb: int
    vcores: int
    vmem_pmem_ratio: float
    pmem_check: bool
    started_ms: int
    last_update_ms: int


def node_info(facts: NodeFacts) -> dict[str, Any]:
    return {
        "nodeInfo": {
            "healthReport": "",
            "totalVmemAllocatedContainersMB": int(facts.memory_mb * facts.vmem_pmem_ratio),
            "totalPmemAllocatedContainersMB": facts.memory_mb,
            "totalVCoresAllocatedContainers": facts.vcores,
            "vmemCheckEnabled": False,
            "pmemCheckEnabled": facts.pmem_check,
            "lastNodeUpdateTime": facts.last_update_ms,
            "nodeHealthy": True,
            "nodeManagerVersion": HADOOP_VERSION,
            "nodeManagerBuildVersion": _BUILD,
            "nodeManagerVersionBuiltOn": "",
            "hadoopVersion": HADOOP_VERSION,
            "hadoopBuildVersion": _BUILD,
            "hadoopVersionBuiltOn": "",
            "id": facts.node_id,
            "nodeHostName": facts.host,
            "nmStartupTime": facts.started_ms,
        }
    }


def app_info(app: AppRecord) -> dict[str, Any]:
    info: dict[str, Any] = {"id": app.application_id, "state": app.state, "user": app.user}
    if app.container_ids:
        info["containerids"] = list(app.container_ids)
    return info


def apps_info(apps: Iterable[AppRecord]) -> dict[str, Any]:
    listed = [app_info(a) for a in apps]
    return {"apps": {"app": listed} if listed else None}


def _log_files(record: ContainerRecord) -> list[str]:
    directory: Path = record.log_dir
    if not directory.is_dir():
        return []
    return sorted(p.name for p in directory.iterdir() if p.is_file())


def container_info(record: ContainerRecord, facts: NodeFacts) -> dict[str, Any]:
    return {
        "id": record.container_id,
        "state": record.state.value,
        "exitCode": record.exit_status,
        "diagnostics": record.diagnostics,
        "user": record.user,
        "totalMemoryNeededMB": record.resource.memory_mb,
        "totalVCoresNeeded": record.resource.vcores,
        "containerLogsLink": (
            f"http://{facts.http_address}/node/containerlogs/{record.container_id}/{record.user}"
        ),
        "nodeId": facts.node_id,
        "containerLogFiles": _log_files(record),
        "executionType": "GUARANTEED",
    }


def containers_info(records: Iterable[ContainerRecord], facts: NodeFacts) -> dict[str, Any]:
    listed = [container_info(r, facts) for r in records]
    return {"containers": {"container": listed} if listed else None}


def remote_exception(exception: str, java_class_name: str, message: str) -> dict[str, Any]:
    return {
        "RemoteException": {
            "exception": exception,
            "javaClassName": java_class_name,
            "message": message,
        }
    }
