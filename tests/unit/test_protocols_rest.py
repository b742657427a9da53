"""Round trips of the rest-xml and rest-json protocols against botocore itself.

Requests are written by botocore's client-side serializers and turned into the URL that
botocore would send (`prepare_request_dict`), path-style as our gateway presents S3
requests; they must route to the same operation and parse back to the same parameters.
Responses and errors we write must be read back by botocore's response parsers as what
we put in. Every operation of S3 and Lambda is covered, and of API Gateway, Route 53 and
CloudFront too.
"""

from __future__ import annotations

import base64
import hashlib
import io
import re
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import botocore.session
import pytest
from botocore.awsrequest import prepare_request_dict
from botocore.handlers import parse_get_bucket_location, remove_bucket_from_url_paths_from_model
from botocore.model import OperationModel, ServiceModel, Shape
from botocore.parsers import create_parser
from botocore.serialize import create_serializer
from starlette.datastructures import Headers
from urllib3 import HTTPHeaderDict

from emr.errors import (
    NotImplementedOperation,
    ParameterValidationError,
    RequestParseError,
    ServiceError,
    UnknownOperation,
)
from emr.gateway.http import HttpRequest, HttpResponse
from emr.gateway.protocols.base import Protocol
from emr.gateway.protocols.restjson import RestJsonProtocol
from emr.gateway.protocols.restxml import RestXmlProtocol
from tests.unit.model_samples import SampleMaker, normalize

_SESSION = botocore.session.get_session()
PROTOCOLS: dict[str, Protocol] = {"rest-xml": RestXmlProtocol(), "rest-json": RestJsonProtocol()}
SERVICES = ["s3", "lambda", "apigateway", "route53", "cloudfront"]
#: Operations the wire cannot tell apart: the request routes to the preferred one.
ALIASES = {
    ("s3", "ListDirectoryBuckets"): "ListBuckets",  # same GET /; AWS serves it on S3 Express
    ("s3", "GetBucketLifecycle"): "GetBucketLifecycleConfiguration",  # deprecated twin
    ("s3", "PutBucketLifecycle"): "PutBucketLifecycleConfiguration",
    ("s3", "GetBucketNotification"): "GetBucketNotificationConfiguration",
    ("s3", "PutBucketNotification"): "PutBucketNotificationConfiguration",
}
_FIXED_VALUES = {
    "Bucket": "my-bucket.example",
    "Key": "dir/sub dir/naïve+~fïle (1)&x=y.txt",
    "RequestRoute": "route-1",  # goes into the host name as well
}
#: The deprecated S3 notification shapes put `Event` and the flattened `Events` list in
#: the same `<Event>` elements; no reader can tell them apart, so only the list is sent.
_AMBIGUOUS = {("s3", "PutBucketNotification"): "Event", ("s3", "GetBucketNotification"): "Event"}
_HARD_PATTERN_VALUES = [
    "arn:aws:lambda:us-east-1:123456789012:runtime/0123456789abcdef0123456789abcdef",
]
_HEADER_WORDS = ["plain", "x-y_z.1", "Mixed Case", "a/b:c"]


def service_model(name: str) -> ServiceModel:
    return _SESSION.get_service_model(name)


def _operations(service: str) -> list[str]:
    return sorted(service_model(service).operation_names)


CASES = [pytest.param(s, op, id=f"{s}-{op}") for s in SERVICES for op in _operations(s)]


class _Samples(SampleMaker):
    """SampleMaker with a few hand-written values for patterns it cannot generate."""

    def string(self, shape: Shape) -> str:
        try:
            return super().string(shape)
        except AssertionError:
            low, high = shape.metadata.get("min", 0), shape.metadata.get("max", 2048)
            for text in _HARD_PATTERN_VALUES:
                if low <= len(text) <= high and re.fullmatch(shape.metadata["pattern"], text):
                    return text
            raise


class RestSamples:
    """SampleMaker for the members REST binds to the URI, query string and headers."""

    def __init__(self, seed: str) -> None:
        self.maker = _Samples(seed)

    def members(self, shape: Any, *, output: bool, status: int = 200) -> dict[str, Any]:
        if shape is None:
            return {}
        values: dict[str, Any] = {}
        body = self.maker.structure(shape)
        for name, member in shape.members.items():
            serialization = member.serialization
            location = serialization.get("location")
            if serialization.get("eventstream"):
                continue
            if name in _FIXED_VALUES:
                values[name] = _FIXED_VALUES[name]
            elif location == "uri":
                values[name] = self.maker.value(member)
            elif location == "querystring":
                values[name] = self.query_value(member)
            elif location == "header":
                values[name] = self.header_value(member)
            elif location == "headers":
                values[name] = {"color": "blue", "my-key": "Some Value"}
            elif location == "statusCode":
                values[name] = status
            elif serialization.get("streaming") or name == shape.serialization.get("payload"):
                values[name] = (
                    self.maker.value(member)
                    if member.type_name != "blob"
                    else (b"\x00\xffpayload bytes\r\n" if output else b"\x00\xffbody")
                )
            elif name in body:
                values[name] = body[name]
        return {
            name: _wire_precision(value, shape.members[name], top_level=True)
            for name, value in values.items()
        }

    def query_value(self, member: Shape) -> Any:
        if member.type_name == "map":
            return {"custom-param": self.maker.value(member.value)}
        return self.maker.value(member)

    def header_value(self, member: Shape) -> Any:
        if member.serialization.get("jsonvalue"):
            return {"k": ["v", 1, True]}
        kind = member.type_name
        if kind == "list":
            return [self.header_value(member.member) for _ in range(2)]
        if kind == "timestamp":
            value = self.maker.value(member)
            assert isinstance(value, datetime)
            return value.replace(microsecond=0)  # http-dates carry seconds only
        if kind == "string" and not member.metadata.get("enum"):
            for _ in range(20):
                text = self.maker.string(member)
                if (
                    text.isascii()
                    and text.isprintable()
                    and text == text.strip()
                    and "," not in text
                ):
                    return text
            for text in _HEADER_WORDS:
                if len(text) <= member.metadata.get("max", 64):
                    return text
        return self.maker.value(member)


def _wire_precision(value: Any, shape: Shape, *, top_level: bool = False) -> Any:
    """The value as precise as its wire form: http-dates (rfc822) carry whole seconds."""
    kind = shape.type_name
    if kind == "timestamp" and isinstance(value, datetime):
        default = (
            "rfc822" if top_level and shape.serialization.get("location") == "header" else None
        )
        if shape.serialization.get("timestampFormat", default) == "rfc822":
            return value.replace(microsecond=0)
    if kind == "list" and isinstance(value, list):
        if top_level and shape.serialization.get("location") == "header":
            return [v.replace(microsecond=0) if isinstance(v, datetime) else v for v in value]
        return [_wire_precision(v, shape.member) for v in value]
    if kind == "map" and isinstance(value, dict):
        return {k: _wire_precision(v, shape.value) for k, v in value.items()}
    if kind == "structure" and isinstance(value, dict) and not shape.is_document_type:
        return {k: _wire_precision(v, shape.members[k]) for k, v in value.items()}
    return value


def _without(value: Any, key: str) -> Any:
    if isinstance(value, dict):
        return {k: _without(v, key) for k, v in value.items() if k != key}
    if isinstance(value, list):
        return [_without(v, key) for v in value]
    return value


def to_http_request(operation: OperationModel, params: dict[str, Any]) -> HttpRequest:
    """What botocore would send, path-style, as our gateway presents it to the protocol."""
    serializer = create_serializer(operation.metadata["protocol"], include_validation=False)
    serialized = serializer.serialize_to_request(params, operation)
    body = serialized["body"]
    body = body.encode("utf-8") if isinstance(body, str) else bytes(body or b"")
    for name, member in (operation.input_shape.members if operation.input_shape else {}).items():
        if member.serialization.get("name") == "Content-MD5" and name in params:
            # botocore's handlers compute it from the body; keep the request honest.
            digest = base64.b64encode(hashlib.md5(body, usedforsecurity=False).digest()).decode()
            serialized["headers"]["Content-MD5"] = digest
            params[name] = digest
    prepare_request_dict(serialized, endpoint_url="https://endpoint.example:4566")
    url = urlsplit(serialized["url"])
    return HttpRequest(
        method=serialized["method"],
        raw_path=url.path,
        raw_query=url.query,
        headers=Headers(headers=dict(serialized["headers"])),
        body=body,
    )


def botocore_parse(operation: OperationModel, response: HttpResponse, shape: Any) -> dict[str, Any]:
    protocol = operation.metadata["protocol"]
    body: Any = response.body
    payload = shape.serialization.get("payload") if shape is not None else None
    if payload and shape.members[payload].type_name == "blob":
        body = io.BytesIO(body)  # botocore hands streaming blobs over unread
    raw = {
        "status_code": response.status_code,
        "headers": HTTPHeaderDict(response.headers),
        "body": body,
        "context": {"operation_name": operation.name},
    }
    return dict(create_parser(protocol).parse(raw, shape))


@pytest.mark.parametrize(("service", "op_name"), CASES)
def test_request_round_trip(service: str, op_name: str) -> None:
    model = service_model(service)
    operation = model.operation_model(op_name)
    params = RestSamples(f"in-{service}-{op_name}").members(operation.input_shape, output=False)
    if (service, op_name) in _AMBIGUOUS:
        params = _without(params, _AMBIGUOUS[(service, op_name)])
    request = to_http_request(operation, params)
    ours = PROTOCOLS[model.protocol]
    assert ours.accepts(request, model)
    matched = ours.match_operation(request, model)
    assert matched.name == ALIASES.get((service, op_name), op_name)
    parsed = ours.parse_request(request, operation)
    if model.protocol == "rest-xml":
        # botocore writes a raw CR into XML text, which every XML parser reads as LF.
        params = {k: _xml_newlines(v) if _in_body(operation, k) else v for k, v in params.items()}
    if (service, op_name) in _AMBIGUOUS:
        parsed = _without(parsed, _AMBIGUOUS[(service, op_name)])
    assert normalize(parsed) == normalize(params)


def _in_body(operation: OperationModel, name: str) -> bool:
    member = operation.input_shape.members[name]
    return member.type_name not in ("blob", "string") or not (
        member.serialization.get("location") or member.serialization.get("streaming")
    )


def _xml_newlines(value: Any) -> Any:
    if isinstance(value, str):
        return value.replace("\r\n", "\n").replace("\r", "\n")
    if isinstance(value, dict):
        return {_xml_newlines(k): _xml_newlines(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_xml_newlines(v) for v in value]
    return value


@pytest.mark.parametrize(("service", "op_name"), CASES)
def test_response_round_trip(service: str, op_name: str) -> None:
    model = service_model(service)
    operation = model.operation_model(op_name)
    if operation.has_event_stream_output:
        pytest.skip("event stream outputs are framed by the provider, not this protocol")
    shape = operation.output_shape
    status = operation.http.get("responseCode", 200)
    result = RestSamples(f"out-{service}-{op_name}").members(shape, output=True, status=status)
    if (service, op_name) in _AMBIGUOUS:
        result = _without(result, _AMBIGUOUS[(service, op_name)])
    response = PROTOCOLS[model.protocol].serialize_response(operation, result, "req-42")
    assert response.status_code == operation.http.get("responseCode", 200)
    parsed = botocore_parse(operation, response, shape)
    metadata = parsed.pop("ResponseMetadata")
    assert metadata["RequestId"] == "req-42"
    if service == "s3" and op_name == "GetBucketLocation":
        # botocore reads this one by hand: the document is `<LocationConstraint>…`.
        http = type("Raw", (), {"raw": object(), "content": response.body})()
        parse_get_bucket_location(parsed, http)
    for name, value in list(parsed.items()):
        if isinstance(value, io.BytesIO):
            parsed[name] = value.read()
    if (service, op_name) in _AMBIGUOUS:
        parsed = _without(parsed, _AMBIGUOUS[(service, op_name)])
    assert normalize(parsed) == normalize(result)


def test_coverage_counts() -> None:
    """Every operation of S3 (116) and Lambda is round-tripped, both ways."""
    covered = {s for s, *_ in (c.values for c in CASES)}
    assert covered == set(SERVICES)
    assert sum(1 for c in CASES if c.values[0] == "s3") == len(service_model("s3").operation_names)
    assert len(service_model("s3").operation_names) > 100


# --- routing ------------------------------------------------------------------------------


def _request(
    method: str, target: str, headers: dict[str, str] | None = None, body: bytes = b""
) -> HttpRequest:
    path, _, query = target.partition("?")
    return HttpRequest(method, path, query, Headers(headers=headers or {}), body)


@pytest.mark.parametrize(
    ("method", "target", "headers", "expected"),
    [
        ("GET", "/", {}, "ListBuckets"),
        ("GET", "/bucket", {}, "ListObjects"),
        ("GET", "/bucket/", {}, "ListObjects"),
        ("GET", "/bucket?list-type=2&prefix=a", {}, "ListObjectsV2"),
        ("GET", "/bucket?analytics", {}, "ListBucketAnalyticsConfigurations"),
        ("GET", "/bucket?analytics&id=a1", {}, "GetBucketAnalyticsConfiguration"),
        ("GET", "/bucket/a/b.txt", {}, "GetObject"),
        ("GET", "/bucket/a/b.txt?uploadId=u1", {}, "ListParts"),
        ("PUT", "/bucket/a/b.txt", {}, "PutObject"),
        ("PUT", "/bucket/a/b.txt", {"x-amz-copy-source": "src/k"}, "CopyObject"),
        ("PUT", "/bucket/k?partNumber=1&uploadId=u", {}, "UploadPart"),
        (
            "PUT",
            "/bucket/k?partNumber=1&uploadId=u",
            {"x-amz-copy-source": "s/k"},
            "UploadPartCopy",
        ),
        ("POST", "/bucket/k?uploads", {}, "CreateMultipartUpload"),
        ("POST", "/bucket/k?uploadId=u", {}, "CompleteMultipartUpload"),
        ("POST", "/bucket?delete", {}, "DeleteObjects"),
        ("DELETE", "/bucket/k?uploadId=u", {}, "AbortMultipartUpload"),
        ("DELETE", "/bucket/k", {}, "DeleteObject"),
        ("HEAD", "/bucket", {}, "HeadBucket"),
        ("HEAD", "/bucket/k", {}, "HeadObject"),
        ("PUT", "/bucket?encryption", {}, "PutBucketEncryption"),
        ("PUT", "/bucket/k?encryption", {}, "UpdateObjectEncryption"),
        ("POST", "/bucket/k?select&select-type=2", {}, "SelectObjectContent"),
    ],
)
def test_s3_routes(method: str, target: str, headers: dict[str, str], expected: str) -> None:
    request = _request(method, target, headers)
    assert PROTOCOLS["rest-xml"].match_operation(request, service_model("s3")).name == expected


def test_router_survives_botocore_stripping_the_bucket_label() -> None:
    """A model shared with a boto3 S3 client has `/{Bucket}` moved to `authPath`."""
    model = botocore.session.get_session().get_service_model("s3")  # not shared with others
    for name in ("GetObject", "ListObjects", "CreateMultipartUpload", "GetBucketAcl"):
        remove_bucket_from_url_paths_from_model({}, model.operation_model(name), {})
    assert model.operation_model("ListObjects").http["requestUri"] == ""
    assert PROTOCOLS["rest-xml"].match_operation(_request("GET", "/b"), model).name == "ListObjects"
    acl = PROTOCOLS["rest-xml"].match_operation(_request("GET", "/b?acl"), model)
    assert acl.name == "GetBucketAcl"
    request = _request("POST", "/bucket/key?uploads")
    operation = PROTOCOLS["rest-xml"].match_operation(request, model)
    assert operation.name == "CreateMultipartUpload"
    assert PROTOCOLS["rest-xml"].parse_request(request, operation) == {
        "Bucket": "bucket",
        "Key": "key",
    }


def test_s3_unsupported_method_is_405() -> None:
    with pytest.raises(UnknownOperation) as caught:
        PROTOCOLS["rest-xml"].match_operation(_request("PATCH", "/bucket/k"), service_model("s3"))
    assert (caught.value.code, caught.value.status_code) == ("MethodNotAllowed", 405)
    response = PROTOCOLS["rest-xml"].serialize_error(caught.value, service_model("s3"), None, "r1")
    parsed = create_parser("rest-xml").parse(_raw(response), None)
    assert parsed["Error"]["Code"] == "MethodNotAllowed"
    assert parsed["Error"]["Method"] == "PATCH"
    assert parsed["Error"]["ResourceType"] == "OBJECT"


@pytest.mark.parametrize(
    ("service", "target"), [("lambda", "/2015-03-31/nothing"), ("route53", "/2013-04-01/nothing")]
)
def test_unknown_route(service: str, target: str) -> None:
    model = service_model(service)
    with pytest.raises(UnknownOperation) as caught:
        PROTOCOLS[model.protocol].match_operation(_request("GET", target), model)
    assert (caught.value.code, caught.value.status_code) == ("UnknownOperationException", 404)


# --- malformed input ----------------------------------------------------------------------


def _s3_parse(name: str, request: HttpRequest) -> dict[str, Any]:
    return PROTOCOLS["rest-xml"].parse_request(request, service_model("s3").operation_model(name))


@pytest.mark.parametrize(
    "body",
    [
        b"<Tagging><TagSet><Tag><Key>k</Key>",
        b"not xml at all",
        b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;">]><Tagging>&b;</Tagging>',
    ],
)
def test_malformed_xml(body: bytes) -> None:
    with pytest.raises(RequestParseError) as caught:
        _s3_parse("PutBucketTagging", _request("PUT", "/b?tagging", body=body))
    assert caught.value.code == "MalformedXML"
    assert caught.value.message.startswith("The XML you provided was not well-formed")


def test_content_md5_mismatch_and_garbage() -> None:
    body = b"<Tagging><TagSet/></Tagging>"
    wrong = base64.b64encode(hashlib.md5(b"other", usedforsecurity=False).digest()).decode()
    with pytest.raises(RequestParseError) as caught:
        _s3_parse("PutBucketTagging", _request("PUT", "/b?tagging", {"Content-MD5": wrong}, body))
    assert (caught.value.code, caught.value.status_code) == ("BadDigest", 400)
    with pytest.raises(RequestParseError) as caught:
        _s3_parse("PutBucketTagging", _request("PUT", "/b?tagging", {"Content-MD5": "%%"}, body))
    assert caught.value.code == "InvalidDigest"


def test_bad_query_integer_is_invalid_argument() -> None:
    with pytest.raises(RequestParseError) as caught:
        _s3_parse("ListObjects", _request("GET", "/b?max-keys=lots"))
    assert caught.value.code == "InvalidArgument"


def test_zero_byte_put_object_has_an_empty_body() -> None:
    parsed = _s3_parse("PutObject", _request("PUT", "/b/empty"))
    assert parsed == {"Bucket": "b", "Key": "empty", "Body": b""}


def test_malformed_json_is_serialization_exception() -> None:
    model = service_model("lambda")
    operation = model.operation_model("CreateFunction")
    with pytest.raises(RequestParseError) as caught:
        PROTOCOLS["rest-json"].parse_request(
            _request("POST", "/2015-03-31/functions", body=b'{"FunctionName": '), operation
        )
    assert caught.value.code == "SerializationException"
    with pytest.raises(RequestParseError):
        PROTOCOLS["rest-json"].parse_request(
            _request("POST", "/2015-03-31/functions", body=b'{"Timeout": "soon"}'), operation
        )


def test_model_violation_is_validation_exception() -> None:
    operation = service_model("lambda").operation_model("CreateFunction")
    request = _request("POST", "/2015-03-31/functions", body=b'{"FunctionName": "f"}')
    with pytest.raises(ParameterValidationError) as caught:
        PROTOCOLS["rest-json"].parse_request(request, operation)
    assert caught.value.code == "ValidationException"
    assert any("role" in problem for problem in caught.value.problems)


# --- errors --------------------------------------------------------------------------------


def _raw(response: HttpResponse) -> dict[str, Any]:
    return {
        "status_code": response.status_code,
        "headers": HTTPHeaderDict(response.headers),
        "body": response.body,
    }


def test_s3_error_with_fields() -> None:
    model = service_model("s3")
    error = ServiceError(
        "The specified key does not exist.",
        code="NoSuchKey",
        status_code=404,
        fields={"Key": "a/b.txt", "BucketName": "bucket"},
    )
    response = PROTOCOLS["rest-xml"].serialize_error(
        error, model, model.operation_model("GetObject"), "rid-1"
    )
    assert response.status_code == 404
    parsed = create_parser("rest-xml").parse(
        _raw(response), model.operation_model("GetObject").output_shape
    )
    assert parsed["Error"] == {
        "Code": "NoSuchKey",
        "Message": "The specified key does not exist.",
        "Key": "a/b.txt",
        "BucketName": "bucket",
    }
    assert parsed["ResponseMetadata"]["RequestId"] == "rid-1"
    assert parsed["ResponseMetadata"]["HostId"]


def test_s3_head_error_has_no_body_and_reads_as_status() -> None:
    model = service_model("s3")
    error = ServiceError("Not Found", code="NoSuchKey", status_code=404)
    response = PROTOCOLS["rest-xml"].serialize_error(
        error, model, model.operation_model("HeadObject"), "rid-2"
    )
    assert response.body == b""
    parsed = create_parser("rest-xml").parse(_raw(response), None)
    assert parsed["Error"]["Code"] == "404"
    assert parsed["ResponseMetadata"]["RequestId"] == "rid-2"


def test_route53_error_form() -> None:
    model = service_model("route53")
    error = ServiceError(
        "No hosted zone found with ID: Z1", code="NoSuchHostedZone", status_code=404
    )
    response = PROTOCOLS["rest-xml"].serialize_error(error, model, None, "rid-3")
    parsed = create_parser("rest-xml").parse(_raw(response), None)
    assert parsed["Error"]["Code"] == "NoSuchHostedZone"
    assert parsed["Error"]["Message"] == "No hosted zone found with ID: Z1"
    assert parsed["Error"]["Type"] == "Sender"
    assert parsed["ResponseMetadata"]["RequestId"] == "rid-3"


def test_rest_json_error_modeled_fields() -> None:
    model = service_model("lambda")
    error = ServiceError(
        "Function not found: f",
        code="ResourceNotFoundException",
        status_code=404,
        fields={"Type": "User"},
    )
    response = PROTOCOLS["rest-json"].serialize_error(error, model, None, "rid-4")
    assert response.get_header("x-amzn-ErrorType") == "ResourceNotFoundException"
    parsed = create_parser("rest-json").parse(_raw(response), None)
    assert parsed["Error"] == {
        "Code": "ResourceNotFoundException",
        "Message": "Function not found: f",
    }
    assert parsed["ResponseMetadata"]["RequestId"] == "rid-4"
    modeled = create_parser("rest-json").parse(
        _raw(response), model.shape_for("ResourceNotFoundException")
    )
    assert modeled["Type"] == "User"
    assert modeled["Message"] == "Function not found: f"


def test_not_implemented_reads_in_botocore() -> None:
    model = service_model("apigateway")
    error = NotImplementedOperation("GetRestApis is not implemented yet")
    response = PROTOCOLS["rest-json"].serialize_error(error, model, None, "rid-5")
    parsed = create_parser("rest-json").parse(_raw(response), None)
    assert (parsed["Error"]["Code"], response.status_code) == ("NotImplemented", 501)


def test_header_lists_split_on_commas_outside_quotes() -> None:
    headers = {"x-amz-object-attributes": 'ETag, "ObjectSize" ,Checksum'}
    parsed = _s3_parse("GetObjectAttributes", _request("GET", "/b/k?attributes", headers))
    assert parsed["ObjectAttributes"] == ["ETag", "ObjectSize", "Checksum"]
