"""`python -m emr.hdfs.datanode --node-dir DIR`: run the DataNode of a core node.

Binds port 9864 on the node's private_ip unless told otherwise, prints
`datanode listening port=<port>` once it serves, registers with the NameNode (retrying until it
answers; the agent polls the NameNode's `/_dn/v1/status` for readiness), serves until
SIGTERM/SIGINT and exits 0.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from emr.hdfs import ports
from emr.hdfs.daemon import configure_logging, serve
from emr.hdfs.datanode.server import DataNode, DataNodeSettings, create_app
from emr.net import listen_tcp

log = logging.getLogger("emr.hdfs.datanode")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m emr.hdfs.datanode")
    parser.add_argument("--node-dir", type=Path, required=True)
    parser.add_argument("--bind", help="address to listen on (default: private_ip)")
    parser.add_argument("--port", type=int, default=ports.DATANODE_HTTP_PORT)
    parser.add_argument("--namenode", help="NameNode URL (default: http://<master_ip>:9870)")
    parser.add_argument(
        "--heartbeat", type=float, help="seconds between beats (default: dfs.heartbeat.interval)"
    )
    args = parser.parse_args(argv)
    configure_logging()
    settings = DataNodeSettings.from_node_dir(
        args.node_dir, bind=args.bind, namenode_url=args.namenode, heartbeat_seconds=args.heartbeat
    )
    sock = listen_tcp(settings.host, args.port)
    port: int = sock.getsockname()[1]
    datanode = DataNode(settings, port)
    serve(create_app(datanode), [sock], f"datanode listening port={port}")
    log.info("datanode %s stopped", datanode.datanode_id)
    return 0


if __name__ == "__main__":
    sys.exit(main())
