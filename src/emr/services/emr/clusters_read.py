"""The operations that read clusters (and tag them): Describe*/List* over the rows RunJobFlow
stored and the supervisor keeps current, per account and region.

A cluster of another account or region does not exist for the caller: it is "not valid", as an
unknown id is. Listings of growing tables resume strictly after the last row of the previous
page (by creation time, then id), so clusters or instances that arrive between two pages are
neither repeated nor skipped; steps resume below the last position shown.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Final, TypeVar

from sqlalchemy import ColumnElement, Select, and_, case, or_, select
from sqlalchemy.orm import Session

from emr.services.emr import cluster_views as views
from emr.services.emr.cluster_lifecycle import ENDED_STATES
from emr.services.emr.cluster_spec import merge_tags
from emr.services.emr.errors import InvalidRequestException, ValidationException
from emr.services.emr.markers import (
    InvalidNextToken,
    decode_key_marker,
    decode_marker,
    encode_key_marker,
    encode_marker,
)
from emr.services.emr.releases import paginate
from emr.services.provider import CallContext, operation
from emr.state import Database
from emr.state.schema import ClusterRow, InstanceGroupRow, InstanceRow, StepRow

__all__ = [
    "DESCRIBE_JOB_FLOWS_LIMIT",
    "PAGE_SIZE",
    "ClusterReadOperations",
    "find_cluster",
    "not_valid",
]

#: ListClusters, ListSteps, ListInstances, … return at most this many per call (EMR's page).
PAGE_SIZE: Final = 50
#: DescribeJobFlows describes at most this many job flows, newest first (EMR's limit).
DESCRIBE_JOB_FLOWS_LIMIT: Final = 512
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_ROLE_RANK = case({"MASTER": 0, "CORE": 1, "TASK": 2}, value=InstanceRow.role, else_=3)

_FLEET_CLUSTER: Final = (
    "Instance fleets and instance groups are mutually exclusive. The EMR cluster specified in "
    "the request uses instance fleets. The ListInstanceGroups operation does not support "
    "clusters that use instance fleets. Use the ListInstanceFleets operation instead."
)
_GROUP_CLUSTER: Final = (
    "Instance fleets and instance groups are mutually exclusive. The EMR cluster specified in "
    "the request uses instance groups. The ListInstanceFleets operation does not support "
    "clusters that use instance groups. Use the ListInstanceGroups operation instead."
)


def not_valid(cluster_id: str) -> InvalidRequestException:
    """EMR's answer for a cluster id it does not know (DescribeCluster, ListSteps, AddTags…)."""
    return InvalidRequestException(f"Cluster id '{cluster_id}' is not valid.")


def find_cluster(session: Session, context: CallContext, cluster_id: str) -> ClusterRow:
    """The caller's cluster `cluster_id` (its account and region), or `not_valid`."""
    row = session.get(ClusterRow, cluster_id)
    if row is None or (row.account_id, row.region) != (context.account_id, context.region):
        raise not_valid(cluster_id)
    return row


# --- resuming after a row ---------------------------------------------------------------------


def _micros(moment: datetime) -> int:
    return (moment - _EPOCH) // timedelta(microseconds=1)


def _moment(micros: str) -> datetime:
    return _EPOCH + timedelta(microseconds=int(micros))


def _after(
    columns: Sequence[Any], values: Sequence[Any], *, descending: bool
) -> ColumnElement[bool]:
    """Rows strictly after `values` in the (lexicographic) order of `columns`."""
    clauses: list[ColumnElement[bool]] = []
    for n, (column, value) in enumerate(zip(columns, values, strict=True)):
        equal = [c == v for c, v in zip(columns[:n], values[:n], strict=True)]
        clauses.append(and_(*equal, column < value if descending else column > value))
    return or_(*clauses)


def _key_parts(listing: str, marker: str, count: int) -> list[str]:
    parts = decode_key_marker(listing, marker).split("/")
    if len(parts) != count or not parts[0].lstrip("-").isdigit():
        raise InvalidNextToken()
    return parts


class ClusterReadOperations:
    """DescribeCluster, ListClusters, DescribeJobFlows, the step, group, fleet, instance and
    bootstrap-action listings, AddTags/RemoveTags and GetAutoTerminationPolicy."""

    _database: Database

    # -- clusters

    @operation("DescribeCluster")
    def describe_cluster(self, context: CallContext, *, ClusterId: str, **_: Any) -> dict[str, Any]:
        with self._database.session() as session:
            return {"Cluster": views.cluster(find_cluster(session, context, ClusterId))}

    @operation("ListClusters")
    def list_clusters(
        self,
        context: CallContext,
        *,
        CreatedAfter: datetime | None = None,
        CreatedBefore: datetime | None = None,
        ClusterStates: Sequence[str] | None = None,
        Marker: str | None = None,
        **_: Any,
    ) -> dict[str, Any]:
        query = _clusters(context, CreatedAfter, CreatedBefore)
        if ClusterStates:
            query = query.where(ClusterRow.state.in_(ClusterStates))
        if Marker is not None:
            micros, cluster_id = _key_parts("ListClusters", Marker, 2)
            query = query.where(
                _after(
                    (ClusterRow.created_at, ClusterRow.id),
                    (_moment(micros), cluster_id),
                    descending=True,
                )
            )
        with self._database.session() as session:
            rows = list(session.scalars(query.limit(PAGE_SIZE + 1)))
        page = rows[:PAGE_SIZE]
        out: dict[str, Any] = {"Clusters": [views.cluster_summary(row) for row in page]}
        if len(rows) > PAGE_SIZE:
            last = page[-1]
            out["Marker"] = encode_key_marker(
                "ListClusters", f"{_micros(last.created_at)}/{last.id}"
            )
        return out

    @operation("DescribeJobFlows")
    def describe_job_flows(
        self,
        context: CallContext,
        *,
        CreatedAfter: datetime | None = None,
        CreatedBefore: datetime | None = None,
        JobFlowIds: Sequence[str] | None = None,
        JobFlowStates: Sequence[str] | None = None,
        **_: Any,
    ) -> dict[str, Any]:
        query = _clusters(context, CreatedAfter, CreatedBefore)
        if JobFlowIds:
            query = query.where(ClusterRow.id.in_(JobFlowIds))
        with self._database.session() as session:
            if JobFlowIds:
                known = session.scalars(
                    select(ClusterRow.id).where(
                        ClusterRow.account_id == context.account_id,
                        ClusterRow.region == context.region,
                        ClusterRow.id.in_(JobFlowIds),
                    )
                )
                if not set(JobFlowIds) <= set(known):
                    raise ValidationException("Specified job flow ID not valid.")
            rows = list(session.scalars(query.limit(DESCRIBE_JOB_FLOWS_LIMIT)))
            if JobFlowStates:
                rows = [row for row in rows if views.job_flow_state(row) in JobFlowStates]
            ids = [row.id for row in rows]
            groups = _by_cluster(
                session.scalars(
                    select(InstanceGroupRow).where(InstanceGroupRow.cluster_id.in_(ids))
                )
            )
            instances = _by_cluster(
                session.scalars(select(InstanceRow).where(InstanceRow.cluster_id.in_(ids)))
            )
            steps = _by_cluster(session.scalars(select(StepRow).where(StepRow.cluster_id.in_(ids))))
        return {
            "JobFlows": [
                views.job_flow_detail(
                    row, groups.get(row.id, []), instances.get(row.id, []), steps.get(row.id, [])
                )
                for row in rows
            ]
        }

    # -- steps

    @operation("ListSteps")
    def list_steps(
        self,
        context: CallContext,
        *,
        ClusterId: str,
        StepStates: Sequence[str] | None = None,
        StepIds: Sequence[str] | None = None,
        Marker: str | None = None,
        **_: Any,
    ) -> dict[str, Any]:
        listing = f"ListSteps/{ClusterId}"
        query = (
            select(StepRow)
            .where(StepRow.cluster_id == ClusterId)
            .order_by(StepRow.position.desc())
            .limit(PAGE_SIZE + 1)
        )
        if StepStates:
            query = query.where(StepRow.state.in_(StepStates))
        if StepIds:
            query = query.where(StepRow.id.in_(StepIds))
        if Marker is not None:
            query = query.where(StepRow.position < decode_marker(listing, Marker))
        with self._database.session() as session:
            find_cluster(session, context, ClusterId)
            rows = list(session.scalars(query))
        page = rows[:PAGE_SIZE]
        out: dict[str, Any] = {"Steps": [views.step_summary(row) for row in page]}
        if len(rows) > PAGE_SIZE:
            out["Marker"] = encode_marker(listing, page[-1].position)
        return out

    @operation("DescribeStep")
    def describe_step(
        self, context: CallContext, *, ClusterId: str, StepId: str, **_: Any
    ) -> dict[str, Any]:
        with self._database.session() as session:
            find_cluster(session, context, ClusterId)
            row = session.get(StepRow, StepId)
            if row is None or row.cluster_id != ClusterId:
                raise InvalidRequestException(f"Step id '{StepId}' is not valid.")
            return {"Step": views.step(row)}

    # -- instance groups, fleets, instances

    @operation("ListInstanceGroups")
    def list_instance_groups(
        self, context: CallContext, *, ClusterId: str, Marker: str | None = None, **_: Any
    ) -> dict[str, Any]:
        with self._database.session() as session:
            cluster = find_cluster(session, context, ClusterId)
            if cluster.instance_collection_type == "INSTANCE_FLEET":
                raise InvalidRequestException(_FLEET_CLUSTER)
            groups, instances = _collections(session, ClusterId)
        page = paginate(f"ListInstanceGroups/{ClusterId}", groups, Marker, PAGE_SIZE)
        out: dict[str, Any] = {
            "InstanceGroups": [
                views.instance_group(g, instances.get(g.id, []), cluster) for g in page.items
            ]
        }
        if page.next_token:
            out["Marker"] = page.next_token
        return out

    @operation("ListInstanceFleets")
    def list_instance_fleets(
        self, context: CallContext, *, ClusterId: str, Marker: str | None = None, **_: Any
    ) -> dict[str, Any]:
        with self._database.session() as session:
            cluster = find_cluster(session, context, ClusterId)
            if cluster.instance_collection_type != "INSTANCE_FLEET":
                raise InvalidRequestException(_GROUP_CLUSTER)
            fleets, instances = _collections(session, ClusterId)
        page = paginate(f"ListInstanceFleets/{ClusterId}", fleets, Marker, PAGE_SIZE)
        out: dict[str, Any] = {
            "InstanceFleets": [
                views.instance_fleet(f, instances.get(f.id, []), cluster) for f in page.items
            ]
        }
        if page.next_token:
            out["Marker"] = page.next_token
        return out

    @operation("ListInstances")
    def list_instances(
        self,
        context: CallContext,
        *,
        ClusterId: str,
        InstanceGroupId: str | None = None,
        InstanceGroupTypes: Sequence[str] | None = None,
        InstanceFleetId: str | None = None,
        InstanceFleetType: str | None = None,
        InstanceStates: Sequence[str] | None = None,
        Marker: str | None = None,
        **_: Any,
    ) -> dict[str, Any]:
        listing = f"ListInstances/{ClusterId}"
        order = (InstanceRow.created_at, _ROLE_RANK, InstanceRow.id)
        query = select(InstanceRow).where(InstanceRow.cluster_id == ClusterId)
        for group_id in (InstanceGroupId, InstanceFleetId):
            if group_id is not None:
                query = query.where(InstanceRow.group_id == group_id)
        if InstanceGroupTypes:
            query = query.where(InstanceRow.role.in_(InstanceGroupTypes))
        if InstanceFleetType is not None:
            query = query.where(InstanceRow.role == InstanceFleetType)
        if InstanceStates:
            query = query.where(InstanceRow.state.in_(InstanceStates))
        if Marker is not None:
            micros, rank, instance_id = _key_parts(listing, Marker, 3)
            if not rank.isdigit():
                raise InvalidNextToken()
            after = (_moment(micros), int(rank), instance_id)
            query = query.where(_after(order, after, descending=False))
        query = query.order_by(*order).limit(PAGE_SIZE + 1)
        with self._database.session() as session:
            cluster = find_cluster(session, context, ClusterId)
            groups = {
                g.id: g
                for g in session.scalars(
                    select(InstanceGroupRow).where(InstanceGroupRow.cluster_id == ClusterId)
                )
            }
            rows = list(session.scalars(query))
        page = rows[:PAGE_SIZE]
        out: dict[str, Any] = {
            "Instances": [views.instance(i, groups[i.group_id], cluster.region) for i in page]
        }
        if len(rows) > PAGE_SIZE:
            last = page[-1]
            key = f"{_micros(last.created_at)}/{views.role_order(last.role)}/{last.id}"
            out["Marker"] = encode_key_marker(listing, key)
        return out

    @operation("ListBootstrapActions")
    def list_bootstrap_actions(
        self, context: CallContext, *, ClusterId: str, Marker: str | None = None, **_: Any
    ) -> dict[str, Any]:
        with self._database.session() as session:
            actions = list(find_cluster(session, context, ClusterId).bootstrap_actions)
        page = paginate(f"ListBootstrapActions/{ClusterId}", actions, Marker, PAGE_SIZE)
        out: dict[str, Any] = {"BootstrapActions": [views.command(a) for a in page.items]}
        if page.next_token:
            out["Marker"] = page.next_token
        return out

    # -- tags and the auto-termination policy

    @operation("AddTags")
    def add_tags(
        self, context: CallContext, *, ResourceId: str, Tags: Sequence[dict[str, Any]], **_: Any
    ) -> dict[str, Any]:
        with self._database.session() as session:
            cluster = _taggable(session, context, ResourceId)
            cluster.tags = merge_tags(cluster.tags, Tags)
        return {}

    @operation("RemoveTags")
    def remove_tags(
        self, context: CallContext, *, ResourceId: str, TagKeys: Sequence[str], **_: Any
    ) -> dict[str, Any]:
        with self._database.session() as session:
            cluster = _taggable(session, context, ResourceId)
            removed = set(TagKeys)
            cluster.tags = [dict(t) for t in cluster.tags if t["Key"] not in removed]
        return {}

    @operation("GetAutoTerminationPolicy")
    def get_auto_termination_policy(
        self, context: CallContext, *, ClusterId: str, **_: Any
    ) -> dict[str, Any]:
        with self._database.session() as session:
            seconds = find_cluster(session, context, ClusterId).idle_timeout_seconds
        if seconds is None:
            return {}
        return {"AutoTerminationPolicy": {"IdleTimeout": seconds}}


def _clusters(
    context: CallContext, created_after: datetime | None, created_before: datetime | None
) -> Select[ClusterRow]:
    """The caller's clusters created in [after, before], newest first."""
    query = select(ClusterRow).where(
        ClusterRow.account_id == context.account_id, ClusterRow.region == context.region
    )
    if created_after is not None:
        query = query.where(ClusterRow.created_at >= created_after)
    if created_before is not None:
        query = query.where(ClusterRow.created_at <= created_before)
    return query.order_by(ClusterRow.created_at.desc(), ClusterRow.id.desc())


_Row = TypeVar("_Row", InstanceGroupRow, InstanceRow, StepRow)


def _by_cluster(rows: Iterable[_Row]) -> dict[str, list[_Row]]:
    grouped: dict[str, list[_Row]] = {}
    for row in rows:
        grouped.setdefault(row.cluster_id, []).append(row)
    return grouped


def _collections(
    session: Session, cluster_id: str
) -> tuple[list[InstanceGroupRow], dict[str, list[InstanceRow]]]:
    """The cluster's groups (or fleets) in listing order, and each one's instances."""
    groups = sorted(
        session.scalars(select(InstanceGroupRow).where(InstanceGroupRow.cluster_id == cluster_id)),
        key=lambda g: (g.created_at, views.role_order(g.role), g.id),
    )
    instances: dict[str, list[InstanceRow]] = {}
    for node in session.scalars(select(InstanceRow).where(InstanceRow.cluster_id == cluster_id)):
        instances.setdefault(node.group_id, []).append(node)
    return groups, instances


def _taggable(session: Session, context: CallContext, cluster_id: str) -> ClusterRow:
    cluster = find_cluster(session, context, cluster_id)
    if cluster.state in ENDED_STATES:
        raise InvalidRequestException("Tags cannot be modified on terminated clusters.")
    return cluster
