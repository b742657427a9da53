"""`GET /fsck`: Hadoop's fsck servlet (NamenodeFsck's report, line for line as Hadoop 3 prints
it), and the Java formatting of numbers and dates Hadoop's reports use. Served by admin.py."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final

from emr.hdfs import webhdfs_json as wj
from emr.hdfs.blockmanager import (
    AdminState,
    BlockStatus,
)
from emr.hdfs.javafmt import float32, java_date, java_float
from emr.hdfs.namenode.errors import (
    FileNotFoundException,
    HdfsError,
)
from emr.hdfs.namenode.permissions import User
from emr.hdfs.namenode.results import FileStatus
from emr.hdfs.namenode.server import NameNode
from emr.hdfs.types import Block, DatanodeId

__all__ = [
    "DEFAULT_RACK",
    "FsckOptions",
    "FsckReport",
    "run_fsck",
    "storage_id",
]

DEFAULT_RACK: Final = wj.DEFAULT_RACK


def _percent(part: int, whole: int) -> str:
    return java_float(float32(float32(part * 100) / float32(whole)))


# --- fsck -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class FsckOptions:
    """The servlet's flags (present means on, whatever the value, as in NamenodeFsck)."""

    files: bool = False
    blocks: bool = False
    locations: bool = False
    racks: bool = False
    replica_details: bool = False
    open_for_write: bool = False

    @classmethod
    def of(cls, params: Mapping[str, str]) -> FsckOptions:
        return cls(
            files="files" in params,
            blocks="blocks" in params,
            locations="locations" in params,
            racks="racks" in params,
            replica_details="replicadetails" in params,
            open_for_write="openforwrite" in params,
        )


@dataclass
class ReplicationResult:
    """NamenodeFsck.ReplicationResult: the totals of the replicated files walked."""

    default_replication: int
    min_replication: int = 1
    missing: list[str] = field(default_factory=list)
    missing_size: int = 0
    corrupt_files: int = 0
    corrupt_blocks: int = 0
    corrupt_size: int = 0
    excessive_replicas: int = 0
    missing_replicas: int = 0
    decommissioned_replicas: int = 0
    decommissioning_replicas: int = 0
    under_min_replicated: int = 0
    over_replicated: int = 0
    under_replicated: int = 0
    mis_replicated: int = 0
    min_replicated: int = 0
    total_blocks: int = 0
    expected_replicas: int = 0
    open_file_blocks: int = 0
    total_files: int = 0
    open_files: int = 0
    total_size: int = 0
    open_files_size: int = 0
    total_replicas: int = 0

    @property
    def healthy(self) -> bool:
        return not self.missing and self.corrupt_blocks == 0

    def _share(self, count: int) -> str:
        return f" ({_percent(count, self.total_blocks)} %)" if self.total_blocks else ""

    def render(self) -> str:
        lines = [f" Total size:\t{self.total_size} B"]
        if self.open_files_size:
            lines[-1] += f" (Total open files size: {self.open_files_size} B)"
        lines.append(f" Total files:\t{self.total_files}")
        if self.open_files:
            lines[-1] += f" (Files currently being written: {self.open_files})"
        lines.append(f" Total blocks (validated):\t{self.total_blocks}")
        if self.total_blocks:
            lines[-1] += f" (avg. block size {self.total_size // self.total_blocks} B)"
        if self.open_file_blocks:
            lines[-1] += f" (Total open file blocks (not validated): {self.open_file_blocks})"
        if self.corrupt_files or self.under_min_replicated:
            lines.append("  ********************************")
            if self.under_min_replicated:
                lines.append(
                    f"  UNDER MIN REPL'D BLOCKS:\t{self.under_min_replicated}"
                    + self._share(self.under_min_replicated)
                )
                lines.append(f"  MINIMAL BLOCK REPLICATION:\t{self.min_replication}")
            if self.corrupt_files:
                lines.append(f"  CORRUPT FILES:\t{self.corrupt_files}")
                if self.missing_size:
                    lines.append(f"  MISSING BLOCKS:\t{len(self.missing)}")
                    lines.append(f"  MISSING SIZE:\t\t{self.missing_size} B")
                if self.corrupt_blocks:
                    lines.append(f"  CORRUPT BLOCKS: \t{self.corrupt_blocks}")
                    lines.append(f"  CORRUPT SIZE:\t\t{self.corrupt_size} B")
            lines.append("  ********************************")
        lines += [
            f" Minimally replicated blocks:\t{self.min_replicated}"
            + self._share(self.min_replicated),
            f" Over-replicated blocks:\t{self.over_replicated}" + self._share(self.over_replicated),
            f" Under-replicated blocks:\t{self.under_replicated}"
            + self._share(self.under_replicated),
            f" Mis-replicated blocks:\t\t{self.mis_replicated}" + self._share(self.mis_replicated),
            f" Default replication factor:\t{self.default_replication}",
            " Average block replication:\t"
            + (
                java_float(float32(self.total_replicas) / float32(self.total_blocks))
                if self.total_blocks
                else "0.0"
            ),
            f" Missing blocks:\t\t{len(self.missing)}",
            f" Corrupt blocks:\t\t{self.corrupt_blocks}",
            f" Missing replicas:\t\t{self.missing_replicas}",
        ]
        if self.total_replicas:
            lines[-1] += f" ({_percent(self.missing_replicas, self.expected_replicas)} %)"
        if self.decommissioned_replicas:
            lines.append(f" DecommissionedReplicas:\t{self.decommissioned_replicas}")
        if self.decommissioning_replicas:
            lines.append(f" DecommissioningReplicas:\t{self.decommissioning_replicas}")
        lines.append(" Blocks queued for replication:\t0")
        return "\n".join(lines)


_EMPTY_EC_RESULT: Final = "\n".join(
    [
        " Total size:\t0 B",
        " Total files:\t0",
        " Total block groups (validated):\t0",
        " Minimally erasure-coded block groups:\t0",
        " Over-erasure-coded block groups:\t0",
        " Under-erasure-coded block groups:\t0",
        " Unsatisfactory placement block groups:\t0",
        " Average block group size:\t0.0",
        " Missing block groups:\t\t0",
        " Corrupt block groups:\t\t0",
        " Missing internal blocks:\t0",
        " Blocks queued for replication:\t0",
    ]
)


def storage_id(datanode_id: DatanodeId) -> str:
    """A DataNode's one storage, named like Hadoop's `DS-<uuid>` (stable per address)."""
    return f"DS-{uuid.uuid5(uuid.NAMESPACE_URL, 'hdfs-storage:' + datanode_id)}"


class FsckReport:
    """NamenodeFsck's output for one walk, fed directory by directory and file by file (pure:
    the walk, the clock and the block manager are the caller's)."""

    def __init__(
        self,
        options: FsckOptions,
        *,
        block_pool_id: str,
        default_replication: int,
        admin_states: Mapping[DatanodeId, AdminState],
    ) -> None:
        self.options = options
        self.block_pool_id = block_pool_id
        self.admin_states = admin_states
        self.result = ReplicationResult(default_replication)
        self.total_dirs = 0
        self._out: list[str] = []

    def _entry(self) -> None:
        if (self.total_dirs + self.result.total_files) % 1000 == 0:
            self._out.append("\n")

    def directory(self, path: str) -> None:
        self._entry()
        if self.options.files:
            self._out.append(f"{path} <dir>\n")
        self.total_dirs += 1

    def file(
        self,
        path: str,
        length: int,
        replication: int,
        blocks: Sequence[BlockStatus],
        *,
        under_construction: bool = False,
        expected: Sequence[DatanodeId] = (),
    ) -> None:
        """One file: its blocks' statuses in order; `expected` is the pipeline of a last block
        still being written."""
        self._entry()
        res, opts, out = self.result, self.options, self._out
        if under_construction and not opts.open_for_write:
            res.open_files_size += length
            res.open_file_blocks += len(blocks)
            res.open_files += 1
            return
        res.total_files += 1
        res.total_size += length
        res.total_blocks += len(blocks)
        head = f"{path} {length} bytes, replicated: replication={replication}, {len(blocks)}"
        if opts.open_for_write and under_construction:
            out.append(f"{head} block(s), OPENFORWRITE: ")
        elif opts.files:
            out.append(f"{head} block(s): ")
        elif res.total_files % 100 == 0:
            out.append(".")
        last_open = under_construction and bool(blocks) and blocks[-1].under_construction
        complete = blocks[:-1] if last_open else blocks
        missing = corrupt = missing_size = corrupt_size = under = 0
        report: list[str] = []
        for number, status in enumerate(complete):
            block = status.block
            name = self._name(block)
            decommissioned = sum(
                1
                for n in status.decommissioning
                if self.admin_states.get(n) is AdminState.DECOMMISSIONED
            )
            decommissioning = len(status.decommissioning) - decommissioned
            live = len(status.live)
            total = live + len(status.decommissioning)
            res.decommissioned_replicas += decommissioned
            res.decommissioning_replicas += decommissioning
            res.total_replicas += total
            res.expected_replicas += replication
            is_missing = total == 0
            if total < res.min_replication:
                res.under_min_replicated += 1
            if live > replication:
                res.excessive_replicas += live - replication
                res.over_replicated += 1
            is_corrupt = is_missing and bool(status.corrupt)
            if is_corrupt:
                res.corrupt_blocks += 1
                res.corrupt_size += block.num_bytes
                corrupt += 1
                corrupt_size += block.num_bytes
                out.append(f"\n{path}: CORRUPT blockpool {self.block_pool_id} block {block.name}\n")
            if total >= res.min_replication:
                res.min_replicated += 1
            if total < replication and not is_missing:
                res.missing_replicas += replication - total
                res.under_replicated += 1
                under += 1
                if not opts.files:
                    out.append(f"\n{path}: ")
                out.append(
                    f" Under replicated {name}. Target Replicas is {replication} but found "
                    f"{live} live replica(s), {decommissioned} decommissioned replica(s), "
                    f"{decommissioning} decommissioning replica(s).\n"
                )
            line = f"{number}. {name} len={block.num_bytes}"
            if is_missing and not is_corrupt:
                line += " MISSING!"
                res.missing.append(name)
                res.missing_size += block.num_bytes
                missing += 1
                missing_size += block.num_bytes
            else:
                line += f" Live_repl={live}" + self._replicas(status)
            report.append(line + "\n")
        if last_open:
            status = blocks[-1]
            report.append(
                f"\nUnder Construction Block:\n{len(complete)}. {self._name(status.block)} "
                f"len={status.block.num_bytes} Expected_repl={len(expected)}"
                + self._replicas(status, expected)
            )
        if missing or corrupt:
            if not opts.files:
                if missing:
                    out.append(
                        f"\n{path}: MISSING {missing} blocks of total size {missing_size} B."
                    )
                if corrupt:
                    out.append(
                        f"\n{path}: CORRUPT {corrupt} blocks of total size {corrupt_size} B."
                    )
            res.corrupt_files += 1
        if opts.files:
            if missing:
                out.append(f" MISSING {missing} blocks of total size {missing_size} B\n")
            if corrupt:
                out.append(f" CORRUPT {corrupt} blocks of total size {corrupt_size} B\n")
            if not (missing or corrupt) and under == 0:
                out.append(" OK\n")
            if opts.blocks:
                out.append("".join(report) + "\n")

    def _name(self, block: Block) -> str:
        return f"{self.block_pool_id}:blk_{block.block_id}_{block.generation_stamp}"

    def _replicas(self, status: BlockStatus, pipeline: Sequence[DatanodeId] = ()) -> str:
        opts = self.options
        if not (opts.locations or opts.racks or opts.replica_details):
            return ""
        nodes = list(pipeline) or [*status.live, *status.decommissioning, *status.corrupt]
        shown = []
        for node in nodes:
            text = (
                f"{DEFAULT_RACK}/{node}"
                if opts.racks
                else f"DatanodeInfoWithStorage[{node},{storage_id(node)},DISK]"
            )
            if opts.replica_details:
                state = self.admin_states.get(node)
                if state is AdminState.DECOMMISSIONED:
                    text += "(DECOMMISSIONED)"
                elif state is AdminState.DECOMMISSION_INPROGRESS:
                    text += "(DECOMMISSIONING)"
                elif node in status.corrupt:
                    text += "(CORRUPT)"
                else:
                    text += "(LIVE)"
            shown.append(text)
        return " [" + ", ".join(shown) + "]"

    @property
    def progress(self) -> str:
        """What the walk printed so far (all of it when it failed midway)."""
        return "".join(self._out)

    def render(self, *, datanodes: int, ended: str) -> str:
        """The walk's output, then the summary (`ended`: the `FSCK ended at …` line)."""
        res = self.result
        return (
            "".join(self._out)
            + "\nStatus: "
            + ("HEALTHY" if res.healthy else "CORRUPT")
            + f"\n Number of data-nodes:\t{datanodes}"
            + f"\n Number of racks:\t\t{1 if datanodes else 0}"
            + f"\n Total dirs:\t\t\t{self.total_dirs}"
            + "\n Total symlinks:\t\t0"
            + "\n\nReplicated Blocks:\n"
            + res.render()
            + "\n\nErasure Coded Block Groups:\n"
            + _EMPTY_EC_RESULT
            + f"\n{ended}\n"
        )


def _no_replicas(block: Block, replication: int) -> BlockStatus:
    return BlockStatus(block, replication, False, (), (), ())


def run_fsck(
    nn: NameNode, user: User, remote: str, path: str, options: FsckOptions, block_pool_id: str
) -> str:
    """The whole servlet answer for one request."""
    started = time.monotonic()
    admin_states = {r.datanode_id: r.admin_state for r in nn.blocks.datanode_report()}
    report = FsckReport(
        options,
        block_pool_id=block_pool_id,
        default_replication=nn.settings.replication,
        admin_states=admin_states,
    )
    head = f"FSCK started by {user.name} (auth:SIMPLE) from /{remote} for path {path} at "
    text = head + java_date(time.time()) + "\n"

    def ended() -> str:
        elapsed = int((time.monotonic() - started) * 1000)
        return f"FSCK ended at {java_date(time.time())} in {elapsed} milliseconds"

    try:
        try:
            status = nn.namespace.get_file_status(path, user=user)
        except FileNotFoundException:
            return text + f"\n\nPath '{path}' does not exist"
        _walk(nn, user, path, status, report)
    except HdfsError as error:
        walked = report.progress
        return text + walked + f"{ended()}\n{error.message}\n\n\nFsck on path '{path}' FAILED"
    text += report.render(datanodes=len(nn.live_datanodes()), ended=ended())
    verdict = "is HEALTHY" if report.result.healthy else "is CORRUPT"
    return text + f"\n\nThe filesystem under path '{path}' {verdict}"


def _walk(nn: NameNode, user: User, path: str, status: FileStatus, report: FsckReport) -> None:
    """Depth first, children in listing order, as NamenodeFsck.check (without recursion)."""
    pending: list[Iterator[tuple[str, FileStatus]]] = [iter([(path, status)])]
    while pending:
        entry = next(pending[-1], None)
        if entry is None:
            pending.pop()
            continue
        name, found = entry
        if found.is_directory:
            report.directory(name)
            listing = nn.namespace.list_status(name, user=user)
            prefix = name if name.endswith("/") else name + "/"
            pending.append(iter([(prefix + s.path_suffix, s) for s in listing.statuses]))
            continue
        try:
            # now=0: fsck reads block lists without moving the file's access time.
            located = nn.namespace.get_block_locations(name, user=user, now=0)
        except FileNotFoundException:
            continue
        statuses = [
            nn.blocks.block_status(b.block.block_id) or _no_replicas(b.block, found.replication)
            for b in located.blocks
        ]
        expected: Sequence[DatanodeId] = ()
        if located.under_construction and statuses and statuses[-1].under_construction:
            expected = nn.blocks.locations(statuses[-1].block.block_id)
        report.file(
            name,
            found.length,
            found.replication,
            statuses,
            under_construction=located.under_construction,
            expected=expected,
        )
