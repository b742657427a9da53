"""Finding and killing every process of a node.

A node's processes are its agent's descendants, but a descendant may leave the tree
(`setsid` + the parent exiting reparents it to init). So every process the provider and
the agent start carries `EMR_INSTANCE_ID=<instance id>` in its environment, and the
environment is inherited: a process belongs to a node if it descends from the node's agent
or carries the node's tag. (A process that clears its own environment *and* leaves the tree
escapes; nothing on a node does that.)
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Collection, Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import psutil

__all__ = ["INSTANCE_TAG", "exit_code", "kill_node_processes", "node_processes", "signal_group"]

#: The environment variable that marks every process of a node.
INSTANCE_TAG = "EMR_INSTANCE_ID"


def exit_code(returncode: int) -> int:
    """A shell-style exit code: a process killed by signal N (returncode -N) exits 128+N."""
    return 128 - returncode if returncode < 0 else returncode


def signal_group(pgid: int, signum: int) -> None:
    """Send `signum` to a process group; a group that is already gone is fine."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signum)


def _alive(process: psutil.Process) -> bool:
    import psutil

    try:
        return bool(process.is_running() and process.status() != psutil.STATUS_ZOMBIE)
    except psutil.NoSuchProcess:
        return False


def _tagged(process: psutil.Process, instance_id: str) -> bool:
    import psutil

    try:
        return bool(process.environ().get(INSTANCE_TAG) == instance_id)
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return False


def node_processes(
    instance_id: str, *, roots: Iterable[int] = (), exclude: Collection[int] = ()
) -> list[psutil.Process]:
    """Live processes of the node: `roots`, their descendants, and every tagged process."""
    import psutil  # imported when needed: the agent's start does not pay for it

    found: dict[int, psutil.Process] = {}

    def add_tree(process: psutil.Process) -> None:
        found[process.pid] = process
        with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
            for child in process.children(recursive=True):
                found[child.pid] = child

    for pid in roots:
        with contextlib.suppress(psutil.NoSuchProcess):
            add_tree(psutil.Process(pid))
    for process in psutil.process_iter():
        if process.pid not in found and _tagged(process, instance_id):
            add_tree(process)
    return [p for pid, p in found.items() if pid not in exclude and _alive(p)]


def kill_node_processes(
    instance_id: str,
    *,
    roots: Iterable[int] = (),
    process_groups: Iterable[int] = (),
    exclude: Collection[int] = (),
    timeout: float = 10.0,
) -> list[int]:
    """SIGKILL every process of the node until none is left; returns the pids that survived
    `timeout` (empty when the node is clean).

    Zombies count as gone; whoever started them reaps them (stealing their exit status here
    would confuse the asyncio child watchers of the agent and the provider).
    """
    import psutil

    roots, process_groups = list(roots), list(process_groups)
    deadline = time.monotonic() + timeout
    while True:
        for pgid in process_groups:
            signal_group(pgid, signal.SIGKILL)
        alive = node_processes(instance_id, roots=roots, exclude=exclude)
        if not alive:
            return []
        for process in alive:
            with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
                process.kill()
        settle = time.monotonic() + 0.5
        while alive and time.monotonic() < min(settle, deadline):
            time.sleep(0.01)
            alive = [p for p in alive if _alive(p)]
        if time.monotonic() >= deadline:
            return [p.pid for p in node_processes(instance_id, roots=roots, exclude=exclude)]
