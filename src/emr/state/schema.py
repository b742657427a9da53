"""Tables of the control-plane database. Every change here comes with a migration."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, Dialect, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

__all__ = [
    "AccessKeyRow",
    "Base",
    "BlockPublicAccessRow",
    "SecurityConfigurationRow",
    "UtcDateTime",
]


class UtcDateTime(TypeDecorator[datetime]):
    """A timestamp read back as an aware UTC datetime on every backend (SQLite keeps no zone;
    every timestamp is written in UTC)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None or value.tzinfo is None:
            return value
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None or value.tzinfo is not None:
            return value
        return value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    """Declarative base of every table."""


class AccessKeyRow(Base):
    """An access key and the principal it authenticates as.

    The root key of an account has `principal_arn = arn:aws:iam::<account>:root`; IAM users,
    roles' session keys and cluster keys are rows of the same table with their own ARNs.
    """

    __tablename__ = "access_keys"

    access_key_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    secret_access_key: Mapped[str] = mapped_column(String(128))
    account_id: Mapped[str] = mapped_column(String(12), index=True)
    principal_arn: Mapped[str] = mapped_column(String(2048))
    principal_id: Mapped[str] = mapped_column(String(128))
    status: Mapped[str] = mapped_column(String(16), default="Active")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class SecurityConfigurationRow(Base):
    """An EMR security configuration of one account in one region (its JSON kept verbatim).

    `id` grows with every creation, so ListSecurityConfigurations pages newest first by it.
    """

    __tablename__ = "emr_security_configurations"
    __table_args__ = (UniqueConstraint("account_id", "region", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(String(12))
    region: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(256))
    configuration: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class BlockPublicAccessRow(Base):
    """EMR's block public access configuration of one account in one region."""

    __tablename__ = "emr_block_public_access"

    account_id: Mapped[str] = mapped_column(String(12), primary_key=True)
    region: Mapped[str] = mapped_column(String(64), primary_key=True)
    block_public_security_group_rules: Mapped[bool] = mapped_column(Boolean)
    #: PermittedPublicSecurityGroupRuleRanges as the API spells it: [{"MinRange", "MaxRange"}].
    permitted_ranges: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    created_by_arn: Mapped[str] = mapped_column(String(2048))
