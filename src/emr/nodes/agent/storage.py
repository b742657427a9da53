"""S3 as a node sees it: the region's endpoint and the cluster's credentials.

boto3 costs about half a second to import, and most nodes never touch S3, so the client is
made on first use (in a worker thread, like every call: the agent's event loop keeps
heartbeating meanwhile) and then shared.
"""

from __future__ import annotations

import asyncio
import gzip
import logging
import shutil
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from emr.nodes.protocol import AgentConfig

__all__ = ["FetchError", "NodeS3", "S3Location", "normalize_log_uri", "parse_s3_uri"]

log = logging.getLogger(__name__)

_S3_SCHEMES = ("s3", "s3n", "s3a")


class FetchError(Exception):
    """A script or jar could not be fetched; the message is shown to the user as is."""


@dataclass(frozen=True, slots=True)
class S3Location:
    bucket: str
    key: str

    @property
    def uri(self) -> str:
        return f"s3://{self.bucket}/{self.key}"

    def child(self, *parts: str) -> S3Location:
        """The location `parts` below this one (this one's key is a prefix ending in /)."""
        return S3Location(self.bucket, self.key + "/".join(parts))


def parse_s3_uri(uri: str) -> S3Location | None:
    """`s3://bucket/key` (or s3n://, s3a://) → location; None for any other URI."""
    parts = urlsplit(uri)
    if parts.scheme not in _S3_SCHEMES or not parts.netloc:
        return None
    return S3Location(parts.netloc, parts.path.lstrip("/"))


def normalize_log_uri(uri: str) -> S3Location | None:
    """A cluster's LogUri as a prefix: s3 scheme, key ending in `/` (or empty)."""
    location = parse_s3_uri(uri)
    if location is None:
        return None
    key = location.key
    if key and not key.endswith("/"):
        key += "/"
    return S3Location(location.bucket, key)


class NodeS3:
    """Downloads and uploads with the node's credentials; one lazily made boto3 client."""

    def __init__(self, config: AgentConfig) -> None:
        self._config = config
        self._client: Any = None
        self._lock = threading.Lock()

    def _s3(self) -> Any:
        with self._lock:
            if self._client is None:
                import boto3
                from botocore.config import Config

                self._client = boto3.session.Session().client(
                    "s3",
                    endpoint_url=self._config.region_url,
                    aws_access_key_id=self._config.access_key_id,
                    aws_secret_access_key=self._config.secret_access_key,
                    region_name=self._config.region_name,
                    config=Config(
                        s3={"addressing_style": "path"},
                        retries={"max_attempts": 3, "mode": "standard"},
                    ),
                )
            return self._client

    async def fetch(self, uri: str, directory: Path) -> Path:
        """Put the file at `uri` (s3://…, file:///abs, or /abs) into `directory`, executable.

        Local files are copied, not used in place: making them executable must not touch
        the user's own file.
        """
        location = parse_s3_uri(uri)
        if location is not None:
            target = directory / (Path(location.key).name or "script")
            try:
                await asyncio.to_thread(self._download, location, target)
            except Exception as exc:
                raise FetchError(f"failed to download {uri}: {exc}") from exc
        else:
            source = _local_path(uri)
            target = directory / source.name
            try:
                await asyncio.to_thread(shutil.copyfile, source, target)
            except OSError as exc:
                raise FetchError(f"{uri}: {exc.strerror or exc}") from exc
        target.chmod(0o700)
        return target

    def _download(self, location: S3Location, target: Path) -> None:
        self._s3().download_file(location.bucket, location.key, str(target))

    async def upload_gzipped(self, files: dict[str, Path], prefix: S3Location) -> None:
        """Upload each `name → path` as `<prefix><name>.gz`; a missing file uploads empty.

        Failures are logged, not raised: logs are best effort, the step's outcome is not.
        """
        try:
            await asyncio.to_thread(self._upload_gzipped, files, prefix)
        except Exception:
            log.warning("log upload to %s failed", prefix.uri, exc_info=True)

    def _upload_gzipped(self, files: dict[str, Path], prefix: S3Location) -> None:
        client = self._s3()
        for name, path in files.items():
            with tempfile.TemporaryFile() as packed:
                with gzip.GzipFile(fileobj=packed, mode="wb") as gz:
                    if path.exists():
                        with path.open("rb") as source:
                            shutil.copyfileobj(source, gz)
                packed.seek(0)
                target = prefix.child(f"{name}.gz")
                client.put_object(Bucket=target.bucket, Key=target.key, Body=packed)


def _local_path(uri: str) -> Path:
    if uri.startswith("file://"):
        parts = urlsplit(uri)
        if parts.netloc not in ("", "localhost"):
            raise FetchError(f"{uri}: file URIs must name a local absolute path")
        return Path(unquote(parts.path))
    path = Path(uri)
    if not path.is_absolute():
        raise FetchError(f"{uri}: expected an s3:// URI, a file:// URI or an absolute path")
    return path
