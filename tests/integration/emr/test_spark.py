"""Spark on YARN on the shared cluster, as a user sees it: `aws emr add-steps Type=Spark`,
command-runner `spark-submit` steps in cluster and client mode, `yarn application`/`yarn logs`
through `emr ssh`, the RM REST API, the History Server, and outputs read back from S3 and HDFS.

Every Spark application costs ~25 s on a 2-core machine, so each test runs one application
that checks several things at once."""

from __future__ import annotations

import csv
import gzip
import io
import json
import re
import shlex
import subprocess
import sys
import tarfile
import time
import uuid
import zipfile
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest

from emr.spark.emrfs import pyspark_home
from tests.conftest import RunningServer
from tests.integration.emr.conftest import SharedCluster, command_step

pytestmark = pytest.mark.integration

AWS = Path(sys.executable).parent / "aws"
STEP_DEADLINE_S = 180
APP_DEADLINE_S = 90
#: As users run it: the cluster's spark-defaults (event logs on HDFS included).
SUBMIT = ("spark-submit",)
ENDED = ("COMPLETED", "FAILED", "CANCELLED", "INTERRUPTED")
EXAMPLES = pyspark_home() / "examples" / "src" / "main" / "python"

TEXT = "".join(f"spark yarn spark w{n % 7} the\n" for n in range(300)) + "only once\n"
PEOPLE_JSON = '{"name":"Michael"}\n{"name":"Andy", "age":30}\n{"name":"Justin", "age":19}\n'
PEOPLE_TXT = "Michael, 29\nAndy, 30\nJustin, 19\n"

#: --py-files, --files, --archives, --conf, --name and executor sizes, all seen from inside.
OPTIONS_APP = """\
import json, os, time
from pyspark import SparkFiles
from pyspark.sql import SparkSession
import helper

spark = SparkSession.builder.getOrCreate()
sc = spark.sparkContext
deadline = time.monotonic() + 60
while sc._jsc.sc().getExecutorMemoryStatus().size() - 1 < 3 and time.monotonic() < deadline:
    time.sleep(0.5)

def probe(_):
    import helper
    with open(SparkFiles.get("lookup.txt")) as f:
        looked_up = f.read().strip()
    with open(os.path.join("alias", "inner", "data.txt")) as f:
        unpacked = f.read().strip()
    yield (helper.greeting(), looked_up, unpacked)

seen = sorted(set(sc.parallelize(range(12), 12).mapPartitions(probe).collect()))
print("OPTIONS " + json.dumps({
    "seen": seen,
    "driver_helper": helper.greeting(),
    "executors": sc._jsc.sc().getExecutorMemoryStatus().size() - 1,
    "marker": sc.getConf().get("spark.emrtest.marker", ""),
    "executor_memory": sc.getConf().get("spark.executor.memory"),
    "executor_cores": sc.getConf().get("spark.executor.cores"),
    "app_name": sc.appName,
    "jars": sorted(j.rsplit("/", 1)[-1] for j in sc._jsc.sc().listJars().toList().mkString(",").split(",") if j),
}))
time.sleep(3)  # the test reads the RM's view of the running containers meanwhile
spark.stop()
"""
HELPER = "def greeting():\n    return 'hello from helper'\n"

#: Runs until killed (tasks sleep), bounded so a failed kill cannot hang the run.
SLEEPER_APP = """\
import sys, time
from pyspark.sql import SparkSession
spark = SparkSession.builder.getOrCreate()
print("SLEEPER STARTED", flush=True)
spark.sparkContext.parallelize(range(2), 2).foreach(lambda _: time.sleep(120))
spark.stop()
"""
RAISING_APP = """\
from pyspark.sql import SparkSession
spark = SparkSession.builder.getOrCreate()
raise ValueError("this application fails on purpose")
"""

JAVA_PI = """\
package emrtest;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;

public final class SparkPi {
  public static void main(String[] args) {
    int slices = Integer.parseInt(args[0]);
    String output = args[1];
    JavaSparkContext jsc = new JavaSparkContext(new SparkConf().setAppName("JavaSparkPi"));
    int n = 20000 * slices;
    List<Integer> numbers = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      numbers.add(i);
    }
    int inside = jsc.parallelize(numbers, slices).map(i -> {
      double x = Math.random() * 2 - 1;
      double y = Math.random() * 2 - 1;
      return (x * x + y * y <= 1) ? 1 : 0;
    }).reduce(Integer::sum);
    double pi = 4.0 * inside / n;
    System.out.println("Pi is roughly " + pi);
    jsc.parallelize(Arrays.asList("slices=" + slices, "pi=" + pi), 1).saveAsTextFile(output);
    jsc.stop();
  }
}
"""

#: CSV on s3:// → DataFrame and SQL aggregations → Parquet on s3:// and hdfs://, RDD → s3a://.
ETL_APP = """\
import sys
from operator import add
from pyspark.sql import SparkSession, functions as F

source, s3_out, hdfs_out, s3a_out = sys.argv[1:5]
spark = SparkSession.builder.appName("emrfs-etl").getOrCreate()
sales = spark.read.option("header", True).option("inferSchema", True).csv(source)
by_region = sales.groupBy("region").agg(F.sum("qty").alias("qty"), F.count("*").alias("orders"))
by_region.write.mode("overwrite").parquet(s3_out)
sales.createOrReplaceTempView("sales")
spark.sql(
    "SELECT product, SUM(qty * price) AS revenue FROM sales GROUP BY product"
).write.mode("overwrite").parquet(hdfs_out)
(sales.rdd.map(lambda row: (row.region, row.price)).reduceByKey(add)
    .map(lambda kv: f"{kv[0]}\\t{kv[1]}").saveAsTextFile(s3a_out))
spark.stop()
"""
SALES = [
    {"region": f"r{n % 4}", "product": f"p{n % 5}", "qty": n % 9 + 1, "price": 10 + n % 13}
    for n in range(400)
]


# --- helpers --------------------------------------------------------------------------------


def ssh(
    region: RunningServer, cluster_id: str, *command: str, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """`emr ssh -n <cluster> -- <command>` on the master."""
    return subprocess.run(
        [sys.executable, "-m", "emr", "ssh", "--data-dir", str(region.data_dir), "-n",
         cluster_id, "--", *command],
        capture_output=True, text=True, timeout=timeout, env=region.cli_env(),
    )  # fmt: skip


def aws(region: RunningServer, *args: str) -> Any:
    done = subprocess.run(
        [str(AWS), *args, "--output", "json"],
        env=region.cli_env(), capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout) if done.stdout.strip() else None


@dataclass
class StepResult:
    step_id: str
    state: str
    stdout: str
    stderr: str
    seconds: float

    @property
    def application_id(self) -> str:
        found = re.search(r"Submitting application (application_\d+_\d+)", self.stderr)
        assert found, self.stderr
        return found[1]


@dataclass
class SparkCluster:
    region: RunningServer
    shared: SharedCluster
    bucket: str
    master: str

    @property
    def cluster_id(self) -> str:
        return self.shared.cluster_id

    def put(self, key: str, body: bytes | str) -> str:
        data = body.encode() if isinstance(body, str) else body
        self.shared.s3.put_object(Bucket=self.bucket, Key=key, Body=data)
        return f"s3://{self.bucket}/{key}"

    def ssh(self, *command: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        return ssh(self.region, self.cluster_id, *command, timeout=timeout)

    def add(self, *steps: dict[str, Any]) -> list[str]:
        answer = self.shared.emr.add_job_flow_steps(JobFlowId=self.cluster_id, Steps=list(steps))
        return list(answer["StepIds"])

    def wait(self, step_id: str, started: float | None = None) -> StepResult:
        started = time.monotonic() if started is None else started
        deadline = time.monotonic() + STEP_DEADLINE_S
        while True:
            step = self.shared.emr.describe_step(ClusterId=self.cluster_id, StepId=step_id)
            state = step["Step"]["Status"]["State"]
            if state in ENDED:
                break
            assert time.monotonic() < deadline, f"{step_id} stuck in {step['Step']['Status']}"
            time.sleep(0.2)
        seconds = time.monotonic() - started
        return StepResult(step_id, state, self.log(step_id, "stdout"), self.log(step_id, "stderr"),
                          seconds)  # fmt: skip

    def run(self, name: str, *args: str) -> StepResult:
        started = time.monotonic()
        (step_id,) = self.add(command_step(name, *args))
        return self.wait(step_id, started)

    def log(self, step_id: str, name: str) -> str:
        key = f"logs/{self.cluster_id}/steps/{step_id}/{name}.gz"
        try:
            body = self.shared.s3.get_object(Bucket=self.shared.log_bucket, Key=key)["Body"]
        except self.shared.s3.exceptions.NoSuchKey:
            return ""
        return gzip.decompress(body.read()).decode(errors="replace")

    def rm(self, path: str) -> Any:
        response = httpx.get(f"http://{self.master}:8088/ws/v1/cluster{path}", timeout=10)
        response.raise_for_status()
        return response.json()

    def app(self, application_id: str) -> dict[str, Any]:
        return dict(self.rm(f"/apps/{application_id}")["app"])

    def app_named(self, name: str, running: bool = True) -> dict[str, Any]:
        """The SPARK application called `name` once it runs (with this many containers)."""
        deadline = time.monotonic() + APP_DEADLINE_S
        while True:
            listed = (self.rm("/apps?applicationTypes=SPARK")["apps"] or {}).get("app", [])
            for app in listed:
                if app["name"] == name and (not running or app["state"] == "RUNNING"):
                    return dict(app)
            assert time.monotonic() < deadline, f"no running application {name}: {listed}"
            time.sleep(0.2)

    def yarn_list(self, state: str) -> dict[str, list[str]]:
        """`yarn application -list -appStates <state>`: id → its row's columns."""
        done = self.ssh("yarn", "application", "-list", "-appStates", state)
        assert done.returncode == 0, done.stderr
        rows = [line.split("\t") for line in done.stdout.splitlines()]
        return {
            row[0].strip(): [c.strip() for c in row] for row in rows if row[0].startswith("app")
        }

    def yarn_logs(self, application_id: str, wanted: str) -> str:
        """`yarn logs -applicationId` once it holds `wanted` (logs are aggregated at app end)."""
        deadline = time.monotonic() + 45
        while True:
            done = self.ssh("yarn", "logs", "-applicationId", application_id)
            if wanted in done.stdout:
                return done.stdout
            assert time.monotonic() < deadline, done.stdout[-3000:] + done.stderr
            time.sleep(1)

    def hdfs_text(self, path: str) -> str:
        done = self.ssh("bash", "-c", f"hdfs dfs -cat {shlex.quote(path)}/part-*")
        assert done.returncode == 0, done.stderr
        return done.stdout


@pytest.fixture(scope="module")
def spark(region: RunningServer, shared_cluster: SharedCluster) -> SparkCluster:
    bucket = f"spark-{uuid.uuid4().hex[:8]}"
    shared_cluster.s3.create_bucket(Bucket=bucket)
    master = shared_cluster.emr.list_instances(
        ClusterId=shared_cluster.cluster_id, InstanceGroupTypes=["MASTER"]
    )["Instances"][0]["PrivateIpAddress"]
    return SparkCluster(region, shared_cluster, bucket, master)


def _driver_exceptions(spark: SparkCluster, result: StepResult) -> str:
    """A failed cluster-mode step's stderr and the exceptions in its application's logs."""
    logs = spark.ssh("yarn", "logs", "-applicationId", result.application_id).stdout
    found = [line for line in logs.splitlines() if "Exception" in line and "\tat " not in line]
    return result.stderr + "\n--- exceptions in yarn logs:\n" + "\n".join(found[:20])


def _timing(name: str, result: StepResult) -> None:
    print(f"[timing] {name}: {result.seconds:.1f} s ({result.state})")


def _no_traceback_of_ours(stderr: str) -> None:
    assert "Traceback (most recent call last)" not in stderr, stderr
    assert "emr/spark" not in stderr, stderr


# --- 1. pyspark's examples ----------------------------------------------------------------


def test_pi_as_an_aws_cli_spark_step_with_yarn_logs_and_history(spark: SparkCluster) -> None:
    script = spark.put("examples/pi.py", (EXAMPLES / "pi.py").read_bytes())
    started = time.monotonic()
    answer = aws(
        spark.region, "emr", "add-steps", "--cluster-id", spark.cluster_id, "--steps",
        "Type=Spark,Name=SparkPi,ActionOnFailure=CONTINUE,"
        f"Args=[--deploy-mode,cluster,{script},10]",
    )  # fmt: skip
    (step_id,) = answer["StepIds"]
    step = spark.shared.emr.describe_step(ClusterId=spark.cluster_id, StepId=step_id)["Step"]
    assert step["Config"]["Jar"] == "command-runner.jar"
    assert step["Config"]["Args"][0] == "spark-submit"
    assert step["Config"]["Args"][-4:-2] == ["--deploy-mode", "cluster"]
    result = spark.wait(step_id, started)
    _timing("pi.py cluster mode (Type=Spark)", result)
    assert result.state == "COMPLETED", _driver_exceptions(spark, result)
    _no_traceback_of_ours(result.stderr)
    application_id = result.application_id
    assert f"Application report for {application_id} (state: FINISHED)" in result.stderr
    assert "final status: SUCCEEDED" in result.stderr

    finished = spark.yarn_list("FINISHED")
    row = finished[application_id]
    assert "SPARK" in row and "SUCCEEDED" in row, row
    logs = spark.yarn_logs(application_id, "Pi is roughly")
    assert re.search(r"Pi is roughly 3\.1\d*", logs), logs[-3000:]

    # 6. The History Server lists it (event logs in HDFS, refreshed every 5 s).
    url = f"http://{spark.master}:18080/api/v1/applications"
    deadline = time.monotonic() + 30
    names: list[str] = []
    while True:
        listed = httpx.get(url, timeout=10).json()
        names = [a["name"] for a in listed if any(t["completed"] for t in a["attempts"])]
        if "PythonPi" in names:
            break
        assert time.monotonic() < deadline, names
        time.sleep(1)


def test_wordcount_client_mode_and_sql_example(spark: SparkCluster, tmp_path: Path) -> None:
    """wordcount.py over a file put in HDFS (client mode: counts in the step's stdout), and
    sql/basic.py whose relative inputs sit under the user's HDFS home."""
    local = tmp_path / "words.txt"
    local.write_text(TEXT)
    (tmp_path / "people.json").write_text(PEOPLE_JSON)
    (tmp_path / "people.txt").write_text(PEOPLE_TXT)
    resources = "examples/src/main/resources"
    put = spark.ssh("bash", "-c", (
        f"hdfs dfs -mkdir -p spark-wc {resources} && hdfs dfs -put -f {local} spark-wc/ && "
        f"hdfs dfs -put -f {tmp_path}/people.json {tmp_path}/people.txt {resources}/"
    ))  # fmt: skip
    assert put.returncode == 0, put.stderr
    wordcount = spark.put("examples/wordcount.py", (EXAMPLES / "wordcount.py").read_bytes())
    basic = spark.put("examples/sql/basic.py", (EXAMPLES / "sql" / "basic.py").read_bytes())

    started = time.monotonic()
    wc_id, sql_id = spark.add(
        command_step("wordcount", *SUBMIT, "--deploy-mode", "client", wordcount,
                     "hdfs:///user/hadoop/spark-wc/words.txt"),
        command_step("sql-basic", *SUBMIT, basic),
    )  # fmt: skip
    wc = spark.wait(wc_id, started)
    _timing("wordcount.py client mode", wc)
    assert wc.state == "COMPLETED", wc.stderr
    _no_traceback_of_ours(wc.stderr)
    counts = Counter({
        word: int(count) for word, count in
        (line.rsplit(": ", 1) for line in wc.stdout.splitlines() if ": " in line)
    })  # fmt: skip
    expected = Counter(TEXT.replace("\n", " ").split(" "))
    del expected[""]
    counts.pop("", None)
    assert counts == expected

    sql_started = time.monotonic()
    sql = spark.wait(sql_id, sql_started)
    _timing("sql/basic.py client mode", sql)
    assert sql.state == "COMPLETED", sql.stderr
    _no_traceback_of_ours(sql.stderr)
    assert re.search(r"\|\s*19\|\s*Justin\|", sql.stdout), sql.stdout  # df.show()
    assert "\nName: Justin\n" in sql.stdout, sql.stdout  # the teenagers, by SQL over an RDD


# --- 2. a JVM application ------------------------------------------------------------------


def test_java_spark_pi_with_class_in_cluster_mode(spark: SparkCluster, tmp_path: Path) -> None:
    source = tmp_path / "src" / "emrtest" / "SparkPi.java"
    source.parent.mkdir(parents=True)
    source.write_text(JAVA_PI)
    classes = tmp_path / "classes"
    jars = f"{pyspark_home()}/jars/*"
    done = subprocess.run(
        ["javac", "--release", "17", "-cp", jars, "-d", str(classes), str(source)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as jar:
        jar.writestr("META-INF/MANIFEST.MF", "Manifest-Version: 1.0\n\n")
        for path in sorted(classes.rglob("*.class")):
            jar.write(path, path.relative_to(classes).as_posix())
    url = spark.put("jars/spark-pi.jar", buffer.getvalue())
    out = f"hdfs:///user/hadoop/javapi-{uuid.uuid4().hex[:6]}"
    result = spark.run(
        "java-pi", *SUBMIT, "--deploy-mode", "cluster", "--class", "emrtest.SparkPi",
        url, "6", out,
    )  # fmt: skip
    _timing("Java SparkPi --class cluster mode", result)
    assert result.state == "COMPLETED", result.stderr
    _no_traceback_of_ours(result.stderr)
    lines = spark.hdfs_text(out).split()
    assert lines[0] == "slices=6"
    assert 3.0 < float(lines[1].removeprefix("pi=")) < 3.3, lines
    row = spark.yarn_list("FINISHED")[result.application_id]
    assert "emrtest.SparkPi" in row, row  # --class names the application
    _no_staging(spark, result.application_id)


# --- 3. options reach Spark ---------------------------------------------------------------


def test_options_reach_the_driver_and_the_executors(spark: SparkCluster) -> None:
    helper_zip = io.BytesIO()
    with zipfile.ZipFile(helper_zip, "w") as archive:
        archive.writestr("helper.py", HELPER)
    archive_tgz = io.BytesIO()
    with tarfile.open(fileobj=archive_tgz, mode="w:gz") as tar:
        data = b"unpacked from the archive\n"
        info = tarfile.TarInfo("inner/data.txt")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    py_files = spark.put("opts/helper.zip", helper_zip.getvalue())
    files = spark.put("opts/lookup.txt", "looked up on an executor\n")
    archives = spark.put("opts/data.tar.gz", archive_tgz.getvalue())
    script = spark.put("opts/options.py", OPTIONS_APP)
    extra_jar = io.BytesIO()
    with zipfile.ZipFile(extra_jar, "w") as jar:
        jar.writestr("META-INF/MANIFEST.MF", "Manifest-Version: 1.0\r\n\r\n")
    jars = spark.put("opts/extra.jar", extra_jar.getvalue())
    name = f"options-{uuid.uuid4().hex[:6]}"
    events = f"s3://{spark.bucket}/spark-events/"
    spark.put("spark-events/", b"")  # Spark wants the event log dir to exist
    started = time.monotonic()
    (step_id,) = spark.add(command_step(
        "options", *SUBMIT, "--deploy-mode", "client", "--name", name,
        "--py-files", py_files, "--files", files, "--archives", f"{archives}#alias",
        "--jars", jars, "--conf", f"spark.eventLog.dir={events}",
        "--conf", "spark.emrtest.marker=from-conf", "--driver-memory", "512m",
        "--num-executors", "3", "--executor-memory", "600m", "--executor-cores", "1",
        script,
    ))  # fmt: skip
    app = spark.app_named(name)
    deadline = time.monotonic() + APP_DEADLINE_S
    while app["runningContainers"] < 4 and time.monotonic() < deadline:
        time.sleep(0.2)
        app = spark.app(app["id"])
    # The AM (client mode: the Master only, 512 MB) and three executors of 600m heap + 384m
    # overhead + 256 MB for the Worker beside it, each rounded up to YARN's allocation step.
    assert app["runningContainers"] == 4, app
    executor_mb = (app["allocatedMB"] - 512) / 3
    assert 600 + 384 + 256 <= executor_mb < 600 + 384 + 256 + 128, app
    assert app["allocatedVCores"] == 1 + 3, app
    result = spark.wait(step_id, started)
    _timing("options (client mode, 3 executors)", result)
    assert result.state == "COMPLETED", result.stderr
    _no_traceback_of_ours(result.stderr)
    (line,) = [line for line in result.stdout.splitlines() if line.startswith("OPTIONS ")]
    seen = json.loads(line.removeprefix("OPTIONS "))
    assert seen == {
        "seen": [["hello from helper", "looked up on an executor", "unpacked from the archive"]],
        "driver_helper": "hello from helper",
        "executors": 3,
        "marker": "from-conf",
        "executor_memory": "600m",
        "executor_cores": "1",
        "app_name": name,
        "jars": ["extra.jar"],
    }
    # The event log went to S3 (EMRFS) instead of the cluster's HDFS default.
    logs = spark.shared.s3.list_objects_v2(Bucket=spark.bucket, Prefix="spark-events/")
    assert [o["Key"] for o in logs.get("Contents", []) if "app-" in o["Key"]], logs


#: A packed environment's interpreter, as venv-pack or conda-pack archives have one: here a
#: wrapper around emr's Python that marks the processes it runs.
PACKED_PYTHON = f"""#!/bin/sh
export EMRTEST_PACKED=yes
exec {sys.executable} "$@"
"""
PACKED_APP = """\
import os
from pyspark.sql import SparkSession
spark = SparkSession.builder.getOrCreate()
marks = spark.sparkContext.parallelize(range(4), 4).map(
    lambda _: os.environ.get("EMRTEST_PACKED", "no")).distinct().collect()
print("PACKED driver=%s executors=%s" % (os.environ.get("EMRTEST_PACKED", "no"), sorted(marks)))
spark.stop()
"""


def test_a_packed_environment_runs_the_driver_and_the_python_workers(spark: SparkCluster) -> None:
    """--archives env.tar.gz#environment with spark.pyspark.python=./environment/bin/python
    (EMR's recipe for a packed virtualenv): the cluster-mode driver and the executors' Python
    workers both run the archive's interpreter."""
    packed = io.BytesIO()
    with tarfile.open(fileobj=packed, mode="w:gz") as tar:
        body = PACKED_PYTHON.encode()
        info = tarfile.TarInfo("bin/python")
        info.size, info.mode = len(body), 0o755
        tar.addfile(info, io.BytesIO(body))
    archive = spark.put("packed/env.tar.gz", packed.getvalue())
    script = spark.put("packed/app.py", PACKED_APP)
    started = time.monotonic()
    (step_id,) = spark.add(command_step(
        "packed", *SUBMIT, "--deploy-mode", "cluster", "--archives", f"{archive}#environment",
        "--conf", "spark.pyspark.python=./environment/bin/python", script,
    ))  # fmt: skip
    result = spark.wait(step_id, started)
    _timing("packed environment (cluster mode)", result)
    assert result.state == "COMPLETED", _driver_exceptions(spark, result)
    logs = spark.yarn_logs(result.application_id, "PACKED ")
    assert "PACKED driver=yes executors=['yes']" in logs, logs[-3000:]


# --- 4. kills -------------------------------------------------------------------------------


def _spark_processes(application_id: str) -> list[str]:
    """Command lines of live processes that belong to the application's containers."""
    containers = application_id.replace("application_", "container_") + "_"
    found = []
    for process in psutil.process_iter(["cmdline"]):
        argv = " ".join(process.info["cmdline"] or [])
        try:
            cwd = process.cwd()
        except psutil.Error:
            cwd = ""
        if any(mark in text for mark in (application_id, containers) for text in (argv, cwd)):
            found.append(f"{process.pid}: {argv[:300]}")
    return found


def _assert_gone(spark: SparkCluster, application_id: str) -> None:
    deadline = time.monotonic() + 30
    while left := _spark_processes(application_id):
        assert time.monotonic() < deadline, left
        time.sleep(0.5)
    app = spark.app(application_id)
    assert app["runningContainers"] in (0, -1), app
    _no_staging(spark, application_id)


def _no_staging(spark: SparkCluster, application_id: str) -> None:
    """The application's staging dir in HDFS is gone once it ended (as with Spark on YARN)."""
    staging = f".sparkStaging/{application_id}"
    done = spark.ssh("bash", "-c", f"hdfs dfs -test -e {staging}; echo $?")
    assert done.stdout.strip() == "1", (staging, done.stdout, done.stderr)


def _start_sleeper(spark: SparkCluster, label: str) -> tuple[str, str, float]:
    """A cluster-mode step whose tasks sleep; (step id, application id) once executors run."""
    script = spark.put("kill/sleeper.py", SLEEPER_APP)
    name = f"{label}-{uuid.uuid4().hex[:6]}"
    started = time.monotonic()
    (step_id,) = spark.add(command_step(
        label, *SUBMIT, "--deploy-mode", "cluster", "--name", name,
        "--num-executors", "1", script,
    ))  # fmt: skip
    app = spark.app_named(name)
    deadline = time.monotonic() + APP_DEADLINE_S
    while app["runningContainers"] < 2:  # the AM and its executor
        assert time.monotonic() < deadline, app
        time.sleep(0.2)
        app = spark.app(app["id"])
    return step_id, str(app["id"]), started


def test_yarn_application_kill_fails_the_step(spark: SparkCluster) -> None:
    step_id, application_id, started = _start_sleeper(spark, "killed")
    time.sleep(2)
    killed = spark.ssh("yarn", "application", "-kill", application_id)
    assert killed.returncode == 0, killed.stderr
    assert f"Killed application {application_id}" in killed.stdout + killed.stderr
    result = spark.wait(step_id, started)
    _timing("killed with yarn application -kill", result)
    assert result.state == "FAILED", result.stderr
    assert "(state: KILLED)" in result.stderr, result.stderr
    _no_traceback_of_ours(result.stderr)
    row = spark.yarn_list("KILLED")[application_id]
    assert "SPARK" in row and "KILLED" in row, row
    _assert_gone(spark, application_id)


def test_cancel_steps_kills_the_application(spark: SparkCluster) -> None:
    step_id, application_id, started = _start_sleeper(spark, "cancelled")
    time.sleep(2)
    aws(spark.region, "emr", "cancel-steps", "--cluster-id", spark.cluster_id,
        "--step-ids", step_id)  # fmt: skip
    result = spark.wait(step_id, started)
    _timing("cancelled with aws emr cancel-steps", result)
    assert result.state == "CANCELLED", result.stderr
    deadline = time.monotonic() + 30
    while spark.app(application_id)["state"] != "KILLED":
        assert time.monotonic() < deadline, spark.app(application_id)
        time.sleep(0.5)
    assert application_id in spark.yarn_list("KILLED")
    _assert_gone(spark, application_id)


# --- 5. errors in Spark's words ----------------------------------------------------------------


def test_errors_in_sparks_words(spark: SparkCluster) -> None:
    pi = spark.put("examples/pi.py", (EXAMPLES / "pi.py").read_bytes())
    raising = spark.put("errors/raising.py", RAISING_APP)
    missing = f"s3://{spark.bucket}/errors/missing.py"
    started = time.monotonic()
    ids = spark.add(
        command_step("missing", "spark-submit", "--deploy-mode", "cluster", missing),
        command_step("too-big", "spark-submit", "--executor-memory", "64g", pi),
        command_step("unknown", "spark-submit", "--no-such-option", pi),
        command_step("raises", *SUBMIT, "--deploy-mode", "cluster", raising),
    )  # fmt: skip
    results = [spark.wait(step_id, started) for step_id in ids]
    for result in results:
        assert result.state == "FAILED", (result.stdout, result.stderr)
        _no_traceback_of_ours(result.stderr)
    missing_step, too_big, unknown, raises = results
    assert f"File {missing} does not exist" in missing_step.stderr, missing_step.stderr
    assert "is above the max threshold" in too_big.stderr, too_big.stderr
    assert "Unrecognized option '--no-such-option'" in unknown.stderr, unknown.stderr
    _timing("raising script, cluster mode", raises)
    assert "User application exited with status 1" in raises.stderr, raises.stderr
    assert "finished with failed status" in raises.stderr
    row = spark.yarn_list("FINISHED")[raises.application_id]
    assert "FAILED" in row, row
    logs = spark.yarn_logs(raises.application_id, "this application fails on purpose")
    assert "ValueError: this application fails on purpose" in logs

    version = spark.ssh("spark-submit", "--version")
    assert version.returncode == 0, version.stderr
    assert "version 4.3.0" in version.stdout + version.stderr


# --- 7. EMRFS end to end ------------------------------------------------------------------


def _emrfs_ready(spark: SparkCluster) -> None:
    if not (Path(__file__).parents[3] / "src" / "emr" / "spark" / "java").is_dir():
        pytest.skip("EMRFS's Java sources (src/emr/spark/java) are not there yet")
    lib = spark.ssh("bash", "-c", 'test -s "$EMR_NODE_DIR/lib/emrfs.jar"')
    if lib.returncode != 0:
        pytest.skip("the nodes have no lib/emrfs.jar yet")


def test_etl_csv_on_s3_to_parquet_on_s3_and_hdfs(
    spark: SparkCluster, region: RunningServer, tmp_path: Path
) -> None:
    _emrfs_ready(spark)
    import pyarrow.fs
    import pyarrow.parquet as pq

    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=list(SALES[0]))
    writer.writeheader()
    writer.writerows(SALES)
    source = spark.put("etl/in/sales.csv", text.getvalue())
    script = spark.put("etl/etl.py", ETL_APP)
    run = uuid.uuid4().hex[:6]
    s3_out = f"s3://{spark.bucket}/etl/by-region-{run}"
    hdfs_out = f"hdfs:///user/hadoop/etl-revenue-{run}"
    s3a_out = f"s3a://{spark.bucket}/etl/prices-{run}"
    result = spark.run(
        "etl", *SUBMIT, "--deploy-mode", "cluster", script, source, s3_out, hdfs_out,
        s3a_out,
    )  # fmt: skip
    _timing("EMRFS ETL cluster mode", result)
    assert result.state == "COMPLETED", result.stderr

    qty: Counter[str] = Counter()
    orders: Counter[str] = Counter()
    revenue: Counter[str] = Counter()
    prices: dict[str, int] = defaultdict(int)
    for row in SALES:
        qty[str(row["region"])] += int(row["qty"])
        orders[str(row["region"])] += 1
        revenue[str(row["product"])] += int(row["qty"]) * int(row["price"])
        prices[str(row["region"])] += int(row["price"])

    endpoint = region.url.removeprefix("http://")
    s3fs = pyarrow.fs.S3FileSystem(
        access_key=region.env["AWS_ACCESS_KEY_ID"], secret_key=region.env["AWS_SECRET_ACCESS_KEY"],
        region=region.env["AWS_DEFAULT_REGION"], endpoint_override=endpoint, scheme="http",
    )  # fmt: skip
    table = pq.read_table(s3_out.removeprefix("s3://"), filesystem=s3fs).to_pylist()
    assert {r["region"]: (r["qty"], r["orders"]) for r in table} == {
        k: (qty[k], orders[k]) for k in qty
    }

    local = tmp_path / "revenue"
    got = spark.ssh("hdfs", "dfs", "-get", hdfs_out, str(local))
    assert got.returncode == 0, got.stderr
    revenue_rows = pq.read_table(local).to_pylist()
    assert {r["product"]: r["revenue"] for r in revenue_rows} == dict(revenue)

    bucket, prefix = s3a_out.removeprefix("s3a://").split("/", 1)
    listed = spark.shared.s3.list_objects_v2(Bucket=bucket, Prefix=prefix + "/")
    keys = [o["Key"] for o in listed.get("Contents", [])]
    assert f"{prefix}/_SUCCESS" in keys and not any("_temporary" in k for k in keys), keys
    lines = "".join(
        spark.shared.s3.get_object(Bucket=bucket, Key=k)["Body"].read().decode()
        for k in keys if k.rsplit("/", 1)[-1].startswith("part-")
    )  # fmt: skip
    assert dict(
        (word, int(n)) for word, n in (line.split("\t") for line in lines.splitlines())
    ) == dict(prices)
