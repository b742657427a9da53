"""MetricStore over a real (SQLite) control-plane database: metrics, samples, listing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from emr.services.cloudwatch.metrics import MetricKey, parse_metric_data
from emr.services.cloudwatch.store import MetricFilter, MetricStore
from emr.state import open_database

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def test_samples_round_trip_per_account_region_and_exact_dimensions(tmp_path: Path) -> None:
    database = open_database(f"sqlite:///{tmp_path / 'state.db'}")
    store = MetricStore(database)
    data = parse_metric_data(
        "AWS/ElasticMapReduce",
        [
            {"MetricName": "IsIdle", "Dimensions": [{"Name": "JobFlowId", "Value": "j-1"}],
             "Value": 1.0, "Unit": "None"},
            {"MetricName": "IsIdle", "Dimensions": [{"Name": "JobFlowId", "Value": "j-2"}],
             "Values": [0.0, 1.0], "Counts": [3, 1]},
            {"MetricName": "IsIdle", "Value": 0.5},
        ],
        now=NOW,
    )  # fmt: skip
    store.put("123456789012", "us-east-1", data, now=NOW)
    store.put("123456789012", "us-east-1", data[:1], now=NOW + timedelta(seconds=1))
    key = MetricKey("AWS/ElasticMapReduce", "IsIdle", (("JobFlowId", "j-2"),))
    window = {"start": NOW - timedelta(minutes=1), "end": NOW + timedelta(minutes=1)}
    [sample] = store.samples("123456789012", "us-east-1", key, **window)
    assert sample == data[1].sample
    assert store.samples("999999999999", "us-east-1", key, **window) == []
    assert store.samples("123456789012", "eu-west-1", key, **window) == []
    assert store.samples("123456789012", "us-east-1", key, unit="Count", **window) == []
    j1 = MetricKey("AWS/ElasticMapReduce", "IsIdle", (("JobFlowId", "j-1"),))
    assert len(store.samples("123456789012", "us-east-1", j1, **window)) == 2

    everything, resume = store.list_metrics(
        "123456789012", "us-east-1", MetricFilter(), after_id=0, limit=10
    )
    assert [k.dimensions for k in everything] == [
        (("JobFlowId", "j-1"),),
        (("JobFlowId", "j-2"),),
        (),
    ]
    assert resume is None
    page, resume = store.list_metrics(
        "123456789012",
        "us-east-1",
        MetricFilter(dimensions=(("JobFlowId", None),)),
        after_id=0,
        limit=1,
    )
    assert [k.dimensions for k in page] == [(("JobFlowId", "j-1"),)]
    assert resume is not None
    rest, resume = store.list_metrics(
        "123456789012",
        "us-east-1",
        MetricFilter(dimensions=(("JobFlowId", None),)),
        after_id=resume,
        limit=1,
    )
    assert [k.dimensions for k in rest] == [(("JobFlowId", "j-2"),)]
    assert resume is None
    recent, _ = store.list_metrics(
        "123456789012",
        "us-east-1",
        MetricFilter(active_since=NOW + timedelta(seconds=1)),
        after_id=0,
        limit=10,
    )
    assert recent == [j1]
    database.dispose()
