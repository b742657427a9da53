"""Commands with a destination (Hadoop's CommandWithDestination): -put/-copyFromLocal,
-moveFromLocal, -get/-copyToLocal, -cp, -mv, and -getmerge, -appendToFile.

A copy writes `<target>._COPYING_` and renames it into place, so a failed copy leaves no
final file (S3 targets are written directly: an object appears whole or not at all).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from typing import ClassVar

from emr.hdfs.shell.command import Command
from emr.hdfs.shell.errors import (
    PathExistsError,
    PathIOError,
    PathIsDirectoryError,
    PathIsNotDirectoryError,
    PathNotFoundError,
    ShellError,
)
from emr.hdfs.shell.filesystem import CHUNK_SIZE
from emr.hdfs.shell.items import Item
from emr.hdfs.shell.options import ParsedOptions, parse_options

__all__ = [
    "AppendToFile",
    "CopyFromLocal",
    "CopyToLocal",
    "Cp",
    "GetMerge",
    "MoveFromLocal",
    "Mv",
]

_COPYING = "._COPYING_"
_S3 = ("s3", "s3a", "s3n")


def _parent(path: str) -> str:
    return path.rstrip("/").rsplit("/", 1)[0] or "/"


def _stdin_chunks(command: Command) -> Iterator[bytes]:
    return iter(lambda: command.streams.stdin.read(CHUNK_SIZE), b"")


class CommandWithDestination(Command):
    """Sources, then one destination; directories are copied recursively."""

    flags: tuple[str, ...] = ("f", "p")
    local_sources = False
    local_destination = False

    def process_options(self, args: list[str]) -> list[str]:
        args = self._preserve_option(args)
        opts = parse_options(args, min_args=1, flags=self.flags, with_value=("t", "q"))
        self.overwrite = "f" in opts
        self.direct = "d" in opts
        self.apply_options(opts)
        rest = opts.args
        destination = rest.pop() if len(rest) >= 2 else "."
        self.dst = (
            self.context.local_item(destination)
            if self.local_destination
            else self.context.item(destination)
        )
        self.depth = 0
        self.recursive = True
        return rest

    def _preserve_option(self, args: list[str]) -> list[str]:
        self.preserve = False
        kept = []
        for index, arg in enumerate(args):
            if arg.startswith("-p") and len(arg) > 1 and set(arg[2:]) <= set("topax"):
                self.preserve = True
                continue
            if not arg.startswith("-") or arg == "-":
                kept.extend(args[index:])
                break
            kept.append(arg)
        return kept

    def apply_options(self, opts: ParsedOptions) -> None:
        """Options a subclass adds."""

    def expand_argument(self, arg: str) -> list[Item]:
        return self.context.expand(arg, local=self.local_sources)

    def process_arguments(self, items: list[Item]) -> None:
        dst = self.dst
        if len(items) > 1:
            if not dst.exists:
                raise PathNotFoundError(dst.display)
            if not dst.is_dir:
                raise PathIsNotDirectoryError(dst.display)
        elif dst.exists:
            if not dst.is_dir and not self.overwrite:
                raise PathExistsError(dst.display)
        elif dst.location.scheme not in _S3 and dst.fs.status(_parent(dst.path)) is None:
            # Object stores have no parent to check: a key's "directories" are implied.
            raise PathNotFoundError(dst.display, qualified=dst.location.qualified)
        super().process_arguments(items)

    def target_for(self, src: Item) -> Item:
        name = src.path.rstrip("/").rsplit("/", 1)[-1] or src.display
        if self.depth > 0 or self.dst.is_dir or self.dst.display.endswith("/"):
            return self.dst.child_named(name)
        return self.dst

    def process_path_argument(self, src: Item) -> None:
        if src.is_dir and src.fs is self.dst.fs:
            target = self.target_for(src)
            if target.path == src.path:
                raise PathIOError(src.display, "are identical", target=target.location.qualified)
            if target.path.startswith(src.path.rstrip("/") + "/"):
                raise PathIOError(src.display, "is a subdirectory of itself", target=target.display)
        super().process_path_argument(src)

    def process_path(self, src: Item) -> None:
        if src.is_dir:
            return
        self.copy_file(src, self.target_for(src))

    def recurse_path(self, src: Item) -> None:
        target = self.target_for(src)
        if target.exists:
            if not target.is_dir:
                raise PathIsNotDirectoryError(target.display)
        else:
            if not target.fs.mkdirs(target.path):
                raise PathIOError(target.display)
            target = target.refreshed()
        saved, self.dst = self.dst, target
        self.depth += 1
        try:
            super().recurse_path(src)
        finally:
            self.depth -= 1
            self.dst = saved

    def copy_file(self, src: Item, target: Item) -> None:
        with src.fs.open(src.path) as chunks:
            self.copy_stream(chunks, target)
        if self.preserve and src.status is not None:
            self._preserve(src, target)

    def copy_stream(self, chunks: Iterable[bytes], target: Item) -> None:
        if target.exists and (target.is_dir or not self.overwrite):
            raise PathExistsError(target.display)
        if self.direct or target.location.scheme in _S3:
            target.fs.create(target.path, chunks, overwrite=True)
            return
        temporary = target.path + _COPYING
        try:
            target.fs.create(temporary, chunks, overwrite=True)
            if target.exists:
                target.fs.delete(target.path, recursive=False)
            if not target.fs.rename(temporary, target.path):
                raise PathIOError(target.display)
        except BaseException:
            with contextlib.suppress(ShellError):
                target.fs.delete(temporary, recursive=False)
            raise

    def _preserve(self, src: Item, target: Item) -> None:
        status = src.status
        assert status is not None
        try:
            target.fs.set_times(target.path, status.modification_time, status.access_time)
            target.fs.set_permission(target.path, status.permission)
        except ShellError:
            pass


class CopyFromLocal(CommandWithDestination):
    names: ClassVar[tuple[str, ...]] = ("put", "copyFromLocal")
    usage = (
        "[-f] [-p] [-l] [-d] [-t <thread count>] [-q <thread pool queue size>] <localsrc> ... <dst>"
    )
    description = (
        "Copy files from the local file system into fs. Copying fails if the file already "
        "exists, unless the -f flag is given.\n  -p  Preserves timestamps, ownership and the "
        "mode.\n  -f  Overwrites the destination if it already exists.\n  -d  Skip creation "
        "of temporary file(<dst>._COPYING_).\nWhen <localsrc> is -, reads from stdin."
    )
    flags: tuple[str, ...] = ("f", "p", "l", "d")
    local_sources = True

    def process_raw_arguments(self, args: list[str]) -> None:
        if args == ["-"]:
            target = self.dst
            if target.is_dir:
                target = target.child_named("-")
            self.process_stdin(target)
            return
        super().process_raw_arguments(args)

    def process_stdin(self, target: Item) -> None:
        try:
            self.copy_stream(_stdin_chunks(self), target)
        except ShellError as error:
            self.display_error(error, target)


class MoveFromLocal(CopyFromLocal):
    names = ("moveFromLocal",)
    usage = "[-f] [-p] [-l] [-d] <localsrc> ... <dst>"
    description = "Same as -put, except that the source is deleted after it's copied."

    def post_process_path(self, src: Item) -> None:
        src.fs.delete(src.path, recursive=True)


class CopyToLocal(CommandWithDestination):
    names = ("get", "copyToLocal")
    usage = "[-f] [-p] [-crc] [-ignoreCrc] [-t <thread count>] [-q <thread pool queue size>] <src> ... <localdst>"
    description = (
        "Copy files that match the file pattern <src> to the local name.  <src> is kept.  "
        "When copying multiple files, the destination must be a directory."
    )
    flags = ("f", "p", "crc", "ignoreCrc")
    local_destination = True


class Cp(CommandWithDestination):
    names = ("cp",)
    usage = "[-f] [-p | -p[topax]] [-d] [-t <thread count>] [-q <thread pool queue size>] <src> ... <dst>"
    description = (
        "Copy files that match the file pattern <src> to a destination.  When copying "
        "multiple files, the destination must be a directory."
    )
    flags = ("f", "p", "d")


class Mv(CommandWithDestination):
    names = ("mv",)
    usage = "<src> ... <dst>"
    description = (
        "Move files that match the specified file pattern <src> to a destination <dst>.  "
        "When moving multiple files, the destination must be a directory."
    )
    flags = ()

    def process_options(self, args: list[str]) -> list[str]:
        parse_options(args, min_args=2)
        rest = super().process_options(args)
        self.recursive = False
        return rest

    def process_path_argument(self, src: Item) -> None:
        self.process_paths(None, [src])

    def process_path(self, src: Item) -> None:
        target = self.target_for(src)
        if src.location.scheme != target.location.scheme or (
            src.location.authority.split(":")[0] != target.location.authority.split(":")[0]
        ):
            raise PathIOError(src.display, "Does not match target filesystem")
        if target.exists:
            raise PathExistsError(target.display)
        if not target.fs.rename(src.path, target.path):
            raise PathIOError(src.display)


class GetMerge(Command):
    names = ("getmerge",)
    usage = "[-nl] [-skip-empty-file] <src> <localdst>"
    description = (
        "Get all the files in the directories that match the source file pattern and merge "
        "and sort them to only one file on local fs. <src> is kept.\n  -nl  Add a newline "
        "character at the end of each file.\n  -skip-empty-file  Do not add new line "
        "character for empty file."
    )

    def process_options(self, args: list[str]) -> list[str]:
        opts = parse_options(args, min_args=2, flags=("nl", "skip-empty-file"))
        self.newline = "nl" in opts
        self.skip_empty = "skip-empty-file" in opts
        rest = opts.args
        self.dst = self.context.local_item(rest.pop())
        return rest

    def process_arguments(self, items: list[Item]) -> None:
        if self.dst.is_dir:
            raise PathIsDirectoryError(self.dst.display)
        files: list[Item] = []
        for item in items:
            if item.is_dir:
                files.extend(c for c in self.children(item) if not c.is_dir)
            elif item.exists:
                files.append(item)
            else:
                self.display_error(PathNotFoundError(item.display))
        self.dst.fs.create(self.dst.path, self._merged(files), overwrite=True)

    def _merged(self, files: list[Item]) -> Iterator[bytes]:
        for item in files:
            assert item.status is not None
            if self.skip_empty and item.status.length == 0:
                continue
            with item.fs.open(item.path) as chunks:
                yield from chunks
            if self.newline:
                yield b"\n"


class AppendToFile(Command):
    names = ("appendToFile",)
    usage = "<localsrc> ... <dst>"
    description = (
        "Appends the contents of all the given local files to the given dst file. The dst "
        "file will be created if it does not exist. If <localSrc> is -, then the input is "
        "read from stdin."
    )

    def process_options(self, args: list[str]) -> list[str]:
        rest = parse_options(args, min_args=2).args
        self.dst = self.context.item(rest.pop())
        return rest

    def process_raw_arguments(self, args: list[str]) -> None:
        sources: list[list[Item] | None] = []
        for arg in args:
            if arg == "-":
                sources.append(None)
                continue
            items = self.context.expand(arg, local=True)
            for item in items:
                if not item.exists:
                    raise PathNotFoundError(item.display)
            sources.append(items)
        if self.dst.is_dir:
            raise PathIsDirectoryError(self.dst.display)
        chunks = self._chunks(sources)
        if self.dst.exists:
            self.dst.fs.append(self.dst.path, chunks)
        else:
            self.dst.fs.create(self.dst.path, chunks, overwrite=False)

    def _chunks(self, sources: list[list[Item] | None]) -> Iterator[bytes]:
        for items in sources:
            if items is None:
                yield from _stdin_chunks(self)
                continue
            for item in items:
                with item.fs.open(item.path) as chunks:
                    yield from chunks
