"""The NameNode's errors: what WebHDFS answers as a RemoteException.

Each class names the Java exception a Hadoop client expects: `exception` is its simple name,
`java_class_name` the class Hadoop's WebHDFS client re-creates by reflection, `http_status` the
code Hadoop's `web.resources.ExceptionHandler` answers for it (SecurityException and every other
IOException 403, FileNotFoundException 404, IllegalArgumentException and
UnsupportedOperationException 400, anything else 500). The classes nest the way the Java ones
do, so `except IOException` catches what Java's `catch (IOException e)` would.

    EmrError                                 (emr.errors)
    ├── HdfsError                            an error a WebHDFS client sees; `message` verbatim
    │   ├── IOException                      java.io.IOException                           403
    │   │   ├── FileNotFoundException        java.io.FileNotFoundException                 404
    │   │   ├── AccessControlException       o.a.h.security.AccessControlException         403
    │   │   ├── FileAlreadyExistsException   o.a.h.fs.FileAlreadyExistsException           403
    │   │   ├── ParentNotDirectoryException  o.a.h.fs.ParentNotDirectoryException          403
    │   │   ├── PathIsNotEmptyDirectoryException
    │   │   │                                o.a.h.fs.PathIsNotEmptyDirectoryException     403
    │   │   ├── SafeModeException            o.a.h.hdfs.server.namenode.SafeModeException  403
    │   │   ├── RetriableException           o.a.h.ipc.RetriableException                  403
    │   │   ├── LeaseExpiredException        o.a.h.hdfs.server.namenode.LeaseExpiredException
    │   │   ├── AlreadyBeingCreatedException o.a.h.hdfs.protocol.AlreadyBeingCreatedException
    │   │   └── RecoveryInProgressException  o.a.h.hdfs.protocol.RecoveryInProgressException
    │   ├── IllegalArgumentException         java.lang.IllegalArgumentException            400
    │   │   └── HadoopIllegalArgumentException
    │   │       │                            o.a.h.HadoopIllegalArgumentException          400
    │   │       └── InvalidPathException     o.a.h.fs.InvalidPathException                 400
    │   ├── UnsupportedOperationException    java.lang.UnsupportedOperationException       400
    │   └── SecurityException                java.lang.SecurityException                   403
    └── EditLogCorruptError                  the edit log cannot be replayed (not a client error)

Hadoop's documentation table says 401 for SecurityException; its ExceptionHandler answers 403,
and the code is what clients meet. Messages are built by the raiser with Hadoop's wording (the
few that are ours say so where they are raised); PathIsNotEmptyDirectoryException formats like
Hadoop's PathIOException: "`<path> is non empty': Directory is not empty".
"""

from __future__ import annotations

from typing import ClassVar

from emr.errors import EmrError

__all__ = [
    "AccessControlException",
    "AlreadyBeingCreatedException",
    "EditLogCorruptError",
    "FileAlreadyExistsException",
    "FileNotFoundException",
    "HadoopIllegalArgumentException",
    "HdfsError",
    "IOException",
    "IllegalArgumentException",
    "InvalidPathException",
    "LeaseExpiredException",
    "ParentNotDirectoryException",
    "PathIsNotEmptyDirectoryException",
    "RecoveryInProgressException",
    "RetriableException",
    "SafeModeException",
    "SecurityException",
    "UnsupportedOperationException",
]


class HdfsError(EmrError):
    """An error answered to a WebHDFS client as {"RemoteException": {...}}."""

    exception: ClassVar[str] = "IOException"
    java_class_name: ClassVar[str] = "java.io.IOException"
    http_status: ClassVar[int] = 403

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class IOException(HdfsError):
    """java.io.IOException: the catch-all of HDFS failures (403)."""


class FileNotFoundException(IOException):
    """The path, or a file a lease names, does not exist (404)."""

    exception = "FileNotFoundException"
    java_class_name = "java.io.FileNotFoundException"
    http_status = 404


class AccessControlException(IOException):
    """A permission check failed ("Permission denied: user=…")."""

    exception = "AccessControlException"
    java_class_name = "org.apache.hadoop.security.AccessControlException"


class FileAlreadyExistsException(IOException):
    """The target of a create or rename exists."""

    exception = "FileAlreadyExistsException"
    java_class_name = "org.apache.hadoop.fs.FileAlreadyExistsException"


class ParentNotDirectoryException(IOException):
    """An ancestor of a path being created is a file."""

    exception = "ParentNotDirectoryException"
    java_class_name = "org.apache.hadoop.fs.ParentNotDirectoryException"


class PathIsNotEmptyDirectoryException(IOException):
    """A non-recursive delete of a directory that has children."""

    exception = "PathIsNotEmptyDirectoryException"
    java_class_name = "org.apache.hadoop.fs.PathIsNotEmptyDirectoryException"

    @classmethod
    def for_path(cls, path: str) -> PathIsNotEmptyDirectoryException:
        """Hadoop's message: PathIOException("<path> is non empty", "Directory is not empty")."""
        return cls(f"`{path} is non empty': Directory is not empty")


class SafeModeException(IOException):
    """The NameNode refuses changes until enough blocks are reported (raised by the daemon)."""

    exception = "SafeModeException"
    java_class_name = "org.apache.hadoop.hdfs.server.namenode.SafeModeException"


class RetriableException(IOException):
    """The client should retry the same call later."""

    exception = "RetriableException"
    java_class_name = "org.apache.hadoop.ipc.RetriableException"


class LeaseExpiredException(IOException):
    """A write call by a client that does not hold the file's lease (or the file is closed)."""

    exception = "LeaseExpiredException"
    java_class_name = "org.apache.hadoop.hdfs.server.namenode.LeaseExpiredException"


class AlreadyBeingCreatedException(IOException):
    """Create, append or truncate of a file another writer holds open."""

    exception = "AlreadyBeingCreatedException"
    java_class_name = "org.apache.hadoop.hdfs.protocol.AlreadyBeingCreatedException"


class RecoveryInProgressException(IOException):
    """The file's last block is being recovered; retry later."""

    exception = "RecoveryInProgressException"
    java_class_name = "org.apache.hadoop.hdfs.protocol.RecoveryInProgressException"


class IllegalArgumentException(HdfsError):
    """java.lang.IllegalArgumentException (400)."""

    exception = "IllegalArgumentException"
    java_class_name = "java.lang.IllegalArgumentException"
    http_status = 400


class HadoopIllegalArgumentException(IllegalArgumentException):
    """Hadoop's own IllegalArgumentException (concat and truncate rules, offsets)."""

    exception = "HadoopIllegalArgumentException"
    java_class_name = "org.apache.hadoop.HadoopIllegalArgumentException"


class InvalidPathException(HadoopIllegalArgumentException):
    """A path name HDFS refuses ("." / ".." / ":" components, "//", not absolute)."""

    exception = "InvalidPathException"
    java_class_name = "org.apache.hadoop.fs.InvalidPathException"

    @classmethod
    def for_path(cls, path: str) -> InvalidPathException:
        """Hadoop's one-argument constructor: "Invalid path name <path>"."""
        return cls(f"Invalid path name {path}")


class UnsupportedOperationException(HdfsError):
    """java.lang.UnsupportedOperationException (400)."""

    exception = "UnsupportedOperationException"
    java_class_name = "java.lang.UnsupportedOperationException"
    http_status = 400


class SecurityException(HdfsError):
    """java.lang.SecurityException: the caller could not be authenticated (403)."""

    exception = "SecurityException"
    java_class_name = "java.lang.SecurityException"
    http_status = 403


class EditLogCorruptError(EmrError):
    """The edit log or fsimage cannot be read back: a record is damaged or one is missing."""
