"""One run of the `yarn` command: its streams, the RM's address, a client made on demand."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TextIO

from emr.yarn.cli.rest import ClusterClient, ResourceManagerAddress, connecting_line

__all__ = ["FAILURE", "Session", "log_line"]

#: A Java CLI's `return -1`, as the shell sees it.
FAILURE = 255


def log_line(logger: str, message: str) -> str:
    """A log4j console line as Hadoop's clients print them on stderr."""
    moment = time.time()
    stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(moment))
    return f"{stamp},{int(moment * 1000) % 1000:03d} INFO {logger}: {message}\n"


@dataclass
class Session:
    address: ResourceManagerAddress
    out: TextIO
    err: TextIO
    user: str
    _client: ClusterClient | None = field(default=None, init=False)

    def client(self) -> ClusterClient:
        """The RM's REST client, announced on stderr as Hadoop's RMProxy does."""
        if self._client is None:
            self.err.write(connecting_line(self.address))
            self._client = ClusterClient(self.address.url, user=self.user)
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None
