"""The supervisor's writes to the rows, each run inside one batch's transaction.

The machines decide states; these functions carry the decisions into the rows the API reads
(and a restart rebuilds the machines from).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from emr.services.emr import cluster_lifecycle as cl
from emr.services.emr import instance_lifecycle as il
from emr.services.emr import step_lifecycle as sl
from emr.state.schema import ClusterRow, InstanceGroupRow, InstanceRow, StepRow
from emr.supervisor.runtime import ClusterRuntime

__all__ = [
    "record_cluster",
    "record_instance",
    "record_step",
    "set_addresses",
    "set_network",
]


def record_cluster(session: Session, rt: ClusterRuntime, change: cl.RecordStateChange) -> None:
    row = session.get(ClusterRow, rt.cluster_id)
    if row is None:
        return
    row.state = change.state.value
    row.state_code = None if change.code is None else change.code.value
    row.state_message = change.message
    row.ready_at = rt.machine.ready_at
    row.ended_at = rt.machine.ended_at
    if change.state.value in cl.ENDED_STATES:
        hours = sum(
            _normalized_hours(i) for i in session.scalars(
                select(InstanceRow).where(InstanceRow.cluster_id == rt.cluster_id)
            )
        )  # fmt: skip
        row.normalized_instance_hours = hours


def record_step(session: Session, change: sl.RecordStepState) -> None:
    row = session.get(StepRow, change.step_id)
    if row is None:
        return
    row.state = change.state.value
    row.state_message = change.message
    row.failure = None if change.failure is None else change.failure.to_api()
    if change.state is sl.StepState.RUNNING:
        row.started_at = change.at
    elif change.state not in (sl.StepState.PENDING, sl.StepState.CANCEL_PENDING):
        row.ended_at = change.at


def record_instance(session: Session, rt: ClusterRuntime, change: il.RecordInstanceState) -> None:
    row = session.get(InstanceRow, change.instance_id)
    if row is None:
        return
    row.state = change.state.value
    row.state_code = None if change.code is None else change.code.value
    row.state_message = change.message
    instance = rt.instances[change.instance_id]
    row.private_ip = instance.private_ip or row.private_ip
    row.ready_at = instance.ready_at
    row.ended_at = instance.ended_at
    session.flush()
    group = session.get(InstanceGroupRow, row.group_id)
    if group is None:
        return
    members = list(session.scalars(select(InstanceRow).where(InstanceRow.group_id == group.id)))
    running = sum(1 for m in members if m.state == il.InstanceState.RUNNING.value)
    if not group.ever_running and running >= group.requested_count:
        group.ever_running, group.ready_at = True, change.at
    if all(m.state == il.InstanceState.TERMINATED.value for m in members):
        group.ended_at = change.at


def set_network(session: Session, cluster_id: str, *, network: str) -> None:
    row = session.get(ClusterRow, cluster_id)
    if row is not None:
        row.network = network


def set_addresses(
    session: Session, cluster_id: str, handles: Iterable[Any], master_ip: str
) -> None:
    for handle in handles:
        row = session.get(InstanceRow, handle.instance_id)
        if row is not None:
            row.private_ip, row.pid = handle.private_ip, handle.pid
    cluster = session.get(ClusterRow, cluster_id)
    if cluster is not None:
        cluster.master_private_ip = master_ip


def _normalized_hours(row: InstanceRow) -> int:
    """EMR's NormalizedInstanceHours: hours started (rounded up) times the type's size factor."""
    if row.ready_at is None:
        return 0
    end = row.ended_at or datetime.now(UTC)
    hours = max(1, -(-int((end - row.ready_at).total_seconds()) // 3600))
    return hours * _size_factor(row.instance_type)


def _size_factor(instance_type: str) -> int:
    size = instance_type.rsplit(".", 1)[-1]
    factors = {"nano": 1, "micro": 1, "small": 1, "medium": 2, "large": 4, "xlarge": 8}
    if size in factors:
        return factors[size]
    multiple = size.removesuffix("xlarge")
    return 8 * int(multiple) if multiple.isdigit() else 8
