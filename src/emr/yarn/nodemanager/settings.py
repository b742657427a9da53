"""A NodeManager's settings: agent.json, conf/yarn-site.xml (and mapred-site.xml's
mapreduce.shuffle.port) of its node, and the flags."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from emr.hdfs.site import read_site_xml
from emr.nodes.hadoop_conf import (
    NODEMANAGER_PORT,
    NODEMANAGER_WEBAPP_PORT,
    RESOURCEMANAGER_WEBAPP_PORT,
)
from emr.nodes.layout import NodeLayout, node_environment
from emr.nodes.protocol import AgentConfig
from emr.yarn.nodemanager.shuffle import SHUFFLE_PORT, shuffle_port

__all__ = ["NodeManagerSettings"]

#: yarn.nodemanager.sleep-delay-before-sigkill.ms's default.
SIGKILL_DELAY_MS: Final = 250


def _port(address: str, default: int) -> int:
    _, sep, port = address.rpartition(":")
    return int(port) if sep and port.isdigit() else default


@dataclass(frozen=True)
class NodeManagerSettings:
    """Everything the daemon needs to know before it starts."""

    node_dir: Path
    config: AgentConfig
    #: The address the web app binds and advertises (the node's private_ip).
    host: str
    #: `<ip>:<yarn.nodemanager.address port>`, 8041 by default.
    node_id: str
    #: yarn.nodemanager.webapp.address's port, 8042 by default.
    http_port: int
    resourcemanager_url: str
    memory_mb: int
    vcores: int
    #: "CORE" on core nodes, "" on task nodes.
    label: str
    heartbeat_seconds: float
    monitor_seconds: float
    sigkill_delay_seconds: float
    pmem_check: bool
    vmem_pmem_ratio: float
    local_dirs: tuple[Path, ...]
    log_dirs: tuple[Path, ...]
    #: mapreduce.shuffle.port (mapred-site.xml; 13562): the shuffle service's; 0 = any free.
    shuffle_port: int = SHUFFLE_PORT
    #: The node's environment (PATH, HADOOP_CONF_DIR, credentials, EMR_INSTANCE_ID …).
    environment: dict[str, str] = field(repr=False, default_factory=dict)

    @property
    def log_root(self) -> Path:
        return self.log_dirs[0]

    @property
    def local_root(self) -> Path:
        return self.local_dirs[0]

    @classmethod
    def from_node_dir(
        cls,
        node_dir: Path,
        *,
        bind: str | None = None,
        resourcemanager_url: str | None = None,
        heartbeat_seconds: float | None = None,
    ) -> NodeManagerSettings:
        layout = NodeLayout(node_dir)
        config = layout.read_config()
        site = read_site_xml(layout.conf / "yarn-site.xml")
        host = bind or config.private_ip
        node_port = _port(site.get("yarn.nodemanager.address", ""), NODEMANAGER_PORT)
        if heartbeat_seconds is None:
            heartbeat_ms = site.get("yarn.resourcemanager.nodemanagers.heartbeat-interval-ms")
            heartbeat_seconds = int(heartbeat_ms) / 1000 if heartbeat_ms else 1.0
        rm_address = site.get(
            "yarn.resourcemanager.webapp.address",
            f"{config.master_ip}:{RESOURCEMANAGER_WEBAPP_PORT}",
        )

        def dirs(key: str, default: Path) -> tuple[Path, ...]:
            value = site.get(key, "")
            paths = [Path(p.strip().removeprefix("file://")) for p in value.split(",") if p.strip()]
            return tuple(paths) or (default,)

        return cls(
            node_dir=node_dir,
            config=config,
            host=host,
            node_id=f"{host}:{node_port}",
            http_port=_port(
                site.get("yarn.nodemanager.webapp.address", ""), NODEMANAGER_WEBAPP_PORT
            ),
            resourcemanager_url=resourcemanager_url or f"http://{rm_address}",
            memory_mb=int(site.get("yarn.nodemanager.resource.memory-mb", config.yarn_memory_mb)),
            vcores=int(site.get("yarn.nodemanager.resource.cpu-vcores", config.vcores)),
            label="CORE" if config.role == "CORE" else "",
            heartbeat_seconds=heartbeat_seconds,
            monitor_seconds=int(site.get("yarn.nodemanager.container-monitor.interval-ms", 1000))
            / 1000,
            sigkill_delay_seconds=int(
                site.get("yarn.nodemanager.sleep-delay-before-sigkill.ms", SIGKILL_DELAY_MS)
            )
            / 1000,
            pmem_check=site.get("yarn.nodemanager.pmem-check-enabled", "true").lower() == "true",
            vmem_pmem_ratio=float(site.get("yarn.nodemanager.vmem-pmem-ratio", "2.1")),
            local_dirs=dirs("yarn.nodemanager.local-dirs", layout.data / "yarn" / "local"),
            log_dirs=dirs("yarn.nodemanager.log-dirs", layout.logs / "userlogs"),
            shuffle_port=shuffle_port(layout.conf),
            environment=node_environment(layout, config, os.environ),
        )
