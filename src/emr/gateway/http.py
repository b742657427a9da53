"""Protocol-neutral HTTP request and response values passed along the handler chain."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from functools import cached_property
from urllib.parse import parse_qsl, unquote

from starlette.datastructures import Headers

__all__ = ["HttpRequest", "HttpResponse"]


@dataclass
class HttpRequest:
    """A request as it arrived: raw (percent-encoded) path and query, headers, whole body.

    `body` is the payload after transfer decoding and, once authentication ran, after
    aws-chunked decoding; `raw_body` keeps what came over the wire.
    """

    method: str
    raw_path: str
    raw_query: str
    headers: Headers
    body: bytes = b""
    raw_body: bytes = b""
    client_host: str = ""

    @cached_property
    def path(self) -> str:
        """The path percent-decoded as UTF-8."""
        return unquote(self.raw_path, encoding="utf-8", errors="surrogateescape")

    @cached_property
    def query(self) -> list[tuple[str, str]]:
        """Query parameters decoded, in order, blank values kept."""
        return parse_qsl(self.raw_query, keep_blank_values=True)

    @cached_property
    def query_dict(self) -> dict[str, str]:
        """Query parameters, first value of each name."""
        result: dict[str, str] = {}
        for name, value in self.query:
            result.setdefault(name, value)
        return result

    @property
    def host(self) -> str:
        return self.headers.get("host", "")

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()


@dataclass
class HttpResponse:
    """What the serializer produced. `stream`, when set, replaces `body` (large downloads)."""

    status_code: int = 200
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    stream: AsyncIterator[bytes] | None = None

    def set_header(self, name: str, value: str) -> None:
        lower = name.lower()
        self.headers = [(n, v) for n, v in self.headers if n.lower() != lower]
        self.headers.append((name, value))

    def get_header(self, name: str) -> str | None:
        lower = name.lower()
        for n, v in self.headers:
            if n.lower() == lower:
                return v
        return None
