"""Which daemons a node starts: by role, and the master's by the cluster's applications."""

from __future__ import annotations

from emr.nodes.agent.daemons import daemons_of
from emr.nodes.protocol import AgentConfig


def _config(role: str, applications: list[str]) -> AgentConfig:
    return AgentConfig.model_validate(
        {
            "cluster_id": "j-ABC",
            "instance_id": "i-0000",
            "role": role,
            "instance_type": "m5.xlarge",
            "private_ip": "127.16.2.1",
            "master_ip": "127.16.2.1",
            "nodes": {"i-0000": ("MASTER", "127.16.2.1")},
            "region_url": "http://127.0.0.1:4599",
            "region_name": "us-east-1",
            "token": "tok",
            "access_key_id": "AKIACLUSTER",
            "secret_access_key": "cluster-secret",
            "release_label": "emr-7.2.0",
            "applications": applications,
            "configurations": [],
            "memory_mb": 4096,
            "yarn_memory_mb": 3072,
            "vcores": 4,
        }
    )


def _names(role: str, applications: list[str]) -> list[str]:
    return [daemon.name for daemon in daemons_of(_config(role, applications))]


def test_a_master_with_spark_runs_the_history_server_once_hdfs_is_ready() -> None:
    names = _names("MASTER", ["Hadoop", "Spark"])
    assert names == [
        "namenode",
        "resourcemanager",
        "hdfs-ready",
        "yarn-ready",
        "spark-history-server",
    ]
    assert names.index("spark-history-server") > names.index("hdfs-ready")


def test_a_cluster_without_spark_starts_no_history_server() -> None:
    assert "spark-history-server" not in _names("MASTER", ["Hadoop"])
    assert "spark-history-server" not in _names("MASTER", [])
    for role in ("CORE", "TASK"):
        assert "spark-history-server" not in _names(role, ["Hadoop", "Spark"])
    assert _names("CORE", ["Spark"]) == ["datanode", "nodemanager"]
    assert _names("TASK", ["Spark"]) == ["nodemanager"]
