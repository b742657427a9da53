"""Hadoop's Command: options, then each argument expanded (globs), then each path processed,
errors counted per path. A command exits 1 if any path failed, else its own exit code."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import BinaryIO, ClassVar, TextIO

from emr.hdfs.shell.errors import PathIOError, PathNotFoundError, ShellError
from emr.hdfs.shell.items import Context, Item

__all__ = ["Command", "Streams"]


@dataclass
class Streams:
    """Where a command reads and writes: bytes out (cat prints raw bytes), text errors."""

    stdout: BinaryIO
    stderr: TextIO
    stdin: BinaryIO


class Command:
    """One FS shell command. Subclasses set `names`, `usage`, `description` and override the
    hooks they need (the hooks are Hadoop's, named in Python)."""

    names: ClassVar[tuple[str, ...]] = ()
    usage: ClassVar[str] = ""
    description: ClassVar[str] = ""

    def __init__(self, context: Context, streams: Streams) -> None:
        self.context = context
        self.streams = streams
        self.exit_code = 0
        self.errors = 0
        self.recursive = False

    @property
    def name(self) -> str:
        return self.names[0]

    # --- output -----------------------------------------------------------------------------

    def print(self, line: str = "", end: str = "\n") -> None:
        self.streams.stdout.write((line + end).encode("utf-8", "surrogateescape"))

    def flush(self) -> None:
        self.streams.stdout.flush()

    def display_error(self, error: ShellError, item: Item | None = None) -> None:
        if item is not None and isinstance(error, PathIOError) and error.path == item.path:
            error.path = item.display
        self.errors += 1
        self.display_warning(error.message)

    def display_warning(self, message: str) -> None:
        self.flush()
        self.streams.stderr.write(f"{self.name}: {message}\n")
        self.streams.stderr.flush()

    # --- the processing chain ---------------------------------------------------------------

    def run(self, args: list[str]) -> int:
        """Options (UsageError escapes to the shell), then the arguments."""
        rest = self.process_options(args)
        try:
            self.process_raw_arguments(rest)
        except ShellError as error:
            self.display_error(error)
        self.flush()
        return 1 if self.errors else self.exit_code

    def process_options(self, args: list[str]) -> list[str]:
        return args

    def process_raw_arguments(self, args: list[str]) -> None:
        self.process_arguments(self.expand_arguments(args))

    def expand_arguments(self, args: list[str]) -> list[Item]:
        items: list[Item] = []
        for arg in args:
            try:
                items.extend(self.expand_argument(arg))
            except ShellError as error:
                self.display_error(error)
        return items

    def expand_argument(self, arg: str) -> list[Item]:
        return self.context.expand(arg)

    def process_arguments(self, items: list[Item]) -> None:
        for item in items:
            self.guarded(item, self.process_argument)

    def guarded(self, item: Item, action: Callable[[Item], None]) -> None:
        try:
            action(item)
        except ShellError as error:
            self.display_error(error, item)

    def process_argument(self, item: Item) -> None:
        if item.exists:
            self.process_path_argument(item)
        else:
            self.process_nonexistent_path(item)

    def process_path_argument(self, item: Item) -> None:
        self.process_paths(None, [item])

    def process_nonexistent_path(self, item: Item) -> None:
        raise PathNotFoundError(item.display)

    def process_paths(self, parent: Item | None, items: list[Item]) -> None:
        for item in items:
            self.guarded(item, self._process_one)

    def _process_one(self, item: Item) -> None:
        self.process_path(item)
        if self.recursive and item.is_dir:
            self.recurse_path(item)
        self.post_process_path(item)

    def process_path(self, item: Item) -> None:
        """What the command does to one existing path."""

    def post_process_path(self, item: Item) -> None:
        """After a path and (when recursive) its children."""

    def children(self, item: Item) -> list[Item]:
        children = [item.child(status) for status in item.fs.list_status(item.path)]
        return sorted(children, key=lambda child: child.path)

    def recurse_path(self, item: Item) -> None:
        self.process_paths(item, self.children(item))
