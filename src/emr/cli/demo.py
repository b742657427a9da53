"""The quickstart demo: a real region endpoint, used by boto3 and the aws cli.

It grows with the product; today it shows the endpoint, its credentials, STS answering
both clients, and a wrongly signed request refused in each protocol family.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError
from rich.console import Console

__all__ = ["run_demo"]

console = Console(highlight=False)


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
        console.print(f"\n[bold]$ aws {' '.join(args)}")
        done = subprocess.run([str(aws), *args], env=environment, capture_output=True, text=True)
        if show:
            console.print(done.stdout.rstrip() or done.stderr.rstrip())
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
