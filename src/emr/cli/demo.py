"""The quickstart demo: a real region endpoint, used by boto3 and the aws cli.

It grows with the product; today it shows the endpoint, its credentials, STS answering
both clients, S3 through the aws cli, an EMR cluster whose step writes to S3 and whose Spark
step reads that object and writes Parquet back (EMRFS), and a wrongly signed request refused in
each protocol family.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError
from rich.console import Console
from rich.markup import escape

__all__ = ["run_demo"]

console = Console(highlight=False)

#: How long the demo waits for a cluster or a step to reach a state before it gives up.
_WAIT_SECONDS = 90.0
_POLL_SECONDS = 0.1
_CLUSTER_ENDED = ("TERMINATED", "TERMINATED_WITH_ERRORS")
_STEP_ENDED = ("COMPLETED", "FAILED", "CANCELLED", "INTERRUPTED")
#: The Spark step's script: count the words of an S3 object into Parquet on S3.
_WORDCOUNT = """\
import sys
from pyspark.sql import SparkSession, functions as F
spark = SparkSession.builder.appName("demo-wordcount").getOrCreate()
words = spark.read.text(sys.argv[1]).select(F.explode(F.split("value", " ")).alias("word"))
words.groupBy("word").count().write.mode("overwrite").parquet(sys.argv[2])
spark.stop()
"""


def run_demo(data_dir: Path | None, *, keep: bool = False) -> int:
    """Run the demo; 0 when everything it shows behaved as it should."""
    owned_dir = data_dir is None
    directory = Path(tempfile.mkdtemp(prefix="emr-demo-")) if data_dir is None else data_dir
    directory.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "emr", "server", "--port", "0", "--data-dir", str(directory)]
    console.print(f"[bold]$ emr server --port 0 --data-dir {directory}")
    log_path = directory.with_name(directory.name + "-server.log")
    with log_path.open("a") as log:
        server = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=log, text=True)
    try:
        assert server.stdout is not None
        line = server.stdout.readline().strip()
        if not line.startswith("emr region endpoint listening on "):
            console.print(f"[red]server did not start: {line!r}; see {log_path}")
            return 1
        url = line.rsplit(" ", 1)[1]
        console.print(f"  {line}")
        return _tour(url, directory)
    finally:
        if keep:
            console.print(f"server left running (pid {server.pid}); stop it with kill {server.pid}")
        else:
            server.send_signal(signal.SIGTERM)
            code = server.wait(timeout=30)
            if server.stdout is not None:
                server.stdout.close()
            console.print(f"[bold]server stopped[/] (exit code {code})")
            if owned_dir:
                shutil.rmtree(directory, ignore_errors=True)
                log_path.unlink(missing_ok=True)


def _tour(url: str, directory: Path) -> int:
    env_lines = subprocess.run(
        [sys.executable, "-m", "emr", "env", "--data-dir", str(directory)],
        check=True, capture_output=True, text=True,
    ).stdout.splitlines()  # fmt: skip
    console.print('\n[bold]$ eval "$(emr env)"')
    environment = dict(os.environ)
    for line in env_lines:
        name, _, value = line.removeprefix("export ").partition("=")
        environment[name] = value
        shown = value[:4] + "…" if name == "AWS_SECRET_ACCESS_KEY" else value
        console.print(f"  export {name}={shown}")

    aws = Path(sys.executable).with_name("aws")

    def run_aws(*args: str, show: bool = True) -> subprocess.CompletedProcess[str]:
        console.print(f"\n[bold]$ aws {escape(shlex.join(args))}")
        done = subprocess.run([str(aws), *args], env=environment, capture_output=True, text=True)
        if show:
            console.print(done.stdout.rstrip() or done.stderr.rstrip(), markup=False)
        return done

    ok = run_aws("sts", "get-caller-identity").returncode == 0

    sample = Path(tempfile.mkdtemp(prefix="emr-demo-files-")) / "hello.txt"
    sample.write_text("hello from emr\n")
    ok &= run_aws("s3", "mb", "s3://demo-bucket").returncode == 0
    ok &= (
        run_aws(
            "s3", "cp", "--no-progress", str(sample), "s3://demo-bucket/greetings/hello.txt"
        ).returncode
        == 0
    )
    ok &= run_aws("s3", "ls", "--recursive", "s3://demo-bucket").returncode == 0
    copied = run_aws("s3", "cp", "s3://demo-bucket/greetings/hello.txt", "-")
    ok &= copied.stdout == sample.read_text()
    shutil.rmtree(sample.parent, ignore_errors=True)

    session = boto3.Session(
        aws_access_key_id=environment["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=environment["AWS_SECRET_ACCESS_KEY"],
        region_name=environment["AWS_DEFAULT_REGION"],
    )
    ok &= _cluster_tour(run_aws, session.client("emr", endpoint_url=url))

    identity = session.client("sts", endpoint_url=url).get_caller_identity()
    console.print(f"\n[bold]boto3[/] sts.get_caller_identity() → {identity['Arn']}")
    ok &= identity["Arn"] == f"arn:aws:iam::{identity['Account']}:root"

    console.print("\n[bold]A request signed with a wrong secret, per protocol family:")
    forged = boto3.Session(
        aws_access_key_id=environment["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key="not-the-secret",
        region_name=environment["AWS_DEFAULT_REGION"],
    )
    config = Config(retries={"max_attempts": 1})
    expectations = [
        ("sts", "get_caller_identity", "SignatureDoesNotMatch"),
        ("s3", "list_buckets", "SignatureDoesNotMatch"),
        ("emr", "list_clusters", "InvalidSignatureException"),
    ]
    for service, call, expected in expectations:
        client = forged.client(service, endpoint_url=url, config=config)
        try:
            getattr(client, call)()
            code, status = "(accepted!)", 200
        except ClientError as exc:
            code = exc.response["Error"]["Code"]
            status = exc.response["ResponseMetadata"]["HTTPStatusCode"]
        mark = "[green]✓" if code == expected else "[red]✗"
        console.print(f"  {mark}[/] {service}.{call}: {status} {code}")
        ok &= code == expected
    return 0 if ok else 1


def _cluster_tour(run_aws: Callable[..., subprocess.CompletedProcess[str]], emr: Any) -> bool:
    """A cluster of two nodes runs a step that writes to S3; the object is read back; the
    cluster is terminated. True when all of it behaved."""
    console.print("\n[bold]An EMR cluster: 1 master + 1 core node, each an emr agent on its own IP")
    created = run_aws(
        "emr", "create-cluster", "--name", "demo", "--release-label", "emr-7.5.0",
        "--applications", "Name=Spark", "--instance-type", "m5.xlarge",
        "--instance-count", "2", "--use-default-roles",
    )  # fmt: skip
    if created.returncode != 0:
        return False
    cluster_id = json.loads(created.stdout)["ClusterId"]
    ok = False
    try:
        if _watch_cluster(emr, cluster_id, ("WAITING", *_CLUSTER_ENDED)) != "WAITING":
            return False
        command = "echo hello from $EMR_CLUSTER_ID | aws s3 cp - s3://demo-bucket/from-step.txt"
        step = f"Type=CUSTOM_JAR,Name=hello,Jar=command-runner.jar,Args=[bash,-c,{command}]"
        if not _run_step(run_aws, emr, cluster_id, step):
            return False
        written = run_aws("s3", "cp", "s3://demo-bucket/from-step.txt", "-")
        ok = written.stdout == f"hello from {cluster_id}\n" and _spark_step(
            run_aws, emr, cluster_id
        )
    finally:
        run_aws("emr", "terminate-clusters", "--cluster-ids", cluster_id, show=False)
        ended = _watch_cluster(emr, cluster_id, _CLUSTER_ENDED)
    return ok and ended == "TERMINATED"


def _run_step(
    run_aws: Callable[..., subprocess.CompletedProcess[str]],
    emr: Any,
    cluster_id: str,
    step: str,
    wait: float = _WAIT_SECONDS,
) -> bool:
    """`aws emr add-steps --steps <step>`, then watch it: True when it COMPLETED."""
    added = run_aws("emr", "add-steps", "--cluster-id", cluster_id, "--steps", step)
    if added.returncode != 0:
        return False
    (step_id,) = json.loads(added.stdout)["StepIds"]
    return _watch_step(emr, cluster_id, step_id, wait) == "COMPLETED"


def _spark_step(
    run_aws: Callable[..., subprocess.CompletedProcess[str]], emr: Any, cluster_id: str
) -> bool:
    """A Type=Spark step (cluster mode: the driver in a YARN container) counts the words of
    the object the first step wrote and writes Parquet to S3; True when the counts are there."""
    script = Path(tempfile.mkdtemp(prefix="emr-demo-spark-")) / "wordcount.py"
    script.write_text(_WORDCOUNT)
    if run_aws("s3", "cp", str(script), "s3://demo-bucket/code/wordcount.py").returncode != 0:
        return False
    args = (
        "--deploy-mode,cluster,s3://demo-bucket/code/wordcount.py,"
        "s3://demo-bucket/from-step.txt,s3://demo-bucket/word-counts/"
    )
    if not _run_step(run_aws, emr, cluster_id, f"Type=Spark,Name=wordcount,Args=[{args}]", 240.0):
        return False
    listing = run_aws("s3", "ls", "s3://demo-bucket/word-counts/")
    return "_SUCCESS" in listing.stdout and ".parquet" in listing.stdout


def _watch_cluster(emr: Any, cluster_id: str, until: tuple[str, ...]) -> str:
    def read() -> tuple[str, str]:
        status = emr.describe_cluster(ClusterId=cluster_id)["Cluster"]["Status"]
        return status["State"], status.get("StateChangeReason", {}).get("Message", "")

    return _watch(cluster_id, read, until)


def _watch_step(emr: Any, cluster_id: str, step_id: str, wait: float = _WAIT_SECONDS) -> str:
    def read() -> tuple[str, str]:
        status = emr.describe_step(ClusterId=cluster_id, StepId=step_id)["Step"]["Status"]
        return status["State"], status.get("FailureDetails", {}).get("Message", "")

    return _watch(step_id, read, _STEP_ENDED, wait)


def _watch(
    name: str,
    read: Callable[[], tuple[str, str]],
    until: tuple[str, ...],
    wait: float = _WAIT_SECONDS,
) -> str:
    """Poll `read` until a state in `until`, printing each change; gives up after `wait` s."""
    deadline, shown = time.monotonic() + wait, ""
    while True:
        state, reason = read()
        line = f"  {name}: {state}" + (f" — {reason}" if reason else "")
        if line != shown:
            console.print(line)
            shown = line
        if state in until:
            return state
        if time.monotonic() > deadline:
            console.print(f"  [red]{name}: still {state} after {wait:.0f} s")
            return state
        time.sleep(_POLL_SECONDS)
