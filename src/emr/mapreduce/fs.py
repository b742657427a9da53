"""The filesystems a job reads and writes, by URI: the `hadoop fs` shell's backends
(emr.hdfs.shell: hdfs:// over WebHDFS, s3://, s3a://, s3n:// over the S3 protocol, file:)
resolved against the node's configuration as `hadoop fs` resolves them."""

from __future__ import annotations

import os
from collections.abc import Mapping
from types import TracebackType

from emr.hdfs.shell.errors import PathNotFoundError
from emr.hdfs.shell.filesystem import FileStatus, FileSystem
from emr.hdfs.shell.items import Context
from emr.hdfs.shell.paths import parse_path
from emr.hdfs.site import HadoopConf, current_user

__all__ = ["JobFileSystems"]


class JobFileSystems:
    """One backend per (scheme, authority), opened on first use; close it when done."""

    def __init__(self, environ: Mapping[str, str] | None = None, user: str = "") -> None:
        environ = os.environ if environ is None else environ
        self._context = Context(HadoopConf.load(environ), user or current_user(environ), environ)

    def __enter__(self) -> JobFileSystems:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._context.close()

    def qualify(self, text: str) -> str:
        """`text` made absolute and qualified: `out` → `hdfs://10.0.0.1:8020/user/hadoop/out`."""
        return self._context.locate(parse_path(text)).qualified

    def resolve(self, uri: str) -> tuple[FileSystem, str]:
        """The backend holding `uri` (any form `hadoop fs` accepts) and the path inside it."""
        location = self._context.locate(parse_path(uri))
        return self._context.filesystem(location), location.path

    def glob(self, pattern: str) -> list[tuple[str, FileStatus]]:
        """Qualified URIs and statuses of what `pattern` matches, sorted (Hadoop's globStatus);
        a pattern without wildcards gives itself if it exists. Empty when nothing matches."""
        found = []
        try:
            items = self._context.expand(pattern)
        except PathNotFoundError:
            return []
        for item in items:
            if item.status is not None:
                found.append((item.location.qualified, item.status))
        return found
