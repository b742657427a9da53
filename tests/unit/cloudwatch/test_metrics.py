"""PutMetricData's input → samples, and the errors CloudWatch answers for bad input."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from emr.errors import ServiceError
from emr.services.cloudwatch.metrics import MetricKey, parse_dimensions, parse_metric_data

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def _error(metric_data: Any) -> tuple[str, str]:
    with pytest.raises(ServiceError) as caught:
        parse_metric_data("ns", metric_data, now=NOW)
    return caught.value.code, caught.value.message


def test_value_becomes_a_sample_with_its_raw_value() -> None:
    [datum] = parse_metric_data(
        "AWS/ElasticMapReduce",
        [
            {
                "MetricName": "IsIdle",
                "Dimensions": [{"Name": "JobFlowId", "Value": "j-1"}],
                "Value": 1.0,
                "Unit": "None",
            }
        ],
        now=NOW,
    )
    assert datum.key == MetricKey("AWS/ElasticMapReduce", "IsIdle", (("JobFlowId", "j-1"),))
    sample = datum.sample
    assert sample.timestamp == NOW  # no Timestamp: the time of the call
    assert (sample.sample_count, sample.sum, sample.minimum, sample.maximum) == (1, 1, 1, 1)
    assert sample.values == ((1.0, 1.0),)
    assert sample.storage_resolution == 60


def test_values_and_counts_fold_into_one_statistic_set() -> None:
    [datum] = parse_metric_data(
        "ns",
        [{"MetricName": "m", "Values": [1.0, 5.0, 2.0], "Counts": [2, 1, 0], "Unit": "Count"}],
        now=NOW,
    )
    sample = datum.sample
    assert (sample.sample_count, sample.sum, sample.minimum, sample.maximum) == (3, 7, 1, 5)
    assert sample.values == ((1.0, 2.0), (5.0, 1.0))
    assert sample.unit == "Count"


def test_statistic_sets_keep_raw_values_only_when_they_are_known() -> None:
    sets = [
        {"SampleCount": 4, "Sum": 10, "Minimum": 1, "Maximum": 4},
        {"SampleCount": 3, "Sum": 6, "Minimum": 2, "Maximum": 2},
    ]
    data = parse_metric_data(
        "ns", [{"MetricName": "m", "StatisticValues": s} for s in sets], now=NOW
    )
    assert data[0].sample.values is None
    assert data[1].sample.values == ((2.0, 3.0),)


def test_dimensions_are_sorted_and_names_unique() -> None:
    dims = [{"Name": "b", "Value": "2"}, {"Name": "a", "Value": "1"}]
    assert parse_dimensions(dims, "D") == (("a", "1"), ("b", "2"))
    with pytest.raises(ServiceError) as caught:
        parse_dimensions([{"Name": "a", "Value": "1"}, {"Name": "a", "Value": "2"}], "D")
    assert caught.value.code == "InvalidParameterValue"
    many = [{"Name": f"d{i}", "Value": "v"} for i in range(31)]
    with pytest.raises(ServiceError) as caught:
        parse_dimensions(many, "MetricData.member.1.Dimensions")
    assert caught.value.message == (
        "The collection MetricData.member.1.Dimensions must not have a size greater than 30."
    )


def test_same_dimensions_in_any_order_are_one_metric() -> None:
    one = MetricKey("ns", "m", parse_dimensions([{"Name": "a", "Value": "1"}], "D"))
    assert one.dimensions_hash == MetricKey("ns", "m", (("a", "1"),)).dimensions_hash
    assert one.dimensions_hash != MetricKey("ns", "m", (("a", "2"),)).dimensions_hash


@pytest.mark.parametrize(
    ("datum", "code", "message"),
    [
        ({"MetricName": "m", "Value": float("nan")}, "InvalidParameterValue",
         "The value NaN for parameter MetricData.member.1.Value is invalid."),
        ({"MetricName": "m", "Value": float("inf")}, "InvalidParameterValue",
         "The value Infinity for parameter MetricData.member.1.Value is invalid."),
        ({"MetricName": "m", "Value": 1e200}, "InvalidParameterValue",
         "The value 1e+200 for parameter MetricData.member.1.Value is invalid."),
        ({"MetricName": "m", "Value": 1, "StatisticValues":
          {"SampleCount": 1, "Sum": 1, "Minimum": 1, "Maximum": 1}},
         "InvalidParameterCombination",
         "The parameters MetricData.member.1.Value and MetricData.member.1.StatisticValues "
         "are mutually exclusive and you have specified both."),
        ({"MetricName": "m"}, "MissingParameter",
         "The parameter MetricData.member.1.Value, MetricData.member.1.StatisticValues or "
         "MetricData.member.1.Values is required."),
        ({"MetricName": "m", "Values": [1, 2], "Counts": [1]}, "InvalidParameterValue",
         "The parameters MetricData.member.1.Values and MetricData.member.1.Counts must be of "
         "the same size."),
        ({"MetricName": "m", "Values": list(range(151))}, "InvalidParameterValue",
         "The collection MetricData.member.1.Values must not have a size greater than 150."),
        ({"MetricName": "m", "Value": 1, "StorageResolution": 30}, "InvalidParameterValue",
         "The value 30 for parameter MetricData.member.1.StorageResolution is invalid; it must "
         "be 1 or 60."),
        ({"MetricName": "m", "StatisticValues":
          {"SampleCount": 2, "Sum": 1, "Minimum": 3, "Maximum": 1}}, "InvalidParameterValue",
         "The parameter MetricData.member.1.StatisticValues.Minimum must not be greater than "
         "MetricData.member.1.StatisticValues.Maximum."),
    ],
)  # fmt: skip
def test_bad_datums_are_refused_in_cloudwatchs_words(
    datum: dict[str, Any], code: str, message: str
) -> None:
    assert _error([datum]) == (code, message)


def test_limits_of_a_call() -> None:
    assert _error([]) == ("MissingParameter", "The parameter MetricData is required.")
    assert _error([{"MetricName": "m", "Value": 1}] * 1001) == (
        "InvalidParameterValue",
        "The collection MetricData must not have a size greater than 1000.",
    )
    assert len(parse_metric_data("ns", [{"MetricName": "m", "Value": 1}] * 1000, now=NOW)) == 1000


def test_timestamps_out_of_range_are_all_reported() -> None:
    old = {"MetricName": "m", "Value": 1, "Timestamp": NOW - timedelta(days=15)}
    future = {"MetricName": "m", "Value": 1, "Timestamp": NOW + timedelta(hours=3)}
    ok = {"MetricName": "m", "Value": 1, "Timestamp": NOW - timedelta(days=13)}
    code, message = _error([old, ok, future])
    assert code == "InvalidParameterValue"
    assert message.splitlines() == [
        "The parameter MetricData.member.1.Timestamp must specify a time within the past two "
        "weeks.",
        "The parameter MetricData.member.3.Timestamp must specify a time no more than two "
        "hours in the future.",
    ]
