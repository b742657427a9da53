"""A node's Hadoop and Spark configuration files: EMR-like defaults, then the cluster's
Configurations classifications on top (pure: facts in, file texts out).

EMR lets RunJobFlow override each file through a classification named after it
(`core-site`, `hdfs-site`, `yarn-site`, `capacity-scheduler`, `mapred-site`,
`spark-defaults`); `spark-env` carries its variables in a nested `export` classification.
Later configurations win over earlier ones and over the defaults; classifications this
platform does not generate a file for are ignored (EMR knows many more), except `spark`, whose
`maximizeResourceAllocation` changes the spark-defaults (emr.spark.defaults).
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import PurePath
from typing import Final
from xml.sax.saxutils import escape

from emr.hdfs.ports import (
    DATANODE_HTTP_PORT,
    DATANODE_IPC_PORT,
    DATANODE_PORT,
    NAMENODE_HTTP_PORT,
    NAMENODE_RPC_PORT,
)
from emr.spark.defaults import (
    SPARK_HISTORY_PORT,
    CoreNode,
    maximize_resource_allocation,
    spark_defaults,
    spark_env,
)
from emr.spark.emrfs import WEBHDFS_ABSTRACT_FILE_SYSTEM
from emr.spark.emrfs import hadoop_properties as emrfs_hadoop_properties

__all__ = [
    "CONF_FILES",
    "SPARK_HISTORY_PORT",
    "NodeFacts",
    "default_properties",
    "dfs_replication",
    "mapreduce_memory",
    "merge_configurations",
    "render_conf",
    "render_env_sh",
    "render_site_xml",
    "render_spark_defaults",
]

RESOURCEMANAGER_PORT: Final = 8032
SCHEDULER_PORT: Final = 8030
RESOURCE_TRACKER_PORT: Final = 8031
RESOURCEMANAGER_WEBAPP_PORT: Final = 8088
NODEMANAGER_PORT: Final = 8041
NODEMANAGER_WEBAPP_PORT: Final = 8042
NODEMANAGER_LOCALIZER_PORT: Final = 8040
SHUFFLE_PORT: Final = 13562
JOBHISTORY_PORT: Final = 10020
JOBHISTORY_WEBAPP_PORT: Final = 19888
WEBHDFS_FILE_SYSTEM: Final = "org.apache.hadoop.hdfs.web.WebHdfsFileSystem"

#: Classification → the file it overrides in conf/ (spark-env is handled on its own).
CONF_FILES: Final[dict[str, str]] = {
    "core-site": "core-site.xml",
    "hdfs-site": "hdfs-site.xml",
    "yarn-site": "yarn-site.xml",
    "capacity-scheduler": "capacity-scheduler.xml",
    "mapred-site": "mapred-site.xml",
    "spark-defaults": "spark-defaults.conf",
}
SPARK_ENV: Final = "spark-env"
SPARK_ENV_FILE: Final = "spark-env.sh"


@dataclass(frozen=True, slots=True)
class NodeFacts:
    """What a node's configuration depends on."""

    master_ip: str
    node_ip: str
    #: CORE nodes of the cluster (they hold HDFS blocks; dfs.replication follows them).
    core_nodes: int
    yarn_memory_mb: int
    vcores: int
    #: The node directory; local state lives under its data/ and logs/.
    node_dir: PurePath
    #: The CORE group's node (Spark's sizes follow it); None: this node's own resources.
    core_yarn_memory_mb: int | None = None
    core_vcores: int | None = None
    #: emr's Python (PYSPARK_PYTHON); None: `python3` from PATH.
    python: PurePath | None = None

    @property
    def core_node(self) -> CoreNode:
        """The CORE group as Spark's defaults size from it."""
        return CoreNode(
            count=self.core_nodes,
            yarn_memory_mb=self.core_yarn_memory_mb or self.yarn_memory_mb,
            vcores=self.core_vcores or self.vcores,
        )


def dfs_replication(core_nodes: int) -> int:
    """EMR's default dfs.replication: 1 below 4 core nodes, 2 below 10, else 3."""
    if core_nodes < 4:
        return 1
    if core_nodes < 10:
        return 2
    return 3


def mapreduce_memory(yarn_memory_mb: int) -> dict[str, str]:
    """Container sizes like EMR's per-instance-type mapred-site defaults: a map a quarter of
    the node's YARN memory (at most 3 GiB, a multiple of 32 MB), reduces and the AM twice
    that (at most the node's YARN memory)."""
    map_mb = max(32, min(3072, yarn_memory_mb // 4) // 32 * 32)
    double = max(32, min(2 * map_mb, yarn_memory_mb))
    return {
        "mapreduce.map.memory.mb": str(map_mb),
        "mapreduce.reduce.memory.mb": str(double),
        "yarn.app.mapreduce.am.resource.mb": str(double),
    }


def default_properties(facts: NodeFacts, *, maximize: bool = False) -> dict[str, dict[str, str]]:
    """The defaults of every generated file, by classification (`maximize`: the `spark`
    classification's maximizeResourceAllocation)."""
    master, node = facts.master_ip, facts.node_ip
    data, logs = facts.node_dir / "data", facts.node_dir / "logs"
    return {
        "core-site": {
            "fs.defaultFS": f"hdfs://{master}:{NAMENODE_RPC_PORT}",
            # pyspark ships Hadoop's client without the HDFS RPC client (DistributedFileSystem),
            # so hdfs:// goes through WebHDFS. WebHdfsFileSystem takes the port of an hdfs://
            # URI as its HTTP port, and our NameNode serves WebHDFS on 8020 as well as 9870, so
            # `hdfs://<master>:8020/…` and `hdfs:///…` work unchanged. FileContext (e.g.
            # Structured Streaming checkpoints) needs a DelegateToFileSystem subclass of its
            # own over WebHdfsFileSystem: EMRFS's jar has it.
            "fs.hdfs.impl": WEBHDFS_FILE_SYSTEM,
            "fs.AbstractFileSystem.hdfs.impl": WEBHDFS_ABSTRACT_FILE_SYSTEM,
            # EMRFS for every S3 scheme, for FileSystem and FileContext, and their committer
            # (no credentials: EMRFS reads the AWS_* variables every process on a node has).
            **emrfs_hadoop_properties(),
            "hadoop.tmp.dir": str(data / "tmp"),
            # EMR's users: `hadoop` (steps) and `hdfs` belong to hdfsadmingroup, HDFS's
            # superuser group, so `hdfs dfsadmin -report` works in a step as it does on EMR.
            "hadoop.user.group.static.mapping.overrides": (
                "dr.who=;hadoop=hadoop,hdfsadmingroup;hdfs=hdfs,hdfsadmingroup"
            ),
        },
        "hdfs-site": {
            "dfs.replication": str(dfs_replication(facts.core_nodes)),
            "dfs.permissions.superusergroup": "hdfsadmingroup",
            "dfs.namenode.rpc-address": f"{master}:{NAMENODE_RPC_PORT}",
            "dfs.namenode.http-address": f"{master}:{NAMENODE_HTTP_PORT}",
            "dfs.namenode.name.dir": f"file://{data / 'dfs' / 'name'}",
            "dfs.datanode.data.dir": f"file://{data / 'dfs' / 'data'}",
            "dfs.datanode.address": f"{node}:{DATANODE_PORT}",
            "dfs.datanode.http.address": f"{node}:{DATANODE_HTTP_PORT}",
            "dfs.datanode.ipc.address": f"{node}:{DATANODE_IPC_PORT}",
            "dfs.webhdfs.enabled": "true",
        },
        "yarn-site": {
            "yarn.resourcemanager.hostname": master,
            "yarn.resourcemanager.address": f"{master}:{RESOURCEMANAGER_PORT}",
            "yarn.resourcemanager.scheduler.address": f"{master}:{SCHEDULER_PORT}",
            "yarn.resourcemanager.resource-tracker.address": f"{master}:{RESOURCE_TRACKER_PORT}",
            "yarn.resourcemanager.webapp.address": f"{master}:{RESOURCEMANAGER_WEBAPP_PORT}",
            "yarn.nodemanager.hostname": node,
            "yarn.nodemanager.address": f"{node}:{NODEMANAGER_PORT}",
            "yarn.nodemanager.webapp.address": f"{node}:{NODEMANAGER_WEBAPP_PORT}",
            "yarn.nodemanager.localizer.address": f"{node}:{NODEMANAGER_LOCALIZER_PORT}",
            "yarn.nodemanager.resource.memory-mb": str(facts.yarn_memory_mb),
            "yarn.nodemanager.resource.cpu-vcores": str(facts.vcores),
            "yarn.nodemanager.local-dirs": str(data / "yarn" / "local"),
            "yarn.nodemanager.log-dirs": str(logs / "userlogs"),
            "yarn.nodemanager.aux-services": "mapreduce_shuffle",
            "yarn.nodemanager.vmem-check-enabled": "false",
            "yarn.scheduler.minimum-allocation-mb": "32",
            "yarn.log-aggregation-enable": "true",
        },
        "capacity-scheduler": {
            "yarn.scheduler.capacity.maximum-applications": "10000",
            "yarn.scheduler.capacity.maximum-am-resource-percent": "0.5",
            "yarn.scheduler.capacity.resource-calculator": (
                "org.apache.hadoop.yarn.util.resource.DefaultResourceCalculator"
            ),
            "yarn.scheduler.capacity.root.queues": "default",
            "yarn.scheduler.capacity.root.default.capacity": "100",
            "yarn.scheduler.capacity.root.default.maximum-capacity": "100",
            "yarn.scheduler.capacity.root.default.user-limit-factor": "1",
            "yarn.scheduler.capacity.root.default.state": "RUNNING",
        },
        "mapred-site": {
            "mapreduce.framework.name": "yarn",
            "mapreduce.jobhistory.address": f"{master}:{JOBHISTORY_PORT}",
            "mapreduce.jobhistory.webapp.address": f"{master}:{JOBHISTORY_WEBAPP_PORT}",
            "mapreduce.shuffle.port": str(SHUFFLE_PORT),
            **mapreduce_memory(facts.yarn_memory_mb),
        },
        "spark-defaults": spark_defaults(master, facts.core_node, maximize=maximize),
        SPARK_ENV: spark_env(facts.node_dir, node, facts.python or PurePath("python3")),
    }


def _properties(configuration: Mapping[str, object]) -> dict[str, str]:
    properties = configuration.get("Properties")
    if not isinstance(properties, Mapping):
        return {}
    return {str(key): str(value) for key, value in properties.items()}


def merge_configurations(
    defaults: Mapping[str, Mapping[str, str]], configurations: Sequence[Mapping[str, object]]
) -> dict[str, dict[str, str]]:
    """Apply RunJobFlow Configurations to `defaults`, in order (later wins).

    `spark-env`'s values come from its nested `export` classification, as on EMR.
    """
    merged = {classification: dict(values) for classification, values in defaults.items()}
    for configuration in configurations:
        classification = configuration.get("Classification")
        if classification == SPARK_ENV:
            nested = configuration.get("Configurations")
            for inner in nested if isinstance(nested, Sequence) else ():
                if isinstance(inner, Mapping) and inner.get("Classification") == "export":
                    merged.setdefault(SPARK_ENV, {}).update(_properties(inner))
        elif isinstance(classification, str) and classification in CONF_FILES:
            merged.setdefault(classification, {}).update(_properties(configuration))
    return merged


def render_site_xml(properties: Mapping[str, str]) -> str:
    """A Hadoop `*-site.xml` with one <property> per entry, in the given order."""
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', "<configuration>"]
    for name, value in properties.items():
        lines += [
            "  <property>",
            f"    <name>{escape(name)}</name>",
            f"    <value>{escape(value)}</value>",
            "  </property>",
        ]
    lines.append("</configuration>")
    return "\n".join(lines) + "\n"


def render_spark_defaults(properties: Mapping[str, str]) -> str:
    """`spark-defaults.conf`: `key value` lines (Spark splits at the first whitespace)."""
    return "".join(f"{key} {value}\n" for key, value in properties.items())


def render_env_sh(exports: Mapping[str, str], defaults: Mapping[str, str]) -> str:
    """`spark-env.sh`: defaults quoted for the shell; user exports written as given, like EMR
    (which lets them refer to other variables, e.g. `$PATH`)."""
    lines = ["#!/usr/bin/env bash"]
    for name, value in exports.items():
        if defaults.get(name) == value:
            value = shlex.quote(value)
        lines.append(f"export {name}={value}")
    return "\n".join(lines) + "\n"


def render_conf(facts: NodeFacts, configurations: Sequence[Mapping[str, object]]) -> dict[str, str]:
    """Every file of conf/ (name → text) for a node with `facts` and the cluster's
    Configurations."""
    defaults = default_properties(facts, maximize=maximize_resource_allocation(configurations))
    merged = merge_configurations(defaults, configurations)
    files: dict[str, str] = {}
    for classification, file_name in CONF_FILES.items():
        properties = merged[classification]
        if file_name.endswith(".xml"):
            files[file_name] = render_site_xml(properties)
        else:
            files[file_name] = render_spark_defaults(properties)
    files[SPARK_ENV_FILE] = render_env_sh(merged[SPARK_ENV], defaults[SPARK_ENV])
    return files
