"""Input splits as Hadoop's old-API FileInputFormat.getSplits plans them (and
NLineInputFormat's line-count splits).

    files     every -input pattern globbed; a directory gives its files (not recursive),
              names starting with `_` or `.` skipped
    goal      total bytes / max(mapreduce.job.maps, 1)
    size      max(minSize, min(goal, blockSize)); a file is cut while what remains is more
              than 1.1 times size (SPLIT_SLOP); compressed files (.gz .bz2 .deflate) are one split
    hosts     the DataNodes of the HDFS block holding a split's first byte (WebHDFS
              GETFILEBLOCKLOCATIONS); none for s3:// and file:

Block sizes: HDFS as the file's status says; S3 `fs.s3.block.size` (64 MiB); file: 32 MiB.

LIMITATIONS: bzip2 files are not split (Hadoop splits them); a split's hosts are its first
block's replicas only (Hadoop weighs the bytes of each block a split covers).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final
from urllib.parse import quote, urlsplit

import httpx

from emr.hdfs.shell.filesystem import FileStatus
from emr.mapreduce.fs import JobFileSystems
from emr.mapreduce.job import InputFormat, InputSplit

__all__ = [
    "SPLIT_SLOP",
    "InputError",
    "SplitPlan",
    "compute_splits",
    "file_splits",
    "list_input_files",
    "nline_splits",
]

SPLIT_SLOP: Final = 1.1
_UNSPLITTABLE: Final = (".gz", ".bz2", ".deflate")
_S3_BLOCK: Final = 64 * 1024 * 1024
_LOCAL_BLOCK: Final = 32 * 1024 * 1024
_WILDCARDS: Final = frozenset("*?[{")


class InputError(Exception):
    """Hadoop's InvalidInputException: one line per pattern that matched nothing."""


@dataclass(frozen=True)
class InputFile:
    uri: str
    length: int
    block_size: int


@dataclass(frozen=True)
class SplitPlan:
    files: int
    splits: list[InputSplit]


def _hidden(name: str) -> bool:
    return name.startswith(("_", "."))


def list_input_files(fss: JobFileSystems, patterns: Sequence[str]) -> list[tuple[str, FileStatus]]:
    """The files the -input patterns name (InputError listing every pattern that failed)."""
    found: list[tuple[str, FileStatus]] = []
    errors: list[str] = []
    for pattern in patterns:
        matches = fss.glob(pattern)
        if not matches:
            qualified = fss.qualify(pattern)
            if any(c in _WILDCARDS for c in pattern):
                errors.append(f"Input Pattern {qualified} matches 0 files")
            else:
                errors.append(f"Input path does not exist: {qualified}")
            continue
        for uri, status in matches:
            if not status.is_dir:
                found.append((uri, status))
                continue
            fs, path = fss.resolve(uri)
            for child in sorted(fs.list_status(path), key=lambda s: s.path):
                if not child.is_dir and not _hidden(child.name):
                    found.append((f"{uri.rstrip('/')}/{child.name}", child))
    if errors:
        raise InputError("\n".join(errors))
    return found


def _block_size(uri: str, status: FileStatus, conf: Mapping[str, str]) -> int:
    scheme = urlsplit(uri).scheme
    if scheme == "hdfs" and status.block_size > 0:
        return status.block_size
    if scheme in ("s3", "s3a", "s3n"):
        return int(conf.get("fs.s3.block.size", str(_S3_BLOCK)))
    return status.block_size if status.block_size > 0 and scheme != "file" else _LOCAL_BLOCK


def file_splits(
    files: Sequence[InputFile],
    num_maps: int,
    min_size: int,
    hosts_of: Callable[[str, int], list[str]] = lambda uri, offset: [],
) -> list[InputSplit]:
    """FileInputFormat.getSplits over files already listed (pure but for `hosts_of`)."""
    total = sum(f.length for f in files)
    goal = total // max(num_maps, 1)
    min_size = max(min_size, 1)
    splits: list[InputSplit] = []
    for f in files:
        if f.length == 0:
            splits.append(InputSplit(path=f.uri, start=0, length=0))
            continue
        if f.uri.endswith(_UNSPLITTABLE):
            splits.append(
                InputSplit(path=f.uri, start=0, length=f.length, hosts=hosts_of(f.uri, 0))
            )
            continue
        size = max(min_size, min(goal, f.block_size))
        remaining = f.length
        while remaining / size > SPLIT_SLOP:
            start = f.length - remaining
            splits.append(
                InputSplit(path=f.uri, start=start, length=size, hosts=hosts_of(f.uri, start))
            )
            remaining -= size
        if remaining:
            start = f.length - remaining
            splits.append(
                InputSplit(path=f.uri, start=start, length=remaining, hosts=hosts_of(f.uri, start))
            )
    return splits


def nline_splits(uri: str, data: bytes, lines_per_split: int) -> list[InputSplit]:
    """NLineInputFormat.getSplitsForFile: every N lines; a split after the first starts one
    byte early so the line reader, which skips a partial first line, begins at its line."""
    splits: list[InputSplit] = []
    n = max(lines_per_split, 1)
    begin = pos = count = 0
    length = len(data)
    while pos < length:
        newline = data.find(b"\n", pos)
        pos = length if newline < 0 else newline + 1
        count += 1
        if count == n or pos >= length:
            size = pos - begin
            if begin == 0:
                splits.append(InputSplit(path=uri, start=0, length=size - 1))
            else:
                splits.append(InputSplit(path=uri, start=begin - 1, length=size))
            begin, count = pos, 0
    return splits


class _BlockHosts:
    """GETFILEBLOCKLOCATIONS on the NameNode, one call per file."""

    def __init__(self, namenode_http: str, user: str) -> None:
        self._http = httpx.Client(base_url=namenode_http, timeout=30.0)
        self._user = user
        self._cache: dict[str, list[tuple[int, int, list[str]]]] = {}

    def close(self) -> None:
        self._http.close()

    def _blocks(self, uri: str) -> list[tuple[int, int, list[str]]]:
        if uri not in self._cache:
            path = urlsplit(uri).path or "/"
            blocks: list[tuple[int, int, list[str]]] = []
            try:
                response = self._http.get(
                    f"/webhdfs/v1{quote(path)}",
                    params={"op": "GETFILEBLOCKLOCATIONS", "user.name": self._user},
                )
                if response.is_success:
                    for b in response.json()["BlockLocations"]["BlockLocation"]:
                        blocks.append((int(b["offset"]), int(b["length"]), list(b["hosts"])))
            except (httpx.HTTPError, ValueError, KeyError):
                # Hosts only steer placement; a split without them still runs.
                blocks = []
            self._cache[uri] = blocks
        return self._cache[uri]

    def hosts(self, uri: str, offset: int) -> list[str]:
        if urlsplit(uri).scheme != "hdfs":
            return []
        for start, length, hosts in self._blocks(uri):
            if start <= offset < start + length:
                return hosts
        return []


def _read_all(fss: JobFileSystems, uri: str) -> bytes:
    fs, path = fss.resolve(uri)
    with fs.open(path) as chunks:
        return b"".join(chunks)


def compute_splits(
    fss: JobFileSystems,
    inputs: Sequence[str],
    input_format: InputFormat,
    conf: Mapping[str, str],
    namenode_http: str,
    user: str,
) -> SplitPlan:
    """List the inputs and plan their splits (InputError when a pattern matches nothing)."""
    listed = list_input_files(fss, inputs)
    if input_format == "nline":
        per = int(conf.get("mapreduce.input.lineinputformat.linespermap", "1"))
        splits: list[InputSplit] = []
        for uri, _ in listed:
            splits += nline_splits(uri, _read_all(fss, uri), per)
        return SplitPlan(len(listed), splits)
    files = [InputFile(uri, s.length, _block_size(uri, s, conf)) for uri, s in listed]
    hosts = _BlockHosts(namenode_http, user)
    try:
        splits = file_splits(
            files,
            int(conf.get("mapreduce.job.maps", "2")),
            int(conf.get("mapreduce.input.fileinputformat.split.minsize", "1")),
            hosts.hosts,
        )
    finally:
        hosts.close()
    return SplitPlan(len(listed), splits)
