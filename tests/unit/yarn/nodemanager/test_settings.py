"""NodeManagerSettings from a node directory, and Hadoop's /ws/v1/node shapes."""

from __future__ import annotations

import json
from pathlib import Path

from emr.yarn.nodemanager.containers import AppRecord
from emr.yarn.nodemanager.settings import NodeManagerSettings
from emr.yarn.nodemanager.webservices import NodeFacts, apps_info, node_info


def _node(root: Path, role: str, site: dict[str, str]) -> Path:
    config = {
        "cluster_id": "j-1",
        "instance_id": "i-1",
        "role": role,
        "instance_type": "m5.xlarge",
        "private_ip": "127.16.0.3",
        "master_ip": "127.16.0.1",
        "nodes": {},
        "region_url": "http://127.0.0.1:4599",
        "region_name": "us-east-1",
        "token": "t",
        "access_key_id": "AKIA",
        "secret_access_key": "s",
        "release_label": "emr-7.0.0",
        "applications": [],
        "configurations": [],
        "memory_mb": 4096,
        "yarn_memory_mb": 3072,
        "vcores": 4,
    }
    (root / "conf").mkdir(parents=True)
    (root / "agent.json").write_text(json.dumps(config))
    xml = "".join(
        f"<property><name>{k}</name><value>{v}</value></property>" for k, v in site.items()
    )
    (root / "conf" / "yarn-site.xml").write_text(f"<configuration>{xml}</configuration>")
    return root


def test_defaults_from_agent_json(tmp_path: Path) -> None:
    settings = NodeManagerSettings.from_node_dir(_node(tmp_path, "CORE", {}))
    assert settings.node_id == "127.16.0.3:8041"
    assert settings.http_port == 8042
    assert settings.resourcemanager_url == "http://127.16.0.1:8088"
    assert (settings.memory_mb, settings.vcores, settings.label) == (3072, 4, "CORE")
    assert settings.heartbeat_seconds == 1.0
    assert settings.sigkill_delay_seconds == 0.25
    assert settings.local_dirs == (tmp_path / "data" / "yarn" / "local",)
    assert settings.log_dirs == (tmp_path / "logs" / "userlogs",)
    assert settings.environment["HADOOP_CONF_DIR"] == str(tmp_path / "conf")
    assert settings.environment["EMR_INSTANCE_ID"] == "i-1"


def test_yarn_site_overrides(tmp_path: Path) -> None:
    site = {
        "yarn.nodemanager.resource.memory-mb": "1024",
        "yarn.nodemanager.resource.cpu-vcores": "8",
        "yarn.nodemanager.webapp.address": "127.16.0.3:9042",
        "yarn.resourcemanager.webapp.address": "127.16.0.1:9088",
        "yarn.resourcemanager.nodemanagers.heartbeat-interval-ms": "500",
        "yarn.nodemanager.sleep-delay-before-sigkill.ms": "1000",
        "yarn.nodemanager.local-dirs": "/a,/b",
    }
    settings = NodeManagerSettings.from_node_dir(_node(tmp_path, "TASK", site))
    assert (settings.memory_mb, settings.vcores, settings.label) == (1024, 8, "")
    assert settings.http_port == 9042
    assert settings.resourcemanager_url == "http://127.16.0.1:9088"
    assert settings.heartbeat_seconds == 0.5
    assert settings.sigkill_delay_seconds == 1.0
    assert settings.local_dirs == (Path("/a"), Path("/b"))


def test_node_info_and_apps_shapes() -> None:
    facts = NodeFacts(
        node_id="127.16.0.3:8041",
        host="127.16.0.3",
        http_address="127.16.0.3:8042",
        memory_mb=3072,
        vcores=4,
        vmem_pmem_ratio=2.1,
        pmem_check=True,
        started_ms=1,
        last_update_ms=2,
    )
    info = node_info(facts)["nodeInfo"]
    assert info["id"] == "127.16.0.3:8041"
    assert info["totalPmemAllocatedContainersMB"] == 3072
    assert info["totalVmemAllocatedContainersMB"] == 6451
    assert info["nmStartupTime"] == 1 and info["lastNodeUpdateTime"] == 2
    assert apps_info([]) == {"apps": None}
    app = AppRecord("application_1_0001", "hadoop", ["container_1_0001_01_000001"])
    assert apps_info([app]) == {
        "apps": {
            "app": [
                {
                    "id": "application_1_0001",
                    "state": "RUNNING",
                    "user": "hadoop",
                    "containerids": ["container_1_0001_01_000001"],
                }
            ]
        }
    }
