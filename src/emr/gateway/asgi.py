"""The ASGI application: turns HTTP exchanges into `HttpRequest`s for the gateway chain."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

from starlette.datastructures import Headers
from starlette.responses import Response, StreamingResponse
from starlette.types import Receive, Scope, Send

from emr import __version__
from emr.gateway.chain import Gateway
from emr.gateway.http import HttpRequest, HttpResponse
from emr.gateway.payload import IncompleteBody

__all__ = ["RegionApp"]

#: Unsigned liveness probe; no S3 bucket can be named "_emr", so it shadows nothing.
HEALTH_PATH = "/_emr/health"


class RegionApp:
    """One ASGI app for every AWS-compatible service of the region."""

    def __init__(self, gateway: Gateway) -> None:
        self._gateway = gateway

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        if scope["path"] == HEALTH_PATH:
            body = json.dumps({"status": "running", "version": __version__}).encode()
            await Response(body, media_type="application/json")(scope, receive, send)
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


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
