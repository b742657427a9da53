"""What every task attempt shares: its log format, its counters, and the status thread that
reports progress to the ApplicationMaster every few seconds and ends the attempt when the AM
no longer wants it."""

from __future__ import annotations

import copy
import logging
import os
import sys
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Final

import psutil

from emr.mapreduce.counters import TASK, CounterGroups, add_counters
from emr.mapreduce.job import JobSpec, StatusReport, TaskAssignment
from emr.mapreduce.umbilical_client import UmbilicalClient, UmbilicalError

__all__ = [
    "KILLED_EXIT",
    "STATUS_INTERVAL_S",
    "TaskContext",
    "configure_task_logging",
    "scheme_counter",
]

log = logging.getLogger("org.apache.hadoop.mapred.Task")

STATUS_INTERVAL_S: Final = 3.0
#: The exit code of an attempt the AM told to die (as a SIGTERMed JVM's).
KILLED_EXIT: Final = 143


def configure_task_logging() -> None:
    """log4j's container-log layout: `2024-01-01 10:00:00,123 INFO [main] <class>: <message>`."""
    threading.current_thread().name = "main"
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        logging.Formatter("%(asctime)s %(levelname)s [%(threadName)s] %(name)s: %(message)s")
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.addLevelName(logging.WARNING, "WARN")


def scheme_counter(uri: str, statistic: str) -> str:
    """FileSystemCounter's name for a URI's filesystem: `HDFS_BYTES_READ`, `S3_…`, `FILE_…`."""
    scheme = uri.partition(":")[0].lower() if ":" in uri else "file"
    name = {"s3a": "S3", "s3n": "S3"}.get(scheme, scheme.upper())
    return f"{name}_{statistic}"


class TaskContext:
    """One attempt's live state: progress, status line, counters, the status thread."""

    def __init__(
        self,
        umbilical: UmbilicalClient,
        spec: JobSpec,
        assignment: TaskAssignment,
        work_dir: Path,
        environ: Mapping[str, str],
    ) -> None:
        self.umbilical = umbilical
        self.spec = spec
        self.assignment = assignment
        self.work_dir = work_dir
        self.environ = environ
        self.progress = 0.0
        self.state = ""
        self.counters: CounterGroups = {}
        #: Counter groups owned by others (the streaming processes' reporters), added at
        #: every snapshot.
        self.extra_counters: list[CounterGroups] = []
        self.killed = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._process = psutil.Process()

    @property
    def attempt_id(self) -> str:
        return self.assignment.attempt_id

    def count(self, group: str, name: str, amount: int = 1) -> None:
        counters = self.counters.setdefault(group, {})
        counters[name] = counters.get(name, 0) + amount

    def snapshot(self) -> CounterGroups:
        """Every counter so far, with CPU time and memory measured now."""
        total: CounterGroups = {}
        for groups in [self.counters, *self.extra_counters]:
            # Another thread may add a counter meanwhile: copy until it holds still.
            for _ in range(10):
                try:
                    add_counters(total, copy.deepcopy(groups))
                    break
                except RuntimeError:
                    continue
        cpu_ms, rss = self._usage()
        task = total.setdefault(TASK, {})
        task["CPU_MILLISECONDS"] = cpu_ms
        task["PHYSICAL_MEMORY_BYTES"] = rss
        return total

    def _usage(self) -> tuple[int, int]:
        try:
            times = self._process.cpu_times()
            cpu = times.user + times.system + times.children_user + times.children_system
            rss = self._process.memory_info().rss
            for child in self._process.children(recursive=True):
                try:
                    child_times = child.cpu_times()
                    cpu += child_times.user + child_times.system
                    rss += child.memory_info().rss
                except psutil.Error:
                    continue
        except psutil.Error:
            return 0, 0
        return int(cpu * 1000), rss

    # --- the status thread -----------------------------------------------------------------------

    def start(self) -> None:
        self._thread = threading.Thread(target=self._report_loop, name="communication thread")
        self._thread.daemon = True
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)

    def report_now(self) -> bool:
        """Send a status report; False when the AM wants this attempt dead."""
        report = StatusReport(
            progress=min(1.0, max(0.0, self.progress)), state=self.state, counters=self.snapshot()
        )
        try:
            answer = self.umbilical.status(report)
        except UmbilicalError as exc:
            log.warning("Communication exception: %s", exc)
            return True
        return not answer.kill

    def _report_loop(self) -> None:
        while not self._stop.wait(STATUS_INTERVAL_S):
            if not self.report_now():
                self.die("the ApplicationMaster asked for it")

    def die(self, why: str) -> None:
        """End the attempt at once: its processes, then this one (KILLED_EXIT)."""
        self.killed.set()
        log.info("Task %s killed: %s", self.attempt_id, why)
        for handler in logging.getLogger().handlers:
            handler.flush()
        for child in self._process.children(recursive=True):
            try:
                child.kill()
            except psutil.Error:
                continue
        os._exit(KILLED_EXIT)

    def wait_commit(self, poll_s: float = 1.0) -> None:
        """Ask the AM until this attempt may commit (the status thread ends it if not)."""
        while not self.umbilical.can_commit():
            self.state = "COMMIT_PENDING"
            time.sleep(poll_s)
        log.info("Task %s is allowed to commit now", self.attempt_id)
