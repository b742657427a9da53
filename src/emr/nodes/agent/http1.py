"""Just enough HTTP/1.1 for the agent to POST its events: one kept-alive connection.

Why not httpx (which the rest of emr uses): on the agent's critical path from exec to
"registered", httpx cost ~0.45 s of CPU per agent (import ~0.2 s, a client's TLS context
~0.13 s, the first request's lazy imports ~0.14 s), for small JSON POSTs to our own region
server. This is ~80 lines on asyncio streams and costs nothing to start.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Final
from urllib.parse import urlsplit

__all__ = ["HttpError", "RegionHttp"]

_MAX_HEADER_LINES: Final = 100
_MAX_BODY: Final = 1 << 20


class HttpError(Exception):
    """The region's answer could not be read as HTTP/1.1."""


class RegionHttp:
    """POSTs to one origin (`http://` or `https://`) over a reused connection."""

    def __init__(self, url: str, headers: dict[str, str], timeout: float = 5.0) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) URL: {url}")
        self._tls = parts.scheme == "https"
        self._host = parts.hostname
        self._port = parts.port or (443 if self._tls else 80)
        self._prefix = parts.path.rstrip("/")
        fixed = {"Host": parts.netloc, **headers}
        self._head = "".join(f"{name}: {value}\r\n" for name, value in fixed.items())
        self._timeout = timeout
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def post(self, path: str, body: bytes, content_type: str = "application/json") -> int:
        """POST `body`; the response's status (its body is read and dropped).

        Raises OSError, TimeoutError or HttpError when no answer could be had.
        """
        reused = self._writer is not None and not self._writer.is_closing()
        try:
            async with asyncio.timeout(self._timeout):
                try:
                    return await self._exchange(path, body, content_type)
                except (OSError, HttpError, asyncio.IncompleteReadError):
                    if not reused:
                        raise
                    # The server may have closed an idle kept-alive connection: one fresh try.
                    # (POSTing an event twice is harmless: see protocol.py.)
                    self._drop()
                    return await self._exchange(path, body, content_type)
        except BaseException:
            self._drop()  # whatever was half-said, the connection cannot be reused
            raise

    async def _exchange(self, path: str, body: bytes, content_type: str) -> int:
        if self._writer is None or self._writer.is_closing():
            ssl = None
            if self._tls:
                import ssl as ssl_module

                ssl = ssl_module.create_default_context()
            self._reader, self._writer = await asyncio.open_connection(
                self._host, self._port, ssl=ssl
            )
        reader, writer = self._reader, self._writer
        assert reader is not None
        request = (
            f"POST {self._prefix}{path} HTTP/1.1\r\n{self._head}"
            f"Content-Type: {content_type}\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        writer.write(request.encode("latin-1") + body)
        await writer.drain()

        status_line = (await reader.readline()).decode("latin-1").split(" ", 2)
        if len(status_line) < 2 or not status_line[0].startswith("HTTP/1."):
            raise HttpError(f"not an HTTP/1.x status line: {status_line!r}")
        status = int(status_line[1])
        headers: dict[str, str] = {}
        for _ in range(_MAX_HEADER_LINES):
            line = (await reader.readline()).decode("latin-1")
            if line in ("\r\n", "\n"):
                break
            if not line:
                raise HttpError("the connection closed inside the headers")
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        else:
            raise HttpError("too many header lines")

        if headers.get("transfer-encoding", "").lower() == "chunked":
            while size := int((await reader.readline()).split(b";")[0], 16):
                await reader.readexactly(size + 2)
            while (await reader.readline()) not in (b"\r\n", b"\n", b""):
                pass  # trailers
        elif "content-length" in headers:
            length = int(headers["content-length"])
            if length > _MAX_BODY:
                raise HttpError(f"response body too large ({length} bytes)")
            await reader.readexactly(length)
        elif status >= 200 and status not in (204, 304):
            await reader.read(_MAX_BODY)  # delimited by the connection's end
            self._drop()
        if headers.get("connection", "").lower() == "close":
            self._drop()
        return status

    def _drop(self) -> None:
        writer, self._reader, self._writer = self._writer, None, None
        if writer is not None:
            writer.close()

    async def aclose(self) -> None:
        writer = self._writer
        self._drop()
        if writer is not None:
            with contextlib.suppress(OSError):
                await writer.wait_closed()
