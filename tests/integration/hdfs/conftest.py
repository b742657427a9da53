"""A real NameNode process on 127.0.0.1 (ports chosen by the OS) and a driver that plays the
DataNodes through the NameNode's own `/_dn/v1` protocol."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from emr.hdfs import protocol as p
from tests.integration.daemon import daemon_log, start_daemon, stop_daemon
from tests.integration.nodedir import TOKEN, agent_config
from tests.integration.nodedir import write_node_dir as write_nodedir

START_TIMEOUT_S = 20.0


def write_node_dir(root: Path, *, core_nodes: int = 2, site: dict[str, str] | None = None) -> Path:
    """A master node directory: agent.json and conf/hdfs-site.xml."""
    nodes = {"i-master": ("MASTER", "127.0.0.1")}
    nodes |= {f"i-core{n}": ("CORE", "127.0.0.1") for n in range(core_nodes)}
    config = agent_config(nodes=nodes)
    site = {
        "dfs.blocksize": "1024",
        "dfs.replication": "1",
        "dfs.namenode.fs-limits.min-block-size": "16",
        **(site or {}),
    }
    return write_nodedir(root, config, {"hdfs-site.xml": site})


@dataclass
class NameNodeProcess:
    node_dir: Path
    args: list[str]
    process: subprocess.Popen[str] | None = None
    http_port: int = 0
    rpc_port: int = 0
    _stderr: Any = None
    closed: bool = False

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    def start(self) -> None:
        self.closed = False
        args = ["--bind", "127.0.0.1", "--http-port", "0", "--rpc-port", "0", *self.args]
        self.process, self._stderr, line = start_daemon(
            "emr.hdfs.namenode", self.node_dir, "namenode.log", args
        )
        assert line.startswith("namenode listening"), (line, self.log())
        fields = dict(part.split("=") for part in line.split()[2:])
        self.http_port, self.rpc_port = int(fields["http"]), int(fields["rpc"])
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            try:
                httpx.get(f"{self.url}/webhdfs/v1/?op=GETFILESTATUS", timeout=2)
                return
            except httpx.TransportError:
                time.sleep(0.05)
        raise AssertionError(f"namenode did not answer: {self.log()}")

    def log(self) -> str:
        return daemon_log(self.node_dir, "namenode.log")

    def stop(self, sig: int = signal.SIGTERM) -> int:
        assert self.process is not None
        if self.closed or self._stderr is None:
            return self.process.returncode
        self.closed = True
        log, self._stderr = self._stderr, None
        return stop_daemon(self.process, log, sig)


@pytest.fixture
def namenode_factory(tmp_path: Path) -> Iterator[Any]:
    started: list[NameNodeProcess] = []

    def start(
        node_dir: Path | None = None, args: list[str] | None = None, **node: Any
    ) -> NameNodeProcess:
        directory = node_dir or write_node_dir(tmp_path / f"nn{len(started)}", **node)
        nn = NameNodeProcess(directory, args or ["--tick", "0.2"])
        started.append(nn)
        nn.start()
        return nn

    yield start
    for nn in started:
        if nn.process is not None:
            nn.stop(signal.SIGKILL)


@pytest.fixture
def namenode(namenode_factory: Any) -> NameNodeProcess:
    nn: NameNodeProcess = namenode_factory()
    return nn


@dataclass
class DatanodeDriver:
    """Plays one DataNode towards the NameNode through `/_dn/v1`."""

    client: httpx.Client
    datanode_id: str
    blocks: dict[int, p.BlockModel] = field(default_factory=dict)

    def call(self, name: str, body: dict[str, Any], status: int = 200) -> Any:
        response = self.client.post(f"{p.PREFIX}/{name}", content=json.dumps(body))
        assert response.status_code == status, response.text
        return response.json()

    def register(self) -> None:
        stats = {"capacity_bytes": 10**9, "used_bytes": 0, "remaining_bytes": 10**9}
        self.call("register", {"datanode_id": self.datanode_id, **stats})
        self.report()

    def report(self) -> None:
        blocks = [b.model_dump() for b in self.blocks.values()]
        self.call("block-report", {"datanode_id": self.datanode_id, "blocks": blocks})

    def heartbeat(self) -> p.HeartbeatAnswer:
        stats = {"capacity_bytes": 10**9, "used_bytes": 0, "remaining_bytes": 10**9}
        answer = self.call("heartbeat", {"datanode_id": self.datanode_id, **stats})
        return p.HeartbeatAnswer.model_validate(answer)

    def received(self, block: p.BlockModel) -> None:
        self.blocks[block.block_id] = block
        self.call("block-received", {"datanode_id": self.datanode_id, "block": block.model_dump()})


@pytest.fixture
def dn_client(namenode: NameNodeProcess) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=namenode.url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10
    ) as client:
        yield client
