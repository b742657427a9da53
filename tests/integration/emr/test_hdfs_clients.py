"""Clients of HDFS against the shared cluster's NameNode: fsspec `webhdfs` and pyarrow, HdfsCLI,
and Spark (pyspark's own Hadoop WebHdfsFileSystem on hdfs:// URIs, configured only by the
cluster's generated conf/)."""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import fsspec
import hdfs
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import requests

from tests.conftest import RunningServer
from tests.integration.emr.conftest import SharedCluster

pytestmark = pytest.mark.integration

MIB = 1 << 20
#: pyspark starts in ~10 s and the whole job takes ~30-40 s here; this only bounds a hung JVM.
SPARK_TIMEOUT_S = 180
PARTITION_VALUES = ["a b", "x=y"]
ROWS: list[list[Any]] = [[i, f"v{i} ü", PARTITION_VALUES[i % 2]] for i in range(40)]
UMLAUT_ROWS: list[list[Any]] = [[1, "v1", "ü"], [2, "v2", "a ü=b"]]
LINES = [f"line {i}: ü ß" for i in range(50)]

#: Run by a separate Python. Writes through hdfs:///… ("short") and hdfs://<master>:8020/…
#: ("full"), reads each output back through the other form, and prints one RESULT line.
SPARK_JOB = r"""
import json
import sys

from pyspark.sql import SparkSession

master_ip, job = sys.argv[1], json.loads(sys.argv[2])
roots = {"short": "hdfs:///user/hadoop/spark", "full": f"hdfs://{master_ip}:8020/user/hadoop/spark"}
other = {"short": "full", "full": "short"}
schema = "id INT, value STRING, p STRING"
spark = (
    SparkSession.builder.master("local[1]")
    .appName("hdfs-clients")
    .config("spark.driver.memory", "512m")
    .config("spark.driver.extraJavaOptions", "-XX:+UseSerialGC")
    .config("spark.ui.enabled", "false")
    .config("spark.sql.shuffle.partitions", "1")
    .getOrCreate()
)


def rows(frame):
    return [list(row) for row in frame.collect()]


try:
    sc = spark.sparkContext
    sc.setLogLevel("WARN")
    hadoop = sc._jsc.hadoopConfiguration()
    out = {"conf": {key: hadoop.get(key) for key in ("fs.defaultFS", "fs.hdfs.impl")}}
    out["filesystems"] = {}
    for name, root in roots.items():
        fs = sc._jvm.org.apache.hadoop.fs.Path(root).getFileSystem(hadoop)
        out["filesystems"][name] = [fs.getClass().getName(), fs.getUri().toString()]
    df = spark.createDataFrame(job["rows"], schema).coalesce(2)
    for name, root in roots.items():
        df.write.parquet(f"{root}/{name}/parquet")
        df.write.option("header", True).csv(f"{root}/{name}/csv")
        sc.parallelize(job["lines"], 2).saveAsTextFile(f"{root}/{name}/text")
    for name in roots:
        root = roots[other[name]]
        out[name] = {
            "parquet": rows(spark.read.parquet(f"{root}/{name}/parquet")),
            "csv": rows(spark.read.option("header", True).schema(schema).csv(f"{root}/{name}/csv")),
            "text": sc.textFile(f"{root}/{name}/text").collect(),
        }
    spark.read.parquet(f"{roots['full']}/short/parquet").createOrReplaceTempView("t")
    query = "SELECT p, count(*), sum(id) FROM t GROUP BY p ORDER BY p"
    out["sql"] = rows(spark.sql(query))
    df.write.partitionBy("p").parquet(f"{roots['short']}/partitioned")
    partitioned = spark.read.parquet(f"{roots['full']}/partitioned")
    out["partitioned"] = rows(partitioned.select("id", "value", "p"))
    out["partition_filter"] = sorted(row.id for row in partitioned.where("p = 'x=y'").collect())
    modes = f"{roots['short']}/modes"
    df.write.parquet(modes)
    try:
        df.write.parquet(modes)
        out["exists_error"] = ""
    except Exception as error:
        out["exists_error"] = str(error)[:500]
    spark.createDataFrame(job["rows"][:3], schema).write.mode("append").parquet(modes)
    out["appended"] = spark.read.parquet(f"{roots['full']}/modes").count()
    spark.createDataFrame(job["rows"][:2], schema).write.mode("overwrite").parquet(modes)
    out["overwritten"] = rows(spark.read.parquet(f"{roots['full']}/modes"))
    try:
        umlaut = spark.createDataFrame(job["umlaut_rows"], schema)
        umlaut.write.partitionBy("p").parquet(f"{roots['short']}/umlaut")
        out["umlaut"] = rows(spark.read.parquet(f"{roots['full']}/umlaut").select("id", "value", "p"))
    except Exception as error:
        out["umlaut_error"] = str(error)
finally:
    spark.stop()
print("RESULT " + json.dumps(out))
"""


@dataclass(frozen=True)
class SparkRun:
    """What SPARK_JOB printed, and a WebHDFS view of what it wrote."""

    master_ip: str
    result: dict[str, Any]
    fs: Any


def _master_ip(cluster: SharedCluster) -> str:
    described = cluster.emr.describe_cluster(ClusterId=cluster.cluster_id)["Cluster"]
    return str(described["MasterPublicDnsName"])


def _webhdfs(master_ip: str) -> Any:
    return fsspec.filesystem(
        "webhdfs", host=master_ip, port=9870, user="hadoop", skip_instance_cache=True
    )


# --- fsspec and pyarrow -----------------------------------------------------------------------


def test_fsspec_webhdfs_and_pyarrow_parquet(shared_cluster: SharedCluster) -> None:
    fs = _webhdfs(_master_ip(shared_cluster))
    data = bytes(range(256)) * 20_000  # 5 MiB, written in 1 MiB pieces (CREATE, then APPENDs)
    with fs.open("/user/hadoop/fsspec/data.bin", "wb", block_size=1 << 20) as file:
        file.write(data)
    assert fs.info("/user/hadoop/fsspec/data.bin")["size"] == len(data)
    with fs.open("/user/hadoop/fsspec/data.bin", "rb") as file:
        file.seek(3_000_001)
        assert file.read(1000) == data[3_000_001:3_001_001]
    table = pa.table({"key": list(range(1000)), "value": [f"v{i}" for i in range(1000)]})
    with fs.open("/user/hadoop/fsspec/table.parquet", "wb") as file:
        pq.write_table(table, file)
    assert pq.read_table("/user/hadoop/fsspec/table.parquet", filesystem=fs).equals(table)
    assert sorted(fs.ls("/user/hadoop/fsspec", detail=False)) == [
        "/user/hadoop/fsspec/data.bin", "/user/hadoop/fsspec/table.parquet"]  # fmt: skip
    fs.rm("/user/hadoop/fsspec", recursive=True)
    assert not fs.exists("/user/hadoop/fsspec")


# --- HdfsCLI ----------------------------------------------------------------------------------


def test_hdfscli_upload_download_list_status_rename_delete(
    shared_cluster: SharedCluster, tmp_path: Path
) -> None:
    master_ip = _master_ip(shared_cluster)
    rng = random.Random(5)
    local = tmp_path / "local"
    (local / "sub").mkdir(parents=True)
    files = {
        "data.bin": rng.randbytes(2 * MIB + 3),
        "empty.bin": b"",
        "sub/small.txt": "hällo, wörld\n".encode(),
    }
    for name, body in files.items():
        (local / name).write_bytes(body)
    big = rng.randbytes(5 * MIB + 17)
    (tmp_path / "big.bin").write_bytes(big)
    root = "/user/hadoop/hdfscli"
    with requests.Session() as session:
        client = hdfs.InsecureClient(f"http://{master_ip}:9870", user="hadoop", session=session)
        assert client.upload(f"{root}/dir", str(local), n_threads=2) == f"{root}/dir"
        uploaded = client.upload(f"{root}/big.bin", str(tmp_path / "big.bin"), chunk_size=MIB)
        assert uploaded == f"{root}/big.bin"

        assert client.list(root) == ["big.bin", "dir"]
        assert client.list(f"{root}/dir") == ["data.bin", "empty.bin", "sub"]
        assert [(path, dirs, names) for path, dirs, names in client.walk(root)] == [
            (root, ["dir"], ["big.bin"]),
            (f"{root}/dir", ["sub"], ["data.bin", "empty.bin"]),
            (f"{root}/dir/sub", [], ["small.txt"]),
        ]
        status = client.status(f"{root}/big.bin")
        assert (status["type"], status["length"], status["owner"]) == ("FILE", len(big), "hadoop")
        assert client.status(f"{root}/dir")["type"] == "DIRECTORY"
        assert client.status(f"{root}/missing", strict=False) is None
        content = client.content(root)
        assert (content["directoryCount"], content["fileCount"], content["length"]) == (
            3, 4, len(big) + sum(map(len, files.values())))  # fmt: skip

        downloaded = Path(client.download(root, str(tmp_path / "down"), n_threads=2))
        assert (downloaded / "big.bin").read_bytes() == big
        for name, body in files.items():
            assert (downloaded / "dir" / name).read_bytes() == body

        client.rename(f"{root}/big.bin", f"{root}/renamed.bin")
        assert client.status(f"{root}/big.bin", strict=False) is None
        client.rename(f"{root}/renamed.bin", f"{root}/dir")  # into the existing directory
        assert client.list(root) == ["dir"]
        assert client.list(f"{root}/dir") == ["data.bin", "empty.bin", "renamed.bin", "sub"]

        with client.read(f"{root}/dir/renamed.bin", offset=3_000_001, length=1000) as reader:
            assert reader.read() == big[3_000_001:3_001_001]
        with client.read(f"{root}/dir/renamed.bin", chunk_size=MIB) as chunks:
            assert b"".join(chunks) == big
        with client.write(f"{root}/dir/sub/lines.txt", encoding="utf-8") as writer:
            writer.write("erste Zeile ü\n")
            writer.write("zweite Zeile\n")
        client.write(f"{root}/dir/sub/lines.txt", data="dritte Zeile\n", append=True)
        with client.read(f"{root}/dir/sub/lines.txt", encoding="utf-8", delimiter="\n") as lines:
            assert list(lines) == ["erste Zeile ü", "zweite Zeile", "dritte Zeile", ""]
        with pytest.raises(hdfs.HdfsError) as exists:
            client.write(f"{root}/dir/sub/lines.txt", data=b"x")
        assert exists.value.exception == "FileAlreadyExistsException"
        with client.write(f"{root}/dir/sub/lines.txt", overwrite=True) as raw:
            raw.write(b"\x00\xff" * 1000)
        with client.read(f"{root}/dir/sub/lines.txt") as reader:
            assert reader.read() == b"\x00\xff" * 1000

        with pytest.raises(hdfs.HdfsError) as not_empty:
            client.delete(root)
        assert not_empty.value.exception == "PathIsNotEmptyDirectoryException"
        assert client.delete(root, recursive=True) is True
        assert client.status(root, strict=False) is None
        assert client.delete(root, recursive=True) is False


# --- Spark ------------------------------------------------------------------------------------


def _java_home() -> str:
    """The machine's JDK: $JAVA_HOME, else the one `java` on PATH belongs to."""
    if home := os.environ.get("JAVA_HOME"):
        return home
    java = shutil.which("java")
    assert java is not None, "Spark needs a JDK (17+): set JAVA_HOME or put java on PATH"
    return str(Path(java).resolve().parents[1])


def _master_conf_dir(region: RunningServer, cluster: SharedCluster) -> Path:
    """The master node's generated conf/ (the node directories of LocalNodeProvider)."""
    (master,) = cluster.emr.list_instances(
        ClusterId=cluster.cluster_id, InstanceGroupTypes=["MASTER"]
    )["Instances"]
    instance_id = str(master["Ec2InstanceId"])
    return region.data_dir / "clusters" / cluster.cluster_id / instance_id / "conf"


@pytest.fixture(scope="module")
def spark_run(
    region: RunningServer, shared_cluster: SharedCluster, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[SparkRun]:
    """SPARK_JOB run once, in its own Python, with HADOOP_CONF_DIR = the master's conf/."""
    master_ip = _master_ip(shared_cluster)
    conf_dir = _master_conf_dir(region, shared_cluster)
    assert (conf_dir / "core-site.xml").is_file()
    work = tmp_path_factory.mktemp("spark")
    script = work / "spark_job.py"
    script.write_text(SPARK_JOB)
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("SPARK_", "PYSPARK_"))}
    environment.update(
        JAVA_HOME=_java_home(),
        HADOOP_CONF_DIR=str(conf_dir),
        HADOOP_USER_NAME="hadoop",
        SPARK_LOCAL_IP="127.0.0.1",
        PYSPARK_PYTHON=sys.executable,
    )
    job = {"rows": ROWS, "lines": LINES, "umlaut_rows": UMLAUT_ROWS}
    completed = subprocess.run(
        [sys.executable, str(script), master_ip, json.dumps(job)],
        cwd=work,
        env=environment,
        capture_output=True,
        text=True,
        timeout=SPARK_TIMEOUT_S,
    )
    results = [line for line in completed.stdout.splitlines() if line.startswith("RESULT ")]
    assert completed.returncode == 0 and results, completed.stderr[-6000:]
    fs = _webhdfs(master_ip)
    yield SparkRun(master_ip, json.loads(results[-1].removeprefix("RESULT ")), fs)
    fs.rm("/user/hadoop/spark", recursive=True)
    fs.session.close()


def _sorted_rows(rows: list[list[Any]]) -> list[list[Any]]:
    return sorted(rows, key=lambda row: row[0])


def test_spark_takes_hdfs_from_the_clusters_generated_conf(spark_run: SparkRun) -> None:
    conf, filesystems = spark_run.result["conf"], spark_run.result["filesystems"]
    assert conf == {
        "fs.defaultFS": f"hdfs://{spark_run.master_ip}:8020",
        "fs.hdfs.impl": "org.apache.hadoop.hdfs.web.WebHdfsFileSystem",
    }
    assert filesystems == {
        name: ["org.apache.hadoop.hdfs.web.WebHdfsFileSystem", f"hdfs://{spark_run.master_ip}:8020"]
        for name in ("short", "full")
    }


@pytest.mark.parametrize("written_as", ["short", "full"])
def test_spark_writes_and_reads_parquet_csv_and_text(spark_run: SparkRun, written_as: str) -> None:
    """Written through one form of hdfs:// URI, read back through the other."""
    result = spark_run.result[written_as]
    assert _sorted_rows(result["parquet"]) == ROWS
    assert _sorted_rows(result["csv"]) == ROWS
    assert sorted(result["text"]) == sorted(LINES)


def test_spark_sql_on_a_temp_view(spark_run: SparkRun) -> None:
    expected = [
        [value, len(ids), sum(ids)]
        for value in sorted(PARTITION_VALUES)
        for ids in [[row[0] for row in ROWS if row[2] == value]]
    ]
    assert spark_run.result["sql"] == expected


@pytest.mark.parametrize("written_as", ["short", "full"])
def test_spark_output_is_committed_and_read_by_pyarrow(
    spark_run: SparkRun, written_as: str
) -> None:
    fs, root = spark_run.fs, f"/user/hadoop/spark/{written_as}"
    for output, part in [("parquet", r"part-\d{5}-.+\.snappy\.parquet"),
                         ("csv", r"part-\d{5}-.+\.csv"), ("text", r"part-\d{5}")]:  # fmt: skip
        names = sorted(entry.rsplit("/", 1)[1] for entry in fs.ls(f"{root}/{output}", False))
        assert names[0] == "_SUCCESS", names
        assert fs.info(f"{root}/{output}/_SUCCESS")["size"] == 0
        assert names[1:] and all(re.fullmatch(part, name) for name in names[1:]), names
        assert not fs.exists(f"{root}/{output}/_temporary")
    table = pq.read_table(f"{root}/parquet", filesystem=fs)
    assert table.column_names == ["id", "value", "p"]
    assert _sorted_rows([list(row.values()) for row in table.to_pylist()]) == ROWS
    with fs.open(f"{root}/text/part-00000", "rb") as file:
        assert file.read().decode().splitlines() == LINES[: len(LINES) // 2]


def test_spark_partitions_by_values_with_a_space_and_equals(spark_run: SparkRun) -> None:
    result, fs = spark_run.result, spark_run.fs
    assert _sorted_rows(result["partitioned"]) == ROWS
    assert result["partition_filter"] == [row[0] for row in ROWS if row[2] == "x=y"]
    # Spark escapes '=' in a partition value as %3D; the names arrive through WebHDFS intact.
    listed = sorted(entry.rsplit("/", 1)[1] for entry in fs.ls("/user/hadoop/spark/partitioned"))
    assert listed == ["_SUCCESS", "p=a b", "p=x%3Dy"]
    table = pq.read_table("/user/hadoop/spark/partitioned", filesystem=fs, partitioning="hive")
    rows = [[row["id"], row["value"], row["p"]] for row in table.to_pylist()]
    assert _sorted_rows(rows) == ROWS


def test_spark_save_modes(spark_run: SparkRun) -> None:
    result = spark_run.result
    assert "PATH_ALREADY_EXISTS" in result["exists_error"]
    assert result["appended"] == len(ROWS) + 3
    assert _sorted_rows(result["overwritten"]) == ROWS[:2]


def test_spark_writes_with_the_generated_replication(spark_run: SparkRun) -> None:
    """hdfs-site.xml from the same conf/ is in effect: 2 core nodes → dfs.replication 1."""
    fs = spark_run.fs
    parts = fs.ls("/user/hadoop/spark/short/parquet", detail=True)
    assert {entry["replication"] for entry in parts if entry["type"] == "file"} == {1}


def test_spark_partitions_by_a_non_ascii_value(spark_run: SparkRun) -> None:
    assert "umlaut_error" not in spark_run.result, spark_run.result.get("umlaut_error", "")[:800]
    assert _sorted_rows(spark_run.result["umlaut"]) == UMLAUT_ROWS


def test_namenode_accepts_a_raw_utf8_request_line(shared_cluster: SharedCluster) -> None:
    """The request WebHdfsFileSystem sends for `hdfs://…/user/hadoop/raw-ü` (captured from
    pyspark 4.3.0's Hadoop 3.5.0 client), byte for byte: raw UTF-8 in the request line, which
    the daemons' HTTP protocol (hdfs/daemon.py) accepts."""
    master_ip = _master_ip(shared_cluster)
    fs = _webhdfs(master_ip)
    try:
        fs.mkdir("/user/hadoop/raw-ü")
        request = (
            "GET /webhdfs/v1/user/hadoop/raw-ü?op=GETFILESTATUS&user.name=hadoop HTTP/1.1\r\n"
            f"Host: {master_ip}:8020\r\nConnection: close\r\n\r\n"
        ).encode()
        with socket.create_connection((master_ip, 8020), timeout=10) as connection:
            connection.sendall(request)
            response = b"".join(iter(lambda: connection.recv(65536), b""))
        head, _, body = response.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200 "), response
        assert json.loads(body)["FileStatus"]["type"] == "DIRECTORY"
    finally:
        fs.rm("/user/hadoop/raw-ü", recursive=True)
        fs.session.close()
