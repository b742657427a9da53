"""Commands that read: -ls -du -df -count -stat -test -cat -text -tail -checksum."""

from __future__ import annotations

import time
import zlib
from collections.abc import Iterator

from emr.hdfs.shell.command import Command
from emr.hdfs.shell.errors import PathIsDirectoryError, RemoteError, UsageError
from emr.hdfs.shell.formats import (
    LsFormatter,
    Table,
    count_header,
    count_line,
    format_percent,
    format_size,
    stat_line,
)
from emr.hdfs.shell.items import Item
from emr.hdfs.shell.options import parse_options

__all__ = ["Cat", "Checksum", "Count", "Df", "Du", "Head", "Ls", "Stat", "Tail", "Test", "Text"]


class Ls(Command):
    names = ("ls",)
    usage = "[-C] [-d] [-h] [-q] [-R] [-t] [-S] [-r] [-u] [-e] [<path> ...]"
    description = (
        "List the contents that match the specified file pattern. If path is not specified, "
        "the contents of /user/<currentUser> will be listed."
    )

    def process_options(self, args: list[str]) -> list[str]:
        opts = parse_options(args, flags=("C", "d", "h", "q", "R", "t", "S", "r", "u", "e"))
        self.path_only = "C" in opts
        self.dir_recurse = "d" not in opts
        self.recursive = "R" in opts and self.dir_recurse
        self.order_time = "t" in opts
        self.order_size = not self.order_time and "S" in opts
        self.reverse = "r" in opts
        self.formatter = LsFormatter(human="h" in opts, use_atime="u" in opts)
        return opts.args or ["."]

    def _ordered(self, items: list[Item]) -> list[Item]:
        def key(item: Item) -> tuple[int, str]:
            assert item.status is not None
            if self.order_time:
                when = (
                    item.status.access_time
                    if self.formatter.use_atime
                    else item.status.modification_time
                )
                return (-when, "")
            if self.order_size:
                return (-item.status.length, "")
            return (0, item.path)

        return sorted(items, key=key, reverse=self.reverse)

    def process_path_argument(self, item: Item) -> None:
        if self.dir_recurse and item.is_dir:
            self.recurse_path(item)
        else:
            self.process_paths(None, [item])

    def process_paths(self, parent: Item | None, items: list[Item]) -> None:
        if parent is not None and not self.recursive and items:
            if not self.path_only:
                self.print(f"Found {len(items)} items")
            items = self._ordered(items)
        if not self.path_only:
            self.formatter.adjust([i.status for i in items if i.status is not None])
        super().process_paths(parent, items)

    def process_path(self, item: Item) -> None:
        assert item.status is not None
        if self.path_only:
            self.print(item.display)
        else:
            self.print(self.formatter.line(item.status, item.display))


class Du(Command):
    names = ("du",)
    usage = "[-s] [-h] [-v] [-x] <path> ..."
    description = (
        "Show the amount of space, in bytes, used by the files that match the specified file "
        "pattern. The output is in the form\n\tsize\tdisk space consumed\tname(full path)"
    )

    def process_options(self, args: list[str]) -> list[str]:
        opts = parse_options(args, flags=("h", "s", "v", "x"))
        self.human, self.summary = "h" in opts, "s" in opts
        self.table = Table(3)
        if "v" in opts:
            self.table.add("SIZE", "DISK_SPACE_CONSUMED_WITH_ALL_REPLICAS", "FULL_PATH_NAME")
            self.table.has_header = True
        return opts.args or ["."]

    def process_raw_arguments(self, args: list[str]) -> None:
        super().process_raw_arguments(args)
        for line in self.table.render():
            self.print(line)

    def process_path_argument(self, item: Item) -> None:
        if not self.summary and item.is_dir:
            self.recurse_path(item)
        else:
            super().process_path_argument(item)

    def process_path(self, item: Item) -> None:
        summary = item.fs.content_summary(item.path)
        self.table.add(
            format_size(summary.length, self.human),
            format_size(summary.space_consumed, self.human),
            item.display,
        )


class Df(Command):
    names = ("df",)
    usage = "[-h] [<path> ...]"
    description = "Shows the capacity, free and used space of the filesystem."

    def process_options(self, args: list[str]) -> list[str]:
        opts = parse_options(args, flags=("h",))
        self.human = "h" in opts
        self.table = Table(5, right_align=frozenset({1, 2, 3, 4}))
        self.table.add("Filesystem", "Size", "Used", "Available", "Use%")
        self.table.has_header = True
        return opts.args or ["/"]

    def process_raw_arguments(self, args: list[str]) -> None:
        super().process_raw_arguments(args)
        for line in self.table.render():
            self.print(line)

    def process_path(self, item: Item) -> None:
        status = item.fs.fs_status(item.path)
        used = "NaN%" if status.capacity == 0 else format_percent(status.used / status.capacity)
        self.table.add(
            item.fs.uri,
            format_size(status.capacity, self.human),
            format_size(status.used, self.human),
            format_size(status.remaining, self.human),
            used,
        )


class Count(Command):
    names = ("count",)
    usage = "[-q] [-h] [-v] [-t [<storage type>]] [-u] [-x] [-e] [-s] <path> ..."
    description = (
        "Count the number of directories, files and bytes under the paths\n"
        "that match the specified file pattern.  The output columns are:\n"
        "DIR_COUNT FILE_COUNT CONTENT_SIZE PATHNAME"
    )

    def process_options(self, args: list[str]) -> list[str]:
        opts = parse_options(
            args, min_args=1, flags=("q", "h", "v", "u", "x", "e", "s"), with_value=("t",)
        )
        self.quotas, self.human = "q" in opts, "h" in opts
        self.quota_only = "u" in opts
        if "v" in opts:
            self.print(count_header(self.quotas, quota_only=self.quota_only))
        return opts.args

    def process_path(self, item: Item) -> None:
        summary = item.fs.content_summary(item.path)
        line = count_line(
            summary, item.display, quotas=self.quotas, human=self.human, quota_only=self.quota_only
        )
        self.print(line)


class Stat(Command):
    names = ("stat",)
    usage = "[format] <path> ..."
    description = (
        "Print statistics about the file/directory at <path> in the specified format. Format "
        "accepts permissions in octal (%a) and symbolic (%A), filesize in bytes (%b), type (%F), "
        "group name of owner (%g), name (%n), block size (%o), replication (%r), user name of "
        "owner (%u), access date (%x, %X), modification date (%y, %Y)."
    )

    def process_options(self, args: list[str]) -> list[str]:
        opts = parse_options(args, min_args=1, flags=("R",))
        self.recursive = "R" in opts
        rest = opts.args
        self.format = "%y"
        if "%" in rest[0]:
            self.format = rest.pop(0)
        parse_options(rest, min_args=1)
        return rest

    def process_path(self, item: Item) -> None:
        assert item.status is not None
        name = item.path.rstrip("/").rsplit("/", 1)[-1]
        self.print(stat_line(self.format, item.status, name))


class Test(Command):
    names = ("test",)
    usage = "-[defswrz] <path>"
    description = (
        "Answer various questions about <path>, with result via exit status.\n"
        "  -d  return 0 if <path> is a directory.\n  -e  return 0 if <path> exists.\n"
        "  -f  return 0 if <path> is a file.\n  -s  return 0 if file <path> is greater than "
        "zero bytes in size.\n  -w  return 0 if file <path> exists and write permission is "
        "granted.\n  -r  return 0 if file <path> exists and read permission is granted.\n"
        "  -z  return 0 if file <path> is zero bytes in size, else return 1."
    )

    def process_options(self, args: list[str]) -> list[str]:
        opts = parse_options(
            args, min_args=1, max_args=1, flags=("e", "d", "f", "s", "z", "w", "r")
        )
        if not opts.flags:
            raise UsageError("No test flag given")
        if len(opts.flags) > 1:
            raise UsageError("Only one test flag is allowed")
        (self.flag,) = opts.flags
        return opts.args

    def process_path(self, item: Item) -> None:
        status = item.status
        assert status is not None
        answers = {
            "e": True,
            "d": status.is_dir,
            "f": not status.is_dir,
            "s": status.length > 0,
            "z": status.length == 0,
            "r": self._access(item, 4),
            "w": self._access(item, 2),
        }
        if not answers[self.flag]:
            self.exit_code = 1

    def _access(self, item: Item, bit: int) -> bool:
        status = item.status
        assert status is not None
        user = self.context.user
        if user == status.owner:
            return bool((status.permission >> 6) & bit)
        return bool(status.permission & bit or (status.permission >> 3) & bit)

    def process_nonexistent_path(self, item: Item) -> None:
        self.exit_code = 1


class Cat(Command):
    names = ("cat",)
    usage = "[-ignoreCrc] <src> ..."
    description = (
        "Fetch all files that match the file pattern <src> and display their contents on stdout."
    )

    def process_options(self, args: list[str]) -> list[str]:
        return parse_options(args, min_args=1, flags=("ignoreCrc",)).args

    def process_path(self, item: Item) -> None:
        if item.is_dir:
            raise PathIsDirectoryError(item.display)
        with item.fs.open(item.path) as chunks:
            for chunk in self.transform(item, chunks):
                self.streams.stdout.write(chunk)
        self.flush()

    def transform(self, item: Item, chunks: Iterator[bytes]) -> Iterator[bytes]:
        return chunks


class Text(Cat):
    names = ("text",)
    usage = "[-ignoreCrc] <src> ..."
    description = (
        "Takes a source file and outputs the file in text format.\n"
        "The allowed formats are zip (gzip), TextRecordInputStream (SequenceFiles) and plain text."
    )

    def transform(self, item: Item, chunks: Iterator[bytes]) -> Iterator[bytes]:
        first = next(chunks, b"")
        if first[:4] == b"SEQ\x06":
            yield from _sequence_file_lines(item.display, _chain(first, chunks))
            return
        if first[:2] != b"\x1f\x8b":
            if first:
                yield first
            yield from chunks
            return
        decompressor = zlib.decompressobj(16 + zlib.MAX_WBITS)
        for chunk in _chain(first, chunks):
            data = chunk
            while data:
                out = decompressor.decompress(data)
                if out:
                    yield out
                data = b""
                if decompressor.eof:  # concatenated gzip members, as gzip -c a b makes
                    data = decompressor.unused_data
                    decompressor = zlib.decompressobj(16 + zlib.MAX_WBITS)
        yield decompressor.flush()


def _sequence_file_lines(display: str, chunks: Iterator[bytes]) -> Iterator[bytes]:
    """`key<TAB>value` per record, each Writable as its toString (Hadoop's TextRecordInputStream)."""
    from emr.mapreduce._streams import ByteCursor
    from emr.mapreduce.formats import CorruptInputError
    from emr.mapreduce.seqfile import read_header, read_records, writable_text

    cursor = ByteCursor(chunks)
    try:
        header = read_header(cursor, display)
        for key, value in read_records(cursor, header, end=1 << 62):
            yield (
                writable_text(header.key_class, key, raw_bytes=False)
                + b"\t"
                + writable_text(header.value_class, value, raw_bytes=False)
                + b"\n"
            )
    except CorruptInputError as exc:
        raise RemoteError("IOException", str(exc)) from exc


def _chain(first: bytes, rest: Iterator[bytes]) -> Iterator[bytes]:
    yield first
    yield from rest


class Tail(Command):
    names = ("tail",)
    usage = "[-f] [-s <sleep interval>] <file>"
    description = (
        "Show the last 1KB of the file.\n"
        "-f  Shows appended data as the file grows.\n"
        "-s  With -f , defines the sleep interval between iterations in milliseconds."
    )

    def process_options(self, args: list[str]) -> list[str]:
        opts = parse_options(args, min_args=1, max_args=1, flags=("f",), with_value=("s",))
        self.follow = "f" in opts
        self.interval_s = 5.0
        if opts.values.get("s"):
            self.interval_s = int(opts.values["s"]) / 1000
        return opts.args

    def process_path(self, item: Item) -> None:
        if item.is_dir:
            raise PathIsDirectoryError(item.display)
        assert item.status is not None
        offset = max(0, item.status.length - 1024)
        while True:
            offset = self._dump(item, offset)
            if not self.follow:
                return
            time.sleep(self.interval_s)

    def _dump(self, item: Item, offset: int) -> int:
        status = item.fs.status(item.path)
        if status is None or status.length <= offset:
            return offset
        with item.fs.open(item.path, offset) as chunks:
            for chunk in chunks:
                self.streams.stdout.write(chunk)
                offset += len(chunk)
        self.flush()
        return offset


class Head(Command):
    names = ("head",)
    usage = "<file>"
    description = "Show the first 1KB of the file."

    def process_options(self, args: list[str]) -> list[str]:
        return parse_options(args, min_args=1, max_args=1).args

    def process_path(self, item: Item) -> None:
        if item.is_dir:
            raise PathIsDirectoryError(item.display)
        left = 1024
        with item.fs.open(item.path) as chunks:
            for chunk in chunks:
                self.streams.stdout.write(chunk[:left])
                left -= len(chunk[:left])
                if not left:
                    break
        self.flush()


class Checksum(Command):
    names = ("checksum",)
    usage = "[-v] <src> ..."
    description = "Dump checksum information for files that match the file pattern <src> to stdout."

    def process_options(self, args: list[str]) -> list[str]:
        return parse_options(args, min_args=1, flags=("v",)).args

    def process_path(self, item: Item) -> None:
        if item.is_dir:
            raise PathIsDirectoryError(item.display)
        checksum = item.fs.checksum(item.path)
        if checksum is None:
            self.print(f"{item.display}\tNONE\t")
        else:
            self.print(f"{item.display}\t{checksum.algorithm}\t{checksum.hex_bytes}")
