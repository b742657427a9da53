"""The ResourceManager's settings: agent.json, conf/yarn-site.xml and conf/capacity-scheduler.xml
of the master node's directory, read once at start (Hadoop's property names)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from emr.hdfs.site import read_site_xml
from emr.yarn.queues import PREFIX, CapacitySchedulerConfig, emr_default_properties
from emr.yarn.resourcemanager.metrics import DEFAULT_PERIOD_S, PERIOD_KEY, MetricsTarget
from emr.yarn.resources import Resource
from emr.yarn.scheduler import SchedulerSettings

__all__ = ["ResourceManagerSettings"]

#: yarn.nm.liveness-monitor.expiry-interval-ms: ours is 10 s (Hadoop's 10 min is for racks of
#: real machines; our NodeManagers share one host and heartbeat every second).
NM_EXPIRY_MS: Final = 10_000
#: yarn.am.liveness-monitor.expiry-interval-ms: ours is 60 s (Hadoop: 10 min); an AM that
#: dies is noticed sooner through its container's exit, this catches hung ones.
AM_EXPIRY_MS: Final = 60_000
#: yarn.resourcemanager.am.max-attempts (Hadoop's and EMR's default).
MAX_ATTEMPTS: Final = 2
#: yarn.resourcemanager.max-completed-applications (Hadoop 3's default).
MAX_COMPLETED: Final = 1000


def _resource(site: Mapping[str, str], key: str, default: Resource) -> Resource:
    return Resource(
        int(site.get(f"{key}-mb", default.memory_mb)),
        int(site.get(f"{key}-vcores", default.vcores)),
    )


@dataclass(frozen=True)
class ResourceManagerSettings:
    """Everything the daemon needs, from the node directory and the command line."""

    token: str
    #: The address NodeManagers and AMs are told to reach the RM at (master_ip).
    advertised_host: str
    scheduler: SchedulerSettings = field(default_factory=SchedulerSettings)
    nm_expiry_seconds: float = NM_EXPIRY_MS / 1000
    am_expiry_seconds: float = AM_EXPIRY_MS / 1000
    max_attempts: int = MAX_ATTEMPTS
    #: Ended applications the RM keeps reporting (older ones are forgotten).
    max_completed_applications: int = MAX_COMPLETED
    #: Core and task nodes of the cluster: the NodeManagers WAITING waits for.
    expected_nodemanagers: int = 0
    tick_seconds: float = 1.0
    #: Where EMR's metrics go (the region's CloudWatch); None: not published.
    metrics: MetricsTarget | None = None

    @classmethod
    def from_node_dir(cls, node_dir: Path, *, tick_seconds: float = 1.0) -> ResourceManagerSettings:
        from emr.nodes.protocol import AGENT_CONFIG_FILE, AgentConfig

        config = AgentConfig.model_validate_json((node_dir / AGENT_CONFIG_FILE).read_bytes())
        conf = node_dir / "conf"
        site = read_site_xml(conf / "yarn-site.xml")
        capacity = read_site_xml(conf / "capacity-scheduler.xml")
        if not any(key.startswith(PREFIX) for key in capacity):
            capacity = emr_default_properties()
        defaults = SchedulerSettings()
        scheduler = SchedulerSettings(
            capacity=CapacitySchedulerConfig.from_properties(capacity),
            minimum_allocation=_resource(
                site, "yarn.scheduler.minimum-allocation", defaults.minimum_allocation
            ),
            maximum_allocation=_resource(
                site, "yarn.scheduler.maximum-allocation", defaults.maximum_allocation
            ),
            am_default_label=site.get(
                "yarn.node-labels.am.default-node-label-expression", defaults.am_default_label
            ),
        )
        workers = sum(1 for role, _ in config.nodes.values() if role in ("CORE", "TASK"))
        return cls(
            token=config.token,
            advertised_host=config.master_ip,
            scheduler=scheduler,
            nm_expiry_seconds=int(
                site.get("yarn.nm.liveness-monitor.expiry-interval-ms", NM_EXPIRY_MS)
            )
            / 1000,
            am_expiry_seconds=int(
                site.get("yarn.am.liveness-monitor.expiry-interval-ms", AM_EXPIRY_MS)
            )
            / 1000,
            max_attempts=max(
                int(site.get("yarn.resourcemanager.am.max-attempts", MAX_ATTEMPTS)), 1
            ),
            max_completed_applications=int(
                site.get("yarn.resourcemanager.max-completed-applications", MAX_COMPLETED)
            ),
            expected_nodemanagers=workers,
            tick_seconds=tick_seconds,
            metrics=MetricsTarget(
                cluster_id=config.cluster_id,
                region_url=config.region_url,
                region_name=config.region_name,
                access_key_id=config.access_key_id,
                secret_access_key=config.secret_access_key,
                period_seconds=float(site.get(PERIOD_KEY, DEFAULT_PERIOD_S)),
                agent_url=f"http://{config.master_ip}:{config.agent_port}",
                agent_token=config.token,
            ),
        )
