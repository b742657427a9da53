"""The interface every wire protocol implements, driven by botocore service models.

A protocol knows nothing about any service: given a botocore `ServiceModel` it finds the
operation a request names, parses and validates its input into a plain dict keyed by the
model's member names (timestamps as aware `datetime`, blobs as `bytes`, numbers as int/float,
booleans as bool), and serializes an output dict or a `ServiceError` back to HTTP.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import Any

from botocore.model import OperationModel, ServiceModel

from emr.errors import ServiceError
from emr.gateway.http import HttpRequest, HttpResponse

__all__ = ["Protocol"]


class Protocol(ABC):
    """One AWS wire protocol (json, rest-json, rest-xml, query, smithy-rpc-v2-cbor)."""

    #: botocore's name for the protocol, as in a model's `metadata.protocols`.
    name: str
    #: The error code a model violation gets (query services say ValidationError).
    validation_error_code: str = "ValidationException"

    @abstractmethod
    def accepts(self, request: HttpRequest, service: ServiceModel) -> bool:
        """Whether the request is in this protocol (used for services that speak several)."""

    @abstractmethod
    def match_operation(self, request: HttpRequest, service: ServiceModel) -> OperationModel:
        """The operation the request names; raises `UnknownOperation` in this protocol's terms."""

    @abstractmethod
    def parse_request(self, request: HttpRequest, operation: OperationModel) -> dict[str, Any]:
        """Input members, validated against the model.

        Raises `RequestParseError` when the wire form cannot be read and
        `ParameterValidationError` when the input breaks the model's constraints.
        """

    @abstractmethod
    def serialize_response(
        self, operation: OperationModel, result: Mapping[str, Any], request_id: str
    ) -> HttpResponse:
        """The HTTP response for an operation's output members."""

    @abstractmethod
    def serialize_error(
        self,
        error: ServiceError,
        service: ServiceModel,
        operation: OperationModel | None,
        request_id: str,
    ) -> HttpResponse:
        """The HTTP response for an error, in the shape botocore's parser for this protocol reads."""
