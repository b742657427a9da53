"""Statistics over raw samples, one datapoint per period, computed at query time.

Pure. Periods start at the query's StartTime rounded down (to the minute for periods of a
minute or more, to the period for high-resolution periods) and are `period` seconds long; a
period without samples gives no datapoint. Percentiles (`pNN`, `pNN.NN`) are nearest-rank
over the raw values of the period, weighted by their counts; a period holding a statistic
set whose values are unknown (SampleCount > 1 and Minimum < Maximum) has no percentiles.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from emr.services.cloudwatch.errors import InvalidParameterCombination, InvalidParameterValue
from emr.services.cloudwatch.metrics import Sample

__all__ = [
    "BASIC_STATISTICS",
    "MAX_DATAPOINTS",
    "Bucket",
    "aggregate",
    "aligned_start",
    "check_datapoint_limit",
    "check_extended_statistics",
    "check_period",
    "check_time_range",
    "percentile",
    "percentile_rank",
    "statistic_value",
]

BASIC_STATISTICS = ("SampleCount", "Average", "Sum", "Minimum", "Maximum")
#: Datapoints one GetMetricStatistics call may ask for.
MAX_DATAPOINTS = 1440
_HIGH_RESOLUTION_PERIODS = (1, 5, 10, 30)
_PERCENTILE_RE = re.compile(r"p(\d{1,2}(?:\.\d{1,10})?|100(?:\.0{1,10})?)")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass
class Bucket:
    """The samples of one period, folded into a statistic set and a weighted value list."""

    start: datetime
    unit: str
    sample_count: float = 0.0
    sum: float = 0.0
    minimum: float = math.inf
    maximum: float = -math.inf
    values: list[tuple[float, float]] | None = field(default_factory=list)

    def add(self, sample: Sample) -> None:
        self.sample_count += sample.sample_count
        self.sum += sample.sum
        self.minimum = min(self.minimum, sample.minimum)
        self.maximum = max(self.maximum, sample.maximum)
        if self.values is not None:
            if sample.values is None:
                self.values = None
            else:
                self.values.extend(sample.values)


def check_period(period: int, parameter: str = "Period") -> None:
    """A period is 1, 5, 10, 30 (high resolution) or a multiple of 60 seconds."""
    if period in _HIGH_RESOLUTION_PERIODS or (period > 0 and period % 60 == 0):
        return
    raise InvalidParameterValue(
        f"The parameter {parameter} must be a multiple of 60, or 1, 5, 10 or 30 for "
        "high-resolution metrics."
    )


def check_time_range(start: datetime, end: datetime) -> None:
    if start >= end:
        raise InvalidParameterValue(
            "The parameter StartTime must be less than the parameter EndTime."
        )


def aligned_start(start: datetime, period: int) -> datetime:
    """StartTime rounded down to the minute (periods ≥ 60 s) or to the period."""
    step = 60 if period >= 60 else period
    seconds = math.floor((start - _EPOCH).total_seconds())
    return _EPOCH + timedelta(seconds=seconds - seconds % step)


def check_datapoint_limit(start: datetime, end: datetime, period: int) -> None:
    """GetMetricStatistics answers at most 1,440 datapoints."""
    span = (end - start).total_seconds()
    requested = math.ceil(span / period)
    if requested > MAX_DATAPOINTS:
        raise InvalidParameterCombination(
            f"You have requested up to {requested} datapoints, which exceeds the limit of "
            f"{MAX_DATAPOINTS}. You may reduce the datapoints requested by increasing Period, "
            "or decreasing the time range."
        )


def percentile_rank(statistic: str) -> float | None:
    """The rank of a `pNN` extended statistic (0-100), or None if it is not one."""
    match = _PERCENTILE_RE.fullmatch(statistic)
    return float(match[1]) if match else None


def percentile(values: Iterable[tuple[float, float]], rank: float) -> float | None:
    """Nearest-rank percentile of weighted values; None without values."""
    ordered = sorted(values)
    total = sum(weight for _, weight in ordered)
    if total <= 0:
        return None
    threshold = rank / 100.0 * total
    running = 0.0
    for value, weight in ordered:
        running += weight
        if running >= threshold and running > 0:
            return value
    return ordered[-1][0]


def statistic_value(bucket: Bucket, statistic: str) -> float | None:
    """One statistic of a bucket: a basic one or a percentile; None if unavailable."""
    if statistic == "SampleCount":
        return bucket.sample_count
    if statistic == "Sum":
        return bucket.sum
    if statistic == "Average":
        return bucket.sum / bucket.sample_count
    if statistic == "Minimum":
        return bucket.minimum
    if statistic == "Maximum":
        return bucket.maximum
    rank = percentile_rank(statistic)
    if rank is None or bucket.values is None:
        return None
    return percentile(bucket.values, rank)


def aggregate(
    samples: Iterable[Sample], *, start: datetime, end: datetime, period: int
) -> list[Bucket]:
    """Samples in [aligned start, end) folded into one bucket per period, oldest first."""
    origin = aligned_start(start, period)
    buckets: dict[int, Bucket] = {}
    for sample in samples:
        if not origin <= sample.timestamp < end:
            continue
        index = int((sample.timestamp - origin).total_seconds() // period)
        bucket = buckets.get(index)
        if bucket is None:
            bucket_start = origin + timedelta(seconds=index * period)
            bucket = buckets[index] = Bucket(start=bucket_start, unit=sample.unit)
        bucket.add(sample)
    return [buckets[index] for index in sorted(buckets)]


def check_extended_statistics(statistics: Sequence[str]) -> None:
    for statistic in statistics:
        if percentile_rank(statistic) is None:
            raise InvalidParameterValue(
                f"The value {statistic} for parameter ExtendedStatistics is not supported."
            )
