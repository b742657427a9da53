"""`yarn queue -status <queue>`, as Hadoop's QueueCLI (a leaf name or a full path)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, Final

from emr.yarn.cli.formats import queue_info
from emr.yarn.cli.options import (
    Option,
    help_text,
    parse_or_help,
)
from emr.yarn.cli.session import FAILURE, Session

__all__ = ["find_queue", "queue_main"]

QUEUE_OPTIONS: Final = (
    Option("status", "List queue information about given queue.", 1, "Queue Name"),
    Option("help", "Displays help for all commands."),
)


def _walk(queue: Mapping[str, Any], parent: str) -> Iterator[tuple[str, Mapping[str, Any]]]:
    path = str(queue.get("queuePath") or (f"{parent}.{queue['queueName']}" if parent else "root"))
    yield path, queue
    for child in (queue.get("queues") or {}).get("queue") or []:
        yield from _walk(child, path)


def find_queue(scheduler: Mapping[str, Any], name: str) -> dict[str, Any] | None:
    """The queue of `/ws/v1/cluster/scheduler`'s schedulerInfo named `name` (or at that
    path), with its `queuePath` and root's `state` filled in."""
    for path, queue in _walk(scheduler, ""):
        if name in (path, queue.get("queueName")):
            found = dict(queue)
            found["queuePath"] = path
            found.setdefault("state", "RUNNING")
            return found
    return None


def queue_main(args: list[str], session: Session) -> int:
    parsed = parse_or_help("queue", QUEUE_OPTIONS, args, session.out, session.err)
    if parsed is None:
        return FAILURE
    if parsed.has("status"):
        if len(args) != 2:
            session.out.write(help_text("queue", QUEUE_OPTIONS))
            return FAILURE
        name = parsed.value("status")
        queue = find_queue(session.client().scheduler(), name)
        if queue is None:
            session.out.write(f"Cannot get queue from RM by queueName = {name}, please check.\n")
            return FAILURE
        session.out.write(queue_info(queue))
        return 0
    if parsed.has("help"):
        session.out.write(help_text("queue", QUEUE_OPTIONS))
        return 0
    session.err.write("Invalid Command Usage : \n")
    session.out.write(help_text("queue", QUEUE_OPTIONS))
    return FAILURE
