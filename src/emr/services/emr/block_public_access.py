"""Block public access: which ports a cluster's security groups may open to the world.

Stored per account and region, never enforced: clusters here get no security groups.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Final

from sqlalchemy.exc import IntegrityError

from emr.services.emr.errors import InvalidRequestException
from emr.services.provider import CallContext, operation
from emr.state import Database
from emr.state.schema import BlockPublicAccessRow

__all__ = ["DEFAULT_PERMITTED_RANGES", "BlockPublicAccessOperations", "check_port_ranges"]

#: EMR's default: public rules are blocked except for SSH.
DEFAULT_PERMITTED_RANGES: Final = ({"MinRange": 22, "MaxRange": 22},)
_MAX_PORT = 65535


def check_port_ranges(ranges: list[dict[str, Any]]) -> list[dict[str, int]]:
    """The ranges as stored (MaxRange kept only when given); InvalidRequestException for a
    port outside 0-65535 or a range whose MinRange exceeds its MaxRange."""
    checked: list[dict[str, int]] = []
    for port_range in ranges:
        low = int(port_range["MinRange"])
        high = port_range.get("MaxRange")
        if not 0 <= low <= _MAX_PORT or (high is not None and not 0 <= high <= _MAX_PORT):
            raise InvalidRequestException(
                f"Invalid port range: ports must be between 0 and {_MAX_PORT}."
            )
        if high is not None and low > high:
            raise InvalidRequestException(
                f"Invalid port range: MinRange {low} is greater than MaxRange {high}."
            )
        checked.append({"MinRange": low} if high is None else {"MinRange": low, "MaxRange": high})
    return checked


class BlockPublicAccessOperations:
    """Get/PutBlockPublicAccessConfiguration over the control-plane database."""

    _database: Database

    @operation("GetBlockPublicAccessConfiguration")
    def get_block_public_access_configuration(
        self, context: CallContext, **_: Any
    ) -> dict[str, Any]:
        row = self._read(context) or self._write_default(context)
        configuration: dict[str, Any] = {
            "BlockPublicSecurityGroupRules": row.block_public_security_group_rules,
            "PermittedPublicSecurityGroupRuleRanges": list(row.permitted_ranges),
        }
        return {
            "BlockPublicAccessConfiguration": configuration,
            "BlockPublicAccessConfigurationMetadata": {
                "CreationDateTime": row.created_at,
                "CreatedByArn": row.created_by_arn,
            },
        }

    @operation("PutBlockPublicAccessConfiguration")
    def put_block_public_access_configuration(
        self, context: CallContext, *, BlockPublicAccessConfiguration: dict[str, Any], **_: Any
    ) -> dict[str, Any]:
        ranges = check_port_ranges(
            BlockPublicAccessConfiguration.get("PermittedPublicSecurityGroupRuleRanges") or []
        )
        block = bool(BlockPublicAccessConfiguration["BlockPublicSecurityGroupRules"])
        now = datetime.now(UTC)

        def put(row: BlockPublicAccessRow) -> None:
            row.block_public_security_group_rules = block
            row.permitted_ranges = ranges
            row.created_at = now
            row.created_by_arn = context.principal.arn

        self._upsert(context, put)
        return {}

    def _read(self, context: CallContext) -> BlockPublicAccessRow | None:
        with self._database.session() as session:
            return session.get(BlockPublicAccessRow, (context.account_id, context.region))

    def _write_default(self, context: CallContext) -> BlockPublicAccessRow:
        # Written on first read so the default's CreationDateTime stays the same afterwards.
        row = BlockPublicAccessRow(
            account_id=context.account_id,
            region=context.region,
            block_public_security_group_rules=True,
            permitted_ranges=[dict(r) for r in DEFAULT_PERMITTED_RANGES],
            created_at=datetime.now(UTC),
            created_by_arn=f"arn:aws:iam::{context.account_id}:root",
        )
        try:
            with self._database.session() as session:
                session.add(row)
        except IntegrityError:  # another request wrote it first
            existing = self._read(context)
            assert existing is not None
            return existing
        return row

    def _upsert(self, context: CallContext, put: Callable[[BlockPublicAccessRow], None]) -> None:
        for attempt in range(2):
            try:
                with self._database.session() as session:
                    key = (context.account_id, context.region)
                    row = session.get(BlockPublicAccessRow, key)
                    if row is None:
                        row = BlockPublicAccessRow(
                            account_id=context.account_id, region=context.region
                        )
                        session.add(row)
                    put(row)
                return
            except IntegrityError:  # inserted concurrently: the second attempt updates it
                if attempt:
                    raise
