"""EMR's cluster metrics, as the ResourceManager publishes them to the region's CloudWatch
(namespace AWS/ElasticMapReduce, dimension JobFlowId).

`metric_data` is pure: the scheduler's cluster metrics and node reports → PutMetricData's
MetricData. `MetricsPublisher` is the thin shell the daemon runs: every period it signs a
PutMetricData with botocore (in a thread, so the event loop never blocks) and logs failures;
the next period simply tries again.

LIMITATIONS (where this differs from EMR):
- Published every `emr.resourcemanager.cloudwatch.period-seconds` of yarn-site (60 s by
  default; EMR: every 5 minutes, not configurable).
- IsIdle is 0 while a YARN application is running or pending, or a step runs on the master
  (the master's agent answers how many in its /v1/health; an agent that does not answer
  counts as no steps, with a warning). An application accepted but not yet activated counts
  as work.
- Only these 17 metric names, without the JobId dimension; no HDFS, MapReduce-v1, HBase or
  managed-scaling metrics.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

import httpx

from emr.nodes.protocol import AgentHealth
from emr.yarn.scheduler import NodeState
from emr.yarn.scheduler.reports import ClusterMetrics, NodeReport

__all__ = [
    "METRIC_NAMES",
    "NAMESPACE",
    "PERIOD_KEY",
    "MetricsPublisher",
    "MetricsTarget",
    "metric_data",
]

log = logging.getLogger("emr.yarn.resourcemanager.metrics")

NAMESPACE: Final = "AWS/ElasticMapReduce"
#: yarn-site property: seconds between two publications (ours; EMR's period is fixed).
PERIOD_KEY: Final = "emr.resourcemanager.cloudwatch.period-seconds"
DEFAULT_PERIOD_S: Final = 60.0
#: CloudWatch's finest resolution; a smaller (or zero) period is raised to it.
MIN_PERIOD_S: Final = 1.0
#: Node labels of the cluster's NodeManagers: core nodes carry CORE, task nodes none.
CORE_LABEL: Final = "CORE"
TASK_LABEL: Final = ""
#: botocore's timeouts for one PutMetricData (the next period retries a failure).
CONNECT_TIMEOUT_S: Final = 5.0
READ_TIMEOUT_S: Final = 10.0

#: Every metric published, with its unit as EMR lists it (IsIdle is EMR's "Boolean",
#: which CloudWatch's units spell None).
METRIC_NAMES: Final[dict[str, str]] = {
    "YARNMemoryAvailablePercentage": "Percent",
    "ContainerAllocated": "Count",
    "ContainerReserved": "Count",
    "ContainerPending": "Count",
    "ContainerPendingRatio": "Count",
    "AppsRunning": "Count",
    "AppsPending": "Count",
    "AppsSubmitted": "Count",
    "AppsCompleted": "Count",
    "AppsFailed": "Count",
    "AppsKilled": "Count",
    "MemoryTotalMB": "Count",
    "MemoryAllocatedMB": "Count",
    "MemoryAvailableMB": "Count",
    "CoreNodesRunning": "Count",
    "TaskNodesRunning": "Count",
    "IsIdle": "None",
}


@dataclass(frozen=True)
class MetricsTarget:
    """Where and how often the RM publishes: the region and the cluster's credentials."""

    cluster_id: str
    region_url: str
    region_name: str
    access_key_id: str
    secret_access_key: str = field(repr=False)  # never in a log line
    period_seconds: float = DEFAULT_PERIOD_S
    #: The master's agent (`http://<master-ip>:<port>`), asked for its running steps; "": none.
    agent_url: str = ""
    agent_token: str = field(default="", repr=False)


def _values(
    metrics: ClusterMetrics, nodes: Sequence[NodeReport], running_steps: int
) -> dict[str, float]:
    running = [n for n in nodes if n.state is NodeState.RUNNING]
    allocated, pending = metrics.containers_allocated, metrics.containers_pending
    return {
        # MemoryAvailableMB / MemoryTotalMB, in percent; a cluster without memory has none.
        "YARNMemoryAvailablePercentage": 100.0 * metrics.available_mb / metrics.total_mb
        if metrics.total_mb > 0
        else 0.0,
        "ContainerAllocated": allocated,
        "ContainerReserved": metrics.containers_reserved,
        "ContainerPending": pending,
        # EMR: ContainerPending / ContainerAllocated, and ContainerPending when none allocated.
        "ContainerPendingRatio": pending / allocated if allocated else pending,
        "AppsRunning": metrics.apps_running,
        "AppsPending": metrics.apps_pending,
        "AppsSubmitted": metrics.apps_submitted,
        "AppsCompleted": metrics.apps_completed,
        "AppsFailed": metrics.apps_failed,
        "AppsKilled": metrics.apps_killed,
        "MemoryTotalMB": metrics.total_mb,
        "MemoryAllocatedMB": metrics.allocated_mb,
        "MemoryAvailableMB": metrics.available_mb,
        "CoreNodesRunning": sum(1 for n in running if n.label == CORE_LABEL),
        "TaskNodesRunning": sum(1 for n in running if n.label == TASK_LABEL),
        "IsIdle": int(metrics.apps_running == metrics.apps_pending == running_steps == 0),
    }


def metric_data(
    metrics: ClusterMetrics,
    nodes: Sequence[NodeReport],
    cluster_id: str,
    at: datetime,
    running_steps: int = 0,
) -> list[dict[str, Any]]:
    """PutMetricData's MetricData for one moment of the cluster."""
    dimensions = [{"Name": "JobFlowId", "Value": cluster_id}]
    values = _values(metrics, nodes, running_steps)
    return [
        {
            "MetricName": name,
            "Dimensions": dimensions,
            "Timestamp": at,
            "Value": float(values[name]),
            "Unit": unit,
        }
        for name, unit in METRIC_NAMES.items()
    ]


class MetricsPublisher:
    """Calls PutMetricData on the region every period with what `snapshot` answers."""

    def __init__(
        self,
        target: MetricsTarget,
        snapshot: Callable[[], tuple[ClusterMetrics, list[NodeReport]]],
    ) -> None:
        self.target = target
        self._snapshot = snapshot
        self._client: Any = None

    def _cloudwatch(self) -> Any:
        if self._client is None:
            import boto3  # lazily: only a publishing RM pays for it
            from botocore.config import Config

            target = self.target
            self._client = boto3.session.Session(
                aws_access_key_id=target.access_key_id,
                aws_secret_access_key=target.secret_access_key,
                region_name=target.region_name,
            ).client(
                "cloudwatch",
                endpoint_url=target.region_url,
                config=Config(
                    connect_timeout=CONNECT_TIMEOUT_S,
                    read_timeout=READ_TIMEOUT_S,
                    retries={"max_attempts": 1},
                ),
            )
        return self._client

    def _put(self, data: list[dict[str, Any]]) -> None:
        self._cloudwatch().put_metric_data(Namespace=NAMESPACE, MetricData=data)

    async def _running_steps(self) -> int:
        target = self.target
        if not target.agent_url:
            return 0
        try:
            async with httpx.AsyncClient(timeout=CONNECT_TIMEOUT_S) as client:
                response = await client.get(
                    f"{target.agent_url}/v1/health",
                    headers={"Authorization": f"Bearer {target.agent_token}"},
                )
                response.raise_for_status()
                return AgentHealth.model_validate_json(response.content).running_steps
        except (httpx.HTTPError, ValueError) as exc:
            log.warning("the master's agent did not say which steps run: %s", exc)
            return 0

    async def publish_once(self) -> bool:
        """One PutMetricData; False (and a log line) when it failed."""
        running_steps = await self._running_steps()
        metrics, nodes = self._snapshot()  # on the loop: the scheduler is not thread-safe
        at = datetime.now(UTC)
        data = metric_data(metrics, nodes, self.target.cluster_id, at, running_steps)
        try:
            await asyncio.to_thread(self._put, data)
        except Exception as exc:
            log.warning("PutMetricData to %s failed: %s", self.target.region_url, exc)
            return False
        return True

    async def run(self) -> None:
        """Publish every period until cancelled."""
        while True:
            await asyncio.sleep(max(self.target.period_seconds, MIN_PERIOD_S))
            await self.publish_once()

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None
