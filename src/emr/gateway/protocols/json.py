"""The awsJson 1.0 / 1.1 protocol: POST /, `X-Amz-Target: <targetPrefix>.<Operation>`.

The two versions differ only in the Content-Type (`application/x-amz-json-1.0` or `-1.1`),
which the model's `jsonVersion` names; both are accepted on input whatever the model says,
as AWS does.
"""

from __future__ import annotations

import json
from typing import Any

from botocore.model import OperationModel, ServiceModel

from emr.errors import RequestParseError, UnknownOperation
from emr.gateway.http import HttpRequest
from emr.gateway.protocols.document import JSON_DIALECT
from emr.gateway.protocols.rpc_document import SERIALIZATION_EXCEPTION, RpcDocumentProtocol

__all__ = ["JsonProtocol"]

_JSON_CONTENT_TYPES = (
    "application/x-amz-json-1.0",
    "application/x-amz-json-1.1",
    "application/json",
)


class JsonProtocol(RpcDocumentProtocol):
    """awsJson1_0 and awsJson1_1 (EMR, Glue, Kinesis, SQS, CloudWatch's json mode…)."""

    name = "json"
    dialect = JSON_DIALECT

    def accepts(self, request: HttpRequest, service: ServiceModel) -> bool:
        if "x-amz-target" not in request.headers:
            return False
        return request.content_type in (*_JSON_CONTENT_TYPES, "")

    def match_operation(self, request: HttpRequest, service: ServiceModel) -> OperationModel:
        target = request.headers.get("x-amz-target", "")
        prefix, _, name = target.rpartition(".")
        if prefix != service.metadata.get("targetPrefix") or name not in service.operation_names:
            raise UnknownOperation(f"Unknown operation {target}", code="UnknownOperationException")
        return service.operation_model(name)

    def decode_body(self, body: bytes) -> Any:
        if not body.strip():
            return {}
        try:
            tree = json.loads(body)
        except (UnicodeDecodeError, ValueError, RecursionError) as exc:
            raise RequestParseError(
                "The request body is not valid JSON", code=SERIALIZATION_EXCEPTION
            ) from exc
        if not isinstance(tree, dict):
            raise RequestParseError(
                "The request body must be a JSON object", code=SERIALIZATION_EXCEPTION
            )
        return tree

    def encode_body(self, tree: Any) -> bytes:
        # `default=str` keeps document-typed members holding odd values from crashing.
        return json.dumps(tree, ensure_ascii=False, separators=(",", ":"), default=str).encode(
            "utf-8"
        )

    def response_headers(self, service: ServiceModel) -> list[tuple[str, str]]:
        version = service.metadata.get("jsonVersion", "1.0")
        return [("Content-Type", f"application/x-amz-json-{version}")]
