"""The JSON bodies WebHDFS answers, field for field as Hadoop's JsonUtil writes them.

Pure functions from values to JSON-able dicts, and `encode` for the bytes (compact, keys
sorted like Jackson's TreeMap, UTF-8). Shapes:

    FileStatus        {"FileStatus": {accessTime, blockSize, childrenNum, fileId, group, length,
                       modificationTime, owner, pathSuffix, permission ("755", octal, sticky
                       bit included: "1777"), replication, storagePolicy, type FILE|DIRECTORY}}
    FileStatuses      {"FileStatuses": {"FileStatus": [...]}}
    DirectoryListing  {"DirectoryListing": {"partialListing": {"FileStatuses": {"FileStatus":
                       [...]}}, "remainingEntries": n}}
    ContentSummary    {"ContentSummary": {directoryCount, ecPolicy "", fileCount, length, quota,
                       spaceConsumed, spaceQuota, typeQuota {}}}
    FileChecksum      {"FileChecksum": {algorithm, bytes (hex), length}}
    BlockLocations    {"BlockLocations": {"BlockLocation": [{cachedHosts, corrupt, hosts,
                       length, names, offset, storageTypes, topologyPaths}]}}
    boolean / Path / Location / RemoteException {exception, javaClassName, message}

Hadoop adds "ecPolicy"/"ecBit" to a FileStatus only for erasure-coded files, so they are absent.

Serving them: the HTTP server must NOT send `Content-Type: application/json` on these bodies
(errors included): pyspark's shaded Hadoop client cannot decode that media type and fails every
call. An error's HTTP status is `HdfsError.http_status`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Final

from emr.hdfs.namenode.errors import HdfsError
from emr.hdfs.namenode.results import ContentSummary, DirectoryListing, FileStatus
from emr.hdfs.types import DatanodeId

__all__ = [
    "DEFAULT_CHECKSUM_ALGORITHM",
    "DEFAULT_RACK",
    "BlockLocation",
    "block_locations",
    "boolean",
    "content_summary",
    "directory_listing",
    "encode",
    "file_checksum",
    "file_status",
    "file_status_map",
    "file_statuses",
    "home_path",
    "location",
    "remote_exception",
    "remote_exception_of",
    "server_defaults",
]

#: MD5 of the per-block MD5s of 512-byte CRC32C chunks, as HDFS computes by default.
DEFAULT_CHECKSUM_ALGORITHM: Final = "MD5-of-0MD5-of-512CRC32C"
#: NetworkTopology.DEFAULT_RACK: every DataNode is on it.
DEFAULT_RACK: Final = "/default-rack"


def encode(body: dict[str, Any]) -> bytes:
    """The response bytes: compact JSON, keys sorted, UTF-8 (non-ASCII names unescaped)."""
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()


def file_status_map(status: FileStatus) -> dict[str, Any]:
    """One FileStatus object (the inner map, as in a FileStatuses array)."""
    return {
        "accessTime": status.access_time,
        "blockSize": status.block_size,
        "childrenNum": status.children_num,
        "fileId": status.file_id,
        "group": status.group,
        "length": status.length,
        "modificationTime": status.modification_time,
        "owner": status.owner,
        "pathSuffix": status.path_suffix,
        "permission": format(status.permission, "o"),
        "replication": status.replication,
        "storagePolicy": status.storage_policy,
        "type": "DIRECTORY" if status.is_directory else "FILE",
    }


def file_status(status: FileStatus) -> dict[str, Any]:
    """GETFILESTATUS (and GETFILELINKSTATUS)."""
    return {"FileStatus": file_status_map(status)}


def file_statuses(statuses: Iterable[FileStatus]) -> dict[str, Any]:
    """LISTSTATUS."""
    return {"FileStatuses": {"FileStatus": [file_status_map(s) for s in statuses]}}


def directory_listing(listing: DirectoryListing) -> dict[str, Any]:
    """LISTSTATUS_BATCH: one batch and the number of entries after it."""
    return {
        "DirectoryListing": {
            "partialListing": file_statuses(listing.statuses),
            "remainingEntries": listing.remaining_entries,
        }
    }


def content_summary(summary: ContentSummary) -> dict[str, Any]:
    """GETCONTENTSUMMARY (no erasure coding: ecPolicy ""; no type quotas: typeQuota {})."""
    return {
        "ContentSummary": {
            "directoryCount": summary.directory_count,
            "ecPolicy": "",
            "fileCount": summary.file_count,
            "length": summary.length,
            "quota": summary.quota,
            "spaceConsumed": summary.space_consumed,
            "spaceQuota": summary.space_quota,
            "typeQuota": {},
        }
    }


def file_checksum(
    checksum: bytes, *, algorithm: str = DEFAULT_CHECKSUM_ALGORITHM, length: int = 28
) -> dict[str, Any]:
    """GETFILECHECKSUM's shape; `checksum` is the MD5MD5CRC32 checksum's serialised bytes
    (bytesPerCRC, crcPerBlock, MD5: 28 bytes), computed on the DataNode side."""
    return {"FileChecksum": {"algorithm": algorithm, "bytes": checksum.hex(), "length": length}}


def boolean(value: bool) -> dict[str, Any]:
    """MKDIRS, RENAME, DELETE, SETREPLICATION, TRUNCATE."""
    return {"boolean": value}


def fs_status(capacity: int, used: int, remaining: int) -> dict[str, Any]:
    """GETSTATUS (Hadoop 3.3+): the file system's capacity, DFS used and remaining bytes."""
    return {"FsStatus": {"capacity": capacity, "used": used, "remaining": remaining}}


def server_defaults(block_size: int, replication: int) -> dict[str, Any]:
    """GETSERVERDEFAULTS (what FileContext asks before every create): the keys
    JsonUtilClient.toFsServerDefaults reads; checksums are CRC32C (DataChecksum.Type id 2,
    sent as that number) over 512-byte chunks."""
    return {
        "FsServerDefaults": {
            "blockSize": block_size,
            "bytesPerChecksum": 512,
            "writePacketSize": 65536,
            "replication": replication,
            "fileBufferSize": 4096,
            "encryptDataTransfer": False,
            "trashInterval": 0,
            "checksumType": 2,
            "keyProviderUri": "",
            "defaultStoragePolicyId": 7,
        }
    }


def home_path(path: str) -> dict[str, Any]:
    """GETHOMEDIRECTORY (and GETTRASHROOT): {"Path": "/user/<name>"}."""
    return {"Path": path}


def location(url: str) -> dict[str, Any]:
    """The body of CREATE / APPEND / OPEN / GETFILECHECKSUM with noredirect=true."""
    return {"Location": url}


@dataclass(frozen=True)
class BlockLocation:
    """Where one block of a file is: its range in the file and the DataNodes with a replica."""

    offset: int
    length: int
    datanodes: Sequence[DatanodeId]
    corrupt: bool = False


def block_locations(locations: Iterable[BlockLocation]) -> dict[str, Any]:
    """GETFILEBLOCKLOCATIONS: hosts are the DataNodes' addresses, names "ip:port", every
    replica on DISK in the default rack, nothing cached."""
    return {
        "BlockLocations": {
            "BlockLocation": [
                {
                    "cachedHosts": [],
                    "corrupt": loc.corrupt,
                    "hosts": [dn.rsplit(":", 1)[0] for dn in loc.datanodes],
                    "length": loc.length,
                    "names": list(loc.datanodes),
                    "offset": loc.offset,
                    "storageTypes": ["DISK"] * len(loc.datanodes),
                    "topologyPaths": [f"{DEFAULT_RACK}/{dn}" for dn in loc.datanodes],
                }
                for loc in locations
            ]
        }
    }


def remote_exception(error: HdfsError) -> dict[str, Any]:
    """The body of an error answer (its status is `error.http_status`)."""
    return remote_exception_of(error.exception, error.java_class_name, error.message)


def remote_exception_of(exception: str, java_class_name: str, message: str) -> dict[str, Any]:
    """A RemoteException body for an error that is not an HdfsError (e.g. a 500's
    "RuntimeException"/"java.lang.RuntimeException")."""
    return {
        "RemoteException": {
            "exception": exception,
            "javaClassName": java_class_name,
            "message": message,
        }
    }
