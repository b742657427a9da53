"""`python -m emr.yarn.resourcemanager --node-dir DIR`: run the ResourceManager of a master node.

Binds master_ip:8088 unless told otherwise, prints `resourcemanager listening port=<port>` once
it listens, serves until SIGTERM/SIGINT, then exits 0. Nothing is persisted: a restarted RM
starts with a new cluster timestamp and NodeManagers resync (no RM recovery).
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from emr.hdfs.daemon import configure_logging, serve
from emr.net import listen_tcp
from emr.nodes.hadoop_conf import RESOURCEMANAGER_WEBAPP_PORT
from emr.yarn.resourcemanager.core import ResourceManager
from emr.yarn.resourcemanager.server import create_app
from emr.yarn.resourcemanager.settings import ResourceManagerSettings

log = logging.getLogger("emr.yarn.resourcemanager")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m emr.yarn.resourcemanager")
    parser.add_argument("--node-dir", type=Path, required=True)
    parser.add_argument("--bind", help="address to listen on (default: master_ip)")
    parser.add_argument("--port", type=int, default=RESOURCEMANAGER_WEBAPP_PORT)
    parser.add_argument("--tick", type=float, default=1.0, help="timer period in seconds")
    args = parser.parse_args(argv)
    configure_logging()
    settings = ResourceManagerSettings.from_node_dir(args.node_dir, tick_seconds=args.tick)
    host = args.bind or settings.advertised_host
    sock = listen_tcp(host, args.port)
    port = sock.getsockname()[1]
    address_host = f"[{host}]" if ":" in host else host
    rm = ResourceManager(settings, rm_address=f"http://{address_host}:{port}")
    serve(create_app(rm), [sock], f"resourcemanager listening port={port}")
    log.info("resourcemanager stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
