"""Metrics and their data points: what PutMetricData's input becomes, with CloudWatch's checks.

Pure: no database and no clock (the caller passes `now`). A metric is its namespace, name and
set of dimensions; every MetricDatum becomes one `Sample` — a statistic set (count, sum,
minimum, maximum) plus, when the datum carried raw values, those values with their counts, so
percentiles can be computed at query time.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from emr.services.cloudwatch.errors import (
    InvalidParameterCombination,
    InvalidParameterValue,
    MissingParameter,
)

__all__ = [
    "MAX_DIMENSIONS",
    "MAX_METRIC_DATA",
    "MAX_VALUES",
    "Datum",
    "MetricKey",
    "Sample",
    "parse_dimensions",
    "parse_metric_data",
]

#: Items of one PutMetricData call (MetricData plus EntityMetricData's data).
MAX_METRIC_DATA = 1000
#: Dimensions of one metric.
MAX_DIMENSIONS = 30
#: Distinct values of one datum's Values array.
MAX_VALUES = 150
#: CloudWatch refuses values outside ±2^360 (and NaN, ±Infinity).
_VALUE_LIMIT = 2.0**360
_PAST_LIMIT = timedelta(days=14)
_FUTURE_LIMIT = timedelta(hours=2)

Dimensions = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class MetricKey:
    """A metric: namespace, name and its dimensions (sorted by name; names are unique)."""

    namespace: str
    name: str
    dimensions: Dimensions = ()

    @property
    def dimensions_hash(self) -> str:
        """A fixed-size key for the dimension set (what the store's unique index holds)."""
        text = json.dumps(self.dimensions, separators=(",", ":"), ensure_ascii=False)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def api_dimensions(self) -> list[dict[str, str]]:
        return [{"Name": name, "Value": value} for name, value in self.dimensions]


@dataclass(frozen=True)
class Sample:
    """One published data point, as a statistic set plus raw (value, count) pairs if known."""

    timestamp: datetime
    unit: str
    storage_resolution: int
    sample_count: float
    sum: float
    minimum: float
    maximum: float
    #: Raw values and how often each occurred; None when only a statistic set was published
    #: (percentiles are then unavailable for this sample).
    values: tuple[tuple[float, float], ...] | None


@dataclass(frozen=True)
class Datum:
    """A sample of a metric."""

    key: MetricKey
    sample: Sample


def parse_dimensions(dimensions: Sequence[Mapping[str, Any]] | None, where: str) -> Dimensions:
    """Dimensions as a sorted tuple; a name given twice is refused."""
    pairs: dict[str, str] = {}
    for dimension in dimensions or ():
        name, value = str(dimension["Name"]), str(dimension["Value"])
        if name in pairs:
            raise InvalidParameterValue(
                f"The collection {where} must not contain duplicate dimension names; "
                f"{name} appears more than once."
            )
        pairs[name] = value
    if len(pairs) > MAX_DIMENSIONS:
        raise InvalidParameterValue(
            f"The collection {where} must not have a size greater than {MAX_DIMENSIONS}."
        )
    return tuple(sorted(pairs.items()))


def parse_metric_data(
    namespace: str,
    metric_data: Sequence[Mapping[str, Any]] | None,
    *,
    now: datetime,
) -> list[Datum]:
    """PutMetricData's MetricData as data, or the error CloudWatch answers for it.

    Problems of the timestamps are collected and reported together (one per line), as
    CloudWatch does; every other problem stops at the first.
    """
    items = list(metric_data or ())
    if not items:
        raise MissingParameter("The parameter MetricData is required.")
    if len(items) > MAX_METRIC_DATA:
        raise InvalidParameterValue(
            f"The collection MetricData must not have a size greater than {MAX_METRIC_DATA}."
        )
    data: list[Datum] = []
    late: list[str] = []
    for index, item in enumerate(items, 1):
        where = f"MetricData.member.{index}"
        timestamp = item.get("Timestamp") or now
        if timestamp < now - _PAST_LIMIT:
            late.append(
                f"The parameter {where}.Timestamp must specify a time within the past two weeks."
            )
        elif timestamp > now + _FUTURE_LIMIT:
            late.append(
                f"The parameter {where}.Timestamp must specify a time no more than two hours "
                "in the future."
            )
        key = MetricKey(
            namespace=namespace,
            name=str(item["MetricName"]),
            dimensions=parse_dimensions(item.get("Dimensions"), f"{where}.Dimensions"),
        )
        data.append(Datum(key, _sample(item, where, timestamp)))
    if late:
        raise InvalidParameterValue("\n".join(late))
    return data


def _sample(item: Mapping[str, Any], where: str, timestamp: datetime) -> Sample:
    value = item.get("Value")
    values = item.get("Values")
    counts = item.get("Counts")
    statistics = item.get("StatisticValues")
    given = [
        name
        for name, member in (("Value", value), ("StatisticValues", statistics), ("Values", values))
        if member is not None
    ]
    if len(given) > 1:
        raise InvalidParameterCombination(
            f"The parameters {where}.{given[0]} and {where}.{given[1]} are mutually exclusive "
            "and you have specified both."
        )
    if not given:
        raise MissingParameter(
            f"The parameter {where}.Value, {where}.StatisticValues or {where}.Values is required."
        )
    if counts is not None and values is None:
        raise InvalidParameterCombination(
            f"The parameter {where}.Counts may only be specified with {where}.Values."
        )
    resolution = item.get("StorageResolution")
    if resolution is None:
        resolution = 60
    if resolution not in (1, 60):
        raise InvalidParameterValue(
            f"The value {resolution} for parameter {where}.StorageResolution is invalid; "
            "it must be 1 or 60."
        )
    unit = str(item.get("Unit") or "None")
    if value is not None:
        number = _checked(value, f"{where}.Value")
        return Sample(timestamp, unit, resolution, 1.0, number, number, number, ((number, 1.0),))
    if statistics is not None:
        return _statistic_set(statistics, where, timestamp, unit, resolution)
    assert values is not None
    return _value_array(list(values), counts, where, timestamp, unit, resolution)


def _statistic_set(
    statistics: Mapping[str, Any], where: str, timestamp: datetime, unit: str, resolution: int
) -> Sample:
    prefix = f"{where}.StatisticValues"
    count = _checked(statistics["SampleCount"], f"{prefix}.SampleCount")
    total = _checked(statistics["Sum"], f"{prefix}.Sum")
    minimum = _checked(statistics["Minimum"], f"{prefix}.Minimum")
    maximum = _checked(statistics["Maximum"], f"{prefix}.Maximum")
    if count <= 0:
        raise InvalidParameterValue(
            f"The value {_show(count)} for parameter {prefix}.SampleCount is invalid; "
            "it must be greater than 0."
        )
    if minimum > maximum:
        raise InvalidParameterValue(
            f"The parameter {prefix}.Minimum must not be greater than {prefix}.Maximum."
        )
    # One sample, or all samples equal: the raw values are known, so percentiles are too.
    raw = ((minimum, count),) if count == 1 or minimum == maximum else None
    return Sample(timestamp, unit, resolution, count, total, minimum, maximum, raw)


def _value_array(
    values: list[Any],
    counts: Sequence[Any] | None,
    where: str,
    timestamp: datetime,
    unit: str,
    resolution: int,
) -> Sample:
    if not values:
        raise MissingParameter(f"The parameter {where}.Values must not be empty.")
    if len(values) > MAX_VALUES:
        raise InvalidParameterValue(
            f"The collection {where}.Values must not have a size greater than {MAX_VALUES}."
        )
    if counts is not None and len(counts) != len(values):
        raise InvalidParameterValue(
            f"The parameters {where}.Values and {where}.Counts must be of the same size."
        )
    numbers = [_checked(v, f"{where}.Values") for v in values]
    weights = [1.0] * len(numbers) if counts is None else [float(c) for c in counts]
    for weight in weights:
        if not math.isfinite(weight) or weight < 0:
            raise InvalidParameterValue(
                f"The value {_show(weight)} for parameter {where}.Counts is invalid."
            )
    pairs = tuple((v, w) for v, w in zip(numbers, weights, strict=True) if w > 0)
    if not pairs:
        raise InvalidParameterValue(f"The parameter {where}.Counts must not be all zero.")
    return Sample(
        timestamp,
        unit,
        resolution,
        sum(w for _, w in pairs),
        sum(v * w for v, w in pairs),
        min(v for v, _ in pairs),
        max(v for v, _ in pairs),
        pairs,
    )


def _checked(value: Any, parameter: str) -> float:
    number = float(value)
    if not math.isfinite(number) or abs(number) > _VALUE_LIMIT:
        raise InvalidParameterValue(
            f"The value {_show(number)} for parameter {parameter} is invalid."
        )
    return number


def _show(number: float) -> str:
    if math.isnan(number):
        return "NaN"
    if math.isinf(number):
        return "Infinity" if number > 0 else "-Infinity"
    return repr(number)
