"""Tables of the control-plane database. Every change here comes with a migration."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

__all__ = ["AccessKeyRow", "Base"]


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
