"""`python -m emr.hdfs.namenode --node-dir DIR`: run the NameNode of a master node.

Binds the WebHDFS port and the fs.defaultFS port (9870 and 8020 on master_ip unless told
otherwise), prints `namenode listening http=<port> rpc=<port>` once both listen, serves until
SIGTERM/SIGINT, then writes a checkpoint and exits 0.
"""

from __future__ import annotations

import argparse
import logging
import signal
import socket
import sys
from pathlib import Path

import uvicorn

from emr.hdfs import protocol
from emr.hdfs.namenode.server import NameNode, NameNodeSettings, create_app

log = logging.getLogger("emr.hdfs.namenode")


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP: asyncio turns Nagle off only on such sockets (see emr.server._bind).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    sock.listen(1024)
    return sock  # not inheritable (PEP 446)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m emr.hdfs.namenode")
    parser.add_argument("--node-dir", type=Path, required=True)
    parser.add_argument("--bind", help="address to listen on (default: master_ip)")
    parser.add_argument("--http-port", type=int, default=protocol.NAMENODE_HTTP_PORT)
    parser.add_argument("--rpc-port", type=int, default=protocol.NAMENODE_RPC_PORT)
    parser.add_argument("--heartbeat-timeout", type=float, help="seconds until a DataNode is dead")
    parser.add_argument("--tick", type=float, default=1.0, help="timer period in seconds")
    parser.add_argument("--checkpoint-every", type=int, default=10_000, help="edits")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )
    settings = NameNodeSettings.from_node_dir(
        args.node_dir,
        heartbeat_timeout=args.heartbeat_timeout,
        tick_seconds=args.tick,
        checkpoint_every=args.checkpoint_every,
    )
    host = args.bind or settings.advertised_host
    http_sock = _bind(host, args.http_port)
    rpc_sock = _bind(host, args.rpc_port)
    namenode = NameNode(settings)
    namenode.rpc_port = rpc_sock.getsockname()[1]
    config = uvicorn.Config(
        create_app(namenode),
        log_config=None,
        access_log=False,
        lifespan="on",
        timeout_graceful_shutdown=5,
        server_header=False,
        date_header=False,
    )
    server = uvicorn.Server(config)
    # uvicorn re-raises the stop signal after its graceful shutdown; ignoring it lets the
    # process exit 0 after the final checkpoint.
    for stop_signal in (signal.SIGTERM, signal.SIGINT):
        signal.signal(stop_signal, lambda *_: None)
    print(
        f"namenode listening http={http_sock.getsockname()[1]} rpc={namenode.rpc_port}",
        flush=True,
    )
    try:
        server.run(sockets=[http_sock, rpc_sock])
    finally:
        http_sock.close()
        rpc_sock.close()
    log.info("namenode stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
