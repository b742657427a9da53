"""EMRFS for the JVM: Spark and the Hadoop API read and write s3:// on the region's S3.

What a user sees is checked with other clients (boto3, pyarrow): the bytes and rows that land,
and that listings after a job hold only part files and `_SUCCESS`.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import time
from pathlib import Path
from typing import Any

import httpx
import pyarrow.parquet as pq
import pytest
from py4j.protocol import Py4JJavaError
from pyarrow import fs as pafs

from emr.spark.emrfs import WEBHDFS_ABSTRACT_FILE_SYSTEM
from tests.conftest import RunningServer
from tests.integration.hdfs.cluster import start_datanodes
from tests.integration.hdfs.conftest import NameNodeProcess, write_node_dir
from tests.integration.s3.conftest import MiB

pytestmark = pytest.mark.integration

ROWS = 2000
CATEGORIES = ["books", "games", "music", "tools"]


def sales(spark: Any, rows: int = ROWS, offset: int = 0) -> Any:
    return spark.range(offset, offset + rows, numPartitions=3).selectExpr(
        "id",
        f"element_at(array({', '.join(repr(c) for c in CATEGORIES)}), cast(id % 4 + 1 as int))"
        " AS category",
        "id * 0.25 AS amount",
    )


def keys(region: RunningServer, bucket: str, prefix: str) -> list[str]:
    s3 = region.client("s3")
    found: list[str] = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        found += [item["Key"] for item in page.get("Contents", [])]
    return sorted(found)


def assert_only_job_output(found: list[str], prefix: str) -> None:
    """What a finished job leaves: part files and `_SUCCESS`; no markers, no `_temporary`."""
    assert f"{prefix}_SUCCESS" in found
    for key in found:
        name = key.rsplit("/", 1)[-1]
        assert name == "_SUCCESS" or name.startswith("part-"), key
        assert "_temporary" not in key, key


def jvm(spark: Any) -> Any:
    return spark.sparkContext._jvm


def hadoop_fs(spark: Any, uri: str, **settings: str) -> Any:
    """A FileSystem instance of its own (not the cached one), with extra configuration."""
    conf = jvm(spark).org.apache.hadoop.conf.Configuration(
        spark.sparkContext._jsc.hadoopConfiguration()
    )
    for name, value in settings.items():
        conf.set(name, value)
    return jvm(spark).org.apache.hadoop.fs.FileSystem.newInstance(
        jvm(spark).java.net.URI.create(uri), conf
    )


def hpath(spark: Any, uri: str) -> Any:
    return jvm(spark).org.apache.hadoop.fs.Path(uri)


def java_error(call: Any, *args: Any) -> str:
    with pytest.raises(Py4JJavaError) as raised:
        call(*args)
    return str(raised.value)


@pytest.fixture(scope="module")
def arrow_s3(aws_environment: dict[str, str]) -> pafs.S3FileSystem:
    url = aws_environment["AWS_ENDPOINT_URL"]
    scheme, _, host_port = url.partition("://")
    return pafs.S3FileSystem(
        access_key=aws_environment["AWS_ACCESS_KEY_ID"],
        secret_key=aws_environment["AWS_SECRET_ACCESS_KEY"],
        endpoint_override=host_port,
        scheme=scheme,
        region=aws_environment["AWS_DEFAULT_REGION"],
    )


# ---- DataFrames --------------------------------------------------------------------------


def test_parquet_round_trip_and_clean_listing(
    spark: Any, spark_bucket: str, region: RunningServer, arrow_s3: pafs.S3FileSystem
) -> None:
    sales(spark).write.parquet(f"s3://{spark_bucket}/parquet")

    back = spark.read.parquet(f"s3://{spark_bucket}/parquet")
    assert back.count() == ROWS
    assert back.selectExpr("sum(id)").first()[0] == sum(range(ROWS))
    table = pq.read_table(f"{spark_bucket}/parquet", filesystem=arrow_s3)
    assert sorted(table.column("id").to_pylist()) == list(range(ROWS))
    assert set(table.column("category").to_pylist()) == set(CATEGORIES)
    assert_only_job_output(keys(region, spark_bucket, "parquet/"), "parquet/")


@pytest.mark.parametrize("writer,reader", [("s3a", "s3n"), ("s3n", "s3")])
def test_csv_through_every_scheme(
    spark: Any, spark_bucket: str, region: RunningServer, writer: str, reader: str
) -> None:
    prefix = f"csv-{writer}/"
    sales(spark, 300).write.csv(f"{writer}://{spark_bucket}/{prefix}", header=True)

    back = spark.read.csv(f"{reader}://{spark_bucket}/{prefix}", header=True, inferSchema=True)
    assert sorted(row.id for row in back.collect()) == list(range(300))
    found = keys(region, spark_bucket, prefix)
    assert_only_job_output(found, prefix)
    s3 = region.client("s3")
    rows = []
    for key in found:
        if key.endswith(".csv"):
            body = s3.get_object(Bucket=spark_bucket, Key=key)["Body"].read().decode()
            rows += list(csv.DictReader(io.StringIO(body)))
    assert sorted(int(row["id"]) for row in rows) == list(range(300))
    assert {row["category"] for row in rows} == set(CATEGORIES)


def test_partition_values_with_unicode_and_spaces(
    spark: Any, spark_bucket: str, region: RunningServer, arrow_s3: pafs.S3FileSystem
) -> None:
    frame = spark.range(100, numPartitions=2).selectExpr(
        "id", "CASE WHEN id % 2 = 0 THEN 'ü x' ELSE 'plain' END AS p"
    )
    frame.write.partitionBy("p").parquet(f"s3://{spark_bucket}/parts")

    found = keys(region, spark_bucket, "parts/")
    assert_only_job_output(found, "parts/")
    assert {key.split("/")[1] for key in found if "part-" in key} == {"p=ü x", "p=plain"}
    back = spark.read.parquet(f"s3://{spark_bucket}/parts")
    assert sorted((r.id, r.p) for r in back.collect()) == [
        (i, "ü x" if i % 2 == 0 else "plain") for i in range(100)
    ]
    table = pq.read_table(f"{spark_bucket}/parts/p=ü x", filesystem=arrow_s3)
    assert sorted(table.column("id").to_pylist()) == list(range(0, 100, 2))


def test_overwrite_mode_replaces_the_output(
    spark: Any, spark_bucket: str, region: RunningServer
) -> None:
    target = f"s3://{spark_bucket}/overwritten"
    sales(spark, 500).write.parquet(target)
    sales(spark, 40, offset=10_000).coalesce(1).write.mode("overwrite").parquet(target)

    back = spark.read.parquet(target)
    assert sorted(r.id for r in back.collect()) == list(range(10_000, 10_040))
    found = keys(region, spark_bucket, "overwritten/")
    assert_only_job_output(found, "overwritten/")
    assert len([k for k in found if "part-" in k]) == 1


def test_sql_over_a_temp_view(spark: Any, spark_bucket: str) -> None:
    sales(spark).write.parquet(f"s3://{spark_bucket}/sql")
    spark.read.parquet(f"s3://{spark_bucket}/sql").createOrReplaceTempView("sales")

    rows = spark.sql(
        "SELECT category, count(*) AS n, sum(amount) AS total FROM sales GROUP BY category"
    ).collect()
    expected = {
        c: (ROWS // 4, sum(i * 0.25 for i in range(ROWS) if i % 4 == k))
        for k, c in enumerate(CATEGORIES)
    }
    assert {r.category: (r.n, r.total) for r in rows} == expected


# ---- RDDs --------------------------------------------------------------------------------


def test_rdd_text_files_globs_and_save(
    spark: Any, spark_bucket: str, region: RunningServer
) -> None:
    s3 = region.client("s3")
    for key, body in {
        "logs/a.txt": "alpha\nbeta\n",
        "logs/b.txt": "gamma\n",
        "logs/c.log": "delta\n",
    }.items():
        s3.put_object(Bucket=spark_bucket, Key=key, Body=body.encode())
    sc = spark.sparkContext

    assert sorted(sc.textFile(f"s3://{spark_bucket}/logs").collect()) == [
        "alpha",
        "beta",
        "delta",
        "gamma",
    ]
    assert sorted(sc.textFile(f"s3://{spark_bucket}/logs/*.txt").collect()) == [
        "alpha",
        "beta",
        "gamma",
    ]
    both = f"s3://{spark_bucket}/logs/b.txt,s3://{spark_bucket}/logs/c.log"
    assert sorted(sc.textFile(both).collect()) == ["delta", "gamma"]

    sc.parallelize(["x", "y", "z"], 2).saveAsTextFile(f"s3://{spark_bucket}/rdd-out")
    found = keys(region, spark_bucket, "rdd-out/")
    assert found == ["rdd-out/_SUCCESS", "rdd-out/part-00000", "rdd-out/part-00001"]
    text = "".join(
        s3.get_object(Bucket=spark_bucket, Key=key)["Body"].read().decode() for key in found
    )
    assert sorted(text.split()) == ["x", "y", "z"]


# ---- the committer -----------------------------------------------------------------------


def test_failed_job_publishes_nothing(spark: Any, spark_bucket: str, region: RunningServer) -> None:
    from pyspark.sql.functions import udf

    conf = spark.sparkContext._jsc.hadoopConfiguration()
    assert conf.getInt("mapreduce.fileoutputcommitter.algorithm.version", 1) == 1

    @udf(returnType="long", useArrow=False)
    def fail(value: int) -> int:
        raise ValueError("task failure on purpose")

    frame = spark.range(20, numPartitions=2).select(fail("id").alias("v"))
    with pytest.raises(Exception, match="task failure on purpose"):
        frame.write.parquet(f"s3://{spark_bucket}/failed")

    for key in keys(region, spark_bucket, "failed"):
        assert key == "failed/" or key.startswith("failed/_temporary/"), key
        assert "part-" not in key and "_SUCCESS" not in key, key


# ---- the Hadoop API ----------------------------------------------------------------------


def test_hadoop_filesystem_semantics(spark: Any, spark_bucket: str, region: RunningServer) -> None:
    root = f"s3://{spark_bucket}/sem"
    fs = hadoop_fs(spark, f"s3://{spark_bucket}/")
    data = bytes(range(256)) * 1000

    assert fs.mkdirs(hpath(spark, f"{root}/d/e"))
    assert keys(region, spark_bucket, "sem/") == ["sem/d/e/"]
    out = fs.create(hpath(spark, f"{root}/d/e/f.bin"), False)
    out.write(bytearray(data))
    assert keys(region, spark_bucket, "sem/") == ["sem/d/e/"]  # nothing visible before close
    out.close()
    assert keys(region, spark_bucket, "sem/") == ["sem/d/e/f.bin"]  # the marker went away

    status = fs.getFileStatus(hpath(spark, f"{root}/d/e/f.bin"))
    assert (status.isFile(), status.getLen(), status.getBlockSize()) == (True, len(data), 128 * MiB)
    assert str(status.getPath()) == f"{root}/d/e/f.bin"
    assert fs.getFileStatus(hpath(spark, f"{root}/d")).isDirectory()
    assert [str(s.getPath()) for s in fs.listStatus(hpath(spark, f"{root}/d"))] == [f"{root}/d/e"]
    relative = fs.makeQualified(jvm(spark).org.apache.hadoop.fs.Path("sem/d"))
    assert str(relative) == f"{root}/d"

    stream = fs.open(hpath(spark, f"{root}/d/e/f.bin"))
    stream.seek(len(data) - 8)
    assert bytes(stream.read() for _ in range(8)) == data[-8:]
    assert stream.read() == -1
    stream.seek(100)
    assert stream.read() == data[100]
    stream.seek(100 + 70_000)  # beyond the in-stream skip: reopens
    assert (stream.read(), stream.getPos()) == (data[100 + 70_000], 100 + 70_001)
    assert "EOFException" in java_error(stream.seek, len(data) + 1)
    # pread (what Parquet's vectored reads use; their bytes are checked by the Parquet tests)
    # reads at a position without moving getPos(). py4j copies byte arrays, so only counts here.
    assert stream.read(len(data) - 8, bytearray(16), 0, 16) == 8
    assert stream.getPos() == 100 + 70_001
    stream.close()

    file_path = hpath(spark, f"{root}/d/e/f.bin")
    assert "FileAlreadyExistsException" in java_error(fs.create, file_path, False)
    assert "FileAlreadyExistsException" in java_error(fs.create, hpath(spark, f"{root}/d"), True)
    assert "FileAlreadyExistsException" in java_error(fs.mkdirs, file_path)
    assert "ParentNotDirectoryException" in java_error(
        fs.mkdirs, hpath(spark, f"{root}/d/e/f.bin/x")
    )
    assert "Append is not supported" in java_error(fs.append, file_path)
    assert "PathIsNotEmptyDirectoryException" in java_error(
        fs.delete, hpath(spark, f"{root}/d"), False
    )
    assert "FileNotFoundException" in java_error(fs.open, hpath(spark, f"{root}/missing"))

    assert not fs.rename(hpath(spark, f"{root}/missing"), hpath(spark, f"{root}/x"))
    assert fs.rename(file_path, hpath(spark, f"{root}/d"))  # into an existing directory
    assert keys(region, spark_bucket, "sem/") == ["sem/d/e/", "sem/d/f.bin"]
    assert fs.rename(hpath(spark, f"{root}/d"), hpath(spark, f"{root}/moved"))
    assert keys(region, spark_bucket, "sem/") == ["sem/moved/e/", "sem/moved/f.bin"]
    body = region.client("s3").get_object(Bucket=spark_bucket, Key="sem/moved/f.bin")["Body"]
    assert body.read() == data

    assert fs.delete(hpath(spark, f"{root}/moved"), True)
    assert keys(region, spark_bucket, "sem/") == ["sem/"]  # the parent directory stays
    assert not fs.delete(hpath(spark, f"{root}/moved"), True)
    assert not fs.delete(hpath(spark, f"s3://{spark_bucket}/"), True)
    fs.close()


def test_listings_page_and_directory_renames_move_everything(
    spark: Any, spark_bucket: str, region: RunningServer
) -> None:
    s3 = region.client("s3")
    names = [f"page/f{i:02}" for i in range(10)] + ["page/sub0/x", "page/sub1/y"]
    for name in names:
        s3.put_object(Bucket=spark_bucket, Key=name, Body=name.encode())
    root = f"s3://{spark_bucket}"
    fs = hadoop_fs(spark, f"{root}/", **{"fs.s3.paging.maximum": "3"})

    listed = sorted(str(s.getPath()) for s in fs.listStatus(hpath(spark, f"{root}/page")))
    assert listed == sorted(
        [f"{root}/page/f{i:02}" for i in range(10)] + [f"{root}/page/sub0", f"{root}/page/sub1"]
    )
    files = fs.listFiles(hpath(spark, f"{root}/page"), True)
    found = []
    while files.hasNext():
        found.append(str(files.next().getPath()))
    assert sorted(found) == [f"{root}/{name}" for name in sorted(names)]

    assert fs.mkdirs(hpath(spark, f"{root}/page2/page"))  # an empty directory gets filled
    assert fs.rename(hpath(spark, f"{root}/page"), hpath(spark, f"{root}/page2"))
    assert keys(region, spark_bucket, "page") == [f"page2/{name}" for name in sorted(names)]
    body = s3.get_object(Bucket=spark_bucket, Key="page2/page/sub1/y")["Body"].read()
    assert body == b"page/sub1/y"
    assert fs.delete(hpath(spark, f"{root}/page2"), True)
    assert keys(region, spark_bucket, "page") == []
    fs.close()


def test_streamed_768_mb_write_in_a_512m_driver(
    spark: Any, spark_bucket: str, region: RunningServer
) -> None:
    max_heap = jvm(spark).java.lang.Runtime.getRuntime().maxMemory()
    assert max_heap <= 512 * MiB
    size, chunk = 768 * MiB, 64 * 1024
    uri = f"s3://{spark_bucket}/big/stream.bin"
    fs = hadoop_fs(spark, uri, **{"fs.s3.multipart.size": "8m"})
    digest = hashlib.sha256()

    started = time.monotonic()
    out = fs.create(hpath(spark, uri), True)
    for _ in range(size // chunk):
        data = os.urandom(chunk)
        digest.update(data)
        out.write(bytearray(data))
    out.close()
    wrote = time.monotonic() - started

    s3 = region.client("s3")
    head = s3.head_object(Bucket=spark_bucket, Key="big/stream.bin")
    assert head["ContentLength"] == size
    assert head["ETag"].strip('"').endswith(f"-{size // (8 * MiB)}")
    started = time.monotonic()
    jvm_hash = jvm(spark).org.apache.commons.codec.digest.DigestUtils.sha256Hex(
        fs.open(hpath(spark, uri))
    )
    read = time.monotonic() - started
    assert jvm_hash == digest.hexdigest()
    boto_hash = hashlib.sha256()
    for part in s3.get_object(Bucket=spark_bucket, Key="big/stream.bin")["Body"].iter_chunks(MiB):
        boto_hash.update(part)
    assert boto_hash.hexdigest() == digest.hexdigest()
    print(f"EMRFS 768 MiB: write {768 / wrote:.0f} MiB/s (py4j-fed), read {768 / read:.0f} MiB/s")
    s3.delete_object(Bucket=spark_bucket, Key="big/stream.bin")
    fs.close()


def test_file_context_create_list_rename(
    spark: Any, spark_bucket: str, region: RunningServer
) -> None:
    j = jvm(spark)
    gateway = spark.sparkContext._gateway
    fc = j.org.apache.hadoop.fs.FileContext.getFileContext(
        j.java.net.URI.create(f"s3://{spark_bucket}/"),
        spark.sparkContext._jsc.hadoopConfiguration(),
    )
    flags = j.java.util.EnumSet.of(j.org.apache.hadoop.fs.CreateFlag.CREATE)
    create_parent = j.org.apache.hadoop.fs.Options.CreateOpts.createParent()
    opts = gateway.new_array(j.org.apache.hadoop.fs.Options.CreateOpts, 1)
    opts[0] = create_parent
    out = fc.create(hpath(spark, f"s3://{spark_bucket}/fc/a.txt"), flags, opts)
    out.write(bytearray(b"from FileContext"))
    out.close()

    listing = fc.listStatus(hpath(spark, f"s3://{spark_bucket}/fc"))
    names = []
    while listing.hasNext():
        names.append(listing.next().getPath().getName())
    assert names == ["a.txt"]
    no_options = gateway.new_array(j.org.apache.hadoop.fs.Options.Rename, 0)
    fc.rename(
        hpath(spark, f"s3://{spark_bucket}/fc/a.txt"),
        hpath(spark, f"s3://{spark_bucket}/fc/b.txt"),
        no_options,
    )
    assert keys(region, spark_bucket, "fc/") == ["fc/b.txt"]
    body = region.client("s3").get_object(Bucket=spark_bucket, Key="fc/b.txt")["Body"].read()
    assert body == b"from FileContext"


def test_structured_streaming_with_checkpoint_on_s3(
    spark: Any, spark_bucket: str, region: RunningServer
) -> None:
    s3 = region.client("s3")
    base = f"s3://{spark_bucket}/stream"

    def run_available_now() -> None:
        query = (
            spark.readStream.schema("id INT, word STRING")
            .json(f"{base}/in")
            .writeStream.format("parquet")
            .option("checkpointLocation", f"{base}/checkpoint")
            .trigger(availableNow=True)
            .start(f"{base}/out")
        )
        query.awaitTermination(120)
        assert query.exception() is None

    s3.put_object(Bucket=spark_bucket, Key="stream/in/0.json", Body=b'{"id":1,"word":"a"}\n')
    run_available_now()
    s3.put_object(Bucket=spark_bucket, Key="stream/in/1.json", Body=b'{"id":2,"word":"b"}\n')
    run_available_now()

    rows = spark.read.parquet(f"{base}/out").collect()
    assert sorted((r.id, r.word) for r in rows) == [(1, "a"), (2, "b")]
    found = keys(region, spark_bucket, "stream/checkpoint/")
    for key in ("offsets/0", "offsets/1", "commits/0", "commits/1", "metadata"):
        assert f"stream/checkpoint/{key}" in found


# ---- errors ------------------------------------------------------------------------------


def test_missing_path_is_reported_by_spark(spark: Any, spark_bucket: str) -> None:
    from pyspark.errors import AnalysisException

    with pytest.raises(AnalysisException, match="Path does not exist"):
        spark.read.parquet(f"s3://{spark_bucket}/no/such/data")


def test_bad_credentials_name_the_s3_error_and_no_secret(
    spark: Any, spark_bucket: str, aws_environment: dict[str, str]
) -> None:
    wrong_secret = "wrong-secret-0123456789abcdefghijklmnopqr"
    fs = hadoop_fs(spark, f"s3://{spark_bucket}/", **{"fs.s3.secret.key": wrong_secret})
    message = java_error(fs.listStatus, hpath(spark, f"s3://{spark_bucket}/"))
    assert "SignatureDoesNotMatch" in message
    assert f"s3://{spark_bucket}/" in message
    real_secret = aws_environment["AWS_SECRET_ACCESS_KEY"]
    for text in (message, fs.toString()):
        assert wrong_secret not in text and real_secret not in text

    fs = hadoop_fs(spark, f"s3a://{spark_bucket}/", **{"fs.s3a.access.key": "AKIANOBODY000000"})
    message = java_error(fs.getFileStatus, hpath(spark, f"s3a://{spark_bucket}/x"))
    assert "InvalidAccessKeyId" in message or "AccessDenied" in message
    assert "java.nio.file.AccessDeniedException" in message
    assert real_secret not in message


# ---- FileContext on hdfs:// (our NameNode through Hadoop's WebHdfsFileSystem) ------------


def test_file_context_on_hdfs_through_webhdfs(spark: Any, tmp_path: Path) -> None:
    namenode = NameNodeProcess(write_node_dir(tmp_path / "nn", core_nodes=1), ["--tick", "0.2"])
    namenode.start()
    datanodes = []
    try:
        datanodes = start_datanodes(tmp_path, namenode, 1)
        made = httpx.put(
            f"{namenode.url}/webhdfs/v1/ckpt",
            params={"op": "MKDIRS", "user.name": "hdfs", "permission": "777"},
            timeout=10,
        )
        assert made.status_code == 200, made.text
        j = jvm(spark)
        conf = j.org.apache.hadoop.conf.Configuration(spark.sparkContext._jsc.hadoopConfiguration())
        conf.set("fs.hdfs.impl", "org.apache.hadoop.hdfs.web.WebHdfsFileSystem")
        conf.set("fs.AbstractFileSystem.hdfs.impl", WEBHDFS_ABSTRACT_FILE_SYSTEM)
        conf.set("fs.defaultFS", f"hdfs://127.0.0.1:{namenode.http_port}")
        fc = j.org.apache.hadoop.fs.FileContext.getFileContext(conf)
        gateway = spark.sparkContext._gateway
        opts = gateway.new_array(j.org.apache.hadoop.fs.Options.CreateOpts, 1)
        opts[0] = j.org.apache.hadoop.fs.Options.CreateOpts.createParent()
        flags = j.java.util.EnumSet.of(j.org.apache.hadoop.fs.CreateFlag.CREATE)
        out = fc.create(hpath(spark, "/ckpt/offsets/.0.tmp"), flags, opts)
        out.write(bytearray("v1 ü".encode()))
        out.close()
        overwrite = gateway.new_array(j.org.apache.hadoop.fs.Options.Rename, 1)
        overwrite[0] = j.org.apache.hadoop.fs.Options.Rename.OVERWRITE
        fc.rename(hpath(spark, "/ckpt/offsets/.0.tmp"), hpath(spark, "/ckpt/offsets/0"), overwrite)

        listing = fc.listStatus(hpath(spark, "/ckpt/offsets"))
        names = []
        while listing.hasNext():
            status = listing.next()
            names.append(str(status.getPath()))
        assert names == [f"hdfs://127.0.0.1:{namenode.http_port}/ckpt/offsets/0"]
        answer = httpx.get(
            f"{namenode.url}/webhdfs/v1/ckpt/offsets/0?op=OPEN", follow_redirects=True, timeout=10
        )
        assert answer.content == "v1 ü".encode()
        # FileSystem (not FileContext) resolves hdfs:/// through fs.defaultFS.
        path = hpath(spark, "hdfs:///ckpt/offsets/0")
        assert path.getFileSystem(conf).getFileStatus(path).getLen() == len("v1 ü".encode())
    finally:
        for datanode in datanodes:
            datanode.stop()
        namenode.stop()
