"""What a NodeManager knows about one container, and the pure rules around it: Hadoop's exit
statuses, the diagnostics Hadoop writes, and the environment and command a container runs with.

    state (Hadoop's NM ContainerState, as /ws/v1/node/containers shows it)
    LOCALIZING ──▶ RUNNING ──▶ KILLING ──▶ DONE
        │             └──────────────────▶ DONE          (the process exited by itself)
        └──▶ LOCALIZATION_FAILED ─────────▶ DONE
    A kill before the process exists goes straight to DONE with the kill's exit status.

Towards the ResourceManager every state but DONE is RUNNING and DONE is COMPLETE.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Final

from emr.yarn.protocol import ContainerStatus, LaunchContext, ResourceModel

__all__ = [
    "ABORTED",
    "INVALID",
    "KILLED_AFTER_APP_COMPLETION",
    "KILLED_BY_APPMASTER",
    "KILLED_BY_RESOURCEMANAGER",
    "KILLED_EXCEEDED_PMEM",
    "KILLED_EXCEEDED_VMEM",
    "PREEMPTED",
    "STDERR_TAIL_BYTES",
    "ContainerRecord",
    "ContainerState",
    "KillReason",
    "container_environment",
    "exit_status",
    "expand_command",
    "format_bytes",
    "kill_diagnostics",
    "pmem_diagnostics",
]

# Hadoop's ContainerExitStatus.
INVALID: Final = -1000
ABORTED: Final = -100
PREEMPTED: Final = -102
KILLED_EXCEEDED_VMEM: Final = -103
KILLED_EXCEEDED_PMEM: Final = -104
KILLED_BY_APPMASTER: Final = -105
KILLED_BY_RESOURCEMANAGER: Final = -106
KILLED_AFTER_APP_COMPLETION: Final = -107

#: How much of a failed container's stderr its diagnostics quote (Hadoop's default).
STDERR_TAIL_BYTES: Final = 4096


class ContainerState(Enum):
    LOCALIZING = "LOCALIZING"
    LOCALIZATION_FAILED = "LOCALIZATION_FAILED"
    RUNNING = "RUNNING"
    KILLING = "KILLING"
    DONE = "DONE"


class KillReason(Enum):
    """Why the NodeManager kills a container: its exit status and the first diagnostics line."""

    APPMASTER = (KILLED_BY_APPMASTER, "Container killed by the ApplicationMaster.")
    RESOURCEMANAGER = (KILLED_BY_RESOURCEMANAGER, "Container Killed by ResourceManager")
    APP_FINISHED = (KILLED_AFTER_APP_COMPLETION, "Container killed on application-finish event")
    SHUTDOWN = (ABORTED, "Container killed on shutdown")
    PMEM = (KILLED_EXCEEDED_PMEM, "")

    @property
    def exit_status(self) -> int:
        return self.value[0]

    @property
    def message(self) -> str:
        return self.value[1]


def exit_status(returncode: int, kill: KillReason | None) -> int:
    """The exit status YARN reports: the kill's when the NM killed it, else the process's code
    with a death by signal N reported as 128+N (as the launch script's bash reports it)."""
    if kill is not None:
        return kill.exit_status
    return 128 - returncode if returncode < 0 else returncode


def kill_diagnostics(returncode: int) -> str:
    """What Hadoop's ContainerImpl appends once a killed container's process ended."""
    code = 128 - returncode if returncode < 0 else returncode
    return (
        f"Container killed on request. Exit code is {code}\n"
        f"Container exited with a non-zero exit code {code}. \n"
    )


_PREFIXES: Final = ("K", "M", "G", "T", "P", "E")


def format_bytes(n: int) -> str:
    """Hadoop's `TraditionalBinaryPrefix.long2String(n, "", 1)` + "B": `512B`, `1 GB`,
    `517.7 MB` (exact multiples print without decimals)."""
    if n < 1024:
        return f"{n}B"
    index = 0
    while index + 1 < len(_PREFIXES) and n >= 1 << (10 * (index + 2)):
        index += 1
    shift = 10 * (index + 1)
    if n & ((1 << shift) - 1) == 0:
        return f"{n >> shift} {_PREFIXES[index]}B"
    text = f"{n / (1 << shift):.1f}"
    if text.startswith("1024") and index + 1 < len(_PREFIXES):
        index, shift = index + 1, shift + 10
        text = f"{n / (1 << shift):.1f}"
    return f"{text} {_PREFIXES[index]}B"


@dataclass(frozen=True, slots=True)
class ProcessLine:
    """One process of a container's tree, for the dump in the diagnostics."""

    pid: int
    ppid: int
    pgid: int
    sid: int
    name: str
    user_millis: int
    system_millis: int
    vmem_bytes: int
    rss_pages: int
    command: str


def pmem_diagnostics(
    *,
    pid: int,
    container_id: str,
    pmem_used: int,
    pmem_limit: int,
    vmem_used: int,
    vmem_limit: int,
    tree: Sequence[ProcessLine],
) -> str:
    """Hadoop 3's ContainersMonitorImpl message for a container over its physical memory."""
    lines = [
        f"Container [pid={pid},containerID={container_id}] is running "
        f"{pmem_used - pmem_limit}B beyond the 'PHYSICAL' memory limit. "
        f"Current usage: {format_bytes(pmem_used)} of {format_bytes(pmem_limit)} physical "
        f"memory used; {format_bytes(vmem_used)} of {format_bytes(vmem_limit)} virtual memory "
        "used. Killing container.",
        f"Dump of the process-tree for {container_id} :",
        "\t|- PID PPID PGRPID SESSID CMD_NAME USER_MODE_TIME(MILLIS) SYSTEM_TIME(MILLIS) "
        "VMEM_USAGE(BYTES) RSSMEM_USAGE(PAGES) FULL_CMD_LINE",
    ]
    lines += [
        f"\t|- {p.pid} {p.ppid} {p.pgid} {p.sid} ({p.name}) {p.user_millis} {p.system_millis} "
        f"{p.vmem_bytes} {p.rss_pages} {p.command}"
        for p in tree
    ]
    return "\n".join(lines) + "\n"


_BRACED: Final = re.compile(r"\{\{([A-Za-z_][A-Za-z0-9_]*)\}\}")


def expand_command(command: str, log_dir: Path) -> str:
    """`{{LOG_DIR}}` (and Hadoop's `<LOG_DIR>`) → the container's log dir, other `{{VAR}}` →
    `${VAR}` for bash, `<CPS>` → `:` (Hadoop's cross-platform forms)."""
    command = command.replace("<LOG_DIR>", str(log_dir)).replace("<CPS>", ":")

    def replace(match: re.Match[str]) -> str:
        name = match[1]
        return str(log_dir) if name == "LOG_DIR" else f"${{{name}}}"

    return _BRACED.sub(replace, command)


def container_environment(
    node_env: Mapping[str, str],
    launch_env: Mapping[str, str],
    yarn_env: Mapping[str, str],
) -> dict[str, str]:
    """The node's environment, the launch context's over it, YARN's own variables over both.

    Launch values may use `{{VAR}}` (any variable known at that point, YARN's included) and
    `<CPS>`; an unknown `{{VAR}}` becomes empty, as bash would expand it."""
    known = {**node_env, **yarn_env}
    env = dict(node_env)
    for name, value in launch_env.items():
        value = value.replace("<CPS>", ":")
        env[name] = _BRACED.sub(lambda m: {**known, **env}.get(m[1], ""), value)
    env.update(yarn_env)
    return env


@dataclass
class ContainerRecord:
    """One container on this node: its grant, its dirs, its process and how it ended."""

    container_id: str
    application_id: str
    user: str
    resource: ResourceModel
    launch_context: LaunchContext
    workdir: Path
    log_dir: Path
    state: ContainerState = ContainerState.LOCALIZING
    pid: int | None = None
    kill: KillReason | None = None
    exit_status: int = INVALID
    diagnostics: str = ""
    #: The RM has seen this container COMPLETE (a heartbeat carrying it succeeded).
    acknowledged: bool = False
    started_at: float = field(default_factory=time.time)
    #: time.time() when it became DONE.
    finished_at: float | None = None

    @property
    def done(self) -> bool:
        return self.state is ContainerState.DONE

    def status(self) -> ContainerStatus:
        if self.done:
            return ContainerStatus(
                container_id=self.container_id,
                state="COMPLETE",
                exit_status=self.exit_status,
                diagnostics=self.diagnostics,
            )
        return ContainerStatus(
            container_id=self.container_id, state="RUNNING", diagnostics=self.diagnostics
        )

    def finish(self, returncode: int, stderr_tail: str = "") -> None:
        """The process ended with `returncode` (Popen's: -N for signal N); `stderr_tail` is
        the end of its stderr (at most STDERR_TAIL_BYTES), quoted when it failed."""
        self.exit_status = exit_status(returncode, self.kill)
        if self.kill is not None:
            self.diagnostics += kill_diagnostics(returncode)
        elif self.exit_status != 0:
            self.diagnostics += (
                f"Exception from container-launch.\nContainer id: {self.container_id}\n"
                f"Exit code: {self.exit_status}\n"
                f"Container exited with a non-zero exit code {self.exit_status}. "
                f"Last {STDERR_TAIL_BYTES} bytes of stderr :\n{stderr_tail}"
            )
        self.state = ContainerState.DONE
        self.finished_at = time.time()

    def fail(self, exit_code: int, diagnostics: str) -> None:
        """The container ended without a process of its own (localization failed, a kill
        before launch, a command that could not be started)."""
        self.exit_status = exit_code
        self.diagnostics += diagnostics
        self.state = ContainerState.DONE
        self.finished_at = time.time()
