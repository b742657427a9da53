"""The awsQuery protocol: form-encoded `Action=…&Version=…` requests, XML responses.

Input names are dotted paths as botocore's QuerySerializer writes them
(`Tags.member.1.Key`, flattened `Name.1`, maps `Attributes.entry.1.key`); they are parsed
into a tree once and walked against the input shape, so a member is found by the same
rules that named it. Values arrive as text and are converted to the member's type.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl

from botocore.model import ListShape, MapShape, OperationModel, ServiceModel, Shape, StructureShape

from emr.errors import ParameterValidationError, RequestParseError, ServiceError, UnknownOperation
from emr.gateway.http import HttpRequest, HttpResponse
from emr.gateway.protocols.base import Protocol
from emr.gateway.protocols.errorcodes import error_shape, query_error_code
from emr.gateway.protocols.query_xml import XmlWriter
from emr.gateway.protocols.validate import validate_input
from emr.gateway.protocols.values import decode_blob, parse_float, parse_timestamp

__all__ = ["QueryProtocol"]

FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"
_INTEGER_TYPES = frozenset({"integer", "long", "bigInteger"})
_FLOAT_TYPES = frozenset({"float", "double", "bigDecimal"})


@dataclass
class _Node:
    """One segment of the dotted parameter names: its own value and its sub-names."""

    value: str | None = None
    children: dict[str, _Node] = field(default_factory=dict)

    def indexed(self) -> list[_Node]:
        """Children named 1, 2, 3… in numeric order (list items and map entries)."""
        numbered = [(int(k), v) for k, v in self.children.items() if k.isdigit()]
        return [node for _, node in sorted(numbered, key=lambda pair: pair[0])]


class _BadValue(Exception):
    """A text value that does not convert to its member's type."""


def _form_params(request: HttpRequest) -> list[tuple[str, str]]:
    """Query-string parameters followed by the form body's; the body may repeat or add names."""
    params = list(request.query)
    if request.body and request.content_type in (FORM_CONTENT_TYPE, ""):
        try:
            text = request.body.decode("utf-8")
            params.extend(parse_qsl(text, keep_blank_values=True, errors="strict"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise RequestParseError(
                "The request body is not a valid form-encoded query string",
                code="MalformedQueryString",
            ) from exc
    return params


def _tree(params: list[tuple[str, str]]) -> _Node:
    root = _Node()
    for name, value in params:
        node = root
        for segment in name.split("."):
            node = node.children.setdefault(segment, _Node())
        node.value = value
    return root


def _path(parent: str, name: str) -> str:
    segment = name[:1].lower() + name[1:]
    return f"{parent}.{segment}" if parent else segment


class QueryProtocol(Protocol):
    """awsQuery (STS, IAM, SNS, CloudWatch's legacy mode…)."""

    name = "query"
    validation_error_code = "ValidationError"

    def accepts(self, request: HttpRequest, service: ServiceModel) -> bool:
        if "Action" in request.query_dict:
            return True
        if request.content_type != FORM_CONTENT_TYPE:
            return False
        try:
            return any(name == "Action" for name, _ in _form_params(request))
        except RequestParseError:
            return True

    def match_operation(self, request: HttpRequest, service: ServiceModel) -> OperationModel:
        params = dict(reversed(_form_params(request)))
        action = params.get("Action", "")
        version = params.get("Version", service.api_version)
        if action not in service.operation_names or version != service.api_version:
            raise UnknownOperation(
                f"Could not find operation {action} for version {version}", code="InvalidAction"
            )
        return service.operation_model(action)

    def parse_request(self, request: HttpRequest, operation: OperationModel) -> dict[str, Any]:
        shape = operation.input_shape
        if shape is None:
            return {}
        problems: list[str] = []
        params = self._structure(_tree(_form_params(request)), shape, "", problems)
        if problems:
            raise ParameterValidationError(problems, code=self.validation_error_code)
        validate_input(params, shape, code=self.validation_error_code)
        return params

    # -- reading -------------------------------------------------------------------------

    def _structure(
        self, node: _Node, shape: StructureShape, path: str, problems: list[str]
    ) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for name, member in shape.members.items():
            key = member.serialization.get("name", name)
            if isinstance(member, ListShape) and member.serialization.get("flattened"):
                key = member.member.serialization.get("name", key)
            child = node.children.get(key)
            if child is None:
                continue
            member_path = _path(path, name)
            try:
                value = self._value(child, member, member_path, problems)
            except _BadValue as exc:
                problems.append(
                    f"Value '{child.value}' at '{member_path}' failed to satisfy constraint: {exc}"
                )
                continue
            if value is not None:
                result[name] = value
        return result

    def _value(self, node: _Node, shape: Shape, path: str, problems: list[str]) -> Any:
        if isinstance(shape, StructureShape):
            return self._structure(node, shape, path, problems)
        if isinstance(shape, ListShape):
            return self._list(node, shape, path, problems)
        if isinstance(shape, MapShape):
            return self._map(node, shape, path, problems)
        if node.value is None:
            return None
        return _scalar(node.value, shape)

    def _list(self, node: _Node, shape: ListShape, path: str, problems: list[str]) -> list[Any]:
        container = node
        if not shape.serialization.get("flattened"):
            container = node.children.get(shape.member.serialization.get("name", "member"), node)
        items: list[Any] = []
        for index, item_node in enumerate(container.indexed(), 1):
            item_path = f"{path}.{index}.member"
            try:
                item = self._value(item_node, shape.member, item_path, problems)
            except _BadValue as exc:
                problems.append(
                    f"Value '{item_node.value}' at '{item_path}' failed to satisfy constraint: {exc}"
                )
                continue
            if item is not None:
                items.append(item)
        return items

    def _map(self, node: _Node, shape: MapShape, path: str, problems: list[str]) -> dict[Any, Any]:
        container = node if shape.serialization.get("flattened") else node.children.get("entry")
        key_name = shape.key.serialization.get("name", "key")
        value_name = shape.value.serialization.get("name", "value")
        result: dict[Any, Any] = {}
        for entry in container.indexed() if container is not None else []:
            key_node, value_node = entry.children.get(key_name), entry.children.get(value_name)
            if key_node is None or key_node.value is None or value_node is None:
                continue
            entry_path = f"{path}.{key_node.value}"
            try:
                value = self._value(value_node, shape.value, entry_path, problems)
            except _BadValue as exc:
                problems.append(
                    f"Value '{value_node.value}' at '{entry_path}' failed to satisfy constraint: {exc}"
                )
                continue
            if value is not None:
                result[key_node.value] = value
        return result

    # -- writing -------------------------------------------------------------------------

    def serialize_response(
        self, operation: OperationModel, result: Mapping[str, Any], request_id: str
    ) -> HttpResponse:
        namespace = operation.metadata.get("xmlNamespace")
        root = f"{operation.name}Response"
        writer = XmlWriter()
        writer.open(root, {"xmlns": namespace} if namespace else None)
        shape = operation.output_shape
        if shape is not None:
            wrapper = shape.serialization.get("resultWrapper")
            if wrapper:
                writer.open(wrapper)
                writer.members(result, shape)
                writer.close(wrapper)
            else:
                writer.members(result, shape)
        writer.open("ResponseMetadata")
        writer.element("RequestId", request_id)
        writer.close("ResponseMetadata")
        writer.close(root)
        return self._xml_response(200, writer.text(), request_id)

    def serialize_error(
        self,
        error: ServiceError,
        service: ServiceModel,
        operation: OperationModel | None,
        request_id: str,
    ) -> HttpResponse:
        namespace = service.metadata.get("xmlNamespace")
        writer = XmlWriter()
        writer.open("ErrorResponse", {"xmlns": namespace} if namespace else None)
        writer.open("Error")
        writer.element("Type", "Sender" if error.sender_fault else "Receiver")
        writer.element("Code", query_error_code(service, error.code))
        writer.element("Message", error.message)
        shape = error_shape(service, error.code)
        if shape is not None and error.fields:
            fields = {k: v for k, v in error.fields.items() if k not in ("Code", "Message", "Type")}
            writer.members(fields, shape)
        writer.close("Error")
        writer.element("RequestId", request_id)
        writer.close("ErrorResponse")
        response = self._xml_response(error.status_code, writer.text(), request_id)
        for name, value in error.headers.items():
            response.set_header(name, value)
        return response

    @staticmethod
    def _xml_response(status: int, text: str, request_id: str) -> HttpResponse:
        return HttpResponse(
            status_code=status,
            headers=[("Content-Type", "text/xml"), ("x-amzn-RequestId", request_id)],
            body=text.encode("utf-8"),
        )


def _scalar(text: str, shape: Shape) -> Any:
    """The typed value of a text parameter; raises `_BadValue` with AWS's wording."""
    type_name = shape.type_name
    if type_name in _INTEGER_TYPES:
        try:
            return int(text.strip())
        except ValueError:
            raise _BadValue("Member must be a number") from None
    if type_name in _FLOAT_TYPES:
        try:
            return parse_float(text.strip())
        except ValueError:
            raise _BadValue("Member must be a number") from None
    if type_name == "boolean":
        lowered = text.strip().lower()
        if lowered not in ("true", "false"):
            raise _BadValue("Member must be a boolean")
        return lowered == "true"
    if type_name == "timestamp":
        try:
            moment: datetime = parse_timestamp(text)
        except (ValueError, OverflowError) as exc:
            raise _BadValue("Member must be a timestamp") from exc
        return moment
    if type_name == "blob":
        try:
            return decode_blob(text)
        except ValueError:
            raise _BadValue("Member must be base64-encoded binary data") from None
    return text
