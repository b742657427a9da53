"""The job state machine behind a lock: events come from the HTTP server's threads and the
allocate loop; replies go back to the caller at once, log lines are written at once (Hadoop's
layout, with the event id), and the I/O actions queue up for the allocate loop."""

from __future__ import annotations

import itertools
import sys
import threading
import time
from collections.abc import Callable
from typing import TextIO, TypeVar

from emr.mapreduce.appmaster import events as ev
from emr.mapreduce.appmaster.machine import JobStateMachine

__all__ = ["LOGGER", "JobDriver", "log_line"]

T = TypeVar("T")
LOGGER = "org.apache.hadoop.mapreduce.v2.app.MRAppMaster"


def log_line(level: str, message: str, moment: float | None = None) -> str:
    """`YYYY-MM-DD HH:MM:SS,mmm LEVEL [main] org.apache.hadoop.mapreduce.v2.app.MRAppMaster: …`"""
    moment = time.time() if moment is None else moment
    stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(moment))
    return f"{stamp},{int(moment * 1000) % 1000:03d} {level} [main] {LOGGER}: {message}"


class JobDriver:
    """Serialises events into the machine; see the module docstring."""

    def __init__(self, machine: JobStateMachine, stream: TextIO | None = None) -> None:
        self._machine = machine
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._pending: list[ev.Action] = []
        self._stream = stream
        self.wake = threading.Event()

    @staticmethod
    def now() -> int:
        return int(time.time() * 1000)

    def log(self, message: str, level: str = "INFO") -> None:
        stream = self._stream or sys.stderr
        stream.write(log_line(level, message) + "\n")
        stream.flush()

    def dispatch(self, make: Callable[[int, int], ev.Event]) -> list[ev.Action]:
        """Build an event with the next id and the time, apply it; the reply actions."""
        replies: list[ev.Action] = []
        with self._lock:
            event = make(next(self._ids), self.now())
            for action in self._machine.handle(event):
                if isinstance(action, ev.Log):
                    self.log(f"[event {action.event_id}] {action.message}", action.level)
                elif isinstance(action, ev.CommitReply | ev.StatusReply):
                    replies.append(action)
                else:
                    self._pending.append(action)
        if self._pending:
            self.wake.set()
        return replies

    def read(self, query: Callable[[JobStateMachine], T]) -> T:
        """A consistent look at the machine."""
        with self._lock:
            return query(self._machine)

    def take(self) -> list[ev.Action]:
        """The I/O actions queued since the last call, in order."""
        with self._lock:
            actions, self._pending = self._pending, []
            self.wake.clear()
            return actions
