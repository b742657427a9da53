"""One live cluster as the supervisor holds it: its three kinds of machines, rebuilt from rows.

The rows are the truth that survives a restart; the machines are how decisions are made. A new
cluster's machines start empty and are fed `ClusterCreated`; a cluster found live at start-up
gets machines restored from its rows (`restore`), with every judgement that depends on time
(heartbeats, idleness) restarted from the moment of the restore.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from emr.nodes.protocol import BootstrapAction
from emr.nodes.provider import ClusterNodes, NodeRequest
from emr.services.emr import cluster_lifecycle as cl
from emr.services.emr import instance_lifecycle as il
from emr.services.emr import step_lifecycle as sl
from emr.state.schema import ClusterRow, InstanceRow, StepRow

__all__ = ["ClusterRuntime"]

_ACTIVE_STEPS = (sl.StepState.PENDING, sl.StepState.RUNNING, sl.StepState.CANCEL_PENDING)
_CLEAN_CODES = (cl.ClusterStateChangeReasonCode.USER_REQUEST.value,
                cl.ClusterStateChangeReasonCode.ALL_STEPS_COMPLETED.value)  # fmt: skip


@dataclass
class ClusterRuntime:
    """The machines and wiring facts of one live cluster."""

    cluster_id: str
    token: str
    nodes: ClusterNodes
    machine: cl.Cluster
    steps: sl.StepQueue
    instances: dict[str, il.Instance]
    bootstrap_actions: list[BootstrapAction]
    #: instance id → (private IP, agent port), once the node provider started it.
    addresses: dict[str, tuple[str, int]] = field(default_factory=dict)
    #: Set once StopNodes was decided: the cluster's processes are being removed.
    stopping: bool = False

    @property
    def master_id(self) -> str:
        return next(i for i, inst in self.instances.items() if inst.role is il.InstanceRole.MASTER)

    def live_instances(self) -> list[il.Instance]:
        return [i for i in self.instances.values() if i.state is not il.InstanceState.TERMINATED]

    def node_requests(self) -> list[NodeRequest]:
        """Every instance, the master first (the provider gives it the network's first IP)."""
        ordered = sorted(
            self.instances.values(), key=lambda i: i.role is not il.InstanceRole.MASTER
        )
        return [NodeRequest(i.instance_id, i.role.value, i.instance_type) for i in ordered]

    @classmethod
    def create(
        cls,
        row: ClusterRow,
        instances: list[InstanceRow],
        *,
        nodes: ClusterNodes,
        token: str,
        heartbeat_timeout: timedelta,
    ) -> ClusterRuntime:
        """Machines for a cluster RunJobFlow just stored (fed ClusterCreated by the caller)."""
        return cls(
            cluster_id=row.id,
            token=token,
            nodes=nodes,
            machine=cl.Cluster(
                row.id,
                created_at=row.created_at,
                keep_alive=row.keep_alive,
                termination_protected=row.termination_protected,
                idle_timeout=_idle_timeout(row),
            ),
            steps=sl.StepQueue(row.id, concurrency_level=row.step_concurrency_level),
            instances={
                i.id: il.Instance(
                    i.id,
                    il.InstanceRole(i.role),
                    i.instance_type,
                    created_at=i.created_at,
                    heartbeat_timeout=heartbeat_timeout,
                )
                for i in instances
            },
            bootstrap_actions=_bootstrap_actions(row),
        )

    @classmethod
    def restore(
        cls,
        row: ClusterRow,
        instances: list[InstanceRow],
        steps: list[StepRow],
        *,
        nodes: ClusterNodes,
        token: str,
        heartbeat_timeout: timedelta,
        now: datetime,
    ) -> ClusterRuntime:
        """Machines for a cluster that was live when the region server last stopped."""
        state = cl.ClusterState(row.state)
        past_bootstrap = state in (
            cl.ClusterState.RUNNING, cl.ClusterState.WAITING, cl.ClusterState.TERMINATING
        )  # fmt: skip
        live = [i for i in instances if i.state != il.InstanceState.TERMINATED.value]
        machine = cl.Cluster(
            row.id,
            created_at=row.created_at,
            keep_alive=row.keep_alive,
            termination_protected=row.termination_protected,
            idle_timeout=_idle_timeout(row),
            state=state,
            code=None
            if row.state_code is None
            else cl.ClusterStateChangeReasonCode(row.state_code),
            message=row.state_message,
            ready_at=row.ready_at,
            instances={i.id: il.InstanceRole(i.role) for i in live},
            bootstrapped={i.id for i in live} if past_bootstrap else set(),
            has_steps=any(sl.StepState(s.state) in _ACTIVE_STEPS for s in steps),
            idle_since=now if state is cl.ClusterState.WAITING else None,
            failed=row.state_code is not None and row.state_code not in _CLEAN_CODES,
        )
        queue = sl.StepQueue(
            row.id,
            concurrency_level=row.step_concurrency_level,
            ready=state in (cl.ClusterState.RUNNING, cl.ClusterState.WAITING),
            closed=state is cl.ClusterState.TERMINATING,
        )
        for s in sorted(steps, key=lambda s: s.position):
            queue.steps[s.id] = sl.Step(
                s.id,
                s.name,
                sl.ActionOnFailure(s.action_on_failure),
                s.created_at,
                state=sl.StepState(s.state),
                message=s.state_message,
                started_at=s.started_at,
                ended_at=s.ended_at,
            )
        restored = {
            i.id: il.Instance(
                i.id,
                il.InstanceRole(i.role),
                i.instance_type,
                created_at=i.created_at,
                heartbeat_timeout=heartbeat_timeout,
                state=il.InstanceState(i.state),
                private_ip=i.private_ip,
                last_seen=now,
                ready_at=i.ready_at,
                ended_at=i.ended_at,
                code=None
                if i.state_code is None
                else il.InstanceStateChangeReasonCode(i.state_code),
                message=i.state_message,
            )
            for i in instances
        }
        return cls(
            cluster_id=row.id,
            token=token,
            nodes=nodes,
            machine=machine,
            steps=queue,
            instances=restored,
            bootstrap_actions=_bootstrap_actions(row),
        )


def _idle_timeout(row: ClusterRow) -> timedelta | None:
    seconds = row.idle_timeout_seconds
    return None if seconds is None else timedelta(seconds=seconds)


def _bootstrap_actions(row: ClusterRow) -> list[BootstrapAction]:
    """RunJobFlow's BootstrapActions (already validated) in the agents' form."""
    return [
        BootstrapAction(
            name=str(action.get("Name", "")),
            path=str(action["ScriptBootstrapAction"]["Path"]),
            args=[str(a) for a in action["ScriptBootstrapAction"].get("Args", [])],
        )
        for action in row.bootstrap_actions
    ]
