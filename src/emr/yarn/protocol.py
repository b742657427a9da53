"""The wire contract inside YARN: NodeManager ⇄ ResourceManager, ApplicationMaster ⇄
ResourceManager, and starting/stopping containers on a NodeManager.

Hadoop speaks protobuf RPC here; we speak HTTP with JSON bodies (pydantic models below), as
HDFS does (emr.hdfs.protocol). Clients outside the cluster's daemons use Hadoop's own REST
APIs, which the ResourceManager and NodeManagers serve as Hadoop documents them:
`/ws/v1/cluster/…` (info, metrics, scheduler, apps incl. `new-application` and submission by
`POST /ws/v1/cluster/apps`, `apps/{id}/state`, appattempts, nodes) on the RM's port 8088 and
`/ws/v1/node/…` on each NM's port 8042. Errors on every endpoint are Hadoop's
RemoteException JSON (`{"RemoteException": {"exception", "message", "javaClassName"}}`).

Ports (bound on the node's own IP): the ResourceManager serves everything on 8088 (Hadoop
splits it over 8030 scheduler, 8031 resource tracker, 8032 client and 8088 web; the site files
still name those, they are not served). A NodeManager serves 8042. Ids: a NodeManager's
NodeId is `<node-ip>:8041` (yarn.nodemanager.address, as Hadoop's), its HTTP address
`<node-ip>:8042`.

Authentication, three kinds of bearer token (`Authorization: Bearer <token>`):
- the cluster token (agent.json's `token`): NodeManager → RM calls, and RM → NM calls;
- an attempt's AMRM token, HMAC-SHA256(cluster token, attempt id), hex: AM → RM calls for that
  attempt only; the AM finds it in its container's environment as `EMR_AMRM_TOKEN`;
- a container token, HMAC-SHA256(cluster token, "<container id>|<node id>|<memory>|<vcores>"),
  hex: an AM starting a container it was granted (`Container.token`); the NM recomputes it.
Everything below is `POST` with a JSON body unless marked.

NodeManager → ResourceManager (`/_yarn/v1/nm/…`, cluster token):

    register    NodeRegistration    → RegistrationAnswer  (then heartbeats)
    heartbeat   NodeHeartbeat       → HeartbeatAnswer     (containers to kill, or resync)

ApplicationMaster → ResourceManager (`/_yarn/v1/am/{attempt_id}/…`, AMRM token):

    register    RegisterRequest     → RegisterAnswer      (host, rpc port, tracking URL)
    allocate    AllocateRequest     → AllocateAnswer      (asks, releases, progress →
                                                           new containers, completed ones)
    finish      FinishRequest       → {}                  (final status, diagnostics)

ResourceManager or ApplicationMaster → NodeManager (`/_yarn/v1/containers/…` on 8042):

    start       StartRequest        → {}   cluster token (the RM launching an AM) or the
                                          container token of `container.container_id`
    stop        StopRequest         → {}   the same tokens; stopping an unknown or finished
                                          container is not an error
    GET  {container_id}/status      → ContainerStatus
    app-finished  {"application_id"} → {}   cluster token only. [Added with the NodeManager,
                                          issue 6.] The RM tells every NM that ran containers
                                          of an application that it is over: the NM kills what
                                          is left of it (exit status -107,
                                          KILLED_AFTER_APP_COMPLETION), removes its appcache
                                          and aggregates its container logs to
                                          `<LogUri>/<cluster-id>/containers/<app>/<container>/`.
                                          Answered at once; the work runs in the background
                                          (`/ws/v1/node/apps/{id}` shows FINISHED when done).

A container is a process group (setsid) started by the NodeManager in its working directory
`<yarn local dir>/usercache/<user>/appcache/<app id>/<container id>/` with the launch context's
environment over the node's (HADOOP_CONF_DIR etc.) plus YARN's own variables: CONTAINER_ID,
NM_HOST, NM_PORT, NM_HTTP_PORT, LOCAL_DIRS, LOG_DIRS, USER, HOME, PWD, APPLICATION_WEB_PROXY_BASE
(unset), and for an AM `EMR_AMRM_TOKEN`, `EMR_RM_ADDRESS` (`http://<master-ip>:8088`) and
APP_SUBMIT_TIME_ENV. Its stdout and stderr go to `<log dir>/<app id>/<container id>/`, where
`{{LOG_DIR}}` in a command points (Hadoop's `<LOG_DIR>`). Local resources (files and archives
from s3://, hdfs:// or http(s)://) are fetched into the working directory under their names
before the command runs. [Added with MapReduce, issue 7:] `service_data` of a launch context
(auxiliary service name → data) reaches the node's auxiliary services; `mapreduce_shuffle`
takes the application's job token, which authorises reads of its map outputs from the node's
shuffle service (emr.yarn.nodemanager.shuffle, port mapreduce.shuffle.port). Every container
also gets `EMR_SHUFFLE_ADDRESS` (`<node ip>:<shuffle port>`).

Exit statuses are Hadoop's: the process's code, or -100 (ABORTED), -102 (PREEMPTED), -103
(KILLED_EXCEEDED_VMEM), -104 (KILLED_EXCEEDED_PMEM), -105
(KILLED_BY_APPMASTER), -106 (KILLED_BY_RESOURCEMANAGER), 137/143 for signals as Hadoop reports
them.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Literal

from pydantic import BaseModel, ConfigDict

__all__ = [
    "AM_PREFIX",
    "CONTAINERS_PREFIX",
    "NM_PREFIX",
    "AllocateAnswer",
    "AllocateRequest",
    "ContainerModel",
    "ContainerStatus",
    "FinishRequest",
    "HeartbeatAnswer",
    "LaunchContext",
    "LocalResource",
    "NodeHeartbeat",
    "NodeRegistration",
    "RegisterAnswer",
    "RegisterRequest",
    "RegistrationAnswer",
    "ResourceModel",
    "ResourceRequestModel",
    "StartRequest",
    "StopRequest",
    "amrm_token",
    "container_token",
]

NM_PREFIX = "/_yarn/v1/nm"
AM_PREFIX = "/_yarn/v1/am"
CONTAINERS_PREFIX = "/_yarn/v1/containers"


def amrm_token(cluster_token: str, attempt_id: str) -> str:
    """The token an ApplicationMaster attempt presents to the ResourceManager."""
    return hmac.new(cluster_token.encode(), attempt_id.encode(), hashlib.sha256).hexdigest()


def container_token(
    cluster_token: str, container_id: str, node_id: str, memory_mb: int, vcores: int
) -> str:
    """The token that lets an ApplicationMaster start the container it was granted."""
    message = f"{container_id}|{node_id}|{memory_mb}|{vcores}".encode()
    return hmac.new(cluster_token.encode(), message, hashlib.sha256).hexdigest()


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ResourceModel(_Model):
    memory_mb: int
    vcores: int


# --- NodeManager → ResourceManager ---------------------------------------------------------


class ContainerStatus(_Model):
    container_id: str
    #: RUNNING or COMPLETE (Hadoop's ContainerState; NEW/SCHEDULED are internal to the NM).
    state: Literal["RUNNING", "COMPLETE"]
    #: Meaningful once COMPLETE: the exit code, or one of Hadoop's ContainerExitStatus values.
    exit_status: int = -1000
    diagnostics: str = ""


class NodeRegistration(_Model):
    node_id: str  # <ip>:8041
    http_address: str  # <ip>:8042
    resource: ResourceModel
    #: "CORE" on core nodes, "" on task nodes (EMR labels only its core nodes).
    label: str
    #: Containers still running here (a NodeManager re-registering after an RM restart).
    containers: list[ContainerStatus] = []


class RegistrationAnswer(_Model):
    #: The RM's start time in ms: the `<clusterTimestamp>` of every id it hands out.
    cluster_timestamp: int


class NodeHeartbeat(_Model):
    node_id: str
    #: Every container the NM knows that the RM was not yet told is complete (RUNNING ones
    #: too, so the RM notices containers it has forgotten).
    containers: list[ContainerStatus]
    #: Memory the containers use now, measured over their process trees (for node reports).
    used_memory_mb: int = 0


class HeartbeatAnswer(_Model):
    #: Containers to kill (released, killed applications, a lost AM's leftovers).
    kill: list[str] = []
    #: The RM does not know this node (it restarted, or declared it LOST): register again.
    resync: bool = False


# --- ApplicationMaster → ResourceManager ---------------------------------------------------


class RegisterRequest(_Model):
    host: str
    rpc_port: int = -1
    tracking_url: str = ""


class RegisterAnswer(_Model):
    maximum_resource: ResourceModel
    queue: str
    #: Containers of earlier attempts still running (empty: work-preserving restart is off).
    containers_from_previous_attempts: list[str] = []


class ResourceRequestModel(_Model):
    """One line of an ask (see emr.yarn.scheduler.ResourceRequest)."""

    priority: int
    capability: ResourceModel
    num_containers: int
    resource_name: str = "*"
    relax_locality: bool = True
    node_label_expression: str = ""


class AllocateRequest(_Model):
    asks: list[ResourceRequestModel] = []
    releases: list[str] = []
    progress: float = 0.0


class ContainerModel(_Model):
    container_id: str
    node_id: str
    node_http_address: str
    resource: ResourceModel
    priority: int
    #: The container token the NM wants in `start`.
    token: str


class AllocateAnswer(_Model):
    allocated: list[ContainerModel] = []
    completed: list[ContainerStatus] = []
    #: The queue's headroom for this application (Hadoop's availableResources).
    available: ResourceModel
    num_cluster_nodes: int
    #: The attempt is over (killed, or the RM forgot it): the AM should exit.
    shutdown: bool = False


class FinishRequest(_Model):
    final_status: Literal["SUCCEEDED", "FAILED", "KILLED", "UNDEFINED"]
    diagnostics: str = ""
    tracking_url: str = ""


# --- starting containers -------------------------------------------------------------------


class LocalResource(_Model):
    #: s3://…, hdfs://…, http(s)://… or file:// (a path on the node).
    url: str
    type: Literal["FILE", "ARCHIVE", "PATTERN"] = "FILE"
    visibility: Literal["PUBLIC", "PRIVATE", "APPLICATION"] = "APPLICATION"


class LaunchContext(_Model):
    """Hadoop's ContainerLaunchContext: what to run and with what."""

    #: Shell command lines, run with `bash -c` in order (`{{LOG_DIR}}` expanded first).
    commands: list[str]
    environment: dict[str, str] = {}
    #: name in the working directory → where it comes from.
    local_resources: dict[str, LocalResource] = {}
    #: Auxiliary service name → data for it on this node (Hadoop's serviceData); the
    #: NodeManager knows `mapreduce_shuffle`: the job token of the container's application.
    service_data: dict[str, str] = {}


class StartRequest(_Model):
    container: ContainerModel
    application_id: str
    user: str
    launch_context: LaunchContext


class StopRequest(_Model):
    container_ids: list[str]
