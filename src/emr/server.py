"""Running the region endpoint: bind, announce, serve until SIGTERM/SIGINT, clean up."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import socket
from collections.abc import Callable
from pathlib import Path

import uvicorn

from emr import __version__
from emr.errors import ConfigurationError
from emr.gateway.asgi import RegionApp
from emr.net import listen_tcp
from emr.nodes.protocol import AgentEvent
from emr.region import Region, open_region
from emr.settings import Settings

__all__ = ["serve"]

log = logging.getLogger("emr.server")


def serve(settings: Settings, announce: Callable[[str], None]) -> None:
    """Serve the region endpoint in this process until a stop signal; `announce` gets the URL."""
    region = open_region(settings)
    sock = _bind(settings.host, settings.port)
    url = _url(settings.host, sock.getsockname()[1])
    config = uvicorn.Config(
        RegionApp(region.gateway, _Hooks(region, url)),
        log_config=None,
        access_log=False,
        lifespan="on",
        timeout_graceful_shutdown=10,
        server_header=False,
    )
    server = uvicorn.Server(config)
    # uvicorn re-raises the stop signal after its graceful shutdown, under the handlers it
    # found; ignoring it here lets cleanup below run and the process exit 0.
    for stop_signal in (signal.SIGTERM, signal.SIGINT):
        signal.signal(stop_signal, lambda *_: None)
    info_path = settings.server_info_path
    _write_server_info(info_path, url, settings.database_url)
    try:
        announce(url)
        log.info("region endpoint %s serving %s (data dir %s)", __version__, url, settings.data_dir)
        server.run(sockets=[sock])
    finally:
        _remove_server_info(info_path)
        sock.close()
        asyncio.run(region.close())
        log.info("region endpoint stopped")


class _Hooks:
    """The region's start, stop and agent endpoint, as the ASGI app calls them."""

    def __init__(self, region: Region, url: str) -> None:
        self._region, self._url = region, url

    async def start(self) -> None:
        await self._region.start(self._url)

    async def stop(self) -> None:
        await self._region.stop()

    def agent_event(self, token: str, event: AgentEvent) -> int:
        return self._region.supervisor.agent_event(token, event)


def _bind(host: str, port: int) -> socket.socket:
    try:
        return listen_tcp(host, port)
    except OSError as exc:
        raise ConfigurationError(f"cannot listen on {host}:{port}: {exc.strerror}") from exc


def _url(host: str, port: int) -> str:
    if host in ("0.0.0.0", ""):
        host = "127.0.0.1"
    elif host == "::":
        host = "::1"
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"


def _write_server_info(path: Path, url: str, database_url: str | None) -> None:
    # The database URL (it may hold a password, hence mode 0600) lets `emr env` and
    # `emr credentials` find the keys of a server whose state is not in the data dir.
    info: dict[str, object] = {"url": url, "pid": os.getpid(), "version": __version__}
    if database_url is not None:
        info["database_url"] = database_url
    temporary = path.with_suffix(".tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as file:
        file.write(json.dumps(info) + "\n")
    os.replace(temporary, path)


def _remove_server_info(path: Path) -> None:
    try:
        info = json.loads(path.read_text())
        if info.get("pid") == os.getpid():
            path.unlink()
    except (OSError, ValueError):
        pass
