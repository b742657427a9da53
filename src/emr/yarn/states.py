"""YARN's state names as Hadoop declares them (the order EnumSet prints them in): the REST API
validates filters with them, the `yarn` CLI prints them. Constants only: the CLI imports it."""

from __future__ import annotations

from typing import Final

__all__ = ["APPLICATION_STATES", "NODE_STATES"]

#: YarnApplicationState (NEW_SAVING exists in Hadoop, never here).
APPLICATION_STATES: Final = (
    "NEW",
    "NEW_SAVING",
    "SUBMITTED",
    "ACCEPTED",
    "RUNNING",
    "FINISHED",
    "FAILED",
    "KILLED",
)
#: NodeState.
NODE_STATES: Final = (
    "NEW",
    "RUNNING",
    "UNHEALTHY",
    "DECOMMISSIONED",
    "LOST",
    "REBOOTED",
    "DECOMMISSIONING",
    "SHUTDOWN",
)
