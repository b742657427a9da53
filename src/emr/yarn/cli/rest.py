"""Where the ResourceManager is, as a client on a node finds it (`$HADOOP_CONF_DIR` or
`$YARN_CONF_DIR`/yarn-site.xml), and the REST calls the CLI makes besides YarnRestClient's."""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from emr.hdfs.site import read_site_xml
from emr.yarn.client import YarnRestClient

__all__ = ["ClusterClient", "ResourceManagerAddress", "connecting_line"]

#: yarn-default.xml's ports of the RM's RPC and web addresses.
_RPC_PORT: Final = 8032
_WEBAPP_PORT: Final = 8088


def _host_port(address: str, default_port: int) -> tuple[str, int]:
    host, sep, port = address.rpartition(":")
    if not sep:
        return address, default_port
    return host, int(port) if port.isdigit() else default_port


@dataclass(frozen=True)
class ResourceManagerAddress:
    """The RM's web address (its REST API) and the RPC address Hadoop's clients name."""

    webapp: tuple[str, int]
    rpc: tuple[str, int]

    @classmethod
    def from_environment(cls, environ: Mapping[str, str]) -> ResourceManagerAddress:
        """yarn-site.xml of `$YARN_CONF_DIR` or `$HADOOP_CONF_DIR`, else Hadoop's defaults
        (`yarn.resourcemanager.hostname` 0.0.0.0, ports 8088 and 8032)."""
        conf_dir = environ.get("YARN_CONF_DIR") or environ.get("HADOOP_CONF_DIR")
        site = read_site_xml(Path(conf_dir) / "yarn-site.xml") if conf_dir else {}
        hostname = site.get("yarn.resourcemanager.hostname") or "0.0.0.0"
        webapp = site.get("yarn.resourcemanager.webapp.address") or f"{hostname}:{_WEBAPP_PORT}"
        rpc = site.get("yarn.resourcemanager.address") or f"{hostname}:{_RPC_PORT}"
        return cls(_host_port(webapp, _WEBAPP_PORT), _host_port(rpc, _RPC_PORT))

    @property
    def url(self) -> str:
        host, port = self.webapp
        return f"http://{host}:{port}"


def connecting_line(address: ResourceManagerAddress, now: float | None = None) -> str:
    """Hadoop's client log line, `<time> INFO client.DefaultNoHARMFailoverProxyProvider:
    Connecting to ResourceManager at <host>/<ip>:<port>` (an IP literal prints as `/<ip>`)."""
    moment = time.time() if now is None else now
    stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(moment))
    millis = int(moment * 1000) % 1000
    host, port = address.rpc
    try:
        ipaddress.ip_address(host)
        shown = f"/{host}"
    except ValueError:
        shown = f"{host}/{host}"
    return (
        f"{stamp},{millis:03d} INFO client.DefaultNoHARMFailoverProxyProvider: "
        f"Connecting to ResourceManager at {shown}:{port}\n"
    )


class ClusterClient(YarnRestClient):
    """YarnRestClient plus the read calls of `yarn node`, `yarn queue` and
    `yarn applicationattempt`."""

    def nodes(self, states: str | None = None) -> list[dict[str, Any]]:
        params = {"states": states} if states else {}
        body = self._call("GET", "/nodes", params=params).json()
        nodes: list[dict[str, Any]] = (body.get("nodes") or {}).get("node") or []
        return nodes

    def scheduler(self) -> dict[str, Any]:
        info: dict[str, Any] = self._call("GET", "/scheduler").json()["scheduler"]["schedulerInfo"]
        return info

    def attempts(self, application_id: str) -> list[dict[str, Any]]:
        body = self._call("GET", f"/apps/{application_id}/appattempts").json()
        attempts: list[dict[str, Any]] = (body.get("appAttempts") or {}).get("appAttempt") or []
        return attempts
