"""A node's directory and the environment of everything that runs on the node.

    <root>/<cluster-id>/<instance-id>/      0700
        agent.json                          0600: AgentConfig (token, cluster credentials)
        conf/    core-site.xml … spark-env.sh (hadoop_conf.py, emr.spark.defaults)
        bin/     hadoop hdfs (the FS shell, emr.hdfs.shell), yarn (emr.yarn.cli),
                 hadoop-streaming (emr.mapreduce.streaming), spark-submit
                 (emr.spark.submit), aws (first on PATH)
        lib/     jars tools look up by name: hadoop-streaming.jar and
                 hadoop-streaming-<version>.jar (mrjob searches $HADOOP_HOME for
                 `hadoop*streaming*.jar`; `hadoop jar` runs any such jar as streaming),
                 emrfs.jar (EMRFS for the JVM, on every spark-class JVM's classpath through
                 SPARK_DIST_CLASSPATH; missing when no JDK can build it)
        logs/    agent.log, bootstrap-actions/<n>/, steps/<step-id>/
        data/    bootstrap-actions/<n>/, steps/<step-id>/, local state of daemons

`hadoop` and `hdfs` run `python -m emr.hdfs.shell <tool>`, `yarn` runs `python -m emr.yarn.cli
yarn`, `spark-submit` runs `python -m emr.spark.submit`, with emr's own Python.
"""

from __future__ import annotations

import io
import logging
import os
import shlex
import shutil
import sys
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from emr.nodes.hadoop_conf import NodeFacts, render_conf
from emr.nodes.protocol import AGENT_CONFIG_FILE, AgentConfig
from emr.services.emr.releases import HADOOP_VERSION
from emr.spark.emrfs import EMRFS_JAR_NAME, EmrfsUnavailable, emrfs_jar

__all__ = [
    "HADOOP_TOOLS",
    "SPARK_SUBMIT_TOOL",
    "STREAMING_JARS",
    "STREAMING_TOOL",
    "YARN_TOOL",
    "NodeLayout",
    "find_java_home",
    "node_environment",
    "write_node",
]

log = logging.getLogger(__name__)

#: `spark-submit`, served by emr.spark.submit.
SPARK_SUBMIT_TOOL: Final = "spark-submit"
#: `hadoop-streaming`, served by emr.mapreduce.streaming.
STREAMING_TOOL: Final = "hadoop-streaming"
#: The streaming jars of lib/: real jars (a manifest naming StreamJob's main class) so tools
#: that open them find one, run by `hadoop jar` through emr.mapreduce.streaming.
STREAMING_JARS: Final = ("hadoop-streaming.jar", f"hadoop-streaming-{HADOOP_VERSION}.jar")
#: Hadoop's commands, served by emr.hdfs.shell (`hadoop jar` answers "not available yet").
HADOOP_TOOLS: Final = ("hadoop", "hdfs")
#: The `yarn` command, served by emr.yarn.cli.
YARN_TOOL: Final = "yarn"
_DIRS: Final = ("conf", "bin", "lib", "logs", "data")


@dataclass(frozen=True, slots=True)
class NodeLayout:
    """Paths of one node directory."""

    path: Path

    @classmethod
    def at(cls, root: Path, cluster_id: str, instance_id: str) -> NodeLayout:
        return cls(root / cluster_id / instance_id)

    @property
    def config_file(self) -> Path:
        return self.path / AGENT_CONFIG_FILE

    @property
    def conf(self) -> Path:
        return self.path / "conf"

    @property
    def bin(self) -> Path:
        return self.path / "bin"

    @property
    def lib(self) -> Path:
        return self.path / "lib"

    @property
    def logs(self) -> Path:
        return self.path / "logs"

    @property
    def data(self) -> Path:
        return self.path / "data"

    @property
    def agent_log(self) -> Path:
        return self.logs / "agent.log"

    def step_logs(self, step_id: str) -> Path:
        return self.logs / "steps" / step_id

    def step_workdir(self, step_id: str) -> Path:
        return self.data / "steps" / step_id

    def bootstrap_logs(self, index: int) -> Path:
        return self.logs / "bootstrap-actions" / str(index)

    def bootstrap_workdir(self, index: int) -> Path:
        return self.data / "bootstrap-actions" / str(index)

    def read_config(self) -> AgentConfig:
        """agent.json, validated (OSError or pydantic's ValidationError if unusable)."""
        return AgentConfig.model_validate_json(self.config_file.read_bytes())


def _private_dir(path: Path) -> None:
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.chmod(0o700)


def _write(path: Path, text: str, mode: int) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "w", encoding="utf-8") as file:
        os.fchmod(file.fileno(), mode)
        file.write(text)


def _shim_aws(python_dir: Path) -> str:
    aws = shlex.quote(str(python_dir / "aws"))
    return (
        "#!/bin/sh\n"
        f'[ -x {aws} ] && exec {aws} "$@"\n'
        "echo 'aws: the aws cli is not installed next to emr' >&2\n"
        "exit 127\n"
    )


def _python(python_dir: Path) -> Path:
    # The interpreter's own name (python, python3, python3.11): not every bin dir has them all.
    return python_dir / Path(sys.executable).name


def _hadoop_tool(name: str, python_dir: Path, module: str = "emr.hdfs.shell") -> str:
    python = shlex.quote(str(_python(python_dir)))
    tool = f" {name}" if name else ""
    return f'#!/bin/sh\nexec {python} -m {module}{tool} "$@"\n'


def _streaming_jar() -> bytes:
    """A jar (zip) holding only a manifest: `hadoop jar` recognises it by its name."""
    manifest = (
        "Manifest-Version: 1.0\r\n"
        "Created-By: emr\r\n"
        "Main-Class: org.apache.hadoop.streaming.HadoopStreaming\r\n"
        f"Implementation-Version: {HADOOP_VERSION}\r\n\r\n"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as jar:
        # A fixed date: every node's jar has the same bytes.
        jar.writestr(zipfile.ZipInfo("META-INF/", (1980, 1, 1, 0, 0, 0)), b"")
        jar.writestr(zipfile.ZipInfo("META-INF/MANIFEST.MF", (1980, 1, 1, 0, 0, 0)), manifest)
    return buffer.getvalue()


def _install_emrfs(lib: Path, build: Callable[[], Path]) -> None:
    """lib/emrfs.jar: a hard link to (or a copy of) the built jar; a warning if none can be
    built (Hadoop streaming clusters work without a JDK compiler)."""
    try:
        built = build()
    except EmrfsUnavailable as exc:
        log.warning("no %s on this node: %s", EMRFS_JAR_NAME, exc)
        return
    target = lib / EMRFS_JAR_NAME
    target.unlink(missing_ok=True)
    try:
        os.link(built, target)
    except OSError:  # another file system, or links not allowed
        shutil.copyfile(built, target)


def write_node(
    layout: NodeLayout,
    config: AgentConfig,
    python_dir: Path | None = None,
    *,
    emrfs: Callable[[], Path] = emrfs_jar,
) -> None:
    """Create the node directory: private dirs, agent.json, conf/, bin/ and lib/.

    `python_dir` is the bin dir of emr's Python and the aws cli next to it (default:
    sys.executable's); `emrfs` builds (or finds) the EMRFS jar lib/ gets.
    """
    _private_dir(layout.path)
    for name in _DIRS:
        _private_dir(layout.path / name)
    _write(layout.config_file, config.model_dump_json(indent=2), 0o600)

    python_dir = python_dir or Path(sys.executable).parent
    core_nodes = sum(1 for role, _ in config.nodes.values() if role == "CORE")
    facts = NodeFacts(
        master_ip=config.master_ip,
        node_ip=config.private_ip,
        core_nodes=core_nodes,
        yarn_memory_mb=config.yarn_memory_mb,
        vcores=config.vcores,
        node_dir=layout.path,
        core_yarn_memory_mb=config.core_yarn_memory_mb,
        core_vcores=config.core_vcores,
        python=_python(python_dir),
    )
    for file_name, text in render_conf(facts, config.configurations).items():
        _write(layout.conf / file_name, text, 0o600)

    for tool in HADOOP_TOOLS:
        _write(layout.bin / tool, _hadoop_tool(tool, python_dir), 0o700)
    _write(layout.bin / YARN_TOOL, _hadoop_tool(YARN_TOOL, python_dir, "emr.yarn.cli"), 0o700)
    streaming = _hadoop_tool("", python_dir, "emr.mapreduce.streaming")
    _write(layout.bin / STREAMING_TOOL, streaming, 0o700)
    submit = _hadoop_tool("", python_dir, "emr.spark.submit")
    _write(layout.bin / SPARK_SUBMIT_TOOL, submit, 0o700)
    jar = _streaming_jar()
    for name in STREAMING_JARS:
        path = layout.lib / name
        path.write_bytes(jar)
        path.chmod(0o644)
    _write(layout.bin / "aws", _shim_aws(python_dir), 0o700)
    _install_emrfs(layout.lib, emrfs)


def find_java_home(environ: Mapping[str, str]) -> str | None:
    """JAVA_HOME from the environment, else the JDK that `java` on PATH belongs to."""
    if environ.get("JAVA_HOME"):
        return environ["JAVA_HOME"]
    java = shutil.which("java", path=environ.get("PATH", os.defpath))
    if java is None:
        return None
    # <home>/bin/java, usually behind /usr/bin/java → /etc/alternatives/java symlinks.
    return str(Path(java).resolve().parent.parent)


def node_environment(
    layout: NodeLayout,
    config: AgentConfig,
    inherited: Mapping[str, str],
    python_dir: Path | None = None,
) -> dict[str, str]:
    """The environment of every process the agent runs (steps, bootstrap actions, exec).

    Inherited AWS_* variables are dropped: on a node, AWS means the region and the cluster's
    credentials, never a profile or session token of whoever started the region.
    """
    env = {key: value for key, value in inherited.items() if not key.startswith("AWS_")}
    python_dir = python_dir or Path(sys.executable).parent
    path = [str(layout.bin), str(python_dir)]
    if inherited.get("PATH"):
        path.append(inherited["PATH"])
    conf = str(layout.conf)
    env.update(
        PATH=os.pathsep.join(path),
        HADOOP_CONF_DIR=conf,
        YARN_CONF_DIR=conf,
        SPARK_CONF_DIR=conf,
        HADOOP_HOME=str(layout.path),
        # Steps run as EMR's `hadoop` user: HDFS paths are relative to /user/hadoop.
        HADOOP_USER_NAME="hadoop",
        AWS_ENDPOINT_URL=config.region_url,
        AWS_ACCESS_KEY_ID=config.access_key_id,
        AWS_SECRET_ACCESS_KEY=config.secret_access_key,
        AWS_DEFAULT_REGION=config.region_name,
        AWS_REGION=config.region_name,
        EMR_CLUSTER_ID=config.cluster_id,
        EMR_INSTANCE_ID=config.instance_id,
        EMR_NODE_DIR=str(layout.path),
        EMR_ROLE=config.role,
    )
    java_home = find_java_home(inherited)
    if java_home is not None:
        env["JAVA_HOME"] = java_home
    return env
