"""The operations that change clusters: they validate, store, and hand the change to the
supervisor, whose machines decide what happens (and refuse what EMR refuses).

Every handler is a coroutine: the supervisor's machines live on the event loop, and a change is
fed to them in the same turn in which it is stored.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from emr.services.emr import step_lifecycle as sl
from emr.services.emr.cluster_lifecycle import ENDED_STATES, PROTECTED_MESSAGE
from emr.services.emr.cluster_spec import (
    check_idle_timeout,
    plan_cluster,
    plan_steps,
)
from emr.services.emr.clusters_read import find_cluster
from emr.services.emr.errors import ValidationException
from emr.services.emr.ids import cluster_arn
from emr.services.provider import CallContext, operation
from emr.state import Database
from emr.state.schema import StepRow
from emr.supervisor import ClusterSupervisor
from emr.supervisor.supervisor import ClusterPlanRows, Refused

__all__ = ["ClusterWriteOperations"]


class ClusterWriteOperations:
    """RunJobFlow, AddJobFlowSteps, TerminateJobFlows, CancelSteps and the cluster settings."""

    _database: Database
    _supervisor: ClusterSupervisor

    @operation("RunJobFlow")
    async def run_job_flow(self, context: CallContext, **request: Any) -> dict[str, Any]:
        plan = plan_cluster(
            account_id=context.account_id,
            region=context.region,
            request=request,
            now=datetime.now(UTC),
        )
        self._supervisor.create_cluster(
            ClusterPlanRows(plan.cluster, plan.groups, plan.instances, plan.steps)
        )
        return {
            "JobFlowId": plan.cluster.id,
            "ClusterArn": cluster_arn(context.region, context.account_id, plan.cluster.id),
        }

    @operation("AddJobFlowSteps")
    async def add_job_flow_steps(
        self,
        context: CallContext,
        *,
        JobFlowId: str,
        Steps: Sequence[dict[str, Any]],
        **_: Any,
    ) -> dict[str, Any]:
        with self._database.session() as session:
            row = find_cluster(session, context, JobFlowId)
            if row.state in ENDED_STATES or not self._supervisor.is_live(JobFlowId):
                raise sl.JobFlowNotModifiable()
            last = session.scalar(
                select(func.max(StepRow.position)).where(StepRow.cluster_id == JobFlowId)
            )
            steps = plan_steps(
                cluster_id=JobFlowId,
                first_position=0 if last is None else last + 1,
                steps=Steps,
                concurrency_level=row.step_concurrency_level,
                now=datetime.now(UTC),
            )
        try:
            self._supervisor.add_steps(JobFlowId, steps)
        except Refused:
            raise sl.JobFlowNotModifiable() from None
        return {"StepIds": [step.id for step in steps]}

    @operation("TerminateJobFlows")
    async def terminate_job_flows(
        self, context: CallContext, *, JobFlowIds: Sequence[str], **_: Any
    ) -> dict[str, Any]:
        with self._database.session() as session:
            rows = [find_cluster(session, context, cluster_id) for cluster_id in JobFlowIds]
        live = [row for row in rows if self._supervisor.is_live(row.id)]
        # All or nothing, as EMR: one protected cluster refuses the whole call.
        if any(row.termination_protected for row in live):
            raise ValidationException(PROTECTED_MESSAGE)
        for row in live:
            try:
                self._supervisor.terminate(row.id)
            except Refused as refused:
                raise ValidationException(refused.message) from None
        return {}

    @operation("SetTerminationProtection")
    async def set_termination_protection(
        self,
        context: CallContext,
        *,
        JobFlowIds: Sequence[str],
        TerminationProtected: bool,
        **_: Any,
    ) -> dict[str, Any]:
        for cluster_id in self._store(
            context, JobFlowIds, termination_protected=TerminationProtected
        ):
            self._supervisor.set_termination_protection(cluster_id, TerminationProtected)
        return {}

    @operation("SetKeepJobFlowAliveWhenNoSteps")
    async def set_keep_job_flow_alive_when_no_steps(
        self,
        context: CallContext,
        *,
        JobFlowIds: Sequence[str],
        KeepJobFlowAliveWhenNoSteps: bool,
        **_: Any,
    ) -> dict[str, Any]:
        for cluster_id in self._store(context, JobFlowIds, keep_alive=KeepJobFlowAliveWhenNoSteps):
            self._supervisor.set_keep_alive(cluster_id, KeepJobFlowAliveWhenNoSteps)
        return {}

    @operation("SetVisibleToAllUsers")
    async def set_visible_to_all_users(
        self,
        context: CallContext,
        *,
        JobFlowIds: Sequence[str],
        VisibleToAllUsers: bool,
        **_: Any,
    ) -> dict[str, Any]:
        self._store(context, JobFlowIds, visible_to_all_users=VisibleToAllUsers)
        return {}

    @operation("ModifyCluster")
    async def modify_cluster(
        self,
        context: CallContext,
        *,
        ClusterId: str,
        StepConcurrencyLevel: int | None = None,
        **_: Any,
    ) -> dict[str, Any]:
        with self._database.session() as session:
            row = find_cluster(session, context, ClusterId)
            if StepConcurrencyLevel is not None:
                if row.state in ENDED_STATES:
                    raise sl.JobFlowNotModifiable()
                sl.validate_step_concurrency_level(StepConcurrencyLevel)
                row.step_concurrency_level = StepConcurrencyLevel
            level = row.step_concurrency_level
        if StepConcurrencyLevel is not None:
            self._supervisor.set_step_concurrency(ClusterId, StepConcurrencyLevel)
        return {"StepConcurrencyLevel": level}

    @operation("CancelSteps")
    async def cancel_steps(
        self,
        context: CallContext,
        *,
        ClusterId: str,
        StepIds: Sequence[str],
        StepCancellationOption: str = "SEND_INTERRUPT",
        **_: Any,
    ) -> dict[str, Any]:
        with self._database.session() as session:
            find_cluster(session, context, ClusterId)
        infos = self._supervisor.cancel_steps(
            ClusterId, tuple(StepIds), sl.StepCancellationOption(StepCancellationOption)
        )
        return {"CancelStepsInfoList": [info.to_api() for info in infos]}

    @operation("PutAutoTerminationPolicy")
    async def put_auto_termination_policy(
        self,
        context: CallContext,
        *,
        ClusterId: str,
        AutoTerminationPolicy: dict[str, Any] | None = None,
        **_: Any,
    ) -> dict[str, Any]:
        seconds = (AutoTerminationPolicy or {}).get("IdleTimeout", 3600)
        check_idle_timeout(seconds)
        self._set_idle_timeout(context, ClusterId, seconds)
        return {}

    @operation("RemoveAutoTerminationPolicy")
    async def remove_auto_termination_policy(
        self, context: CallContext, *, ClusterId: str, **_: Any
    ) -> dict[str, Any]:
        self._set_idle_timeout(context, ClusterId, None)
        return {}

    # -- helpers

    def _store(self, context: CallContext, cluster_ids: Sequence[str], **values: Any) -> list[str]:
        """Set columns of every named cluster (all must exist); the ids of the live ones."""
        with self._database.session() as session:
            rows = [find_cluster(session, context, cluster_id) for cluster_id in cluster_ids]
            for row in rows:
                if row.state not in ENDED_STATES:
                    for name, value in values.items():
                        setattr(row, name, value)
        return [row.id for row in rows if self._supervisor.is_live(row.id)]

    def _set_idle_timeout(self, context: CallContext, cluster_id: str, seconds: int | None) -> None:
        with self._database.session() as session:
            row = find_cluster(session, context, cluster_id)
            if row.state in ENDED_STATES:
                raise sl.JobFlowNotModifiable()
            row.idle_timeout_seconds = seconds
        idle = None if seconds is None else timedelta(seconds=seconds)
        self._supervisor.set_idle_timeout(cluster_id, idle)
