"""The Spark History Server on the master of a cluster with Spark (as on EMR, port 18080).

Before it starts, HDFS gets the event log directory `/var/log/spark/apps` (owner spark, mode
1777, as on EMR: every user's applications write there, nobody deletes another's logs), made
through WebHDFS as `hdfs`, the superuser. The server is pyspark's own
`spark-class org.apache.spark.deploy.history.HistoryServer` in a process of its own, in the
node's environment: spark-env.sh gives it SPARK_LOCAL_IP (its UI binds the master's IP) and
EMRFS on its classpath, spark-defaults.conf the log directory, which it reads through
core-site's `fs.hdfs.impl` (WebHdfsFileSystem). It is up when its REST API answers
`/api/v1/applications` with 200.
"""

from __future__ import annotations

import asyncio
from typing import Final

from emr.nodes.agent.node import Node
from emr.spark.application import spark_class

__all__ = [
    "HISTORY_SERVER_CLASS",
    "SPARK_APPLICATION",
    "HistoryServerFailed",
    "create_event_log_dir",
    "start",
]

#: The application name (RunJobFlow's Applications) that brings the History Server.
SPARK_APPLICATION: Final = "Spark"
HISTORY_SERVER_CLASS: Final = "org.apache.spark.deploy.history.HistoryServer"
_DAEMON_MEMORY: Final = "256m"
_DAEMON_JAVA_OPTS: Final = "-XX:+UseSerialGC -XX:TieredStopAtLevel=1"
#: HDFS's superuser, as EMR's NameNode has it.
_HDFS_SUPERUSER: Final = "hdfs"
_EVENT_LOG_OWNER: Final = "spark"
_EVENT_LOG_MODE: Final = "1777"


class HistoryServerFailed(Exception):
    """The event log directory could not be made, or the server did not come up."""


async def create_event_log_dir(node: Node, timeout: float) -> None:
    """MKDIRS the event log directory, then its mode and owner (idempotent)."""
    import httpx

    from emr.hdfs.ports import NAMENODE_HTTP_PORT
    from emr.spark.defaults import EVENT_LOG_DIR

    url = f"http://{node.config.master_ip}:{NAMENODE_HTTP_PORT}/webhdfs/v1{EVENT_LOG_DIR}"
    calls = (
        {"op": "MKDIRS", "permission": _EVENT_LOG_MODE},
        {"op": "SETPERMISSION", "permission": _EVENT_LOG_MODE},
        {"op": "SETOWNER", "owner": _EVENT_LOG_OWNER, "group": _EVENT_LOG_OWNER},
    )
    last = ""
    try:
        async with asyncio.timeout(timeout), httpx.AsyncClient(timeout=10) as client:
            for params in calls:
                while True:
                    try:
                        response = await client.put(
                            url, params={**params, "user.name": _HDFS_SUPERUSER}
                        )
                    except httpx.HTTPError as exc:
                        last = str(exc)
                    else:
                        if response.status_code == 200:
                            break
                        last = f"{params['op']}: HTTP {response.status_code} {response.text}"
                    await asyncio.sleep(0.2)
    except TimeoutError:
        raise HistoryServerFailed(f"could not create hdfs://{EVENT_LOG_DIR}: {last}") from None


async def start(node: Node, timeout: float) -> None:
    """Create the event log directory, start the History Server, wait until it answers."""
    import httpx

    from emr.spark.defaults import SPARK_HISTORY_PORT

    await create_event_log_dir(node, timeout)
    log_path = node.layout.logs / "spark-history-server.log"
    with log_path.open("ab") as log_file:
        process = await node.spawn(
            spark_class(HISTORY_SERVER_CLASS),
            cwd=node.layout.path,
            stdout=log_file,
            stderr=log_file,
            extra_env={
                "SPARK_DAEMON_MEMORY": _DAEMON_MEMORY,
                "SPARK_DAEMON_JAVA_OPTS": _DAEMON_JAVA_OPTS,
            },
        )
    url = f"http://{node.config.master_ip}:{SPARK_HISTORY_PORT}/api/v1/applications"
    try:
        async with asyncio.timeout(timeout), httpx.AsyncClient(timeout=5) as client:
            while True:
                if process.returncode is not None:
                    raise HistoryServerFailed(
                        f"the Spark History Server exited with code {process.returncode} "
                        f"before serving (see {log_path})"
                    )
                try:
                    if (await client.get(url)).status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.2)
    except TimeoutError:
        raise HistoryServerFailed(
            f"the Spark History Server did not answer {url} within {timeout:.0f} s (see {log_path})"
        ) from None
