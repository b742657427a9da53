"""Real DataNode processes beside the conftest's NameNode: each with its own node directory
(agent.json naming the NameNode's address), on 127.0.0.1 with a port chosen by the OS."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from tests.integration.daemon import daemon_log, start_daemon, stop_daemon
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
        args = ["--bind", "127.0.0.1", "--port", "0", "--namenode", self.namenode.url,
                "--heartbeat", "0.3"]  # fmt: skip
        self.process, self._stderr, line = start_daemon(
            "emr.hdfs.datanode", self.node_dir, "datanode.log", args
        )
        assert line.startswith("datanode listening port="), (line, self.log())
        self.port = int(line.strip().rsplit("=", 1)[1])

    def log(self) -> str:
        return daemon_log(self.node_dir, "datanode.log")

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process is None or self._stderr is None:
            return
        log, self._stderr = self._stderr, None
        stop_daemon(self.process, log, sig)


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
