"""Names HDFS's parts share: blocks and the DataNodes that hold them."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Block", "DatanodeId"]

#: A DataNode is known by its transfer address, `<node-ip>:<port>` (9864 on this platform).
DatanodeId = str


@dataclass(frozen=True, slots=True)
class Block:
    """One block of a file: its id, generation stamp (bumped by append/recovery) and length."""

    block_id: int
    generation_stamp: int
    num_bytes: int

    @property
    def name(self) -> str:
        """Hadoop's block name, `blk_<id>` (the replica file's name on a DataNode)."""
        return f"blk_{self.block_id}"
