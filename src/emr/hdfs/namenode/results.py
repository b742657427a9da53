"""What Namespace operations answer: plain frozen values, no references into the tree."""

from __future__ import annotations

from dataclasses import dataclass

from emr.hdfs.types import Block

__all__ = [
    "AppendResult",
    "BlockOwner",
    "ContentSummary",
    "CreateResult",
    "DeleteResult",
    "DirectoryListing",
    "FileStatus",
    "LocatedBlock",
    "LocatedBlocks",
    "OpenFile",
    "ReplicationChange",
    "TruncateResult",
]


@dataclass(frozen=True)
class FileStatus:
    """HdfsFileStatus: what GETFILESTATUS and LISTSTATUS show for one inode.

    `path_suffix` is the child's name in a listing and "" for the path asked about itself.
    Directories have length, block size and replication 0 and access time 0.
    """

    path_suffix: str
    is_directory: bool
    length: int
    owner: str
    group: str
    permission: int
    access_time: int
    modification_time: int
    block_size: int
    replication: int
    file_id: int
    children_num: int
    storage_policy: int = 0


@dataclass(frozen=True)
class DirectoryListing:
    """One batch of a listing (all of it for LISTSTATUS) and how many entries follow."""

    statuses: tuple[FileStatus, ...]
    remaining_entries: int


@dataclass(frozen=True)
class ContentSummary:
    """GETCONTENTSUMMARY: totals below a path (the directory itself counts as one)."""

    length: int
    file_count: int
    directory_count: int
    space_consumed: int
    quota: int = -1
    space_quota: int = -1


@dataclass(frozen=True)
class LocatedBlock:
    """A block of a file and the file offset where it starts."""

    block: Block
    offset: int


@dataclass(frozen=True)
class LocatedBlocks:
    """The blocks of a file overlapping a requested range (OPEN, GETFILEBLOCKLOCATIONS)."""

    file_length: int
    blocks: tuple[LocatedBlock, ...]
    under_construction: bool


@dataclass(frozen=True)
class CreateResult:
    """A file created under construction; `removed_blocks` of the file it overwrote."""

    status: FileStatus
    removed_blocks: tuple[Block, ...]


@dataclass(frozen=True)
class AppendResult:
    """A file reopened for append.

    `last_block` is the partial last block the writer continues, already given a new
    generation stamp (the DataNodes move their replica to it), or None when the writer must
    `add_block` first (no blocks, a full last block, or append with new_block).
    """

    status: FileStatus
    last_block: Block | None


@dataclass(frozen=True)
class DeleteResult:
    """DELETE's boolean and the blocks whose replicas the DataNodes should drop."""

    deleted: bool
    removed_blocks: tuple[Block, ...]


@dataclass(frozen=True)
class ReplicationChange:
    """SETREPLICATION on a file: its blocks and the factor before and after."""

    blocks: tuple[Block, ...]
    old_replication: int
    new_replication: int


@dataclass(frozen=True)
class TruncateResult:
    """TRUNCATE's answer.

    `done` is WebHDFS's boolean: True when the new length fell on a block boundary (or equals
    the old length) and the file is complete again at once. When False, `truncated_block` is
    the last block with its new generation stamp and shorter length: the DataNodes holding
    `old_block` must cut their replica to `truncated_block.num_bytes` and restamp it, then
    the daemon calls `release_lease(path)` to close the file. `removed_blocks` lie wholly
    beyond the new length and can be dropped at once.
    """

    done: bool
    removed_blocks: tuple[Block, ...]
    truncated_block: Block | None = None
    old_block: Block | None = None


@dataclass(frozen=True)
class OpenFile:
    """A file under construction and its lease holder (for lease expiry in the daemon)."""

    path: str
    holder: str
    client_machine: str
    truncating: bool


@dataclass(frozen=True)
class BlockOwner:
    """Which file a block belongs to and the replication it should have."""

    path: str
    block: Block
    replication: int
    under_construction: bool
