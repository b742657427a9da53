"""STS: who am I.

LIMITATIONS: only GetCallerIdentity so far; AssumeRole, GetSessionToken and federation
arrive with IAM.
"""

from __future__ import annotations

from typing import Any, ClassVar

from emr.services.provider import CallContext, Provider, operation

__all__ = ["StsProvider"]


class StsProvider(Provider):
    """The STS operations."""

    service_name: ClassVar[str] = "sts"

    @operation("GetCallerIdentity")
    def get_caller_identity(self, context: CallContext) -> dict[str, Any]:
        principal = context.principal
        return {"UserId": principal.user_id, "Account": principal.account_id, "Arn": principal.arn}
