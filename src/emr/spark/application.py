"""What spark-submit hands the Spark ApplicationMaster (app.json in the staging dir, localized
into the AM container), and the commands both run: pyspark's own spark-submit for the driver,
spark-class for the standalone Master and Workers."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Final, Literal

from pydantic import BaseModel, ConfigDict

from emr.spark.emrfs import pyspark_home
from emr.spark.sizes import DAEMON_HEAP

__all__ = [
    "APP_JSON",
    "DRIVER_EXIT_FILE",
    "SparkApplication",
    "daemon_environment",
    "driver_command",
    "driver_environment",
    "spark_class",
]

#: The AM container's name for app.json.
APP_JSON: Final = "__spark_app__.json"
#: Client mode: the file in the staging dir where spark-submit leaves the driver's exit code.
DRIVER_EXIT_FILE: Final = "driver-exit"
#: JVM options of the standalone daemons: they do little, so start fast and stay small.
_DAEMON_JAVA_OPTS: Final = "-XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xss512k"


class SparkApplication(BaseModel):
    """One Spark application as its AM runs it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    application_id: str
    name: str
    deploy_mode: Literal["cluster", "client"]
    #: Qualified URI of the application's staging dir (hdfs://…/.sparkStaging/<app id>).
    staging: str
    #: The driver's spark-submit arguments after --master/--deploy-mode (cluster mode).
    driver_args: list[str] = []
    executors: int
    executor_cores: int
    executor_memory_mb: int
    executor_container_mb: int
    #: Executor containers that may fail before the application does (Spark's
    #: spark.executor.maxNumFailures default: twice the executors, at least 3).
    max_executor_failures: int
    #: How long to wait for the client-mode driver to connect before giving up.
    driver_wait_seconds: float = 120.0


def spark_class(main_class: str, *args: str) -> list[str]:
    """pyspark's bin/spark-class running `main_class`."""
    return [str(pyspark_home() / "bin" / "spark-class"), main_class, *args]


def daemon_environment(base: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of a standalone Master or Worker."""
    env = dict(os.environ if base is None else base)
    env.update(
        SPARK_DAEMON_MEMORY=DAEMON_HEAP,
        SPARK_DAEMON_JAVA_OPTS=_DAEMON_JAVA_OPTS,
        SPARK_NO_DAEMONIZE="1",
        SPARK_HOME=str(pyspark_home()),
    )
    return env


def driver_command(master_url: str, driver_args: Sequence[str], host: str) -> list[str]:
    """pyspark's spark-submit running the driver in this process tree, against the
    application's standalone Master."""
    return [
        str(pyspark_home() / "bin" / "spark-submit"),
        "--master",
        master_url,
        "--deploy-mode",
        "client",
        "--conf",
        f"spark.driver.host={host}",
        "--conf",
        f"spark.driver.bindAddress={host}",
        *driver_args,
    ]


def driver_environment(host: str, base: Mapping[str, str] | None = None) -> dict[str, str]:
    """The driver's environment: everything it binds (RPC, block manager, UI) on `host`."""
    env = dict(os.environ if base is None else base)
    env.update(SPARK_LOCAL_IP=host, SPARK_LOCAL_HOSTNAME=host, SPARK_HOME=str(pyspark_home()))
    return env
