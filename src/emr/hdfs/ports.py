"""HDFS's well-known ports, as Hadoop 3 numbers them (a constants-only module: the shell and
the node layout read it without importing the daemons' code)."""

from __future__ import annotations

from typing import Final

__all__ = [
    "DATANODE_HTTP_PORT",
    "DATANODE_IPC_PORT",
    "DATANODE_PORT",
    "NAMENODE_HTTP_PORT",
    "NAMENODE_RPC_PORT",
]

#: fs.defaultFS's port: the NameNode serves WebHDFS here too (see protocol.py).
NAMENODE_RPC_PORT: Final = 8020
NAMENODE_HTTP_PORT: Final = 9870
#: The DataNode's HTTP port: WebHDFS redirects and block transfers between DataNodes.
DATANODE_HTTP_PORT: Final = 9864
#: dfs.datanode.address and dfs.datanode.ipc.address: configured as Hadoop's, not served.
DATANODE_PORT: Final = 9866
DATANODE_IPC_PORT: Final = 9867
