"""The one exception hierarchy of emr.

    EmrError                         anything emr raises on purpose
    ├── ConfigurationError           bad settings, unusable data dir
    └── ServiceError                 an AWS error the client sees: code, HTTP status, message
        ├── AuthFailure              SigV4 / SigV2 verification failed; its `reason` is
        │                            protocol-neutral and the gateway maps (reason, protocol
        │                            family) to the AWS code once, in gateway/auth_errors.py
        ├── UnknownOperation         no operation of the service matches the request
        ├── NotImplementedOperation  the operation exists in the model, no provider implements it
        ├── RequestParseError        the body or a parameter cannot be read (SerializationException,
        │                            MalformedXML, MalformedQueryString, …; code set by the protocol)
        ├── ParameterValidationError the input violates the model (required, length, range, enum)
        ├── InternalFailure          an unexpected exception; the traceback goes to the log only
        └── <service errors>         each service package defines one class per AWS error code

Mapping an error to HTTP happens once per protocol, in gateway/protocols/.
"""

from __future__ import annotations

from enum import Enum
from typing import Any

__all__ = [
    "AuthFailure",
    "AuthFailureReason",
    "ConfigurationError",
    "EmrError",
    "InternalFailure",
    "NotImplementedOperation",
    "ParameterValidationError",
    "RequestParseError",
    "ServiceError",
    "UnknownOperation",
]


class EmrError(Exception):
    """Base of every error emr raises on purpose."""


class ConfigurationError(EmrError):
    """Settings or the data directory cannot be used."""


class ServiceError(EmrError):
    """An error answered to an AWS client: `code`, HTTP `status_code` and a message.

    Subclasses set `code`, `status_code` and `sender_fault` as class attributes; `fields`
    carries extra members some protocols put in the error body (S3's Resource, BucketName…).
    """

    code: str = "ServiceError"
    status_code: int = 400
    sender_fault: bool = True

    def __init__(
        self,
        message: str = "",
        *,
        code: str | None = None,
        status_code: int | None = None,
        fields: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        if status_code is not None:
            self.status_code = status_code
        self.fields: dict[str, Any] = dict(fields or {})
        self.headers: dict[str, str] = dict(headers or {})

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


class AuthFailureReason(Enum):
    """Why a request failed authentication, independent of the protocol that answers it."""

    MISSING_AUTHENTICATION = "missing_authentication"
    INCOMPLETE_SIGNATURE = "incomplete_signature"
    UNKNOWN_ACCESS_KEY = "unknown_access_key"
    SIGNATURE_MISMATCH = "signature_mismatch"
    CLOCK_SKEW = "clock_skew"
    EXPIRED = "expired"
    PAYLOAD_HASH_MISMATCH = "payload_hash_mismatch"
    BAD_CHUNK = "bad_chunk"


class AuthFailure(ServiceError):
    """Authentication failed; the gateway turns `reason` into the protocol's own error code."""

    status_code = 403

    def __init__(self, reason: AuthFailureReason, message: str, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.reason = reason


class UnknownOperation(ServiceError):
    """No operation matches; the protocol picks AWS's code (InvalidAction, UnknownOperationException…)."""

    code = "UnknownOperationException"


class NotImplementedOperation(ServiceError):
    """The botocore model has the operation but no provider implements it yet."""

    code = "NotImplemented"
    status_code = 501
    sender_fault = False


class RequestParseError(ServiceError):
    """The request cannot be read; the protocol sets the code (SerializationException, MalformedXML…)."""

    code = "SerializationException"


class ParameterValidationError(ServiceError):
    """Input violates the model; code is ValidationException (ValidationError for query services)."""

    code = "ValidationException"

    def __init__(self, problems: list[str], *, code: str | None = None) -> None:
        count = len(problems)
        noun = "error" if count == 1 else "errors"
        message = f"{count} validation {noun} detected: " + "; ".join(problems)
        super().__init__(message, code=code)
        self.problems = problems


class InternalFailure(ServiceError):
    """An unexpected exception; clients see only this and the request id."""

    code = "InternalFailure"
    status_code = 500
    sender_fault = False
