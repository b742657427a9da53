"""The two small steps every durable write here is made of (the S3 store, the NameNode's edit
log, the DataNode's replicas): write every byte, and fsync the directory after a rename."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["fsync_directory", "write_all"]


def fsync_directory(path: Path) -> None:
    """Make the directory's entries (a created or renamed file) durable."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_all(fd: int, data: bytes | memoryview) -> None:
    """os.write until every byte is written (it may write fewer)."""
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]
