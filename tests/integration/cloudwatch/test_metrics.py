"""CloudWatch metrics on a real region endpoint, through boto3 (in each protocol CloudWatch's
model declares), hand-made awsquery requests, and the aws cli."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError
from botocore.model import ServiceModel

from tests.conftest import RunningServer
from tests.integration.signing import signed_send

pytestmark = pytest.mark.integration

PROTOCOLS = ("json", "smithy-rpc-v2-cbor", "query")


def _minute(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)


@pytest.fixture(params=PROTOCOLS)
def cloudwatch(
    request: pytest.FixtureRequest, region: RunningServer, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Any]:
    """A boto3 CloudWatch client speaking one protocol (botocore itself picks json)."""
    protocol: str = request.param
    if protocol != "json":
        monkeypatch.setattr(ServiceModel, "resolved_protocol", property(lambda self: protocol))
    client = region.client("cloudwatch")
    seen: list[str] = []
    client.meta.events.register(
        "before-send", lambda request, **_: seen.append(_protocol_of(request))
    )
    yield client
    assert set(seen) == {protocol}


def _protocol_of(request: Any) -> str:
    headers = {
        k.lower(): v.decode() if isinstance(v, bytes) else v for k, v in request.headers.items()
    }
    if headers.get("smithy-protocol") == "rpc-v2-cbor":
        return "smithy-rpc-v2-cbor"
    if "x-amz-target" in headers:
        return "json"
    return "query"


def _error(call: Any, **kwargs: Any) -> tuple[int, str, str]:
    with pytest.raises(ClientError) as caught:
        call(**kwargs)
    response = caught.value.response
    return (
        response["ResponseMetadata"]["HTTPStatusCode"],
        response["Error"]["Code"],
        response["Error"].get("Message", ""),
    )


def test_put_then_statistics_over_several_periods(cloudwatch: Any) -> None:
    namespace = f"Test/{uuid.uuid4().hex[:8]}"
    start = _minute(datetime.now(UTC) - timedelta(minutes=30))
    dimensions = [{"Name": "JobFlowId", "Value": "j-STATS"}]
    # One value a minute for 20 minutes: 1, 2, …, 20; plus a Values/Counts datum.
    cloudwatch.put_metric_data(
        Namespace=namespace,
        MetricData=[
            {
                "MetricName": "Load",
                "Dimensions": dimensions,
                "Timestamp": start + timedelta(minutes=i),
                "Value": float(i + 1),
                "Unit": "Count",
            }
            for i in range(20)
        ],
    )
    cloudwatch.put_metric_data(
        Namespace=namespace,
        MetricData=[
            {
                "MetricName": "Load",
                "Dimensions": dimensions,
                "Timestamp": start + timedelta(minutes=25, seconds=10),
                "Values": [100.0, 200.0],
                "Counts": [3.0, 1.0],
                "Unit": "Count",
            }
        ],
    )
    common = {
        "Namespace": namespace,
        "MetricName": "Load",
        "Dimensions": dimensions,
        "StartTime": start,
        "EndTime": start + timedelta(minutes=30),
    }
    five = cloudwatch.get_metric_statistics(
        **common, Period=300, Statistics=["SampleCount", "Sum", "Average", "Minimum", "Maximum"]
    )
    assert five["Label"] == "Load"
    points = sorted(five["Datapoints"], key=lambda p: p["Timestamp"])
    assert [p["Timestamp"] for p in points] == [
        start + timedelta(minutes=m) for m in (0, 5, 10, 15, 25)
    ]
    assert [(p["SampleCount"], p["Sum"], p["Minimum"], p["Maximum"]) for p in points] == [
        (5, 15, 1, 5),
        (5, 40, 6, 10),
        (5, 65, 11, 15),
        (5, 90, 16, 20),
        (4, 500, 100, 200),
    ]
    assert points[1]["Average"] == 8.0
    assert {p["Unit"] for p in points} == {"Count"}

    whole = cloudwatch.get_metric_statistics(**common, Period=1800, Statistics=["Average"])
    [point] = whole["Datapoints"]
    assert point["Average"] == pytest.approx((210 + 500) / 24)

    percentiles = cloudwatch.get_metric_statistics(
        **common, Period=1200, ExtendedStatistics=["p50", "p90", "p99.9"]
    )
    first = min(percentiles["Datapoints"], key=lambda p: p["Timestamp"])
    assert first["ExtendedStatistics"] == {"p50": 10.0, "p90": 18.0, "p99.9": 20.0}

    minute = cloudwatch.get_metric_statistics(**common, Period=60, Statistics=["Maximum"])
    assert len(minute["Datapoints"]) == 21

    assert (
        cloudwatch.get_metric_statistics(
            **{**common, "Dimensions": []}, Period=300, Statistics=["Sum"]
        )["Datapoints"]
        == []
    )  # dimensions match exactly
    assert (
        cloudwatch.get_metric_statistics(**common, Period=300, Statistics=["Sum"], Unit="Seconds")[
            "Datapoints"
        ]
        == []
    )


def test_statistics_errors_in_the_protocols_own_form(cloudwatch: Any) -> None:
    now = _minute(datetime.now(UTC))
    common = {"Namespace": "Test/errors", "MetricName": "m"}
    assert _error(
        cloudwatch.get_metric_statistics,
        **common,
        StartTime=now - timedelta(days=2),
        EndTime=now,
        Period=60,
        Statistics=["Average"],
    ) == (
        400,
        "InvalidParameterCombination",
        "You have requested up to 2880 datapoints, which exceeds the limit of 1440. You may "
        "reduce the datapoints requested by increasing Period, or decreasing the time range.",
    )
    status, code, message = _error(
        cloudwatch.get_metric_statistics,
        **common,
        StartTime=now - timedelta(hours=1),
        EndTime=now,
        Period=90,
        Statistics=["Average"],
    )
    assert (status, code) == (400, "InvalidParameterValue")
    assert "Period must be a multiple of 60" in message
    assert _error(
        cloudwatch.get_metric_statistics,
        **common,
        StartTime=now,
        EndTime=now - timedelta(hours=1),
        Period=60,
        Statistics=["Average"],
    )[1:] == (
        "InvalidParameterValue",
        "The parameter StartTime must be less than the parameter EndTime.",
    )
    assert _error(
        cloudwatch.put_metric_data,
        Namespace="Test/errors",
        MetricData=[{"MetricName": "m", "Value": 1.0, "StatisticValues": {
            "SampleCount": 1, "Sum": 1, "Minimum": 1, "Maximum": 1}}],
    )[:2] == (400, "InvalidParameterCombination")  # fmt: skip
    assert _error(
        cloudwatch.put_metric_data,
        Namespace="Test/errors",
        MetricData=[{"MetricName": "m", "Value": 1.0, "Timestamp": now - timedelta(days=20)}],
    ) == (
        400,
        "InvalidParameterValue",
        "The parameter MetricData.member.1.Timestamp must specify a time within the past two "
        "weeks.",
    )
    assert _error(
        cloudwatch.put_metric_data,
        Namespace="Test/errors",
        MetricData=[{"MetricName": "m", "Value": 1.0}, {"MetricName": "m", "Value": float("nan")}],
    ) == (
        400,
        "InvalidParameterValue",
        "The value NaN for parameter MetricData.member.2.Value is invalid.",
    )
    assert _error(
        cloudwatch.put_metric_data,
        Namespace="Test/errors",
        MetricData=[{"MetricName": "m", "Value": 1.0}] * 1001,
    ) == (
        400,
        "InvalidParameterValue",
        "The collection MetricData must not have a size greater than 1000.",
    )


def test_list_metrics_with_filters_and_paging(region: RunningServer) -> None:
    cloudwatch = region.client("cloudwatch")
    namespace = f"Test/{uuid.uuid4().hex[:8]}"
    cloudwatch.put_metric_data(
        Namespace=namespace,
        MetricData=[
            {
                "MetricName": "IsIdle" if i % 2 else "AppsRunning",
                "Dimensions": [{"Name": "JobFlowId", "Value": f"j-{i:04d}"}],
                "Value": 1.0,
            }
            for i in range(1000)
        ],
    )
    cloudwatch.put_metric_data(
        Namespace=namespace, MetricData=[{"MetricName": "IsIdle", "Value": 0.0}]
    )
    first = cloudwatch.list_metrics(Namespace=namespace)
    assert len(first["Metrics"]) == 500
    second = cloudwatch.list_metrics(Namespace=namespace, NextToken=first["NextToken"])
    assert len(second["Metrics"]) == 500
    third = cloudwatch.list_metrics(Namespace=namespace, NextToken=second["NextToken"])
    assert third["Metrics"] == [{"Namespace": namespace, "MetricName": "IsIdle", "Dimensions": []}]
    assert "NextToken" not in third

    paginated = [
        metric
        for page in cloudwatch.get_paginator("list_metrics").paginate(
            Namespace=namespace, MetricName="IsIdle"
        )
        for metric in page["Metrics"]
    ]
    assert len(paginated) == 501
    one = cloudwatch.list_metrics(
        Namespace=namespace, Dimensions=[{"Name": "JobFlowId", "Value": "j-0007"}]
    )
    assert one["Metrics"] == [
        {
            "Namespace": namespace,
            "MetricName": "IsIdle",
            "Dimensions": [{"Name": "JobFlowId", "Value": "j-0007"}],
        }
    ]
    with_dimension = cloudwatch.list_metrics(
        Namespace=namespace, MetricName="AppsRunning", Dimensions=[{"Name": "JobFlowId"}]
    )
    assert len(with_dimension["Metrics"]) == 500
    recent = cloudwatch.list_metrics(Namespace=namespace, RecentlyActive="PT3H")
    assert len(recent["Metrics"]) == 500
    assert _error(cloudwatch.list_metrics, NextToken="bogus")[:2] == (400, "InvalidParameterValue")


def test_get_metric_data(cloudwatch: Any) -> None:
    namespace = f"Test/{uuid.uuid4().hex[:8]}"
    start = _minute(datetime.now(UTC) - timedelta(minutes=10))
    metric = {
        "Namespace": namespace,
        "MetricName": "MemoryAvailableMB",
        "Dimensions": [{"Name": "JobFlowId", "Value": "j-DATA"}],
    }
    cloudwatch.put_metric_data(
        Namespace=namespace,
        MetricData=[
            {
                "MetricName": metric["MetricName"],
                "Dimensions": metric["Dimensions"],
                "Timestamp": start + timedelta(seconds=30 * i),
                "Value": float(i),
                "StorageResolution": 1,
            }
            for i in range(8)
        ],
    )
    answer = cloudwatch.get_metric_data(
        MetricDataQueries=[
            {"Id": "total", "MetricStat": {"Metric": metric, "Period": 60, "Stat": "Sum"},
             "Label": "memory"},
            {"Id": "top", "MetricStat": {"Metric": metric, "Period": 120, "Stat": "p50"}},
            {"Id": "hidden", "MetricStat": {"Metric": metric, "Period": 60, "Stat": "Maximum"},
             "ReturnData": False},
        ],
        StartTime=start,
        EndTime=start + timedelta(minutes=10),
        ScanBy="TimestampAscending",
    )  # fmt: skip
    results = {r["Id"]: r for r in answer["MetricDataResults"]}
    assert set(results) == {"total", "top"}
    total = results["total"]
    assert total["Label"] == "memory"
    assert total["StatusCode"] == "Complete"
    assert total["Timestamps"] == [start + timedelta(minutes=m) for m in range(4)]
    assert total["Values"] == [1.0, 5.0, 9.0, 13.0]
    assert results["top"]["Label"] == "MemoryAvailableMB"
    assert results["top"]["Values"] == [1.0, 5.0]

    descending = cloudwatch.get_metric_data(
        MetricDataQueries=[{"Id": "m1", "MetricStat": {"Metric": metric, "Period": 30, "Stat": "Average"}}],
        StartTime=start,
        EndTime=start + timedelta(minutes=10),
    )  # fmt: skip
    assert descending["MetricDataResults"][0]["Values"] == [7.0, 6.0, 5.0, 4.0, 3.0, 2.0, 1.0, 0.0]

    status, code, message = _error(
        cloudwatch.get_metric_data,
        MetricDataQueries=[{"Id": "e1", "Expression": "SUM(METRICS())"}],
        StartTime=start,
        EndTime=start + timedelta(minutes=10),
    )
    assert (status, code) == (400, "InvalidParameterValue")
    assert "metric math" in message


def test_cloudwatch_refuses_a_wrong_signature(region: RunningServer) -> None:
    forged = region.session(secret="wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
    client = region.client("cloudwatch", forged)
    status, code, message = _error(client.list_metrics)
    assert (status, code) == (400, "InvalidSignatureException")
    assert "signature" in message.lower()


QUERY_FORM = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}


def test_awsquery_form_as_older_clients_send_it(region: RunningServer) -> None:
    namespace = f"Test/{uuid.uuid4().hex[:8]}"
    when = _minute(datetime.now(UTC) - timedelta(minutes=3))
    moment, later = (t.strftime("%Y-%m-%dT%H:%M:%SZ") for t in (when, when + timedelta(days=1)))
    put = (
        f"Action=PutMetricData&Version=2010-08-01&Namespace={namespace}"
        "&MetricData.member.1.MetricName=IsIdle&MetricData.member.1.Value=1"
        f"&MetricData.member.1.Timestamp={moment}"
        "&MetricData.member.1.Dimensions.member.1.Name=JobFlowId"
        "&MetricData.member.1.Dimensions.member.1.Value=j-QUERY"
    )
    answer = signed_send(region, service="monitoring", body=put.encode(), headers=QUERY_FORM)
    assert answer.status_code == 200, answer.text
    assert "<PutMetricDataResponse" in answer.text
    get = (
        f"Action=GetMetricStatistics&Version=2010-08-01&Namespace={namespace}"
        f"&MetricName=IsIdle&StartTime={moment}&EndTime={later}&Period=86400"
        "&Statistics.member.1=Average"
        "&Dimensions.member.1.Name=JobFlowId&Dimensions.member.1.Value=j-QUERY"
    )
    answer = signed_send(region, service="monitoring", body=get.encode(), headers=QUERY_FORM)
    assert answer.status_code == 200, answer.text
    assert "<Average>1.0</Average>" in answer.text
    bad = get.replace("Period=86400", "Period=61")
    refused = signed_send(region, service="monitoring", body=bad.encode(), headers=QUERY_FORM)
    assert refused.status_code == 400
    assert "<ErrorResponse" in refused.text
    assert "<Code>InvalidParameterValue</Code>" in refused.text


def _aws(region: RunningServer, *args: str) -> subprocess.CompletedProcess[str]:
    aws = Path(sys.executable).with_name("aws")
    return subprocess.run(
        [str(aws), *args], env=region.cli_env(), capture_output=True, text=True, timeout=120
    )


def test_aws_cli_put_metric_data_and_get_metric_statistics(region: RunningServer) -> None:
    now = datetime.now(UTC)
    cluster = f"j-{uuid.uuid4().hex[:13].upper()}"
    for value, minutes_ago in ((1, 4), (0, 2)):
        moment = (now - timedelta(minutes=minutes_ago)).strftime("%Y-%m-%dT%H:%M:%SZ")
        put = _aws(
            region, "cloudwatch", "put-metric-data", "--namespace", "AWS/ElasticMapReduce",
            "--metric-name", "IsIdle", "--dimensions", f"JobFlowId={cluster}",
            "--value", str(value), "--unit", "None", "--timestamp", moment,
        )  # fmt: skip
        assert put.returncode == 0, put.stderr
    got = _aws(
        region, "--debug", "cloudwatch", "get-metric-statistics",
        "--namespace", "AWS/ElasticMapReduce", "--metric-name", "IsIdle",
        "--dimensions", f"Name=JobFlowId,Value={cluster}",
        "--start-time", (now - timedelta(minutes=20)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "--end-time", (now + timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "--period", "1500", "--statistics", "Average",
    )  # fmt: skip
    assert got.returncode == 0, got.stderr
    # The cli (v1, on the installed botocore) speaks awsJson 1.0 to CloudWatch.
    assert "GraniteServiceVersion20100801.GetMetricStatistics" in got.stderr
    printed = json.loads(got.stdout)
    assert printed["Label"] == "IsIdle"
    [point] = printed["Datapoints"]
    assert point["Average"] == 0.5
    assert point["Unit"] == "None"

    listed = _aws(region, "cloudwatch", "list-metrics", "--namespace", "AWS/ElasticMapReduce",
                  "--dimensions", f"Name=JobFlowId,Value={cluster}")  # fmt: skip
    assert listed.returncode == 0, listed.stderr
    assert json.loads(listed.stdout)["Metrics"] == [
        {
            "Namespace": "AWS/ElasticMapReduce",
            "MetricName": "IsIdle",
            "Dimensions": [{"Name": "JobFlowId", "Value": cluster}],
        }
    ]

    refused = _aws(
        region, "cloudwatch", "get-metric-statistics", "--namespace", "AWS/ElasticMapReduce",
        "--metric-name", "IsIdle", "--start-time", "2026-01-01T00:00:00Z",
        "--end-time", "2026-01-03T00:00:00Z", "--period", "60", "--statistics", "Average",
    )  # fmt: skip
    assert refused.returncode == 255
    assert "(InvalidParameterCombination)" in refused.stderr
    assert "exceeds the limit of 1440" in refused.stderr
