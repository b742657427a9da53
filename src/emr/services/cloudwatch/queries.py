"""GetMetricData's queries: checked, then answered from the samples of each metric.

Pure: `parse_queries` checks MetricDataQueries; `metric_result` turns one query's samples into
its MetricDataResult. Only MetricStat queries are answered; a query with an Expression
(metric math, Metrics Insights) is refused with InvalidParameterValue saying so.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from emr.services.cloudwatch.errors import InvalidParameterValue, MissingParameter
from emr.services.cloudwatch.metrics import MetricKey, Sample, parse_dimensions
from emr.services.cloudwatch.statistics import (
    BASIC_STATISTICS,
    aggregate,
    check_period,
    percentile_rank,
    statistic_value,
)

__all__ = ["MAX_QUERIES", "MetricQuery", "metric_result", "parse_queries"]

#: Queries of one GetMetricData call.
MAX_QUERIES = 500


@dataclass(frozen=True)
class MetricQuery:
    """One MetricStat query."""

    id: str
    key: MetricKey
    period: int
    stat: str
    unit: str | None
    label: str
    return_data: bool


def parse_queries(queries: Sequence[Mapping[str, Any]]) -> list[MetricQuery]:
    """The MetricStat queries, or CloudWatch's error for the first bad one."""
    if not queries:
        raise MissingParameter("The parameter MetricDataQueries is required.")
    if len(queries) > MAX_QUERIES:
        raise InvalidParameterValue(
            f"The collection MetricDataQueries must not have a size greater than {MAX_QUERIES}."
        )
    parsed: list[MetricQuery] = []
    seen: set[str] = set()
    for index, query in enumerate(queries, 1):
        where = f"MetricDataQueries.member.{index}"
        query_id = str(query["Id"])
        if not (query_id[:1].islower() and query_id.replace("_", "a").isalnum()):
            raise InvalidParameterValue(
                f"The value {query_id} for parameter {where}.Id is invalid: it must start with a "
                "lowercase letter and contain only letters, digits and underscores."
            )
        if query_id in seen:
            raise InvalidParameterValue(
                f"The value {query_id} for parameter {where}.Id is not unique."
            )
        seen.add(query_id)
        if query.get("Expression") is not None:
            raise InvalidParameterValue(
                f"The parameter {where}.Expression is not supported by this endpoint: metric "
                "math and Metrics Insights queries are not implemented; use MetricStat."
            )
        stat = query.get("MetricStat")
        if stat is None:
            raise MissingParameter(f"The parameter {where}.MetricStat is required.")
        parsed.append(_metric_query(query_id, stat, query, where))
    return parsed


def _metric_query(
    query_id: str, stat: Mapping[str, Any], query: Mapping[str, Any], where: str
) -> MetricQuery:
    metric = stat["Metric"]
    for member in ("Namespace", "MetricName"):
        if not metric.get(member):
            raise MissingParameter(f"The parameter {where}.MetricStat.Metric.{member} is required.")
    name = str(stat["Stat"])
    if name not in BASIC_STATISTICS and percentile_rank(name) is None:
        raise InvalidParameterValue(
            f"The value {name} for parameter {where}.MetricStat.Stat is not supported."
        )
    period = int(stat["Period"])
    check_period(period, f"{where}.MetricStat.Period")
    key = MetricKey(
        namespace=str(metric["Namespace"]),
        name=str(metric["MetricName"]),
        dimensions=parse_dimensions(
            metric.get("Dimensions"), f"{where}.MetricStat.Metric.Dimensions"
        ),
    )
    return_data = query.get("ReturnData")
    return MetricQuery(
        id=query_id,
        key=key,
        period=period,
        stat=name,
        unit=stat.get("Unit"),
        label=str(query.get("Label") or key.name),
        return_data=True if return_data is None else bool(return_data),
    )


def metric_result(
    query: MetricQuery,
    samples: Iterable[Sample],
    *,
    start: datetime,
    end: datetime,
    descending: bool,
) -> dict[str, Any]:
    """The MetricDataResult of one query: a value per period that has one."""
    points: list[tuple[datetime, float]] = []
    for bucket in aggregate(samples, start=start, end=end, period=query.period):
        value = statistic_value(bucket, query.stat)
        if value is not None:
            points.append((bucket.start, value))
    if descending:
        points.reverse()
    return {
        "Id": query.id,
        "Label": query.label,
        "Timestamps": [moment for moment, _ in points],
        "Values": [value for _, value in points],
        "StatusCode": "Complete",
    }
