"""What the HDFS daemons' entry points share: logging, listen sockets, serving until a signal."""

from __future__ import annotations

import logging
import signal
import socket
import sys
from collections.abc import Sequence
from typing import Any

import uvicorn
from starlette.types import ASGIApp
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

__all__ = ["Utf8RequestLineProtocol", "configure_logging", "serve"]


class Utf8RequestLineProtocol(HttpToolsProtocol):
    """uvicorn's HTTP/1.1 protocol, accepting raw UTF-8 in the request line.

    Hadoop's WebHDFS client (pyspark's) percent-encodes spaces, `%` and `#` in a path but sends
    other characters — a partition value `p=ü` — as raw UTF-8, which Jetty accepts and
    httptools rejects ("Invalid char in url path"). Bytes 0x80-0xFF of a request line are
    percent-encoded before the parser sees them, so the path arrives as `p=%C3%BC` and is
    decoded as UTF-8 like any other (webhdfs.request_path). Headers and bodies are untouched;
    such bytes were always rejected before, so no valid request changes.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._in_request_line = True

    def data_received(self, data: bytes) -> None:
        if self._in_request_line:
            end = data.find(b"\n")
            line, rest = (data, b"") if end < 0 else (data[: end + 1], data[end + 1 :])
            if any(byte >= 0x80 for byte in line):
                line = b"".join(
                    b"%%%02X" % byte if byte >= 0x80 else bytes((byte,)) for byte in line
                )
            data = line + rest
            self._in_request_line = end < 0
        super().data_received(data)

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._in_request_line = True


def configure_logging() -> None:
    logging.basicConfig(
        level=logging.INFO,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )


def serve(app: ASGIApp, sockets: Sequence[socket.socket], ready_line: str) -> None:
    """Serve `app` on `sockets` until SIGTERM/SIGINT; `ready_line` goes to stdout once bound
    (the node agent waits for it). The sockets are closed at the end."""
    config = uvicorn.Config(
        app,
        http=Utf8RequestLineProtocol,
        log_config=None,
        access_log=False,
        lifespan="on",
        timeout_graceful_shutdown=5,
        server_header=False,
        date_header=False,
    )
    server = uvicorn.Server(config)
    # uvicorn re-raises the stop signal after its graceful shutdown; ignoring it lets the
    # process finish its lifespan shutdown (a NameNode checkpoint) and exit 0.
    for stop_signal in (signal.SIGTERM, signal.SIGINT):
        signal.signal(stop_signal, lambda *_: None)
    print(ready_line, flush=True)
    try:
        server.run(sockets=list(sockets))
    finally:
        for sock in sockets:
            sock.close()
