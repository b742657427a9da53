"""The access-key store, backed by the control-plane database."""

from __future__ import annotations

import secrets
import string
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select

from emr.state import Database
from emr.state.schema import AccessKeyRow

__all__ = ["AccessKeyStore", "Principal", "SigningIdentity"]

_CACHE_ENTRIES = 4096
_KEY_ALPHABET = string.ascii_uppercase + string.digits
_SECRET_ALPHABET = string.ascii_letters + string.digits + "+/"


@dataclass(frozen=True)
class Principal:
    """An authenticated caller, as STS GetCallerIdentity describes it."""

    account_id: str
    arn: str
    user_id: str


@dataclass(frozen=True)
class SigningIdentity:
    """An active access key: its secret (for verification) and its principal."""

    access_key_id: str
    secret_access_key: str
    principal: Principal

    def __repr__(self) -> str:  # never let the secret reach a log line
        return f"SigningIdentity({self.access_key_id!r}, principal={self.principal!r})"


class AccessKeyStore:
    """Creates and looks up access keys.

    Every request looks its key up, so answers are cached for `cache_seconds` (a key revoked
    through another region server sharing the database stops working within that time; one
    revoked through this store stops at once).
    """

    def __init__(self, database: Database, *, cache_seconds: float = 10.0) -> None:
        self._database = database
        self._cache_seconds = cache_seconds
        self._cache: OrderedDict[str, tuple[float, SigningIdentity | None]] = OrderedDict()
        self._lock = threading.Lock()

    def lookup(self, access_key_id: str) -> SigningIdentity | None:
        """The active key with this id, or None."""
        now = time.monotonic()
        with self._lock:
            cached = self._cache.get(access_key_id)
            if cached is not None and cached[0] > now:
                self._cache.move_to_end(access_key_id)
                return cached[1]
        with self._database.session() as session:
            row = session.get(AccessKeyRow, access_key_id)
            found = None if row is None or row.status != "Active" else _identity(row)
        with self._lock:
            self._cache[access_key_id] = (now + self._cache_seconds, found)
            self._cache.move_to_end(access_key_id)
            while len(self._cache) > _CACHE_ENTRIES:
                self._cache.popitem(last=False)
        return found

    def forget(self, access_key_id: str) -> None:
        """Drop a cached answer (after a key is created, deactivated or deleted)."""
        with self._lock:
            self._cache.pop(access_key_id, None)

    def root_key(self, account_id: str) -> SigningIdentity | None:
        """The account's oldest active root key, if one exists."""
        arn = _root_arn(account_id)
        with self._database.session() as session:
            row = session.scalars(
                select(AccessKeyRow)
                .where(AccessKeyRow.principal_arn == arn, AccessKeyRow.status == "Active")
                .order_by(AccessKeyRow.created_at)
                .limit(1)
            ).first()
            return None if row is None else _identity(row)

    def ensure_root_key(self, account_id: str) -> SigningIdentity:
        """The account's root key, created on first use."""
        existing = self.root_key(account_id)
        if existing is not None:
            return existing
        principal = Principal(account_id=account_id, arn=_root_arn(account_id), user_id=account_id)
        return self.create_key(principal)

    def create_key(self, principal: Principal) -> SigningIdentity:
        """A new active key pair for `principal`."""
        row = AccessKeyRow(
            access_key_id="AKIA" + "".join(secrets.choice(_KEY_ALPHABET) for _ in range(16)),
            secret_access_key="".join(secrets.choice(_SECRET_ALPHABET) for _ in range(40)),
            account_id=principal.account_id,
            principal_arn=principal.arn,
            principal_id=principal.user_id,
            status="Active",
            created_at=datetime.now(UTC),
        )
        with self._database.session() as session:
            session.add(row)
        self.forget(row.access_key_id)
        return _identity(row)

    def delete_key(self, access_key_id: str) -> None:
        """Revoke a key at once (a cluster's key when the cluster ends)."""
        with self._database.session() as session:
            row = session.get(AccessKeyRow, access_key_id)
            if row is not None:
                session.delete(row)
        self.forget(access_key_id)


def _root_arn(account_id: str) -> str:
    return f"arn:aws:iam::{account_id}:root"


def _identity(row: AccessKeyRow) -> SigningIdentity:
    return SigningIdentity(
        access_key_id=row.access_key_id,
        secret_access_key=row.secret_access_key,
        principal=Principal(
            account_id=row.account_id, arn=row.principal_arn, user_id=row.principal_id
        ),
    )
