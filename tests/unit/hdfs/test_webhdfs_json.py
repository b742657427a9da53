"""WebHDFS JSON bodies, field for field, and the error classes' RemoteException identities."""

from __future__ import annotations

import json

import pytest

from emr.hdfs import webhdfs_json
from emr.hdfs.namenode import errors
from emr.hdfs.namenode.results import ContentSummary, DirectoryListing, FileStatus

FILE = FileStatus(
    path_suffix="a.patch",
    is_directory=False,
    length=24930,
    owner="webuser",
    group="supergroup",
    permission=0o644,
    access_time=1320171722771,
    modification_time=1320171722771,
    block_size=33554432,
    replication=1,
    file_id=16388,
    children_num=0,
)
DIRECTORY = FileStatus(
    path_suffix="bar",
    is_directory=True,
    length=0,
    owner="username",
    group="supergroup",
    permission=0o1777,
    access_time=0,
    modification_time=1320895981256,
    block_size=0,
    replication=0,
    file_id=16389,
    children_num=2,
)
FILE_MAP = {
    "accessTime": 1320171722771,
    "blockSize": 33554432,
    "childrenNum": 0,
    "fileId": 16388,
    "group": "supergroup",
    "length": 24930,
    "modificationTime": 1320171722771,
    "owner": "webuser",
    "pathSuffix": "a.patch",
    "permission": "644",
    "replication": 1,
    "storagePolicy": 0,
    "type": "FILE",
}


def test_file_status() -> None:
    assert webhdfs_json.file_status(FILE) == {"FileStatus": FILE_MAP}
    directory = webhdfs_json.file_status_map(DIRECTORY)
    assert (directory["type"], directory["permission"], directory["childrenNum"]) == (
        "DIRECTORY",
        "1777",
        2,
    )
    assert "ecPolicy" not in directory and "ecBit" not in directory


def test_file_statuses_and_directory_listing() -> None:
    assert webhdfs_json.file_statuses([FILE]) == {"FileStatuses": {"FileStatus": [FILE_MAP]}}
    assert webhdfs_json.file_statuses([]) == {"FileStatuses": {"FileStatus": []}}
    listing = webhdfs_json.directory_listing(DirectoryListing((FILE,), 2))
    assert listing == {
        "DirectoryListing": {
            "partialListing": {"FileStatuses": {"FileStatus": [FILE_MAP]}},
            "remainingEntries": 2,
        }
    }


def test_content_summary() -> None:
    body = webhdfs_json.content_summary(ContentSummary(24930, 1, 2, 49860))
    assert body == {
        "ContentSummary": {
            "directoryCount": 2,
            "ecPolicy": "",
            "fileCount": 1,
            "length": 24930,
            "quota": -1,
            "spaceConsumed": 49860,
            "spaceQuota": -1,
            "typeQuota": {},
        }
    }


def test_file_checksum() -> None:
    raw = bytes(range(28))
    assert webhdfs_json.file_checksum(raw) == {
        "FileChecksum": {
            "algorithm": "MD5-of-0MD5-of-512CRC32C",
            "bytes": raw.hex(),
            "length": 28,
        }
    }


def test_scalars() -> None:
    assert webhdfs_json.boolean(False) == {"boolean": False}
    assert webhdfs_json.home_path("/user/alice") == {"Path": "/user/alice"}
    url = "http://127.16.0.2:9864/webhdfs/v1/f?op=CREATE"
    assert webhdfs_json.location(url) == {"Location": url}


def test_block_locations() -> None:
    body = webhdfs_json.block_locations(
        [
            webhdfs_json.BlockLocation(0, 1024, ["127.16.0.2:9866", "127.16.0.3:9866"]),
            webhdfs_json.BlockLocation(1024, 10, ["127.16.0.3:9866"], corrupt=True),
        ]
    )
    assert body == {
        "BlockLocations": {
            "BlockLocation": [
                {
                    "cachedHosts": [],
                    "corrupt": False,
                    "hosts": ["127.16.0.2", "127.16.0.3"],
                    "length": 1024,
                    "names": ["127.16.0.2:9866", "127.16.0.3:9866"],
                    "offset": 0,
                    "storageTypes": ["DISK", "DISK"],
                    "topologyPaths": [
                        "/default-rack/127.16.0.2:9866",
                        "/default-rack/127.16.0.3:9866",
                    ],
                },
                {
                    "cachedHosts": [],
                    "corrupt": True,
                    "hosts": ["127.16.0.3"],
                    "length": 10,
                    "names": ["127.16.0.3:9866"],
                    "offset": 1024,
                    "storageTypes": ["DISK"],
                    "topologyPaths": ["/default-rack/127.16.0.3:9866"],
                },
            ]
        }
    }


def test_encode_is_compact_sorted_utf8() -> None:
    body = webhdfs_json.file_status(FileStatus("é", True, 0, "o", "g", 0o755, 0, 0, 0, 0, 1, 0))
    data = webhdfs_json.encode(body)
    assert data.startswith(b'{"FileStatus":{"accessTime":0,"blockSize":0,')
    assert '"pathSuffix":"é"'.encode() in data
    assert json.loads(data) == body
    assert webhdfs_json.encode({"boolean": True}) == b'{"boolean":true}'


@pytest.mark.parametrize(
    ("error", "exception", "java_class_name", "status"),
    [
        (errors.IOException, "IOException", "java.io.IOException", 403),
        (errors.FileNotFoundException, "FileNotFoundException", "java.io.FileNotFoundException", 404),
        (errors.AccessControlException, "AccessControlException",
         "org.apache.hadoop.security.AccessControlException", 403),
        (errors.FileAlreadyExistsException, "FileAlreadyExistsException",
         "org.apache.hadoop.fs.FileAlreadyExistsException", 403),
        (errors.ParentNotDirectoryException, "ParentNotDirectoryException",
         "org.apache.hadoop.fs.ParentNotDirectoryException", 403),
        (errors.PathIsNotEmptyDirectoryException, "PathIsNotEmptyDirectoryException",
         "org.apache.hadoop.fs.PathIsNotEmptyDirectoryException", 403),
        (errors.SafeModeException, "SafeModeException",
         "org.apache.hadoop.hdfs.server.namenode.SafeModeException", 403),
        (errors.RetriableException, "RetriableException",
         "org.apache.hadoop.ipc.RetriableException", 403),
        (errors.LeaseExpiredException, "LeaseExpiredException",
         "org.apache.hadoop.hdfs.server.namenode.LeaseExpiredException", 403),
        (errors.AlreadyBeingCreatedException, "AlreadyBeingCreatedException",
         "org.apache.hadoop.hdfs.protocol.AlreadyBeingCreatedException", 403),
        (errors.RecoveryInProgressException, "RecoveryInProgressException",
         "org.apache.hadoop.hdfs.protocol.RecoveryInProgressException", 403),
        (errors.IllegalArgumentException, "IllegalArgumentException",
         "java.lang.IllegalArgumentException", 400),
        (errors.HadoopIllegalArgumentException, "HadoopIllegalArgumentException",
         "org.apache.hadoop.HadoopIllegalArgumentException", 400),
        (errors.InvalidPathException, "InvalidPathException",
         "org.apache.hadoop.fs.InvalidPathException", 400),
        (errors.UnsupportedOperationException, "UnsupportedOperationException",
         "java.lang.UnsupportedOperationException", 400),
        (errors.SecurityException, "SecurityException", "java.lang.SecurityException", 403),
    ],
)  # fmt: skip
def test_remote_exception_of_every_error(
    error: type[errors.HdfsError], exception: str, java_class_name: str, status: int
) -> None:
    raised = error("the message")
    assert str(raised) == "the message"
    assert raised.http_status == status
    assert webhdfs_json.remote_exception(raised) == {
        "RemoteException": {
            "exception": exception,
            "javaClassName": java_class_name,
            "message": "the message",
        }
    }


def test_the_hierarchy_nests_like_javas() -> None:
    assert issubclass(errors.FileNotFoundException, errors.IOException)
    assert issubclass(errors.InvalidPathException, errors.IllegalArgumentException)
    assert not issubclass(errors.IllegalArgumentException, errors.IOException)
    assert errors.PathIsNotEmptyDirectoryException.for_path("/a").message == (
        "`/a is non empty': Directory is not empty"
    )
    assert errors.InvalidPathException.for_path("/a:b").message == "Invalid path name /a:b"


def test_remote_exception_for_other_failures() -> None:
    assert webhdfs_json.remote_exception_of(
        "RuntimeException", "java.lang.RuntimeException", "boom"
    ) == {
        "RemoteException": {
            "exception": "RuntimeException",
            "javaClassName": "java.lang.RuntimeException",
            "message": "boom",
        }
    }
