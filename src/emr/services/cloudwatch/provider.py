"""CloudWatch metrics: PutMetricData, ListMetrics, GetMetricStatistics, GetMetricData.

Served in the three protocols CloudWatch's model declares (smithy-rpc-v2-cbor, json, query);
the gateway picks by the request. Raw samples are kept; every statistic is computed at query
time from them (fine at a single region's scale: no roll-ups, no retention schedule).

LIMITATIONS (where this differs from AWS):
- Only the metric operations; alarms, dashboards, insight rules, metric streams, anomaly
  detectors and tags answer 501 NotImplemented.
- Namespaces beginning with `AWS/` are accepted (CloudWatch refuses them from callers): the
  region's own services publish there, e.g. EMR's AWS/ElasticMapReduce.
- Data points are kept forever (no 15-month retention, no downsampling of old data);
  high-resolution data (StorageResolution 1) is queryable at any period, also after 3 hours.
- Percentiles are exact nearest-rank over the raw values (CloudWatch approximates); a period
  holding a statistic set with SampleCount > 1 and Minimum < Maximum has no percentiles.
  Only `pNN` extended statistics; trimmed means and the like (tm, wm, tc, ts, PR) are refused.
- A period mixing units answers the first sample's unit; without a Unit filter samples of
  every unit are aggregated together.
- GetMetricData: MetricStat queries only — an Expression (metric math, Metrics Insights) is
  refused with InvalidParameterValue; MaxDatapoints and LabelOptions are ignored (every value
  in one page, no NextToken); the default Label is the metric name.
- EntityMetricData's entities are not kept; their MetricData is stored like MetricData.
- ListMetrics pages 500 by creation order; IncludeLinkedAccounts/OwningAccount are ignored.
- Several messages for which CloudWatch's wording is unknown are ours (duplicate dimension
  names, StorageResolution, StatisticValues consistency, query ids, the period rule).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

from emr.services.cloudwatch.errors import (
    InvalidNextToken,
    InvalidParameterCombination,
    InvalidParameterValue,
)
from emr.services.cloudwatch.metrics import MetricKey, parse_dimensions, parse_metric_data
from emr.services.cloudwatch.queries import metric_result, parse_queries
from emr.services.cloudwatch.statistics import (
    aggregate,
    check_datapoint_limit,
    check_extended_statistics,
    check_period,
    check_time_range,
    statistic_value,
)
from emr.services.cloudwatch.store import MetricFilter, MetricStore
from emr.services.provider import CallContext, Provider, operation
from emr.state import Database

__all__ = ["LIST_PAGE_SIZE", "CloudWatchProvider"]

#: ListMetrics returns at most this many metrics per call (CloudWatch's page).
LIST_PAGE_SIZE = 500
_RECENTLY_ACTIVE = {"PT3H": timedelta(hours=3)}
_LISTING = "ListMetrics"


class CloudWatchProvider(Provider):
    """The CloudWatch metric operations, over the control-plane database."""

    service_name: ClassVar[str] = "cloudwatch"

    def __init__(
        self, database: Database, *, clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    ) -> None:
        self._store = MetricStore(database)
        self._clock = clock

    @operation("PutMetricData")
    def put_metric_data(
        self,
        context: CallContext,
        Namespace: str,
        MetricData: Sequence[Mapping[str, Any]] | None = None,
        EntityMetricData: Sequence[Mapping[str, Any]] | None = None,
        **_: Any,
    ) -> None:
        items = [*(MetricData or ())]
        for entity in EntityMetricData or ():
            items.extend(entity.get("MetricData") or ())
        now = self._clock()
        data = parse_metric_data(Namespace, items, now=now)
        self._store.put(context.account_id, context.region, data, now=now)

    @operation("ListMetrics")
    def list_metrics(
        self,
        context: CallContext,
        Namespace: str | None = None,
        MetricName: str | None = None,
        Dimensions: Sequence[Mapping[str, Any]] | None = None,
        NextToken: str | None = None,
        RecentlyActive: str | None = None,
        **_: Any,
    ) -> dict[str, Any]:
        where = MetricFilter(
            namespace=Namespace,
            metric_name=MetricName,
            dimensions=tuple((str(d["Name"]), d.get("Value")) for d in Dimensions or ()),
            active_since=None
            if RecentlyActive is None
            else self._clock() - _RECENTLY_ACTIVE[RecentlyActive],
        )
        after = 0 if NextToken is None else _decode_token(NextToken)
        found, resume = self._store.list_metrics(
            context.account_id, context.region, where, after_id=after, limit=LIST_PAGE_SIZE
        )
        result: dict[str, Any] = {"Metrics": [_metric(key) for key in found]}
        if resume is not None:
            result["NextToken"] = _encode_token(resume)
        return result

    @operation("GetMetricStatistics")
    def get_metric_statistics(
        self,
        context: CallContext,
        Namespace: str,
        MetricName: str,
        StartTime: datetime,
        EndTime: datetime,
        Period: int,
        Dimensions: Sequence[Mapping[str, Any]] | None = None,
        Statistics: Sequence[str] | None = None,
        ExtendedStatistics: Sequence[str] | None = None,
        Unit: str | None = None,
        **_: Any,
    ) -> dict[str, Any]:
        if Statistics and ExtendedStatistics:
            raise InvalidParameterCombination(
                "The parameters Statistics and ExtendedStatistics are mutually exclusive and "
                "you have specified both."
            )
        if not Statistics and not ExtendedStatistics:
            raise InvalidParameterCombination(
                "Must specify either Statistics or ExtendedStatistics."
            )
        check_extended_statistics(ExtendedStatistics or ())
        check_period(Period)
        check_time_range(StartTime, EndTime)
        check_datapoint_limit(StartTime, EndTime, Period)
        key = MetricKey(Namespace, MetricName, parse_dimensions(Dimensions, "Dimensions"))
        samples = self._store.samples(
            context.account_id, context.region, key, start=StartTime, end=EndTime, unit=Unit
        )
        datapoints: list[dict[str, Any]] = []
        for bucket in aggregate(samples, start=StartTime, end=EndTime, period=Period):
            point: dict[str, Any] = {"Timestamp": bucket.start, "Unit": Unit or bucket.unit}
            for statistic in Statistics or ():
                point[statistic] = statistic_value(bucket, statistic)
            extended = {
                name: value
                for name in ExtendedStatistics or ()
                if (value := statistic_value(bucket, name)) is not None
            }
            if ExtendedStatistics:
                point["ExtendedStatistics"] = extended
            datapoints.append(point)
        return {"Label": MetricName, "Datapoints": datapoints}

    @operation("GetMetricData")
    def get_metric_data(
        self,
        context: CallContext,
        MetricDataQueries: Sequence[Mapping[str, Any]],
        StartTime: datetime,
        EndTime: datetime,
        NextToken: str | None = None,
        ScanBy: str | None = None,
        **_: Any,
    ) -> dict[str, Any]:
        if NextToken is not None:
            raise InvalidNextToken("The service returned an invalid NextToken.")
        queries = parse_queries(MetricDataQueries)
        check_time_range(StartTime, EndTime)
        results = []
        for query in queries:
            if not query.return_data:
                continue
            samples = self._store.samples(
                context.account_id,
                context.region,
                query.key,
                start=StartTime,
                end=EndTime,
                unit=query.unit,
            )
            results.append(
                metric_result(
                    query,
                    samples,
                    start=StartTime,
                    end=EndTime,
                    descending=ScanBy != "TimestampAscending",
                )
            )
        return {"MetricDataResults": results, "Messages": []}


def _metric(key: MetricKey) -> dict[str, Any]:
    return {"Namespace": key.namespace, "MetricName": key.name, "Dimensions": key.api_dimensions()}


def _encode_token(metric_id: int) -> str:
    return base64.urlsafe_b64encode(f"{_LISTING}:{metric_id}".encode()).decode()


def _decode_token(token: str) -> int:
    try:
        kind, _, position = base64.urlsafe_b64decode(token.encode()).decode().rpartition(":")
        metric_id = int(position)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        metric_id = -1
        kind = ""
    if kind != _LISTING or metric_id < 0:
        raise InvalidParameterValue(f"The value {token} for parameter NextToken is invalid.")
    return metric_id
