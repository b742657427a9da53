"""The agent's minimal HTTP/1.1 client against a hand-written server: framings and errors."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest

from emr.nodes.agent.http1 import HttpError, RegionHttp

Handler = Callable[[bytes], bytes]


async def _serve(answer: Handler, requests: list[bytes]) -> tuple[asyncio.Server, str]:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = next(
                    int(line.split(b":")[1])
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length")
                )
                request = head + await reader.readexactly(length)
                requests.append(request)
                reply = answer(request)
                writer.write(reply)
                await writer.drain()
                if b"Connection: close" in reply or b"X-Then: close" in reply:
                    break
                if b"Length" not in reply and b" 200 " in reply:
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    return server, f"http://127.0.0.1:{port}/base/"


def _run(answer: Handler, exchange: Callable[[RegionHttp], Awaitable[None]]) -> list[bytes]:
    requests: list[bytes] = []

    async def scenario() -> None:
        server, url = await _serve(answer, requests)
        http = RegionHttp(url, {"Authorization": "Bearer t"}, timeout=2.0)
        try:
            await exchange(http)
        finally:
            await http.aclose()
            server.close()
            await server.wait_closed()

    asyncio.run(scenario())
    return requests


def test_keeps_the_connection_and_reads_each_framing() -> None:
    answers = iter(
        [
            b"HTTP/1.1 204 No Content\r\n\r\n",
            b'HTTP/1.1 410 Gone\r\nContent-Length: 9\r\n\r\n{"a": 1}\n',
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
            b"HTTP/1.1 401 Unauthorized\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}",
            b"HTTP/1.1 500 Oops\r\nContent-Length: 0\r\n\r\n",
        ]
    )

    async def exchange(http: RegionHttp) -> None:
        assert [await http.post("/events", b'{"x": %d}' % n) for n in range(5)] == [
            204,
            410,
            200,
            401,
            500,
        ]

    requests = _run(lambda _: next(answers), exchange)
    assert len(requests) == 5
    first = requests[0].decode()
    assert first.startswith("POST /base/events HTTP/1.1\r\n")
    assert "Authorization: Bearer t\r\n" in first
    assert "Content-Type: application/json\r\n" in first
    assert first.endswith('\r\n\r\n{"x": 0}')


def test_a_body_delimited_by_the_connection_end_is_read() -> None:
    answers = iter([b"HTTP/1.1 200 OK\r\n\r\nuntil the end", b"HTTP/1.1 204 No Content\r\n\r\n"])

    async def exchange(http: RegionHttp) -> None:
        assert await http.post("/events", b"{}") == 200
        assert await http.post("/events", b"{}") == 204

    assert len(_run(lambda _: next(answers), exchange)) == 2


def test_garbage_is_an_error_and_the_next_post_reconnects() -> None:
    answers = iter([b"SMTP ready\r\n\r\n", b"HTTP/1.1 204 No Content\r\n\r\n"])

    async def exchange(http: RegionHttp) -> None:
        with pytest.raises(HttpError):
            await http.post("/events", b"{}")
        assert await http.post("/events", b"{}") == 204

    assert len(_run(lambda _: next(answers), exchange)) == 2


def test_a_connection_closed_by_the_server_while_idle_is_replaced() -> None:
    answers = iter(
        [
            b"HTTP/1.1 204 No Content\r\nX-Then: close\r\n\r\n",
            b"HTTP/1.1 204 No Content\r\n\r\n",
        ]
    )

    async def exchange(http: RegionHttp) -> None:
        assert await http.post("/events", b"{}") == 204
        await asyncio.sleep(0.05)  # the server has closed the connection meanwhile
        assert await http.post("/events", b"{}") == 204

    assert len(_run(lambda _: next(answers), exchange)) == 2


def test_nobody_listening_is_an_os_error() -> None:
    async def scenario() -> None:
        http = RegionHttp("http://127.0.0.1:9/", {}, timeout=2.0)
        with pytest.raises(OSError):
            await http.post("/events", b"{}")
        await http.aclose()

    asyncio.run(scenario())
