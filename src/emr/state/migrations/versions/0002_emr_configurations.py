"""EMR security configurations and block public access configurations.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"


def upgrade() -> None:
    op.create_table(
        "emr_security_configurations",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("account_id", sa.String(12), nullable=False),
        sa.Column("region", sa.String(64), nullable=False),
        sa.Column("name", sa.String(256), nullable=False),
        sa.Column("configuration", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("account_id", "region", "name"),
    )
    op.create_table(
        "emr_block_public_access",
        sa.Column("account_id", sa.String(12), primary_key=True),
        sa.Column("region", sa.String(64), primary_key=True),
        sa.Column("block_public_security_group_rules", sa.Boolean, nullable=False),
        sa.Column("permitted_ranges", sa.JSON, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_arn", sa.String(2048), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("emr_block_public_access")
    op.drop_table("emr_security_configurations")
