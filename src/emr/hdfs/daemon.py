"""What the HDFS daemons' entry points share: logging, listen sockets, serving until a signal."""

from __future__ import annotations

import logging
import signal
import socket
import sys
from collections.abc import Sequence

import uvicorn
from starlette.types import ASGIApp

__all__ = ["configure_logging", "serve"]


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
