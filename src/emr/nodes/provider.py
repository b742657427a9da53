"""The NodeProvider interface: how the supervisor gets, watches and removes a cluster's nodes.

The supervisor decides (from its state machines) and the provider acts. `local` runs each node
as an `emr agent` process on this machine with its own loopback IP; `netns` and `hosts`
providers can come later behind the same interface.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from emr.nodes.protocol import AgentConfig

__all__ = ["AgentExit", "ClusterNodes", "NodeHandle", "NodeProvider", "NodeRequest"]


@dataclass(frozen=True, slots=True)
class NodeRequest:
    """One instance the supervisor wants: its id, role and type (the provider sizes it)."""

    instance_id: str
    role: str  # MASTER | CORE | TASK
    instance_type: str


@dataclass(frozen=True, slots=True)
class ClusterNodes:
    """What the provider needs to know about a cluster to start its nodes."""

    cluster_id: str
    region_url: str
    region_name: str
    token: str
    access_key_id: str
    secret_access_key: str
    log_uri: str | None
    release_label: str
    applications: Sequence[str]
    configurations: Sequence[dict[str, object]]


@dataclass(frozen=True, slots=True)
class NodeHandle:
    """A started node: where its agent listens and which process it is."""

    instance_id: str
    private_ip: str
    agent_port: int
    pid: int
    config: AgentConfig


@dataclass(frozen=True, slots=True)
class AgentExit:
    """An agent process ended (seen by the provider, not reported by the agent)."""

    cluster_id: str
    instance_id: str
    exit_code: int | None


OnAgentExit = Callable[[AgentExit], Awaitable[None]]


class NodeProvider(ABC):
    """Starts, adopts, watches and stops the node agents of clusters."""

    @abstractmethod
    async def allocate_network(self, cluster_id: str) -> str:
        """Reserve a private network for the cluster; returns its name (e.g. `127.16.1.0/24`)."""

    @abstractmethod
    async def start_nodes(
        self, cluster: ClusterNodes, network: str, nodes: Sequence[NodeRequest]
    ) -> list[NodeHandle]:
        """Start one agent per node (the MASTER first in `nodes`), each with its own private IP
        in `network`; returns once every process exists (registration comes as events)."""

    @abstractmethod
    async def adopt(self, cluster_id: str, instance_id: str, pid: int, private_ip: str) -> bool:
        """After a region restart: take over watching a node started earlier; False if gone."""

    @abstractmethod
    async def stop_nodes(self, cluster_id: str, instance_ids: Sequence[str]) -> None:
        """Kill each node's whole process tree (agent, daemons, containers); returns when none
        of their processes remains."""

    @abstractmethod
    def node_dir_of(self, cluster_id: str, instance_id: str) -> str:
        """The node's directory (conf/, bin/, lib/, logs/, data/, agent.json)."""

    @abstractmethod
    def set_exit_listener(self, listener: OnAgentExit) -> None:
        """Call `listener` whenever an agent process ends, expected or not."""

    @abstractmethod
    async def close(self) -> None:
        """Stop watching; leaves agents running (a clean region stop stops clusters first)."""
