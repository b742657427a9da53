"""Spark's EMR-like defaults, sized from the core group's node."""

from __future__ import annotations

from pathlib import PurePosixPath

import pytest

from emr.spark.defaults import (
    CoreNode,
    driver_memory_mb,
    executor_memory_mb,
    largest_executor_mb,
    maximize_resource_allocation,
    spark_defaults,
    spark_env,
)
from emr.spark.sizes import (
    MIN_EXECUTOR_MB,
    am_container_mb,
    executor_container_mb,
    parse_mb,
)

M5_XLARGE = CoreNode(count=2, yarn_memory_mb=3072, vcores=4)


def test_m5_xlarge_core_nodes() -> None:
    spark = spark_defaults("127.16.1.1", M5_XLARGE)
    assert spark["spark.executor.memory"] == "896m"
    assert spark["spark.executor.cores"] == "2"
    assert spark["spark.driver.memory"] == "512m"
    assert spark["spark.dynamicAllocation.enabled"] == "false"
    assert spark["spark.hadoop.mapreduce.fileoutputcommitter.algorithm.version"] == "1"
    assert spark["spark.history.fs.update.interval"] == "5s"
    assert spark["spark.eventLog.dir"] == "hdfs:///var/log/spark/apps"
    assert spark["spark.history.fs.logDirectory"] == "hdfs:///var/log/spark/apps"
    assert spark["spark.yarn.historyServer.address"] == "127.16.1.1:18080"
    assert "spark.executor.instances" not in spark
    assert "spark.default.parallelism" not in spark
    # Half a node per executor container, and the cluster-mode AM fits beside one.
    assert executor_container_mb(896) == 1536
    assert executor_container_mb(896) + am_container_mb(512) <= 3072


@pytest.mark.parametrize("yarn_mb", [2560, 3072, 4096, 6144, 8192, 12288, 24576, 57344, 253952])
def test_an_am_and_an_executor_fit_on_one_core_node(yarn_mb: int) -> None:
    executor = executor_memory_mb(yarn_mb)
    driver = driver_memory_mb(yarn_mb)
    assert executor_container_mb(executor) <= yarn_mb // 2
    assert executor_container_mb(executor) + am_container_mb(driver) <= yarn_mb
    # The largest such heap: one MB more would not fit in half the node.
    assert executor_container_mb(executor + 1) > yarn_mb // 2


def test_driver_memory_follows_the_node_size() -> None:
    assert driver_memory_mb(3072) == 512
    assert driver_memory_mb(8191) == 512
    assert driver_memory_mb(8192) == 1024


def test_executors_never_go_below_sparks_minimum() -> None:
    assert executor_memory_mb(1024) == MIN_EXECUTOR_MB
    assert largest_executor_mb(100) == MIN_EXECUTOR_MB
    assert spark_defaults("m", CoreNode(1, 1024, 1))["spark.executor.cores"] == "1"


@pytest.mark.parametrize("container_mb", [1152, 1536, 3072, 4480, 4481, 5000, 65536])
def test_largest_executor_fills_its_container(container_mb: int) -> None:
    heap = largest_executor_mb(container_mb)
    assert executor_container_mb(heap) <= container_mb < executor_container_mb(heap + 1)


def test_maximize_resource_allocation() -> None:
    spark = spark_defaults("127.16.1.1", M5_XLARGE, maximize=True)
    assert spark["spark.executor.instances"] == "2"
    assert spark["spark.executor.cores"] == "4"
    assert spark["spark.executor.memory"] == "2432m"
    assert executor_container_mb(parse_mb(spark["spark.executor.memory"])) == 3072
    assert spark["spark.default.parallelism"] == "16"
    assert spark["spark.driver.memory"] == "512m"
    # A cluster without core nodes still runs one executor.
    alone = spark_defaults("m", CoreNode(0, 3072, 4), maximize=True)
    assert alone["spark.executor.instances"] == "1"
    assert alone["spark.default.parallelism"] == "8"


def test_maximize_is_read_from_the_spark_classification() -> None:
    def spark(value: object) -> dict[str, object]:
        return {"Classification": "spark", "Properties": {"maximizeResourceAllocation": value}}

    assert maximize_resource_allocation([spark("true")])
    assert maximize_resource_allocation([spark("TRUE")])
    assert not maximize_resource_allocation([spark("false")])
    assert not maximize_resource_allocation([spark("true"), spark("false")])
    assert not maximize_resource_allocation([])
    assert not maximize_resource_allocation(
        [{"Classification": "spark-defaults", "Properties": {"maximizeResourceAllocation": "true"}}]
    )
    assert not maximize_resource_allocation([{"Classification": "spark", "Properties": "x"}])


def test_spark_env() -> None:
    env = spark_env(PurePosixPath("/n"), "127.16.1.3", PurePosixPath("/venv/bin/python3"))
    assert env == {
        "HADOOP_CONF_DIR": "/n/conf",
        "YARN_CONF_DIR": "/n/conf",
        "SPARK_DIST_CLASSPATH": "/n/lib/emrfs.jar",
        "SPARK_LOCAL_IP": "127.16.1.3",
        "SPARK_LOCAL_HOSTNAME": "127.16.1.3",
        "PYSPARK_PYTHON": "/venv/bin/python3",
        "SPARK_LOG_DIR": "/n/logs/spark",
    }
