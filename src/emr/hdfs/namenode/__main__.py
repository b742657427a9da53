"""`python -m emr.hdfs.namenode --node-dir DIR`: run the NameNode of a master node.

Binds the WebHDFS port and the fs.defaultFS port (9870 and 8020 on master_ip unless told
otherwise), prints `namenode listening http=<port> rpc=<port>` once both listen, serves until
SIGTERM/SIGINT, then writes a checkpoint and exits 0.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from emr.hdfs import ports
from emr.hdfs.daemon import configure_logging, serve
from emr.hdfs.namenode.server import NameNode, NameNodeSettings, create_app
from emr.net import listen_tcp

log = logging.getLogger("emr.hdfs.namenode")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m emr.hdfs.namenode")
    parser.add_argument("--node-dir", type=Path, required=True)
    parser.add_argument("--bind", help="address to listen on (default: master_ip)")
    parser.add_argument("--http-port", type=int, default=ports.NAMENODE_HTTP_PORT)
    parser.add_argument("--rpc-port", type=int, default=ports.NAMENODE_RPC_PORT)
    parser.add_argument("--heartbeat-timeout", type=float, help="seconds until a DataNode is dead")
    parser.add_argument("--tick", type=float, default=1.0, help="timer period in seconds")
    parser.add_argument("--checkpoint-every", type=int, default=10_000, help="edits")
    args = parser.parse_args(argv)
    configure_logging()
    settings = NameNodeSettings.from_node_dir(
        args.node_dir,
        heartbeat_timeout=args.heartbeat_timeout,
        tick_seconds=args.tick,
        checkpoint_every=args.checkpoint_every,
    )
    host = args.bind or settings.advertised_host
    http_sock = listen_tcp(host, args.http_port)
    rpc_sock = listen_tcp(host, args.rpc_port)
    namenode = NameNode(settings)
    namenode.rpc_port = rpc_sock.getsockname()[1]
    ready = f"namenode listening http={http_sock.getsockname()[1]} rpc={namenode.rpc_port}"
    serve(create_app(namenode), [http_sock, rpc_sock], ready)
    log.info("namenode stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
