"""The ResourceManager's errors, each answered as Hadoop's RemoteException JSON.

YarnWebError                          status, exception, javaClassName, message
├── BadRequest                        400 BadRequestException (REST input)
├── NotFound                          404 NotFoundException (REST: unknown app, node)
├── Unauthorized                      401 SecurityException (missing or wrong token)
├── InvalidResourceRequest            400 (allocate: the scheduler's InvalidAsk)
├── ApplicationAttemptNotFound        404 (an AM call for an attempt that is not current)
├── ApplicationMasterNotRegistered    400 (allocate before register)
└── InvalidApplicationMasterRequest   400 (register twice)
"""

from __future__ import annotations

from typing import Any, ClassVar

from emr.errors import EmrError

__all__ = [
    "ApplicationAttemptNotFound",
    "ApplicationMasterNotRegistered",
    "BadRequest",
    "InvalidApplicationMasterRequest",
    "InvalidResourceRequest",
    "NotFound",
    "Unauthorized",
    "YarnWebError",
]


class YarnWebError(EmrError):
    """An error answered to a client with Hadoop's exception names."""

    status: ClassVar[int] = 500
    exception: ClassVar[str] = "WebApplicationException"
    java_class_name: ClassVar[str] = "javax.ws.rs.WebApplicationException"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def body(self) -> dict[str, Any]:
        return {
            "RemoteException": {
                "exception": self.exception,
                "message": self.message,
                "javaClassName": self.java_class_name,
            }
        }


class BadRequest(YarnWebError):
    status = 400
    exception = "BadRequestException"
    java_class_name = "org.apache.hadoop.yarn.webapp.BadRequestException"


class NotFound(YarnWebError):
    status = 404
    exception = "NotFoundException"
    java_class_name = "org.apache.hadoop.yarn.webapp.NotFoundException"


class Unauthorized(YarnWebError):
    status = 401
    exception = "SecurityException"
    java_class_name = "java.lang.SecurityException"


class InvalidResourceRequest(YarnWebError):
    status = 400
    exception = "InvalidResourceRequestException"
    java_class_name = "org.apache.hadoop.yarn.exceptions.InvalidResourceRequestException"


class ApplicationAttemptNotFound(YarnWebError):
    status = 404
    exception = "ApplicationAttemptNotFoundException"
    java_class_name = "org.apache.hadoop.yarn.exceptions.ApplicationAttemptNotFoundException"


class ApplicationMasterNotRegistered(YarnWebError):
    status = 400
    exception = "ApplicationMasterNotRegisteredException"
    java_class_name = "org.apache.hadoop.yarn.exceptions.ApplicationMasterNotRegisteredException"


class InvalidApplicationMasterRequest(YarnWebError):
    status = 400
    exception = "InvalidApplicationMasterRequestException"
    java_class_name = "org.apache.hadoop.yarn.exceptions.InvalidApplicationMasterRequestException"
