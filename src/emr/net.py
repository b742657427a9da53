"""The one way every emr daemon (region, node agents, NameNode, DataNodes) opens its port."""

from __future__ import annotations

import socket

__all__ = ["listen_tcp"]


def listen_tcp(host: str, port: int, backlog: int = 1024) -> socket.socket:
    """A listening TCP socket on `host:port` (IPv4 or IPv6); OSError if it cannot bind.

    IPPROTO_TCP, not 0: asyncio turns Nagle off only on sockets whose proto says TCP, and with
    it on every response waited ~40 ms for a delayed ACK. Not inheritable (Python's default,
    PEP 446): processes spawned by a daemon must not hold its port, or a restarted daemon could
    not bind it again.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(backlog)
    except OSError:
        sock.close()
        raise
    return sock
