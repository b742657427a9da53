"""What every service provider is: named operation methods the gateway calls with parsed input.

A provider never sees HTTP. The gateway calls `handler(context, **members)` where `members`
are the operation's input members, parsed and validated against the botocore model, under
their AWS names; the handler returns the output members as a mapping (members left None are
not serialized; None for an empty output; an `OperationResult` when the HTTP status or extra
headers matter) or raises a `ServiceError`. Handlers may be plain functions (run in a worker thread)
or coroutines.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar

from emr.identity import Principal

__all__ = ["CallContext", "OperationHandler", "OperationResult", "Provider", "operation"]

OperationHandler = Callable[..., Any]
_F = TypeVar("_F", bound=OperationHandler)
_OPERATION_ATTRIBUTE = "__aws_operation__"


@dataclass(frozen=True)
class CallContext:
    """Who calls which operation where; what a provider may know about the request."""

    request_id: str
    account_id: str
    region: str
    principal: Principal
    service: str
    operation: str


@dataclass(frozen=True)
class OperationResult:
    """Output members plus what the model cannot say: S3 answers 206 for a range GET, 204 for
    some deletes, and extra headers such as x-amz-delete-marker on a NoSuchKey-free path."""

    members: Mapping[str, Any]
    status_code: int | None = None
    headers: Mapping[str, str] | None = None


def operation(name: str) -> Callable[[_F], _F]:
    """Mark a provider method as the handler of the AWS operation `name`."""

    def mark(handler: _F) -> _F:
        setattr(handler, _OPERATION_ATTRIBUTE, name)
        return handler

    return mark


class Provider:
    """Base of service providers. `service_name` is botocore's name for the service."""

    service_name: ClassVar[str]

    def operations(self) -> Mapping[str, OperationHandler]:
        """Operation name → bound handler, from the methods marked with `@operation`."""
        found: dict[str, OperationHandler] = {}
        for _, member in inspect.getmembers(self, inspect.ismethod):
            name = getattr(member, _OPERATION_ATTRIBUTE, None)
            if name is not None:
                found[name] = member
        return found
