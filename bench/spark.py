"""Spark: wordcount and a Parquet aggregation as spark-submit steps on a 1 master + 2 core
cluster, against pyspark's own `spark-submit --master local[2]` on the same machine, in the same
run, on the same data; and the step submission overhead of a trivial job.

Data (deterministic, cached under $TMPDIR/emr-bench-mapreduce/ and $TMPDIR/emr-bench-spark/):
  text     EMR_BENCH_SPARK_MB MiB (default 1024) of bench.mapreduce's text (lines of 12 Zipf
           words, rounded up to its 8 MiB blocks); the same file as bench.mapreduce's of that
           size, so a run of either reuses the other's.
  parquet  about EMR_BENCH_SPARK_MB MiB of Parquet (pyarrow, snappy): FILES files of ROW_GROUPS
           row groups; columns key (string, KEYS distinct values, uniform), qty (int64 0 to 999),
           price (double, 2 decimals), amount (int64 below 1e9), score (double in [0, 1)),
           seeded per file, row group and column (pyarrow.compute.random). ~21 bytes a row:
           1 GiB is ~51M rows.
The inputs are uploaded to the cluster's S3 with boto3 before any timing (not timed); the jobs
read them as s3:// through EMRFS.

The jobs (one script each, the same file for ours and the peer; paths are arguments):
  wordcount    DataFrame API: spark.read.text → split on " " → explode → groupBy(word).count()
               → `word\\tcount` lines written with DataFrame.write.text. DataFrame rather than
               RDD: everything runs in the JVM (no Python worker pickling every line), which is
               how Spark jobs are written today and measures the cluster rather than pickling.
  aggregation  spark.read.parquet → groupBy(key).agg(count(*), sum(qty), sum(amount),
               avg(price), avg(score)) → DataFrame.write.parquet.
  trivial      spark.range(1).count(): the step submission overhead. It prints wall-clock
               stamps (script start, SparkSession ready, done) to the driver's stdout.
Every job gets `spark.sql.shuffle.partitions=SHUFFLE_PARTITIONS` (both sides), so both write the
same few part files instead of Spark's 200, and the properties of EMR_BENCH_SPARK_CONF
(space-separated key=value, e.g. `spark.eventLog.enabled=false`; none by default: ours runs with
the cluster's spark-defaults, event logs to HDFS included).

Ours: Applications=[Spark]; each job is a command-runner step `spark-submit --deploy-mode
cluster --num-executors EXECUTORS --executor-cores EXECUTOR_CORES s3://…/job.py <in> <out>`
(what `aws emr add-steps --steps Type=Spark,…` makes), timed from AddJobFlowSteps to the step's
COMPLETED, polled every 50 ms. Executors keep the cluster's spark-defaults memory (m5.xlarge,
3072 MB of YARN memory a node: 896m heap in a 1536 MB container; the cluster-mode AM with a
512m driver takes 1280 MB). EXECUTORS x EXECUTOR_CORES defaults to 2 x 1 = 2 task slots, as
many as local[2] has (the machine has 2 cores; EMR_BENCH_SPARK_EXECUTORS and
EMR_BENCH_SPARK_EXECUTOR_CORES change it). The trivial step runs first (cold) and last (warm):
the row is the warm one. Its "before SparkContext" share is from AddJobFlowSteps to the
driver's SparkSession being ready, read from the stamps in the AM container's stdout (on the
node's disk: every node of this cluster is a local process).
Peer: `<pyspark>/bin/spark-submit --master local[2] --driver-memory 2g` (about the heap ours
has in total) of the same scripts on the local copies of the same files, after the cluster is
gone.
Validation: our outputs, read back from S3 with boto3 (and pyarrow), equal the peer's: the
wordcount as a word → count mapping; the aggregation row by row after sorting by key (counts and
integer sums exact, averages to a relative 1e-9: Spark sums doubles in task order), and both
have every key and as many rows in total as the input. Our output directories hold _SUCCESS.
Times are wall-clock seconds (ratio = peer / ours, > 1: we are faster); issue 8's target is
ours ≤ 1.25 x local, i.e. ratio ≥ 0.8.

    EMR_BENCH_SPARK_MB=64 uv run python -m bench.run spark
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.harness import Endpoint, Result, emr_server, run_step
from bench.mapreduce import cached as cached_text
from bench.mapreduce import make_text

MiB = 1024 * 1024
SIZE_MB = int(os.environ.get("EMR_BENCH_SPARK_MB", "1024"))
EXECUTORS = int(os.environ.get("EMR_BENCH_SPARK_EXECUTORS", "2"))
EXECUTOR_CORES = int(os.environ.get("EMR_BENCH_SPARK_EXECUTOR_CORES", "1"))
SHUFFLE_PARTITIONS = 4
#: Extra `key=value` Spark properties (space-separated) for every job, ours and the peer's.
EXTRA_CONF = os.environ.get("EMR_BENCH_SPARK_CONF", "").split()
KEYS = 4000
FILES = 8
ROW_GROUPS = 4
BYTES_PER_ROW = 21  # measured: what a row of the table below takes in snappy Parquet
STEP_TIMEOUT_S = 3600.0
PEER_TIMEOUT_S = 3600.0
CLUSTER_TIMEOUT_S = 180.0
PEER_DRIVER_MEMORY = "2g"
BUCKET = "emr-bench-spark"
CACHE = Path(tempfile.gettempdir()) / "emr-bench-spark"
STAMP = "EMR-BENCH-STAMPS"

WORDCOUNT = """\
import sys
from pyspark.sql import SparkSession, functions as F

spark = SparkSession.builder.appName("bench-wordcount").getOrCreate()
words = spark.read.text(sys.argv[1]).select(F.explode(F.split("value", " ")).alias("word"))
counts = words.where(F.col("word") != "").groupBy("word").count()
counts.select(F.concat_ws("\\t", "word", F.col("count").cast("string"))).write.text(sys.argv[2])
spark.stop()
"""
AGGREGATION = """\
import sys
from pyspark.sql import SparkSession, functions as F

spark = SparkSession.builder.appName("bench-aggregation").getOrCreate()
table = spark.read.parquet(sys.argv[1])
result = table.groupBy("key").agg(
    F.count(F.lit(1)).alias("rows"),
    F.sum("qty").alias("qty"),
    F.sum("amount").alias("amount"),
    F.avg("price").alias("avg_price"),
    F.avg("score").alias("avg_score"),
)
result.write.parquet(sys.argv[2])
spark.stop()
"""
TRIVIAL = f"""\
import time

start = time.time()
from pyspark.sql import SparkSession

spark = SparkSession.builder.appName("bench-trivial").getOrCreate()
ready = time.time()
assert spark.range(1).count() == 1
print("{STAMP}", start, ready, time.time(), flush=True)
spark.stop()
"""
JOBS = {"wordcount.py": WORDCOUNT, "aggregation.py": AGGREGATION, "trivial.py": TRIVIAL}


# --- data ----------------------------------------------------------------------------------------


def make_parquet(directory: Path, size: int) -> None:
    """About `size` bytes of Parquet in FILES files (see the module docstring)."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    rows = max(FILES * ROW_GROUPS, size // BYTES_PER_ROW)
    names = pa.array([f"key-{n:04d}" for n in range(KEYS)])
    schema = pa.schema(
        [
            ("key", pa.string()),
            ("qty", pa.int64()),
            ("price", pa.float64()),
            ("amount", pa.int64()),
            ("score", pa.float64()),
        ]
    )
    directory.mkdir(parents=True)
    for file in range(FILES):
        path = directory / f"part-{file:05d}.parquet"
        with pq.ParquetWriter(path, schema, compression="snappy") as writer:
            for group in range(ROW_GROUPS):
                n = rows // (FILES * ROW_GROUPS)
                base = (file * ROW_GROUPS + group) * 8

                def uniform(column: int, n: int = n, base: int = base) -> Any:
                    return pc.random(n, initializer=base + column)

                key = pc.take(names, pc.cast(pc.floor(pc.multiply(uniform(0), KEYS)), pa.int32()))
                table = pa.table(
                    {
                        "key": key,
                        "qty": pc.cast(pc.floor(pc.multiply(uniform(1), 1000)), pa.int64()),
                        "price": pc.round(pc.multiply(uniform(2), 100), 2),
                        "amount": pc.cast(pc.floor(pc.multiply(uniform(3), 1e9)), pa.int64()),
                        "score": uniform(4),
                    },
                    schema=schema,
                )
                writer.write_table(table, row_group_size=n)


def cached_parquet(size: int) -> Path:
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / f"table-{size}"
    if not path.exists():
        start = time.perf_counter()
        partial = CACHE / f"table-{size}.tmp"
        shutil.rmtree(partial, ignore_errors=True)
        make_parquet(partial, size)
        partial.rename(path)
        print(f"generated {path} ({_size(path) / MiB:,.0f} MiB) in "
              f"{time.perf_counter() - start:.1f} s")  # fmt: skip
    return path


def _size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.iterdir())


def parquet_rows(directory: Path) -> int:
    import pyarrow.parquet as pq

    return sum(pq.ParquetFile(p).metadata.num_rows for p in sorted(directory.iterdir()))


# --- outputs -------------------------------------------------------------------------------------


def word_counts(parts: list[bytes]) -> Counter[str]:
    counts: Counter[str] = Counter()
    for data in parts:
        for line in data.decode().splitlines():
            word, count = line.split("\t")
            if word in counts:
                raise RuntimeError(f"wordcount: {word!r} twice in the output")
            counts[word] = int(count)
    return counts


def aggregation_rows(parts: list[bytes]) -> list[dict[str, Any]]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    tables = [pq.read_table(pa.BufferReader(data)) for data in parts]
    rows: list[dict[str, Any]] = pa.concat_tables(tables).sort_by("key").to_pylist()
    return rows


def check_wordcount(ours: Counter[str], peer: Counter[str]) -> None:
    if not peer:
        raise RuntimeError("wordcount: the peer counted no words")
    if ours != peer:
        missing = sorted(set(peer) - set(ours))[:5]
        wrong = sorted(w for w in set(ours) & set(peer) if ours[w] != peer[w])[:5]
        raise RuntimeError(
            f"wordcount differs: {len(ours)} words (ours) vs {len(peer)} (peer); "
            f"missing {missing}, different {wrong}"
        )


def check_aggregation(ours: list[dict[str, Any]], peer: list[dict[str, Any]], rows: int) -> None:
    for name, table in (("ours", ours), ("peer", peer)):
        if len(table) != KEYS:
            raise RuntimeError(f"aggregation ({name}): {len(table)} keys, expected {KEYS}")
        if sum(row["rows"] for row in table) != rows:
            raise RuntimeError(f"aggregation ({name}): row counts do not add up to {rows}")
    for mine, theirs in zip(ours, peer, strict=True):
        for column, value in mine.items():
            other = theirs[column]
            if isinstance(value, float):
                same = math.isclose(value, other, rel_tol=1e-9)
            else:
                same = value == other
            if not same:
                raise RuntimeError(f"aggregation differs at {mine['key']} {column}: "
                                   f"{value!r} (ours) vs {other!r} (peer)")  # fmt: skip


# --- the cluster ---------------------------------------------------------------------------------


def _session(endpoint: Endpoint) -> Any:
    import boto3

    return boto3.Session(
        aws_access_key_id=endpoint.access_key,
        aws_secret_access_key=endpoint.secret_key,
        region_name="us-east-1",
    )


class S3:
    def __init__(self, endpoint: Endpoint) -> None:
        from boto3.s3.transfer import TransferConfig

        self.client = _session(endpoint).client("s3", endpoint_url=endpoint.url)
        self.transfer = TransferConfig(multipart_chunksize=64 * MiB, max_concurrency=4)

    def upload(self, local: Path, key: str) -> None:
        if local.is_dir():
            for path in sorted(local.iterdir()):
                self.client.upload_file(str(path), BUCKET, f"{key}/{path.name}",
                                        Config=self.transfer)  # fmt: skip
        else:
            self.client.upload_file(str(local), BUCKET, key, Config=self.transfer)

    def parts(self, prefix: str) -> list[bytes]:
        """The part files of a job's output directory (which must hold _SUCCESS)."""
        keys: list[str] = []
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=BUCKET, Prefix=f"{prefix}/"):
            keys += [item["Key"] for item in page.get("Contents", [])]
        names = {key.rsplit("/", 1)[1] for key in keys}
        if "_SUCCESS" not in names:
            raise RuntimeError(f"s3://{BUCKET}/{prefix}: no _SUCCESS in {sorted(names)}")
        return [
            self.client.get_object(Bucket=BUCKET, Key=key)["Body"].read()
            for key in sorted(keys)
            if key.rsplit("/", 1)[1].startswith("part-")
        ]


@dataclass
class Cluster:
    emr: Any
    cluster_id: str
    #: where the server keeps the node directories (container logs for failed steps)
    root: Path

    def step(self, name: str, args: list[str]) -> tuple[float, float]:
        """(wall-clock start, seconds) of a command-runner step from AddJobFlowSteps to its
        COMPLETED."""
        wall = time.time()
        status, seconds = run_step(self.emr, self.cluster_id, name, args, STEP_TIMEOUT_S)
        if status["State"] != "COMPLETED":
            raise RuntimeError(f"{name}: {status}\n{container_logs(self.root, wall)}")
        return wall, seconds


@contextlib.contextmanager
def spark_cluster(endpoint: Endpoint, root: Path) -> Iterator[Cluster]:
    """A WAITING 1 master + 2 core m5.xlarge cluster with Spark, terminated at the end."""
    from botocore.config import Config

    emr = _session(endpoint).client(
        "emr", endpoint_url=endpoint.url, config=Config(retries={"max_attempts": 1})
    )
    groups = [
        {"InstanceRole": role, "InstanceType": "m5.xlarge", "InstanceCount": count}
        for role, count in (("MASTER", 1), ("CORE", 2))
    ]
    cluster_id = emr.run_job_flow(
        Name="bench-spark",
        ReleaseLabel="emr-7.5.0",
        Applications=[{"Name": "Hadoop"}, {"Name": "Spark"}],
        Instances={"InstanceGroups": groups, "KeepJobFlowAliveWhenNoSteps": True},
    )["JobFlowId"]

    def until(done: Callable[[str], bool]) -> dict[str, Any]:
        deadline = time.monotonic() + CLUSTER_TIMEOUT_S
        while True:
            cluster: dict[str, Any] = emr.describe_cluster(ClusterId=cluster_id)["Cluster"]
            if done(cluster["Status"]["State"]):
                return cluster
            if time.monotonic() > deadline:
                raise TimeoutError(str(cluster["Status"]))
            time.sleep(0.1)

    try:
        start = time.perf_counter()
        cluster = until(lambda s: s in ("WAITING", "TERMINATED_WITH_ERRORS"))
        if cluster["Status"]["State"] != "WAITING":
            raise RuntimeError(f"cluster failed: {cluster['Status']}")
        print(f"cluster {cluster_id} WAITING in {time.perf_counter() - start:.1f} s")
        yield Cluster(emr, cluster_id, root)
    finally:
        emr.terminate_job_flows(JobFlowIds=[cluster_id])
        until(lambda s: s.startswith("TERMINATED"))


def container_logs(root: Path, after: float) -> str:
    """What went wrong in the containers under `root` written since `after`: the error lines
    (Python's and log4j's) of every stderr, and its last lines."""
    found: list[str] = []
    for path in sorted(root.rglob("stderr")):
        with contextlib.suppress(OSError):
            if "container_" not in str(path) or path.stat().st_mtime < after:
                continue
            lines = path.read_text(errors="replace").splitlines()
            errors = [
                line
                for line in lines
                if re.search(r"ERROR|Error|Exception|Traceback|^  File ", line)
                and not line.startswith("\tat ")
            ]
            found.append(f"--- {path}\n" + "\n".join([*errors[:40], "...", *lines[-10:]]))
    return "\n".join(found)


def _stamps(text: str) -> tuple[float, float, float] | None:
    """(script start, SparkSession ready, done) from a trivial job's stdout."""
    for line in text.splitlines():
        if line.startswith(STAMP):
            start, ready, done = map(float, line.split()[1:4])
            return start, ready, done
    return None


def driver_stamps(root: Path, after: float) -> tuple[float, float, float] | None:
    """The trivial job's stamps from the newest AM container stdout under `root` (the node
    directories of the server) that holds stamps taken after `after`."""
    found: list[tuple[float, float, float]] = []
    for path in root.rglob("stdout"):
        if "container_" not in str(path):
            continue
        with contextlib.suppress(OSError, UnicodeDecodeError):
            stamps = _stamps(path.read_text())
            if stamps is not None and stamps[0] >= after:
                found.append(stamps)
    return min(found) if found else None


@dataclass
class Trivial:
    seconds: float
    #: seconds from AddJobFlowSteps to the driver's Python starting, and to its SparkSession
    before_driver: float | None
    before_context: float | None


def _trivial(wall: float, seconds: float, stamps: tuple[float, float, float] | None) -> Trivial:
    if stamps is None:
        return Trivial(seconds, None, None)
    return Trivial(seconds, stamps[0] - wall, stamps[1] - wall)


@dataclass
class Ours:
    wordcount_s: float
    aggregation_s: float
    trivial_cold: Trivial
    trivial: Trivial
    counts: Counter[str]
    aggregation: list[dict[str, Any]]


def _conf() -> list[str]:
    conf = [f"spark.sql.shuffle.partitions={SHUFFLE_PARTITIONS}", *EXTRA_CONF]
    return [arg for item in conf for arg in ("--conf", item)]


def _submit(job: str, *args: str) -> list[str]:
    return [
        "spark-submit", "--deploy-mode", "cluster", "--name", f"bench-{job}",
        "--num-executors", str(EXECUTORS), "--executor-cores", str(EXECUTOR_CORES), *_conf(),
        f"s3://{BUCKET}/jobs/{job}.py", *args,
    ]  # fmt: skip


def run_ours(text: Path, table: Path, scratch: Path) -> Ours:
    code = scratch / "jobs"
    code.mkdir()
    for name, body in JOBS.items():
        (code / name).write_text(body)
    with emr_server(parent=scratch) as endpoint:
        s3 = S3(endpoint)
        s3.client.create_bucket(Bucket=BUCKET)
        start = time.perf_counter()
        s3.upload(code, "jobs")
        s3.upload(text, "input/text.txt")
        s3.upload(table, "input/table")
        print(f"uploaded the inputs to S3 in {time.perf_counter() - start:.1f} s")
        with spark_cluster(endpoint, scratch) as cluster:
            wall, seconds = cluster.step("trivial (cold)", _submit("trivial"))
            cold = _trivial(wall, seconds, driver_stamps(scratch, wall))
            print(f"ours: trivial step (cold) {seconds:.1f} s {cold}")
            _, wordcount_s = cluster.step("wordcount", _submit(
                "wordcount", f"s3://{BUCKET}/input/text.txt", f"s3://{BUCKET}/output/wordcount"
            ))  # fmt: skip
            print(f"ours: wordcount {wordcount_s:.1f} s")
            _, aggregation_s = cluster.step("aggregation", _submit(
                "aggregation", f"s3://{BUCKET}/input/table", f"s3://{BUCKET}/output/aggregation"
            ))  # fmt: skip
            print(f"ours: aggregation {aggregation_s:.1f} s")
            wall, seconds = cluster.step("trivial", _submit("trivial"))
            warm = _trivial(wall, seconds, driver_stamps(scratch, wall))
            print(f"ours: trivial step {seconds:.1f} s {warm}")
        counts = word_counts(s3.parts("output/wordcount"))
        aggregation = aggregation_rows(s3.parts("output/aggregation"))
    return Ours(wordcount_s, aggregation_s, cold, warm, counts, aggregation)


# --- the peer ------------------------------------------------------------------------------------


@dataclass
class Peer:
    wordcount_s: float
    aggregation_s: float
    trivial: Trivial
    counts: Counter[str]
    aggregation: list[dict[str, Any]]


def _local_parts(directory: Path) -> list[bytes]:
    if not (directory / "_SUCCESS").exists():
        raise RuntimeError(f"{directory}: no _SUCCESS")
    return [p.read_bytes() for p in sorted(directory.iterdir()) if p.name.startswith("part-")]


def run_peer(text: Path, table: Path, scratch: Path) -> Peer:
    from emr.spark.emrfs import pyspark_home

    work = scratch / "peer"
    work.mkdir()
    for name, body in JOBS.items():
        (work / name).write_text(body)
    submit = [
        str(pyspark_home() / "bin" / "spark-submit"), "--master", "local[2]",
        "--driver-memory", PEER_DRIVER_MEMORY, "--conf", "spark.ui.enabled=false", *_conf(),
    ]  # fmt: skip
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("SPARK_", "HADOOP_", "YARN_", "PYSPARK_"))
    }
    env.update(TMPDIR=str(work), PYSPARK_PYTHON=sys.executable)

    def timed(job: str, *args: str) -> tuple[float, float, str]:
        wall = time.time()
        start = time.perf_counter()
        done = subprocess.run(
            [*submit, job, *args], cwd=work, env=env, check=False, timeout=PEER_TIMEOUT_S,
            capture_output=True, text=True,
        )  # fmt: skip
        seconds = time.perf_counter() - start
        if done.returncode != 0:
            raise RuntimeError(f"peer {job}: exit {done.returncode}: {done.stderr[-3000:]}")
        return wall, seconds, done.stdout

    wall, seconds, stdout = timed("trivial.py")
    trivial = _trivial(wall, seconds, _stamps(stdout))
    print(f"local[2]: trivial {seconds:.1f} s {trivial}")
    _, wordcount_s, _ = timed("wordcount.py", str(text), str(work / "wordcount"))
    print(f"local[2]: wordcount {wordcount_s:.1f} s")
    _, aggregation_s, _ = timed("aggregation.py", str(table), str(work / "aggregation"))
    print(f"local[2]: aggregation {aggregation_s:.1f} s")
    counts = word_counts(_local_parts(work / "wordcount"))
    aggregation = aggregation_rows(_local_parts(work / "aggregation"))
    return Peer(wordcount_s, aggregation_s, trivial, counts, aggregation)


# --- the benchmark -------------------------------------------------------------------------------


def _share(trivial: Trivial) -> str:
    if trivial.before_context is None or trivial.before_driver is None:
        return "stamps not found"
    return (f"driver up after {trivial.before_driver:.1f} s, SparkContext after "
            f"{trivial.before_context:.1f} s ({trivial.before_context / trivial.seconds:.0%} "
            f"of the step)")  # fmt: skip


def run() -> list[Result]:
    """Wordcount, Parquet aggregation and step overhead rows against local[2]."""
    size = SIZE_MB * MiB
    text = cached_text(f"text-{size}.txt", lambda p: make_text(p, size))
    table = cached_parquet(size)
    rows = parquet_rows(table)
    print(f"text {text.stat().st_size / MiB:,.0f} MiB; parquet {_size(table) / MiB:,.0f} MiB, "
          f"{rows:,} rows; load average before: {os.getloadavg()[0]:.2f}")  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="emr-bench-spark-") as directory:
        scratch = Path(directory)
        ours = run_ours(text, table, scratch)
        peer = run_peer(text, table, scratch)
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    check_wordcount(ours.counts, peer.counts)
    check_aggregation(ours.aggregation, peer.aggregation, rows)
    print(f"validated: {len(ours.counts):,} words ({sum(ours.counts.values()):,} in all) and "
          f"{len(ours.aggregation):,} aggregated keys equal local[2]'s")  # fmt: skip
    print(f"step overhead, ours (warm): {ours.trivial.seconds:.1f} s, {_share(ours.trivial)}")
    print(f"step overhead, ours (cold): {ours.trivial_cold.seconds:.1f} s, "
          f"{_share(ours.trivial_cold)}")  # fmt: skip
    print(f"local[2] trivial: {peer.trivial.seconds:.1f} s, {_share(peer.trivial)}")
    print(json.dumps({
        "ours": {"wordcount": ours.wordcount_s, "aggregation": ours.aggregation_s,
                 "trivial": ours.trivial.__dict__, "trivial_cold": ours.trivial_cold.__dict__},
        "local[2]": {"wordcount": peer.wordcount_s, "aggregation": peer.aggregation_s,
                     "trivial": peer.trivial.__dict__},
    }))  # fmt: skip
    text_label = _label(text.stat().st_size)
    table_label = _label(_size(table))
    name = "spark-submit local[2]"
    return [
        Result(f"spark wordcount {text_label}", "s", ours.wordcount_s, peer.wordcount_s,
               name, False),
        Result(f"spark parquet aggregation {table_label}", "s", ours.aggregation_s,
               peer.aggregation_s, name, False),
        Result("spark step overhead", "s", ours.trivial.seconds, peer.trivial.seconds,
               name, False),
    ]  # fmt: skip


def _label(size: int) -> str:
    if size >= 0.95 * 1024 * MiB:
        return f"{size / (1024 * MiB):.0f} GiB"
    return f"{size / MiB:,.0f} MiB"
