"""The ASGI application: turns HTTP exchanges into `HttpRequest`s for the gateway chain."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Protocol

from pydantic import ValidationError
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.types import Receive, Scope, Send

from emr import __version__
from emr.gateway.chain import Gateway
from emr.gateway.http import HttpRequest, HttpResponse
from emr.gateway.payload import IncompleteBody
from emr.nodes.protocol import AGENT_EVENTS_PATH, AgentEvent, agent_event_adapter

__all__ = ["RegionApp", "RegionHooks"]

#: Unsigned liveness probe; no S3 bucket can be named "_emr", so it shadows nothing.
HEALTH_PATH = "/_emr/health"


class RegionHooks(Protocol):
    """What the region does beside the gateway: start, stop, and take its agents' reports."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    def agent_event(self, token: str, event: AgentEvent) -> int: ...


class RegionApp:
    """One ASGI app for every AWS-compatible service of the region, plus the agents' endpoint."""

    def __init__(self, gateway: Gateway, hooks: RegionHooks | None = None) -> None:
        self._gateway = gateway
        self._hooks = hooks

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send, self._hooks)
            return
        if scope["type"] != "http":
            return
        if scope["path"] == HEALTH_PATH:
            body = json.dumps({"status": "running", "version": __version__}).encode()
            await Response(body, media_type="application/json")(scope, receive, send)
            return
        if scope["path"] == AGENT_EVENTS_PATH and self._hooks is not None:
            await _agent_event(self._hooks, scope, receive, send)
            return
        raw_path = scope.get("raw_path") or scope["path"].encode()
        wire = _WireBody(receive)
        request = HttpRequest(
            method=scope["method"],
            raw_path=raw_path.split(b"?", 1)[0].decode("utf-8", "surrogateescape"),
            raw_query=scope.get("query_string", b"").decode("utf-8", "surrogateescape"),
            headers=Headers(scope=scope),
            client_host=scope["client"][0] if scope.get("client") else "",
            wire=wire,
        )
        response = await self._gateway.handle(request)
        if not wire.complete and _may_have_body(request):
            # The body was never read (an error came first). A client that sent
            # `Expect: 100-continue` is still waiting to send it, and one that sent it has bytes
            # in flight that would be read as the next request: answer and close, as S3 does.
            response.set_header("Connection", "close")
        await _to_starlette(response)(scope, receive, send)


class _WireBody:
    """The request body as the server receives it; the chain decides whether to hold it whole."""

    def __init__(self, receive: Receive) -> None:
        self._receive = receive
        self.complete = False

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self

    async def __anext__(self) -> bytes:
        while not self.complete:
            message = await self._receive()
            if message["type"] == "http.disconnect":
                raise IncompleteBody(
                    "The client closed the connection before the body was complete."
                )
            body: bytes = message.get("body", b"")
            self.complete = not message.get("more_body", False)
            if body:
                return body
        raise StopAsyncIteration


def _may_have_body(request: HttpRequest) -> bool:
    length = request.headers.get("content-length", "0").strip()
    return length not in ("", "0") or "chunked" in request.headers.get("transfer-encoding", "")


def _to_starlette(response: HttpResponse) -> Response:
    if response.stream is not None:
        streaming = StreamingResponse(response.stream, status_code=response.status_code)
        streaming.raw_headers = _raw_headers(response, None)
        return streaming
    plain = Response(response.body, status_code=response.status_code)
    plain.raw_headers = _raw_headers(response, len(response.body))
    return plain


def _raw_headers(response: HttpResponse, length: int | None) -> list[tuple[bytes, bytes]]:
    headers = [
        (name.lower().encode("latin-1"), value.encode("latin-1"))
        for name, value in response.headers
    ]
    if length is not None and response.get_header("content-length") is None:
        headers.append((b"content-length", str(length).encode()))
    return headers


async def _lifespan(receive: Receive, send: Send, hooks: RegionHooks | None) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            if hooks is not None:
                await hooks.start()
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            if hooks is not None:
                await hooks.stop()
            await send({"type": "lifespan.shutdown.complete"})
            return


async def _agent_event(hooks: RegionHooks, scope: Scope, receive: Receive, send: Send) -> None:
    """`POST /_emr/agent/v1/events` (see emr.nodes.protocol): a node agent's report.

    Not an AWS API, so no SigV4: the cluster's bearer token authenticates the agent.
    """
    request = Request(scope, receive)
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if request.method != "POST":
        status, detail = 405, "method not allowed"
    elif scheme.lower() != "bearer" or not token:
        status, detail = 401, "a bearer token is required"
    else:
        body = await request.body()
        try:
            event = agent_event_adapter.validate_json(body)
        except ValidationError as exc:
            status, detail = 400, f"not an agent event: {exc.errors()[0]['msg']}"
        else:
            status, detail = hooks.agent_event(token, event), ""
    if status == 204:
        await Response(status_code=204)(scope, receive, send)
        return
    if not detail:
        detail = {401: "bad token", 410: "the cluster or instance is over"}.get(status, "")
    await JSONResponse({"error": detail}, status_code=status)(scope, receive, send)
