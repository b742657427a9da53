"""`python -m emr.hdfs.datanode --node-dir DIR`: run the DataNode of a core node.

Binds port 9864 on the node's private_ip unless told otherwise, prints
`datanode listening port=<port>` once it serves, registers with the NameNode (retrying until it
answers; the agent polls the NameNode's `/_dn/v1/status` for readiness), serves until
SIGTERM/SIGINT and exits 0.
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
from emr.hdfs.datanode.server import DataNode, DataNodeSettings, create_app

log = logging.getLogger("emr.hdfs.datanode")


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
    return sock


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m emr.hdfs.datanode")
    parser.add_argument("--node-dir", type=Path, required=True)
    parser.add_argument("--bind", help="address to listen on (default: private_ip)")
    parser.add_argument("--port", type=int, default=protocol.DATANODE_PORT)
    parser.add_argument("--namenode", help="NameNode URL (default: http://<master_ip>:9870)")
    parser.add_argument("--heartbeat", type=float, default=1.0, help="seconds between beats")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )
    settings = DataNodeSettings.from_node_dir(
        args.node_dir, bind=args.bind, namenode_url=args.namenode, heartbeat_seconds=args.heartbeat
    )
    sock = _bind(settings.host, args.port)
    port: int = sock.getsockname()[1]
    datanode = DataNode(settings, port)
    config = uvicorn.Config(
        create_app(datanode),
        log_config=None,
        access_log=False,
        lifespan="on",
        timeout_graceful_shutdown=5,
        server_header=False,
        date_header=False,
    )
    server = uvicorn.Server(config)
    for stop_signal in (signal.SIGTERM, signal.SIGINT):
        signal.signal(stop_signal, lambda *_: None)
    print(f"datanode listening port={port}", flush=True)
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
    log.info("datanode %s stopped", datanode.datanode_id)
    return 0


if __name__ == "__main__":
    sys.exit(main())
