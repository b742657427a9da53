"""Localization: a container's local resources fetched into its working directory.

    file:///abs          copied (a directory with its tree)
    http(s)://…          downloaded (httpx)
    s3://, s3a://, s3n:// downloaded with the node's credentials (boto3, the region endpoint)
    hdfs://host:port/p   WebHDFS OPEN on host:port (our NameNode serves WebHDFS on 8020 too);
    hdfs:///p            on the NameNode of the node's conf (dfs.namenode.http-address)

A FILE lands as `<workdir>/<name>`; an ARCHIVE (and a PATTERN, which Hadoop also unpacks) is
unpacked into the directory `<workdir>/<name>/` (zip, jar, tar, tar.gz, tgz).

LIMITATIONS: no shared cache (every container fetches its own copy; Hadoop keeps PUBLIC and
PRIVATE resources per node and user), no timestamp/size checks, a PATTERN is unpacked whole.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tarfile
import tempfile
import threading
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit

import httpx

from emr.hdfs.site import HadoopConf
from emr.nodes.protocol import AgentConfig
from emr.yarn.protocol import LocalResource

__all__ = ["LocalizationError", "Localizer", "unpack"]


class LocalizationError(Exception):
    """A resource could not be fetched; the message is the container's diagnostics."""


class Localizer:
    """Fetches resources for containers; one lazily made boto3 client, one httpx client."""

    def __init__(self, config: AgentConfig, environment: Mapping[str, str]) -> None:
        self._config = config
        self._hadoop = HadoopConf.load(environment)
        self._s3_client: Any = None
        self._lock = threading.Lock()
        self._http = httpx.AsyncClient(
            timeout=httpx.Timeout(60.0, connect=10.0), follow_redirects=True
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    async def localize(
        self, resources: Mapping[str, LocalResource], workdir: Path, user: str
    ) -> None:
        """Fetch every resource into `workdir`; LocalizationError names the first failure."""
        for name, resource in resources.items():
            if not name or "/" in name or name in (".", ".."):
                raise LocalizationError(f"Invalid local resource name: {name!r}")
            target = workdir / name
            try:
                if resource.type == "FILE":
                    await self._fetch(resource.url, target, user)
                else:
                    with tempfile.TemporaryDirectory(dir=workdir) as scratch:
                        packed = Path(scratch) / _file_name(resource.url)
                        await self._fetch(resource.url, packed, user)
                        await asyncio.to_thread(unpack, packed, target)
            except LocalizationError:
                raise
            except Exception as exc:
                raise LocalizationError(
                    f"Resource {resource.url} could not be localized: {exc}"
                ) from exc

    async def _fetch(self, url: str, target: Path, user: str) -> None:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme in ("", "file"):
            source = Path(unquote(parts.path))
            if source.is_dir():
                await asyncio.to_thread(shutil.copytree, source, target, symlinks=True)
            elif source.is_file():
                await asyncio.to_thread(shutil.copyfile, source, target)
            else:
                raise LocalizationError(
                    f"java.io.FileNotFoundException: File file:{source} does not exist"
                )
        elif scheme in ("http", "https"):
            await self._download(url, target, {})
        elif scheme in ("s3", "s3a", "s3n"):
            await asyncio.to_thread(self._s3_download, parts.netloc, parts.path.lstrip("/"), target)
        elif scheme == "hdfs":
            base = f"http://{parts.netloc}" if parts.netloc else self._hadoop.namenode_http
            path = quote(unquote(parts.path) or "/")
            await self._download(
                f"{base}/webhdfs/v1{path}", target, {"op": "OPEN", "user.name": user}
            )
        else:
            raise LocalizationError(f'No FileSystem for scheme "{scheme}" ({url})')

    async def _download(self, url: str, target: Path, params: dict[str, str]) -> None:
        async with self._http.stream("GET", url, params=params) as response:
            if response.status_code == 404:
                raise LocalizationError(f"java.io.FileNotFoundException: {url} (HTTP 404)")
            if response.status_code != 200:
                body = (await response.aread())[:300].decode(errors="replace")
                raise LocalizationError(f"{url}: HTTP {response.status_code} {body}")
            with target.open("wb") as file:
                async for chunk in response.aiter_bytes(1 << 20):
                    await asyncio.to_thread(file.write, chunk)

    def _s3(self) -> Any:
        with self._lock:
            if self._s3_client is None:
                import boto3
                from botocore.config import Config

                config = self._config
                self._s3_client = boto3.session.Session().client(
                    "s3",
                    endpoint_url=config.region_url,
                    aws_access_key_id=config.access_key_id,
                    aws_secret_access_key=config.secret_access_key,
                    region_name=config.region_name,
                    config=Config(s3={"addressing_style": "path"}),
                )
            return self._s3_client

    def _s3_download(self, bucket: str, key: str, target: Path) -> None:
        if not bucket:
            raise LocalizationError(f"s3 URI without a bucket: s3:///{key}")
        self._s3().download_file(bucket, key, str(target))


def _file_name(url: str) -> str:
    return Path(unquote(urlsplit(url).path)).name or "archive"


def unpack(archive: Path, directory: Path) -> None:
    """Unpack a zip/jar or a tar (gzip, bzip2, xz or plain) into `directory`; members that
    would land outside it are refused."""
    directory.mkdir(parents=True, exist_ok=True)
    if zipfile.is_zipfile(archive):
        with zipfile.ZipFile(archive) as packed:
            root = directory.resolve()
            for member in packed.namelist():
                if not (root / member).resolve().is_relative_to(root):
                    raise LocalizationError(f"{archive.name}: member {member} escapes the archive")
            packed.extractall(directory)
        return
    if tarfile.is_tarfile(archive):
        with tarfile.open(archive) as packed:
            members = [_checked(archive, directory.resolve(), m) for m in packed.getmembers()]
            packed.extractall(directory, members=members)
        return
    raise LocalizationError(f"{archive.name}: not a zip, jar or tar archive")


def _checked(archive: Path, root: Path, member: tarfile.TarInfo) -> tarfile.TarInfo:
    """What tarfile's `data` filter enforces (Python 3.11.2, which CI runs, lacks it): regular
    files, directories and links only, nothing landing or pointing outside `root`, no setuid
    or device bits, owned by whoever unpacks."""
    if not (member.isfile() or member.isdir() or member.issym() or member.islnk()):
        raise LocalizationError(f"{archive.name}: member {member.name} is not a file")
    target = (root / member.name).resolve()
    if not target.is_relative_to(root):
        raise LocalizationError(f"{archive.name}: member {member.name} escapes the archive")
    if member.issym() or member.islnk():
        base = target.parent if member.issym() else root
        if not (base / member.linkname).resolve().is_relative_to(root):
            raise LocalizationError(f"{archive.name}: link {member.name} points outside")
    member.mode &= 0o777
    member.uid, member.gid, member.uname, member.gname = os.getuid(), os.getgid(), "", ""
    return member
