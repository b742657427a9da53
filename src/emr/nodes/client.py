"""Clients of a node agent's API: `AgentClient` (async, the supervisor) and two synchronous
helpers for the CLI, `exec_on_node` (`emr ssh`) and `follow_log` (`emr logs`).

Errors: every failure to get the agent to do something — no connection, a timeout, a broken
stream, an error status — raises `AgentUnreachable`, translated from httpx at this boundary
(`raise … from exc`); its `status_code` is the agent's HTTP status, or None when the agent
did not answer.
"""

from __future__ import annotations

import base64
import json
import ssl
from collections.abc import Sequence
from types import TracebackType
from typing import BinaryIO, Final, Self

import httpx

from emr.errors import EmrError
from emr.nodes.protocol import (
    AgentHealth,
    BootstrapAction,
    BootstrapRequest,
    ExecFrame,
    ExecRequest,
    InterruptRequest,
    StepRequest,
)

__all__ = ["AgentClient", "AgentUnreachable", "exec_on_node", "follow_log", "plain_http_client"]

_TIMEOUT: Final = httpx.Timeout(10.0, connect=2.0)
#: Streams (exec, logs) may stay quiet for long; only connecting is bounded.
_STREAM_TIMEOUT: Final = httpx.Timeout(None, connect=2.0)
#: Starting a node's daemons waits until they serve (HDFS out of safe mode, NMs registered).
_DAEMONS_TIMEOUT: Final = httpx.Timeout(300.0, connect=2.0)


def plain_http_client(timeout: httpx.Timeout = _TIMEOUT) -> httpx.AsyncClient:
    """An httpx client for agents, which speak plain HTTP on private addresses.

    Its TLS context has no CA certificates, so a TLS connection would fail closed; loading
    certifi's bundle instead costs 20-90 ms per client, on the path that starts clusters.
    """
    return httpx.AsyncClient(
        timeout=timeout, trust_env=False, verify=ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    )


def _plain_http_sync_client() -> httpx.Client:
    return httpx.Client(
        timeout=_STREAM_TIMEOUT, trust_env=False, verify=ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    )


class AgentUnreachable(EmrError):
    """The agent could not be reached, or did not do what was asked."""

    def __init__(self, message: str, *, status_code: int | None = None) -> None:
        super().__init__(message)
        self.status_code = status_code


def _base_url(ip: str, port: int) -> str:
    return f"http://{ip}:{port}"


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _check(response: httpx.Response) -> None:
    if response.is_success:
        return
    try:
        detail = str(response.json().get("error", response.text))
    except (ValueError, AttributeError):
        detail = response.text
    raise AgentUnreachable(
        f"agent at {response.request.url.host}: {response.status_code} {detail}",
        status_code=response.status_code,
    )


class AgentClient:
    """Async client of one node agent; use as `async with AgentClient(…) as agent:`."""

    def __init__(
        self,
        ip: str,
        port: int,
        token: str,
        *,
        http: httpx.AsyncClient | None = None,
        timeout: float | None = None,
    ) -> None:
        """`http`: a client to share (default: one of its own); `timeout`: seconds for each
        request instead of the default (starting daemons has its own, longer one)."""
        self._base = _base_url(ip, port)
        self._headers = _auth(token)
        self._own_http = http is None
        self._http = http or plain_http_client()
        self._timeout = _TIMEOUT if timeout is None else httpx.Timeout(timeout)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the HTTP client if this object made it."""
        if self._own_http:
            await self._http.aclose()

    async def _post(
        self, path: str, body: str | None = None, timeout: httpx.Timeout | None = None
    ) -> httpx.Response:
        try:
            response = await self._http.post(
                self._base + path,
                content=body,
                headers={**self._headers, "Content-Type": "application/json"},
                timeout=self._timeout if timeout is None else timeout,
            )
        except httpx.HTTPError as exc:
            raise AgentUnreachable(f"agent at {self._base}: {exc!r}") from exc
        _check(response)
        return response

    async def bootstrap(self, actions: Sequence[BootstrapAction]) -> None:
        """Start the bootstrap actions; the outcome comes as an event."""
        await self._post("/v1/bootstrap", BootstrapRequest(actions=list(actions)).model_dump_json())

    async def start_daemons(self) -> None:
        """Start the node's daemons; returns once they serve."""
        await self._post("/v1/daemons", "{}", timeout=_DAEMONS_TIMEOUT)

    async def run_step(self, step: StepRequest) -> None:
        """Start a step (master only); its exit comes as a StepExited event."""
        await self._post("/v1/steps", step.model_dump_json())

    async def interrupt_step(self, step_id: str, force: bool = False) -> None:
        """SIGTERM the step's process group, or (force) SIGKILL its whole tree."""
        body = InterruptRequest(force=force).model_dump_json()
        await self._post(f"/v1/steps/{step_id}/interrupt", body)

    async def shutdown(self) -> None:
        """Ask the agent to kill its node's processes and exit."""
        await self._post("/v1/shutdown")

    async def health(self) -> AgentHealth:
        try:
            response = await self._http.get(
                self._base + "/v1/health", headers=self._headers, timeout=self._timeout
            )
        except httpx.HTTPError as exc:
            raise AgentUnreachable(f"agent at {self._base}: {exc!r}") from exc
        _check(response)
        return AgentHealth.model_validate_json(response.content)


def exec_on_node(
    ip: str,
    port: int,
    token: str,
    argv: Sequence[str],
    stdin: bytes | None,
    stdout: BinaryIO,
    stderr: BinaryIO,
) -> int:
    """Run `argv` on the node (its environment, cwd its directory), copying its output to
    `stdout`/`stderr` as it comes; returns the command's exit code."""
    request = ExecRequest(
        argv=list(argv),
        stdin_b64=base64.b64encode(stdin).decode("ascii") if stdin else None,
    )
    url = _base_url(ip, port) + "/v1/exec"
    try:
        with (
            _plain_http_sync_client() as http,
            http.stream(
                "POST",
                url,
                content=request.model_dump_json(),
                headers={**_auth(token), "Content-Type": "application/json"},
            ) as response,
        ):
            if not response.is_success:
                response.read()
                _check(response)
            for line in response.iter_lines():
                if not line:
                    continue
                frame = ExecFrame.model_validate(json.loads(line))
                if frame.stdout_b64:
                    stdout.write(base64.b64decode(frame.stdout_b64))
                    stdout.flush()
                if frame.stderr_b64:
                    stderr.write(base64.b64decode(frame.stderr_b64))
                    stderr.flush()
                if frame.exit is not None:
                    return frame.exit
    except httpx.HTTPError as exc:
        raise AgentUnreachable(f"agent at {ip}:{port}: {exc!r}") from exc
    raise AgentUnreachable(f"agent at {ip}:{port}: the exec stream ended without an exit code")


def follow_log(
    ip: str,
    port: int,
    token: str,
    step_id: str,
    name: str,
    out: BinaryIO,
    *,
    follow: bool = True,
) -> None:
    """Copy a step's log (`stdout`, `stderr`, `controller`, `syslog`) to `out`; with
    `follow`, until the step ended and the log is drained."""
    url = _base_url(ip, port) + f"/v1/steps/{step_id}/logs/{name}"
    try:
        with (
            _plain_http_sync_client() as http,
            http.stream(
                "GET", url, params={"follow": "1" if follow else "0"}, headers=_auth(token)
            ) as response,
        ):
            if not response.is_success:
                response.read()
                _check(response)
            for chunk in response.iter_bytes():
                out.write(chunk)
                out.flush()
    except httpx.HTTPError as exc:
        raise AgentUnreachable(f"agent at {ip}:{port}: {exc!r}") from exc
