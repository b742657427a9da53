"""Whole botocore clients talking to our protocols in-process, and wire traits no service uses.

The client test plugs our protocols in as the client's transport (botocore's `before-send`
hook), so botocore's own protocol choice, serializer, parser and error factory all run:
`client.exceptions.QueueDoesNotExist` must be what an SQS caller catches.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import botocore.session
import pytest
from botocore.awsrequest import AWSResponse
from botocore.model import ServiceModel
from botocore.parsers import create_parser
from botocore.serialize import create_serializer
from starlette.datastructures import Headers

from emr.errors import ServiceError
from emr.gateway.http import HttpRequest
from emr.gateway.protocols.base import Protocol
from emr.gateway.protocols.cbor import CborProtocol
from emr.gateway.protocols.json import JsonProtocol
from emr.gateway.protocols.query import QueryProtocol
from tests.unit.model_samples import normalize

OURS: dict[str, Protocol] = {p.name: p for p in (QueryProtocol(), JsonProtocol(), CborProtocol())}
Provider = Callable[[str, dict[str, Any]], dict[str, Any]]


class _Raw:
    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._body


def _text(value: str | bytes) -> str:
    return value.decode("latin-1") if isinstance(value, bytes) else value


def in_process_client(service: str, provider: Provider) -> Any:
    """A botocore client whose requests are answered by our protocols and `provider`."""
    session = botocore.session.get_session()
    client = session.create_client(
        service,
        region_name="us-east-1",
        endpoint_url="http://127.0.0.1:1",
        aws_access_key_id="AKIDEXAMPLE",
        aws_secret_access_key="secret",
    )
    model: ServiceModel = client.meta.service_model
    seen: list[str] = []

    def send(request: Any, **_: Any) -> AWSResponse:
        url = urlsplit(request.url)
        body = request.body or b""
        http = HttpRequest(
            method=request.method,
            raw_path=url.path,
            raw_query=url.query,
            headers=Headers(headers={k: _text(v) for k, v in request.headers.items()}),
            body=body.encode("utf-8") if isinstance(body, str) else bytes(body),
        )
        protocol = next(p for p in OURS.values() if p.accepts(http, model))
        seen.append(protocol.name)
        operation = None
        try:
            operation = protocol.match_operation(http, model)
            params = protocol.parse_request(http, operation)
            response = protocol.serialize_response(
                operation, provider(operation.name, params), "rid-1"
            )
        except ServiceError as error:
            response = protocol.serialize_error(error, model, operation, "rid-1")
        return AWSResponse(
            request.url, response.status_code, dict(response.headers), _Raw(response.body)
        )

    client.meta.events.register("before-send", send)
    client.protocols_seen = seen
    return client


def test_sqs_client_round_trip_and_query_compatible_error() -> None:
    def provider(operation: str, params: dict[str, Any]) -> dict[str, Any]:
        if operation == "GetQueueUrl":
            raise ServiceError("no such queue", code="QueueDoesNotExist", status_code=400)
        assert operation == "SendMessage"
        assert params["MessageAttributes"]["bin"]["BinaryValue"] == b"\x00\xff"
        return {"MessageId": "m-1", "MD5OfMessageBody": "abc", "SequenceNumber": "7"}

    client = in_process_client("sqs", provider)
    sent = client.send_message(
        QueueUrl="http://q/1",
        MessageBody="héllo",
        MessageAttributes={"bin": {"DataType": "Binary", "BinaryValue": b"\x00\xff"}},
    )
    assert sent["MessageId"] == "m-1"
    assert sent["ResponseMetadata"]["RequestId"] == "rid-1"
    with pytest.raises(client.exceptions.QueueDoesNotExist) as caught:
        client.get_queue_url(QueueName="missing")
    assert caught.value.response["Error"]["Message"] == "no such queue"
    assert client.protocols_seen == ["json", "json"]


@pytest.mark.parametrize("protocol", ["json", "smithy-rpc-v2-cbor", "query"])
def test_cloudwatch_client_in_each_protocol(protocol: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """botocore 1.44 resolves CloudWatch to json; the other two are forced on the model."""
    monkeypatch.setattr(ServiceModel, "resolved_protocol", property(lambda self: protocol))
    moment = datetime(2024, 5, 6, 7, 8, 9, 250000, tzinfo=UTC)

    def provider(operation: str, params: dict[str, Any]) -> dict[str, Any]:
        if operation == "GetDashboard":
            raise ServiceError("bad name", code="InvalidParameterValueException")
        if operation == "ListMetrics":
            return {"Metrics": [{"Namespace": "ns", "MetricName": "m"}], "NextToken": "t"}
        assert params["MetricData"][0]["Timestamp"] == moment
        assert params["MetricData"][0]["Value"] == 1.5
        return {}

    client = in_process_client("cloudwatch", provider)
    client.put_metric_data(
        Namespace="ns", MetricData=[{"MetricName": "m", "Value": 1.5, "Timestamp": moment}]
    )
    listed = client.list_metrics(Namespace="ns")
    assert listed["Metrics"] == [{"Namespace": "ns", "MetricName": "m"}]
    with pytest.raises(client.exceptions.InvalidParameterValueException) as caught:
        client.get_dashboard(DashboardName="d")
    assert caught.value.response["Error"]["Code"] == "InvalidParameterValue"
    assert caught.value.response["ResponseMetadata"]["RequestId"] == "rid-1"
    assert client.protocols_seen == [protocol] * 3


def test_iam_client_modeled_error_and_validation() -> None:
    def provider(operation: str, params: dict[str, Any]) -> dict[str, Any]:
        raise ServiceError(
            "The user with name x cannot be found.", code="NoSuchEntityException", status_code=404
        )

    client = in_process_client("iam", provider)
    with pytest.raises(client.exceptions.NoSuchEntityException) as caught:
        client.get_user(UserName="x")
    assert caught.value.response["Error"]["Type"] == "Sender"
    assert caught.value.response["ResponseMetadata"]["RequestId"] == "rid-1"


# -- traits no covered service uses ------------------------------------------------------

_SYNTHETIC: dict[str, Any] = {
    "metadata": {
        "apiVersion": "2020-01-01",
        "protocol": "query",
        "protocols": ["query"],
        "xmlNamespace": "https://example.com/doc/2020-01-01/",
        "serviceId": "Sample",
        "endpointPrefix": "sample",
        "signatureVersion": "v4",
    },
    "operations": {
        "Echo": {
            "name": "Echo",
            "http": {"method": "POST", "requestUri": "/"},
            "input": {"shape": "Payload"},
            "output": {"shape": "Payload", "resultWrapper": "EchoResult"},
        }
    },
    "shapes": {
        "Payload": {
            "type": "structure",
            "members": {
                "Flat": {"shape": "FlatList"},
                "Named": {"shape": "String", "locationName": "Renamed"},
                "Attrs": {"shape": "FlatMap", "locationName": "Attr"},
                "Plain": {"shape": "PlainMap"},
                "When": {"shape": "Epoch"},
                "HttpDate": {"shape": "HttpDate"},
                "Nested": {"shape": "Nested"},
                "Ratio": {"shape": "Double"},
            },
        },
        "Nested": {
            "type": "structure",
            "members": {
                "Id": {"shape": "String", "xmlAttribute": True, "locationName": "id"},
                "Inner": {"shape": "FlatList"},
            },
        },
        "FlatList": {
            "type": "list",
            "member": {"shape": "String", "locationName": "Item"},
            "flattened": True,
        },
        "FlatMap": {
            "type": "map",
            "key": {"shape": "String", "locationName": "Name"},
            "value": {"shape": "String", "locationName": "Val"},
            "flattened": True,
        },
        "PlainMap": {"type": "map", "key": {"shape": "String"}, "value": {"shape": "Epoch"}},
        "Epoch": {"type": "timestamp", "timestampFormat": "unixTimestamp"},
        "HttpDate": {"type": "timestamp", "timestampFormat": "rfc822"},
        "Double": {"type": "double"},
        "String": {"type": "string"},
    },
}

_VALUES = {
    "Flat": ["a", "b\r\nc", "ü"],
    "Named": "renamed <value>",
    "Attrs": {"k1": "v1", "k2": "v2"},
    "Plain": {"x": datetime(2021, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)},
    "When": datetime(2022, 2, 3, 4, 5, 6, tzinfo=UTC),
    "HttpDate": datetime(2023, 3, 4, 5, 6, 7, tzinfo=UTC),
    "Nested": {"Inner": ["z"]},
    "Ratio": 0.1,
}


@pytest.mark.parametrize("protocol", ["query", "json", "smithy-rpc-v2-cbor"])
def test_synthetic_model_traits(protocol: str) -> None:
    definition = dict(_SYNTHETIC)
    definition["metadata"] = {
        **_SYNTHETIC["metadata"],
        "jsonVersion": "1.0",
        "targetPrefix": "Sample_20200101",
    }
    model = ServiceModel(definition, service_name="sample")
    operation = model.operation_model("Echo")
    serialized = create_serializer(protocol, include_validation=False).serialize_to_request(
        _VALUES, operation
    )
    from tests.unit.test_protocols_rpc import botocore_parse, to_http_request

    request = to_http_request(serialized)
    ours = OURS[protocol]
    assert ours.match_operation(request, model).name == "Echo"
    assert normalize(ours.parse_request(request, operation)) == normalize(_VALUES)
    response = ours.serialize_response(operation, _VALUES, "rid-9")
    parsed = botocore_parse(protocol, response, operation.output_shape)
    parsed.pop("ResponseMetadata")
    assert normalize(parsed) == normalize(_VALUES)


def test_query_xml_attribute_member() -> None:
    model = ServiceModel(_SYNTHETIC, service_name="sample")
    operation = model.operation_model("Echo")
    result = {"Nested": {"Id": "i-1", "Inner": ["z"]}}
    response = QueryProtocol().serialize_response(operation, result, "rid")
    assert b'<Nested id="i-1"><Item>z</Item></Nested>' in response.body
    parsed = create_parser("query").parse(
        {"status_code": 200, "headers": {}, "body": response.body}, operation.output_shape
    )
    assert parsed["Nested"] == result["Nested"]
