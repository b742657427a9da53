"""Fixtures that run real `emr server` processes on free ports with temporary data dirs."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

START_TIMEOUT_S = 60


@dataclass
class RunningServer:
    """A region endpoint subprocess and the environment `emr env` gives for it."""

    data_dir: Path
    process: subprocess.Popen[str]
    url: str = ""
    env: dict[str, str] = field(default_factory=dict)

    def session(self, **overrides: str) -> boto3.Session:
        return boto3.Session(
            aws_access_key_id=overrides.get("key", self.env["AWS_ACCESS_KEY_ID"]),
            aws_secret_access_key=overrides.get("secret", self.env["AWS_SECRET_ACCESS_KEY"]),
            region_name=self.env["AWS_DEFAULT_REGION"],
        )

    def client(self, service: str, session: boto3.Session | None = None, **config: Any) -> Any:
        config.setdefault("retries", {"max_attempts": 1})
        return (session or self.session()).client(
            service, endpoint_url=self.url, config=Config(**config)
        )

    def cli_env(self) -> dict[str, str]:
        """The process environment after `eval "$(emr env)"`."""
        environment = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        environment.update(self.env)
        return environment

    def stop(self, sig: int = signal.SIGTERM) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
        code = self.process.wait(timeout=30)
        if self.process.stdout is not None:
            self.process.stdout.close()
        return code


def emr_command(*args: str, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    """Run the `emr` CLI (as `python -m emr`) and capture its output."""
    return subprocess.run(
        [sys.executable, "-m", "emr", *args], capture_output=True, text=True, timeout=60, **kwargs
    )


def start_server(data_dir: Path, *extra: str) -> RunningServer:
    """Start `emr server --port 0`, wait for its announcement, read `emr env`."""
    data_dir.mkdir(parents=True, exist_ok=True)
    log = data_dir.parent / f"{data_dir.name}-server.log"
    with log.open("a") as log_file:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "emr",
                "server",
                "--port",
                "0",
                "--data-dir",
                str(data_dir),
                *extra,
            ],
            stdout=subprocess.PIPE,
            stderr=log_file,
            text=True,
            # Node agents of a server a test killed stop themselves soon, not after 10 min.
            env={**os.environ, "EMR_AGENT_ORPHAN_TIMEOUT_SECONDS": "120"},
        )
    server = RunningServer(data_dir=data_dir, process=process)
    assert process.stdout is not None
    line = process.stdout.readline().strip()
    if not line.startswith("emr region endpoint listening on "):
        server.stop(signal.SIGKILL)
        raise RuntimeError(f"server did not start: {line!r}; see {log}")
    server.url = line.rsplit(" ", 1)[1]
    result = emr_command("env", "--data-dir", str(data_dir))
    assert result.returncode == 0, result.stderr
    for entry in result.stdout.splitlines():
        name, _, value = entry.removeprefix("export ").partition("=")
        server.env[name] = value
    return server


@pytest.fixture(scope="session")
def region(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """The region endpoint shared by every integration test of the run."""
    server = start_server(tmp_path_factory.mktemp("region") / "data")
    yield server
    server.stop()


@pytest.fixture
def server_factory(tmp_path: Path) -> Iterator[Callable[..., RunningServer]]:
    """Start servers of a test's own (restart and signal tests); all stopped at the end."""
    started: list[RunningServer] = []

    def start(data_dir: Path | None = None, *extra: str) -> RunningServer:
        server = start_server(data_dir or tmp_path / f"data{len(started)}", *extra)
        started.append(server)
        return server

    yield start
    for server in started:  # a clean stop also ends the clusters a failed test left
        try:
            server.stop(signal.SIGTERM)
        except subprocess.TimeoutExpired:
            server.stop(signal.SIGKILL)
