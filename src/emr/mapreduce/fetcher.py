"""A reduce task's shuffle: fetch its partition of map outputs from the nodes' shuffle
services (emr.yarn.nodemanager.shuffle), several maps of one host per request, several hosts
at once (mapreduce.reduce.shuffle.parallelcopies threads).

A fetched segment stays in memory while the fetcher's memory budget allows, else it goes to a
file in the spill directory. Every failure (connection error, non-200 answer, a body shorter
or longer than its headers say) is reported per map and the map is left for a later round;
the reduce tells the AM (fetch-failure), which may re-run the map.

LIMITATIONS: no in-memory merge of fetched segments before the final merge (Hadoop's
MergeManager); no per-host penalty box beyond the reduce's own retry round; a body is read in
one pass, so a failure half-way through a batch fails the maps of the batch not yet read.
"""

from __future__ import annotations

import json
import logging
import mmap
import struct
import threading
from collections import defaultdict
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Final
from urllib.parse import urlencode

import httpx

from emr.yarn.nodemanager.shuffle import url_hash

__all__ = ["FetchFailed", "FetchedOutput", "Fetcher", "MapLocation"]

log = logging.getLogger(__name__)

#: Maps per request to one host (Hadoop's fetcher asks for every ready map of a host; a bound
#: keeps one slow host from holding a thread for the whole shuffle).
MAPS_PER_REQUEST: Final = 20
_HEADER_LENGTH: Final = struct.Struct(">I")
_CHUNK: Final = 1 << 16


@dataclass(frozen=True, slots=True)
class MapLocation:
    """A map output to fetch: which map, which attempt wrote it, which shuffle service."""

    map_index: int
    attempt_id: str
    shuffle_address: str  # host:port


@dataclass(slots=True)
class FetchedOutput:
    """One map's segment of this reduce's partition, in memory (`data`) or in a file."""

    location: MapLocation
    length: int
    records: int
    data: bytes | None = None
    path: Path | None = None

    def content(self) -> bytes:
        """The segment's bytes; a file-backed segment is memory-mapped, not read."""
        if self.data is not None:
            return self.data
        assert self.path is not None
        if self.length == 0:
            return b""
        with self.path.open("rb") as file:
            mapped = mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ)
        # mmap supports the bytes operations the record decoder uses (len, index, slice); the
        # pages are read as the merge reaches them instead of the whole file up front.
        return mapped  # type: ignore[return-value]

    def discard(self) -> None:
        """Drop the fetched bytes (the map's output became obsolete)."""
        self.data = None
        if self.path is not None:
            self.path.unlink(missing_ok=True)


@dataclass(frozen=True, slots=True)
class FetchFailed:
    """A map output not fetched; `kind` names its Shuffle Errors counter."""

    location: MapLocation
    reason: str
    kind: str = "IO_ERROR"  # CONNECTION, IO_ERROR, WRONG_LENGTH, WRONG_MAP


class _BadBody(Exception):
    def __init__(self, message: str, kind: str = "WRONG_LENGTH") -> None:
        super().__init__(message)
        self.kind = kind


class Fetcher:
    """Fetches map outputs of one reduce partition of one job."""

    def __init__(
        self,
        job_id: str,
        job_token: str,
        reduce: int,
        spill_dir: Path,
        *,
        parallel_copies: int = 5,
        memory_limit: int = 64 << 20,
        timeout: float = 60.0,
    ) -> None:
        self.job_id = job_id
        self.job_token = job_token
        self.reduce = reduce
        self.spill_dir = spill_dir
        self.parallel_copies = max(1, parallel_copies)
        self.memory_limit = memory_limit
        #: One segment may take at most a quarter of the budget (Hadoop's
        #: mapreduce.reduce.shuffle.memory.limit.percent 0.25).
        self.single_limit = memory_limit // 4
        self._memory_used = 0
        self._lock = threading.Lock()
        self._http = httpx.Client(timeout=timeout)
        self.spill_dir.mkdir(parents=True, exist_ok=True)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def url(self, host: str, attempts: Iterable[str]) -> tuple[str, str]:
        """The URL of one request and its UrlHash header."""
        query = urlencode(
            {"job": self.job_id, "reduce": str(self.reduce), "map": ",".join(attempts)},
            safe=",",
        )
        path = f"/mapOutput?{query}"
        return f"http://{host}{path}", url_hash(self.job_token, path)

    def fetch(self, locations: list[MapLocation]) -> tuple[list[FetchedOutput], list[FetchFailed]]:
        """Fetch every location once; what succeeded, and what failed (and why)."""
        by_host: dict[str, list[MapLocation]] = defaultdict(list)
        for location in locations:
            by_host[location.shuffle_address].append(location)
        batches = [
            maps[i : i + MAPS_PER_REQUEST]
            for maps in by_host.values()
            for i in range(0, len(maps), MAPS_PER_REQUEST)
        ]
        fetched: list[FetchedOutput] = []
        failed: list[FetchFailed] = []
        with ThreadPoolExecutor(self.parallel_copies, thread_name_prefix="fetcher") as pool:
            for ok, bad in pool.map(self._fetch_batch, batches):
                fetched += ok
                failed += bad
        return fetched, failed

    def release(self, output: FetchedOutput) -> None:
        """Give an in-memory segment's bytes back to the budget, and drop it."""
        if output.data is not None:
            with self._lock:
                self._memory_used -= output.length
        output.discard()

    def _fetch_batch(
        self, batch: list[MapLocation]
    ) -> tuple[list[FetchedOutput], list[FetchFailed]]:
        host = batch[0].shuffle_address
        url, digest = self.url(host, [m.attempt_id for m in batch])
        fetched: list[FetchedOutput] = []
        try:
            with self._http.stream("GET", url, headers={"UrlHash": digest}) as response:
                if response.status_code != 200:
                    response.read()
                    reason = f"HTTP {response.status_code} from {host}: {response.text[:200]}"
                    return [], [FetchFailed(m, reason, "IO_ERROR") for m in batch]
                reader = _Reader(response.iter_bytes(_CHUNK))
                for location in batch:
                    fetched.append(self._read_segment(reader, location))
                if reader.read_some():
                    raise _BadBody(f"more bytes than asked for from {host}")
        except (httpx.HTTPError, _BadBody, OSError, ValueError) as exc:
            if isinstance(exc, _BadBody):
                reason, kind = str(exc), exc.kind
            else:
                reason = f"{type(exc).__name__}: {exc}"
                kind = "CONNECTION" if isinstance(exc, httpx.TransportError) else "IO_ERROR"
            log.warning("fetch of %d map(s) from %s failed: %s", len(batch), host, reason)
            done = {f.location.attempt_id for f in fetched}
            failed = [FetchFailed(m, reason, kind) for m in batch if m.attempt_id not in done]
            return fetched, failed
        return fetched, []

    def _read_segment(self, reader: _Reader, location: MapLocation) -> FetchedOutput:
        (header_length,) = _HEADER_LENGTH.unpack(reader.read_exactly(_HEADER_LENGTH.size))
        if header_length > 1 << 16:
            raise _BadBody(f"bad header length {header_length} for {location.attempt_id}")
        header = json.loads(reader.read_exactly(header_length))
        if header.get("map") != location.attempt_id or header.get("reduce") != self.reduce:
            raise _BadBody(f"unexpected segment {header} for {location.attempt_id}", "WRONG_MAP")
        length, records = int(header["length"]), int(header["records"])
        if length < 0:
            raise _BadBody(f"bad length {length} for {location.attempt_id}")
        output = FetchedOutput(location, length, records)
        if self._reserve(length):
            try:
                output.data = reader.read_exactly(length)
            except BaseException:
                with self._lock:
                    self._memory_used -= length
                raise
            return output
        path = self.spill_dir / f"map_{location.map_index}_{location.attempt_id}.out"
        output.path = path
        try:
            with path.open("wb") as file:
                left = length
                while left > 0:
                    chunk = reader.read_some(left)
                    if not chunk:
                        raise _BadBody(f"short body for {location.attempt_id}")
                    file.write(chunk)
                    left -= len(chunk)
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        return output

    def _reserve(self, length: int) -> bool:
        if length > self.single_limit:
            return False
        with self._lock:
            if self._memory_used + length > self.memory_limit:
                return False
            self._memory_used += length
            return True


class _Reader:
    """Exact-length reads over an iterator of chunks."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self._chunks = iter(chunks)
        self._buffer = b""

    def read_some(self, limit: int = _CHUNK) -> bytes:
        if not self._buffer:
            self._buffer = next(self._chunks, b"")
        piece, self._buffer = self._buffer[:limit], self._buffer[limit:]
        return piece

    def read_exactly(self, n: int) -> bytes:
        parts: list[bytes] = []
        left = n
        while left > 0:
            piece = self.read_some(left)
            if not piece:
                raise _BadBody(f"body ended {left} bytes early")
            parts.append(piece)
            left -= len(piece)
        return b"".join(parts)
