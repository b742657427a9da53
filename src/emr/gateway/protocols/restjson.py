"""The rest-json protocol (Lambda, API Gateway, EMR on EKS, …): REST routing, JSON bodies.

Body members travel as a JSON object in the same tree form the json protocol uses
(`document.JSON_DIALECT`: base64 blobs, epoch-second timestamps unless the model says
otherwise). Errors carry the code in `x-amzn-ErrorType` (what botocore's RestJSONParser
reads first) and `{"message": …, <modeled fields>}` in the body; a request that matches no
operation is `404 UnknownOperationException`, as API Gateway-fronted services answer an
unknown resource path with a 404.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from botocore.model import OperationModel, ServiceModel, StructureShape

from emr.errors import RequestParseError, ServiceError, UnknownOperation
from emr.gateway.http import HttpRequest, HttpResponse
from emr.gateway.protocols.base import Protocol
from emr.gateway.protocols.document import JSON_DIALECT, read_document, write_document
from emr.gateway.protocols.errorcodes import error_shape
from emr.gateway.protocols.rest import (
    body_members,
    parse_bound_members,
    payload_member,
    router_for,
    write_bound_members,
    write_raw_payload,
)
from emr.gateway.protocols.validate import validate_input

__all__ = ["RestJsonProtocol"]

_SERIALIZATION = "SerializationException"


def _load_json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise RequestParseError(
            f"Could not parse request body into json: {exc}", code=_SERIALIZATION
        ) from exc


def _read_tree(tree: Any, shape: Any) -> Any:
    """A payload member's value: structures through the document walker, documents as is."""
    if isinstance(shape, StructureShape):
        return read_document(tree, shape, JSON_DIALECT, error_code=_SERIALIZATION)
    return tree


class RestJsonProtocol(Protocol):
    """rest-json for any service model."""

    name = "rest-json"

    def accepts(self, request: HttpRequest, service: ServiceModel) -> bool:
        """Always: a rest-json service speaks nothing else."""
        return True

    def match_operation(self, request: HttpRequest, service: ServiceModel) -> OperationModel:
        found = router_for(service).match(request)
        if found is None:
            raise UnknownOperation(
                f"No operation matches {request.method.upper()} {request.path}",
                code="UnknownOperationException",
                status_code=404,
            )
        return found[0].operation

    def parse_request(self, request: HttpRequest, operation: OperationModel) -> dict[str, Any]:
        route = router_for(operation.service_model).routes[operation.name]
        labels = route.match_labels(request.raw_path) or {}
        params = parse_bound_members(request, route, labels, error_code=_SERIALIZATION)
        params.update(self._body_members(request, operation))
        validate_input(params, operation.input_shape, code=self.validation_error_code)
        return params

    def _body_members(self, request: HttpRequest, operation: OperationModel) -> dict[str, Any]:
        shape = operation.input_shape
        body = request.body
        payload = payload_member(shape)
        if payload is not None:
            name, member = payload
            if member.type_name == "blob":
                streaming = bool(member.serialization.get("streaming"))
                return {name: body} if body or streaming else {}
            if member.type_name == "string":
                return {name: body.decode("utf-8", errors="replace")} if body else {}
            if not body.strip():
                return {}
            return {name: _read_tree(_load_json(body), member)}
        members = body_members(shape)
        if not members or not body.strip():
            return {}
        tree = _load_json(body)
        if not isinstance(tree, dict):
            raise RequestParseError("Request body must be a JSON object", code=_SERIALIZATION)
        values = read_document(tree, shape, JSON_DIALECT, error_code=_SERIALIZATION)
        return {k: v for k, v in values.items() if k in members}

    def serialize_response(
        self, operation: OperationModel, result: Mapping[str, Any], request_id: str
    ) -> HttpResponse:
        response = HttpResponse()
        write_bound_members(response, operation, result)
        response.set_header("x-amzn-RequestId", request_id)
        shape = operation.output_shape
        payload = payload_member(shape)
        if payload is not None:
            name, member = payload
            value = result.get(name)
            if value is None:
                pass
            elif member.type_name in ("blob", "string"):
                write_raw_payload(response, value)
            else:
                tree = write_document({name: value}, shape, JSON_DIALECT).get(
                    member.serialization.get("name", name)
                )
                response.body = json.dumps(tree).encode("utf-8")
                response.set_header("Content-Type", "application/json")
        elif shape is not None and (members := body_members(shape)):
            values = {k: v for k, v in result.items() if k in members}
            response.body = json.dumps(write_document(values, shape, JSON_DIALECT)).encode("utf-8")
            response.set_header("Content-Type", "application/json")
        if response.status_code == 204:
            response.body = b""
        return response

    def serialize_error(
        self,
        error: ServiceError,
        service: ServiceModel,
        operation: OperationModel | None,
        request_id: str,
    ) -> HttpResponse:
        response = HttpResponse(status_code=error.status_code)
        response.set_header("x-amzn-RequestId", request_id)
        response.set_header("x-amzn-ErrorType", error.code)
        for header, value in error.headers.items():
            response.set_header(header, value)
        shape = error_shape(service, error.code)
        message_key = "message"
        body: dict[str, Any] = {}
        if shape is not None:
            for name, member in shape.members.items():
                if name.lower() == "message":
                    message_key = member.serialization.get("name", name)
            modeled = {k: v for k, v in error.fields.items() if k in shape.members}
            body.update(write_document(modeled, shape, JSON_DIALECT))
        for key, value in error.fields.items():
            if shape is None or key not in shape.members:
                body[key] = value
        body[message_key] = error.message
        response.body = json.dumps(body, default=str).encode("utf-8")
        response.set_header("Content-Type", "application/json")
        return response
