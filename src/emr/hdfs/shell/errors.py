"""What the FS shell prints when something fails, as Hadoop's FsShell words it.

    ShellError                        printed as `<cmd>: <message>`; the command exits 1
    ├── PathIOError                   Hadoop's PathIOException: "`<path>'[ to `<target>']:
    │                                 <reason>[: `<fully qualified path>']"
    │   ├── PathNotFoundError         No such file or directory
    │   ├── PathExistsError           File exists
    │   ├── PathIsDirectoryError      Is a directory
    │   ├── PathIsNotDirectoryError   Is not a directory
    │   ├── PathIsNotEmptyDirectoryError  Directory is not empty
    │   └── PathOperationError        Operation not supported
    └── RemoteError                   an error the server answered (WebHDFS RemoteException,
                                      S3 error), its message verbatim (first line)
    UsageError                        Hadoop's IllegalArgumentException from option parsing:
                                      `-<cmd>: <message>` plus the command's usage, exit 255

Backends raise PathIOErrors naming the path inside their filesystem; the command loop renames
the path to what the user typed (`PathIOError.path` is mutable for that).
"""

from __future__ import annotations

from typing import ClassVar

__all__ = [
    "PathExistsError",
    "PathIOError",
    "PathIsDirectoryError",
    "PathIsNotDirectoryError",
    "PathIsNotEmptyDirectoryError",
    "PathNotFoundError",
    "PathOperationError",
    "RemoteError",
    "ShellError",
    "UsageError",
]


class ShellError(Exception):
    """An error a command reports on stderr as `<cmd>: <message>`."""

    @property
    def message(self) -> str:
        return str(self)


class PathIOError(ShellError):
    """Hadoop's PathIOException: a path and what went wrong with it."""

    reason: ClassVar[str] = "Input/output error"

    def __init__(
        self,
        path: str,
        reason: str | None = None,
        *,
        target: str | None = None,
        qualified: str | None = None,
    ) -> None:
        super().__init__(path)
        self.path = path
        self.detail = reason
        self.target = target
        self.qualified = qualified

    def __str__(self) -> str:
        text = f"`{self.path}'"
        if self.target is not None:
            text += f" to `{self.target}'"
        text += f": {self.detail or self.reason}"
        if self.qualified is not None and self.qualified != self.path:
            text += f": `{self.qualified}'"
        return text


class PathNotFoundError(PathIOError):
    reason = "No such file or directory"


class PathExistsError(PathIOError):
    reason = "File exists"


class PathIsDirectoryError(PathIOError):
    reason = "Is a directory"


class PathIsNotDirectoryError(PathIOError):
    reason = "Is not a directory"


class PathIsNotEmptyDirectoryError(PathIOError):
    reason = "Directory is not empty"


class PathOperationError(PathIOError):
    reason = "Operation not supported"


class RemoteError(ShellError):
    """A server's error: `exception` is its Java simple name (or S3 code)."""

    def __init__(self, exception: str, message: str) -> None:
        super().__init__(message)
        self.exception = exception

    def __str__(self) -> str:
        text = str(self.args[0])
        return text.split("\n", 1)[0]


class UsageError(ValueError):
    """Bad options or arguments: the shell prints the command's usage and exits -1."""
