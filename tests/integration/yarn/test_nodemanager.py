"""The real NodeManager process (`python -m emr.yarn.nodemanager`) started from a node dir.

Its ResourceManager is a test double: `RecordingResourceManager`, a ~40-line http.server in
this module that answers the RM's two NodeManager endpoints (register, heartbeat) and records
what it hears, with a kill list and a resync flag the tests set. It exists because the real
ResourceManager (`python -m emr.yarn.resourcemanager`) is being written concurrently; once it
lands these tests should move to it. Everything else is real: containers are real process
groups, resources come from a real http.server and real files, and the tests call the NM's
HTTP API with httpx and look at processes with psutil.
"""

from __future__ import annotations

import gzip
import http.server
import io
import json
import os
import secrets
import signal
import subprocess
import sys
import tarfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest

from emr.yarn.protocol import container_token
from tests.conftest import RunningServer
from tests.integration.hdfs.cluster import start_datanodes
from tests.integration.hdfs.conftest import NameNodeProcess
from tests.integration.hdfs.conftest import write_node_dir as write_hdfs_node_dir
from tests.integration.nodedir import TOKEN, agent_config
from tests.integration.nodedir import write_node_dir as write_nodedir

pytestmark = pytest.mark.integration

NODE_ID = "127.0.0.1:8041"
APP = "application_1700000000000_0001"
WAIT_S = 20.0


# --- the ResourceManager test double -------------------------------------------------------


@dataclass
class RecordingResourceManager:
    """Answers /_yarn/v1/nm/register and /heartbeat; records registrations and heartbeats."""

    registrations: list[dict[str, Any]] = field(default_factory=list)
    heartbeats: list[dict[str, Any]] = field(default_factory=list)
    kill: list[str] = field(default_factory=list)
    resync: bool = False
    url: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            if path.endswith("/register"):
                self.registrations.append(body)
                return {"cluster_timestamp": 1700000000000}
            self.heartbeats.append(body)
            answer = {"kill": self.kill, "resync": self.resync}
            self.kill, self.resync = [], False
            return answer

    def serve(self) -> tuple[http.server.ThreadingHTTPServer, str]:
        rm = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                if self.headers.get("Authorization") != f"Bearer {TOKEN}":
                    self.send_response(401)
                    self.end_headers()
                    return
                length = int(self.headers.get("Content-Length", 0))
                data = json.dumps(rm.answer(self.path, json.loads(self.rfile.read(length))))
                self.send_response(200)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data.encode())

            def log_message(self, *args: Any) -> None:
                pass

        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return server, f"http://127.0.0.1:{server.server_address[1]}"

    def completed(self, container_id: str) -> dict[str, Any]:
        """The first COMPLETE status of `container_id` a heartbeat carried (waits for it)."""
        deadline = time.monotonic() + WAIT_S
        while time.monotonic() < deadline:
            with self.lock:
                for beat in self.heartbeats:
                    for status in beat["containers"]:
                        if status["container_id"] == container_id and status["state"] == "COMPLETE":
                            return dict(status)
            time.sleep(0.05)
        raise AssertionError(f"{container_id} never reported COMPLETE")


# --- the NodeManager process ----------------------------------------------------------------


def write_node_dir(root: Path, *, site: dict[str, str] | None = None, **agent: Any) -> Path:
    """A core node directory: agent.json (with `agent`'s values) and conf/yarn-site.xml."""
    config = agent_config(
        instance_id="i-core0",
        role="CORE",
        nodes={"i-master": ("MASTER", "127.0.0.1"), "i-core0": ("CORE", "127.0.0.1")},
        memory_mb=4096,
        yarn_memory_mb=2048,
        vcores=2,
        **agent,
    )
    properties = {
        "yarn.nodemanager.address": NODE_ID,
        "yarn.nodemanager.resource.memory-mb": "2048",
        "yarn.nodemanager.resource.cpu-vcores": "2",
        "yarn.nodemanager.local-dirs": str(root / "data" / "yarn" / "local"),
        "yarn.nodemanager.log-dirs": str(root / "logs" / "userlogs"),
        "yarn.nodemanager.container-monitor.interval-ms": "200",
        "yarn.resourcemanager.nodemanagers.heartbeat-interval-ms": "200",
        **(site or {}),
    }
    return write_nodedir(root, config, {"yarn-site.xml": properties})


@dataclass
class NodeManagerProcess:
    node_dir: Path
    rm: RecordingResourceManager
    rm_url: str
    process: subprocess.Popen[str] | None = None
    port: int = 0
    client: httpx.Client | None = None
    _stderr: Any = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self._stderr = open(self.node_dir / "nodemanager.log", "a")  # noqa: SIM115
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "emr.yarn.nodemanager",
                "--node-dir",
                str(self.node_dir),
                "--bind",
                "127.0.0.1",
                "--port",
                "0",
                "--resourcemanager",
                self.rm_url,
            ],
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            text=True,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        assert line.startswith("nodemanager listening port="), (line, self.log())
        self.port = int(line.strip().rsplit("=", 1)[1])
        self.client = httpx.Client(base_url=self.url, timeout=10)
        deadline = time.monotonic() + WAIT_S
        while not self.rm.registrations and time.monotonic() < deadline:
            time.sleep(0.05)
        assert self.rm.registrations, self.log()

    def log(self) -> str:
        path = self.node_dir / "nodemanager.log"
        return path.read_text() if path.exists() else ""

    def stop(self, sig: int = signal.SIGTERM) -> int | None:
        if self.client is not None:
            self.client.close()
            self.client = None
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.send_signal(sig)
        try:
            code = self.process.wait(timeout=20)
        finally:
            if self.process.poll() is None:
                self.process.kill()
                self.process.wait(timeout=5)
            if self.process.stdout is not None:
                self.process.stdout.close()
            if self._stderr is not None:
                self._stderr.close()
                self._stderr = None
        return code

    # --- calls ------------------------------------------------------------------------------

    def post(self, path: str, body: dict[str, Any], token: str | None = TOKEN) -> httpx.Response:
        assert self.client is not None
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return self.client.post(f"/_yarn/v1/containers/{path}", json=body, headers=headers)

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        assert self.client is not None
        return self.client.get(path, **kwargs)

    def start_container(
        self,
        sequence: int,
        commands: list[str],
        *,
        memory_mb: int = 256,
        token: str | None = TOKEN,
        environment: dict[str, str] | None = None,
        local_resources: dict[str, Any] | None = None,
        expect: int = 200,
    ) -> str:
        container_id = f"container_1700000000000_0001_01_{sequence:06d}"
        body = {
            "container": {
                "container_id": container_id,
                "node_id": NODE_ID,
                "node_http_address": f"127.0.0.1:{self.port}",
                "resource": {"memory_mb": memory_mb, "vcores": 1},
                "priority": 0,
                "token": container_token(TOKEN, container_id, NODE_ID, memory_mb, 1),
            },
            "application_id": APP,
            "user": "hadoop",
            "launch_context": {
                "commands": commands,
                "environment": environment or {},
                "local_resources": local_resources or {},
            },
        }
        response = self.post("start", body, token)
        assert response.status_code == expect, response.text
        return container_id

    def log_file(self, container_id: str, name: str) -> str:
        return (self.node_dir / "logs" / "userlogs" / APP / container_id / name).read_text()


@pytest.fixture(scope="module")
def rm() -> Iterator[RecordingResourceManager]:
    double = RecordingResourceManager()
    server, url = double.serve()
    double.url = url
    yield double
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def nm_factory(
    tmp_path_factory: pytest.TempPathFactory, rm: RecordingResourceManager
) -> Iterator[Callable[..., NodeManagerProcess]]:
    started: list[NodeManagerProcess] = []

    def start(**agent: Any) -> NodeManagerProcess:
        node_dir = write_node_dir(tmp_path_factory.mktemp("nm"), **agent)
        nm = NodeManagerProcess(node_dir, rm, rm.url)
        started.append(nm)
        nm.start()
        return nm

    yield start
    for nm in started:
        nm.stop(signal.SIGKILL)


@pytest.fixture(scope="module")
def nm(nm_factory: Callable[..., NodeManagerProcess]) -> NodeManagerProcess:
    return nm_factory()


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    """A directory with a file and a .tgz, served by a real http.server."""
    root = tmp_path_factory.mktemp("files")
    (root / "hello.txt").write_text("hello over http\n")
    (root / "local.txt").write_text("hello from file://\n")
    packed = io.BytesIO()
    with tarfile.open(fileobj=packed, mode="w:gz") as tar:
        data = b"inside the archive\n"
        info = tarfile.TarInfo("inner/data.txt")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    (root / "bundle.tgz").write_bytes(packed.getvalue())

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, directory=str(root), **kwargs)

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield root, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


# --- tests (container sequences are unique across the module: the RM double is shared) -----------------------------------------------------------------------------------


def test_registers_with_resource_and_label(nm: NodeManagerProcess) -> None:
    registration = nm.rm.registrations[0]
    assert registration["node_id"] == NODE_ID
    assert registration["http_address"] == f"127.0.0.1:{nm.port}"
    assert registration["resource"] == {"memory_mb": 2048, "vcores": 2}
    assert registration["label"] == "CORE"


def test_container_runs_with_env_workdir_and_local_resources(
    nm: NodeManagerProcess, files: tuple[Path, str]
) -> None:
    root, base = files
    container_id = nm.start_container(
        1,
        [
            'echo "CONTAINER_ID=$CONTAINER_ID"; echo "PWD=$(pwd)"; echo "USER=$USER"',
            'echo "MY_VAR=$MY_VAR"; echo "AMRM=${EMR_AMRM_TOKEN:+set}"; echo "NM=$NM_HOST:$NM_PORT"',
            "cat hello.txt local.txt bundle/inner/data.txt; echo to-stderr >&2",
            "echo logdir={{LOG_DIR}}",
        ],
        environment={"MY_VAR": "from-{{USER}}"},
        local_resources={
            "hello.txt": {"url": f"{base}/hello.txt"},
            "local.txt": {"url": f"file://{root / 'local.txt'}"},
            "bundle": {"url": f"{base}/bundle.tgz", "type": "ARCHIVE"},
        },
    )
    status = nm.rm.completed(container_id)
    assert status["exit_status"] == 0, (status, nm.log())
    stdout = nm.log_file(container_id, "stdout")
    workdir = (
        nm.node_dir / "data/yarn/local/usercache/hadoop/appcache" / APP / container_id
    ).resolve()
    assert f"CONTAINER_ID={container_id}\n" in stdout
    assert f"PWD={workdir}\n" in stdout
    assert "USER=hadoop\n" in stdout
    assert "MY_VAR=from-hadoop\n" in stdout
    assert "AMRM=set\n" in stdout  # started with the cluster token: an AM
    assert f"NM={NODE_ID}\n" in stdout
    assert "hello over http\nhello from file://\ninside the archive\n" in stdout
    log_dir = nm.node_dir / "logs" / "userlogs" / APP / container_id
    assert f"logdir={log_dir}\n" in stdout
    assert nm.log_file(container_id, "stderr") == "to-stderr\n"
    served = nm.get(f"/ws/v1/node/containerlogs/{container_id}/stdout")
    assert served.status_code == 200 and served.text == stdout


def test_exit_status_reported_until_seen(nm: NodeManagerProcess) -> None:
    container_id = nm.start_container(2, ["echo 'something broke' >&2; exit 3"])
    status = nm.rm.completed(container_id)
    assert status["exit_status"] == 3
    assert "Exit code: 3\n" in status["diagnostics"]
    assert status["diagnostics"].endswith("Last 4096 bytes of stderr :\nsomething broke\n")
    # Once a heartbeat carried it, later heartbeats no longer do.
    seen = len(nm.rm.heartbeats)
    deadline = time.monotonic() + WAIT_S
    while len(nm.rm.heartbeats) < seen + 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    later = [s["container_id"] for b in nm.rm.heartbeats[seen + 1 :] for s in b["containers"]]
    assert container_id not in later


def test_stop_with_container_token_is_killed_by_appmaster(nm: NodeManagerProcess) -> None:
    container_id = nm.start_container(
        3, ["sleep 60"], token=container_token(TOKEN, _cid(3), NODE_ID, 256, 1)
    )
    wrong = nm.post("stop", {"container_ids": [container_id]}, token="not-the-token")
    assert wrong.status_code == 403
    assert wrong.json()["RemoteException"]["exception"] == "InvalidToken"
    _wait_state(nm, container_id, "RUNNING")
    own = container_token(TOKEN, container_id, NODE_ID, 256, 1)
    assert nm.post("stop", {"container_ids": [container_id]}, token=own).status_code == 200
    status = nm.rm.completed(container_id)
    assert status["exit_status"] == -105
    assert status["diagnostics"].startswith("Container killed by the ApplicationMaster.\n")
    assert "Exit code is 143" in status["diagnostics"]
    # Stopping a finished or unknown container is not an error.
    again = nm.post("stop", {"container_ids": [container_id, _cid(999)]}, token=own)
    assert again.status_code == 200


def test_wrong_tokens_are_refused(nm: NodeManagerProcess) -> None:
    bad = container_token("another-cluster", _cid(4), NODE_ID, 256, 1)
    response = nm.post("start", _start_body(nm, 4), token=bad)
    assert response.status_code == 403
    error = response.json()["RemoteException"]
    assert error["javaClassName"] == "org.apache.hadoop.security.token.SecretManager$InvalidToken"
    malformed = nm.post("start", {"container": "?"}, token="guess")
    assert malformed.status_code == 403  # nothing about the body is told before auth
    missing = nm.post("start", _start_body(nm, 4), token=None)
    assert missing.status_code == 401
    assert missing.json()["RemoteException"]["exception"] == "SecurityException"
    # Neither started anything.
    assert nm.get(f"/ws/v1/node/containers/{_cid(4)}").status_code == 404


def test_kill_from_heartbeat_answer(nm: NodeManagerProcess) -> None:
    container_id = nm.start_container(5, ["sleep 60"])
    _wait_state(nm, container_id, "RUNNING")
    nm.rm.kill = [container_id]
    status = nm.rm.completed(container_id)
    assert status["exit_status"] == -106
    assert status["diagnostics"].startswith("Container Killed by ResourceManager\n")


def test_memory_limit_kills_the_tree(nm: NodeManagerProcess) -> None:
    # The memory is held by a grandchild: the tree, not the leader, is measured.
    hog = f"{sys.executable} -c \"b = b'x' * (96 << 20); import time; time.sleep(60)\""
    container_id = nm.start_container(6, [f"{hog} & wait"], memory_mb=48)
    status = nm.rm.completed(container_id)
    assert status["exit_status"] == -104, status
    diagnostics = status["diagnostics"]
    assert diagnostics.startswith("Container [pid="), diagnostics
    assert f",containerID={container_id}] is running " in diagnostics
    assert "beyond the 'PHYSICAL' memory limit. Current usage: " in diagnostics
    assert " of 48 MB physical memory used; " in diagnostics
    assert f"Dump of the process-tree for {container_id} :\n" in diagnostics
    assert not _container_processes(container_id)


def test_localization_failure(nm: NodeManagerProcess, tmp_path: Path) -> None:
    missing = tmp_path / "nope.jar"
    container_id = nm.start_container(
        7, ["true"], local_resources={"nope.jar": {"url": f"file://{missing}"}}
    )
    status = nm.rm.completed(container_id)
    assert status["exit_status"] == -1000
    assert f"File file:{missing} does not exist" in status["diagnostics"]


def test_duplicate_and_invalid_requests(nm: NodeManagerProcess) -> None:
    container_id = nm.start_container(8, ["true"])
    again = nm.post("start", _start_body(nm, 8))
    assert again.status_code == 409
    assert "already is running on this node" in again.json()["RemoteException"]["message"]
    nm.rm.completed(container_id)
    escaping = {**_start_body(nm, 13), "user": "../../etc"}
    refused = nm.post("start", escaping)
    assert refused.status_code == 400
    assert "Invalid user name" in refused.json()["RemoteException"]["message"]
    invalid = nm.post("stop", {"container_ids": ["container_nonsense"]})
    assert invalid.status_code == 400
    assert invalid.json()["RemoteException"]["exception"] == "IllegalArgumentException"


def test_status_endpoint(nm: NodeManagerProcess) -> None:
    container_id = nm.start_container(9, ["exit 0"])
    nm.rm.completed(container_id)
    own = container_token(TOKEN, container_id, NODE_ID, 256, 1)
    answer = nm.get(
        f"/_yarn/v1/containers/{container_id}/status",
        headers={"Authorization": f"Bearer {own}"},
    )
    assert answer.status_code == 200
    assert answer.json() == {
        "container_id": container_id,
        "state": "COMPLETE",
        "exit_status": 0,
        "diagnostics": "",
    }
    unknown = nm.get(
        f"/_yarn/v1/containers/{_cid(998)}/status", headers={"Authorization": f"Bearer {TOKEN}"}
    )
    assert unknown.status_code == 404


def test_ws_node_shapes(nm: NodeManagerProcess) -> None:
    info = nm.get("/ws/v1/node/info").json()["nodeInfo"]
    assert info["id"] == NODE_ID
    assert info["nodeHostName"] == "127.0.0.1"
    assert info["totalPmemAllocatedContainersMB"] == 2048
    assert info["totalVCoresAllocatedContainers"] == 2
    assert info["nodeHealthy"] is True
    assert info["pmemCheckEnabled"] is True and info["vmemCheckEnabled"] is False
    assert info["lastNodeUpdateTime"] > 0 and info["nmStartupTime"] > 0
    assert nm.get("/ws/v1/node").json()["nodeInfo"].keys() == info.keys()

    container_id = nm.start_container(10, ["echo shapes"])
    nm.rm.completed(container_id)
    apps = nm.get("/ws/v1/node/apps").json()["apps"]["app"]
    app = next(a for a in apps if a["id"] == APP)
    assert app["user"] == "hadoop" and app["state"] == "RUNNING"
    assert container_id in app["containerids"]
    assert nm.get(f"/ws/v1/node/apps/{APP}").json()["app"]["id"] == APP
    assert nm.get("/ws/v1/node/apps", params={"user": "nobody"}).json() == {"apps": None}

    listed = nm.get("/ws/v1/node/containers").json()["containers"]["container"]
    assert container_id in [c["id"] for c in listed]
    one = nm.get(f"/ws/v1/node/containers/{container_id}").json()["container"]
    assert one == {
        "id": container_id,
        "state": "DONE",
        "exitCode": 0,
        "diagnostics": "",
        "user": "hadoop",
        "totalMemoryNeededMB": 256,
        "totalVCoresNeeded": 1,
        "containerLogsLink": (
            f"http://127.0.0.1:{nm.port}/node/containerlogs/{container_id}/hadoop"
        ),
        "nodeId": NODE_ID,
        "containerLogFiles": ["stderr", "stdout"],
        "executionType": "GUARANTEED",
    }
    missing = nm.get(f"/ws/v1/node/containers/{_cid(997)}")
    assert missing.status_code == 404
    assert missing.json()["RemoteException"]["exception"] == "NotFoundException"
    bad = nm.get("/ws/v1/node/containers/not-a-container")
    assert bad.status_code == 400
    assert bad.json()["RemoteException"]["exception"] == "BadRequestException"


def test_resync_registers_again(nm: NodeManagerProcess) -> None:
    container_id = nm.start_container(11, ["sleep 60"])
    _wait_state(nm, container_id, "RUNNING")
    before = len(nm.rm.registrations)
    nm.rm.resync = True
    deadline = time.monotonic() + WAIT_S
    while len(nm.rm.registrations) == before and time.monotonic() < deadline:
        time.sleep(0.05)
    again = nm.rm.registrations[-1]
    assert again["node_id"] == NODE_ID
    assert container_id in [c["container_id"] for c in again["containers"]]
    nm.rm.kill = [container_id]
    nm.rm.completed(container_id)


def test_app_finished_kills_leftovers_and_cleans_up(
    nm_factory: Callable[..., NodeManagerProcess],
) -> None:
    nm = nm_factory()
    container_id = nm.start_container(21, ["sleep 60"])
    _wait_state(nm, container_id, "RUNNING")
    answer = nm.post("app-finished", {"application_id": APP})
    assert answer.status_code == 200
    status = nm.rm.completed(container_id)
    assert status["exit_status"] == -107
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        if nm.get(f"/ws/v1/node/apps/{APP}").json()["app"]["state"] == "FINISHED":
            break
        time.sleep(0.05)
    assert nm.get(f"/ws/v1/node/apps/{APP}").json()["app"]["state"] == "FINISHED"
    appcache = nm.node_dir / "data/yarn/local/usercache/hadoop/appcache" / APP
    assert not appcache.exists()
    # No LogUri in agent.json: the logs stay in the node's userlogs.
    assert (nm.node_dir / "logs/userlogs" / APP / container_id / "stdout").exists()
    # `yarn logs` on the node reads them there.
    shown = _yarn_logs(nm, APP, "-containerId", container_id, "-log_files", "stdout")
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout == (
        f"Container: {container_id}\nLogAggregationType: AGGREGATED\n{'=' * 77}\n"
        f"LogType:stdout\nLogLength:0\nLogContents:\nEnd of LogType:stdout\n{'*' * 85}\n\n"
    )
    refused = nm.post("app-finished", {"application_id": APP}, token="x")
    assert refused.status_code == 403


def test_sigkill_of_the_nodemanager_leaves_no_container(
    nm_factory: Callable[..., NodeManagerProcess],
) -> None:
    nm = nm_factory()
    # A grandchild in the group, and one that left it with setsid.
    container_id = nm.start_container(22, ["sleep 300 & setsid sleep 300 & sleep 300"])
    deadline = time.monotonic() + WAIT_S
    while len(_container_processes(container_id)) < 4 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(_container_processes(container_id)) >= 4  # bash + three sleeps
    assert nm.stop(signal.SIGKILL) == -signal.SIGKILL
    deadline = time.monotonic() + WAIT_S
    while _container_processes(container_id) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _container_processes(container_id)


def test_sigterm_stops_the_nodemanager_and_its_containers(
    nm_factory: Callable[..., NodeManagerProcess],
) -> None:
    nm = nm_factory()
    container_id = nm.start_container(23, ["sleep 300"])
    _wait_state(nm, container_id, "RUNNING")
    assert nm.stop(signal.SIGTERM) == 0
    assert not _container_processes(container_id)


# --- helpers --------------------------------------------------------------------------------


def _cid(sequence: int) -> str:
    return f"container_1700000000000_0001_01_{sequence:06d}"


def _start_body(nm: NodeManagerProcess, sequence: int) -> dict[str, Any]:
    container_id = _cid(sequence)
    return {
        "container": {
            "container_id": container_id,
            "node_id": NODE_ID,
            "node_http_address": f"127.0.0.1:{nm.port}",
            "resource": {"memory_mb": 256, "vcores": 1},
            "priority": 0,
            "token": "",
        },
        "application_id": APP,
        "user": "hadoop",
        "launch_context": {"commands": ["true"]},
    }


def _yarn_logs(nm: NodeManagerProcess, *args: str) -> subprocess.CompletedProcess[str]:
    """`yarn logs -applicationId …` as a step on the node runs it."""
    return subprocess.run(
        [sys.executable, "-m", "emr.yarn.nodemanager.logs", "-applicationId", *args],
        env={**os.environ, "EMR_NODE_DIR": str(nm.node_dir)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _wait_state(nm: NodeManagerProcess, container_id: str, state: str) -> None:
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        response = nm.get(f"/ws/v1/node/containers/{container_id}")
        if response.status_code == 200 and response.json()["container"]["state"] == state:
            return
        time.sleep(0.05)
    raise AssertionError(f"{container_id} never {state}: {nm.log()}")


def _container_processes(container_id: str) -> list[psutil.Process]:
    found = []
    for process in psutil.process_iter():
        try:
            if (
                process.environ().get("CONTAINER_ID") == container_id
                and process.status() != psutil.STATUS_ZOMBIE
            ):
                found.append(process)
        except psutil.Error:
            continue
    return found


def test_s3_resource_and_log_aggregation_to_the_log_uri(
    nm_factory: Callable[..., NodeManagerProcess], region: RunningServer
) -> None:
    s3 = region.client("s3")
    bucket = f"nm-{secrets.token_hex(6)}"
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="jobs/script.sh", Body=b"echo from s3\n")
    nm = nm_factory(
        region_url=region.url,
        access_key_id=region.env["AWS_ACCESS_KEY_ID"],
        secret_access_key=region.env["AWS_SECRET_ACCESS_KEY"],
        log_uri=f"s3://{bucket}/logs",
    )
    container_id = nm.start_container(
        24,
        ["bash script.sh; echo to-stderr >&2"],
        local_resources={"script.sh": {"url": f"s3://{bucket}/jobs/script.sh"}},
    )
    status = nm.rm.completed(container_id)
    assert status["exit_status"] == 0, status
    assert nm.post("app-finished", {"application_id": APP}).status_code == 200
    prefix = f"logs/j-TEST/containers/{APP}/{container_id}/"
    deadline = time.monotonic() + WAIT_S
    keys: list[str] = []
    while time.monotonic() < deadline and len(keys) < 2:
        listed = s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", [])
        keys = sorted(item["Key"] for item in listed)
        time.sleep(0.1)
    assert keys == [f"{prefix}stderr.gz", f"{prefix}stdout.gz"]
    body = s3.get_object(Bucket=bucket, Key=f"{prefix}stdout.gz")["Body"]
    with body:
        assert gzip.decompress(body.read()) == b"from s3\n"
    shown = _yarn_logs(nm, APP)
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.startswith(f"Container: {container_id}\nLogAggregationType: AGGREGATED\n")
    assert "LogType:stdout\nLogLength:8\nLogContents:\nfrom s3\nEnd of LogType:stdout\n" in (
        shown.stdout
    )
    assert "LogType:stderr\nLogLength:10\nLogContents:\nto-stderr\n" in shown.stdout
    other = "application_1700000000000_0042"
    missing = _yarn_logs(nm, other)
    assert missing.returncode == 255
    assert f"Can not find the logs for the application: {other}" in missing.stderr
    for key in [*keys, "jobs/script.sh"]:
        s3.delete_object(Bucket=bucket, Key=key)
    s3.delete_bucket(Bucket=bucket)


def test_hdfs_resource(nm: NodeManagerProcess, tmp_path: Path) -> None:
    """hdfs://<namenode>/path through WebHDFS, from a real NameNode and DataNode."""
    namenode = NameNodeProcess(write_hdfs_node_dir(tmp_path / "nn", core_nodes=1), [])
    namenode.start()
    datanodes = start_datanodes(tmp_path, namenode, 1)
    try:
        url = f"{namenode.url}/webhdfs/v1/user/hadoop/job.txt"
        params = {"op": "CREATE", "user.name": "hadoop", "overwrite": "true"}
        with httpx.Client(timeout=20) as client:
            redirect = client.put(url, params=params)
            assert redirect.status_code == 307, redirect.text
            created = client.put(redirect.headers["location"], content=b"from hdfs\n")
            assert created.status_code == 201, created.text
        container_id = nm.start_container(
            12,
            ["cat job.txt"],
            local_resources={
                "job.txt": {"url": f"hdfs://127.0.0.1:{namenode.http_port}/user/hadoop/job.txt"}
            },
        )
        status = nm.rm.completed(container_id)
        assert status["exit_status"] == 0, status
        assert nm.log_file(container_id, "stdout") == "from hdfs\n"
    finally:
        for datanode in datanodes:
            datanode.stop()
        namenode.stop()
