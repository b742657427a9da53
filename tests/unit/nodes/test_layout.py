"""The node directory and the environment of everything a node runs."""

from __future__ import annotations

import logging
import os
import stat
import sys
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import pytest

from emr.nodes.layout import (
    HADOOP_TOOLS,
    SPARK_SUBMIT_TOOL,
    STREAMING_JARS,
    YARN_TOOL,
    NodeLayout,
    find_java_home,
    node_environment,
    write_node,
)
from emr.nodes.protocol import AgentConfig
from emr.spark.emrfs import EmrfsUnavailable


def _config(**overrides: object) -> AgentConfig:
    fields: dict[str, object] = {
        "cluster_id": "j-ABC",
        "instance_id": "i-0001",
        "role": "CORE",
        "instance_type": "m5.xlarge",
        "private_ip": "127.16.2.2",
        "master_ip": "127.16.2.1",
        "nodes": {
            "i-0000": ("MASTER", "127.16.2.1"),
            "i-0001": ("CORE", "127.16.2.2"),
        },
        "region_url": "http://127.0.0.1:4599",
        "region_name": "eu-west-1",
        "token": "tok",
        "access_key_id": "AKIACLUSTER",
        "secret_access_key": "cluster-secret",
        "release_label": "emr-7.2.0",
        "applications": ["Spark"],
        "configurations": [],
        "memory_mb": 4096,
        "yarn_memory_mb": 3072,
        "vcores": 4,
    }
    fields.update(overrides)
    return AgentConfig.model_validate(fields)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _fake_jar(tmp_path: Path) -> Path:
    jar = tmp_path / "cache" / "emrfs-0123.jar"
    jar.parent.mkdir(exist_ok=True)
    jar.write_bytes(b"PK\x05\x06" + bytes(18))
    return jar


def _no_jdk() -> Path:
    raise EmrfsUnavailable("javac not found")


def test_write_node_creates_a_private_directory(tmp_path: Path) -> None:
    layout = NodeLayout.at(tmp_path, "j-ABC", "i-0001")
    config = _config()
    built = _fake_jar(tmp_path)
    write_node(layout, config, python_dir=tmp_path / "venv" / "bin", emrfs=lambda: built)

    assert layout.path == tmp_path / "j-ABC" / "i-0001"
    for directory in (layout.path, layout.conf, layout.bin, layout.lib, layout.logs, layout.data):
        assert _mode(directory) == 0o700, directory
    assert _mode(layout.config_file) == 0o600
    assert layout.read_config() == config
    assert sorted(p.name for p in layout.lib.iterdir()) == sorted([*STREAMING_JARS, "emrfs.jar"])
    assert (layout.lib / "emrfs.jar").read_bytes() == built.read_bytes()
    for name in STREAMING_JARS:
        with zipfile.ZipFile(layout.lib / name) as jar:
            manifest = jar.read("META-INF/MANIFEST.MF").decode()
        assert "Main-Class: org.apache.hadoop.streaming.HadoopStreaming" in manifest

    python = tmp_path / "venv" / "bin" / Path(sys.executable).name
    submit = layout.bin / SPARK_SUBMIT_TOOL
    assert os.access(submit, os.X_OK)
    assert submit.read_text() == f'#!/bin/sh\nexec {python} -m emr.spark.submit "$@"\n'
    for tool in HADOOP_TOOLS:
        shim = layout.bin / tool
        assert os.access(shim, os.X_OK)
        assert shim.read_text() == f'#!/bin/sh\nexec {python} -m emr.hdfs.shell {tool} "$@"\n'
    yarn = layout.bin / YARN_TOOL
    assert os.access(yarn, os.X_OK)
    assert yarn.read_text() == f'#!/bin/sh\nexec {python} -m emr.yarn.cli yarn "$@"\n'
    streaming = layout.bin / "hadoop-streaming"
    assert os.access(streaming, os.X_OK)
    assert streaming.read_text() == (f'#!/bin/sh\nexec {python} -m emr.mapreduce.streaming "$@"\n')
    aws = (layout.bin / "aws").read_text()
    assert f"exec {tmp_path / 'venv' / 'bin' / 'aws'} " in aws

    conf_files = sorted(p.name for p in layout.conf.iterdir())
    assert "core-site.xml" in conf_files and "spark-env.sh" in conf_files
    assert all(_mode(layout.conf / name) == 0o600 for name in conf_files)
    spark_env = (layout.conf / "spark-env.sh").read_text().splitlines()
    assert f"export PYSPARK_PYTHON={python}" in spark_env
    assert f"export SPARK_DIST_CLASSPATH={layout.lib / 'emrfs.jar'}" in spark_env

    write_node(layout, config, python_dir=tmp_path / "venv" / "bin", emrfs=lambda: built)
    assert (layout.lib / "emrfs.jar").read_bytes() == built.read_bytes()


def test_a_node_without_a_jdk_has_no_emrfs_jar(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    layout = NodeLayout.at(tmp_path, "j-ABC", "i-0001")
    with caplog.at_level(logging.WARNING, logger="emr.nodes.layout"):
        write_node(layout, _config(), emrfs=_no_jdk)
    assert sorted(p.name for p in layout.lib.iterdir()) == sorted(STREAMING_JARS)
    assert "no emrfs.jar on this node: javac not found" in caplog.text


def test_spark_sizes_follow_the_core_node_in_agent_json(tmp_path: Path) -> None:
    layout = NodeLayout.at(tmp_path, "j-ABC", "i-0000")
    master = _config(
        instance_id="i-0000", role="MASTER", yarn_memory_mb=12288, vcores=8,
        core_yarn_memory_mb=3072, core_vcores=4,
    )  # fmt: skip
    write_node(layout, master, emrfs=_no_jdk)
    spark = (layout.conf / "spark-defaults.conf").read_text().splitlines()
    assert "spark.executor.memory 896m" in spark and "spark.executor.cores 2" in spark
    # agent.json files written before the core fields existed: the node's own resources.
    old = {k: v for k, v in master.model_dump().items() if not k.startswith("core_")}
    write_node(layout, AgentConfig.model_validate(old), emrfs=_no_jdk)
    spark = (layout.conf / "spark-defaults.conf").read_text().splitlines()
    assert "spark.executor.cores 4" in spark


def test_configurations_and_core_count_reach_the_files(tmp_path: Path) -> None:
    nodes = {f"i-{n}": ("CORE", f"127.16.2.{n + 2}") for n in range(5)}
    nodes["i-m"] = ("MASTER", "127.16.2.1")
    config = _config(
        nodes=nodes,
        configurations=[{"Classification": "yarn-site", "Properties": {"x.y": "z"}}],
    )
    layout = NodeLayout.at(tmp_path, "j-ABC", "i-0001")
    write_node(layout, config, emrfs=_no_jdk)

    def site(name: str) -> dict[str, str]:
        root = ET.parse(layout.conf / name).getroot()
        return {p.findtext("name", ""): p.findtext("value", "") for p in root.iter("property")}

    assert site("hdfs-site.xml")["dfs.replication"] == "2"
    assert site("hdfs-site.xml")["dfs.datanode.address"] == "127.16.2.2:9866"
    assert site("yarn-site.xml")["x.y"] == "z"


def test_node_environment(tmp_path: Path) -> None:
    layout = NodeLayout.at(tmp_path, "j-ABC", "i-0001")
    inherited = {
        "PATH": "/usr/local/bin:/usr/bin",
        "HOME": "/home/me",
        "AWS_PROFILE": "prod",
        "AWS_SESSION_TOKEN": "stale",
        "JAVA_HOME": "/opt/jdk",
    }
    env = node_environment(layout, _config(), inherited, python_dir=Path("/venv/bin"))
    assert env["PATH"] == f"{layout.bin}:/venv/bin:/usr/local/bin:/usr/bin"
    assert env["HOME"] == "/home/me"
    assert "AWS_PROFILE" not in env and "AWS_SESSION_TOKEN" not in env
    conf = str(layout.conf)
    assert env["HADOOP_CONF_DIR"] == env["YARN_CONF_DIR"] == env["SPARK_CONF_DIR"] == conf
    assert env["HADOOP_HOME"] == str(layout.path)
    assert env["JAVA_HOME"] == "/opt/jdk"
    assert env["AWS_ENDPOINT_URL"] == "http://127.0.0.1:4599"
    assert env["AWS_ACCESS_KEY_ID"] == "AKIACLUSTER"
    assert env["AWS_SECRET_ACCESS_KEY"] == "cluster-secret"
    assert env["AWS_DEFAULT_REGION"] == env["AWS_REGION"] == "eu-west-1"
    assert env["EMR_CLUSTER_ID"] == "j-ABC"
    assert env["EMR_INSTANCE_ID"] == "i-0001"
    assert env["EMR_NODE_DIR"] == str(layout.path)
    assert env["EMR_ROLE"] == "CORE"


def test_java_home_is_found_from_java_on_path(tmp_path: Path) -> None:
    jdk = tmp_path / "jvm" / "jdk-21"
    (jdk / "bin").mkdir(parents=True)
    java = jdk / "bin" / "java"
    java.write_text("#!/bin/sh\n")
    java.chmod(0o755)
    links = tmp_path / "usr-bin"
    links.mkdir()
    (links / "java").symlink_to(java)

    assert find_java_home({"PATH": str(links)}) == str(jdk)
    assert find_java_home({"PATH": str(links), "JAVA_HOME": "/x"}) == "/x"
    assert find_java_home({"PATH": str(tmp_path / "empty")}) is None
    env = node_environment(NodeLayout(tmp_path / "n"), _config(), {"PATH": str(links)})
    assert env["JAVA_HOME"] == str(jdk)
