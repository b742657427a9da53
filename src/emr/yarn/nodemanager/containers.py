"""The NodeManager's containers: launch, watch, kill, measure.

A container is `bash -c <commands>` in a session and process group of its own (setsid), its
group registered with the watchdog (watchdog.py), so nothing of it outlives the NodeManager.
(Not PR_SET_PDEATHSIG: it would need a preexec_fn in a threaded process, fires when the forking
*thread* ends, and reaches only the leader, not its children.) Its exit is noticed through a pidfd
on the event loop. A kill is SIGTERM to the group, then SIGKILL to the group and every process
of the tree after `sleep-delay-before-sigkill`; when the leader has exited, whatever is left
in its group is SIGKILLed too (a container is over when its command is).

The memory monitor sums RSS over each running container's process tree every
`container-monitor.interval-ms` and kills a container over its grant with Hadoop's diagnostics
and exit status -104.

LIMITATIONS: every container runs as the NodeManager's own OS user (Hadoop's
DefaultContainerExecutor; USER names the YARN user only); no virtual-memory enforcement (EMR
turns it off too); no CPU isolation (vcores are scheduling units); HOME is the NodeManager's.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shutil
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from emr.yarn.nodemanager.container import (
    INVALID,
    STDERR_TAIL_BYTES,
    ContainerRecord,
    ContainerState,
    KillReason,
    ProcessLine,
    container_environment,
    expand_command,
    pmem_diagnostics,
)
from emr.yarn.nodemanager.localizer import LocalizationError, Localizer
from emr.yarn.nodemanager.settings import NodeManagerSettings
from emr.yarn.protocol import StartRequest, amrm_token

__all__ = ["AppRecord", "ContainerManager", "DuplicateContainer"]

log = logging.getLogger(__name__)

_PAGE_SIZE: Final = os.sysconf("SC_PAGE_SIZE")
_MB: Final = 1024 * 1024
#: How long a finished container stays listed once the RM has seen it (Hadoop's
#: yarn.nodemanager.duration-to-track-stopped-containers default).
TRACK_STOPPED_SECONDS: Final = 600.0


class DuplicateContainer(Exception):
    """The container id is already known on this node."""


@dataclass
class AppRecord:
    """An application with containers on this node (Hadoop's NM ApplicationState names)."""

    application_id: str
    user: str
    container_ids: list[str] = field(default_factory=list)
    #: RUNNING, FINISHING_CONTAINERS_WAIT, APPLICATION_RESOURCES_CLEANINGUP, FINISHED.
    state: str = "RUNNING"


@dataclass(frozen=True, slots=True)
class TreeUsage:
    rss_bytes: int
    vms_bytes: int
    tree: list[ProcessLine]


def measure_tree(pid: int) -> TreeUsage | None:
    """RSS and VMS summed over `pid` and its descendants (None when `pid` is gone)."""
    import psutil

    try:
        root = psutil.Process(pid)
        processes = [root, *root.children(recursive=True)]
    except psutil.Error:
        return None
    rss = vms = 0
    lines = []
    for process in processes:
        try:
            with process.oneshot():
                memory = process.memory_info()
                times = process.cpu_times()
                lines.append(
                    ProcessLine(
                        pid=process.pid,
                        ppid=process.ppid(),
                        pgid=os.getpgid(process.pid),
                        sid=os.getsid(process.pid),
                        name=process.name(),
                        user_millis=int(times.user * 1000),
                        system_millis=int(times.system * 1000),
                        vmem_bytes=memory.vms,
                        rss_pages=memory.rss // _PAGE_SIZE,
                        command=" ".join(process.cmdline()),
                    )
                )
        except (psutil.Error, OSError):
            continue
        rss += memory.rss
        vms += memory.vms
    return TreeUsage(rss, vms, lines)


def _kill_tree(pid: int) -> None:
    """SIGKILL the group `pid` leads and every descendant of `pid` (also those that left it)."""
    import psutil

    try:
        tree = psutil.Process(pid).children(recursive=True)
    except psutil.Error:
        tree = []
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)
    for process in tree:
        with contextlib.suppress(psutil.Error):
            process.kill()


class ContainerManager:
    """Every container and application of this node, and the processes behind them."""

    def __init__(
        self, settings: NodeManagerSettings, http_port: int, shuffle_address: str = ""
    ) -> None:
        self.settings = settings
        self.http_port = http_port
        #: `<ip>:<port>` of this node's shuffle service, EMR_SHUFFLE_ADDRESS in every container.
        self.shuffle_address = shuffle_address
        self.containers: dict[str, ContainerRecord] = {}
        self.apps: dict[str, AppRecord] = {}
        self.localizer = Localizer(settings.config, settings.environment)
        #: Memory the containers' trees use now (the last monitor pass).
        self.used_memory_mb = 0
        self._processes: dict[str, subprocess.Popen[bytes]] = {}
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._kills: set[asyncio.Task[None]] = set()
        self._watchdog: subprocess.Popen[bytes] | None = None
        #: Set when a container completes: the RM link heartbeats at once (Hadoop's
        #: NodeStatusUpdater.sendOutofBandHeartBeat) instead of at the next tick.
        self.changed = asyncio.Event()

    # --- lifecycle ----------------------------------------------------------------------------

    def start_watchdog(self) -> None:
        self._watchdog = subprocess.Popen(
            [sys.executable, "-m", "emr.yarn.nodemanager.watchdog"],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            cwd=self.settings.node_dir,
            env=self.settings.environment,
        )

    def _tell_watchdog(self, line: str) -> None:
        watchdog = self._watchdog
        if watchdog is None or watchdog.stdin is None:
            return
        try:
            watchdog.stdin.write(f"{line}\n".encode())
            watchdog.stdin.flush()
        except OSError:
            log.warning("the container watchdog is gone")

    async def shutdown(self) -> None:
        """Kill every live container (exit status -100), then let the watchdog go."""
        live = [r for r in self.containers.values() if not r.done]
        await asyncio.gather(*(self.kill(r, KillReason.SHUTDOWN) for r in live))
        tasks = list(self._tasks.values()) + list(self._kills)
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(10):
                await asyncio.gather(*tasks, return_exceptions=True)
        for task in tasks:
            task.cancel()
        await self.localizer.aclose()
        if self._watchdog is not None:
            if self._watchdog.stdin is not None:
                self._watchdog.stdin.close()
            await asyncio.to_thread(self._watchdog.wait)

    # --- start ----------------------------------------------------------------------------------

    def start(self, request: StartRequest, *, launched_by_rm: bool) -> ContainerRecord:
        """Accept a container and begin localizing it; DuplicateContainer if it is known."""
        container = request.container
        container_id = container.container_id
        if container_id in self.containers:
            raise DuplicateContainer(f"Container {container_id} already is running on this node!!")
        app_id, user = request.application_id, request.user
        s = self.settings
        workdir = s.local_root / "usercache" / user / "appcache" / app_id / container_id
        log_dir = s.log_root / app_id / container_id
        record = ContainerRecord(
            container_id=container_id,
            application_id=app_id,
            user=user,
            resource=container.resource,
            launch_context=request.launch_context,
            workdir=workdir,
            log_dir=log_dir,
        )
        self.containers[container_id] = record
        app = self.apps.setdefault(app_id, AppRecord(app_id, user))
        app.container_ids.append(container_id)
        if app.state == "FINISHED":
            app.state = "RUNNING"
        env = self._yarn_environment(record, launched_by_rm=launched_by_rm)
        task = asyncio.create_task(self._run(record, env), name=f"container {container_id}")
        self._tasks[container_id] = task
        log.info("%s: accepted for %s (%s)", container_id, app_id, container.resource)
        return record

    def _yarn_environment(self, record: ContainerRecord, *, launched_by_rm: bool) -> dict[str, str]:
        s = self.settings
        app_id, user = record.application_id, record.user
        host = s.node_id.rpartition(":")[0]
        yarn = {
            "CONTAINER_ID": record.container_id,
            "NM_HOST": host,
            "NM_PORT": s.node_id.rpartition(":")[2],
            "NM_HTTP_PORT": str(self.http_port),
            "LOCAL_DIRS": ",".join(
                str(d / "usercache" / user / "appcache" / app_id) for d in s.local_dirs
            ),
            "LOG_DIRS": ",".join(str(d / app_id / record.container_id) for d in s.log_dirs),
            "USER": user,
            "LOGNAME": user,
            "HADOOP_USER_NAME": user,
            "HOME": s.environment.get("HOME", str(record.workdir)),
            "PWD": str(record.workdir),
        }
        if self.shuffle_address:
            yarn["EMR_SHUFFLE_ADDRESS"] = self.shuffle_address
        if launched_by_rm:
            from emr.yarn.ids import ContainerId

            attempt = ContainerId.parse(record.container_id).application_attempt_id
            yarn["EMR_AMRM_TOKEN"] = amrm_token(s.config.token, str(attempt))
            yarn["EMR_RM_ADDRESS"] = s.resourcemanager_url
            if "APP_SUBMIT_TIME_ENV" not in record.launch_context.environment:
                yarn["APP_SUBMIT_TIME_ENV"] = str(int(record.started_at * 1000))
        env = container_environment(s.environment, record.launch_context.environment, yarn)
        env.pop("APPLICATION_WEB_PROXY_BASE", None)
        return env

    async def _run(self, record: ContainerRecord, env: dict[str, str]) -> None:
        cid = record.container_id
        try:
            await asyncio.to_thread(self._make_dirs, record)
            await self.localizer.localize(
                record.launch_context.local_resources, record.workdir, record.user
            )
            if record.kill is not None:
                record.fail(record.kill.exit_status, "")
                return
            process = self._spawn(record, env)
            returncode = await _wait_exit(process)
            _kill_tree(process.pid)  # leftovers of the group
            self._tell_watchdog(f"-{process.pid}")
            tail = await asyncio.to_thread(_tail, record.log_dir / "stderr")
            record.finish(returncode, tail)
        except LocalizationError as exc:
            record.state = ContainerState.LOCALIZATION_FAILED
            record.fail(INVALID, f"{exc}\n")
        except asyncio.CancelledError:
            if not record.done:
                status = record.kill.exit_status if record.kill else INVALID
                record.fail(status, "")
            raise
        except OSError as exc:
            record.fail(INVALID, f"Exception from container-launch: {exc}\n")
        except Exception as exc:
            log.exception("%s: launch failed", cid)
            record.fail(INVALID, f"Exception from container-launch: {exc}\n")
        finally:
            self._processes.pop(cid, None)
            self._tasks.pop(cid, None)
            self.changed.set()
            log.info("%s: %s with exit status %d", cid, record.state.value, record.exit_status)

    def _make_dirs(self, record: ContainerRecord) -> None:
        record.workdir.mkdir(mode=0o700, parents=True, exist_ok=True)
        record.log_dir.mkdir(mode=0o700, parents=True, exist_ok=True)

    def _spawn(self, record: ContainerRecord, env: dict[str, str]) -> subprocess.Popen[bytes]:
        commands = [expand_command(c, record.log_dir) for c in record.launch_context.commands]
        script = "\n".join(commands) or "true"
        (record.workdir / "launch_container.sh").write_text(f"#!/bin/bash\n{script}\n")
        with (
            (record.log_dir / "stdout").open("ab") as stdout,
            (record.log_dir / "stderr").open("ab") as stderr,
        ):
            process = subprocess.Popen(
                ["bash", "-c", script],
                cwd=record.workdir,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=stdout,
                stderr=stderr,
                start_new_session=True,
            )
        self._tell_watchdog(f"+{process.pid} {record.container_id}")
        self._processes[record.container_id] = process
        record.pid = process.pid
        record.state = ContainerState.RUNNING
        return process

    # --- kill ------------------------------------------------------------------------------------

    def stop(self, container_id: str, reason: KillReason) -> None:
        """Kill a container in the background; unknown or finished ones are ignored."""
        record = self.containers.get(container_id)
        if record is None or record.done or record.kill is not None:
            return
        task = asyncio.create_task(self.kill(record, reason))
        self._kills.add(task)
        task.add_done_callback(self._kills.discard)

    async def kill(
        self, record: ContainerRecord, reason: KillReason, diagnostics: str = ""
    ) -> None:
        """SIGTERM, then SIGKILL after the configured delay; the exit status is `reason`'s."""
        if record.done or record.kill is not None:
            return
        record.kill = reason
        record.diagnostics += diagnostics or f"{reason.message}\n"
        log.info("%s: killing (%s)", record.container_id, reason.name)
        process = self._processes.get(record.container_id)
        if process is None:
            task = self._tasks.get(record.container_id)
            if task is not None and record.state is ContainerState.LOCALIZING:
                task.cancel()
            return
        await self._signal(record)

    async def _signal(self, record: ContainerRecord) -> None:
        process = self._processes.get(record.container_id)
        if process is None:
            return
        record.state = ContainerState.KILLING
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGTERM)
        await asyncio.sleep(self.settings.sigkill_delay_seconds)
        if process.poll() is None:
            await asyncio.to_thread(_kill_tree, process.pid)

    # --- memory ----------------------------------------------------------------------------------

    async def monitor(self) -> None:
        """Measure every running container's tree; kill those over their memory grant."""
        while True:
            await asyncio.sleep(self.settings.monitor_seconds)
            try:
                await self._monitor_once()
            except Exception:
                log.exception("container monitor pass failed")

    async def _monitor_once(self) -> None:
        total = 0
        for record in list(self.containers.values()):
            if record.state is not ContainerState.RUNNING or record.pid is None:
                continue
            usage = await asyncio.to_thread(measure_tree, record.pid)
            if usage is None or record.state is not ContainerState.RUNNING:
                continue
            total += usage.rss_bytes
            limit = record.resource.memory_mb * _MB
            if self.settings.pmem_check and usage.rss_bytes > limit:
                text = pmem_diagnostics(
                    pid=record.pid,
                    container_id=record.container_id,
                    pmem_used=usage.rss_bytes,
                    pmem_limit=limit,
                    vmem_used=usage.vms_bytes,
                    vmem_limit=int(limit * self.settings.vmem_pmem_ratio),
                    tree=usage.tree,
                )
                log.warning("%s", text.splitlines()[0])
                await self.kill(record, KillReason.PMEM, text)
        self.used_memory_mb = total // _MB

    def forget_stopped(self, now: float) -> None:
        """Drop containers of finished applications (their logs are aggregated) that the RM
        saw COMPLETE more than TRACK_STOPPED_SECONDS ago, and applications left empty."""
        for container_id, record in list(self.containers.items()):
            finished = record.finished_at
            app = self.apps.get(record.application_id)
            if (
                (app is None or app.state == "FINISHED")
                and record.acknowledged
                and finished
                and now - finished > TRACK_STOPPED_SECONDS
            ):
                del self.containers[container_id]
        for app_id, app in list(self.apps.items()):
            app.container_ids = [c for c in app.container_ids if c in self.containers]
            if app.state == "FINISHED" and not app.container_ids:
                del self.apps[app_id]

    # --- applications -----------------------------------------------------------------------------

    def app_containers(self, application_id: str) -> list[ContainerRecord]:
        app = self.apps.get(application_id)
        if app is None:
            return []
        return [self.containers[c] for c in app.container_ids if c in self.containers]

    async def finish_application(self, application_id: str) -> list[ContainerRecord]:
        """The RM says the application is over: kill what is left of it, wait until every
        container is done, remove its working dirs. Returns its containers."""
        app = self.apps.get(application_id)
        if app is None:
            return []
        app.state = "FINISHING_CONTAINERS_WAIT"
        records = self.app_containers(application_id)
        await asyncio.gather(
            *(self.kill(r, KillReason.APP_FINISHED) for r in records if not r.done)
        )
        while not all(r.done for r in records):
            await asyncio.sleep(0.05)
        app.state = "APPLICATION_RESOURCES_CLEANINGUP"
        for local_dir in self.settings.local_dirs:
            appcache = local_dir / "usercache" / app.user / "appcache" / application_id
            await asyncio.to_thread(shutil.rmtree, appcache, True)
        return records


def _tail(path: Path) -> str:
    try:
        with path.open("rb") as file:
            file.seek(0, os.SEEK_END)
            file.seek(max(0, file.tell() - STDERR_TAIL_BYTES))
            return file.read().decode("utf-8", "replace")
    except OSError:
        return ""


async def _wait_exit(process: subprocess.Popen[bytes]) -> int:
    """The process's returncode, awaited through a pidfd (no thread, no SIGCHLD handler)."""
    loop = asyncio.get_running_loop()
    pidfd = os.pidfd_open(process.pid)
    exited: asyncio.Future[None] = loop.create_future()

    def on_exit() -> None:
        if not exited.done():
            exited.set_result(None)

    loop.add_reader(pidfd, on_exit)
    try:
        if process.poll() is None:
            await exited
    finally:
        loop.remove_reader(pidfd)
        os.close(pidfd)
    return process.wait()
