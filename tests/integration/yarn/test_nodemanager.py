"""The real NodeManager process (`python -m emr.yarn.nodemanager`) under the real
ResourceManager (`python -m emr.yarn.resourcemanager`), one core node on 127.0.0.2.

The test is each application's ApplicationMaster (`AppMaster`): it submits the application with
YarnRestClient, the RM launches its AM container on the NodeManager, and that container only
writes its environment to its log dir and sleeps. The test reads the environment (the AMRM
token, the RM's address, the container id) and makes the AM's calls itself with
emr.yarn.amclient.AMClient: register, allocate, start and stop containers, finish. Containers
are real process groups, resources come from a real http.server, real files, a real HDFS
NameNode and DataNode and the real S3 region; the tests call the NodeManager's HTTP API with
httpx and look at processes with psutil.
"""

from __future__ import annotations

import gzip
import http.server
import io
import os
import secrets
import signal
import subprocess
import sys
import tarfile
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest

from emr.yarn import protocol as p
from emr.yarn.amclient import AMClient
from emr.yarn.client import YarnClientError, YarnRestClient
from tests.conftest import RunningServer
from tests.integration.hdfs.cluster import start_datanodes
from tests.integration.hdfs.conftest import NameNodeProcess
from tests.integration.hdfs.conftest import write_node_dir as write_hdfs_node_dir
from tests.integration.nodedir import TOKEN
from tests.integration.yarn.conftest import (
    MASTER_IP,
    Cluster,
    ClusterFactory,
    Daemon,
    start_cluster,
    wait_for,
)

pytestmark = pytest.mark.integration

#: The module's NodeManager, and that of a test's own cluster: the two run at the same time,
#: so they need IPs of their own (a NodeManager's shuffle service binds a fixed port, 13562).
IP, OWN_IP = "127.0.0.2", "127.0.0.3"
NODE_ID = f"{IP}:8041"
SITE = {"yarn.nodemanager.resource.memory-mb": "2048"}
#: The AM container's command: its environment, NUL-separated, to am.env in its log dir; then
#: it sleeps until the NodeManager kills it.
AM_COMMAND = (
    "env -0 > <LOG_DIR>/am.env.tmp && mv <LOG_DIR>/am.env.tmp <LOG_DIR>/am.env && exec sleep 600"
)


# --- the cluster and the ApplicationMaster --------------------------------------------------


@dataclass
class Node:
    """The cluster under test, seen from its one NodeManager (on `ip`)."""

    cluster: Cluster
    ip: str = IP

    @property
    def node_id(self) -> str:
        return f"{self.ip}:8041"

    @property
    def daemon(self) -> Daemon:
        return self.cluster.nodemanagers[self.ip]

    @property
    def url(self) -> str:
        return f"http://{self.ip}:{self.daemon.port}"

    @property
    def node_dir(self) -> Path:
        return self.daemon.node_dir

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return httpx.get(f"{self.url}{path}", timeout=10, **kwargs)

    def post(self, path: str, body: Any, token: str | None) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.post(
            f"{self.url}{p.CONTAINERS_PREFIX}/{path}", json=body, headers=headers, timeout=10
        )

    def container(self, container_id: str) -> dict[str, Any]:
        """Its /ws/v1/node/containers/{id} record."""
        response = self.get(f"/ws/v1/node/containers/{container_id}")
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()["container"]
        return body

    def wait_state(self, container_id: str, state: str) -> dict[str, Any]:
        found: dict[str, Any] = wait_for(
            lambda: (c := self.container(container_id))["state"] == state and c,
            self.cluster.logs,
        )
        return found

    def log_file(self, app_id: str, container_id: str, name: str) -> str:
        return (self.node_dir / "logs" / "userlogs" / app_id / container_id / name).read_text()

    def heartbeat(self) -> None:
        """Wait until the NodeManager's next heartbeat to the RM succeeded."""
        last = self.get("/ws/v1/node/info").json()["nodeInfo"]["lastNodeUpdateTime"]
        wait_for(
            lambda: self.get("/ws/v1/node/info").json()["nodeInfo"]["lastNodeUpdateTime"] > last,
            self.cluster.logs,
        )


@dataclass
class AppMaster:
    """The test as an application's ApplicationMaster, with the AM container's own environment
    and AMRM token. `completed` holds every completion status allocate answered, each once."""

    node: Node
    application_id: str
    environment: dict[str, str]
    client: AMClient
    completed: dict[str, p.ContainerStatus] = field(default_factory=dict)
    granted: list[p.ContainerModel] = field(default_factory=list)

    @classmethod
    def start(cls, node: Node) -> AppMaster:
        """Submit an application, wait for its AM container's environment, register."""
        cluster = node.cluster
        with YarnRestClient(cluster.url, user="hadoop") as rest:
            app_id = cluster.submit(rest, "nodemanager test", AM_COMMAND)
        env_file: Path = wait_for(
            lambda: next(node.node_dir.glob(f"logs/userlogs/{app_id}/*/am.env"), None),
            cluster.logs,
        )
        entries = env_file.read_text().split("\0")
        environment = dict(entry.split("=", 1) for entry in entries if entry)
        client = AMClient.from_environment(environment)
        client.register(host=environment["NM_HOST"])
        return cls(node, app_id, environment, client)

    @property
    def container_id(self) -> str:
        """The AM container's."""
        return self.environment["CONTAINER_ID"]

    def close(self) -> None:
        """Kill the application unless it ended (or the RM forgot it): it leaves nothing."""
        with YarnRestClient(self.node.cluster.url, user="hadoop") as rest:
            known = [a for a in rest.applications() if a.application_id == self.application_id]
            if known and not known[0].ended:
                rest.kill(self.application_id)
        self.client.close()

    def allocate(
        self, asks: list[p.ResourceRequestModel] | None = None, releases: list[str] | None = None
    ) -> p.AllocateAnswer:
        answer = self.client.allocate(asks=asks or [], releases=releases or [])
        for status in answer.completed:
            assert status.container_id not in self.completed, f"{status} answered twice"
            self.completed[status.container_id] = status
        self.granted += answer.allocated
        return answer

    def grant(self, memory_mb: int = 128) -> p.ContainerModel:
        """Ask for one container of `memory_mb` and wait until the RM allocated it."""
        capability = p.ResourceModel(memory_mb=memory_mb, vcores=1)
        self.allocate(
            asks=[p.ResourceRequestModel(priority=1, capability=capability, num_containers=1)]
        )
        wait_for(lambda: self.granted or self.allocate().allocated, self.node.cluster.logs)
        return self.granted.pop(0)

    def run(
        self,
        commands: list[str],
        *,
        memory_mb: int = 128,
        environment: dict[str, str] | None = None,
        local_resources: dict[str, p.LocalResource] | None = None,
    ) -> str:
        """Start `commands` in a newly granted container; its id."""
        container = self.grant(memory_mb)
        context = p.LaunchContext(
            commands=commands,
            environment=environment or {},
            local_resources=local_resources or {},
        )
        self.client.start_container(container, context)
        return container.container_id

    def status(self, container_id: str) -> p.ContainerStatus:
        """Its completion status, as allocate answers it (waits for it)."""

        def answered() -> p.ContainerStatus | None:
            self.allocate()
            return self.completed.get(container_id)

        status: p.ContainerStatus = wait_for(answered, self.node.cluster.logs)
        return status


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Node]:
    """A ResourceManager and one core NodeManager (2048 MB, 2 vcores) for the module."""
    started: list[Cluster] = []
    try:
        yield Node(
            start_cluster(tmp_path_factory.mktemp("yarn"), {IP: "CORE"}, SITE, started=started)
        )
    finally:
        for cluster in started:
            cluster.stop()


@pytest.fixture
def node_factory(cluster_factory: ClusterFactory) -> Callable[..., Node]:
    """A cluster of the test's own (`site` and `agent` as cluster_factory's)."""

    def start(site: dict[str, str] = SITE, agent: dict[str, str] | None = None) -> Node:
        return Node(cluster_factory({OWN_IP: "CORE"}, site=site, agent=agent), OWN_IP)

    return start


@pytest.fixture
def am_factory() -> Iterator[Callable[[Node], AppMaster]]:
    """Start an application on a node; killed at the end unless it ended."""
    started: list[AppMaster] = []

    def start(node: Node) -> AppMaster:
        master = AppMaster.start(node)
        started.append(master)
        return master

    yield start
    for master in started:
        master.close()


@pytest.fixture
def am(node: Node, am_factory: Callable[[Node], AppMaster]) -> AppMaster:
    return am_factory(node)


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


# --- registration -----------------------------------------------------------------------------


def test_registers_with_resource_and_label(node: Node) -> None:
    [registered] = node.cluster.get("/ws/v1/cluster/nodes")["nodes"]["node"]
    assert registered["id"] == NODE_ID and registered["state"] == "RUNNING"
    assert registered["nodeHTTPAddress"] == f"{IP}:{node.daemon.port}"
    assert registered["totalResource"] == {"memory": 2048, "vCores": 2}
    assert registered["nodeLabels"] == ["CORE"]


# --- containers -------------------------------------------------------------------------------


def test_container_runs_with_env_workdir_and_local_resources(
    node: Node, am: AppMaster, files: tuple[Path, str]
) -> None:
    # The AM container, launched by the RM with the cluster token, got the AM's variables.
    attempt = str(am.client.attempt_id)
    assert am.environment["EMR_AMRM_TOKEN"] == p.amrm_token(TOKEN, attempt)
    assert am.environment["EMR_RM_ADDRESS"] == node.cluster.url
    assert am.container_id.endswith("_01_000001")
    root, base = files
    container_id = am.run(
        [
            'echo "CONTAINER_ID=$CONTAINER_ID"; echo "PWD=$(pwd)"; echo "USER=$USER"',
            'echo "MY_VAR=$MY_VAR"; echo "AMRM=${EMR_AMRM_TOKEN:+set}"; echo "NM=$NM_HOST:$NM_PORT"',
            "cat hello.txt local.txt bundle/inner/data.txt; echo to-stderr >&2",
            "echo logdir={{LOG_DIR}}",
        ],
        environment={"MY_VAR": "from-{{USER}}"},
        local_resources={
            "hello.txt": p.LocalResource(url=f"{base}/hello.txt"),
            "local.txt": p.LocalResource(url=f"file://{root / 'local.txt'}"),
            "bundle": p.LocalResource(url=f"{base}/bundle.tgz", type="ARCHIVE"),
        },
    )
    status = am.status(container_id)
    assert status.exit_status == 0, (status, node.cluster.logs())
    app = am.application_id
    stdout = node.log_file(app, container_id, "stdout")
    workdir = (
        node.node_dir / "data/yarn/local/usercache/hadoop/appcache" / app / container_id
    ).resolve()
    assert f"CONTAINER_ID={container_id}\n" in stdout
    assert f"PWD={workdir}\n" in stdout
    assert "USER=hadoop\n" in stdout
    assert "MY_VAR=from-hadoop\n" in stdout
    assert "AMRM=\n" in stdout  # started by the AM with its container token: not an AM
    assert f"NM={NODE_ID}\n" in stdout
    assert "hello over http\nhello from file://\ninside the archive\n" in stdout
    log_dir = node.node_dir / "logs" / "userlogs" / app / container_id
    assert f"logdir={log_dir}\n" in stdout
    assert node.log_file(app, container_id, "stderr") == "to-stderr\n"
    served = node.get(f"/ws/v1/node/containerlogs/{container_id}/stdout")
    assert served.status_code == 200 and served.text == stdout


def test_exit_status_reaches_the_appmaster_once(node: Node, am: AppMaster) -> None:
    container_id = am.run(["echo 'something broke' >&2; exit 3"])
    status = am.status(container_id)
    assert status.exit_status == 3
    assert "Exit code: 3\n" in status.diagnostics
    assert status.diagnostics.endswith("Last 4096 bytes of stderr :\nsomething broke\n")
    for _ in range(3):
        node.heartbeat()
    later = am.allocate().completed
    assert container_id not in [s.container_id for s in later]


def test_stop_with_container_token_is_killed_by_appmaster(node: Node, am: AppMaster) -> None:
    container = am.grant()
    am.client.start_container(container, p.LaunchContext(commands=["sleep 60"]))
    stop = {"container_ids": [container.container_id]}
    wrong = node.post("stop", stop, token="not-the-token")
    assert wrong.status_code == 403
    assert wrong.json()["RemoteException"]["exception"] == "InvalidToken"
    node.wait_state(container.container_id, "RUNNING")
    am.client.stop_container(container)
    status = am.status(container.container_id)
    assert status.exit_status == -105
    assert status.diagnostics.startswith("Container killed by the ApplicationMaster.\n")
    assert "Exit code is 143" in status.diagnostics
    # Stopping a finished or unknown container is not an error.
    unknown = f"{container.container_id[:-6]}000999"
    again = node.post("stop", {"container_ids": [container.container_id, unknown]}, container.token)
    assert again.status_code == 200


def test_wrong_tokens_are_refused(node: Node, am: AppMaster) -> None:
    container = am.grant()
    cid, resource = container.container_id, container.resource
    request = p.StartRequest(
        container=container,
        application_id=am.application_id,
        user="hadoop",
        launch_context=p.LaunchContext(commands=["true"]),
    ).model_dump(mode="json")
    bad = p.container_token("another-cluster", cid, NODE_ID, resource.memory_mb, resource.vcores)
    response = node.post("start", request, token=bad)
    assert response.status_code == 403
    error = response.json()["RemoteException"]
    assert error["javaClassName"] == "org.apache.hadoop.security.token.SecretManager$InvalidToken"
    malformed = node.post("start", {"container": "?"}, token="guess")
    assert malformed.status_code == 403  # nothing about the body is told before auth
    missing = node.post("start", request, token=None)
    assert missing.status_code == 401
    assert missing.json()["RemoteException"]["exception"] == "SecurityException"
    # Neither started anything; the grant's own token does.
    assert node.get(f"/ws/v1/node/containers/{cid}").status_code == 404
    assert node.post("start", request, token=container.token).status_code == 200
    assert am.status(cid).exit_status == 0


def test_release_is_carried_out_from_the_heartbeat_answer(node: Node, am: AppMaster) -> None:
    container_id = am.run(["sleep 60"])
    node.wait_state(container_id, "RUNNING")
    [released] = am.allocate(releases=[container_id]).completed
    assert released == p.ContainerStatus(
        container_id=container_id,
        state="COMPLETE",
        exit_status=-100,
        diagnostics="Container released by application",
    )
    # The RM tells the NodeManager in its next heartbeat answer.
    done = node.wait_state(container_id, "DONE")
    assert done["exitCode"] == -106
    assert done["diagnostics"].startswith("Container Killed by ResourceManager\n")
    assert not _container_processes(container_id)


def test_memory_limit_kills_the_tree(node: Node, am: AppMaster) -> None:
    # The memory is held by a grandchild: the tree, not the leader, is measured.
    hog = f"{sys.executable} -c \"b = b'x' * (96 << 20); import time; time.sleep(60)\""
    container_id = am.run([f"{hog} & wait"], memory_mb=64)
    status = am.status(container_id)
    assert status.exit_status == -104, status
    diagnostics = status.diagnostics
    assert diagnostics.startswith("Container [pid="), diagnostics
    assert f",containerID={container_id}] is running " in diagnostics
    assert "beyond the 'PHYSICAL' memory limit. Current usage: " in diagnostics
    assert " of 64 MB physical memory used; " in diagnostics
    assert f"Dump of the process-tree for {container_id} :\n" in diagnostics
    assert not _container_processes(container_id)


def test_localization_failure(node: Node, am: AppMaster, tmp_path: Path) -> None:
    missing = tmp_path / "nope.jar"
    container_id = am.run(
        ["true"], local_resources={"nope.jar": p.LocalResource(url=f"file://{missing}")}
    )
    status = am.status(container_id)
    assert status.exit_status == -1000
    assert f"File file:{missing} does not exist" in status.diagnostics


def test_duplicate_and_invalid_requests(node: Node, am: AppMaster) -> None:
    container = am.grant()
    context = p.LaunchContext(commands=["true"])
    am.client.start_container(container, context)
    with pytest.raises(YarnClientError) as again:
        am.client.start_container(container, context)
    assert again.value.status == 409
    assert "already is running on this node" in again.value.message
    am.status(container.container_id)
    other = am.grant()
    with pytest.raises(YarnClientError) as escaping:
        am.client.start_container(other, context, user="../../etc")
    assert escaping.value.status == 400
    assert "Invalid user name" in escaping.value.message
    # its own container token, but another application's id (its appcache, its shuffle token)
    with pytest.raises(YarnClientError) as foreign:
        am.client.start_container(other, context, application_id="application_1_0999")
    assert foreign.value.status == 400
    assert f"belongs to {am.client.application_id}" in foreign.value.message
    am.allocate(releases=[other.container_id])
    invalid = node.post("stop", {"container_ids": ["container_nonsense"]}, token=container.token)
    assert invalid.status_code == 400
    assert invalid.json()["RemoteException"]["exception"] == "IllegalArgumentException"


def test_status_endpoint(node: Node, am: AppMaster) -> None:
    container = am.grant()
    am.client.start_container(container, p.LaunchContext(commands=["exit 0"]))
    am.status(container.container_id)
    assert am.client.container_status(container).model_dump() == {
        "container_id": container.container_id,
        "state": "COMPLETE",
        "exit_status": 0,
        "diagnostics": "",
    }
    unknown = f"{container.container_id[:-6]}000998"
    answer = node.get(
        f"{p.CONTAINERS_PREFIX}/{unknown}/status", headers={"Authorization": f"Bearer {TOKEN}"}
    )
    assert answer.status_code == 404


def test_ws_node_shapes(node: Node, am: AppMaster) -> None:
    info = node.get("/ws/v1/node/info").json()["nodeInfo"]
    assert info["id"] == NODE_ID
    assert info["nodeHostName"] == IP
    assert info["totalPmemAllocatedContainersMB"] == 2048
    assert info["totalVCoresAllocatedContainers"] == 2
    assert info["nodeHealthy"] is True
    assert info["pmemCheckEnabled"] is True and info["vmemCheckEnabled"] is False
    assert info["lastNodeUpdateTime"] > 0 and info["nmStartupTime"] > 0
    assert node.get("/ws/v1/node").json()["nodeInfo"].keys() == info.keys()

    app_id = am.application_id
    container_id = am.run(["echo shapes"], memory_mb=256)
    am.status(container_id)
    apps = node.get("/ws/v1/node/apps").json()["apps"]["app"]
    app = next(a for a in apps if a["id"] == app_id)
    assert app["user"] == "hadoop" and app["state"] == "RUNNING"
    assert {am.container_id, container_id} <= set(app["containerids"])
    assert node.get(f"/ws/v1/node/apps/{app_id}").json()["app"]["id"] == app_id
    assert node.get("/ws/v1/node/apps", params={"user": "nobody"}).json() == {"apps": None}

    listed = node.get("/ws/v1/node/containers").json()["containers"]["container"]
    assert container_id in [c["id"] for c in listed]
    assert node.container(container_id) == {
        "id": container_id,
        "state": "DONE",
        "exitCode": 0,
        "diagnostics": "",
        "user": "hadoop",
        "totalMemoryNeededMB": 256,
        "totalVCoresNeeded": 1,
        "containerLogsLink": (
            f"http://{IP}:{node.daemon.port}/node/containerlogs/{container_id}/hadoop"
        ),
        "nodeId": NODE_ID,
        "containerLogFiles": ["stderr", "stdout"],
        "executionType": "GUARANTEED",
    }
    missing = node.get(f"/ws/v1/node/containers/{container_id[:-6]}000997")
    assert missing.status_code == 404
    assert missing.json()["RemoteException"]["exception"] == "NotFoundException"
    bad = node.get("/ws/v1/node/containers/not-a-container")
    assert bad.status_code == 400
    assert bad.json()["RemoteException"]["exception"] == "BadRequestException"


# --- resources from HDFS and S3, log aggregation ----------------------------------------------


def test_hdfs_resource(node: Node, am: AppMaster, tmp_path: Path) -> None:
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
        source = f"hdfs://127.0.0.1:{namenode.http_port}/user/hadoop/job.txt"
        container_id = am.run(
            ["cat job.txt"], local_resources={"job.txt": p.LocalResource(url=source)}
        )
        status = am.status(container_id)
        assert status.exit_status == 0, status
        assert node.log_file(am.application_id, container_id, "stdout") == "from hdfs\n"
    finally:
        for datanode in datanodes:
            datanode.stop()
        namenode.stop()


def test_s3_resource_and_log_aggregation_to_the_log_uri(
    node_factory: Callable[..., Node],
    am_factory: Callable[[Node], AppMaster],
    region: RunningServer,
) -> None:
    s3 = region.client("s3")
    bucket = f"nm-{secrets.token_hex(6)}"
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="jobs/script.sh", Body=b"echo from s3\n")
    node = node_factory(
        agent={
            "region_url": region.url,
            "access_key_id": region.env["AWS_ACCESS_KEY_ID"],
            "secret_access_key": region.env["AWS_SECRET_ACCESS_KEY"],
            "log_uri": f"s3://{bucket}/logs",
        }
    )
    am = am_factory(node)
    app = am.application_id
    container_id = am.run(
        ["bash script.sh; echo to-stderr >&2"],
        local_resources={"script.sh": p.LocalResource(url=f"s3://{bucket}/jobs/script.sh")},
    )
    status = am.status(container_id)
    assert status.exit_status == 0, status
    # Finishing tells the NodeManager the application is over: it aggregates the logs.
    am.client.finish("SUCCEEDED")
    prefix = f"logs/j-TEST/containers/{app}/{container_id}/"

    def uploaded() -> list[str]:
        listed = s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", [])
        keys = sorted(item["Key"] for item in listed)
        return keys if len(keys) >= 2 else []

    keys: list[str] = wait_for(uploaded, node.cluster.logs)
    assert keys == [f"{prefix}stderr.gz", f"{prefix}stdout.gz"]
    body = s3.get_object(Bucket=bucket, Key=f"{prefix}stdout.gz")["Body"]
    with body:
        assert gzip.decompress(body.read()) == b"from s3\n"
    shown = _yarn_logs(node, app)
    assert shown.returncode == 0, shown.stderr
    assert f"Container: {container_id}\nLogAggregationType: AGGREGATED\n" in shown.stdout
    assert "LogType:stdout\nLogLength:8\nLogContents:\nfrom s3\nEnd of LogType:stdout\n" in (
        shown.stdout
    )
    assert "LogType:stderr\nLogLength:10\nLogContents:\nto-stderr\n" in shown.stdout
    other = "application_1700000000000_0042"
    missing = _yarn_logs(node, other)
    assert missing.returncode == 255
    assert f"Can not find the logs for the application: {other}" in missing.stderr
    listed = s3.list_objects_v2(Bucket=bucket).get("Contents", [])
    for item in listed:
        s3.delete_object(Bucket=bucket, Key=item["Key"])
    s3.delete_bucket(Bucket=bucket)


# --- the application ends, the ResourceManager restarts, the NodeManager stops ----------------


def test_app_finished_kills_leftovers_and_cleans_up(
    node_factory: Callable[..., Node], am_factory: Callable[[Node], AppMaster]
) -> None:
    # Heartbeats a second apart, and the finish right after one: the RM's app-finished call,
    # sent at once, reaches the NodeManager long before the next heartbeat answer, which
    # names the same containers to kill (-106).
    node = node_factory(
        site={
            **SITE,
            "yarn.resourcemanager.nodemanagers.heartbeat-interval-ms": "1000",
            "yarn.nm.liveness-monitor.expiry-interval-ms": "10000",
        }
    )
    am = am_factory(node)
    app_id = am.application_id
    container_id = am.run(["sleep 60"])
    node.wait_state(container_id, "RUNNING")
    node.heartbeat()
    am.client.finish("SUCCEEDED")
    done = node.wait_state(container_id, "DONE")
    assert done["exitCode"] == -107, done
    assert done["diagnostics"].startswith("Container killed on application-finish event\n")
    wait_for(
        lambda: node.get(f"/ws/v1/node/apps/{app_id}").json()["app"]["state"] == "FINISHED",
        node.cluster.logs,
    )
    appcache = node.node_dir / "data/yarn/local/usercache/hadoop/appcache" / app_id
    assert not appcache.exists()
    # No LogUri in agent.json: the logs stay in the node's userlogs.
    assert (node.node_dir / "logs/userlogs" / app_id / container_id / "stdout").exists()
    # `yarn logs` on the node reads them there.
    shown = _yarn_logs(node, app_id, "-containerId", container_id, "-log_files", "stdout")
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout == (
        f"Container: {container_id}\nLogAggregationType: AGGREGATED\n{'=' * 77}\n"
        f"LogType:stdout\nLogLength:0\nLogContents:\nEnd of LogType:stdout\n{'*' * 85}\n\n"
    )
    refused = node.post("app-finished", {"application_id": app_id}, token="x")
    assert refused.status_code == 403
    report = node.cluster.app(app_id)
    assert (report["state"], report["finalStatus"]) == ("FINISHED", "SUCCEEDED")


def test_resync_with_a_restarted_resourcemanager(
    node_factory: Callable[..., Node], am_factory: Callable[[Node], AppMaster]
) -> None:
    node = node_factory()
    am = am_factory(node)
    container_id = am.run(["sleep 60"])
    node.wait_state(container_id, "RUNNING")
    cluster = node.cluster
    first = cluster.get("/ws/v1/cluster/info")["clusterInfo"]["id"]
    port = cluster.rm.port
    cluster.rm.stop(signal.SIGKILL)
    cluster.rm = Daemon(
        "resourcemanager", cluster.rm.node_dir, ["--bind", MASTER_IP, "--port", str(port)]
    )
    cluster.rm.start()
    assert cluster.get("/ws/v1/cluster/info")["clusterInfo"]["id"] > first
    registered = wait_for(
        lambda: (n := cluster.get("/ws/v1/cluster/nodes")["nodes"]) and n["node"][0],
        cluster.logs,
    )
    assert (registered["id"], registered["state"]) == (node.node_id, "RUNNING")
    # The NodeManager listed its running containers; the new RM never granted them.
    for orphan in (container_id, am.container_id):
        done = node.wait_state(orphan, "DONE")
        assert done["exitCode"] == -106, done
        assert done["diagnostics"].startswith("Container Killed by ResourceManager\n")
        assert not _container_processes(orphan)
    with pytest.raises(YarnClientError) as forgotten:
        am.allocate()
    assert forgotten.value.status == 404
    assert forgotten.value.exception == "ApplicationAttemptNotFoundException"


def test_sigkill_of_the_nodemanager_leaves_no_container(
    node_factory: Callable[..., Node], am_factory: Callable[[Node], AppMaster]
) -> None:
    node = node_factory()
    am = am_factory(node)
    # A grandchild in the group, and one that left it with setsid.
    container_id = am.run(["sleep 300 & setsid sleep 300 & sleep 300"])
    # bash and its three sleeps
    wait_for(lambda: len(_container_processes(container_id)) >= 4, node.cluster.logs)
    node.daemon.stop(signal.SIGKILL)
    assert node.daemon.process is not None
    assert node.daemon.process.returncode == -signal.SIGKILL
    wait_for(
        lambda: (
            not _container_processes(container_id) and not _container_processes(am.container_id)
        ),
        node.cluster.logs,
    )


def test_sigterm_stops_the_nodemanager_and_its_containers(
    node_factory: Callable[..., Node], am_factory: Callable[[Node], AppMaster]
) -> None:
    node = node_factory()
    am = am_factory(node)
    container_id = am.run(["sleep 300"])
    node.wait_state(container_id, "RUNNING")
    node.daemon.stop(signal.SIGTERM)
    assert node.daemon.process is not None
    assert node.daemon.process.returncode == 0
    assert not _container_processes(container_id)
    assert not _container_processes(am.container_id)


# --- helpers ----------------------------------------------------------------------------------


def _yarn_logs(node: Node, *args: str) -> subprocess.CompletedProcess[str]:
    """`yarn logs -applicationId …` as a step on the node runs it."""
    return subprocess.run(
        [sys.executable, "-m", "emr.yarn.nodemanager.logs", "-applicationId", *args],
        env={**os.environ, "EMR_NODE_DIR": str(node.node_dir)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


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
