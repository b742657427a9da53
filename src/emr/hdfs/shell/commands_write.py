"""Commands that change the namespace: -mkdir -rm -rmdir -touchz -setrep -chmod -chown -chgrp."""

from __future__ import annotations

import time
from dataclasses import replace

from emr.hdfs.shell.command import Command
from emr.hdfs.shell.errors import (
    PathExistsError,
    PathIOError,
    PathIsDirectoryError,
    PathIsNotDirectoryError,
    PathIsNotEmptyDirectoryError,
    PathNotFoundError,
    RemoteError,
    UsageError,
)
from emr.hdfs.shell.items import Item
from emr.hdfs.shell.modes import parse_chgrp, parse_chmod, parse_chown
from emr.hdfs.shell.options import parse_options

__all__ = ["Chgrp", "Chmod", "Chown", "Mkdir", "Rm", "Rmdir", "SetReplication", "Touchz"]

#: How often `-setrep -w` looks at the block locations (Hadoop: 10 s).
SETREP_POLL_S = 1.0


def _parent(path: str) -> str:
    return path.rstrip("/").rsplit("/", 1)[0] or "/"


class Mkdir(Command):
    names = ("mkdir",)
    usage = "[-p] <path> ..."
    description = "Create a directory in specified location.\n  -p  Do not fail if the directory already exists"

    def process_options(self, args: list[str]) -> list[str]:
        opts = parse_options(args, min_args=1, flags=("p",))
        self.parents = "p" in opts
        return opts.args

    def process_path(self, item: Item) -> None:
        if not item.is_dir:
            raise PathIsNotDirectoryError(item.display)
        if not self.parents:
            raise PathExistsError(item.display)

    def process_nonexistent_path(self, item: Item) -> None:
        if not self.parents and item.fs.status(_parent(item.path)) is None:
            parent = replace(item.location, path=_parent(item.path)).qualified
            raise PathNotFoundError(
                f"mkdir failed for path: {item.location.qualified}. "
                f"Item parent path not found: {parent}."
            )
        if not item.fs.mkdirs(item.path):
            raise PathIOError(item.display)


class Rm(Command):
    names = ("rm",)
    usage = "[-f] [-r|-R] [-skipTrash] [-safely] <src> ..."
    description = (
        "Delete all files that match the specified file pattern. Equivalent to the Unix "
        'command "rm <src>"\n  -f  If the file does not exist, do not display a diagnostic '
        "message or modify the exit status to reflect an error.\n  -[rR]  Recursively "
        "deletes directories.\n  -skipTrash  option bypasses trash, if enabled, and "
        "immediately deletes <src>."
    )

    def process_options(self, args: list[str]) -> list[str]:
        opts = parse_options(args, min_args=1, flags=("f", "r", "R", "skipTrash", "safely"))
        self.ignore_missing = "f" in opts
        self.delete_dirs = "r" in opts or "R" in opts
        self.skip_trash = "skipTrash" in opts
        return opts.args

    def expand_argument(self, arg: str) -> list[Item]:
        try:
            return super().expand_argument(arg)
        except PathNotFoundError:
            if self.ignore_missing:
                return []
            raise

    def process_nonexistent_path(self, item: Item) -> None:
        if not self.ignore_missing:
            super().process_nonexistent_path(item)

    def process_path(self, item: Item) -> None:
        if item.is_dir and not self.delete_dirs:
            raise PathIsDirectoryError(item.display)
        if self._move_to_trash(item):
            return
        if not item.fs.delete(item.path, recursive=self.delete_dirs):
            raise PathIOError(item.display)
        self.print(f"Deleted {item.display}")

    def _move_to_trash(self, item: Item) -> bool:
        try:
            interval = float(self.context.conf.get("fs.trash.interval", "0") or 0)
        except ValueError:
            interval = 0
        if self.skip_trash or interval <= 0 or item.location.scheme not in ("hdfs", "webhdfs"):
            return False
        trash = f"/user/{self.context.user}/.Trash/Current"
        if item.path.startswith(f"/user/{self.context.user}/.Trash"):
            return False
        target = trash + item.path
        item.fs.mkdirs(_parent(target))
        if item.fs.status(target) is not None:
            target = f"{target}{int(time.time() * 1000)}"
        if not item.fs.rename(item.path, target):
            return False
        base = f"{item.location.scheme}://{item.location.authority}"
        self.print(f"Moved: '{base}{item.path}' to trash at: {base}{target}")
        return True


class Rmdir(Command):
    names = ("rmdir",)
    usage = "[--ignore-fail-on-non-empty] <dir> ..."
    description = (
        "Removes the directory entry specified by each directory argument, provided it is empty."
    )

    def process_options(self, args: list[str]) -> list[str]:
        opts = parse_options(args, min_args=1, flags=("-ignore-fail-on-non-empty",))
        self.ignore_non_empty = "-ignore-fail-on-non-empty" in opts
        return opts.args

    def process_path(self, item: Item) -> None:
        if not item.is_dir:
            raise PathIsNotDirectoryError(item.display)
        if item.fs.list_status(item.path):
            if not self.ignore_non_empty:
                raise PathIsNotEmptyDirectoryError(item.display)
            return
        if not item.fs.delete(item.path, recursive=False):
            raise PathIOError(item.display)


class Touchz(Command):
    names = ("touchz",)
    usage = "<path> ..."
    description = (
        "Creates a file of zero length at <path> with current time as the timestamp of that "
        "<path>. An error is returned if the file exists with non-zero length"
    )

    def process_options(self, args: list[str]) -> list[str]:
        return parse_options(args, min_args=1).args

    def process_path(self, item: Item) -> None:
        if item.is_dir:
            raise PathIsDirectoryError(item.display)
        assert item.status is not None
        if item.status.length != 0:
            raise PathIOError(item.display, "Not a zero-length file")
        item.fs.create(item.path, [], overwrite=True)

    def process_nonexistent_path(self, item: Item) -> None:
        if item.fs.status(_parent(item.path)) is None:
            raise PathNotFoundError(item.display, qualified=item.location.qualified)
        item.fs.create(item.path, [], overwrite=False)


class SetReplication(Command):
    names = ("setrep",)
    usage = "[-R] [-w] <rep> <path> ..."
    description = (
        "Set the replication level of a file. If <path> is a directory then the command "
        "recursively changes the replication factor of all files under the directory tree "
        "rooted at <path>.\n-w: It requests that the command waits for the replication to "
        "complete. This can potentially take a very long time.\n-R: It is accepted for "
        "backwards compatibility. It has no effect."
    )

    def process_options(self, args: list[str]) -> list[str]:
        opts = parse_options(args, min_args=2, flags=("R", "w"))
        self.wait = "w" in opts
        self.recursive = True
        self.waiting: list[Item] = []
        rest = opts.args
        text = rest.pop(0)
        try:
            self.replication = int(text)
        except ValueError:
            self.display_warning("Illegal replication, a positive integer expected")
            raise UsageError(f'For input string: "{text}"') from None
        if self.replication < 1:
            raise UsageError("replication must be >= 1")
        return rest

    def process_raw_arguments(self, args: list[str]) -> None:
        super().process_raw_arguments(args)
        if self.wait:
            for item in self.waiting:
                self.guarded(item, self._wait_for)

    def process_path(self, item: Item) -> None:
        if item.is_dir:
            return
        if not item.fs.set_replication(item.path, self.replication):
            raise RemoteError("IOException", f"Could not set replication for: {item.display}")
        self.print(f"Replication {self.replication} set: {item.display}")
        if self.wait:
            self.waiting.append(item)

    def _wait_for(self, item: Item) -> None:
        self.print(f"Waiting for {item.display} ...", end="")
        self.flush()
        warned = False
        while True:
            replicas = item.fs.block_replicas(item.path)
            wrong = [n for n in replicas if n != self.replication]
            if not wrong:
                break
            if not warned and wrong[0] > self.replication:
                self.print(
                    "\nWARNING: the waiting time may be long for DECREASING the number of replications."
                )
                warned = True
            self.print(".", end="")
            self.flush()
            time.sleep(SETREP_POLL_S)
        self.print(" done")


class Chmod(Command):
    names = ("chmod",)
    usage = "[-R] <MODE[,MODE]... | OCTALMODE> PATH..."
    description = (
        "Changes permissions of a file. This works similar to the shell's chmod command with "
        "a few exceptions.\n-R  modifies the files recursively."
    )

    def process_options(self, args: list[str]) -> list[str]:
        opts = parse_options(args, min_args=2, flags=("R",))
        self.recursive = "R" in opts
        rest = opts.args
        self.mode = parse_chmod(rest.pop(0))
        return rest

    def process_path(self, item: Item) -> None:
        assert item.status is not None
        new = self.mode.apply(item.status.permission, item.status.is_dir)
        if new != item.status.permission:
            item.fs.set_permission(item.path, new)


class Chown(Command):
    names = ("chown",)
    usage = "[-R] [OWNER][:[GROUP]] PATH..."
    description = "Changes owner and group of a file.\n-R  modifies the files recursively."

    def process_options(self, args: list[str]) -> list[str]:
        opts = parse_options(args, min_args=2, flags=("R",))
        self.recursive = "R" in opts
        rest = opts.args
        self.owner, self.group = self.parse(rest.pop(0))
        return rest

    def parse(self, text: str) -> tuple[str | None, str | None]:
        return parse_chown(text)

    def process_path(self, item: Item) -> None:
        assert item.status is not None
        owner = None if self.owner in (None, item.status.owner) else self.owner
        group = None if self.group in (None, item.status.group) else self.group
        if owner or group:
            item.fs.set_owner(item.path, owner, group)


class Chgrp(Chown):
    names = ("chgrp",)
    usage = "[-R] GROUP PATH..."
    description = "This is equivalent to -chown ... :GROUP ..."

    def parse(self, text: str) -> tuple[str | None, str | None]:
        return None, parse_chgrp(text)
