"""The wire contract between the region server and node agents, both directions.

Agent → region: `POST <region>/_emr/agent/v1/events` with one `AgentEvent` as JSON and
`Authorization: Bearer <cluster agent token>`. The region answers 204 (taken), 401 (bad
token), 410 (the cluster or instance is over: the agent stops its node and exits) or 400.
An agent keeps an event until the region took it, so a region restart loses none; an event
delivered twice is harmless (the machines answer a late or repeated fact with `Ignored`).

Region → agent: HTTP on `http://<private-ip>:AGENT_PORT/v1/...`, same bearer token:
- `POST /v1/bootstrap` BootstrapRequest → 202; the outcome arrives as an event.
- `POST /v1/daemons` → 200 once the node's daemons for its role are up.
- `POST /v1/steps` StepRequest → 202 (master only); the exit arrives as `StepExited`.
- `POST /v1/steps/{step_id}/interrupt` InterruptRequest → 202.
- `GET /v1/steps/{step_id}/logs/{stdout|stderr|controller|syslog}?follow=1` → text stream.
- `POST /v1/exec` ExecRequest → NDJSON stream of ExecFrame, the last one carries `exit`.
- `POST /v1/shutdown` → 202; the agent kills its process tree and exits.
- `GET /v1/health` → AgentHealth.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

__all__ = [
    "AGENT_CONFIG_FILE",
    "AGENT_EVENTS_PATH",
    "AGENT_PORT",
    "AgentConfig",
    "AgentEvent",
    "AgentHealth",
    "AgentRegistered",
    "BootstrapAction",
    "BootstrapCompleted",
    "BootstrapFailed",
    "BootstrapRequest",
    "ExecFrame",
    "ExecRequest",
    "Heartbeat",
    "InterruptRequest",
    "StepExited",
    "StepFailure",
    "StepRequest",
    "agent_event_adapter",
]

#: Every agent listens on its node's private IP at this port (each node has its own IP).
AGENT_PORT = 8700
AGENT_EVENTS_PATH = "/_emr/agent/v1/events"
#: In the node directory; mode 0600 (it holds the token and the cluster's credentials).
AGENT_CONFIG_FILE = "agent.json"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AgentConfig(_Model):
    """Everything an agent needs, written by the node provider before it starts the agent."""

    cluster_id: str
    instance_id: str
    role: Literal["MASTER", "CORE", "TASK"]
    instance_type: str
    private_ip: str
    agent_port: int = AGENT_PORT
    master_ip: str
    #: Every node of the cluster at provisioning time: instance id → (role, private IP).
    nodes: dict[str, tuple[str, str]]
    region_url: str
    region_name: str
    token: str
    access_key_id: str
    secret_access_key: str
    log_uri: str | None = None
    release_label: str
    applications: list[str]
    #: RunJobFlow's Configurations, as the API spells them (Classification, Properties, …).
    configurations: list[dict[str, object]]
    memory_mb: int
    yarn_memory_mb: int
    vcores: int
    #: A CORE node's resources (the master's in a cluster without a core group): Spark's
    #: default executor sizes follow them. None (agent.json files written before): this node's.
    core_yarn_memory_mb: int | None = None
    core_vcores: int | None = None
    heartbeat_interval_seconds: float = 1.0
    #: Without a successful contact with the region for this long, the agent stops its node.
    orphan_timeout_seconds: float = 600.0


class BootstrapAction(_Model):
    name: str
    path: str
    args: list[str] = []


class BootstrapRequest(_Model):
    actions: list[BootstrapAction]


class StepRequest(_Model):
    step_id: str
    name: str
    jar: str
    main_class: str | None = None
    args: list[str] = []
    properties: dict[str, str] = {}


class InterruptRequest(_Model):
    #: False: SIGTERM the step's process; True: SIGKILL its whole process tree.
    force: bool = False


class ExecRequest(_Model):
    argv: list[str] = Field(min_length=1)
    #: Bytes for the command's stdin, base64; None: stdin is empty.
    stdin_b64: str | None = None


class ExecFrame(_Model):
    """One line of an exec stream: output bytes (base64) of one stream, or the exit code."""

    stdout_b64: str | None = None
    stderr_b64: str | None = None
    exit: int | None = None


class AgentHealth(_Model):
    cluster_id: str
    instance_id: str
    pid: int
    #: Steps whose process is running on this node (the ResourceManager's IsIdle counts them).
    running_steps: int = 0


class StepFailure(_Model):
    """A failed step's FailureDetails, as the agent read them from the step's stderr."""

    reason: str = "Unknown Error."
    message: str | None = None
    log_file: str | None = None


class _Event(_Model):
    cluster_id: str
    instance_id: str
    event_id: str
    at: datetime


class AgentRegistered(_Event):
    kind: Literal["registered"] = "registered"
    private_ip: str
    pid: int


class Heartbeat(_Event):
    kind: Literal["heartbeat"] = "heartbeat"


class BootstrapCompleted(_Event):
    kind: Literal["bootstrap_completed"] = "bootstrap_completed"


class BootstrapFailed(_Event):
    kind: Literal["bootstrap_failed"] = "bootstrap_failed"
    #: 1-based, as EMR counts bootstrap actions.
    action_index: int
    message: str


class StepExited(_Event):
    kind: Literal["step_exited"] = "step_exited"
    step_id: str
    exit_code: int
    failure: StepFailure | None = None


AgentEvent = Annotated[
    AgentRegistered | Heartbeat | BootstrapCompleted | BootstrapFailed | StepExited,
    Field(discriminator="kind"),
]

#: Parses and dumps `AgentEvent`s.
agent_event_adapter: TypeAdapter[AgentEvent] = TypeAdapter(AgentEvent)
