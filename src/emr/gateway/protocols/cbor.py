"""Smithy RPC v2 CBOR: POST /service/{ServiceName}/operation/{Operation}, CBOR bodies.

Requests carry `smithy-protocol: rpc-v2-cbor`; timestamps travel as CBOR tag 1 (epoch
seconds, integer or float) and blobs as byte strings. Current botocore prefers this
protocol for CloudWatch. The service name in the path is the model's `targetPrefix`,
which is what botocore sends.
"""

from __future__ import annotations

import re
from datetime import UTC
from typing import Any

import cbor2
from botocore.model import OperationModel, ServiceModel

from emr.errors import RequestParseError, UnknownOperation
from emr.gateway.http import HttpRequest
from emr.gateway.protocols.document import CBOR_DIALECT
from emr.gateway.protocols.rpc_document import SERIALIZATION_EXCEPTION, RpcDocumentProtocol

__all__ = ["CborProtocol"]

_PATH_RE = re.compile(r"/service/(?P<service>[^/]+)/operation/(?P<operation>[^/]+)$")


def _encode_unknown(encoder: Any, value: Any) -> None:
    """Fallback for values cbor2 cannot encode (inside document members): their text."""
    encoder.encode(str(value))


class CborProtocol(RpcDocumentProtocol):
    """smithy.protocols#rpcv2Cbor, as botocore's RpcV2CBORSerializer/Parser speak it."""

    name = "smithy-rpc-v2-cbor"
    dialect = CBOR_DIALECT

    def accepts(self, request: HttpRequest, service: ServiceModel) -> bool:
        return request.headers.get("smithy-protocol", "").lower() == "rpc-v2-cbor"

    def match_operation(self, request: HttpRequest, service: ServiceModel) -> OperationModel:
        match = _PATH_RE.search(request.path)
        if (
            match is None
            or match["service"] != service.metadata.get("targetPrefix")
            or match["operation"] not in service.operation_names
        ):
            # No route exists for the path, hence 404 rather than the json protocol's 400.
            raise UnknownOperation(
                f"Unknown operation {request.path}",
                code="UnknownOperationException",
                status_code=404,
            )
        return service.operation_model(match["operation"])

    def decode_body(self, body: bytes) -> Any:
        try:
            tree = cbor2.loads(body)
        except (cbor2.CBORDecodeError, ValueError, TypeError, EOFError, RecursionError) as exc:
            raise RequestParseError(
                "The request body is not valid CBOR", code=SERIALIZATION_EXCEPTION
            ) from exc
        if not isinstance(tree, dict):
            raise RequestParseError(
                "The request body must be a CBOR map", code=SERIALIZATION_EXCEPTION
            )
        return tree

    def encode_body(self, tree: Any) -> bytes:
        return bytes(
            cbor2.dumps(tree, datetime_as_timestamp=True, timezone=UTC, default=_encode_unknown)
        )

    def response_headers(self, service: ServiceModel) -> list[tuple[str, str]]:
        return [("Content-Type", "application/cbor"), ("smithy-protocol", "rpc-v2-cbor")]
