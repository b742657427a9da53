"""Quick figures for FilesystemObjectStore on its own (no HTTP): small PUT/GET/HEAD ops/s,
LIST of 10,000 keys, large GET MiB/s. Run: uv run python bench/s3_filesystem_store.py [dir]"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

from emr.services.s3.store.base import ObjectHeaders, Payload
from emr.services.s3.store.filesystem import FilesystemObjectStore

SMALL = os.urandom(1024)


async def _one(data: bytes) -> AsyncIterator[bytes]:
    yield data


async def _timed(
    label: str, count: int, concurrency: int, op: Callable[[int], Awaitable[object]]
) -> None:
    queue = iter(range(count))

    async def worker() -> None:
        for n in queue:
            await op(n)

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - start
    print(f"{label:<40} {count / elapsed:10.0f} ops/s  ({count} ops, {concurrency} concurrent)")


async def main(root: Path) -> None:
    store = FilesystemObjectStore(root)
    await store.create_bucket("bench", region="us-east-1", owner_account="1")

    async def put(n: int) -> object:
        return await store.put_object(
            "bench", f"small/{n:06d}", Payload(_one(SMALL)), ObjectHeaders(), owner_account="1"
        )

    async def get(n: int) -> object:
        version = await store.get_object("bench", f"small/{n % 2000:06d}")
        return [chunk async for chunk in store.read_object(version)]

    async def head(n: int) -> object:
        return await store.get_object("bench", f"small/{n % 2000:06d}")

    await _timed("PUT 1 KiB", 500, 1, put)
    await _timed("PUT 1 KiB", 2000, 16, lambda n: put(n + 500))
    await _timed("GET 1 KiB", 2000, 1, get)
    await _timed("GET 1 KiB", 4000, 16, get)
    await _timed("HEAD", 4000, 16, head)

    for n in range(2500, 10_000, 500):  # fill to 10,000 keys quickly
        await asyncio.gather(*(put(m) for m in range(n, n + 500)))

    async def list_all(_: int) -> object:
        after = ""
        while True:
            page = await store.list_objects("bench", after=after)
            if not page.is_truncated:
                return None
            after = page.next_marker or ""

    async def list_rollup(_: int) -> object:
        return await store.list_objects("bench", delimiter="/")

    await _timed("LIST 10,000 keys (10 pages of 1000)", 5, 1, list_all)
    await _timed("LIST delimiter / over 10,000 keys", 200, 1, list_rollup)

    big = os.urandom(8 * 1024 * 1024)

    async def big_body() -> AsyncIterator[bytes]:
        for _ in range(32):
            yield big

    version = await store.put_object(
        "bench", "big", Payload(big_body()), ObjectHeaders(), owner_account="1"
    )
    start = time.perf_counter()
    total = 0
    for _ in range(3):
        async for chunk in store.read_object(version):
            total += len(chunk)
    elapsed = time.perf_counter() - start
    print(f"{'GET 256 MiB':<40} {total / elapsed / 2**20:10.0f} MiB/s")
    await store.close()


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp(prefix="s3bench-"))
    asyncio.run(main(target))
