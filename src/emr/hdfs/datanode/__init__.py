"""The DataNode: replicas on local disk with per-chunk CRC32C checksums.

    checksums.py  chunk CRCs, the meta file's layout, Hadoop's MD5-of-MD5-of-CRC32C
    storage.py    BlockStore: write, append, read (verified), truncate, delete, block report
    layout.py     the files of a store, and what opening it repairs after a crash
    errors.py     StorageError and its subclasses
    server.py, webhdfs_data.py, transfer.py, namenode_link.py, __main__.py: the daemon
                  (`python -m emr.hdfs.datanode --node-dir DIR`)

What the DataNode daemon does with them, in order: open the `BlockStore` (recovery runs),
register with the NameNode, send `block_report()` with `corrupt_replicas()` as the full report,
then heartbeat with `storage_report()` every second and carry out the commands the answer
brings, in order (a DeleteReplica before a transfer that reuses the id): `delete(id, stamp)`,
or read from `read()` and write to the targets' `open_writer()`. After every `finalize()` it
sends BlockReceived; a `CorruptReplica` from `read()` becomes CorruptReplicaReported (the
reader is told to try another node). A write is acknowledged upstream only after the local
`finalize()` returned and the downstream node acknowledged.
"""

from emr.hdfs.datanode.checksums import BlockChecksum, FileChecksum, file_checksum
from emr.hdfs.datanode.errors import (
    CorruptReplica,
    ReplicaAlreadyExists,
    ReplicaBusy,
    ReplicaNotFound,
    StorageError,
)
from emr.hdfs.datanode.storage import (
    BlockStore,
    BlockWriter,
    RecoveryReport,
    ReplicaReader,
    StorageReport,
)

__all__ = [
    "BlockChecksum",
    "BlockStore",
    "BlockWriter",
    "CorruptReplica",
    "FileChecksum",
    "RecoveryReport",
    "ReplicaAlreadyExists",
    "ReplicaBusy",
    "ReplicaNotFound",
    "ReplicaReader",
    "StorageError",
    "StorageReport",
    "file_checksum",
]
