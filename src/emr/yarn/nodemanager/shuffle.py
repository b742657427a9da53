"""The NodeManager's shuffle service (Hadoop's ShuffleHandler, aux-service `mapreduce_shuffle`):
reducers read their partition of the map outputs written on this node.

    GET /mapOutput?job=<job id>&reduce=<r>&map=<attempt>[,<attempt>…]
    UrlHash: base64(HMAC-SHA1(job token, "/mapOutput?job=…&reduce=…&map=…"))

The job token comes with the application's containers (`LaunchContext.service_data
["mapreduce_shuffle"]`) and is dropped when the application finishes. A map attempt's output
is `<local dir>/usercache/<user>/appcache/<app id>/output/<attempt id>/file.out` and
`file.out.index` (per partition `>QQQ`: offset, length, records). The 200 body holds, per map
in the order asked, a 4-byte big-endian header length, a JSON header {"map", "reduce",
"length", "records"}, then the segment's bytes, streamed from disk.

Answers: 400 malformed query, 401 missing or wrong UrlHash, 404 unknown job, map output or
partition. Only ids that parse (emr.mapreduce.ids) reach a path, so a query cannot name a file
outside the map output directories.

LIMITATIONS: no ReplyHash header, no keep-alive batching limits, no `mapreduce.shuffle
.max.connections`; the job token is the application's (Hadoop's per-job secret) and lives in
memory only, so a restarted NodeManager serves nothing until the job starts a new container.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import logging
import struct
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route

from emr.hdfs.site import read_site_xml
from emr.mapreduce.ids import JobId, TaskAttemptId
from emr.yarn.ids import InvalidId

__all__ = [
    "SERVICE_NAME",
    "SHUFFLE_PORT",
    "ShuffleService",
    "create_shuffle_app",
    "shuffle_port",
    "url_hash",
]

log = logging.getLogger(__name__)

#: The aux-service name, and the key of the job token in `LaunchContext.service_data`.
SERVICE_NAME: Final = "mapreduce_shuffle"
#: mapreduce.shuffle.port's default.
SHUFFLE_PORT: Final = 13562

_INDEX_RECORD: Final = struct.Struct(">QQQ")
_CHUNK: Final = 1 << 20


def shuffle_port(conf_dir: Path) -> int:
    """mapreduce.shuffle.port from the node's mapred-site.xml (over yarn-site.xml); 0 means
    any free port."""
    site = read_site_xml(conf_dir / "yarn-site.xml") | read_site_xml(conf_dir / "mapred-site.xml")
    value = site.get("mapreduce.shuffle.port", "").strip()
    return int(value) if value.isdigit() else SHUFFLE_PORT


def url_hash(job_token: str, path_and_query: str) -> str:
    """The UrlHash header a fetcher sends for `path_and_query` (exactly as in the request)."""
    digest = hmac.new(job_token.encode(), path_and_query.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


@dataclass(frozen=True, slots=True)
class _Application:
    user: str
    job_token: str


@dataclass(frozen=True, slots=True)
class _Segment:
    map_attempt: str
    path: Path
    offset: int
    length: int
    records: int


class ShuffleService:
    """Job tokens of this node's applications, and the map outputs they may read."""

    def __init__(self, local_dirs: tuple[Path, ...]) -> None:
        self.local_dirs = local_dirs
        self._apps: dict[str, _Application] = {}

    def add_application(self, application_id: str, user: str, job_token: str) -> None:
        """Remember an application's job token (a container of it started here)."""
        self._apps[application_id] = _Application(user, job_token)

    def remove_application(self, application_id: str) -> None:
        """Forget an application (it finished): its map outputs are no longer served."""
        self._apps.pop(application_id, None)

    def has_application(self, application_id: str) -> bool:
        return application_id in self._apps

    async def map_output(self, request: Request) -> Response:
        query = request.query_params
        try:
            job_id = JobId.parse(query.get("job", ""))
            reduce_text = query.get("reduce", "")
            if not reduce_text.isdigit():
                raise InvalidId(f"Invalid reduce: {reduce_text!r}")
            reduce = int(reduce_text)
            attempts = [TaskAttemptId.parse(a) for a in query.get("map", "").split(",")]
        except InvalidId as exc:
            return PlainTextResponse(str(exc), 400)
        app_id = str(job_id.application_id)
        app = self._apps.get(app_id)
        sent = request.headers.get("urlhash", "")
        if app is None:
            # Nothing to check the hash against: Hadoop answers the same for an unknown job.
            return PlainTextResponse(f"Unknown job {job_id}", 404)
        raw_path = request.scope.get("raw_path") or request.url.path.encode()
        query_string: bytes = request.scope.get("query_string", b"")
        signed = raw_path.decode("latin-1") + "?" + query_string.decode("latin-1")
        expected = url_hash(app.job_token, signed)
        if not sent or not hmac.compare_digest(sent.encode(), expected.encode()):
            log.warning("shuffle: bad UrlHash for %s from %s", job_id, request.client)
            return PlainTextResponse("Unauthorized: verification of the hashReply failed", 401)
        segments = []
        for attempt in attempts:
            if attempt.task_id.job_id != job_id or attempt.task_id.type != "m":
                return PlainTextResponse(f"{attempt} is not a map of {job_id}", 400)
            segment = await asyncio.to_thread(self._segment, app_id, app.user, attempt, reduce)
            if segment is None:
                return PlainTextResponse(
                    f"Map output of {attempt} for reduce {reduce} not found", 404
                )
            segments.append(segment)
        return StreamingResponse(_stream(segments, reduce), media_type="application/octet-stream")

    def _segment(
        self, app_id: str, user: str, attempt: TaskAttemptId, reduce: int
    ) -> _Segment | None:
        for local_dir in self.local_dirs:
            base = local_dir / "usercache" / user / "appcache" / app_id / "output" / str(attempt)
            data, index = base / "file.out", base / "file.out.index"
            try:
                with index.open("rb") as file:
                    file.seek(reduce * _INDEX_RECORD.size)
                    record = file.read(_INDEX_RECORD.size)
                if len(record) < _INDEX_RECORD.size or not data.is_file():
                    continue
            except OSError:
                continue
            offset, length, records = _INDEX_RECORD.unpack(record)
            return _Segment(str(attempt), data, offset, length, records)
        return None


async def _stream(segments: list[_Segment], reduce: int) -> AsyncIterator[bytes]:
    for segment in segments:
        header = json.dumps(
            {
                "map": segment.map_attempt,
                "reduce": reduce,
                "length": segment.length,
                "records": segment.records,
            }
        ).encode()
        yield struct.pack(">I", len(header)) + header
        with segment.path.open("rb") as file:
            file.seek(segment.offset)
            left = segment.length
            while left > 0:
                chunk = await asyncio.to_thread(file.read, min(_CHUNK, left))
                if not chunk:
                    # A truncated file: end the body short; the fetcher sees a bad length.
                    log.warning("shuffle: %s is shorter than its index says", segment.path)
                    return
                left -= len(chunk)
                yield chunk


def create_shuffle_app(service: ShuffleService) -> Starlette:
    """The shuffle service's HTTP app (served on mapreduce.shuffle.port)."""
    return Starlette(routes=[Route("/mapOutput", service.map_output, methods=["GET"])])
