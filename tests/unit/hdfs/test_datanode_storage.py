"""A DataNode's replicas on disk: round trips, ranged and verified reads, corruption, crash
recovery, append, truncate, block reports and checksums — real files in tmp_path."""

from __future__ import annotations

import hashlib
import os
import random
import shutil
from pathlib import Path

import pytest
from awscrt.checksums import crc32c

from emr.hdfs.datanode import (
    BlockStore,
    CorruptReplica,
    ReplicaAlreadyExists,
    ReplicaBusy,
    ReplicaNotFound,
    file_checksum,
)
from emr.hdfs.datanode.checksums import (
    HEADER_SIZE,
    BlockChecksum,
    ChunkChecksummer,
    MetaHeader,
    chunk_crcs,
)
from emr.hdfs.datanode.storage import MAX_IO
from emr.hdfs.types import Block

GS = 1001
MIB = 1 << 20


def payload(size: int, seed: int = 0) -> bytes:
    return random.Random(seed).randbytes(size)


def put(store: BlockStore, block_id: int, data: bytes, gs: int = GS, piece: int = 70_000) -> Block:
    writer = store.open_writer(block_id, gs)
    for start in range(0, len(data), piece):
        writer.write(data[start : start + piece])
    return writer.finalize()


def read_all(store: BlockStore, block_id: int, offset: int = 0, length: int | None = None) -> bytes:
    with store.read(block_id, offset, length) as reader:
        return b"".join(reader)


def meta_path(store: BlockStore, block_id: int, gs: int = GS) -> Path:
    return store.finalized_dir / f"blk_{block_id}_{gs}.meta"


def flip_byte(path: Path, offset: int) -> None:
    with open(path, "r+b") as file:
        file.seek(offset)
        byte = file.read(1)
        file.seek(offset)
        file.write(bytes([byte[0] ^ 0xFF]))


# --- round trips ------------------------------------------------------------------------------

SIZES = [0, 1, 511, 512, 513, 1023, 1024, 1025, MIB - 1, MIB, MIB + 1, 3 * MIB + 7]


@pytest.mark.parametrize("size", SIZES)
def test_round_trip(tmp_path: Path, size: int) -> None:
    store = BlockStore(tmp_path)
    data = payload(size, size)
    assert put(store, 7, data) == Block(7, GS, size)
    assert read_all(store, 7) == data
    assert (store.finalized_dir / "blk_7").read_bytes() == data
    meta = meta_path(store, 7).read_bytes()
    assert MetaHeader.unpack(meta[:HEADER_SIZE]) == MetaHeader(512, size)
    assert meta[:7] == b"\x00\x01\x02\x00\x00\x02\x00"  # Hadoop's header: v1, CRC32C, 512
    assert meta[HEADER_SIZE:] == chunk_crcs(data, 512)
    assert len(meta) == HEADER_SIZE + 4 * -(-size // 512)
    assert list(store.rbw_dir.iterdir()) == []
    assert store.block_report() == [Block(7, GS, size)]


@pytest.mark.parametrize("piece", [1, 3, 511, 512, 513, 4096, MIB + 5])
def test_pieces_of_any_size_give_the_same_checksums(tmp_path: Path, piece: int) -> None:
    store = BlockStore(tmp_path)
    data = payload(20_000 if piece < 100 else 2 * MIB + 3, piece)
    put(store, 1, data, piece=piece)
    assert meta_path(store, 1).read_bytes()[HEADER_SIZE:] == chunk_crcs(data, 512)


def test_checksummer_matches_chunk_crcs_for_random_splits() -> None:
    rng = random.Random(5)
    data = payload(10_000, 5)
    summer, out, position = ChunkChecksummer(512), b"", 0
    while position < len(data):
        step = rng.randint(0, 1500)
        out += summer.update(data[position : position + step])
        position += step
    assert out + summer.finish() == chunk_crcs(data, 512)
    assert int.from_bytes(chunk_crcs(b"123456789", 512), "big") == 0xE3069283  # CRC32C check


def test_store_survives_reopening(tmp_path: Path) -> None:
    store = BlockStore(tmp_path)
    put(store, 2, payload(3000))
    put(store, 1, b"")
    reopened = BlockStore(tmp_path)
    assert reopened.block_report() == [Block(1, GS, 0), Block(2, GS, 3000)]
    assert reopened.recovery.removed == reopened.recovery.corrupt == ()
    assert read_all(reopened, 2) == payload(3000)


def test_custom_chunk_size(tmp_path: Path) -> None:
    store = BlockStore(tmp_path, bytes_per_checksum=4096)
    data = payload(10_000)
    put(store, 1, data)
    assert MetaHeader.unpack(meta_path(store, 1).read_bytes()[:HEADER_SIZE]).chunks == 3
    assert read_all(BlockStore(tmp_path), 1, 5000, 100) == data[5000:5100]


# --- ranged reads -----------------------------------------------------------------------------

RANGES = [
    (0, 0),
    (0, 1),
    (511, 2),
    (512, 512),
    (700, 1),
    (1000, 5000),
    (MIB - 3, 10),
    (MIB, MIB),
    (5, 2 * MIB),
    (2 * MIB + 1, 100),
    (2 * MIB + 99, 1),
    (2 * MIB + 100, 0),
]


@pytest.mark.parametrize(("offset", "length"), RANGES)
def test_ranged_read(tmp_path: Path, offset: int, length: int) -> None:
    store = BlockStore(tmp_path)
    data = payload(2 * MIB + 100)
    put(store, 3, data)
    with store.read(3, offset, length) as reader:
        pieces = list(reader)
    assert b"".join(pieces) == data[offset : offset + length]
    assert all(0 < len(p) <= MAX_IO for p in pieces)


def test_read_past_the_end_is_clipped_and_offsets_are_checked(tmp_path: Path) -> None:
    store = BlockStore(tmp_path)
    put(store, 3, payload(1000))
    assert read_all(store, 3, 900, 500) == payload(1000)[900:]
    assert read_all(store, 3, 1000) == b""
    with pytest.raises(ValueError):
        store.read(3, 1001)
    with pytest.raises(ValueError):
        store.read(3, -1)
    with pytest.raises(ReplicaNotFound):
        store.read(4)


def test_an_unread_reader_can_be_closed(tmp_path: Path) -> None:
    store = BlockStore(tmp_path)
    put(store, 3, payload(1000))
    reader = store.read(3)
    reader.close()
    with pytest.raises(StopIteration):
        next(reader)


# --- corruption -------------------------------------------------------------------------------


def test_one_flipped_byte_is_caught_before_it_is_returned(tmp_path: Path) -> None:
    store = BlockStore(tmp_path)
    data = payload(3 * MIB)
    put(store, 9, data)
    bad = MIB + MIB // 2
    flip_byte(store.finalized_dir / "blk_9", bad)
    assert read_all(store, 9, 0, MIB) == data[:MIB]  # chunks before it are fine
    received = b""
    with pytest.raises(CorruptReplica) as raised, store.read(9) as reader:
        for piece in reader:
            received += piece
    assert raised.value.block_id == 9 and f"chunk {bad // 512}" in str(raised.value)
    assert received == data[:MIB]  # only the verified piece before the bad one
    assert store.block_report() == []
    assert store.corrupt_replicas() == [Block(9, GS, 3 * MIB)]
    with pytest.raises(CorruptReplica):
        store.read(9, 0, 10)  # marked: refused at once
    assert store.delete(9)
    assert store.corrupt_replicas() == [] and list(store.finalized_dir.iterdir()) == []


def test_a_flipped_checksum_is_corruption_too(tmp_path: Path) -> None:
    store = BlockStore(tmp_path)
    put(store, 9, payload(5000))
    flip_byte(meta_path(store, 9), HEADER_SIZE + 4 * 3)
    with pytest.raises(CorruptReplica):
        read_all(store, 9, 1600, 10)


def test_corruption_in_the_last_partial_chunk(tmp_path: Path) -> None:
    store = BlockStore(tmp_path)
    put(store, 9, payload(1000))
    flip_byte(store.finalized_dir / "blk_9", 999)
    assert read_all(store, 9, 0, 512) == payload(1000)[:512]
    with pytest.raises(CorruptReplica):
        read_all(store, 9, 998, 1)


# --- crash recovery ---------------------------------------------------------------------------


def test_torn_replica_being_written_is_removed_at_open(tmp_path: Path) -> None:
    store = BlockStore(tmp_path)
    put(store, 1, payload(2000))
    # What a crash leaves mid-write: a data file and a meta without its header's length.
    (store.rbw_dir / "blk_2").write_bytes(payload(1300))
    (store.rbw_dir / "blk_2_1001.meta").write_bytes(MetaHeader(512, 0).pack() + b"\x01\x02")
    reopened = BlockStore(tmp_path)
    assert reopened.recovery.removed == ("rbw/blk_2", "rbw/blk_2_1001.meta")
    assert reopened.block_report() == [Block(1, GS, 2000)]
    with pytest.raises(ReplicaNotFound):
        reopened.read(2)
    assert list(reopened.rbw_dir.iterdir()) == []
    assert read_all(reopened, 1) == payload(2000)


def test_crash_between_the_two_renames_of_finalize(tmp_path: Path) -> None:
    store = BlockStore(tmp_path)
    put(store, 2, payload(2000))
    # The meta already moved, the data (the commit point) did not.
    os.rename(store.finalized_dir / "blk_2", store.rbw_dir / "blk_2")
    reopened = BlockStore(tmp_path)
    assert set(reopened.recovery.removed) == {"rbw/blk_2", "finalized/blk_2_1001.meta"}
    assert reopened.block_report() == [] and reopened.corrupt_replicas() == []


def test_finalized_replica_without_meta_is_corrupt(tmp_path: Path) -> None:
    store = BlockStore(tmp_path)
    put(store, 4, payload(2000))
    put(store, 5, payload(100))
    meta_path(store, 4).unlink()
    reopened = BlockStore(tmp_path)
    assert reopened.recovery.corrupt == (4,)
    assert reopened.corrupt_replicas() == [Block(4, 0, 2000)]  # stamp unknown
    assert reopened.block_report() == [Block(5, GS, 100)]
    with pytest.raises(CorruptReplica):
        reopened.read(4)
    with pytest.raises(ReplicaAlreadyExists):
        reopened.open_writer(4, GS)
    assert reopened.delete(4) and reopened.corrupt_replicas() == []


def test_data_shorter_than_its_meta_is_corrupt(tmp_path: Path) -> None:
    store = BlockStore(tmp_path)
    put(store, 4, payload(2000))
    os.truncate(store.finalized_dir / "blk_4", 1500)
    assert BlockStore(tmp_path).corrupt_replicas() == [Block(4, GS, 2000)]


def test_crash_during_append_keeps_the_committed_replica(tmp_path: Path) -> None:
    store = BlockStore(tmp_path)
    block = put(store, 6, payload(1000))
    writer = store.append_writer(block, GS + 1)
    writer.write(payload(5000, 1))
    # A crash now: keep what is on disk (appended bytes, the new meta in rbw/).
    data_copy = (store.finalized_dir / "blk_6").read_bytes()
    rbw_copy = {p.name: p.read_bytes() for p in store.rbw_dir.iterdir()}
    writer.abort()
    (store.finalized_dir / "blk_6").write_bytes(data_copy + payload(3000, 2))
    for name, content in rbw_copy.items():
        (store.rbw_dir / name).write_bytes(content)
    reopened = BlockStore(tmp_path)
    assert reopened.recovery.truncated == (6,)
    assert reopened.block_report() == [block]
    assert read_all(reopened, 6) == payload(1000)


def test_crash_after_an_append_committed_keeps_the_newer_meta(tmp_path: Path) -> None:
    store = BlockStore(tmp_path)
    block = put(store, 6, payload(1000))
    old_meta = meta_path(store, 6).read_bytes()
    writer = store.append_writer(block, GS + 1)
    writer.write(payload(700, 1))
    assert writer.finalize() == Block(6, GS + 1, 1700)
    meta_path(store, 6).write_bytes(old_meta)  # the old meta's removal was lost
    reopened = BlockStore(tmp_path)
    assert reopened.recovery.removed == ("finalized/blk_6_1001.meta",)
    assert reopened.block_report() == [Block(6, GS + 1, 1700)]
    assert read_all(reopened, 6) == payload(1000) + payload(700, 1)


# --- writers ----------------------------------------------------------------------------------


def test_one_writer_per_block_and_no_overwrite(tmp_path: Path) -> None:
    store = BlockStore(tmp_path)
    writer = store.open_writer(1, GS)
    with pytest.raises(ReplicaBusy):
        store.open_writer(1, GS)
    with pytest.raises(ReplicaBusy):
        store.delete(1)
    writer.write(b"x" * 10)
    writer.abort()
    assert list(store.rbw_dir.iterdir()) == [] and store.block_report() == []
    put(store, 1, b"abc")
    with pytest.raises(ReplicaAlreadyExists):
        store.open_writer(1, GS)


def test_writer_as_context_manager_aborts_on_error(tmp_path: Path) -> None:
    store = BlockStore(tmp_path)
    with pytest.raises(RuntimeError), store.open_writer(1, GS) as writer:
        writer.write(b"partial")
        raise RuntimeError("client went away")
    assert list(store.rbw_dir.iterdir()) == [] and store.replica(1) is None
    with store.open_writer(1, GS) as writer:
        writer.write(b"whole")
        writer.finalize()
    assert store.replica(1) == Block(1, GS, 5)
    with pytest.raises(ValueError):
        writer.write(b"more")


# --- append -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("before", "added"), [(0, 10), (1000, 3000), (1024, 512), (700, 1)])
def test_append(tmp_path: Path, before: int, added: int) -> None:
    store = BlockStore(tmp_path)
    first, more = payload(before, 1), payload(added, 2)
    block = put(store, 5, first)
    writer = store.append_writer(block, GS + 1)
    writer.write(more[: added // 2])
    assert read_all(store, 5) == first  # readers see the committed replica meanwhile
    writer.write(more[added // 2 :])
    assert writer.length == before + added
    assert store.block_report() == [block]
    assert writer.finalize() == Block(5, GS + 1, before + added)
    assert read_all(store, 5) == first + more
    assert not meta_path(store, 5, GS).exists()
    meta = meta_path(store, 5, GS + 1).read_bytes()
    assert meta[HEADER_SIZE:] == chunk_crcs(first + more, 512)
    assert list(store.rbw_dir.iterdir()) == []


def test_append_needs_the_current_version(tmp_path: Path) -> None:
    store = BlockStore(tmp_path)
    put(store, 5, payload(100))
    with pytest.raises(ReplicaNotFound):
        store.append_writer(Block(5, GS - 1, 100), GS + 1)
    with pytest.raises(ReplicaNotFound):
        store.append_writer(Block(5, GS, 99), GS + 1)
    with pytest.raises(ReplicaNotFound):
        store.append_writer(Block(6, GS, 0), GS + 1)
    with pytest.raises(ValueError):
        store.append_writer(Block(5, GS, 100), GS - 1)
    # None of the refusals kept the replica busy.
    assert store.append_writer(Block(5, GS, 100), GS + 1).finalize() == Block(5, GS + 1, 100)


def test_aborted_append_leaves_the_replica_as_it_was(tmp_path: Path) -> None:
    store = BlockStore(tmp_path)
    block = put(store, 5, payload(1000))
    writer = store.append_writer(block, GS + 1)
    writer.write(payload(5000, 3))
    writer.abort()
    assert (store.finalized_dir / "blk_5").stat().st_size == 1000
    assert store.block_report() == [block] and read_all(store, 5) == payload(1000)
    assert store.append_writer(block, GS + 2).finalize() == Block(5, GS + 2, 1000)


def test_append_refuses_a_corrupt_last_chunk(tmp_path: Path) -> None:
    store = BlockStore(tmp_path)
    block = put(store, 5, payload(1000))
    flip_byte(store.finalized_dir / "blk_5", 600)
    with pytest.raises(CorruptReplica):
        store.append_writer(block, GS + 1)
    assert store.corrupt_replicas() == [block]


# --- truncate ---------------------------------------------------------------------------------


@pytest.mark.parametrize("new_length", [0, 1, 512, 700, 1024, 2000])
def test_truncate(tmp_path: Path, new_length: int) -> None:
    store = BlockStore(tmp_path)
    data = payload(2000)
    put(store, 8, data)
    assert store.truncate(8, new_length, GS + 1) == Block(8, GS + 1, new_length)
    assert read_all(store, 8) == data[:new_length]
    assert (store.finalized_dir / "blk_8").stat().st_size == new_length
    assert meta_path(store, 8, GS + 1).read_bytes()[HEADER_SIZE:] == chunk_crcs(
        data[:new_length], 512
    )
    assert not meta_path(store, 8, GS).exists()
    reopened = BlockStore(tmp_path)
    assert reopened.block_report() == [Block(8, GS + 1, new_length)]
    assert reopened.recovery.truncated == ()


def test_truncate_cannot_grow_and_crash_before_the_cut_is_recovered(tmp_path: Path) -> None:
    store = BlockStore(tmp_path)
    data = payload(2000)
    put(store, 8, data)
    with pytest.raises(ValueError):
        store.truncate(8, 2001, GS + 1)
    store.truncate(8, 900, GS + 1)
    with open(store.finalized_dir / "blk_8", "ab") as file:  # as if the cut had not happened
        file.write(data[900:])
    reopened = BlockStore(tmp_path)
    assert reopened.recovery.truncated == (8,)
    assert read_all(reopened, 8) == data[:900]


# --- reports, deletes, checksums --------------------------------------------------------------


def test_block_report_delete_and_storage_report(tmp_path: Path) -> None:
    store = BlockStore(tmp_path)
    for block_id in (30, 10, 20):
        put(store, block_id, payload(block_id * 100))
    assert [b.block_id for b in store.block_report()] == [10, 20, 30]
    report = store.storage_report()
    assert report.used_bytes == sum(
        n * 100 + HEADER_SIZE + 4 * -(-n * 100 // 512) for n in (10, 20, 30)
    )
    assert report.capacity_bytes >= report.remaining_bytes > 0
    assert not store.delete(20, generation_stamp=GS - 1)  # the NameNode's order is older
    assert store.delete(20, generation_stamp=GS)
    assert not store.delete(20)
    assert [b.block_id for b in store.block_report()] == [10, 30]
    assert sorted(p.name for p in store.finalized_dir.iterdir()) == [
        "blk_10",
        "blk_10_1001.meta",
        "blk_30",
        "blk_30_1001.meta",
    ]


def test_an_open_reader_survives_a_delete(tmp_path: Path) -> None:
    store = BlockStore(tmp_path)
    data = payload(3 * MIB)
    put(store, 1, data)
    with store.read(1) as reader:
        first = next(reader)
        assert store.delete(1)
        assert first + b"".join(reader) == data


def test_block_and_file_checksums(tmp_path: Path) -> None:
    store = BlockStore(tmp_path)
    first, second = payload(2048, 1), payload(100, 2)
    put(store, 1, first)
    put(store, 2, second)
    one = store.block_checksum(1)
    assert one == BlockChecksum(hashlib.md5(chunk_crcs(first, 512)).digest(), 4, 512)
    two = store.block_checksum(2)
    whole = file_checksum([one, two])
    assert whole.algorithm == "MD5-of-4MD5-of-512CRC32C"
    assert whole.length == 28
    assert whole.bytes[:12] == (512).to_bytes(4, "big") + (4).to_bytes(8, "big")
    assert whole.bytes[12:] == hashlib.md5(one.md5 + two.md5).digest()
    single = file_checksum([two])
    assert single.algorithm == "MD5-of-0MD5-of-512CRC32C"
    # The stored CRC of a one-chunk block is the chunk's CRC32C.
    assert two.md5 == hashlib.md5(crc32c(second).to_bytes(4, "big")).digest()
    with pytest.raises(ReplicaNotFound):
        store.block_checksum(3)


def test_leftover_files_that_are_not_replicas_are_left_alone(tmp_path: Path) -> None:
    store = BlockStore(tmp_path)
    (store.finalized_dir / "README").write_text("not a replica")
    shutil.copy(store.finalized_dir / "README", store.directory / "VERSION")
    reopened = BlockStore(tmp_path)
    assert reopened.block_report() == [] and (reopened.finalized_dir / "README").exists()
