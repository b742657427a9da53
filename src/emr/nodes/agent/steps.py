"""Steps on the master node, run the way EMR's step runner runs a HadoopJarStep.

    Jar                        what runs
    command-runner.jar         Args as argv, no shell
    …/script-runner.jar        Args[0] (s3://, file:// or /abs) fetched, run with Args[1:]
    any other jar              `hadoop jar <jar> [MainClass] Args…` through the node's bin/
                               (an s3:// jar is fetched first); Properties become -Dk=v in
                               HADOOP_CLIENT_OPTS, i.e. JVM system properties as on EMR

LIMITATIONS: Properties are ignored for command-runner and script-runner steps (EMR only
hands them to the JVM of a jar step). Step logs live in `logs/steps/<step-id>/`.

`syslog` gets what Hadoop's clients log (hadoop-streaming's job progress and counters): the
step's environment names it in EMR_STEP_SYSLOG, where those clients append their lines in
EMR's step-syslog form, as log4j does on EMR.

Each step runs in its own process group with the node's environment, cwd
`data/steps/<step-id>/`. `controller` records what ran, when, and how it ended, in the shape
of EMR's controller log.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shlex
import signal
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

from emr.nodes.agent.node import Node
from emr.nodes.agent.storage import FetchError, parse_s3_uri
from emr.nodes.processes import exit_code, signal_group
from emr.nodes.protocol import StepExited, StepFailure, StepRequest

__all__ = ["LOG_NAMES", "StepRunner", "failure_message"]

log = logging.getLogger(__name__)

LOG_NAMES: Final = ("controller", "stdout", "stderr", "syslog")
#: FailureDetails.Message is at most this many bytes of the end of stderr.
_MESSAGE_BYTES: Final = 1024
_FOLLOW_POLL_SECONDS: Final = 0.05


class StepSetupError(Exception):
    """The step could not be started; `exit_code` is what the step reports."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code


@dataclass
class _Step:
    request: StepRequest
    logs: Path
    workdir: Path
    done: asyncio.Event = field(default_factory=asyncio.Event)
    process: asyncio.subprocess.Process | None = None
    #: A signal asked for before the process existed (delivered once it does).
    pending_interrupt: bool | None = None
    task: asyncio.Task[None] | None = None

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.returncode is None


class _Controller:
    """The step's `controller` log: timestamped INFO/WARN lines, as EMR writes them."""

    def __init__(self, path: Path) -> None:
        self._path = path

    def write(self, level: str, message: str) -> None:
        stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
        with self._path.open("a", encoding="utf-8") as file:
            file.write(f"{stamp} {level} {message}\n")

    def info(self, message: str) -> None:
        self.write("INFO", message)

    def warn(self, message: str) -> None:
        self.write("WARN", message)


def failure_message(stderr: Path) -> str | None:
    """The last non-empty lines of `stderr`, at most ~1 KiB; None when it is empty."""
    try:
        with stderr.open("rb") as file:
            file.seek(0, 2)
            size = file.tell()
            file.seek(max(0, size - 4 * _MESSAGE_BYTES))
            tail = file.read()
    except OSError:
        return None
    lines = [line.rstrip() for line in tail.decode("utf-8", "replace").splitlines()]
    lines = [line for line in lines if line.strip()]
    if size > len(tail) and len(lines) > 1:
        lines = lines[1:]  # the first line of the window may be cut
    kept: list[str] = []
    total = 0
    for line in reversed(lines):
        cost = len(line.encode()) + 1
        if kept and total + cost > _MESSAGE_BYTES:
            break
        kept.append(line)
        total += cost
    if not kept:
        return None
    message = "\n".join(reversed(kept))
    if len(message.encode()) > _MESSAGE_BYTES:
        message = message.encode()[-_MESSAGE_BYTES:].decode("utf-8", "ignore")
    return message


class StepRunner:
    """Runs steps, interrupts them, and serves their logs."""

    def __init__(self, node: Node) -> None:
        self._node = node
        self._steps: dict[str, _Step] = {}

    def submit(self, request: StepRequest) -> None:
        """Start the step; a step id seen before is not started again."""
        if request.step_id in self._steps:
            return
        layout = self._node.layout
        step = _Step(
            request, layout.step_logs(request.step_id), layout.step_workdir(request.step_id)
        )
        step.logs.mkdir(mode=0o700, parents=True, exist_ok=True)
        step.workdir.mkdir(mode=0o700, parents=True, exist_ok=True)
        for name in LOG_NAMES:
            (step.logs / name).touch(mode=0o600)
        self._steps[request.step_id] = step
        step.task = asyncio.create_task(self._run(step), name=f"step {request.step_id}")

    def running_count(self) -> int:
        """Steps started and not yet ended (including one still fetching its script)."""
        return sum(1 for s in self._steps.values() if not s.done.is_set())

    def process_groups(self) -> list[int]:
        """Process groups of running steps (for the node's final kill)."""
        return [s.process.pid for s in self._steps.values() if s.running and s.process]

    def interrupt(self, step_id: str, force: bool) -> bool:
        """SIGTERM the step's process group, or (force) SIGKILL its whole tree; False if the
        step is unknown."""
        step = self._steps.get(step_id)
        if step is None:
            return False
        if step.process is None:
            step.pending_interrupt = force or bool(step.pending_interrupt)
        elif step.running:
            _signal_step(step.process.pid, force)
        return True

    async def _run(self, step: _Step) -> None:
        request = step.request
        controller = _Controller(step.logs / "controller")
        stderr_path = step.logs / "stderr"
        started = time.monotonic()
        controller.info(f"Ensure step {request.step_id} jar file {request.jar}")
        controller.info(f"StepRunner: Created Runner for step {request.step_id}")
        try:
            argv, extra_env = await self._command(step)
            extra_env = {**(extra_env or {}), "EMR_STEP_SYSLOG": str(step.logs / "syslog")}
            controller.info(f"startExec '{' '.join(argv)}'")
            controller.info(f"redirectOutput to {step.logs / 'stdout'}")
            controller.info(f"redirectError to {stderr_path}")
            controller.info(f"Working dir {step.workdir}")
            with (
                (step.logs / "stdout").open("ab") as stdout,
                stderr_path.open("ab") as stderr,
            ):
                try:
                    step.process = await self._node.spawn(
                        argv, cwd=step.workdir, stdout=stdout, stderr=stderr, extra_env=extra_env
                    )
                except FileNotFoundError as exc:
                    raise StepSetupError(
                        f'Cannot run program "{argv[0]}": error=2, No such file or directory', 127
                    ) from exc
                except PermissionError as exc:
                    raise StepSetupError(
                        f'Cannot run program "{argv[0]}": error=13, Permission denied', 126
                    ) from exc
                except OSError as exc:
                    raise StepSetupError(f'Cannot run program "{argv[0]}": {exc}', 126) from exc
            controller.info(f"ProcessRunner started child process {step.process.pid}")
            if step.pending_interrupt is not None:
                _signal_step(step.process.pid, step.pending_interrupt)
            returncode = await step.process.wait()
            code = exit_code(returncode)
            controller.info(f"waitProcessCompletion ended with exit code {code} : {argv[0]}")
        except StepSetupError as exc:
            code = exc.exit_code
            controller.warn(str(exc))
            with stderr_path.open("a", encoding="utf-8") as stderr_file:
                stderr_file.write(f"{exc}\n")
        except Exception:
            # Whatever broke, the region must hear that the step ended.
            log.exception("step %s: the step runner failed", request.step_id)
            code = 1
            controller.warn("the step runner failed; see the agent log")
        seconds = int(time.monotonic() - started)
        controller.info(f"total process run time: {seconds} seconds")
        controller.info("Step created jobs: ")
        if code == 0:
            controller.info(f"Step succeeded with exitCode 0 and took {seconds} seconds")
        else:
            controller.warn(f"Step failed with exitCode {code} and took {seconds} seconds")
        step.done.set()
        await self._report(step, code)

    async def _command(self, step: _Step) -> tuple[list[str], dict[str, str] | None]:
        request = step.request
        jar_name = request.jar.rstrip("/").rsplit("/", 1)[-1]
        if jar_name == "command-runner.jar":
            if not request.args:
                raise StepSetupError("command-runner.jar needs the command to run in Args")
            return list(request.args), None
        if jar_name == "script-runner.jar":
            if not request.args:
                raise StepSetupError("script-runner.jar needs the script to run as Args[0]")
            script = await self._fetch(request.args[0], step.workdir)
            return [str(script), *request.args[1:]], None
        jar = request.jar
        if parse_s3_uri(jar) is not None:
            jar = str(await self._fetch(jar, step.workdir))
        argv = [str(self._node.layout.bin / "hadoop"), "jar", jar]
        if request.main_class:
            argv.append(request.main_class)
        argv += request.args
        if not request.properties:
            return argv, None
        options = " ".join(shlex.quote(f"-D{k}={v}") for k, v in request.properties.items())
        inherited = self._node.env.get("HADOOP_CLIENT_OPTS")
        return argv, {"HADOOP_CLIENT_OPTS": f"{inherited} {options}" if inherited else options}

    async def _fetch(self, uri: str, directory: Path) -> Path:
        try:
            return await self._node.s3.fetch(uri, directory)
        except FetchError as exc:
            raise StepSetupError(str(exc)) from exc

    async def _report(self, step: _Step, code: int) -> None:
        node, step_id = self._node, step.request.step_id
        prefix = node.node_log_prefix("steps", step_id)
        if prefix is not None:
            await node.s3.upload_gzipped({name: step.logs / name for name in LOG_NAMES}, prefix)
        failure = None
        if code != 0:
            log_file = prefix.child("stderr.gz").uri if prefix else str(step.logs / "stderr")
            failure = StepFailure(message=failure_message(step.logs / "stderr"), log_file=log_file)
        node.region.send(
            node.region.event(StepExited, step_id=step_id, exit_code=code, failure=failure)
        )
        log.info("step %s exited with %d", step_id, code)

    async def stream_log(self, step_id: str, name: str, follow: bool) -> AsyncIterator[bytes]:
        """The log's bytes; with `follow`, keeps going until the step ended and all is read."""
        step = self._steps.get(step_id)
        path = self._node.layout.step_logs(step_id) / name
        with path.open("rb") as file:
            while True:
                chunk = file.read(64 * 1024)
                if chunk:
                    yield chunk
                    continue
                if not follow or step is None or step.done.is_set():
                    # The step may have ended between the last read and the check.
                    rest = file.read()
                    if rest:
                        yield rest
                        continue
                    return
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(step.done.wait(), _FOLLOW_POLL_SECONDS)

    def log_exists(self, step_id: str, name: str) -> bool:
        return name in LOG_NAMES and (self._node.layout.step_logs(step_id) / name).is_file()

    async def aclose(self) -> None:
        """Cancel the bookkeeping of running steps (their processes die with the node)."""
        tasks = [s.task for s in self._steps.values() if s.task and not s.task.done()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def _signal_step(pid: int, force: bool) -> None:
    import psutil

    if not force:
        signal_group(pid, signal.SIGTERM)
        return
    # The whole tree, including descendants that moved to a session of their own.
    try:
        tree = psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        tree = []
    signal_group(pid, signal.SIGKILL)
    for process in tree:
        with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
            process.kill()
