"""The one interface the shell's commands use, whatever the scheme: `FileSystem`.

Backends (by scheme): hdfs/webhdfs → webhdfs.WebHdfsFileSystem, s3/s3a/s3n →
s3.S3FileSystem, file → local.LocalFileSystem. Paths given to a backend are absolute paths
inside it (`/user/hadoop/x`; for S3 `/key` within the bucket). Bodies are iterators of bytes
chunks both ways, so no file is ever held whole in memory.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass

from emr.hdfs.shell.errors import PathOperationError

__all__ = [
    "CHUNK_SIZE",
    "Checksum",
    "ContentSummary",
    "FileStatus",
    "FileSystem",
    "FsStatus",
]

#: Bytes moved per read/write call.
CHUNK_SIZE = 1 << 20


@dataclass(frozen=True)
class FileStatus:
    """Hadoop's FileStatus, with `path` absolute inside its filesystem."""

    path: str
    is_dir: bool
    length: int = 0
    replication: int = 0
    block_size: int = 0
    owner: str = ""
    group: str = ""
    permission: int = 0o755
    modification_time: int = 0
    access_time: int = 0

    @property
    def name(self) -> str:
        return self.path.rstrip("/").rsplit("/", 1)[-1]


@dataclass(frozen=True)
class ContentSummary:
    length: int
    file_count: int
    directory_count: int
    space_consumed: int
    quota: int = -1
    space_quota: int = -1


@dataclass(frozen=True)
class FsStatus:
    capacity: int
    used: int
    remaining: int


@dataclass(frozen=True)
class Checksum:
    algorithm: str
    hex_bytes: str


class FileSystem(ABC):
    """One filesystem (one NameNode, one bucket, the local disk)."""

    #: How `-df` names it: `hdfs://10.0.0.1:8020`, `s3a://bucket`, `file:///`.
    uri: str

    @abstractmethod
    def status(self, path: str) -> FileStatus | None:
        """The status of `path`, None when it does not exist."""

    @abstractmethod
    def list_status(self, path: str) -> list[FileStatus]:
        """The children of a directory (PathNotFoundError, PathIsNotDirectoryError)."""

    @abstractmethod
    def open(self, path: str, offset: int = 0) -> AbstractContextManager[Iterator[bytes]]:
        """The bytes of a file from `offset`, streamed."""

    @abstractmethod
    def create(self, path: str, chunks: Iterable[bytes], *, overwrite: bool) -> None:
        """Write a new file from a stream of chunks (PathExistsError unless `overwrite`)."""

    @abstractmethod
    def mkdirs(self, path: str) -> bool:
        """Create a directory and its missing parents."""

    @abstractmethod
    def delete(self, path: str, *, recursive: bool) -> bool:
        """Remove a file or directory; False when nothing was removed."""

    @abstractmethod
    def rename(self, source: str, destination: str) -> bool:
        """Move within this filesystem; False when the rename did not happen."""

    @abstractmethod
    def content_summary(self, path: str) -> ContentSummary:
        """Sizes and counts of everything under `path`."""

    def append(self, path: str, chunks: Iterable[bytes]) -> None:
        raise PathOperationError(path)

    def set_permission(self, path: str, permission: int) -> None:
        raise PathOperationError(path)

    def set_owner(self, path: str, owner: str | None, group: str | None) -> None:
        raise PathOperationError(path)

    def set_replication(self, path: str, replication: int) -> bool:
        return False

    def set_times(self, path: str, modification_time: int, access_time: int) -> None:
        raise PathOperationError(path)

    def fs_status(self, path: str) -> FsStatus:
        raise PathOperationError(path)

    def checksum(self, path: str) -> Checksum | None:
        return None

    def block_replicas(self, path: str) -> list[int]:
        """The number of live replicas of each block of a file (for `-setrep -w`)."""
        return []

    def close(self) -> None:  # noqa: B027 (backends without connections need nothing)
        """Release connections."""
