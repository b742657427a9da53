"""The DataNode daemon: a `BlockStore` behind one HTTP app on port 9864.

    server.py         settings, the DataNode object, the app and its lifespan
    namenode_link.py  register, block report, heartbeats and their commands, replica events
    transfer.py       DataNode ⇄ DataNode: the write pipeline, `/_dn/v1/blocks/{id}`, reads
    webhdfs_data.py   the WebHDFS ops the NameNode redirects here (CREATE, APPEND, OPEN,
                      GETFILECHECKSUM)

Every request to `/_dn/v1` carries the cluster's bearer token, and so does every call this
DataNode makes to the NameNode or a peer.
"""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response

from emr.hdfs import webhdfs_json as wj
from emr.hdfs.datanode.storage import BlockStore
from emr.hdfs.ports import NAMENODE_HTTP_PORT
from emr.hdfs.site import read_site_xml

__all__ = ["DataNode", "DataNodeSettings", "create_app"]


@dataclass(frozen=True)
class DataNodeSettings:
    """Everything the daemon needs, from the node directory and the command line."""

    store_dir: Path
    token: str
    #: The address this DataNode listens on and advertises (the node's private_ip).
    host: str
    namenode_url: str
    heartbeat_seconds: float = 1.0

    @classmethod
    def from_node_dir(
        cls,
        node_dir: Path,
        *,
        bind: str | None = None,
        namenode_url: str | None = None,
        heartbeat_seconds: float | None = None,
    ) -> DataNodeSettings:
        """agent.json, and conf/hdfs-site.xml's `dfs.heartbeat.interval` (seconds; our
        default is 1 s, not Hadoop's 3 s: local nodes, and readiness waits on registration)."""
        from emr.nodes.protocol import AGENT_CONFIG_FILE, AgentConfig

        config = AgentConfig.model_validate_json((node_dir / AGENT_CONFIG_FILE).read_bytes())
        if heartbeat_seconds is None:
            site = read_site_xml(node_dir / "conf" / "hdfs-site.xml")
            heartbeat_seconds = float(site.get("dfs.heartbeat.interval", "1"))
        return cls(
            store_dir=node_dir / "data" / "datanode",
            token=config.token,
            host=bind or config.private_ip,
            namenode_url=namenode_url or f"http://{config.master_ip}:{NAMENODE_HTTP_PORT}",
            heartbeat_seconds=heartbeat_seconds,
        )


class DataNode:
    """The replica store, the link to the NameNode and the client for peers."""

    def __init__(self, settings: DataNodeSettings, port: int) -> None:
        from emr.hdfs.datanode.namenode_link import NameNodeLink

        self.settings = settings
        self.datanode_id = f"{settings.host}:{port}"
        self.store = BlockStore(settings.store_dir)
        #: Lease holders of the WebHDFS writes running here (renewed with every heartbeat).
        self.writers: set[str] = set()
        self.peers = httpx.AsyncClient(
            headers={"Authorization": f"Bearer {settings.token}"},
            timeout=httpx.Timeout(60.0, connect=5.0),
        )
        self.namenode = NameNodeLink(self)

    def authorized(self, request: Request) -> bool:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        return scheme.lower() == "bearer" and secrets.compare_digest(
            token.encode(), self.settings.token.encode()
        )

    @staticmethod
    def unauthorized() -> Response:
        body = wj.remote_exception_of(
            "SecurityException", "java.lang.SecurityException", "Invalid or missing cluster token"
        )
        return Response(wj.encode(body), 401, media_type=None)

    async def aclose(self) -> None:
        await self.namenode.aclose()
        await self.peers.aclose()


def create_app(datanode: DataNode) -> Starlette:
    """The DataNode's HTTP app; its lifespan runs the NameNode link."""
    import asyncio

    from emr.hdfs.datanode.transfer import transfer_routes
    from emr.hdfs.datanode.webhdfs_data import webhdfs_routes

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        task = asyncio.create_task(datanode.namenode.run())
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            await datanode.aclose()

    routes = [*transfer_routes(datanode), *webhdfs_routes(datanode)]
    return Starlette(routes=routes, lifespan=lifespan)
