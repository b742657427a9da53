"""HDFS through WebHDFS: the NameNode's REST API, with the 307 to a DataNode followed here.

Every call carries `user.name`; data calls (CREATE, APPEND, OPEN) stream their bodies.
RemoteExceptions become the shell's errors at this boundary.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any
from urllib.parse import quote

import httpx

from emr.hdfs.shell.errors import (
    PathExistsError,
    PathIsNotDirectoryError,
    PathIsNotEmptyDirectoryError,
    PathNotFoundError,
    RemoteError,
    ShellError,
)
from emr.hdfs.shell.filesystem import (
    CHUNK_SIZE,
    Checksum,
    ContentSummary,
    FileStatus,
    FileSystem,
    FsStatus,
)

__all__ = ["WebHdfsFileSystem"]

_TIMEOUT = httpx.Timeout(60.0, connect=10.0)


def _status(parent: str, raw: dict[str, Any]) -> FileStatus:
    suffix = raw.get("pathSuffix") or ""
    path = parent.rstrip("/") + "/" + suffix if suffix else parent
    return FileStatus(
        path=path,
        is_dir=raw.get("type") == "DIRECTORY",
        length=int(raw.get("length", 0)),
        replication=int(raw.get("replication", 0)),
        block_size=int(raw.get("blockSize", 0)),
        owner=str(raw.get("owner", "")),
        group=str(raw.get("group", "")),
        permission=int(str(raw.get("permission", "755")), 8),
        modification_time=int(raw.get("modificationTime", 0)),
        access_time=int(raw.get("accessTime", 0)),
    )


class WebHdfsFileSystem(FileSystem):
    """One NameNode at `http_url` (e.g. http://10.0.0.1:9870), as `user`."""

    def __init__(self, uri: str, http_url: str, user: str) -> None:
        self.uri = uri
        self.http_url = http_url.rstrip("/")
        self.user = user
        self._client = httpx.Client(timeout=_TIMEOUT, follow_redirects=False)

    def close(self) -> None:
        self._client.close()

    # --- plumbing -----------------------------------------------------------------------

    def _url(self, path: str) -> str:
        return f"{self.http_url}/webhdfs/v1{quote(path, safe='/')}"

    def _params(self, op: str, **params: Any) -> dict[str, str]:
        query = {"op": op, "user.name": self.user}
        query.update(
            {k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in params.items()}
        )
        return query

    def _error(self, response: httpx.Response, path: str) -> ShellError:
        try:
            remote = json.loads(response.read())["RemoteException"]
            exception, message = str(remote["exception"]), str(remote.get("message", ""))
        except (ValueError, KeyError, TypeError):
            return RemoteError("IOException", f"HTTP {response.status_code} from {response.url}")
        if exception == "FileNotFoundException":
            return PathNotFoundError(path)
        if exception == "FileAlreadyExistsException":
            return PathExistsError(path)
        if exception == "ParentNotDirectoryException":
            return PathIsNotDirectoryError(path)
        if exception == "PathIsNotEmptyDirectoryException":
            return PathIsNotEmptyDirectoryError(path)
        return RemoteError(exception, message)

    def _unreachable(self, exc: httpx.HTTPError) -> RemoteError:
        """Hadoop's wording for a NameNode that does not answer."""
        authority = self.uri.removeprefix("hdfs://")
        where = f"Call From {socket.gethostname()} to {authority}"
        if isinstance(exc, httpx.ConnectError):
            return RemoteError(
                "ConnectException",
                f"{where} failed on connection exception: java.net.ConnectException: Connection "
                "refused; For more details see:  http://wiki.apache.org/hadoop/ConnectionRefused",
            )
        return RemoteError("IOException", f"{where} failed: {exc}")

    def _request(self, method: str, path: str, op: str, **params: Any) -> httpx.Response:
        """One call to the NameNode; its errors as RemoteError."""
        try:
            response = self._client.request(
                method, self._url(path), params=self._params(op, **params)
            )
        except httpx.HTTPError as exc:
            raise self._unreachable(exc) from exc
        if response.status_code >= 400:
            raise self._error(response, path)
        return response

    def _call(self, method: str, path: str, op: str, **params: Any) -> Any:
        response = self._request(method, path, op, **params)
        return response.json() if response.content else None

    def _redirect(self, method: str, path: str, op: str, **params: Any) -> str:
        response = self._request(method, path, op, **params)
        if response.status_code != 307 or "location" not in response.headers:
            raise RemoteError("IOException", f"{op} {path}: no redirect to a DataNode")
        return response.headers["location"]

    def _send(self, method: str, location: str, path: str, chunks: Iterable[bytes]) -> None:
        try:
            response = self._client.request(method, location, content=iter(chunks))
        except httpx.HTTPError as exc:
            raise RemoteError("IOException", f"{method} to {location} failed: {exc}") from exc
        if response.status_code >= 400:
            raise self._error(response, path)

    # --- FileSystem ---------------------------------------------------------------------

    def status(self, path: str) -> FileStatus | None:
        try:
            body = self._call("GET", path, "GETFILESTATUS")
        except PathNotFoundError:
            return None
        return _status(path, body["FileStatus"])

    def list_status(self, path: str) -> list[FileStatus]:
        body = self._call("GET", path, "LISTSTATUS")
        statuses = [_status(path, raw) for raw in body["FileStatuses"]["FileStatus"]]
        if len(statuses) == 1 and statuses[0].path == path and not statuses[0].is_dir:
            raise PathIsNotDirectoryError(path)
        return statuses

    def open(self, path: str, offset: int = 0) -> AbstractContextManager[Iterator[bytes]]:
        location = self._redirect("GET", path, "OPEN", offset=offset)
        return self._stream(location, path)

    @contextmanager
    def _stream(self, location: str, path: str) -> Iterator[Iterator[bytes]]:
        try:
            with self._client.stream("GET", location) as response:
                if response.status_code >= 400:
                    raise self._error(response, path)
                yield response.iter_bytes(CHUNK_SIZE)
        except httpx.HTTPError as exc:
            raise RemoteError("IOException", f"read of {path} failed: {exc}") from exc

    def create(self, path: str, chunks: Iterable[bytes], *, overwrite: bool) -> None:
        location = self._redirect("PUT", path, "CREATE", overwrite=overwrite)
        self._send("PUT", location, path, chunks)

    def append(self, path: str, chunks: Iterable[bytes]) -> None:
        location = self._redirect("POST", path, "APPEND")
        self._send("POST", location, path, chunks)

    def mkdirs(self, path: str) -> bool:
        return bool(self._call("PUT", path, "MKDIRS")["boolean"])

    def delete(self, path: str, *, recursive: bool) -> bool:
        return bool(self._call("DELETE", path, "DELETE", recursive=recursive)["boolean"])

    def rename(self, source: str, destination: str) -> bool:
        return bool(self._call("PUT", source, "RENAME", destination=destination)["boolean"])

    def content_summary(self, path: str) -> ContentSummary:
        raw = self._call("GET", path, "GETCONTENTSUMMARY")["ContentSummary"]
        return ContentSummary(
            length=int(raw["length"]),
            file_count=int(raw["fileCount"]),
            directory_count=int(raw["directoryCount"]),
            space_consumed=int(raw["spaceConsumed"]),
            quota=int(raw.get("quota", -1)),
            space_quota=int(raw.get("spaceQuota", -1)),
        )

    def set_permission(self, path: str, permission: int) -> None:
        self._call("PUT", path, "SETPERMISSION", permission=format(permission, "o"))

    def set_owner(self, path: str, owner: str | None, group: str | None) -> None:
        params = {k: v for k, v in (("owner", owner), ("group", group)) if v}
        self._call("PUT", path, "SETOWNER", **params)

    def set_replication(self, path: str, replication: int) -> bool:
        return bool(self._call("PUT", path, "SETREPLICATION", replication=replication)["boolean"])

    def set_times(self, path: str, modification_time: int, access_time: int) -> None:
        self._call(
            "PUT", path, "SETTIMES", modificationtime=modification_time, accesstime=access_time
        )

    def fs_status(self, path: str) -> FsStatus:
        raw = self._call("GET", path, "GETSTATUS")["FsStatus"]
        return FsStatus(int(raw["capacity"]), int(raw["used"]), int(raw["remaining"]))

    def checksum(self, path: str) -> Checksum | None:
        location = self._redirect("GET", path, "GETFILECHECKSUM")
        try:
            response = self._client.get(location)
        except httpx.HTTPError as exc:
            raise RemoteError("IOException", f"checksum of {path} failed: {exc}") from exc
        if response.status_code >= 400:
            raise self._error(response, path)
        raw = response.json()["FileChecksum"]
        return Checksum(str(raw["algorithm"]), str(raw["bytes"]))

    def block_replicas(self, path: str) -> list[int]:
        body = self._call("GET", path, "GETFILEBLOCKLOCATIONS")
        return [len(b["hosts"]) for b in body["BlockLocations"]["BlockLocation"]]
