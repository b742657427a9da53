"""ClusterSupervisor: the async shell around the cluster, step and instance state machines.

Everything that happens to a cluster becomes an event fed to one of its machines: API calls
(through the EMR provider), agent reports (through the region's agent endpoint), agent exits
(seen by the NodeProvider) and the supervisor's own one-second tick (heartbeat checks, idle
deadlines). `_run` follows the decisions the machines return — feeding one machine's decision
to another as the cluster_lifecycle docstring wires them — writes every state change of one
batch in one transaction, then starts the I/O the batch decided (start or stop nodes, tell an
agent to bootstrap, run or interrupt a step). I/O reports back only as new events, so machine
handling never waits and every change to a cluster happens on the event loop, in order.

Rows are the truth a restart reads: `start` rebuilds the machines of every live cluster from
them and adopts the agents that still run (see `runtime`).
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
import secrets
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any, Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from emr.identity import AccessKeyStore, Principal
from emr.nodes import protocol as wire
from emr.nodes.client import AgentClient, AgentUnreachable
from emr.nodes.provider import AgentExit, ClusterNodes, NodeProvider
from emr.services.emr import cluster_lifecycle as cl
from emr.services.emr import instance_lifecycle as il
from emr.services.emr import step_lifecycle as sl
from emr.services.emr._machine import Action, Ignored
from emr.state import Database
from emr.state.schema import ClusterRow, InstanceGroupRow, InstanceRow, StepRow
from emr.supervisor.records import (
    record_cluster,
    record_instance,
    record_step,
    set_addresses,
    set_network,
)
from emr.supervisor.runtime import ClusterRuntime

__all__ = ["ClusterPlanRows", "ClusterSupervisor", "Refused"]

log = logging.getLogger("emr.supervisor")

_TICK_SECONDS: Final = 1.0
_STOP_WAIT_SECONDS: Final = 30.0
_Code = cl.ClusterStateChangeReasonCode


@dataclass(frozen=True)
class ClusterPlanRows:
    """What RunJobFlow stores for a new cluster (unsaved rows, ids assigned)."""

    cluster: ClusterRow
    groups: list[InstanceGroupRow]
    instances: list[InstanceRow]
    steps: list[StepRow]


class Refused(Exception):
    """A machine refused a request on purpose (`TerminationRefused`, `StepRefused`)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class _Batch:
    """What one `_run` decided: row writes (one transaction), I/O to start, answers."""

    writes: list[Callable[[Session], None]] = field(default_factory=list)
    io: list[Callable[[], Coroutine[Any, Any, None]]] = field(default_factory=list)
    answers: list[Action] = field(default_factory=list)
    to_stop: set[str] = field(default_factory=set)


class ClusterSupervisor:
    """Drives every live cluster of the region: its machines, its rows and its nodes."""

    def __init__(
        self,
        *,
        database: Database,
        keys: AccessKeyStore,
        nodes: NodeProvider,
        region_name: str,
        heartbeat_timeout: timedelta,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._database = database
        self._keys = keys
        self._nodes = nodes
        self._region_name = region_name
        self._heartbeat_timeout = heartbeat_timeout
        self._now = clock
        self._region_url = ""
        self._runtimes: dict[str, ClusterRuntime] = {}
        self._clients: dict[tuple[str, str], AgentClient] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._ticker: asyncio.Task[None] | None = None
        self._ended = asyncio.Event()

    # --- life of the supervisor ---------------------------------------------------------------

    async def start(self, region_url: str) -> None:
        """Begin supervising: adopt what a previous run left, then tick."""
        self._region_url = region_url
        self._nodes.set_exit_listener(self._agent_exited)
        await self._reconcile()
        self._ticker = asyncio.create_task(self._tick_forever(), name="supervisor-tick")

    async def stop(self) -> None:
        """A clean region stop: end every live cluster and wait until its processes are gone."""
        message = "Terminated because the region server stopped"
        for runtime in list(self._runtimes.values()):
            event = cl.ForcedTermination(at=self._now(), code=_Code.USER_REQUEST, message=message)
            self._run(runtime, runtime.machine.handle(event))
        deadline = asyncio.get_running_loop().time() + _STOP_WAIT_SECONDS
        while self._runtimes and asyncio.get_running_loop().time() < deadline:
            self._ended.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._ended.wait(), timeout=1.0)
        if self._ticker is not None:
            self._ticker.cancel()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        for client in self._clients.values():
            await client.aclose()
        self._clients.clear()
        await self._nodes.close()

    # --- requests from the API ----------------------------------------------------------------

    def is_live(self, cluster_id: str) -> bool:
        return cluster_id in self._runtimes

    def create_cluster(self, plan: ClusterPlanRows) -> None:
        """Store a new cluster (with its key and agent token) and set its life going."""
        row = plan.cluster
        token = secrets.token_urlsafe(32)
        role = (row.job_flow_role or "EMR_EC2_DefaultRole").rsplit("/", 1)[-1]
        key = self._keys.create_key(
            Principal(
                account_id=row.account_id,
                arn=f"arn:aws:sts::{row.account_id}:assumed-role/{role}/{row.id}",
                user_id=f"AROA{secrets.token_hex(8).upper()}:{row.id}",
            )
        )
        row.access_key_id = key.access_key_id
        row.agent_token = token
        with self._database.session() as session:
            session.add(row)
            session.flush()
            session.add_all(plan.groups)
            session.flush()
            session.add_all([*plan.instances, *plan.steps])
        nodes = self._cluster_nodes(row, token, key.secret_access_key)
        runtime = ClusterRuntime.create(
            row, plan.instances, nodes=nodes, token=token, heartbeat_timeout=self._heartbeat_timeout
        )
        self._runtimes[row.id] = runtime
        created = cl.ClusterCreated(at=self._now())
        log.info("cluster %s created [%s]", row.id, created.event_id)
        actions = runtime.machine.handle(created)
        for step in plan.steps:
            actions += runtime.steps.handle(self._step_added(step))
        self._run(runtime, actions)

    def add_steps(self, cluster_id: str, steps: list[StepRow]) -> None:
        """Queue validated steps; Refused when the cluster no longer takes steps."""
        runtime = self._runtimes.get(cluster_id)
        if runtime is None or runtime.steps.closed:
            raise Refused(sl.NOT_MODIFIABLE)
        with self._database.session() as session:
            session.add_all(steps)
        for step in steps:
            event = self._step_added(step)
            self._raise_refusal(self._run(runtime, runtime.steps.handle(event)))

    def terminate(self, cluster_id: str) -> None:
        """TerminateJobFlows for one live cluster; Refused when it is protected."""
        runtime = self._runtimes[cluster_id]
        event = cl.TerminateRequested(at=self._now())
        self._raise_refusal(self._run(runtime, runtime.machine.handle(event)))

    def set_termination_protection(self, cluster_id: str, protected: bool) -> None:
        self._feed_cluster(
            cluster_id, cl.TerminationProtectionChanged(at=self._now(), protected=protected)
        )

    def set_keep_alive(self, cluster_id: str, keep_alive: bool) -> None:
        self._feed_cluster(cluster_id, cl.KeepAliveChanged(at=self._now(), keep_alive=keep_alive))

    def set_idle_timeout(self, cluster_id: str, idle_timeout: timedelta | None) -> None:
        event = cl.AutoTerminationPolicyChanged(at=self._now(), idle_timeout=idle_timeout)
        self._feed_cluster(cluster_id, event)

    def set_step_concurrency(self, cluster_id: str, level: int) -> None:
        runtime = self._runtimes.get(cluster_id)
        if runtime is not None:
            event = sl.ConcurrencyChanged(at=self._now(), level=level)
            self._run(runtime, runtime.steps.handle(event))

    def cancel_steps(
        self, cluster_id: str, step_ids: tuple[str, ...], option: sl.StepCancellationOption
    ) -> tuple[sl.CancelStepsInfo, ...]:
        runtime = self._runtimes.get(cluster_id)
        if runtime is None:
            reason = "The cluster is terminated; its steps cannot be cancelled."
            return tuple(sl.CancelStepsInfo(s, "FAILED", reason) for s in step_ids)
        event = sl.CancelRequested(at=self._now(), step_ids=step_ids, option=option)
        answers = self._run(runtime, runtime.steps.handle(event))
        result = next(a for a in answers if isinstance(a, sl.CancelStepsResult))
        return result.infos

    # --- reports from agents and the node provider --------------------------------------------

    def agent_event(self, token: str, event: wire.AgentEvent) -> int:
        """An agent's report; returns the HTTP status the agent endpoint answers."""
        runtime = self._runtimes.get(event.cluster_id)
        if runtime is None:
            return 410
        if not hmac.compare_digest(token.encode(), runtime.token.encode()):
            return 401
        instance = runtime.instances.get(event.instance_id)
        if instance is None or instance.state is il.InstanceState.TERMINATED:
            return 410
        at, iid = self._now(), instance.instance_id
        match event:
            case wire.Heartbeat():
                self._run(runtime, instance.handle(il.Heartbeat(at=at, instance_id=iid)))
            case wire.AgentRegistered():
                self._registered(runtime, instance, event)
            case wire.BootstrapCompleted():
                done = il.BootstrapCompleted(at=at, instance_id=iid, event_id=event.event_id)
                succeeded = cl.BootstrapSucceeded(at=at, instance_id=iid, event_id=event.event_id)
                actions = instance.handle(done) + runtime.machine.handle(succeeded)
                self._run(runtime, actions)
            case wire.BootstrapFailed():
                failed = il.BootstrapFailed(
                    at=at, instance_id=iid, message=event.message, event_id=event.event_id
                )
                cluster_failed = cl.BootstrapFailed(
                    at=at,
                    instance_id=iid,
                    role=instance.role,
                    action_index=event.action_index,
                    event_id=event.event_id,
                )
                actions = runtime.machine.handle(cluster_failed) + instance.handle(failed)
                self._run(runtime, actions)
            case wire.StepExited():
                failure = None
                if event.failure is not None:
                    failure = sl.FailureDetails(
                        reason=event.failure.reason,
                        message=event.failure.message,
                        log_file=event.failure.log_file,
                    )
                exited = sl.StepProcessExited(
                    at=at,
                    step_id=event.step_id,
                    exit_code=event.exit_code,
                    failure=failure,
                    event_id=event.event_id,
                )
                self._run(runtime, runtime.steps.handle(exited))
        return 204

    def _registered(
        self, runtime: ClusterRuntime, instance: il.Instance, event: wire.AgentRegistered
    ) -> None:
        at, iid = self._now(), instance.instance_id
        actions: list[Action] = []
        if instance.state is il.InstanceState.AWAITING_FULFILLMENT:  # raced start_nodes' answer
            actions += instance.handle(il.InstanceFulfilled(at=at, instance_id=iid))
        registered = il.AgentRegistered(
            at=at, instance_id=iid, private_ip=event.private_ip, event_id=event.event_id
        )
        actions += instance.handle(registered)
        waiting = [
            i for i in runtime.live_instances() if i.state is not il.InstanceState.BOOTSTRAPPING
        ]
        if not waiting and runtime.machine.state is cl.ClusterState.STARTING:
            roles = {i.instance_id: i.role for i in runtime.live_instances()}
            actions += runtime.machine.handle(cl.NodesProvisioned(at=at, instances=roles))
        self._run(runtime, actions)

    async def _agent_exited(self, exit: AgentExit) -> None:
        runtime = self._runtimes.get(exit.cluster_id)
        instance = None if runtime is None else runtime.instances.get(exit.instance_id)
        if runtime is None or instance is None:
            return
        event = il.AgentExited(
            at=self._now(), instance_id=exit.instance_id, exit_code=exit.exit_code
        )
        self._run(runtime, instance.handle(event))

    # --- the decision loop --------------------------------------------------------------------

    def _feed_cluster(self, cluster_id: str, event: cl.ClusterEvent) -> None:
        runtime = self._runtimes.get(cluster_id)
        if runtime is not None:
            self._run(runtime, runtime.machine.handle(event))

    def _run(self, runtime: ClusterRuntime, actions: Iterable[Action]) -> list[Action]:
        """Follow `actions` and everything they lead to; write, then start the I/O."""
        batch = _Batch()
        pending = deque(actions)
        while pending:
            pending.extend(self._decide(runtime, pending.popleft(), batch))
        if batch.to_stop:
            batch.io.append(partial(self._stop_nodes, runtime, tuple(sorted(batch.to_stop))))
        if batch.writes:
            with self._database.session() as session:
                for write in batch.writes:
                    write(session)
        for job in batch.io:
            self._spawn(job())
        if runtime.machine.state.value in cl.ENDED_STATES:
            self._finish(runtime)
        return batch.answers

    def _decide(self, rt: ClusterRuntime, action: Action, batch: _Batch) -> list[Action]:
        """One decision: record it, queue its I/O, or turn it into another machine's event."""
        at = self._now()
        match action:
            # the cluster machine
            case cl.RecordStateChange():
                change = action
                log.info(
                    "cluster %s → %s %s%s [%s]", rt.cluster_id, change.state.value,
                    "" if change.code is None else change.code.value + ": ",
                    change.message, change.cause,
                )  # fmt: skip
                batch.writes.append(lambda s: record_cluster(s, rt, change))
            case cl.ProvisionNodes():
                batch.io.append(lambda: self._provision(rt))
            case cl.RunBootstrapActions():
                batch.io.extend(partial(self._bootstrap, rt, iid) for iid in action.instance_ids)
            case cl.StartDaemons():
                batch.io.append(partial(self._start_daemons, rt, action.instance_ids))
            case cl.ReadyForSteps():
                return rt.steps.handle(sl.ClusterReady(at=at, event_id=action.cause))
            case cl.CancelOutstandingSteps():
                return rt.steps.handle(sl.ClusterTerminating(at=at, event_id=action.cause))
            case cl.StopNodes():
                rt.stopping = True
                batch.to_stop.update(rt.instances)
                follow: list[Action] = []
                for instance in rt.live_instances():
                    follow += instance.handle(
                        il.TerminateInstance(at=at, instance_id=instance.instance_id)
                    )
                return follow
            case cl.ScheduleIdleCheck():
                pass  # the tick compares the machine's idle_deadline with the clock
            case cl.TerminationRefused() | sl.StepRefused() | sl.CancelStepsResult():
                batch.answers.append(action)
            # the step queue
            case sl.StartStepProcess():
                batch.io.append(partial(self._start_step, rt, action.step_id))
                return rt.machine.handle(cl.StepStarted(at=at, step_id=action.step_id))
            case sl.InterruptStepProcess():
                batch.io.append(partial(self._interrupt_step, rt, action.step_id, action.force))
            case sl.RecordStepState():
                step_change = action
                log.info(
                    "step %s of %s → %s [%s]",
                    step_change.step_id, rt.cluster_id, step_change.state.value, step_change.cause,
                )  # fmt: skip
                batch.writes.append(lambda s: record_step(s, step_change))
            case sl.ClusterActionOnFailure():
                return rt.machine.handle(cl.TerminateForStepFailure(at=at, step_id=action.step_id))
            case sl.QueueBecameBusy():
                return rt.machine.handle(cl.StepsQueued(at=at))
            case sl.QueueDrained():
                return rt.machine.handle(cl.StepsDrained(at=at, had_failures=action.had_failures))
            # the instance machines
            case il.RecordInstanceState():
                instance_change = action
                log.info(
                    "instance %s of %s → %s %s [%s]", instance_change.instance_id, rt.cluster_id,
                    instance_change.state.value, instance_change.message, instance_change.cause,
                )  # fmt: skip
                batch.writes.append(lambda s: record_instance(s, rt, instance_change))
            case il.ReportInstanceLost():
                failed = cl.NodeFailed(
                    at=at, instance_id=action.instance_id, role=action.role, reason=action.reason
                )
                return rt.machine.handle(failed)
            case il.StopInstance():
                batch.to_stop.add(action.instance_id)
            case Ignored():
                log.debug(
                    "%s ignored %s in %s [%s]",
                    rt.cluster_id,
                    action.event,
                    action.state,
                    action.cause,
                )
        return []

    def _raise_refusal(self, answers: list[Action]) -> None:
        for answer in answers:
            if isinstance(answer, (cl.TerminationRefused, sl.StepRefused)):
                raise Refused(answer.message)

    # --- I/O the machines decided -------------------------------------------------------------

    async def _provision(self, rt: ClusterRuntime) -> None:
        try:
            network = await self._nodes.allocate_network(rt.cluster_id)
            self._write(lambda s: set_network(s, rt.cluster_id, network=network))
            handles = await self._nodes.start_nodes(rt.nodes, network, rt.node_requests())
        except Exception as exc:  # any failure to get nodes ends the cluster with the reason
            log.exception("cluster %s: provisioning failed", rt.cluster_id)
            event = cl.ProvisioningFailed(
                at=self._now(), code=_Code.INTERNAL_ERROR, message=f"Provisioning failed: {exc}"
            )
            self._run(rt, rt.machine.handle(event))
            return
        actions: list[Action] = []
        for handle in handles:
            rt.addresses[handle.instance_id] = (handle.private_ip, handle.agent_port)
            instance = rt.instances[handle.instance_id]
            if instance.state is il.InstanceState.AWAITING_FULFILLMENT:
                actions += instance.handle(
                    il.InstanceFulfilled(at=self._now(), instance_id=handle.instance_id)
                )
        master_ip = rt.addresses[rt.master_id][0]
        self._write(lambda s: set_addresses(s, rt.cluster_id, handles, master_ip))
        self._run(rt, actions)
        if rt.stopping:  # terminated while the nodes were starting
            await self._stop_nodes(rt, tuple(rt.instances))

    async def _bootstrap(self, rt: ClusterRuntime, instance_id: str) -> None:
        try:
            await self._client(rt, instance_id).bootstrap(rt.bootstrap_actions)
        except AgentUnreachable as exc:
            self._lose(rt, instance_id, f"The instance could not run bootstrap actions: {exc}")

    async def _start_daemons(self, rt: ClusterRuntime, instance_ids: tuple[str, ...]) -> None:
        async def start(iid: str) -> str | None:
            try:
                await self._client(rt, iid).start_daemons()
            except AgentUnreachable as exc:
                return f"{iid}: {exc}"
            return None

        failures = [f for f in await asyncio.gather(*(start(i) for i in instance_ids)) if f]
        if failures:
            for failure in failures:
                iid = failure.split(":", 1)[0]
                self._lose(rt, iid, f"The instance's daemons did not start: {failure}")
            return
        event = cl.DaemonsReady(at=self._now())
        self._run(rt, rt.machine.handle(event))

    async def _start_step(self, rt: ClusterRuntime, step_id: str) -> None:
        with self._database.session() as session:
            row = session.get(StepRow, step_id)
            assert row is not None
            request = wire.StepRequest(
                step_id=row.id,
                name=row.name,
                jar=row.jar,
                main_class=row.main_class,
                args=list(row.args),
                properties={p["Key"]: p.get("Value", "") for p in row.properties},
            )
        try:
            await self._client(rt, rt.master_id).run_step(request)
        except AgentUnreachable as exc:
            failure = sl.FailureDetails(
                message=f"The step could not start on the master node: {exc}"
            )
            event = sl.StepProcessExited(
                at=self._now(), step_id=step_id, exit_code=-1, failure=failure
            )
            self._run(rt, rt.steps.handle(event))

    async def _interrupt_step(self, rt: ClusterRuntime, step_id: str, force: bool) -> None:
        try:
            await self._client(rt, rt.master_id).interrupt_step(step_id, force=force)
        except AgentUnreachable as exc:
            log.warning("cluster %s: could not interrupt step %s: %s", rt.cluster_id, step_id, exc)

    async def _stop_nodes(self, rt: ClusterRuntime, instance_ids: tuple[str, ...]) -> None:
        try:
            await self._nodes.stop_nodes(rt.cluster_id, instance_ids)
        except Exception:  # the processes may linger; the cluster still ends (logged loudly)
            log.exception("cluster %s: stopping nodes %s failed", rt.cluster_id, instance_ids)
        for iid in instance_ids:
            client = self._clients.pop((rt.cluster_id, iid), None)
            if client is not None:
                await client.aclose()
        at = self._now()
        actions: list[Action] = []
        for iid in instance_ids:
            actions += rt.instances[iid].handle(il.InstanceStopped(at=at, instance_id=iid))
        if rt.stopping and not rt.live_instances():
            actions += rt.machine.handle(cl.AllNodesStopped(at=at))
        self._run(rt, actions)

    def _lose(self, rt: ClusterRuntime, instance_id: str, reason: str) -> None:
        """An agent did not answer a command: treat the node as crashed."""
        log.warning("cluster %s: %s", rt.cluster_id, reason)
        event = il.AgentExited(at=self._now(), instance_id=instance_id, exit_code=None)
        self._run(rt, rt.instances[instance_id].handle(event))

    def _client(self, rt: ClusterRuntime, instance_id: str) -> AgentClient:
        key = (rt.cluster_id, instance_id)
        client = self._clients.get(key)
        if client is None:
            ip, port = rt.addresses[instance_id]
            client = self._clients[key] = AgentClient(ip, port, rt.token)
        return client

    def _finish(self, rt: ClusterRuntime) -> None:
        """The cluster ended: revoke its key and forget its machines."""
        if self._runtimes.pop(rt.cluster_id, None) is None:
            return
        with self._database.session() as session:
            row = session.get(ClusterRow, rt.cluster_id)
            key_id = None if row is None else row.access_key_id
        if key_id is not None:
            self._keys.delete_key(key_id)
        self._ended.set()

    def _write(self, write: Callable[[Session], None]) -> None:
        with self._database.session() as session:
            write(session)

    def _spawn(self, job: Awaitable[None]) -> None:
        task = asyncio.ensure_future(job)
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("supervisor task failed", exc_info=task.exception())

    # --- time ---------------------------------------------------------------------------------

    async def _tick_forever(self) -> None:
        while True:
            await asyncio.sleep(_TICK_SECONDS)
            try:
                self._tick()
            except Exception:  # one bad tick must not stop supervision
                log.exception("supervisor tick failed")

    def _tick(self) -> None:
        now = self._now()
        for rt in list(self._runtimes.values()):
            actions: list[Action] = []
            for instance in rt.live_instances():
                actions += instance.handle(
                    il.HeartbeatCheck(at=now, instance_id=instance.instance_id)
                )
            deadline = rt.machine.idle_deadline
            if deadline is not None and now >= deadline:
                actions += rt.machine.handle(cl.IdleTimeoutElapsed(at=now))
            if actions:
                self._run(rt, actions)

    # --- restart ------------------------------------------------------------------------------

    async def _reconcile(self) -> None:
        """Rebuild the machines of clusters left live by an earlier run and adopt their nodes."""
        now = self._now()
        with self._database.session() as session:
            rows = list(
                session.scalars(select(ClusterRow).where(ClusterRow.state.not_in(cl.ENDED_STATES)))
            )
            loaded = [
                (
                    row,
                    list(
                        session.scalars(select(InstanceRow).where(InstanceRow.cluster_id == row.id))
                    ),
                    list(session.scalars(select(StepRow).where(StepRow.cluster_id == row.id))),
                )
                for row in rows
            ]
        for row, instances, steps in loaded:
            key = None if row.access_key_id is None else self._keys.lookup(row.access_key_id)
            secret = "" if key is None else key.secret_access_key
            runtime = ClusterRuntime.restore(
                row,
                instances,
                steps,
                nodes=self._cluster_nodes(row, row.agent_token, secret),
                token=row.agent_token,
                heartbeat_timeout=self._heartbeat_timeout,
                now=now,
            )
            for instance in instances:
                if instance.private_ip is not None:
                    runtime.addresses[instance.id] = (instance.private_ip, wire.AGENT_PORT)
            self._runtimes[row.id] = runtime
            log.info("cluster %s: restoring in state %s", row.id, row.state)
            await self._adopt(runtime, instances)

    async def _adopt(self, rt: ClusterRuntime, rows: list[InstanceRow]) -> None:
        state = rt.machine.state
        if state in (cl.ClusterState.STARTING, cl.ClusterState.BOOTSTRAPPING):
            interrupted = cl.ForcedTermination(
                at=self._now(),
                code=_Code.INTERNAL_ERROR,
                message="The region server restarted while the cluster was starting",
            )
            self._run(rt, rt.machine.handle(interrupted))
            return
        if state is cl.ClusterState.TERMINATING:
            rt.stopping = True
            await self._stop_nodes(rt, tuple(rt.instances))
            return
        for row in rows:
            instance = rt.instances[row.id]
            if instance.state is il.InstanceState.TERMINATED:
                continue
            alive = (
                row.pid is not None
                and row.private_ip is not None
                and await self._nodes.adopt(rt.cluster_id, row.id, row.pid, row.private_ip)
            )
            if not alive:
                event = il.AgentExited(at=self._now(), instance_id=row.id, exit_code=None)
                self._run(rt, instance.handle(event))

    # --- helpers ------------------------------------------------------------------------------

    def _cluster_nodes(self, row: ClusterRow, token: str, secret: str) -> ClusterNodes:
        return ClusterNodes(
            cluster_id=row.id,
            region_url=self._region_url,
            region_name=self._region_name,
            token=token,
            access_key_id=row.access_key_id or "",
            secret_access_key=secret,
            log_uri=row.log_uri,
            release_label=row.release_label,
            applications=[str(a["Name"]) for a in row.applications],
            configurations=list(row.configurations),
        )

    def _step_added(self, step: StepRow) -> sl.StepAdded:
        return sl.StepAdded(
            at=self._now(),
            step_id=step.id,
            name=step.name,
            action_on_failure=sl.ActionOnFailure(step.action_on_failure),
        )
