"""EMR clusters, instance groups and fleets, instances and steps.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "emr_clusters",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("account_id", sa.String(12), nullable=False, index=True),
        sa.Column("region", sa.String(64), nullable=False),
        sa.Column("name", sa.String(256), nullable=False),
        sa.Column("state", sa.String(32), nullable=False, index=True),
        sa.Column("state_code", sa.String(32)),
        sa.Column("state_message", sa.Text, nullable=False),
        sa.Column("created_at", _TS, nullable=False, index=True),
        sa.Column("ready_at", _TS),
        sa.Column("ended_at", _TS),
        sa.Column("release_label", sa.String(64), nullable=False),
        sa.Column("log_uri", sa.String(1024)),
        sa.Column("service_role", sa.String(2048)),
        sa.Column("job_flow_role", sa.String(2048)),
        sa.Column("security_configuration", sa.String(256)),
        sa.Column("instance_collection_type", sa.String(16), nullable=False),
        sa.Column("keep_alive", sa.Boolean, nullable=False),
        sa.Column("termination_protected", sa.Boolean, nullable=False),
        sa.Column("step_concurrency_level", sa.Integer, nullable=False),
        sa.Column("idle_timeout_seconds", sa.Integer),
        sa.Column("visible_to_all_users", sa.Boolean, nullable=False),
        sa.Column("applications", sa.JSON, nullable=False),
        sa.Column("configurations", sa.JSON, nullable=False),
        sa.Column("bootstrap_actions", sa.JSON, nullable=False),
        sa.Column("tags", sa.JSON, nullable=False),
        sa.Column("ec2_attributes", sa.JSON, nullable=False),
        sa.Column("extra", sa.JSON, nullable=False),
        sa.Column("network", sa.String(64)),
        sa.Column("access_key_id", sa.String(128)),
        sa.Column("agent_token", sa.String(128), nullable=False),
        sa.Column("master_private_ip", sa.String(64)),
        sa.Column("normalized_instance_hours", sa.Integer, nullable=False),
    )
    op.create_table(
        "emr_instance_groups",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column(
            "cluster_id",
            sa.String(32),
            sa.ForeignKey("emr_clusters.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("role", sa.String(8), nullable=False),
        sa.Column("name", sa.String(256)),
        sa.Column("market", sa.String(16), nullable=False),
        sa.Column("instance_type", sa.String(64), nullable=False),
        sa.Column("requested_count", sa.Integer, nullable=False),
        sa.Column("spec", sa.JSON, nullable=False),
        sa.Column("ever_running", sa.Boolean, nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("ready_at", _TS),
        sa.Column("ended_at", _TS),
    )
    op.create_table(
        "emr_instances",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column(
            "cluster_id",
            sa.String(32),
            sa.ForeignKey("emr_clusters.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column(
            "group_id",
            sa.String(32),
            sa.ForeignKey("emr_instance_groups.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("role", sa.String(8), nullable=False),
        sa.Column("instance_type", sa.String(64), nullable=False),
        sa.Column("market", sa.String(16), nullable=False),
        sa.Column("state", sa.String(32), nullable=False),
        sa.Column("state_code", sa.String(32)),
        sa.Column("state_message", sa.Text, nullable=False),
        sa.Column("private_ip", sa.String(64)),
        sa.Column("pid", sa.Integer),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("ready_at", _TS),
        sa.Column("ended_at", _TS),
    )
    op.create_table(
        "emr_steps",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column(
            "cluster_id",
            sa.String(32),
            sa.ForeignKey("emr_clusters.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("name", sa.String(256), nullable=False),
        sa.Column("action_on_failure", sa.String(32), nullable=False),
        sa.Column("jar", sa.Text, nullable=False),
        sa.Column("main_class", sa.Text),
        sa.Column("args", sa.JSON, nullable=False),
        sa.Column("properties", sa.JSON, nullable=False),
        sa.Column("state", sa.String(32), nullable=False),
        sa.Column("state_message", sa.Text),
        sa.Column("failure", sa.JSON),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("started_at", _TS),
        sa.Column("ended_at", _TS),
        sa.UniqueConstraint("cluster_id", "position"),
    )


def downgrade() -> None:
    op.drop_table("emr_steps")
    op.drop_table("emr_instances")
    op.drop_table("emr_instance_groups")
    op.drop_table("emr_clusters")
