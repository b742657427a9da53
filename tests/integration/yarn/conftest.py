"""A real ResourceManager and NodeManagers for the YARN tests: node dirs on loopback IPs,
daemons as subprocesses, an ApplicationMaster script (AM_SCRIPT) using emr.yarn.amclient.AMClient,
`start_cluster`, and the `cluster_factory`, `cluster` and `rest` fixtures. Shared by
test_resourcemanager.py, test_nodemanager.py and test_cli.py."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from emr.yarn.client import YarnRestClient
from tests.integration.daemon import daemon_log, start_daemon, stop_daemon
from tests.integration.nodedir import TOKEN, agent_config
from tests.integration.nodedir import write_node_dir as write_nodedir

WAIT_S = 30.0
MASTER_IP = "127.0.0.1"
AUTH = {"Authorization": f"Bearer {TOKEN}"}

#: An ApplicationMaster: `am.py MODE REPORT [N COMMAND [HOST]]`.
#: MODE ok: register, get N containers (on HOST only, if given), run COMMAND in each, wait for
#: their completion statuses, write them to REPORT, finish SUCCEEDED (FAILED if any exit != 0).
#: MODE hold: the same, but never finish (allocate forever, writing REPORT as it goes).
#: MODE fail: exit 1 at once.  MODE silent: register, then sleep without heartbeating.
AM_SCRIPT = r"""
import json, os, sys, time
from emr.yarn.amclient import AMClient
from emr.yarn.protocol import LaunchContext, ResourceModel, ResourceRequestModel

mode, report = sys.argv[1], sys.argv[2]
if mode == "fail":
    sys.exit(1)
with AMClient.from_environment() as am:
    am.register(host=os.environ["NM_HOST"], rpc_port=4242,
                tracking_url="http://%s:4040/am" % os.environ["NM_HOST"])
    if mode == "silent":
        time.sleep(600)
    n, command = int(sys.argv[3]), sys.argv[4]
    host = sys.argv[5] if len(sys.argv) > 5 else ""
    capability = ResourceModel(memory_mb=128, vcores=1)
    asks = [ResourceRequestModel(priority=1, capability=capability, num_containers=n,
                                 relax_locality=not host)]
    if host:
        asks.append(ResourceRequestModel(priority=1, capability=capability, num_containers=n,
                                         resource_name=host, relax_locality=False))
    started, done = {}, {}
    while mode == "hold" or len(done) < n:
        answer = am.allocate(asks=asks, progress=len(done) / n)
        asks = []
        for container in answer.allocated:
            am.start_container(container, LaunchContext(commands=[command]))
            started[container.container_id] = container.node_id
        for status in answer.completed:
            done[status.container_id] = status.exit_status
        with open(report + ".tmp", "w") as f:
            json.dump({"started": started, "done": done}, f)
        os.replace(report + ".tmp", report)
        if answer.shutdown:
            sys.exit(0)
        time.sleep(0.2)
    ok = all(code == 0 for code in done.values())
    am.finish("SUCCEEDED" if ok else "FAILED", diagnostics=json.dumps(done),
              tracking_url="http://history.example/app")
"""


def _agent_config(
    instance_id: str, role: str, ip: str, nodes: dict[str, Any], agent: Mapping[str, Any]
) -> dict[str, Any]:
    return agent_config(
        instance_id=instance_id,
        role=role,
        private_ip=ip,
        master_ip=MASTER_IP,
        nodes=nodes,
        memory_mb=4096,
        yarn_memory_mb=1024,
        vcores=2,
        **agent,
    )


def write_node_dir(
    root: Path,
    instance_id: str,
    role: str,
    ip: str,
    nodes: dict[str, Any],
    site: dict[str, str] | None = None,
    capacity: dict[str, str] | None = None,
    agent: Mapping[str, Any] | None = None,
) -> Path:
    """A node directory: agent.json (`agent`: more of its values), conf/yarn-site.xml (and
    capacity-scheduler.xml)."""
    properties = {
        "yarn.nodemanager.address": f"{ip}:8041",
        "yarn.nodemanager.resource.memory-mb": "1024",
        "yarn.nodemanager.resource.cpu-vcores": "2",
        "yarn.nodemanager.local-dirs": str(root / "data" / "yarn" / "local"),
        "yarn.nodemanager.log-dirs": str(root / "logs" / "userlogs"),
        "yarn.nodemanager.container-monitor.interval-ms": "200",
        "yarn.resourcemanager.nodemanagers.heartbeat-interval-ms": "200",
        "yarn.scheduler.minimum-allocation-mb": "32",
        "yarn.nm.liveness-monitor.expiry-interval-ms": "2000",
        **(site or {}),
    }
    sites = {"yarn-site.xml": properties}
    if capacity is not None:
        sites["capacity-scheduler.xml"] = capacity
    return write_nodedir(root, _agent_config(instance_id, role, ip, nodes, agent or {}), sites)


@dataclass
class Daemon:
    """A daemon process started from a node dir; its stderr goes to `<node dir>/<name>.log`."""

    name: str
    node_dir: Path
    args: list[str]
    process: subprocess.Popen[str] | None = None
    port: int = 0
    _log: Any = None

    def start(self) -> None:
        self.process, self._log, line = start_daemon(
            f"emr.yarn.{self.name}", self.node_dir, f"{self.name}.log", self.args
        )
        assert line.startswith(f"{self.name} listening port="), (line, self.log())
        self.port = int(line.strip().rsplit("=", 1)[1])

    def log(self) -> str:
        return daemon_log(self.node_dir, f"{self.name}.log")

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process is None or self._log is None:
            return
        log, self._log = self._log, None
        stop_daemon(self.process, log, sig)


@dataclass
class Cluster:
    root: Path
    rm: Daemon
    nodemanagers: dict[str, Daemon] = field(default_factory=dict)
    http: httpx.Client | None = None

    @property
    def url(self) -> str:
        return f"http://{MASTER_IP}:{self.rm.port}"

    def get(self, path: str, status: int = 200, **params: str) -> Any:
        assert self.http is not None
        response = self.http.get(path, params=params)
        assert response.status_code == status, (response.text, self.rm.log()[-3000:])
        return response.json()

    def app(self, app_id: str) -> dict[str, Any]:
        body: dict[str, Any] = self.get(f"/ws/v1/cluster/apps/{app_id}")["app"]
        return body

    def wait_app(self, app_id: str, states: set[str]) -> dict[str, Any]:
        app: dict[str, Any] = wait_for(
            lambda: (a := self.app(app_id))["state"] in states and a, self.logs
        )
        return app

    def logs(self) -> str:
        texts = [f"--- rm\n{self.rm.log()[-4000:]}"]
        texts += [f"--- {ip}\n{nm.log()[-3000:]}" for ip, nm in self.nodemanagers.items()]
        for path in sorted(self.root.glob("**/userlogs/**/std*")):
            texts.append(f"--- {path}\n{path.read_text()[-2000:]}")
        return "\n".join(texts)

    def submit(self, rest: YarnRestClient, name: str, command: str, **kwargs: Any) -> str:
        app_id = rest.new_application().application_id
        rest.submit(app_id, name, [command], memory_mb=128, **kwargs)
        return app_id

    def stop(self) -> None:
        for nm in self.nodemanagers.values():
            nm.stop()
        self.rm.stop()
        if self.http is not None:
            self.http.close()

    def am_command(self, *args: str) -> str:
        script = self.root / "am.py"
        script.write_text(AM_SCRIPT)
        quoted = " ".join(f"'{a}'" for a in args)
        return f"{sys.executable} {script} {quoted} 1><LOG_DIR>/am.out 2><LOG_DIR>/am.err"


def wait_for(condition: Callable[[], Any], context: Callable[[], str] = str) -> Any:
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"condition not met in {WAIT_S} s\n{context()}")


ClusterFactory = Callable[..., Cluster]


def start_cluster(
    root: Path,
    workers: dict[str, str] | None = None,
    site: dict[str, str] | None = None,
    capacity: dict[str, str] | None = None,
    agent: Mapping[str, Any] | None = None,
    started: list[Cluster] | None = None,
) -> Cluster:
    """A ResourceManager on MASTER_IP and the NodeManagers of `workers` (ip → role, CORE or
    TASK), their node dirs under `root`, once every NodeManager registered. `agent`: more
    agent.json values of the workers' nodes. The cluster is appended to `started` as soon as
    it exists, so that a failed start is stopped too."""
    workers = workers or {}
    nodes: dict[str, Any] = {"i-master": ("MASTER", MASTER_IP)}
    nodes |= {f"i-{ip}": (role, ip) for ip, role in workers.items()}
    master = write_node_dir(root / "master", "i-master", "MASTER", MASTER_IP, nodes, site, capacity)
    rm = Daemon("resourcemanager", master, ["--bind", MASTER_IP, "--port", "0"])
    cluster = Cluster(root, rm)
    if started is not None:
        started.append(cluster)
    rm.start()
    cluster.http = httpx.Client(base_url=cluster.url, timeout=10)
    for ip, role in workers.items():
        node_dir = write_node_dir(root / ip, f"i-{ip}", role, ip, nodes, site, agent=agent)
        nm = Daemon(
            "nodemanager",
            node_dir,
            ["--bind", ip, "--port", "0", "--resourcemanager", cluster.url],
        )
        cluster.nodemanagers[ip] = nm
        nm.start()
    if workers:
        wait_for(
            lambda: (
                httpx.get(f"{cluster.url}/_yarn/v1/status", headers=AUTH).json()[
                    "registered_nodemanagers"
                ]
                == len(workers)
            ),
            cluster.logs,
        )
    return cluster


@pytest.fixture
def cluster_factory(tmp_path: Path) -> Iterator[ClusterFactory]:
    started: list[Cluster] = []

    def start(
        workers: dict[str, str] | None = None,
        site: dict[str, str] | None = None,
        capacity: dict[str, str] | None = None,
        agent: Mapping[str, Any] | None = None,
    ) -> Cluster:
        """`workers`: ip → role (CORE or TASK) of the NodeManagers to start."""
        return start_cluster(tmp_path, workers, site, capacity, agent, started)

    yield start
    for cluster in started:
        cluster.stop()


@pytest.fixture
def rest(cluster: Cluster) -> Iterator[YarnRestClient]:
    with YarnRestClient(cluster.url, user="hadoop") as client:
        yield client


@pytest.fixture
def cluster(cluster_factory: ClusterFactory) -> Cluster:
    return cluster_factory()


def read_report(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text()) if path.exists() else {}
