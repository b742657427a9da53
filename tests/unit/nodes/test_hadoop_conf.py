"""Configuration files of a node: EMR's defaults, overridden by Configurations classifications."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import PurePosixPath

import pytest

from emr.nodes.hadoop_conf import NodeFacts, dfs_replication, render_conf

FACTS = NodeFacts(
    master_ip="127.16.1.1",
    node_ip="127.16.1.3",
    core_nodes=2,
    yarn_memory_mb=3072,
    vcores=4,
    node_dir=PurePosixPath("/nodes/j-1/i-3"),
)


def _site(text: str) -> dict[str, str]:
    root = ET.fromstring(text)
    assert root.tag == "configuration"
    return {p.findtext("name", ""): p.findtext("value", "") for p in root.iter("property")}


def _spark_defaults(text: str) -> dict[str, str]:
    pairs = (line.split(" ", 1) for line in text.splitlines() if line.strip())
    return {key: value for key, value in pairs}


@pytest.mark.parametrize(
    ("core_nodes", "replication"), [(0, 1), (1, 1), (3, 1), (4, 2), (9, 2), (10, 3), (50, 3)]
)
def test_dfs_replication_follows_emr(core_nodes: int, replication: int) -> None:
    assert dfs_replication(core_nodes) == replication


def test_defaults_point_every_client_at_the_master_and_the_node() -> None:
    files = render_conf(FACTS, [])
    assert set(files) == {
        "core-site.xml",
        "hdfs-site.xml",
        "yarn-site.xml",
        "capacity-scheduler.xml",
        "mapred-site.xml",
        "spark-defaults.conf",
        "spark-env.sh",
    }
    core = _site(files["core-site.xml"])
    assert core["fs.defaultFS"] == "hdfs://127.16.1.1:8020"
    # hdfs:// through WebHDFS (pyspark's Hadoop client has no HDFS RPC client); the NameNode
    # serves WebHDFS on the fs.defaultFS port.
    assert core["fs.hdfs.impl"] == "org.apache.hadoop.hdfs.web.WebHdfsFileSystem"
    assert core["fs.AbstractFileSystem.hdfs.impl"] == "emr.hadoop.fs.WebHdfsAbstractFileSystem"
    for scheme in ("s3", "s3a", "s3n"):
        assert core[f"fs.{scheme}.impl"] == "emr.hadoop.fs.S3FileSystem"
        assert core[f"fs.AbstractFileSystem.{scheme}.impl"] == "emr.hadoop.fs.S3AbstractFileSystem"
    hdfs = _site(files["hdfs-site.xml"])
    assert hdfs["dfs.replication"] == "1"
    assert hdfs["dfs.namenode.rpc-address"] == "127.16.1.1:8020"
    assert hdfs["dfs.namenode.http-address"] == "127.16.1.1:9870"
    assert hdfs["dfs.datanode.address"] == "127.16.1.3:9866"
    assert hdfs["dfs.datanode.http.address"] == "127.16.1.3:9864"
    yarn = _site(files["yarn-site.xml"])
    assert yarn["yarn.resourcemanager.hostname"] == "127.16.1.1"
    assert yarn["yarn.resourcemanager.webapp.address"] == "127.16.1.1:8088"
    assert yarn["yarn.nodemanager.resource.memory-mb"] == "3072"
    assert yarn["yarn.nodemanager.resource.cpu-vcores"] == "4"
    assert yarn["yarn.nodemanager.address"].startswith("127.16.1.3:")
    assert yarn["yarn.nodemanager.webapp.address"] == "127.16.1.3:8042"
    assert yarn["yarn.nodemanager.local-dirs"] == "/nodes/j-1/i-3/data/yarn/local"
    assert _site(files["mapred-site.xml"])["mapreduce.shuffle.port"] == "13562"
    scheduler = _site(files["capacity-scheduler.xml"])
    assert scheduler["yarn.scheduler.capacity.root.queues"] == "default"
    spark = _spark_defaults(files["spark-defaults.conf"])
    assert spark["spark.master"] == "yarn"
    assert spark["spark.yarn.historyServer.address"] == "127.16.1.1:18080"
    assert spark["spark.executor.memory"] == "896m"
    env = files["spark-env.sh"].splitlines()
    assert "export HADOOP_CONF_DIR=/nodes/j-1/i-3/conf" in env
    assert "export SPARK_DIST_CLASSPATH=/nodes/j-1/i-3/lib/emrfs.jar" in env
    assert "export SPARK_LOCAL_IP=127.16.1.3" in env
    assert "export SPARK_LOCAL_HOSTNAME=127.16.1.3" in env
    assert not any("SPARK_DAEMON_MEMORY" in line for line in env)
    # EMRFS reads the node's AWS_* variables: no credentials in any file.
    assert not any("AWS" in text or "secret" in text.lower() for text in files.values())


def test_spark_sizes_follow_the_core_group() -> None:
    master = NodeFacts(
        master_ip="127.16.1.1",
        node_ip="127.16.1.1",
        core_nodes=2,
        yarn_memory_mb=12288,
        vcores=8,
        node_dir=PurePosixPath("/nodes/j-1/i-1"),
        core_yarn_memory_mb=3072,
        core_vcores=4,
        python=PurePosixPath("/venv/bin/python3.11"),
    )
    files = render_conf(master, [])
    spark = _spark_defaults(files["spark-defaults.conf"])
    assert spark["spark.executor.memory"] == "896m"
    assert spark["spark.executor.cores"] == "2"
    assert spark["spark.driver.memory"] == "512m"
    assert "export PYSPARK_PYTHON=/venv/bin/python3.11" in files["spark-env.sh"].splitlines()


def test_maximize_resource_allocation_under_spark_defaults() -> None:
    maximize = {"Classification": "spark", "Properties": {"maximizeResourceAllocation": "true"}}
    spark = _spark_defaults(render_conf(FACTS, [maximize])["spark-defaults.conf"])
    assert spark["spark.executor.instances"] == "2"
    assert spark["spark.executor.cores"] == "4"
    assert spark["spark.executor.memory"] == "2432m"
    assert spark["spark.default.parallelism"] == "16"
    overridden = {"Classification": "spark-defaults", "Properties": {"spark.executor.cores": "3"}}
    for configurations in ([maximize, overridden], [overridden, maximize]):
        spark = _spark_defaults(render_conf(FACTS, configurations)["spark-defaults.conf"])
        assert spark["spark.executor.cores"] == "3"
        assert spark["spark.executor.memory"] == "2432m"


def test_classifications_override_defaults_in_order() -> None:
    configurations: list[dict[str, object]] = [
        {"Classification": "core-site", "Properties": {"io.file.buffer.size": "65536"}},
        {"Classification": "hdfs-site", "Properties": {"dfs.replication": "2"}},
        {"Classification": "hdfs-site", "Properties": {"dfs.replication": "3"}},
        {
            "Classification": "yarn-site",
            "Properties": {"yarn.nodemanager.resource.memory-mb": "2048"},
        },
        {
            "Classification": "capacity-scheduler",
            "Properties": {"yarn.scheduler.capacity.root.queues": "default,etl"},
        },
        {"Classification": "mapred-site", "Properties": {"mapreduce.map.memory.mb": "1024"}},
        {
            "Classification": "spark-defaults",
            "Properties": {"spark.executor.memory": "512m", "spark.master": "local[2]"},
        },
        {
            "Classification": "spark-env",
            "Properties": {},
            "Configurations": [
                {
                    "Classification": "export",
                    "Properties": {"PYSPARK_PYTHON": "/usr/bin/python3", "EXTRA": "$HOME/x"},
                }
            ],
        },
        {"Classification": "hive-site", "Properties": {"hive.x": "1"}},
        {"Classification": "spark", "Properties": {"maximizeResourceAllocation": "true"}},
    ]
    files = render_conf(FACTS, configurations)
    core = _site(files["core-site.xml"])
    assert core["io.file.buffer.size"] == "65536"
    assert core["fs.defaultFS"] == "hdfs://127.16.1.1:8020"
    assert _site(files["hdfs-site.xml"])["dfs.replication"] == "3"
    assert _site(files["yarn-site.xml"])["yarn.nodemanager.resource.memory-mb"] == "2048"
    queues = _site(files["capacity-scheduler.xml"])["yarn.scheduler.capacity.root.queues"]
    assert queues == "default,etl"
    assert _site(files["mapred-site.xml"])["mapreduce.map.memory.mb"] == "1024"
    spark = _spark_defaults(files["spark-defaults.conf"])
    assert spark["spark.executor.memory"] == "512m"
    assert spark["spark.master"] == "local[2]"
    env = files["spark-env.sh"].splitlines()
    assert env[0] == "#!/usr/bin/env bash"
    assert "export PYSPARK_PYTHON=/usr/bin/python3" in env
    assert "export EXTRA=$HOME/x" in env  # user exports are written as given, like EMR
    assert not any("hive" in text for text in files.values())
    assert not any("maximizeResourceAllocation" in text for text in files.values())


def test_values_are_escaped_in_xml() -> None:
    files = render_conf(
        FACTS,
        [{"Classification": "core-site", "Properties": {"a.b": "x < y & <z>", "n": 5}}],
    )
    core = _site(files["core-site.xml"])
    assert core["a.b"] == "x < y & <z>"
    assert core["n"] == "5"


def test_malformed_configurations_are_ignored() -> None:
    files = render_conf(
        FACTS,
        [
            {"Classification": "core-site"},
            {"Classification": "core-site", "Properties": "not a map"},
            {"Properties": {"x": "y"}},
            {"Classification": "spark-env", "Configurations": "nope"},
            {"Classification": "spark-env", "Configurations": [{"Classification": "other"}]},
        ],
    )
    assert files == render_conf(FACTS, [])
