"""The EMR operations answered from the release and instance-type catalogs (no state)."""

from __future__ import annotations

from typing import Any

from emr.services.emr import instance_types, releases
from emr.services.provider import CallContext, operation

__all__ = ["ReleaseOperations"]


class ReleaseOperations:
    """ListReleaseLabels, DescribeReleaseLabel and ListSupportedInstanceTypes."""

    @operation("ListReleaseLabels")
    def list_release_labels(
        self,
        context: CallContext,
        *,
        Filters: dict[str, Any] | None = None,
        NextToken: str | None = None,
        MaxResults: int | None = None,
        **_: Any,
    ) -> dict[str, Any]:
        filters = Filters or {}
        return releases.list_release_labels(
            prefix=filters.get("Prefix"),
            application=filters.get("Application"),
            next_token=NextToken,
            max_results=MaxResults,
        )

    @operation("DescribeReleaseLabel")
    def describe_release_label(
        self,
        context: CallContext,
        *,
        ReleaseLabel: str | None = None,
        NextToken: str | None = None,
        MaxResults: int | None = None,
        **_: Any,
    ) -> dict[str, Any]:
        return releases.describe_release_label(
            ReleaseLabel, next_token=NextToken, max_results=MaxResults
        )

    @operation("ListSupportedInstanceTypes")
    def list_supported_instance_types(
        self, context: CallContext, *, ReleaseLabel: str, Marker: str | None = None, **_: Any
    ) -> dict[str, Any]:
        label = releases.parse_release_label(ReleaseLabel)
        page = releases.paginate(
            f"ListSupportedInstanceTypes/{label}",
            instance_types.supported_instance_types(),
            Marker,
            None,
        )
        out: dict[str, Any] = {
            "SupportedInstanceTypes": [t.to_supported_instance_type() for t in page.items]
        }
        if page.next_token:
            out["Marker"] = page.next_token
        return out
