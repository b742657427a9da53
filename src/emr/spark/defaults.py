"""EMR-like Spark defaults: spark-defaults.conf and spark-env.sh of a node (pure: facts in,
properties out), sized from the CORE instance group's node as EMR sizes them from the core
instance type.

Default sizes, for a core node with YARN memory Y and V vcores (a cluster without a core group
sizes from its master):

- an executor container is half a core node (Y // 2); `spark.executor.memory` is the largest
  heap whose container (sizes.executor_container_mb: heap + overhead + the standalone Worker)
  fits in it, never below sizes.MIN_EXECUTOR_MB; `spark.executor.cores` = max(1, V // 2);
- `spark.driver.memory` is 512m below 8 GiB of YARN memory, else 1g;
- the executor container is also kept at most Y minus the cluster-mode AM container
  (sizes.am_container_mb of that driver), so a cluster-mode application's AM and its first
  executor fit on one core node. For m5.xlarge (Y = 3072, V = 4): executor 896m in a 1536 MB
  container, 2 cores; driver 512m, AM container 1280 MB; 1536 + 1280 ≤ 3072. Below
  2432 MB (AM 1280 + the smallest executor container 1152) no size can do that: executors keep
  Spark's minimum and the AM needs a node of its own.

maximizeResourceAllocation (the `spark` classification, `{"maximizeResourceAllocation":
"true"}`, EMR's spelling): one executor per core node that takes the whole node —
`spark.executor.instances` = core nodes, `spark.executor.cores` = V, `spark.executor.memory` =
the largest heap whose container fits Y, `spark.default.parallelism` = 2 * instances * cores.
As on EMR, such an executor leaves no room for an AM beside it: the AM takes a node (or a task
node) and that node's executor waits. A `spark-defaults` classification still overrides every
value here (Configurations are applied after the defaults).

Why `spark.dynamicAllocation.enabled false` (EMR turns it on): an application's executors are
YARN containers its AM asks for once, each running a standalone Worker sized to its grant (see
emr.spark); there is no external shuffle service that would let executors go away and come
back, so the executor count is fixed per application (`spark.executor.instances`,
`--num-executors`).

Why FileOutputCommitter algorithm 1: on S3 a rename is copy + delete, and v2 moves task output
into the destination as each task commits, so a failed job leaves partial output; v1 moves it
once, at job commit.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import PurePath
from typing import Final

from emr.spark.emrfs import EMRFS_JAR_NAME
from emr.spark.sizes import (
    MIN_DRIVER_MB,
    MIN_EXECUTOR_MB,
    am_container_mb,
    executor_container_mb,
    format_mb,
)

__all__ = [
    "EVENT_LOG_DIR",
    "SPARK_CLASSIFICATION",
    "SPARK_HISTORY_PORT",
    "CoreNode",
    "driver_memory_mb",
    "executor_memory_mb",
    "largest_executor_mb",
    "maximize_resource_allocation",
    "spark_defaults",
    "spark_env",
]

SPARK_HISTORY_PORT: Final = 18080
#: Where applications write event logs and the History Server reads them (as on EMR).
EVENT_LOG_DIR: Final = "/var/log/spark/apps"
#: EMR's `spark` classification: Properties that are not a file (maximizeResourceAllocation).
SPARK_CLASSIFICATION: Final = "spark"
#: Below this much YARN memory on a core node the driver gets 512m, else 1g.
_LARGE_NODE_MB: Final = 8192
_LARGE_DRIVER_MB: Final = 1024


@dataclass(frozen=True, slots=True)
class CoreNode:
    """The CORE instance group's node as Spark sizes itself from it (count: how many)."""

    count: int
    yarn_memory_mb: int
    vcores: int


def largest_executor_mb(container_mb: int) -> int:
    """The largest executor heap whose container (sizes.executor_container_mb) fits in
    `container_mb`; at least MIN_EXECUTOR_MB even when that does not fit."""
    # Overhead is max(384, 10 %): try the flat case, then the proportional one.
    heap = container_mb - executor_container_mb(0)
    if executor_container_mb(heap) > container_mb:
        heap = int((container_mb - executor_container_mb(0) + 384) / 1.1)
        while heap > 0 and executor_container_mb(heap) > container_mb:
            heap -= 1
        while executor_container_mb(heap + 1) <= container_mb:
            heap += 1
    return max(MIN_EXECUTOR_MB, heap)


def driver_memory_mb(core_yarn_memory_mb: int) -> int:
    """spark.driver.memory: 512m on nodes with less than 8 GiB of YARN memory, else 1g."""
    return MIN_DRIVER_MB if core_yarn_memory_mb < _LARGE_NODE_MB else _LARGE_DRIVER_MB


def executor_memory_mb(core_yarn_memory_mb: int) -> int:
    """spark.executor.memory: the heap of half a core node's container, leaving room for the
    cluster-mode AM beside it."""
    am_mb = am_container_mb(driver_memory_mb(core_yarn_memory_mb))
    budget = min(core_yarn_memory_mb // 2, core_yarn_memory_mb - am_mb)
    return largest_executor_mb(budget)


def maximize_resource_allocation(configurations: Sequence[Mapping[str, object]]) -> bool:
    """Whether the `spark` classification asks for maximizeResourceAllocation (last wins)."""
    enabled = False
    for configuration in configurations:
        if configuration.get("Classification") != SPARK_CLASSIFICATION:
            continue
        properties = configuration.get("Properties")
        if isinstance(properties, Mapping) and "maximizeResourceAllocation" in properties:
            enabled = str(properties["maximizeResourceAllocation"]).strip().lower() == "true"
    return enabled


def spark_defaults(master_ip: str, core: CoreNode, *, maximize: bool = False) -> dict[str, str]:
    """spark-defaults.conf's defaults for a cluster whose master is `master_ip`."""
    event_logs = f"hdfs://{EVENT_LOG_DIR}"
    properties = {
        "spark.master": "yarn",
        "spark.submit.deployMode": "client",
        "spark.eventLog.enabled": "true",
        "spark.eventLog.dir": event_logs,
        "spark.history.fs.logDirectory": event_logs,
        "spark.history.fs.update.interval": "5s",
        "spark.history.ui.port": str(SPARK_HISTORY_PORT),
        "spark.yarn.historyServer.address": f"{master_ip}:{SPARK_HISTORY_PORT}",
        "spark.hadoop.mapreduce.fileoutputcommitter.algorithm.version": "1",
        "spark.dynamicAllocation.enabled": "false",
        "spark.driver.memory": format_mb(driver_memory_mb(core.yarn_memory_mb)),
        "spark.executor.memory": format_mb(executor_memory_mb(core.yarn_memory_mb)),
        "spark.executor.cores": str(max(1, core.vcores // 2)),
    }
    if maximize:
        instances, cores = max(1, core.count), max(1, core.vcores)
        properties.update(
            {
                "spark.executor.instances": str(instances),
                "spark.executor.cores": str(cores),
                "spark.executor.memory": format_mb(largest_executor_mb(core.yarn_memory_mb)),
                "spark.default.parallelism": str(2 * instances * cores),
            }
        )
    return properties


def spark_env(node_dir: PurePath, node_ip: str, python: PurePath) -> dict[str, str]:
    """spark-env.sh's defaults. No credentials: EMRFS reads the node's AWS_* variables."""
    conf, logs = node_dir / "conf", node_dir / "logs"
    return {
        "HADOOP_CONF_DIR": str(conf),
        "YARN_CONF_DIR": str(conf),
        # Every spark-class JVM (driver, Master, Worker, its executors, History Server).
        "SPARK_DIST_CLASSPATH": str(node_dir / "lib" / EMRFS_JAR_NAME),
        # Nothing binds a public interface, and URLs carry the node's IP.
        "SPARK_LOCAL_IP": node_ip,
        "SPARK_LOCAL_HOSTNAME": node_ip,
        # Executors' Python workers need pyspark, which emr's environment has.
        "PYSPARK_PYTHON": str(python),
        "SPARK_LOG_DIR": str(logs / "spark"),
    }
