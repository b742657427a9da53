"""S3 (`s3://`, `s3a://`, `s3n://`) as S3A sees it: keys with `/` make directories, an empty
`dir/` object marks an empty directory. boto3 is imported on first use: most shell calls never
touch S3 and its import costs more than the rest of the shell.

LIMITATIONS: no permissions or owners (files show rw-rw-rw-, directories rwxrwxrwx, both owned
by the caller, as S3A shows them); a rename is a copy and a delete per object, not atomic.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

from emr.hdfs.shell.errors import (
    PathIsNotDirectoryError,
    PathIsNotEmptyDirectoryError,
    PathNotFoundError,
    RemoteError,
)
from emr.hdfs.shell.filesystem import CHUNK_SIZE, ContentSummary, FileStatus, FileSystem

__all__ = ["S3FileSystem"]

#: fs.s3a.block.size
_BLOCK_SIZE = 32 * 1024 * 1024


class _ChunkReader(io.RawIOBase):
    """A readable file over an iterator of chunks, for boto3's managed upload."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self._chunks = iter(chunks)
        self._pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._pending:
            try:
                self._pending = next(self._chunks)
            except StopIteration:
                return 0
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size


class S3FileSystem(FileSystem):
    """One bucket, with the environment's credentials and AWS_ENDPOINT_URL."""

    def __init__(self, scheme: str, bucket: str, user: str) -> None:
        self.uri = f"{scheme}://{bucket}"
        self.bucket = bucket
        self.user = user
        self._client: Any = None

    @property
    def client(self) -> Any:
        if self._client is None:
            import boto3
            from botocore.config import Config

            self._client = boto3.session.Session().client(
                "s3", config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 3})
            )
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()

    def _error(self, exc: Exception, path: str) -> Exception:
        response = getattr(exc, "response", None)
        if isinstance(response, dict):
            error = response.get("Error", {})
            code = str(error.get("Code", ""))
            if code in ("NoSuchKey", "404", "NotFound"):
                return PathNotFoundError(path)
            if code == "NoSuchBucket":
                return RemoteError(code, f"Bucket {self.bucket} does not exist")
            return RemoteError(code, f"{self.uri}{path}: {code}: {error.get('Message', '')}")
        return RemoteError(type(exc).__name__, f"{self.uri}{path}: {exc}")

    @staticmethod
    def _key(path: str) -> str:
        return path.lstrip("/")

    def _file(self, key: str, size: int, modified: Any) -> FileStatus:
        millis = int(modified.timestamp() * 1000) if modified is not None else 0
        return FileStatus(
            path="/" + key,
            is_dir=False,
            length=size,
            replication=1,
            block_size=_BLOCK_SIZE,
            owner=self.user,
            group=self.user,
            permission=0o666,
            modification_time=millis,
            access_time=0,
        )

    def _dir(self, path: str) -> FileStatus:
        return FileStatus(path, True, owner=self.user, group=self.user, permission=0o777)

    def _objects(self, prefix: str, delimiter: str | None = None) -> Iterator[dict[str, Any]]:
        paginator = self.client.get_paginator("list_objects_v2")
        arguments = {"Bucket": self.bucket, "Prefix": prefix}
        if delimiter:
            arguments["Delimiter"] = delimiter
        yield from paginator.paginate(**arguments)

    def status(self, path: str) -> FileStatus | None:
        key = self._key(path)
        if not key:
            return self._dir("/")
        try:
            head = self.client.head_object(Bucket=self.bucket, Key=key)
            return self._file(key, int(head["ContentLength"]), head.get("LastModified"))
        except Exception as exc:
            error = self._error(exc, path)
            if not isinstance(error, PathNotFoundError):
                raise error from exc
        try:
            listed = self.client.list_objects_v2(Bucket=self.bucket, Prefix=key + "/", MaxKeys=1)
        except Exception as exc:
            raise self._error(exc, path) from exc
        return self._dir(path) if listed.get("KeyCount", 0) else None

    def list_status(self, path: str) -> list[FileStatus]:
        found = self.status(path)
        if found is None:
            raise PathNotFoundError(path)
        if not found.is_dir:
            raise PathIsNotDirectoryError(path)
        prefix = self._key(path) + "/" if self._key(path) else ""
        statuses: list[FileStatus] = []
        try:
            for page in self._objects(prefix, "/"):
                for common in page.get("CommonPrefixes", []):
                    statuses.append(self._dir("/" + common["Prefix"].rstrip("/")))
                for obj in page.get("Contents", []):
                    if obj["Key"] != prefix:
                        statuses.append(self._file(obj["Key"], obj["Size"], obj["LastModified"]))
        except Exception as exc:
            raise self._error(exc, path) from exc
        return sorted(statuses, key=lambda s: s.path)

    def open(self, path: str, offset: int = 0) -> AbstractContextManager[Iterator[bytes]]:
        return self._read(path, offset)

    @contextmanager
    def _read(self, path: str, offset: int) -> Iterator[Iterator[bytes]]:
        arguments = {"Bucket": self.bucket, "Key": self._key(path)}
        if offset:
            arguments["Range"] = f"bytes={offset}-"
        try:
            body = self.client.get_object(**arguments)["Body"]
        except Exception as exc:
            raise self._error(exc, path) from exc
        try:
            yield body.iter_chunks(CHUNK_SIZE)
        finally:
            body.close()

    def create(self, path: str, chunks: Iterable[bytes], *, overwrite: bool) -> None:
        from boto3.s3.transfer import TransferConfig

        config = TransferConfig(multipart_chunksize=8 * CHUNK_SIZE, max_concurrency=4)
        with _ChunkReader(chunks) as reader:
            try:
                self.client.upload_fileobj(reader, self.bucket, self._key(path), Config=config)
                self._drop_parent_markers(self._key(path))
            except Exception as exc:
                raise self._error(exc, path) from exc

    def _drop_parent_markers(self, key: str) -> None:
        """Delete the `dir/` markers above a new object, as S3A does (its default marker
        policy): a directory with an object in it needs no marker, and listings stay clean."""
        parts = key.split("/")[:-1]
        markers = ["/".join(parts[: n + 1]) + "/" for n in range(len(parts))]
        if markers:
            self.client.delete_objects(
                Bucket=self.bucket,
                Delete={"Objects": [{"Key": k} for k in markers], "Quiet": True},
            )

    def mkdirs(self, path: str) -> bool:
        key = self._key(path)
        if key:
            try:
                self.client.put_object(Bucket=self.bucket, Key=key + "/", Body=b"")
            except Exception as exc:
                raise self._error(exc, path) from exc
        return True

    def _keys_under(self, key: str) -> list[str]:
        keys: list[str] = []
        for page in self._objects(key + "/" if key else ""):
            keys.extend(obj["Key"] for obj in page.get("Contents", []))
        return keys

    def delete(self, path: str, *, recursive: bool) -> bool:
        found = self.status(path)
        if found is None:
            return False
        key = self._key(path)
        try:
            if not found.is_dir:
                self.client.delete_object(Bucket=self.bucket, Key=key)
                return True
            keys = self._keys_under(key)
            if not recursive and [k for k in keys if k != key + "/"]:
                raise PathIsNotEmptyDirectoryError(path)
            for start in range(0, len(keys), 1000):
                objects = [{"Key": k} for k in keys[start : start + 1000]]
                self.client.delete_objects(Bucket=self.bucket, Delete={"Objects": objects})
        except PathIsNotEmptyDirectoryError:
            raise
        except Exception as exc:
            raise self._error(exc, path) from exc
        return True

    def rename(self, source: str, destination: str) -> bool:
        found = self.status(source)
        if found is None:
            return False
        src_key, dst_key = self._key(source), self._key(destination)
        pairs = [(src_key, dst_key)]
        if found.is_dir:
            pairs = [(k, dst_key + k[len(src_key) :]) for k in self._keys_under(src_key)]
        try:
            for old, new in pairs:
                self.client.copy({"Bucket": self.bucket, "Key": old}, self.bucket, new)
            for old, _ in pairs:
                self.client.delete_object(Bucket=self.bucket, Key=old)
            self._drop_parent_markers(dst_key)
        except Exception as exc:
            raise self._error(exc, source) from exc
        return True

    def content_summary(self, path: str) -> ContentSummary:
        found = self.status(path)
        if found is None:
            raise PathNotFoundError(path)
        if not found.is_dir:
            return ContentSummary(found.length, 1, 0, found.length)
        key = self._key(path)
        files, length, dirs = 0, 0, {key}
        for page in self._objects(key + "/" if key else ""):
            for obj in page.get("Contents", []):
                parts = obj["Key"].split("/")
                for depth in range(1, len(parts)):
                    dirs.add("/".join(parts[:depth]))
                if not obj["Key"].endswith("/"):
                    files += 1
                    length += int(obj["Size"])
        inside = [d for d in dirs if not key or d == key or d.startswith(key + "/")]
        return ContentSummary(length, files, len(inside), length)
