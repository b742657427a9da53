"""Real DataNode processes beside the conftest's NameNode: each with its own node directory
(agent.json naming the NameNode's address), on 127.0.0.1 with a port chosen by the OS."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from tests.integration.nodedir import TOKEN

from .conftest import START_TIMEOUT_S, NameNodeProcess


@dataclass
class DataNodeProcess:
    node_dir: Path
    namenode: NameNodeProcess
    process: subprocess.Popen[str] | None = None
    port: int = 0
    _stderr: Any = None

    @property
    def datanode_id(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def store_dir(self) -> Path:
        return self.node_dir / "data" / "datanode"

    def start(self) -> None:
        self._stderr = open(self.node_dir / "datanode.log", "a")  # noqa: SIM115
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "emr.hdfs.datanode",
                "--node-dir",
                str(self.node_dir),
                "--bind",
                "127.0.0.1",
                "--port",
                "0",
                "--namenode",
                self.namenode.url,
                "--heartbeat",
                "0.3",
            ],
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            text=True,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        assert line.startswith("datanode listening port="), (line, self.log())
        self.port = int(line.strip().rsplit("=", 1)[1])

    def log(self) -> str:
        path = self.node_dir / "datanode.log"
        return path.read_text() if path.exists() else ""

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(sig)
        try:
            self.process.wait(timeout=15)
        finally:
            if self.process.poll() is None:
                self.process.kill()
                self.process.wait(timeout=5)
            if self.process.stdout is not None:
                self.process.stdout.close()
            if self._stderr is not None:
                self._stderr.close()
                self._stderr = None


def start_datanodes(root: Path, namenode: NameNodeProcess, count: int) -> list[DataNodeProcess]:
    """`count` DataNodes registered with `namenode` (waits until it counts them live)."""
    config = json.loads((namenode.node_dir / "agent.json").read_text())
    datanodes = []
    for n in range(count):
        node_dir = root / f"dn{n}"
        (node_dir / "data").mkdir(parents=True)
        (node_dir / "agent.json").write_text(
            json.dumps({**config, "instance_id": f"i-core{n}", "role": "CORE"})
        )
        datanode = DataNodeProcess(node_dir, namenode)
        datanodes.append(datanode)
        datanode.start()
    deadline = time.monotonic() + START_TIMEOUT_S
    headers = {"Authorization": f"Bearer {TOKEN}"}
    while time.monotonic() < deadline:
        status = httpx.get(f"{namenode.url}/_dn/v1/status", headers=headers, timeout=5).json()
        if status["live_datanodes"] >= count and not status["safe_mode"]:
            return datanodes
        time.sleep(0.1)
    raise AssertionError(f"datanodes did not register: {status}")
