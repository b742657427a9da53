"""Spark on the shared cluster's nodes: the History Server on the master, its event log
directory in HDFS, EMRFS's jar and the computed spark-defaults on every node."""

from __future__ import annotations

import subprocess

import httpx
import pytest

from tests.conftest import RunningServer, emr_command
from tests.integration.emr.conftest import SharedCluster

pytestmark = pytest.mark.integration


def ssh(
    region: RunningServer, cluster_id: str, *command: str, node: str | None = None
) -> subprocess.CompletedProcess[str]:
    """`emr ssh <cluster> [--node <instance>] -- <command>`."""
    where = ["--node", node] if node else []
    return emr_command(
        "ssh", "--data-dir", str(region.data_dir), cluster_id, *where, "--", *command,
        stdin=subprocess.DEVNULL,
    )  # fmt: skip


def _instance(shared_cluster: SharedCluster, role: str) -> str:
    listed = shared_cluster.emr.list_instances(
        ClusterId=shared_cluster.cluster_id, InstanceGroupTypes=[role]
    )
    return str(listed["Instances"][0]["Ec2InstanceId"])


def test_history_server_answers_on_the_master(shared_cluster: SharedCluster) -> None:
    cluster = shared_cluster.emr.describe_cluster(ClusterId=shared_cluster.cluster_id)["Cluster"]
    master_ip = cluster["MasterPublicDnsName"]
    response = httpx.get(f"http://{master_ip}:18080/api/v1/applications", timeout=30)
    assert response.status_code == 200
    assert isinstance(response.json(), list)


def test_event_log_directory_is_world_writable_and_sticky(
    region: RunningServer, shared_cluster: SharedCluster
) -> None:
    listed = ssh(region, shared_cluster.cluster_id, "hdfs", "dfs", "-ls", "/var/log/spark")
    assert listed.returncode == 0, listed.stderr
    (line,) = [line for line in listed.stdout.splitlines() if line.endswith("/var/log/spark/apps")]
    assert line.startswith("drwxrwxrwt"), line
    assert line.split()[2:4] == ["spark", "spark"], line


def test_emrfs_jar_is_on_a_core_node(region: RunningServer, shared_cluster: SharedCluster) -> None:
    core = _instance(shared_cluster, "CORE")
    found = ssh(
        region, shared_cluster.cluster_id, "bash", "-c",
        'test -s "$EMR_NODE_DIR/lib/emrfs.jar" && python -m zipfile -l "$EMR_NODE_DIR/lib/emrfs.jar"',
        node=core,
    )  # fmt: skip
    assert found.returncode == 0, found.stderr
    assert "emr/hadoop/fs/" in found.stdout
    env = ssh(
        region, shared_cluster.cluster_id, "bash", "-c", 'cat "$SPARK_CONF_DIR/spark-env.sh"',
        node=core,
    )  # fmt: skip
    assert env.returncode == 0, env.stderr
    assert "export SPARK_DIST_CLASSPATH=" in env.stdout and "/lib/emrfs.jar" in env.stdout


def test_spark_defaults_hold_the_computed_executor_sizes(
    region: RunningServer, shared_cluster: SharedCluster
) -> None:
    shown = ssh(
        region, shared_cluster.cluster_id, "bash", "-c", 'cat "$SPARK_CONF_DIR/spark-defaults.conf"'
    )
    assert shown.returncode == 0, shown.stderr
    defaults = dict(line.split(" ", 1) for line in shown.stdout.splitlines() if line.strip())
    # m5.xlarge core nodes: 3072 MB and 4 vcores for YARN.
    assert defaults["spark.executor.memory"] == "896m"
    assert defaults["spark.executor.cores"] == "2"
    assert defaults["spark.driver.memory"] == "512m"
    assert defaults["spark.dynamicAllocation.enabled"] == "false"
    assert defaults["spark.hadoop.mapreduce.fileoutputcommitter.algorithm.version"] == "1"
