"""Writes objects into a FilesystemObjectStore forever, printing each key once its PUT
returned; tests/unit/s3/test_filesystem_store.py kills it with SIGKILL mid-write."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import sys
from collections.abc import AsyncIterator
from pathlib import Path

from emr.services.s3.errors import BucketAlreadyOwnedByYou
from emr.services.s3.store.base import ObjectHeaders, Payload
from emr.services.s3.store.filesystem import FilesystemObjectStore

WRITERS = 4


def body(key: str) -> bytes:
    """Deterministic bytes for a key, so the test can check what it reads back."""
    seed = hashlib.sha256(key.encode()).digest()
    size = 1 + int.from_bytes(seed[:3], "big") % 300_000
    return (seed * (size // len(seed) + 1))[:size]


async def _chunks(data: bytes) -> AsyncIterator[bytes]:
    for start in range(0, len(data), 16_384):
        yield data[start : start + 16_384]


async def main(root: Path, round_id: str) -> None:
    store = FilesystemObjectStore(root)
    with contextlib.suppress(BucketAlreadyOwnedByYou):  # rounds after the first
        await store.create_bucket("crash", region="us-east-1", owner_account="1")

    async def writer(w: int) -> None:
        n = 0
        while True:
            key = f"{round_id}/{n % 7}/{w}-{n}"  # n % 7: overwrite-free, but prefixes shared
            await store.put_object(
                "crash", key, Payload(_chunks(body(key))), ObjectHeaders(), owner_account="1"
            )
            await store.put_object(  # and an overwrite of one shared key
                "crash", "shared", Payload(_chunks(body(key))), ObjectHeaders(), owner_account="1"
            )
            print(key, flush=True)
            n += 1

    # Concurrent writers, so that commits are grouped when the kill lands.
    await asyncio.gather(*(writer(w) for w in range(WRITERS)))


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1]), sys.argv[2]))
