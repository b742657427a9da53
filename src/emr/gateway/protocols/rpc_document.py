"""What the json and smithy-rpc-v2-cbor protocols share: one POST per call, a document body.

Both read the input structure from the body, answer the output structure as the body, and
report errors as `{"__type": …, "message": …}` plus the `x-amzn-query-error` header for
awsQueryCompatible services. Subclasses only say how the body is encoded and how the
operation is named.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Mapping
from typing import Any

from botocore.model import OperationModel, ServiceModel

from emr.errors import ServiceError
from emr.gateway.http import HttpRequest, HttpResponse
from emr.gateway.protocols.base import Protocol
from emr.gateway.protocols.document import Dialect, read_document, write_document
from emr.gateway.protocols.errorcodes import error_shape, query_error_header, shape_error_code
from emr.gateway.protocols.validate import validate_input

__all__ = ["RpcDocumentProtocol"]

SERIALIZATION_EXCEPTION = "SerializationException"


class RpcDocumentProtocol(Protocol):
    """Base of the document-body RPC protocols (json 1.0/1.1 and RPC v2 CBOR)."""

    dialect: Dialect

    @abstractmethod
    def decode_body(self, body: bytes) -> Any:
        """The request body as a tree; raises `RequestParseError` (SerializationException)."""

    @abstractmethod
    def encode_body(self, tree: Any) -> bytes:
        """The response body bytes for a tree."""

    @abstractmethod
    def response_headers(self, service: ServiceModel) -> list[tuple[str, str]]:
        """Content type and protocol headers of every response, errors included."""

    def parse_request(self, request: HttpRequest, operation: OperationModel) -> dict[str, Any]:
        tree = self.decode_body(request.body) if request.body else {}
        shape = operation.input_shape
        params = read_document(tree, shape, self.dialect, error_code=SERIALIZATION_EXCEPTION)
        validate_input(params, shape, code=self.validation_error_code)
        return params

    def serialize_response(
        self, operation: OperationModel, result: Mapping[str, Any], request_id: str
    ) -> HttpResponse:
        tree = write_document(result, operation.output_shape, self.dialect)
        headers = [
            *self.response_headers(operation.service_model),
            ("x-amzn-RequestId", request_id),
        ]
        return HttpResponse(status_code=200, headers=headers, body=self.encode_body(tree))

    def serialize_error(
        self,
        error: ServiceError,
        service: ServiceModel,
        operation: OperationModel | None,
        request_id: str,
    ) -> HttpResponse:
        error_type = shape_error_code(service, error.code)
        body = self._error_body(error, service, error_type)
        response = HttpResponse(
            status_code=error.status_code,
            headers=[*self.response_headers(service), ("x-amzn-RequestId", request_id)],
            body=self.encode_body(body),
        )
        response.set_header("x-amzn-ErrorType", error_type)
        query_header = query_error_header(service, error)
        if query_header is not None:
            response.set_header("x-amzn-query-error", query_header)
        for name, value in error.headers.items():
            response.set_header(name, value)
        return response

    def _error_body(self, error: ServiceError, service: ServiceModel, error_type: str) -> Any:
        """`__type`, the message under the member name the error shape uses, modeled fields."""
        shape = error_shape(service, error.code)
        body: dict[str, Any] = {}
        message_key = "message"
        if shape is not None:
            body.update(write_document(error.fields, shape, self.dialect))
            if "Message" in shape.members and "message" not in shape.members:
                message_key = "Message"
        body["__type"] = error_type
        body[message_key] = error.message
        return body
