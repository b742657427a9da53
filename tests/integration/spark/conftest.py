"""One local pyspark session per test module with EMRFS serving s3://, s3a://, s3n://.

Credentials reach the JVM only through its environment (AWS_* from `emr env`), as on cluster
nodes; the Hadoop configuration names the classes and nothing secret. pyspark starts one JVM per
Python process, so the environment (and spark.driver.memory) only take effect if this module's
session is the first of the process.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

from emr.spark.emrfs import emrfs_jar, hadoop_properties
from tests.conftest import RunningServer
from tests.integration.s3.conftest import empty_and_delete_bucket, unique_bucket_name


@pytest.fixture(scope="module")
def aws_environment(region: RunningServer) -> Iterator[dict[str, str]]:
    """os.environ carries the region's AWS_* while the module runs (the JVM inherits them)."""
    saved = {name: value for name, value in os.environ.items() if name.startswith("AWS_")}
    for name in saved:
        del os.environ[name]
    os.environ.update({k: v for k, v in region.env.items() if k.startswith("AWS_")})
    yield dict(region.env)
    for name in [name for name in os.environ if name.startswith("AWS_")]:
        del os.environ[name]
    os.environ.update(saved)


@pytest.fixture(scope="module")
def spark(aws_environment: dict[str, str]) -> Iterator[Any]:
    from pyspark.sql import SparkSession

    builder = (
        SparkSession.builder.master("local[2]")
        .appName("emrfs-tests")
        .config("spark.driver.memory", "512m")
        .config("spark.jars", str(emrfs_jar()))
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.driver.host", "127.0.0.1")
    )
    for name, value in hadoop_properties().items():
        builder = builder.config(f"spark.hadoop.{name}", value)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@pytest.fixture(scope="module")
def spark_bucket(region: RunningServer) -> Iterator[str]:
    """A bucket for the module's tests, emptied and deleted at the end."""
    s3 = region.client("s3")
    name = unique_bucket_name("emrfs")
    s3.create_bucket(Bucket=name)
    yield name
    empty_and_delete_bucket(s3, name)
