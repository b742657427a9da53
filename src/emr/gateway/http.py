"""Protocol-neutral HTTP request and response values passed along the handler chain."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from functools import cached_property
from urllib.parse import parse_qsl, unquote

from starlette.datastructures import Headers

__all__ = ["BodyStream", "HttpRequest", "HttpResponse"]


class BodyStream(ABC):
    """A request body read as it arrives (S3 PutObject, UploadPart): bounded memory for any size.

    Iterating yields the payload (aws-chunked framing removed). The payload is verified against
    the signature as it flows; a mismatch, a truncated body or a client that goes away raises a
    `ServiceError` from the iteration, so a consumer that stores the bytes must only make them
    visible after the iteration ended normally. `trailers` (aws-chunked trailing headers such
    as x-amz-checksum-crc32, lower-case names) is complete once the iteration has ended.
    """

    #: The payload's length when the client declared it (Content-Length or
    #: x-amz-decoded-content-length), else None.
    length: int | None = None

    def __init__(self) -> None:
        self.trailers: dict[str, str] = {}

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self

    @abstractmethod
    async def __anext__(self) -> bytes:
        """The next non-empty piece of the payload."""


@dataclass
class HttpRequest:
    """A request as it arrived: raw (percent-encoded) path and query, headers, whole body.

    `body` is the payload after transfer decoding and, once authentication ran, after
    aws-chunked decoding; `raw_body` keeps what came over the wire. For operations whose
    payload streams (S3 object uploads) the body is never held whole: `body_stream` carries it.
    """

    method: str
    raw_path: str
    raw_query: str
    headers: Headers
    body: bytes = b""
    raw_body: bytes = b""
    client_host: str = ""
    body_stream: BodyStream | None = None
    #: The body as it arrives, until the chain reads it (whole, or as `body_stream`).
    wire: AsyncIterator[bytes] | None = None

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
