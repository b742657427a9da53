"""The XML documents of the awsQuery protocol: results, ResponseMetadata and ErrorResponse.

Written by hand rather than with ElementTree so that carriage returns survive the round
trip (`&#xD;`, as AWS escapes them) and characters XML 1.0 cannot carry are replaced
instead of producing a document the client cannot parse. Element names follow botocore's
QueryParser: `locationName`, `flattened` lists and maps, `member`/`entry` wrappers.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from botocore.model import ListShape, MapShape, Shape, StructureShape

from emr.gateway.protocols.values import ISO8601, encode_blob, format_float, format_timestamp

__all__ = ["XmlWriter", "escape_text", "scalar_text"]

_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_TEXT_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#xD;"})
_ATTR_ESCAPES = str.maketrans(
    {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "\r": "&#xD;", "\n": "&#xA;"}
)
_INTEGER_TYPES = frozenset({"integer", "long", "bigInteger"})
_FLOAT_TYPES = frozenset({"float", "double", "bigDecimal"})


def escape_text(value: str) -> str:
    """Text content escaped for XML, with characters XML cannot hold replaced by U+FFFD."""
    return _INVALID_XML.sub("\ufffd", value).translate(_TEXT_ESCAPES)


def _escape_attr(value: str) -> str:
    return _INVALID_XML.sub("\ufffd", value).translate(_ATTR_ESCAPES)


class XmlWriter:
    """Accumulates one XML document; members of the wrong kind are silently left out."""

    def __init__(self) -> None:
        self.parts: list[str] = []

    def text(self) -> str:
        return "".join(self.parts)

    def open(self, tag: str, attributes: Mapping[str, str] | None = None) -> None:
        attrs = "".join(f' {k}="{_escape_attr(v)}"' for k, v in (attributes or {}).items())
        self.parts.append(f"<{tag}{attrs}>")

    def close(self, tag: str) -> None:
        self.parts.append(f"</{tag}>")

    def element(self, tag: str, text: str) -> None:
        self.parts.append(f"<{tag}>{escape_text(text)}</{tag}>")

    def members(self, value: Any, shape: StructureShape) -> None:
        """The children of a structure element (the element itself is the caller's)."""
        if not isinstance(value, Mapping):
            return
        for name, member in shape.members.items():
            member_value = value.get(name)
            if member_value is None or member.serialization.get("xmlAttribute"):
                continue
            if isinstance(member, ListShape) and member.serialization.get("flattened"):
                tag = member.member.serialization.get("name") or member.serialization.get(
                    "name", name
                )
                if isinstance(member_value, list | tuple):
                    for item in member_value:
                        self.value(tag, item, member.member)
            elif isinstance(member, MapShape) and member.serialization.get("flattened"):
                if isinstance(member_value, Mapping):
                    for key, item in member_value.items():
                        self.open(member.serialization.get("name", name))
                        self._map_entry(key, item, member)
                        self.close(member.serialization.get("name", name))
            else:
                self.value(member.serialization.get("name", name), member_value, member)

    def value(self, tag: str, value: Any, shape: Shape) -> None:
        """One element `tag` holding `value`, or nothing if `value` cannot be written."""
        if value is None:
            return
        if isinstance(shape, StructureShape):
            if isinstance(value, Mapping):
                self.open(tag, _namespace_attributes(shape))
                self._attributes_into_last_open(value, shape)
                self.members(value, shape)
                self.close(tag)
        elif isinstance(shape, ListShape):
            if isinstance(value, list | tuple):
                self.open(tag, _namespace_attributes(shape))
                item_tag = shape.member.serialization.get("name", "member")
                for item in value:
                    self.value(item_tag, item, shape.member)
                self.close(tag)
        elif isinstance(shape, MapShape):
            if isinstance(value, Mapping):
                self.open(tag, _namespace_attributes(shape))
                for key, item in value.items():
                    self.open("entry")
                    self._map_entry(key, item, shape)
                    self.close("entry")
                self.close(tag)
        else:
            text = scalar_text(value, shape)
            if text is not None:
                self.element(tag, text)

    def _map_entry(self, key: Any, item: Any, shape: MapShape) -> None:
        self.value(shape.key.serialization.get("name", "key"), key, shape.key)
        self.value(shape.value.serialization.get("name", "value"), item, shape.value)

    def _attributes_into_last_open(self, value: Mapping[str, Any], shape: StructureShape) -> None:
        """Adds `xmlAttribute` members to the start tag just written."""
        extra = ""
        for name, member in shape.members.items():
            if member.serialization.get("xmlAttribute") and value.get(name) is not None:
                text = scalar_text(value[name], member)
                if text is not None:
                    extra += f' {member.serialization.get("name", name)}="{_escape_attr(text)}"'
        if extra:
            self.parts[-1] = self.parts[-1][:-1] + extra + ">"


def _namespace_attributes(shape: Shape) -> dict[str, str]:
    namespace = shape.serialization.get("xmlNamespace")
    if not isinstance(namespace, Mapping) or "uri" not in namespace:
        return {}
    prefix = namespace.get("prefix")
    return {f"xmlns:{prefix}" if prefix else "xmlns": str(namespace["uri"])}


def scalar_text(value: Any, shape: Shape) -> str | None:
    """The text of a scalar member, or None when the provider's value does not fit the type."""
    type_name = shape.type_name
    try:
        if type_name == "boolean":
            return "true" if value else "false"
        if type_name in _INTEGER_TYPES:
            return str(int(value))
        if type_name in _FLOAT_TYPES:
            number = float(value)
            return str(format_float(number)) if not math.isfinite(number) else repr(number)
        if type_name == "timestamp":
            fmt = shape.serialization.get("timestampFormat", ISO8601)
            return str(format_timestamp(value, fmt))
        if type_name == "blob":
            return encode_blob(value)
    except (TypeError, ValueError, OverflowError, OSError):
        return None
    return value if isinstance(value, str) else str(value)
