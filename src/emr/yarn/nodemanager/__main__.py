"""`python -m emr.yarn.nodemanager --node-dir DIR`: run the NodeManager of a core or task node.

Binds yarn.nodemanager.webapp.address's port (8042) on the node's private_ip unless told
otherwise, and the shuffle service on mapreduce.shuffle.port (13562; 0: any free port) of
the same address (any free port if that one is taken), prints `nodemanager listening
port=<port>` once it serves, registers with the ResourceManager at `http://<master_ip>:8088` (retrying until it answers), heartbeats, serves
until SIGTERM/SIGINT — killing its containers (exit status -100) — and exits 0.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from emr.hdfs.daemon import configure_logging, serve
from emr.net import listen_tcp
from emr.yarn.nodemanager.server import NodeManager, create_app
from emr.yarn.nodemanager.settings import NodeManagerSettings

log = logging.getLogger("emr.yarn.nodemanager")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m emr.yarn.nodemanager")
    parser.add_argument("--node-dir", type=Path, required=True)
    parser.add_argument("--bind", help="address to listen on (default: private_ip)")
    parser.add_argument("--port", type=int, help="HTTP port (default: the webapp address's)")
    parser.add_argument(
        "--resourcemanager", help="ResourceManager URL (default: http://<master_ip>:8088)"
    )
    parser.add_argument(
        "--heartbeat",
        type=float,
        help="seconds between heartbeats (default: heartbeat-interval-ms, else 1)",
    )
    args = parser.parse_args(argv)
    configure_logging()
    # One line per heartbeat would drown the log.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    settings = NodeManagerSettings.from_node_dir(
        args.node_dir,
        bind=args.bind,
        resourcemanager_url=args.resourcemanager,
        heartbeat_seconds=args.heartbeat,
    )
    sock = listen_tcp(settings.host, settings.http_port if args.port is None else args.port)
    port: int = sock.getsockname()[1]
    try:
        shuffle_sock = listen_tcp(settings.host, settings.shuffle_port)
    except OSError as exc:
        # Containers learn the address from EMR_SHUFFLE_ADDRESS and the AM from the maps, so
        # any port works; several NodeManagers sharing one IP (tests) must not fail to start.
        log.warning(
            "shuffle port %d unavailable (%s); using a free one", settings.shuffle_port, exc
        )
        shuffle_sock = listen_tcp(settings.host, 0)
    nodemanager = NodeManager(settings, port, shuffle_sock)
    log.info("shuffle service on %s", nodemanager.shuffle_address)
    serve(create_app(nodemanager), [sock], f"nodemanager listening port={port}")
    log.info("nodemanager %s stopped", settings.node_id)
    return 0


if __name__ == "__main__":
    sys.exit(main())
