"""Starting and stopping a daemon from its node dir, as the HDFS and YARN daemon tests do:
`python -m <module> --node-dir DIR …`, stderr appended to `<node dir>/<log name>`, the first
stdout line its announcement (`<name> listening port=…`)."""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import IO

__all__ = ["daemon_log", "start_daemon", "stop_daemon"]


def start_daemon(
    module: str, node_dir: Path, log_name: str, args: Sequence[str]
) -> tuple[subprocess.Popen[str], IO[str], str]:
    """The process, its open log file and its announcement line."""
    log = open(node_dir / log_name, "a")  # noqa: SIM115 (closed by stop_daemon)
    process = subprocess.Popen(
        [sys.executable, "-m", module, "--node-dir", str(node_dir), *args],
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
    )
    assert process.stdout is not None
    return process, log, process.stdout.readline()  # bounded: the process exits on failure


def stop_daemon(process: subprocess.Popen[str], log: IO[str], sig: int = signal.SIGTERM) -> int:
    """Signal it, wait (killing it after 15 s), close its pipe and log; its exit code."""
    if process.poll() is None:
        process.send_signal(sig)
    try:
        return process.wait(timeout=15)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=5)
        if process.stdout is not None:
            process.stdout.close()
        log.close()


def daemon_log(node_dir: Path, log_name: str) -> str:
    path = node_dir / log_name
    return path.read_text() if path.exists() else ""
