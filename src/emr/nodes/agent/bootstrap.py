"""Bootstrap actions: run once per node, in order, before its daemons start.

Each action's file (s3://, file:// or an absolute path) is fetched into a fresh
`data/bootstrap-actions/<n>/`, made executable and run there with its args and the node's
environment; its output goes to `logs/bootstrap-actions/<n>/{stdout,stderr}` (and, with a
LogUri, to `<log-uri>/<cluster-id>/node/<instance-id>/bootstrap-actions/<n>/*.gz` before the
outcome is reported). The first failure stops the sequence: `BootstrapFailed` names the
action, 1-based as EMR counts them.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
from collections.abc import Sequence
from typing import IO

from emr.nodes.agent.node import Node
from emr.nodes.agent.storage import FetchError, parse_s3_uri
from emr.nodes.processes import exit_code
from emr.nodes.protocol import (
    AgentEvent,
    BootstrapAction,
    BootstrapCompleted,
    BootstrapFailed,
)

__all__ = ["BootstrapRunner"]

log = logging.getLogger(__name__)


class BootstrapRunner:
    """Runs the node's bootstrap actions once and reports the outcome."""

    def __init__(self, node: Node) -> None:
        self._node = node
        self._task: asyncio.Task[None] | None = None
        self._outcome: AgentEvent | None = None

    def start(self, actions: Sequence[BootstrapAction]) -> None:
        """Run `actions` in the background; asked again, report the same outcome again."""
        if self._outcome is not None:
            self._node.region.send(self._outcome)
        elif self._task is None:
            self._task = asyncio.create_task(self._run(list(actions)), name="bootstrap")

    async def _run(self, actions: list[BootstrapAction]) -> None:
        region = self._node.region
        outcome: AgentEvent = region.event(BootstrapCompleted)
        for index, action in enumerate(actions, start=1):
            try:
                message = await self._run_action(index, action)
            except Exception:
                log.exception("bootstrap action %d: the runner failed", index)
                message = f"bootstrap action {index} could not be run"
            if message is not None:
                outcome = region.event(BootstrapFailed, action_index=index, message=message)
                break
        log.info("bootstrap: %s", outcome.kind)
        self._outcome = outcome
        region.send(outcome)

    async def _run_action(self, index: int, action: BootstrapAction) -> str | None:
        """Run one action; the failure message, or None when it exited 0."""
        layout = self._node.layout
        workdir, logs = layout.bootstrap_workdir(index), layout.bootstrap_logs(index)
        shutil.rmtree(workdir, ignore_errors=True)
        workdir.mkdir(mode=0o700, parents=True)
        logs.mkdir(mode=0o700, parents=True, exist_ok=True)
        stdout_path, stderr_path = logs / "stdout", logs / "stderr"
        message: str | None = None
        with stdout_path.open("wb") as stdout, stderr_path.open("wb") as stderr:
            try:
                script = await self._node.s3.fetch(action.path, workdir)
            except FetchError as exc:
                stderr.write(f"{exc}\n".encode())
                if parse_s3_uri(action.path) is not None:
                    message = f"failed attempting to download bootstrap action {index} file from S3"
                else:
                    message = f"bootstrap action {index} file could not be read: {exc}"
            else:
                message = await self._execute(index, [str(script), *action.args], stdout, stderr)
        prefix = self._node.node_log_prefix(
            "node", self._node.config.instance_id, "bootstrap-actions", str(index)
        )
        if prefix is not None:
            await self._node.s3.upload_gzipped(
                {"stdout": stdout_path, "stderr": stderr_path}, prefix
            )
        return message

    async def _execute(
        self, index: int, argv: list[str], stdout: IO[bytes], stderr: IO[bytes]
    ) -> str | None:
        try:
            process = await self._node.spawn(
                argv, cwd=self._node.layout.bootstrap_workdir(index), stdout=stdout, stderr=stderr
            )
        except OSError as exc:
            return f"bootstrap action {index} could not be started: {exc.strerror or exc}"
        code = exit_code(await process.wait())
        log.info("bootstrap action %d exited with %d", index, code)
        if code != 0:
            return f"bootstrap action {index} returned a non-zero return code"
        return None
