"""CloudWatch metrics and their raw data points.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "cloudwatch_metrics",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("account_id", sa.String(12), nullable=False),
        sa.Column("region", sa.String(64), nullable=False),
        sa.Column("namespace", sa.String(255), nullable=False),
        sa.Column("metric_name", sa.String(255), nullable=False),
        sa.Column("dimensions_hash", sa.String(64), nullable=False),
        sa.Column("dimensions", sa.JSON, nullable=False),
        sa.Column("last_put_at", _TS, nullable=False),
        sa.UniqueConstraint("account_id", "region", "namespace", "metric_name", "dimensions_hash"),
    )
    op.create_table(
        "cloudwatch_datapoints",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "metric_id",
            sa.Integer,
            sa.ForeignKey("cloudwatch_metrics.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("timestamp", _TS, nullable=False),
        sa.Column("unit", sa.String(32), nullable=False),
        sa.Column("storage_resolution", sa.Integer, nullable=False),
        sa.Column("sample_count", sa.Float, nullable=False),
        sa.Column("sum", sa.Float, nullable=False),
        sa.Column("minimum", sa.Float, nullable=False),
        sa.Column("maximum", sa.Float, nullable=False),
        sa.Column("value_counts", sa.JSON),
    )
    op.create_index(
        "ix_cloudwatch_datapoints_metric_time",
        "cloudwatch_datapoints",
        ["metric_id", "timestamp"],
    )


def downgrade() -> None:
    op.drop_index("ix_cloudwatch_datapoints_metric_time", table_name="cloudwatch_datapoints")
    op.drop_table("cloudwatch_datapoints")
    op.drop_table("cloudwatch_metrics")
