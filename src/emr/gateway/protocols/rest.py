"""What rest-json and rest-xml share: routing by each operation's `http` trait, and the
members bound to the URI, the query string, headers and the status code.

A REST service names its operation with the method, the path and sometimes query keys
(S3's `?uploads`, `?list-type=2`), so the router is built once per service model from the
`requestUri` templates. Where several operations share a template (S3's PUT
`/{Bucket}/{Key+}` is PutObject, CopyObject, UploadPart or UploadPartCopy), the request's
required query parameters and headers decide, as they do for AWS's own front ends.
Body members are the business of `restjson` and `restxml`.
"""

from __future__ import annotations

import json
import re
import weakref
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from botocore.model import OperationModel, ServiceModel, Shape, StructureShape

from emr.errors import RequestParseError
from emr.gateway.http import HttpRequest, HttpResponse
from emr.gateway.protocols.values import (
    RFC822,
    decode_blob,
    encode_blob,
    format_float,
    format_timestamp,
    parse_float,
    parse_timestamp,
)

__all__ = [
    "RestRoute",
    "RestRouter",
    "body_members",
    "header_value",
    "parse_bound_members",
    "payload_member",
    "router_for",
    "write_bound_members",
    "write_raw_payload",
]

#: Query keys a requestUri may carry that clients are free to leave out: current Smithy-built
#: S3 models add `?x-id=GetObject` and the like, which older clients never send.
_OPTIONAL_LITERAL_QUERY = frozenset({"x-id"})
_LABEL = re.compile(r"\{([^}]+)\}")
_BOUND_LOCATIONS = frozenset({"uri", "querystring", "header", "headers", "statusCode"})


@dataclass(frozen=True)
class RestRoute:
    """One operation's place in the URL space, and how specific that place is."""

    operation: OperationModel
    method: str
    pattern: re.Pattern[str]
    #: regex group name → input member name
    labels: tuple[tuple[str, str], ...]
    #: literal query keys of the requestUri; a value of None means any value
    literal_query: tuple[tuple[str, str | None], ...]
    literal_segments: int
    greedy: bool
    required_query: frozenset[str]
    required_headers: frozenset[str]
    deprecated: bool
    order: int

    def match_labels(self, raw_path: str) -> dict[str, str] | None:
        """The label values (percent-decoded) when the path fits, else None."""
        found = self.pattern.fullmatch(raw_path or "/")
        if found is None:
            return None
        return {
            member: unquote(found.group(group), errors="surrogateescape")
            for group, member in self.labels
        }

    def query_fits(self, query: Mapping[str, str]) -> bool:
        for key, value in self.literal_query:
            if key not in query:
                if key in _OPTIONAL_LITERAL_QUERY:
                    continue
                return False
            if value is not None and query[key] != value:
                return False
        return True

    def rank(self, request: HttpRequest) -> tuple[int, ...]:
        """Bigger is more specific: literal query keys, then literal path segments, then
        whether the operation's required query/header members are all present."""
        query = request.query_dict
        present = all(k in query for k in self.required_query) and all(
            h in request.headers for h in self.required_headers
        )
        return (
            sum(1 for key, _ in self.literal_query if key in query),
            self.literal_segments,
            0 if self.greedy else 1,
            1 if present else 0,
            len(self.required_query) + len(self.required_headers) if present else 0,
            0 if self.deprecated else 1,
            -self.order,
        )


def _effective_request_uri(operation: OperationModel) -> str:
    """The requestUri as published, even after botocore's S3 client stripped `/{Bucket}`.

    botocore's S3 client rewrites `http.requestUri` in place (dropping the bucket label and
    keeping the original in `authPath`); a model shared with such a client must still route
    path-style requests.
    """
    uri: str = operation.http.get("requestUri", "/")
    auth_path = operation.http.get("authPath")
    if (
        isinstance(auth_path, str)
        and auth_path.startswith("/{Bucket}")
        and not uri.startswith("/{Bucket}")
    ):
        uri = "/{Bucket}" + (uri if uri != "/" else "")
    return uri


def _compile_route(operation: OperationModel, order: int) -> RestRoute:
    uri = _effective_request_uri(operation)
    path, _, query = uri.partition("?")
    shape = operation.input_shape
    label_members: dict[str, str] = {}
    required_query: set[str] = set()
    required_headers: set[str] = set()
    if shape is not None:
        required = set(shape.required_members)
        for name, member in shape.members.items():
            location = member.serialization.get("location")
            wire = member.serialization.get("name", name)
            if location == "uri":
                label_members[wire] = name
            elif location == "querystring" and name in required and member.type_name != "map":
                required_query.add(wire)
            elif location == "header" and name in required:
                required_headers.add(wire.lower())
    regex: list[str] = []
    labels: list[tuple[str, str]] = []
    position = 0
    greedy = False
    trimmed = path.rstrip("/") if path != "/" else path
    for found in _LABEL.finditer(trimmed):
        regex.append(re.escape(trimmed[position : found.start()]))
        label = found.group(1)
        group = f"l{len(labels)}"
        if label.endswith("+"):
            greedy = True
            label = label[:-1]
            regex.append(f"(?P<{group}>.+)")
        else:
            regex.append(f"(?P<{group}>[^/]+)")
        labels.append((group, label_members.get(label, label)))
        position = found.end()
    regex.append(re.escape(trimmed[position:]))
    if trimmed != "/" and not trimmed.endswith("+}"):
        regex.append("/?")
    literal_segments = sum(
        1 for segment in path.split("/") if segment and not _LABEL.search(segment)
    )
    literal_query: list[tuple[str, str | None]] = []
    for part in query.split("&") if query else []:
        key, sep, value = part.partition("=")
        literal_query.append((key, value if sep else None))
    return RestRoute(
        operation=operation,
        method=operation.http.get("method", "POST").upper(),
        pattern=re.compile("".join(regex) or "/"),
        labels=tuple(labels),
        literal_query=tuple(literal_query),
        literal_segments=literal_segments,
        greedy=greedy,
        required_query=frozenset(required_query),
        required_headers=frozenset(required_headers),
        deprecated=bool(operation.deprecated),
        order=order,
    )


class RestRouter:
    """Finds the operation a REST request names, most specific template first.

    Ties that the wire cannot break are settled by preferring non-deprecated operations
    (S3's GetBucketLifecycle loses to GetBucketLifecycleConfiguration), then model order
    (ListBuckets before ListDirectoryBuckets, which AWS serves on S3 Express endpoints).
    """

    def __init__(self, service: ServiceModel) -> None:
        self.service = service
        self.routes: dict[str, RestRoute] = {}
        self._by_method: dict[str, list[RestRoute]] = {}
        for order, name in enumerate(service.operation_names):
            route = _compile_route(service.operation_model(name), order)
            self.routes[name] = route
            self._by_method.setdefault(route.method, []).append(route)

    def match(self, request: HttpRequest) -> tuple[RestRoute, dict[str, str]] | None:
        """The best route and its label values, or None when nothing fits."""
        method = request.method.upper()
        best: tuple[tuple[int, ...], RestRoute, dict[str, str]] | None = None
        query = request.query_dict
        for route in self._by_method.get(method, []):
            if not route.query_fits(query):
                continue
            labels = route.match_labels(request.raw_path)
            if labels is None:
                continue
            rank = route.rank(request)
            if best is None or rank > best[0]:
                best = (rank, route, labels)
        return None if best is None else (best[1], best[2])


_ROUTERS: weakref.WeakKeyDictionary[ServiceModel, RestRouter] = weakref.WeakKeyDictionary()


def router_for(service: ServiceModel) -> RestRouter:
    """The router of a service model, built on first use."""
    router = _ROUTERS.get(service)
    if router is None:
        router = RestRouter(service)
        _ROUTERS[service] = router
    return router


# --- scalars from strings ----------------------------------------------------------------


def _scalar(shape: Shape, text: str) -> Any:
    kind = shape.type_name
    if kind in ("integer", "long"):
        return int(text)
    if kind in ("float", "double"):
        return parse_float(text)
    if kind == "boolean":
        lowered = text.strip().lower()
        if lowered not in ("true", "false"):
            raise ValueError(f"{text!r} is not a boolean")
        return lowered == "true"
    if kind == "timestamp":
        return parse_timestamp(text)
    if kind == "blob":
        return decode_blob(text)
    return text


def _split_header_list(text: str) -> list[str]:
    """Comma-separated items; double-quoted items may hold commas and `\\"` (RFC 7230)."""
    items: list[str] = []
    current: list[str] = []
    quoted = False
    escaped = False
    was_quoted = False
    for char in text:
        if escaped:
            current.append(char)
            escaped = False
        elif quoted and char == "\\":
            escaped = True
        elif char == '"':
            quoted = not quoted
            was_quoted = True
        elif char == "," and not quoted:
            items.append("".join(current) if was_quoted else "".join(current).strip())
            current, was_quoted = [], False
        else:
            if was_quoted and not quoted and char.isspace():
                continue
            if not current and not was_quoted and char.isspace():
                continue
            current.append(char)
    items.append("".join(current) if was_quoted else "".join(current).strip())
    return items


def _header_member(shape: Shape, text: str) -> Any:
    if shape.serialization.get("jsonvalue"):
        return json.loads(decode_blob(text).decode("utf-8"))
    if shape.type_name == "list":
        items = _split_header_list(text)
        member = shape.member
        fmt = member.serialization.get("timestampFormat", RFC822)
        if member.type_name == "timestamp" and fmt == RFC822:
            # An HTTP date has a comma of its own: "Mon, 01 Jan 2024 …", two items each.
            items = [f"{a}, {b}" for a, b in zip(items[::2], items[1::2], strict=False)]
        return [_scalar(member, item) for item in items]
    if shape.type_name == "blob":
        return text.encode("utf-8")
    return _scalar(shape, text)


def parse_bound_members(
    request: HttpRequest,
    route: RestRoute,
    labels: Mapping[str, str],
    *,
    error_code: str,
) -> dict[str, Any]:
    """The input members bound to the URI, query string and headers, typed per the model.

    A value that cannot be read as its type raises `RequestParseError` with `error_code`.
    """
    shape = route.operation.input_shape
    params: dict[str, Any] = {}
    if shape is None:
        return params
    claimed_query = {key for key, _ in route.literal_query}
    query_map_member: tuple[str, Shape] | None = None
    headers: dict[str, str] | None = None
    for name, member, location, wire in _bound_members(shape):
        try:
            if location == "uri":
                if name in labels:
                    params[name] = _scalar(member, labels[name])
            elif location == "querystring":
                if member.type_name == "map":
                    query_map_member = (name, member)
                    continue
                claimed_query.add(wire)
                values = [v for k, v in request.query if k == wire]
                if not values:
                    continue
                if member.type_name == "list":
                    item_shape = member.member
                    params[name] = [_scalar(item_shape, v) for v in values]
                else:
                    params[name] = _scalar(member, values[0])
            elif location == "header":
                if headers is None:
                    headers = _first_header_values(request)
                text = headers.get(wire.lower())
                if text is not None:
                    params[name] = _header_member(member, text)
            elif location == "headers":
                prefix = wire.lower()
                found = {
                    key[len(prefix) :]: value
                    for key, value in request.headers.items()
                    if key.lower().startswith(prefix)
                }
                if found:
                    params[name] = found
        except (ValueError, OverflowError) as exc:
            raise RequestParseError(
                f"Value for {wire} could not be read as {member.type_name}: {exc}",
                code=error_code,
            ) from exc
    if query_map_member is not None:
        name, member = query_map_member
        value_shape = member.value
        collected: dict[str, Any] = {}
        for key, value in request.query:
            if key in claimed_query:
                continue
            if value_shape.type_name == "list":
                collected.setdefault(key, []).append(value)
            else:
                collected.setdefault(key, value)
        if collected:
            params[name] = collected
    return params


_BoundMember = tuple[str, Shape, str, str]
_BOUND_MEMBERS: weakref.WeakKeyDictionary[Shape, tuple[_BoundMember, ...]] = (
    weakref.WeakKeyDictionary()
)


def _bound_members(shape: StructureShape) -> tuple[_BoundMember, ...]:
    """(name, shape, location, wire name) of the members bound outside the body, in model
    order; walked once per shape rather than once per request."""
    bound = _BOUND_MEMBERS.get(shape)
    if bound is None:
        bound = tuple(
            (name, member, location, member.serialization.get("name", name))
            for name, member in shape.members.items()
            if (location := member.serialization.get("location")) in _BOUND_LOCATIONS
        )
        _BOUND_MEMBERS[shape] = bound
    return bound


def _first_header_values(request: HttpRequest) -> dict[str, str]:
    """Header name → its first value, as `Headers.get` answers, in one pass over the headers
    (`Headers.get` scans them all for every member)."""
    values: dict[str, str] = {}
    for key, value in request.headers.raw:
        values.setdefault(key.decode("latin-1"), value.decode("latin-1"))
    return values


# --- shape helpers shared by both body codecs --------------------------------------------


def payload_member(shape: StructureShape | None) -> tuple[str, Shape] | None:
    """The member named by the structure's `payload` trait, if any."""
    if shape is None:
        return None
    name = shape.serialization.get("payload")
    if name is None:
        return None
    return name, shape.members[name]


def body_members(shape: StructureShape | None) -> dict[str, Shape]:
    """Members that travel in the body when there is no payload member."""
    if shape is None:
        return {}
    return {
        name: member
        for name, member in shape.members.items()
        if member.serialization.get("location") not in _BOUND_LOCATIONS
    }


# --- output members bound to the status line and headers ---------------------------------


def header_value(shape: Shape, value: Any) -> str:
    """The header text of an output member: rfc822 dates, comma lists, base64 JSON values."""
    if shape.serialization.get("jsonvalue"):
        return encode_blob(json.dumps(value, separators=(",", ":")))
    kind = shape.type_name
    if kind == "timestamp":
        return str(format_timestamp(value, shape.serialization.get("timestampFormat", RFC822)))
    if kind == "list":
        member = shape.member
        return ",".join(header_value(member, item) for item in value if item is not None)
    if kind == "boolean":
        return "true" if value else "false"
    if kind in ("float", "double"):
        return str(format_float(float(value)))
    if kind == "blob":
        return encode_blob(value)
    return str(value)


def write_bound_members(
    response: HttpResponse, operation: OperationModel, result: Mapping[str, Any]
) -> None:
    """Sets the status code (`http.responseCode`, or a `statusCode` member) and the
    header-bound output members on `response`."""
    response.status_code = int(operation.http.get("responseCode", 200))
    shape = operation.output_shape
    if shape is None:
        return
    for name, member, location, wire in _bound_members(shape):
        value = result.get(name)
        if value is None:
            continue
        if location == "statusCode":
            response.status_code = int(value)
        elif location == "header":
            if member.type_name == "list" and not value:
                continue
            response.headers.append((wire, header_value(member, value)))
        elif location == "headers":
            for key, item in value.items():
                response.headers.append((f"{wire}{key}", str(item)))


def write_raw_payload(response: HttpResponse, value: Any) -> None:
    """A blob or string payload member as the whole body; anything else is an async byte stream."""
    if isinstance(value, str):
        response.body = value.encode("utf-8")
    elif isinstance(value, bytes | bytearray | memoryview):
        response.body = bytes(value)
    else:
        response.stream = value
