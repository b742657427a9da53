"""Aggregation per period, percentiles, the period and datapoint rules, GetMetricData queries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from emr.errors import ServiceError
from emr.services.cloudwatch.metrics import Sample, parse_metric_data
from emr.services.cloudwatch.queries import metric_result, parse_queries
from emr.services.cloudwatch.statistics import (
    aggregate,
    aligned_start,
    check_datapoint_limit,
    check_extended_statistics,
    check_period,
    percentile,
    percentile_rank,
    statistic_value,
)

T0 = datetime(2026, 1, 2, 3, 0, 0, tzinfo=UTC)


def _samples(*points: tuple[int, float]) -> list[Sample]:
    """Samples of single values at T0 + seconds."""
    data = parse_metric_data(
        "ns",
        [
            {"MetricName": "m", "Value": value, "Timestamp": T0 + timedelta(seconds=offset)}
            for offset, value in points
        ],
        now=T0,
    )
    return [datum.sample for datum in data]


def test_samples_fold_into_periods_aligned_on_the_start_minute() -> None:
    samples = _samples((0, 1.0), (30, 3.0), (299, 5.0), (300, 10.0), (900, 7.0), (1200, 99.0))
    buckets = aggregate(
        samples, start=T0 + timedelta(seconds=20), end=T0 + timedelta(seconds=1200), period=300
    )
    assert [b.start for b in buckets] == [
        T0,
        T0 + timedelta(seconds=300),
        T0 + timedelta(seconds=900),
    ]
    first = buckets[0]
    assert [
        statistic_value(first, s) for s in ("SampleCount", "Sum", "Average", "Minimum", "Maximum")
    ] == [3, 9, 3, 1, 5]
    assert statistic_value(buckets[1], "Average") == 10.0


def test_high_resolution_periods_align_on_the_period() -> None:
    assert aligned_start(T0 + timedelta(seconds=17), 10) == T0 + timedelta(seconds=10)
    assert aligned_start(T0 + timedelta(seconds=17), 300) == T0
    buckets = aggregate(
        _samples((1, 1.0), (4, 2.0), (6, 3.0)), start=T0, end=T0 + timedelta(seconds=10), period=5
    )
    assert [statistic_value(b, "Sum") for b in buckets] == [3.0, 3.0]


def test_percentiles_are_nearest_rank_over_weighted_values() -> None:
    values = [(float(v), 1.0) for v in range(1, 101)]
    assert percentile(values, 50) == 50.0
    assert percentile(values, 99) == 99.0
    assert percentile(values, 99.5) == 100.0
    assert percentile(values, 100) == 100.0
    assert percentile(values, 0) == 1.0
    assert percentile([(1.0, 9.0), (100.0, 1.0)], 90) == 1.0
    assert percentile([(1.0, 9.0), (100.0, 1.0)], 91) == 100.0
    assert percentile([], 50) is None


def test_percentiles_are_unavailable_after_an_opaque_statistic_set() -> None:
    data = parse_metric_data(
        "ns",
        [
            {"MetricName": "m", "Value": 1.0, "Timestamp": T0},
            {"MetricName": "m", "Timestamp": T0,
             "StatisticValues": {"SampleCount": 2, "Sum": 5, "Minimum": 1, "Maximum": 4}},
        ],
        now=T0,
    )  # fmt: skip
    [bucket] = aggregate(
        [d.sample for d in data], start=T0, end=T0 + timedelta(minutes=1), period=60
    )
    assert statistic_value(bucket, "p50") is None
    assert statistic_value(bucket, "Average") == 2.0
    assert statistic_value(bucket, "Maximum") == 4.0


@pytest.mark.parametrize(
    ("statistic", "rank"),
    [
        ("p99", 99.0),
        ("p99.9", 99.9),
        ("p0", 0.0),
        ("p100", 100.0),
        ("p101", None),
        ("tm99", None),
        ("P50", None),
    ],
)
def test_percentile_names(statistic: str, rank: float | None) -> None:
    assert percentile_rank(statistic) == rank


def test_period_rules() -> None:
    for period in (1, 5, 10, 30, 60, 300, 86400):
        check_period(period)
    for period in (2, 45, 90, 0):
        with pytest.raises(ServiceError) as caught:
            check_period(period)
        assert caught.value.code == "InvalidParameterValue"
    with pytest.raises(ServiceError) as caught:
        check_extended_statistics(["p50", "tm90"])
    assert (
        caught.value.message == "The value tm90 for parameter ExtendedStatistics is not supported."
    )


def test_the_1440_datapoint_limit() -> None:
    check_datapoint_limit(T0, T0 + timedelta(days=1), 60)
    with pytest.raises(ServiceError) as caught:
        check_datapoint_limit(T0, T0 + timedelta(days=2), 60)
    assert caught.value.code == "InvalidParameterCombination"
    assert caught.value.message == (
        "You have requested up to 2880 datapoints, which exceeds the limit of 1440. You may "
        "reduce the datapoints requested by increasing Period, or decreasing the time range."
    )


def _query(**overrides: Any) -> dict[str, Any]:
    query: dict[str, Any] = {
        "Id": "m1",
        "MetricStat": {
            "Metric": {
                "Namespace": "ns",
                "MetricName": "m",
                "Dimensions": [{"Name": "a", "Value": "1"}],
            },
            "Period": 60,
            "Stat": "Sum",
        },
    }
    query.update(overrides)
    return query


def test_get_metric_data_query_results() -> None:
    [query] = parse_queries([_query(Label="total")])
    assert query.key.dimensions == (("a", "1"),)
    samples = _samples((0, 1.0), (10, 2.0), (60, 4.0), (185, 8.0))
    end = T0 + timedelta(minutes=5)
    descending = metric_result(query, samples, start=T0, end=end, descending=True)
    assert descending == {
        "Id": "m1",
        "Label": "total",
        "Timestamps": [T0 + timedelta(seconds=180), T0 + timedelta(seconds=60), T0],
        "Values": [8.0, 4.0, 3.0],
        "StatusCode": "Complete",
    }
    ascending = metric_result(query, samples, start=T0, end=end, descending=False)
    assert ascending["Values"] == [3.0, 4.0, 8.0]
    [hidden] = parse_queries([_query(ReturnData=False)])
    assert not hidden.return_data and hidden.label == "m"


@pytest.mark.parametrize(
    ("queries", "code", "fragment"),
    [
        ([], "MissingParameter", "MetricDataQueries is required"),
        ([_query(), _query()], "InvalidParameterValue", "is not unique"),
        ([_query(Id="M1")], "InvalidParameterValue", "must start with a lowercase letter"),
        ([{"Id": "e1", "Expression": "SUM(METRICS())"}], "InvalidParameterValue", "metric math"),
        ([{"Id": "q1"}], "MissingParameter", "MetricDataQueries.member.1.MetricStat is required"),
        ([_query(MetricStat={**_query()["MetricStat"], "Stat": "Median"})],
         "InvalidParameterValue", "The value Median for parameter"),
        ([_query(MetricStat={**_query()["MetricStat"], "Period": 90})],
         "InvalidParameterValue", "MetricStat.Period must be a multiple of 60"),
    ],
)  # fmt: skip
def test_bad_queries(queries: list[dict[str, Any]], code: str, fragment: str) -> None:
    with pytest.raises(ServiceError) as caught:
        parse_queries(queries)
    assert caught.value.code == code
    assert fragment in caught.value.message
