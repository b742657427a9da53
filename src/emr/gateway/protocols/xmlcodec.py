"""XML bodies read and written per botocore shapes, as the rest-xml protocol lays them out.

Reading mirrors botocore's `RestXMLSerializer` (what clients send); writing mirrors its
`RestXMLParser` (what clients read): member names from `locationName`, flattened lists and
maps repeated in their parent, `xmlAttribute` members as attributes, `xmlNamespace`
declarations on the element of the shape that carries them. Namespaces are ignored on
input, as AWS does for S3 and CloudFront bodies.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from xml.etree import ElementTree
from xml.sax.saxutils import escape, quoteattr

from botocore.model import Shape

from emr.errors import RequestParseError
from emr.gateway.protocols.values import (
    ISO8601,
    decode_blob,
    encode_blob,
    format_float,
    format_timestamp,
    parse_float,
    parse_timestamp,
)

__all__ = ["MALFORMED_XML_MESSAGE", "decode_xml", "encode_xml", "parse_xml_document"]

MALFORMED_XML_MESSAGE = (
    "The XML you provided was not well-formed or did not validate against our published schema"
)
#: An XML parser turns a raw "\r\n" into "\n"; the entity survives.
_KEEP_CARRIAGE_RETURNS = {"\r": "&#13;"}
_NAMESPACE = re.compile(r"^\{[^}]*\}")
#: Entity declarations are how "billion laughs" bodies grow; no AWS request needs them.
_DTD = re.compile(rb"<!(DOCTYPE|ENTITY)", re.IGNORECASE)


def _local(tag: str) -> str:
    return _NAMESPACE.sub("", tag)


def parse_xml_document(body: bytes) -> ElementTree.Element:
    """The root element of a request body; `RequestParseError` (MalformedXML) when the body
    is not well-formed or declares a DTD."""
    if _DTD.search(body):
        raise RequestParseError(MALFORMED_XML_MESSAGE, code="MalformedXML")
    try:
        return ElementTree.fromstring(body)
    except ElementTree.ParseError as exc:
        raise RequestParseError(MALFORMED_XML_MESSAGE, code="MalformedXML") from exc


# --- reading -----------------------------------------------------------------------------


def decode_xml(node: ElementTree.Element, shape: Shape) -> Any:
    """The value of `node` as `shape`; `ValueError` when a scalar cannot be read."""
    kind = shape.type_name
    if kind == "structure":
        return _decode_structure(node, shape)
    if kind == "list":
        item = shape.member
        return [decode_xml(child, item) for child in node]
    if kind == "map":
        return _decode_entries(list(node), shape)
    return _decode_scalar(node.text or "", shape)


def _decode_entries(entries: list[ElementTree.Element], shape: Shape) -> dict[Any, Any]:
    key_shape = shape.key
    value_shape = shape.value
    key_name = key_shape.serialization.get("name", "key")
    value_name = value_shape.serialization.get("name", "value")
    result: dict[Any, Any] = {}
    for entry in entries:
        key: Any = None
        value: Any = None
        for part in entry:
            tag = _local(part.tag)
            if tag == key_name:
                key = decode_xml(part, key_shape)
            elif tag == value_name:
                value = decode_xml(part, value_shape)
        if key is not None:
            result[key] = value
    return result


def _decode_structure(node: ElementTree.Element, shape: Shape) -> dict[str, Any]:
    children: dict[str, list[ElementTree.Element]] = {}
    for child in node:
        children.setdefault(_local(child.tag), []).append(child)
    attributes = {_local(k): v for k, v in node.attrib.items()}
    result: dict[str, Any] = {}
    for name, member in shape.members.items():
        serialization = member.serialization
        if serialization.get("location"):
            continue
        wire = serialization.get("name", name)
        if serialization.get("xmlAttribute"):
            local = wire.split(":")[-1]
            if local in attributes:
                result[name] = _decode_scalar(attributes[local], member)
            continue
        flattened = serialization.get("flattened") and member.type_name in ("list", "map")
        if flattened:
            nodes = children.get(wire)
            if nodes is None and member.type_name == "list":
                nodes = children.get(member.member.serialization.get("name", wire))
            if not nodes:
                continue
            if member.type_name == "list":
                result[name] = [decode_xml(item, member.member) for item in nodes]
            else:
                result[name] = _decode_entries(nodes, member)
            continue
        nodes = children.get(wire)
        if nodes:
            result[name] = decode_xml(nodes[0], member)
    return result


def _decode_scalar(text: str, shape: Shape) -> Any:
    kind = shape.type_name
    if kind in ("integer", "long"):
        return int(text)
    if kind in ("float", "double"):
        return parse_float(text.strip())
    if kind == "boolean":
        lowered = text.strip().lower()
        if lowered not in ("true", "false"):
            raise ValueError(f"{text!r} is not a boolean")
        return lowered == "true"
    if kind == "timestamp":
        return parse_timestamp(text)
    if kind == "blob":
        return decode_blob(text.strip())
    return text


# --- writing -----------------------------------------------------------------------------


def encode_xml(root_name: str, shape: Shape, value: Any, *, namespace: str | None = None) -> bytes:
    """A whole document whose root element is `root_name`, holding `value` as `shape`.

    `namespace` is the default namespace declared on the root unless the shape declares
    its own.
    """
    parts: list[str] = ['<?xml version="1.0" encoding="UTF-8"?>\n']
    extra = {} if "xmlNamespace" in shape.serialization or not namespace else {"xmlns": namespace}
    _write(parts, root_name, shape, value, extra)
    return "".join(parts).encode("utf-8")


def _namespace_attributes(shape: Shape) -> dict[str, str]:
    declared = shape.serialization.get("xmlNamespace")
    if isinstance(declared, str):
        return {"xmlns": declared}
    if isinstance(declared, Mapping) and declared.get("uri"):
        prefix = declared.get("prefix")
        return {f"xmlns:{prefix}" if prefix else "xmlns": str(declared["uri"])}
    return {}


def _open(parts: list[str], name: str, attributes: Mapping[str, str]) -> None:
    rendered = "".join(f" {key}={quoteattr(val)}" for key, val in attributes.items())
    parts.append(f"<{name}{rendered}>")


def _write(
    parts: list[str],
    name: str,
    shape: Shape,
    value: Any,
    extra: Mapping[str, str] | None = None,
) -> None:
    attributes = {**(extra or {}), **_namespace_attributes(shape)}
    kind = shape.type_name
    if kind == "structure":
        members = shape.members
        body: list[str] = []
        for member_name, member_value in value.items():
            if member_value is None or member_name not in members:
                continue
            member = members[member_name]
            serialization = member.serialization
            if serialization.get("location"):
                continue
            wire = serialization.get("name", member_name)
            if serialization.get("xmlAttribute"):
                attributes[wire] = _scalar_text(member, member_value)
            elif serialization.get("flattened") and member.type_name == "list":
                item = member.member
                item_name = item.serialization.get("name", wire)
                for element in member_value:
                    _write(body, item_name, item, element)
            elif serialization.get("flattened") and member.type_name == "map":
                _write_entries(body, wire, member, member_value)
            else:
                _write(body, wire, member, member_value)
        _open(parts, name, attributes)
        parts.extend(body)
    elif kind == "list":
        item = shape.member
        item_name = item.serialization.get("name", "member")
        _open(parts, name, attributes)
        for element in value:
            _write(parts, item_name, item, element)
    elif kind == "map":
        _open(parts, name, attributes)
        _write_entries(parts, "entry", shape, value)
    else:
        _open(parts, name, attributes)
        parts.append(escape(_scalar_text(shape, value), _KEEP_CARRIAGE_RETURNS))
    parts.append(f"</{name}>")


def _write_entries(
    parts: list[str], entry_name: str, shape: Shape, value: Mapping[Any, Any]
) -> None:
    """`<entry><key/><value/></entry>` each, or the map's own name per entry when flattened."""
    key_shape = shape.key
    value_shape = shape.value
    key_name = key_shape.serialization.get("name", "key")
    value_name = value_shape.serialization.get("name", "value")
    for key, item in value.items():
        parts.append(f"<{entry_name}>")
        _write(parts, key_name, key_shape, key)
        if item is not None:
            _write(parts, value_name, value_shape, item)
        parts.append(f"</{entry_name}>")


def _scalar_text(shape: Shape, value: Any) -> str:
    kind = shape.type_name
    if kind == "boolean":
        return "true" if value else "false"
    if kind == "timestamp":
        return str(format_timestamp(value, shape.serialization.get("timestampFormat", ISO8601)))
    if kind == "blob":
        return encode_blob(value)
    if kind in ("float", "double"):
        return str(format_float(float(value)))
    return str(value)
