"""Round trips of the query, json and CBOR protocols against botocore itself.

Requests are written by botocore's client-side serializers and must parse back to the
same parameters; responses and errors we write must be read back by botocore's response
parsers as what we put in. That is what makes boto3 and the AWS CLI work against emr.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import botocore.session
import pytest
from botocore.model import OperationModel, ServiceModel
from botocore.parsers import create_parser
from botocore.serialize import create_serializer
from starlette.datastructures import Headers

from emr.errors import (
    ParameterValidationError,
    RequestParseError,
    ServiceError,
    UnknownOperation,
)
from emr.gateway.http import HttpRequest, HttpResponse
from emr.gateway.protocols.base import Protocol
from emr.gateway.protocols.cbor import CborProtocol
from emr.gateway.protocols.json import JsonProtocol
from emr.gateway.protocols.query import QueryProtocol
from tests.unit.model_samples import SampleMaker, normalize

_SESSION = botocore.session.get_session()
PROTOCOLS: dict[str, Protocol] = {
    "query": QueryProtocol(),
    "json": JsonProtocol(),
    "smithy-rpc-v2-cbor": CborProtocol(),
}
#: (service, protocol, how many operations: None = every one)
COVERAGE: list[tuple[str, str, int | None]] = [
    ("sts", "query", None),
    ("iam", "query", 60),
    ("sns", "query", 20),
    ("emr", "json", None),
    ("glue", "json", 80),
    ("kinesis", "json", None),
    ("sqs", "json", None),
    ("cloudwatch", "smithy-rpc-v2-cbor", None),
    ("cloudwatch", "json", None),
    ("cloudwatch", "query", None),
]


def service_model(name: str) -> ServiceModel:
    return _SESSION.get_service_model(name)


def _operations(service: str, limit: int | None) -> list[str]:
    model = service_model(service)
    names = [
        name
        for name in sorted(model.operation_names)
        if not model.operation_model(name).has_event_stream_output
        and not model.operation_model(name).has_event_stream_input
    ]
    if limit is None or limit >= len(names):
        return names
    step = len(names) / limit
    return [names[int(i * step)] for i in range(limit)]


CASES = [
    pytest.param(service, protocol, op, id=f"{service}-{protocol}-{op}")
    for service, protocol, limit in COVERAGE
    for op in _operations(service, limit)
]


def to_http_request(serialized: dict[str, Any]) -> HttpRequest:
    """What botocore would send, as our gateway receives it."""
    body = serialized["body"]
    if isinstance(body, dict):  # the query serializer leaves form encoding to the sender
        body = urlencode(list(body.items())).encode("ascii")
    query = serialized["query_string"]
    if isinstance(query, dict):
        query = urlencode(list(query.items()))
    return HttpRequest(
        method=serialized["method"],
        raw_path=serialized["url_path"],
        raw_query=query,
        headers=Headers(headers=dict(serialized["headers"])),
        body=body,
    )


def botocore_parse(protocol: str, response: HttpResponse, shape: Any) -> dict[str, Any]:
    headers = {name.lower(): value for name, value in response.headers}
    return dict(
        create_parser(protocol).parse(
            {"status_code": response.status_code, "headers": headers, "body": response.body},
            shape,
        )
    )


def _operation(service: str, name: str) -> OperationModel:
    return service_model(service).operation_model(name)


@pytest.mark.parametrize(("service", "protocol", "op_name"), CASES)
def test_request_round_trip(service: str, protocol: str, op_name: str) -> None:
    operation = _operation(service, op_name)
    params = (
        SampleMaker(f"in-{service}-{op_name}", documents=protocol != "query").structure(
            operation.input_shape
        )
        if operation.input_shape is not None
        else {}
    )
    serialized = create_serializer(protocol, include_validation=False).serialize_to_request(
        params, operation
    )
    request = to_http_request(serialized)
    ours = PROTOCOLS[protocol]
    assert ours.accepts(request, operation.service_model)
    assert ours.match_operation(request, operation.service_model).name == op_name
    parsed = ours.parse_request(request, operation)
    drop_empty = protocol == "query"
    assert normalize(parsed, drop_empty=drop_empty) == normalize(params, drop_empty=drop_empty)


@pytest.mark.parametrize(("service", "protocol", "op_name"), CASES)
def test_response_round_trip(service: str, protocol: str, op_name: str) -> None:
    operation = _operation(service, op_name)
    shape = operation.output_shape
    result = (
        SampleMaker(f"out-{service}-{op_name}", documents=protocol != "query").structure(shape)
        if shape is not None
        else {}
    )
    response = PROTOCOLS[protocol].serialize_response(operation, result, "req-42")
    assert response.status_code == 200
    parsed = botocore_parse(protocol, response, shape)
    metadata = parsed.pop("ResponseMetadata")
    assert response.get_header("x-amzn-RequestId") == "req-42"
    if shape is not None or protocol != "smithy-rpc-v2-cbor":
        # botocore's RPCv2 parser reports no metadata at all for output-less operations.
        assert metadata["RequestId"] == "req-42"
    drop_empty = protocol == "query"
    assert normalize(parsed, drop_empty=drop_empty) == normalize(result, drop_empty=drop_empty)


def test_coverage_counts() -> None:
    """Every operation of sts, emr and cloudwatch (in all three protocols) is exercised."""
    covered = {(s, p): len(_operations(s, n)) for s, p, n in COVERAGE}
    for service in ("sts", "emr"):
        protocol = service_model(service).protocol
        assert covered[(service, protocol)] == len(service_model(service).operation_names)
    for protocol in ("smithy-rpc-v2-cbor", "json", "query"):
        assert covered[("cloudwatch", protocol)] == len(service_model("cloudwatch").operation_names)


# -- errors ----------------------------------------------------------------------------


def _error_response(
    protocol: str, service: str, error: ServiceError, op_name: str
) -> dict[str, Any]:
    model = service_model(service)
    operation = model.operation_model(op_name)
    response = PROTOCOLS[protocol].serialize_error(error, model, operation, "req-err")
    assert response.status_code == error.status_code
    assert response.get_header("x-amzn-RequestId") == "req-err"
    return botocore_parse(protocol, response, operation.output_shape)


@pytest.mark.parametrize(
    ("service", "protocol", "op_name", "raised", "status", "code", "query_code"),
    [
        ("iam", "query", "GetUser", "NoSuchEntityException", 404, "NoSuchEntity", None),
        ("iam", "query", "GetUser", "NoSuchEntity", 404, "NoSuchEntity", None),
        ("sts", "query", "AssumeRole", "ExpiredTokenException", 400, "ExpiredTokenException", None),
        (
            "emr",
            "json",
            "DescribeCluster",
            "InvalidRequestException",
            400,
            "InvalidRequestException",
            None,
        ),
        (
            "kinesis",
            "json",
            "DescribeStream",
            "ResourceNotFoundException",
            400,
            "ResourceNotFoundException",
            None,
        ),
        # awsQueryCompatible: botocore reports the query code and keeps __type aside.
        (
            "sqs",
            "json",
            "GetQueueUrl",
            "QueueDoesNotExist",
            400,
            "QueueDoesNotExist",
            "QueueDoesNotExist",
        ),
        (
            "cloudwatch",
            "json",
            "GetDashboard",
            "DashboardNotFoundError",
            404,
            "ResourceNotFound",
            "DashboardNotFoundError",
        ),
        (
            "cloudwatch",
            "json",
            "GetDashboard",
            "InvalidParameterValue",
            400,
            "InvalidParameterValue",
            "InvalidParameterValueException",
        ),
        (
            "cloudwatch",
            "smithy-rpc-v2-cbor",
            "GetDashboard",
            "DashboardNotFoundError",
            404,
            "ResourceNotFound",
            "DashboardNotFoundError",
        ),
        (
            "cloudwatch",
            "query",
            "GetDashboard",
            "DashboardNotFoundError",
            404,
            "ResourceNotFound",
            None,
        ),
    ],
)
def test_error_codes(
    service: str,
    protocol: str,
    op_name: str,
    raised: str,
    status: int,
    code: str,
    query_code: str | None,
) -> None:
    error = ServiceError("it went wrong: <&>", code=raised, status_code=status)
    parsed = _error_response(protocol, service, error, op_name)
    assert parsed["Error"]["Code"] == code
    assert parsed["Error"]["Message"] == "it went wrong: <&>"
    assert parsed["Error"].get("QueryErrorCode") == query_code
    assert parsed["ResponseMetadata"]["RequestId"] == "req-err"


@pytest.mark.parametrize(
    ("service", "protocol"),
    [("sts", "query"), ("emr", "json"), ("cloudwatch", "smithy-rpc-v2-cbor")],
)
def test_server_fault_and_validation_errors(service: str, protocol: str) -> None:
    op_name = sorted(service_model(service).operation_names)[0]
    internal = ServiceError("boom", code="InternalFailure", status_code=500)
    internal.sender_fault = False
    parsed = _error_response(protocol, service, internal, op_name)
    assert parsed["Error"]["Code"] == "InternalFailure"
    if protocol == "query":
        assert parsed["Error"]["Type"] == "Receiver"
    invalid = ParameterValidationError(["Value null at 'name' failed"], code="ValidationException")
    parsed = _error_response(protocol, service, invalid, op_name)
    # CloudWatch models ValidationException with the awsQuery code ValidationError.
    expected = "ValidationError" if service == "cloudwatch" else "ValidationException"
    assert parsed["Error"]["Code"] == expected
    assert parsed["Error"]["Message"] == "1 validation error detected: Value null at 'name' failed"


# -- requests that are not well formed --------------------------------------------------


def _raw_request(
    body: bytes, headers: dict[str, str], path: str = "/", query: str = ""
) -> HttpRequest:
    return HttpRequest(
        method="POST", raw_path=path, raw_query=query, headers=Headers(headers=headers), body=body
    )


_JSON_HEADERS = {
    "Content-Type": "application/x-amz-json-1.1",
    "X-Amz-Target": "Kinesis_20131202.CreateStream",
}


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b"[1, 2]",
        b'{"StreamName": 5}',
        b'{"StreamName": "s", "ShardCount": "three"}',
        b'{"StreamName": "s", "ShardCount": true}',
        b'{"StreamName": "s", "Tags": ["a"]}',
        b"\xff\xfe",
    ],
)
def test_json_bad_body_is_serialization_exception(body: bytes) -> None:
    request = _raw_request(body, _JSON_HEADERS)
    operation = JsonProtocol().match_operation(request, service_model("kinesis"))
    with pytest.raises(RequestParseError) as caught:
        JsonProtocol().parse_request(request, operation)
    assert caught.value.code == "SerializationException"
    assert caught.value.status_code == 400


def test_json_empty_body_is_empty_input() -> None:
    request = _raw_request(b"", {**_JSON_HEADERS, "X-Amz-Target": "Kinesis_20131202.ListStreams"})
    operation = JsonProtocol().match_operation(request, service_model("kinesis"))
    assert JsonProtocol().parse_request(request, operation) == {}


@pytest.mark.parametrize(
    "target", ["Kinesis_20131202.NoSuchThing", "Other_20131202.CreateStream", "CreateStream", ""]
)
def test_json_unknown_target(target: str) -> None:
    request = _raw_request(b"{}", {**_JSON_HEADERS, "X-Amz-Target": target})
    with pytest.raises(UnknownOperation) as caught:
        JsonProtocol().match_operation(request, service_model("kinesis"))
    assert caught.value.code == "UnknownOperationException"
    assert caught.value.status_code == 400


def test_cbor_bad_body_and_unknown_path() -> None:
    model = service_model("cloudwatch")
    headers = {"smithy-protocol": "rpc-v2-cbor", "Content-Type": "application/cbor"}
    path = "/service/GraniteServiceVersion20100801/operation/ListDashboards"
    request = _raw_request(b"\xbf\x61", headers, path)
    operation = CborProtocol().match_operation(request, model)
    with pytest.raises(RequestParseError) as caught:
        CborProtocol().parse_request(request, operation)
    assert caught.value.code == "SerializationException"
    for bad_path in ("/service/Other/operation/ListDashboards", "/service/x", path + "Nope"):
        with pytest.raises(UnknownOperation) as unknown:
            CborProtocol().match_operation(_raw_request(b"", headers, bad_path), model)
        assert unknown.value.code == "UnknownOperationException"


_FORM = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            b"Action=NoSuchThing&Version=2011-06-15",
            "Could not find operation NoSuchThing for version 2011-06-15",
        ),
        (
            b"Action=GetCallerIdentity&Version=1999-01-01",
            "Could not find operation GetCallerIdentity for version 1999-01-01",
        ),
        (b"Version=2011-06-15", "Could not find operation  for version 2011-06-15"),
    ],
)
def test_query_unknown_action(body: bytes, message: str) -> None:
    with pytest.raises(UnknownOperation) as caught:
        QueryProtocol().match_operation(_raw_request(body, _FORM), service_model("sts"))
    assert caught.value.code == "InvalidAction"
    assert caught.value.status_code == 400
    assert caught.value.message == message


def test_query_action_in_query_string() -> None:
    request = HttpRequest(
        method="GET",
        raw_path="/",
        raw_query="Action=GetCallerIdentity&Version=2011-06-15",
        headers=Headers(headers={}),
    )
    assert QueryProtocol().accepts(request, service_model("sts"))
    operation = QueryProtocol().match_operation(request, service_model("sts"))
    assert QueryProtocol().parse_request(request, operation) == {}


def test_query_unreadable_body_is_malformed_query_string() -> None:
    request = _raw_request(b"Action=AssumeRole&RoleArn=%ff%fe", _FORM)
    with pytest.raises(RequestParseError) as caught:
        QueryProtocol().match_operation(request, service_model("sts"))
    assert caught.value.code == "MalformedQueryString"


def test_query_values_of_the_wrong_type() -> None:
    body = (
        b"Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fr"
        b"&RoleSessionName=s&DurationSeconds=soon"
    )
    request = _raw_request(body, _FORM)
    operation = QueryProtocol().match_operation(request, service_model("sts"))
    with pytest.raises(ParameterValidationError) as caught:
        QueryProtocol().parse_request(request, operation)
    assert caught.value.code == "ValidationError"
    assert caught.value.problems == [
        "Value 'soon' at 'durationSeconds' failed to satisfy constraint: Member must be a number"
    ]


def test_protocol_markers() -> None:
    """CloudWatch speaks all three; each request is claimed by its own protocol only."""
    model = service_model("cloudwatch")
    operation = model.operation_model("ListDashboards")
    for name in PROTOCOLS:
        request = to_http_request(
            create_serializer(name, include_validation=False).serialize_to_request({}, operation)
        )
        assert [n for n, p in PROTOCOLS.items() if p.accepts(request, model)] == [name]


@pytest.mark.parametrize("protocol", ["query", "json", "smithy-rpc-v2-cbor"])
def test_serializers_tolerate_sloppy_results(protocol: str) -> None:
    """Providers may return epoch numbers, naive datetimes, wrong kinds and unknown keys."""
    from datetime import datetime

    operation = _operation("cloudwatch", "DescribeAlarms")
    result = {
        "MetricAlarms": [
            {
                "AlarmName": 42,
                "StateUpdatedTimestamp": 1700000000.5,
                "AlarmConfigurationUpdatedTimestamp": datetime(2024, 1, 1, 12, 0, 0),
                "Threshold": "not a number",
                "Period": None,
                "Dimensions": "not a list",
                "Unknown": object(),
            }
        ],
        "NextToken": None,
    }
    response = PROTOCOLS[protocol].serialize_response(operation, result, "r")
    parsed = botocore_parse(protocol, response, operation.output_shape)
    alarm = parsed["MetricAlarms"][0]
    assert alarm["AlarmName"] == "42"
    assert alarm["StateUpdatedTimestamp"].timestamp() == 1700000000.5
    assert alarm["AlarmConfigurationUpdatedTimestamp"].isoformat() == "2024-01-01T12:00:00+00:00"
    assert "Threshold" not in alarm and "Dimensions" not in alarm and "NextToken" not in parsed
