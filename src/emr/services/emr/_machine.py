"""What the cluster, step and instance state machines share: events, actions, the no-op decision.

An event is something that happened, stamped with when (`at`, the shell's clock, never read
here) and an id the log lines it causes repeat. An action is a decision for the shell to carry
out; `cause` is the id of the event that produced it, so one grep follows a decision back.

Why `Ignored` rather than an exception for an event the current state has no transition for:
these machines are fed by processes that race (a heartbeat arrives after the node was declared
lost, a step exits after the cluster began terminating). Such events are facts arriving late,
not bugs, so the machine answers with an explicit decision to do nothing that names the event
and the state; the shell logs it. A request the machine refuses on purpose (a protected
cluster, a closed step queue) is a different, dedicated decision (`TerminationRefused`,
`StepRefused`) the provider turns into the AWS error.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime

__all__ = ["Action", "Event", "Ignored", "new_event_id"]


def new_event_id() -> str:
    """A short unique id for an event (`ev-` + 12 hex digits)."""
    return f"ev-{uuid.uuid4().hex[:12]}"


@dataclass(frozen=True, kw_only=True)
class Event:
    """Base of every event: when it happened and the id its log lines carry."""

    at: datetime
    event_id: str = field(default_factory=new_event_id)


@dataclass(frozen=True, kw_only=True)
class Action:
    """Base of every decision; `cause` is the id of the event that led to it."""

    cause: str


@dataclass(frozen=True, kw_only=True)
class Ignored(Action):
    """The event has no transition in the current state: nothing changes (log it)."""

    event: str
    state: str
