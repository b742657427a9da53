"""The wire contract inside HDFS: DataNode → NameNode, and DataNode → DataNode.

Clients speak WebHDFS (`/webhdfs/v1/…`, see webhdfs_json.py); the daemons speak this, HTTP with
JSON bodies, under `/_dn/v1/`, every request carrying `Authorization: Bearer <token>` (the
cluster's token from the node's agent.json: only the cluster's own daemons may call it). An
error is answered as WebHDFS answers one: the RemoteException JSON with the exception's status.

DataNode → NameNode (on the NameNode's HTTP ports, 9870 and 8020), all `POST`:

    /_dn/v1/register        DatanodeRegistration → {}         then a full block report
    /_dn/v1/heartbeat       DatanodeHeartbeat    → HeartbeatAnswer (commands, in order)
    /_dn/v1/block-report    BlockReportRequest   → {}
    /_dn/v1/block-received  BlockReceivedRequest → {}
    /_dn/v1/corrupt         CorruptReplicaRequest → {}

The DataNode serving a client's WebHDFS CREATE / APPEND / OPEN acts as that client towards the
NameNode (as Hadoop's DataNode does), with the user and client name the redirect carried:

    /_dn/v1/create          CreateRequest        → {}
    /_dn/v1/add-block       AddBlockRequest      → LocatedBlock (the new block and its pipeline)
    /_dn/v1/complete        CompleteRequest      → {"complete": bool}
    /_dn/v1/append          AppendRequest        → AppendAnswer
    /_dn/v1/block-locations BlockLocationsRequest → BlockLocations

DataNode → DataNode (on the DataNodes' HTTP port, 9864):

    PUT /_dn/v1/blocks/{block_id}?genstamp=G[&pipeline=dn2,dn3][&append=1]
        the body is the replica's bytes; the receiver writes them locally and streams them on
        to the first DataNode of `pipeline` (which forwards to the rest); it answers
        200 {"num_bytes": n} only after its own replica is finalized (fsync) and the
        downstream answered 200 — so a 200 means every replica of the pipeline is durable.
    GET /_dn/v1/blocks/{block_id}?genstamp=G&offset=O&length=L
        the replica's bytes, every chunk verified against its CRC32C (a corrupt replica
        answers 409 with a RemoteException ChecksumException, and the DataNode reports it).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from emr.hdfs.types import Block

__all__ = [
    "PREFIX",
    "AddBlockRequest",
    "AppendAnswer",
    "AppendRequest",
    "BlockLocations",
    "BlockModel",
    "BlockReceivedRequest",
    "BlockReportRequest",
    "Command",
    "CompleteRequest",
    "CorruptReplicaRequest",
    "CreateRequest",
    "DatanodeHeartbeat",
    "DatanodeRegistration",
    "DeleteCommand",
    "HeartbeatAnswer",
    "LocatedBlock",
    "ReplicateCommand",
    "ReregisterCommand",
    "TruncateCommand",
]

PREFIX = "/_dn/v1"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class BlockModel(_Model):
    """A `Block` on the wire."""

    block_id: int
    generation_stamp: int
    num_bytes: int

    @classmethod
    def of(cls, block: Block) -> BlockModel:
        return cls(
            block_id=block.block_id,
            generation_stamp=block.generation_stamp,
            num_bytes=block.num_bytes,
        )

    def to_block(self) -> Block:
        return Block(self.block_id, self.generation_stamp, self.num_bytes)


# --- DataNode → NameNode: membership and replicas ---------------------------------------------


class DatanodeRegistration(_Model):
    #: `<node-ip>:9864`, the DataNode's identity and the address clients and peers dial.
    datanode_id: str
    capacity_bytes: int
    used_bytes: int
    remaining_bytes: int


class DatanodeHeartbeat(_Model):
    datanode_id: str
    capacity_bytes: int
    used_bytes: int
    remaining_bytes: int
    #: Lease holders of the writes this DataNode runs for WebHDFS clients: each heartbeat
    #: renews their leases (HDFS's renewLease; the DataNode is the HDFS client there).
    writers: list[str] = []


class DeleteCommand(_Model):
    kind: Literal["delete"] = "delete"
    block: BlockModel


class ReplicateCommand(_Model):
    """Copy the local replica of `block` to `targets` (as a pipeline, like a write)."""

    kind: Literal["replicate"] = "replicate"
    block: BlockModel
    targets: list[str]


class TruncateCommand(_Model):
    """Cut the local replica of `block` to `new_length` under `new_generation_stamp` (the
    block recovery of a TRUNCATE inside a block), then report it as received."""

    kind: Literal["truncate"] = "truncate"
    block: BlockModel
    new_length: int
    new_generation_stamp: int


class ReregisterCommand(_Model):
    """The NameNode does not know this DataNode (it restarted, or declared it dead)."""

    kind: Literal["reregister"] = "reregister"


Command = Annotated[
    DeleteCommand | ReplicateCommand | TruncateCommand | ReregisterCommand,
    Field(discriminator="kind"),
]


class HeartbeatAnswer(_Model):
    commands: list[Command] = []


class BlockReportRequest(_Model):
    datanode_id: str
    blocks: list[BlockModel]
    #: Replicas the DataNode itself found damaged (BlockStore.corrupt_replicas()).
    corrupt: list[BlockModel] = []


class BlockReceivedRequest(_Model):
    datanode_id: str
    block: BlockModel


class CorruptReplicaRequest(_Model):
    datanode_id: str
    block: BlockModel


# --- DataNode → NameNode on behalf of a WebHDFS client ----------------------------------------


class _ClientCall(_Model):
    path: str
    #: WebHDFS `user.name` (simple authentication, as Hadoop without Kerberos).
    user: str
    #: The lease holder's name, e.g. `webhdfs-<uuid>`: one per CREATE/APPEND request.
    client: str


class CreateRequest(_ClientCall):
    overwrite: bool = False
    replication: int | None = None
    block_size: int | None = None
    permission: int = 0o644


class AddBlockRequest(_ClientCall):
    """Allocate the next block; `previous` is the last block with its final length."""

    previous: BlockModel | None = None
    #: The DataNode asking (it is the writer: the first replica goes there when it can).
    writer: str
    #: DataNodes that failed in this write's pipelines (HDFS's excludeNodes).
    excluded: list[str] = []


class LocatedBlock(_Model):
    block: BlockModel
    #: Where the block's replicas are (a read) or go (a write's pipeline), first = nearest.
    locations: list[str]
    #: The block's offset in the file.
    offset: int = 0


class CompleteRequest(_ClientCall):
    last: BlockModel | None = None


class AppendRequest(_ClientCall):
    writer: str


class AppendAnswer(_Model):
    #: The partial last block, reopened with a new generation stamp (None: start a new block).
    last_block: LocatedBlock | None
    file_length: int


class BlockLocationsRequest(_ClientCall):
    offset: int = 0
    #: None: to the end of the file.
    length: int | None = None


class BlockLocations(_Model):
    file_length: int
    blocks: list[LocatedBlock]
    #: The file is still being written (its last block may grow).
    under_construction: bool = False
