"""Path arguments → items: which filesystem, which path inside it, how to print it.

`Context` resolves a typed path against the configuration (fs.defaultFS, the working
directory /user/<user>) and keeps one backend per filesystem; `Context.expand` is Hadoop's
PathData.expandAsGlob: a glob lists what it matches, printed in the form it was given.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace

from emr.hdfs.ports import NAMENODE_RPC_PORT
from emr.hdfs.shell.errors import PathIsNotDirectoryError, PathNotFoundError, RemoteError
from emr.hdfs.shell.filesystem import FileStatus, FileSystem
from emr.hdfs.shell.paths import (
    ParsedPath,
    expand_braces,
    glob_regex,
    has_glob,
    join_display,
    parse_path,
    relative_display,
    unescape,
)
from emr.hdfs.site import HadoopConf

__all__ = ["Context", "Item", "Location"]

_HDFS = ("hdfs", "webhdfs")
_S3 = ("s3", "s3a", "s3n")


@dataclass(frozen=True)
class Location:
    """A filesystem (scheme, authority) and an absolute path in it."""

    scheme: str
    authority: str
    path: str

    @property
    def qualified(self) -> str:
        """As Hadoop's makeQualified prints it: `hdfs://nn:8020/p`, `file:/p`, `s3a://b/k`."""
        if self.scheme == "file":
            return f"file:{self.path}"
        return f"{self.scheme}://{self.authority}{self.path}"


@dataclass(frozen=True)
class Item:
    """Hadoop's PathData: where it is, how it prints, and its status (None: does not exist)."""

    fs: FileSystem
    location: Location
    display: str
    status: FileStatus | None

    @property
    def exists(self) -> bool:
        return self.status is not None

    @property
    def path(self) -> str:
        return self.location.path

    @property
    def is_dir(self) -> bool:
        return self.status is not None and self.status.is_dir

    def child(self, status: FileStatus) -> Item:
        location = replace(self.location, path=status.path)
        return Item(self.fs, location, join_display(self.display, status.name), status)

    def child_named(self, name: str) -> Item:
        path = self.path.rstrip("/") + "/" + name
        location = replace(self.location, path=path)
        return Item(self.fs, location, join_display(self.display, name), self.fs.status(path))

    def refreshed(self) -> Item:
        return replace(self, status=self.fs.status(self.path))


class Context:
    """The configuration, the user, and the backends opened so far (closed by `close`)."""

    def __init__(self, conf: HadoopConf, user: str, environ: Mapping[str, str]) -> None:
        self.conf = conf
        self.user = user
        self.environ = environ
        self.default = parse_path(conf.default_fs)
        self._filesystems: dict[tuple[str, str], FileSystem] = {}

    def close(self) -> None:
        for fs in self._filesystems.values():
            fs.close()
        self._filesystems.clear()

    # --- resolution ----------------------------------------------------------------------

    def working_directory(self, scheme: str) -> str:
        if scheme == "file":
            return os.getcwd()
        return f"/user/{self.user}"

    def locate(self, parsed: ParsedPath) -> Location:
        scheme = parsed.scheme or self.default.scheme or "file"
        authority = parsed.authority or ""
        if parsed.scheme is None or (scheme == self.default.scheme and not authority):
            authority = self.default.authority or ""
        path = parsed.path
        if not path.startswith("/"):
            base = self.working_directory(scheme)
            path = base if path in ("", ".") else f"{base.rstrip('/')}/{path}"
            path = parse_path(path).path
        return Location(scheme, authority, path)

    def filesystem(self, location: Location) -> FileSystem:
        key = (location.scheme, location.authority)
        if key in self._filesystems:
            return self._filesystems[key]
        fs: FileSystem
        if location.scheme in _HDFS:
            fs = self._hdfs(location)
        elif location.scheme in _S3:
            from emr.hdfs.shell.s3 import S3FileSystem

            if not location.authority:
                raise RemoteError("IOException", f"No bucket in {location.scheme}:// URI")
            fs = S3FileSystem(location.scheme, location.authority, self.user)
        elif location.scheme == "file":
            from emr.hdfs.shell.local import LocalFileSystem

            fs = LocalFileSystem()
        else:
            raise RemoteError(
                "UnsupportedFileSystemException",
                f'No FileSystem for scheme "{location.scheme}"',
            )
        self._filesystems[key] = fs
        return fs

    def _hdfs(self, location: Location) -> FileSystem:
        from emr.hdfs.shell.webhdfs import WebHdfsFileSystem

        default_authority = self.default.authority or ""
        if self.default.scheme in _HDFS and location.authority == default_authority:
            http = self.conf.namenode_http
        else:
            host, _, port = location.authority.partition(":")
            http = f"http://{host}:{port or NAMENODE_RPC_PORT}"
        uri = f"hdfs://{location.authority}"
        return WebHdfsFileSystem(uri, http, self.user)

    # --- items ---------------------------------------------------------------------------

    def item(self, text: str) -> Item:
        """One path argument, not globbed (e.g. a destination)."""
        parsed = parse_path(text)
        location = self.locate(parsed)
        fs = self.filesystem(location)
        return Item(fs, location, str(parsed), fs.status(location.path))

    def local_item(self, text: str) -> Item:
        """A local path (the local side of -put/-get): `file:` or a plain path."""
        parsed = parse_path(text)
        if parsed.scheme is None:
            parsed = ParsedPath(None, None, parsed.path)
            location = Location("file", "", os.path.abspath(parsed.path))
        else:
            location = self.locate(parsed)
        fs = self.filesystem(location)
        return Item(fs, location, str(parsed), fs.status(location.path))

    def expand(self, text: str, *, local: bool = False) -> list[Item]:
        """PathData.expandAsGlob: matches sorted; a non-glob that does not exist comes back
        with no status; a glob that matches nothing raises PathNotFoundError(text)."""
        if not has_glob(text):
            item = self.local_item(unescape(text)) if local else self.item(unescape(text))
            return [item]
        parsed = parse_path(text)
        if local and parsed.scheme is None:
            location = Location("file", "", os.path.abspath(parsed.path))
        else:
            location = self.locate(parsed)
        fs = self.filesystem(location)
        matches: dict[str, FileStatus] = {}
        for pattern in expand_braces(location.path):
            for status in _glob(fs, pattern):
                matches.setdefault(status.path, status)
        if not matches:
            raise PathNotFoundError(text)
        cwd = os.getcwd() if location.scheme == "file" else self.working_directory("hdfs")
        items = []
        for path, status in sorted(matches.items()):
            if parsed.scheme is not None:
                display = parsed.prefix + path
            elif parsed.is_absolute:
                display = path
            else:
                display = relative_display(cwd, path)
            items.append(
                Item(fs, Location(location.scheme, location.authority, path), display, status)
            )
        return items


def _glob(fs: FileSystem, pattern: str) -> list[FileStatus]:
    """Globber: walk the pattern component by component, listing only where a wildcard is."""
    components = [c for c in pattern.split("/") if c]
    candidates: list[tuple[str, FileStatus | None]] = [("/", None)]
    for index, component in enumerate(components):
        last = index == len(components) - 1
        following: list[tuple[str, FileStatus | None]] = []
        for base, _ in candidates:
            if has_glob(component):
                try:
                    children = fs.list_status(base)
                except (PathNotFoundError, PathIsNotDirectoryError):
                    continue
                regex = glob_regex(component)
                for child in children:
                    if regex.fullmatch(child.name) and (last or child.is_dir):
                        following.append((child.path, child))
            else:
                path = base.rstrip("/") + "/" + unescape(component)
                following.append((path, None))
        candidates = following
        if not candidates:
            return []
    results = []
    for path, status in candidates:
        found = status or fs.status(path)
        if found is not None:
            results.append(found)
    return results
