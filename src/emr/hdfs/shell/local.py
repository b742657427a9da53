"""The local disk (`file://` paths and the local side of -put/-get)."""

from __future__ import annotations

import grp
import os
import pwd
import shutil
import stat as st
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager

from emr.hdfs.shell.errors import (
    PathExistsError,
    PathIsNotDirectoryError,
    PathNotFoundError,
    RemoteError,
)
from emr.hdfs.shell.filesystem import CHUNK_SIZE, ContentSummary, FileStatus, FileSystem, FsStatus

__all__ = ["LocalFileSystem"]


def _name(lookup: str, ident: int) -> str:
    try:
        return pwd.getpwuid(ident).pw_name if lookup == "user" else grp.getgrgid(ident).gr_name
    except KeyError:
        return str(ident)


def _os_error(exc: OSError, path: str) -> Exception:
    if isinstance(exc, FileNotFoundError):
        return PathNotFoundError(path)
    if isinstance(exc, FileExistsError):
        return PathExistsError(path)
    if isinstance(exc, NotADirectoryError):
        return PathIsNotDirectoryError(path)
    return RemoteError(type(exc).__name__, f"{exc.strerror or exc}: {path}")


class LocalFileSystem(FileSystem):
    uri = "file:///"

    def _status(self, path: str, info: os.stat_result) -> FileStatus:
        return FileStatus(
            path=path,
            is_dir=st.S_ISDIR(info.st_mode),
            length=0 if st.S_ISDIR(info.st_mode) else info.st_size,
            replication=1,
            block_size=32 * 1024 * 1024,
            owner=_name("user", info.st_uid),
            group=_name("group", info.st_gid),
            permission=st.S_IMODE(info.st_mode) & 0o1777,
            modification_time=int(info.st_mtime * 1000),
            access_time=int(info.st_atime * 1000),
        )

    def status(self, path: str) -> FileStatus | None:
        try:
            return self._status(path, os.stat(path))
        except (FileNotFoundError, NotADirectoryError):
            return None

    def list_status(self, path: str) -> list[FileStatus]:
        try:
            names = sorted(os.listdir(path))
        except OSError as exc:
            raise _os_error(exc, path) from exc
        statuses = []
        for name in names:
            child = os.path.join(path, name)
            found = self.status(child)
            if found is not None:
                statuses.append(found)
        return statuses

    def open(self, path: str, offset: int = 0) -> AbstractContextManager[Iterator[bytes]]:
        return self._read(path, offset)

    @contextmanager
    def _read(self, path: str, offset: int) -> Iterator[Iterator[bytes]]:
        try:
            file = open(path, "rb")  # noqa: SIM115 (closed below, after the caller's loop)
        except OSError as exc:
            raise _os_error(exc, path) from exc
        with file:
            file.seek(offset)
            yield iter(lambda: file.read(CHUNK_SIZE), b"")

    def create(self, path: str, chunks: Iterable[bytes], *, overwrite: bool) -> None:
        try:
            with open(path, "wb" if overwrite else "xb") as file:
                for chunk in chunks:
                    file.write(chunk)
        except OSError as exc:
            raise _os_error(exc, path) from exc

    def append(self, path: str, chunks: Iterable[bytes]) -> None:
        try:
            with open(path, "ab") as file:
                for chunk in chunks:
                    file.write(chunk)
        except OSError as exc:
            raise _os_error(exc, path) from exc

    def mkdirs(self, path: str) -> bool:
        try:
            os.makedirs(path, exist_ok=True)
        except OSError as exc:
            raise _os_error(exc, path) from exc
        return True

    def delete(self, path: str, *, recursive: bool) -> bool:
        try:
            if os.path.isdir(path) and not os.path.islink(path):
                if recursive:
                    shutil.rmtree(path)
                else:
                    os.rmdir(path)
            else:
                os.remove(path)
        except FileNotFoundError:
            return False
        except OSError as exc:
            raise _os_error(exc, path) from exc
        return True

    def rename(self, source: str, destination: str) -> bool:
        try:
            os.rename(source, destination)
        except OSError as exc:
            raise _os_error(exc, source) from exc
        return True

    def content_summary(self, path: str) -> ContentSummary:
        files = dirs = length = 0
        if os.path.isdir(path):
            for _root, dirnames, filenames in os.walk(path):
                dirs += 1
                files += len(filenames)
                length += sum(os.path.getsize(os.path.join(_root, n)) for n in filenames)
                del dirnames[:0]
        else:
            files, length = 1, os.path.getsize(path)
        return ContentSummary(length, files, dirs, length)

    def set_permission(self, path: str, permission: int) -> None:
        os.chmod(path, permission)

    def set_times(self, path: str, modification_time: int, access_time: int) -> None:
        info = os.stat(path)
        atime = access_time / 1000 if access_time >= 0 else info.st_atime
        mtime = modification_time / 1000 if modification_time >= 0 else info.st_mtime
        os.utime(path, (atime, mtime))

    def fs_status(self, path: str) -> FsStatus:
        usage = shutil.disk_usage(path)
        return FsStatus(usage.total, usage.used, usage.free)
