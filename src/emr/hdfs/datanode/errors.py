"""What a DataNode's replica store raises.

    EmrError                   (emr.errors)
    └── StorageError           a replica operation failed; `block_id` names the replica
        ├── ReplicaNotFound        no finalized replica with that id, or not the version asked for
        ├── ReplicaAlreadyExists   a new replica for an id the store already holds
        ├── ReplicaBusy            a writer (write, append, truncate) holds the replica
        └── CorruptReplica         its bytes do not match its checksums, or cannot be checked

The DataNode daemon answers ReplicaNotFound as Hadoop's ReplicaNotFoundException and turns a
CorruptReplica into a report to the NameNode (the reader retries on another node).
"""

from __future__ import annotations

from emr.errors import EmrError

__all__ = [
    "CorruptReplica",
    "ReplicaAlreadyExists",
    "ReplicaBusy",
    "ReplicaNotFound",
    "StorageError",
]


class StorageError(EmrError):
    """A replica operation failed."""

    def __init__(self, block_id: int, message: str) -> None:
        super().__init__(f"blk_{block_id}: {message}")
        self.block_id = block_id


class ReplicaNotFound(StorageError):
    """No finalized replica with that id, or not the version asked for."""


class ReplicaAlreadyExists(StorageError):
    """The store already holds a replica with that id."""


class ReplicaBusy(StorageError):
    """A writer holds the replica."""


class CorruptReplica(StorageError):
    """The replica's bytes do not match its checksums (or it has none to match)."""

    def __init__(self, block_id: int, reason: str = "checksum mismatch") -> None:
        super().__init__(block_id, f"corrupt replica: {reason}")
