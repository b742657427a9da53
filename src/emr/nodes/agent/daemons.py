"""The daemons each role runs (NameNode, ResourceManager, DataNode, NodeManager, …).

None exist on this platform yet, so every role's list is empty and `POST /v1/daemons`
answers at once; the issues that build HDFS and YARN fill the table in.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Final

from emr.nodes.agent.node import Node

__all__ = ["DAEMONS_BY_ROLE", "Daemon", "start_daemons"]


@dataclass(frozen=True, slots=True)
class Daemon:
    """One daemon of a role: its name and how to start it until it serves."""

    name: str
    start: Callable[[Node], Awaitable[None]]


#: Role → the daemons it starts, in order.
DAEMONS_BY_ROLE: Final[dict[str, tuple[Daemon, ...]]] = {
    "MASTER": (),
    "CORE": (),
    "TASK": (),
}


async def start_daemons(node: Node) -> None:
    """Start the node's daemons for its role, in order; returns once all of them serve."""
    for daemon in DAEMONS_BY_ROLE[node.config.role]:
        await daemon.start(node)
