"""CloudWatch's metrics and raw data points in the control-plane database.

Two tables (migration 0004): `cloudwatch_metrics` (one row per account, region, namespace,
name and dimension set; `last_put_at` answers RecentlyActive) and `cloudwatch_datapoints`
(every published sample, kept raw; statistics are computed when asked). The row classes sit
on the shared declarative `Base`, so alembic's metadata sees them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Index, Integer, String, UniqueConstraint, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from emr.services.cloudwatch.metrics import Datum, MetricKey, Sample
from emr.state import Database
from emr.state.schema import Base, UtcDateTime

__all__ = ["DatapointRow", "MetricFilter", "MetricRow", "MetricStore"]


class MetricRow(Base):
    """A metric of one account in one region; `dimensions` as [[name, value], …] sorted."""

    __tablename__ = "cloudwatch_metrics"
    __table_args__ = (
        UniqueConstraint("account_id", "region", "namespace", "metric_name", "dimensions_hash"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(String(12))
    region: Mapped[str] = mapped_column(String(64))
    namespace: Mapped[str] = mapped_column(String(255))
    metric_name: Mapped[str] = mapped_column(String(255))
    dimensions_hash: Mapped[str] = mapped_column(String(64))
    dimensions: Mapped[list[list[str]]] = mapped_column(JSON)
    last_put_at: Mapped[datetime] = mapped_column(UtcDateTime)


class DatapointRow(Base):
    """One published sample; `value_counts` holds its raw [value, count] pairs when known."""

    __tablename__ = "cloudwatch_datapoints"
    __table_args__ = (Index("ix_cloudwatch_datapoints_metric_time", "metric_id", "timestamp"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    metric_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("cloudwatch_metrics.id", ondelete="CASCADE")
    )
    timestamp: Mapped[datetime] = mapped_column(UtcDateTime)
    unit: Mapped[str] = mapped_column(String(32))
    storage_resolution: Mapped[int] = mapped_column(Integer)
    sample_count: Mapped[float] = mapped_column(Float)
    sum: Mapped[float] = mapped_column(Float)
    minimum: Mapped[float] = mapped_column(Float)
    maximum: Mapped[float] = mapped_column(Float)
    value_counts: Mapped[list[list[float]] | None] = mapped_column(JSON, nullable=True)


@dataclass(frozen=True)
class MetricFilter:
    """ListMetrics' filters; a dimension filter without a value matches any value."""

    namespace: str | None = None
    metric_name: str | None = None
    dimensions: tuple[tuple[str, str | None], ...] = ()
    active_since: datetime | None = None

    def matches(self, key: MetricKey) -> bool:
        present = dict(key.dimensions)
        return all(
            name in present and (value is None or present[name] == value)
            for name, value in self.dimensions
        )


class MetricStore:
    """Metrics and samples per account and region."""

    def __init__(self, database: Database) -> None:
        self._database = database

    def put(self, account_id: str, region: str, data: Sequence[Datum], *, now: datetime) -> None:
        """Store the samples of one PutMetricData call in one transaction."""
        try:
            self._put(account_id, region, data, now)
        except IntegrityError:
            # A concurrent call created one of the same metrics first; now it exists.
            self._put(account_id, region, data, now)

    def _put(self, account_id: str, region: str, data: Sequence[Datum], now: datetime) -> None:
        with self._database.session() as session:
            ids: dict[MetricKey, int] = {}
            for datum in data:
                if datum.key not in ids:
                    ids[datum.key] = self._metric_id(session, account_id, region, datum.key, now)
                sample = datum.sample
                session.add(
                    DatapointRow(
                        metric_id=ids[datum.key],
                        timestamp=sample.timestamp,
                        unit=sample.unit,
                        storage_resolution=sample.storage_resolution,
                        sample_count=sample.sample_count,
                        sum=sample.sum,
                        minimum=sample.minimum,
                        maximum=sample.maximum,
                        value_counts=None
                        if sample.values is None
                        else [[v, c] for v, c in sample.values],
                    )
                )

    @staticmethod
    def _metric_id(
        session: Session, account_id: str, region: str, key: MetricKey, now: datetime
    ) -> int:
        row = session.scalars(
            select(MetricRow).where(
                MetricRow.account_id == account_id,
                MetricRow.region == region,
                MetricRow.namespace == key.namespace,
                MetricRow.metric_name == key.name,
                MetricRow.dimensions_hash == key.dimensions_hash,
            )
        ).one_or_none()
        if row is None:
            row = MetricRow(
                account_id=account_id,
                region=region,
                namespace=key.namespace,
                metric_name=key.name,
                dimensions_hash=key.dimensions_hash,
                dimensions=[list(pair) for pair in key.dimensions],
                last_put_at=now,
            )
            session.add(row)
            session.flush()
        elif row.last_put_at < now:
            row.last_put_at = now
        return row.id

    def list_metrics(
        self, account_id: str, region: str, where: MetricFilter, *, after_id: int, limit: int
    ) -> tuple[list[MetricKey], int | None]:
        """Metrics matching `where` with ids above `after_id`, and the id to resume after."""
        query = select(MetricRow).where(
            MetricRow.account_id == account_id,
            MetricRow.region == region,
            MetricRow.id > after_id,
        )
        if where.namespace is not None:
            query = query.where(MetricRow.namespace == where.namespace)
        if where.metric_name is not None:
            query = query.where(MetricRow.metric_name == where.metric_name)
        if where.active_since is not None:
            query = query.where(MetricRow.last_put_at >= where.active_since)
        found: list[MetricKey] = []
        last_id = after_id
        with self._database.session() as session:
            for row in session.scalars(query.order_by(MetricRow.id)):
                key = _key(row)
                if not where.matches(key):
                    continue
                if len(found) == limit:
                    return found, last_id
                found.append(key)
                last_id = row.id
        return found, None

    def samples(
        self,
        account_id: str,
        region: str,
        key: MetricKey,
        *,
        start: datetime,
        end: datetime,
        unit: str | None = None,
    ) -> list[Sample]:
        """The samples of one metric (exact dimension set) in [start, end)."""
        query = (
            select(DatapointRow)
            .join(MetricRow, MetricRow.id == DatapointRow.metric_id)
            .where(
                MetricRow.account_id == account_id,
                MetricRow.region == region,
                MetricRow.namespace == key.namespace,
                MetricRow.metric_name == key.name,
                MetricRow.dimensions_hash == key.dimensions_hash,
                DatapointRow.timestamp >= start,
                DatapointRow.timestamp < end,
            )
        )
        if unit is not None:
            query = query.where(DatapointRow.unit == unit)
        with self._database.session() as session:
            return [_sample(row) for row in session.scalars(query.order_by(DatapointRow.id))]


def _key(row: MetricRow) -> MetricKey:
    return MetricKey(
        namespace=row.namespace,
        name=row.metric_name,
        dimensions=tuple((str(name), str(value)) for name, value in row.dimensions),
    )


def _sample(row: DatapointRow) -> Sample:
    raw: Any = row.value_counts
    return Sample(
        timestamp=row.timestamp,
        unit=row.unit,
        storage_resolution=row.storage_resolution,
        sample_count=row.sample_count,
        sum=row.sum,
        minimum=row.minimum,
        maximum=row.maximum,
        values=None if raw is None else tuple((float(v), float(c)) for v, c in raw),
    )
