"""Security configurations: named JSON documents, stored per account and region.

They are stored and returned verbatim; nothing enforces them yet (encryption, Kerberos and
EMRFS authorization arrive with the clusters that would use them).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from emr.services.emr.errors import InvalidRequestException
from emr.services.emr.markers import decode_marker, encode_marker
from emr.services.provider import CallContext, operation
from emr.state import Database
from emr.state.schema import SecurityConfigurationRow

__all__ = [
    "MAX_NAME_LENGTH",
    "PAGE_SIZE",
    "SecurityConfigurationOperations",
    "check_security_configuration",
]

#: ListSecurityConfigurations returns at most this many per call (EMR's documented page).
PAGE_SIZE = 50
#: Longest name stored (the model allows 10280 characters; see the provider's LIMITATIONS).
MAX_NAME_LENGTH = 256
_LISTING = "ListSecurityConfigurations"


def check_security_configuration(name: str, document: str) -> None:
    """Refuse an empty or overlong name, and a document that is not one JSON object."""
    if not 0 < len(name) <= MAX_NAME_LENGTH:
        raise InvalidRequestException(
            f"Security configuration name must be between 1 and {MAX_NAME_LENGTH} characters."
        )
    try:
        parsed = json.loads(document)
    except (ValueError, RecursionError) as exc:
        where = (
            f" at line {exc.lineno} column {exc.colno}"
            if isinstance(exc, json.JSONDecodeError)
            else ""
        )
        raise InvalidRequestException(
            f"Invalid security configuration; the document is not valid JSON{where}."
        ) from None
    if not isinstance(parsed, dict):
        raise InvalidRequestException(
            "Invalid security configuration; the document must be a JSON object."
        )


def _not_found(name: str) -> InvalidRequestException:
    return InvalidRequestException(f"Security configuration with name '{name}' does not exist.")


def _find(session: Session, context: CallContext, name: str) -> SecurityConfigurationRow | None:
    return session.scalars(
        select(SecurityConfigurationRow).where(
            SecurityConfigurationRow.account_id == context.account_id,
            SecurityConfigurationRow.region == context.region,
            SecurityConfigurationRow.name == name,
        )
    ).first()


def _duplicate(name: str) -> InvalidRequestException:
    return InvalidRequestException(f"SecurityConfiguration with name '{name}' already exists.")


class SecurityConfigurationOperations:
    """Create/Describe/List/DeleteSecurityConfiguration over the control-plane database."""

    _database: Database

    @operation("CreateSecurityConfiguration")
    def create_security_configuration(
        self, context: CallContext, *, Name: str, SecurityConfiguration: str, **_: Any
    ) -> dict[str, Any]:
        check_security_configuration(Name, SecurityConfiguration)
        row = SecurityConfigurationRow(
            account_id=context.account_id,
            region=context.region,
            name=Name,
            configuration=SecurityConfiguration,
            created_at=datetime.now(UTC),
        )
        try:
            with self._database.session() as session:
                if _find(session, context, Name) is not None:
                    raise _duplicate(Name)
                session.add(row)
        except IntegrityError:  # created concurrently, between the check and the insert
            raise _duplicate(Name) from None
        return {"Name": Name, "CreationDateTime": row.created_at}

    @operation("DescribeSecurityConfiguration")
    def describe_security_configuration(
        self, context: CallContext, *, Name: str, **_: Any
    ) -> dict[str, Any]:
        with self._database.session() as session:
            row = _find(session, context, Name)
            if row is None:
                raise _not_found(Name)
            return {
                "Name": row.name,
                "SecurityConfiguration": row.configuration,
                "CreationDateTime": row.created_at,
            }

    @operation("ListSecurityConfigurations")
    def list_security_configurations(
        self, context: CallContext, *, Marker: str | None = None, **_: Any
    ) -> dict[str, Any]:
        query = (
            select(SecurityConfigurationRow)
            .where(
                SecurityConfigurationRow.account_id == context.account_id,
                SecurityConfigurationRow.region == context.region,
            )
            .order_by(SecurityConfigurationRow.id.desc())
            .limit(PAGE_SIZE + 1)
        )
        if Marker is not None:
            query = query.where(SecurityConfigurationRow.id < decode_marker(_LISTING, Marker))
        with self._database.session() as session:
            rows = list(session.scalars(query))
        page = rows[:PAGE_SIZE]
        out: dict[str, Any] = {
            "SecurityConfigurations": [
                {"Name": row.name, "CreationDateTime": row.created_at} for row in page
            ]
        }
        if len(rows) > PAGE_SIZE:
            out["Marker"] = encode_marker(_LISTING, page[-1].id)
        return out

    @operation("DeleteSecurityConfiguration")
    def delete_security_configuration(
        self, context: CallContext, *, Name: str, **_: Any
    ) -> dict[str, Any]:
        with self._database.session() as session:
            row = _find(session, context, Name)
            if row is None:
                raise _not_found(Name)
            session.delete(row)
        return {}
