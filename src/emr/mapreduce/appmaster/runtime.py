"""The ApplicationMaster process around the job state machine: job setup, the HTTP server, the
allocate loop (asks, container launches and kills), and the job's end (commit or abort, the
JobHistory file, the staging dir, unregistering).

Environment (the AM container's): CONTAINER_ID, NM_HOST, EMR_RM_ADDRESS, EMR_AMRM_TOKEN
(AMClient.from_environment), EMR_MR_JOB_TOKEN, EMR_MR_STAGING, EMR_MR_HISTORY; `./job.json`.

AM restart: a second AM attempt (after the first one crashed) starts the job over. It aborts
what the earlier attempt left in `<output>/_temporary` (committer.abort_job), sets the job up
again under its own `_temporary/<attempt>` and runs every task again.

LIMITATIONS (vs Hadoop's MRAppMaster): no recovery of the earlier attempt's finished tasks
(Hadoop replays its job history); when EMR_MR_HISTORY lies inside the staging dir, the
staging dir's other entries are deleted and the history file is kept for the client.
"""

from __future__ import annotations

import os
import socket
import sys
import threading
import time
from collections.abc import Mapping
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from emr.mapreduce.appmaster import events as ev
from emr.mapreduce.appmaster import reports
from emr.mapreduce.appmaster.driver import JobDriver
from emr.mapreduce.appmaster.machine import JobStateMachine
from emr.mapreduce.appmaster.server import create_app
from emr.mapreduce.committer import OutputCommitter
from emr.mapreduce.fs import JobFileSystems
from emr.mapreduce.job import JobSpec
from emr.yarn.amclient import AMClient
from emr.yarn.ids import ContainerId
from emr.yarn.protocol import (
    ContainerModel,
    ContainerStatus,
    LaunchContext,
    LocalResource,
    ResourceRequestModel,
)

__all__ = ["AppMaster", "main"]

FAST_S = 0.1  # allocate interval while asks are outstanding
SLOW_S = 0.5
RM_RETRY_S = 60.0


class _Server(uvicorn.Server):
    def install_signal_handlers(self) -> None:
        pass  # runs in a thread; the main thread owns signals


class AppMaster:
    """One AM attempt of one job: `run()` returns the process's exit code."""

    def __init__(self, environ: Mapping[str, str], workdir: Path) -> None:
        self.environ = environ
        self.spec = JobSpec.model_validate_json((workdir / "job.json").read_text())
        container = ContainerId.parse(environ["CONTAINER_ID"])
        self.app_attempt = container.application_attempt_id.attempt_id
        self.host = environ.get("NM_HOST", "127.0.0.1")
        self.token = environ["EMR_MR_JOB_TOKEN"]
        self.staging = environ["EMR_MR_STAGING"].rstrip("/")
        self.history_uri = environ["EMR_MR_HISTORY"]
        self.machine = JobStateMachine(self.spec, self.app_attempt)
        self.driver = JobDriver(self.machine)
        self._asks: dict[tuple[int, str], ResourceRequestModel] = {}
        self._releases: list[str] = []
        self._finish: ev.FinishJob | None = None
        self._tracking = ""

    def run(self) -> int:
        log = self.driver.log
        log(f"Created MRAppMaster for application {self.spec.job_id} attempt {self.app_attempt}")
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, 0))
        port = sock.getsockname()[1]
        config = uvicorn.Config(
            create_app(self.driver, self.token), log_level="warning", lifespan="off"
        )
        server = _Server(config)
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
        thread.start()
        tracking = self._tracking = f"http://{self.host}:{port}"
        log(f"Web app started at {tracking}")
        with (
            AMClient.from_environment(self.environ) as am,
            JobFileSystems(self.environ, self.spec.user) as fss,
        ):
            am.register(host=self.host, tracking_url=tracking)
            log(f"Registered with the ResourceManager; tracking URL {tracking}")
            committer = OutputCommitter(
                fss,
                self.spec.output,
                self.app_attempt,
                self.spec.get_bool("mapreduce.fileoutputcommitter.marksuccessfuljobs"),
            )
            try:
                if self.app_attempt > 1:
                    log("Earlier AM attempt crashed: aborting its output, running the job again")
                    committer.abort_job()
                committer.setup_job()
            except Exception as exc:  # any backend error: the job cannot start
                self._end(am, fss, committer, "FAILED", f"Job setup failed: {exc}", tracking)
                return 0
            self.driver.dispatch(lambda i, t: ev.JobStart(i, t))
            self._loop(am)
            finish = self._finish or ev.FinishJob("FAILED", "ApplicationMaster stopped")
            self._end(am, fss, committer, finish.state, finish.diagnostics, tracking)
        server.should_exit = True
        thread.join(timeout=5)
        return 0

    # --- the allocate loop ----------------------------------------------------------------

    def _loop(self, am: AMClient) -> None:
        failing_since: float | None = None
        while True:
            self._perform(am, self.driver.take())
            if self._finish is not None:
                return
            try:
                answer = am.allocate(
                    asks=list(self._asks.values()),
                    releases=self._releases,
                    progress=self.driver.read(lambda m: m.progress()),
                )
            except httpx.HTTPError as exc:
                failing_since = failing_since or time.monotonic()
                if time.monotonic() - failing_since > RM_RETRY_S:
                    self.driver.log(f"ResourceManager unreachable: {exc}", "ERROR")
                    self._finish = ev.FinishJob("FAILED", f"Lost the ResourceManager: {exc}")
                    return
                time.sleep(SLOW_S)
                continue
            failing_since = None
            self._asks, self._releases = {}, []
            if answer.shutdown:
                self.driver.dispatch(lambda i, t: ev.KillJob(i, t))
                continue
            if answer.allocated:
                self.driver.dispatch(
                    partial(_allocated, tuple(answer.allocated), answer.num_cluster_nodes)
                )
            for status in answer.completed:
                self.driver.dispatch(partial(_completed, status))
            self.driver.dispatch(lambda i, t: ev.Tick(i, t))
            self._perform(am, self.driver.take())
            if self._finish is not None:
                return
            asking = self.driver.read(lambda m: m.asking)
            self.driver.wake.wait(FAST_S if asking else SLOW_S)

    def _perform(self, am: AMClient, actions: list[ev.Action]) -> None:
        for action in actions:
            if isinstance(action, ev.AskContainers):
                for ask in action.asks:
                    self._asks[(ask.priority, ask.resource_name)] = ask
            elif isinstance(action, ev.ReleaseContainer):
                self._releases.append(action.container_id)
            elif isinstance(action, ev.LaunchAttempt):
                self._launch(am, action.container, action.attempt_id)
            elif isinstance(action, ev.StopContainer):
                try:
                    am.stop_container(action.container)
                except Exception as exc:  # the node may be gone already
                    self.driver.log(f"Could not stop {action.container.container_id}: {exc}")
            elif isinstance(action, ev.FinishJob):
                self._finish = action

    def _launch(self, am: AMClient, container: ContainerModel, attempt_id: str) -> None:
        try:
            am.start_container(container, self.launch_context(attempt_id))
        except Exception as exc:  # the NM refused or is gone: the attempt failed
            message = f"Container launch failed for {container.container_id} : {exc}"
            self._releases.append(container.container_id)
            self.driver.dispatch(lambda i, t: ev.TaskAttemptFailed(i, t, attempt_id, message))

    def launch_context(self, attempt_id: str) -> LaunchContext:
        """A task container: `python -m emr.mapreduce.task <attempt>` with job.json, the
        job's -files and -archives, the umbilical's address and the job token."""
        resources = {"job.json": LocalResource(url=f"{self.staging}/job.json")}
        resources |= {name: LocalResource(url=url) for name, url in self.spec.files.items()}
        resources |= {
            name: LocalResource(url=url, type="ARCHIVE") for name, url in self.spec.archives.items()
        }
        command = (
            f"{sys.executable} -m emr.mapreduce.task {attempt_id} "
            "1><LOG_DIR>/stdout 2><LOG_DIR>/stderr"
        )
        return LaunchContext(
            commands=[command],
            environment={
                "EMR_MR_UMBILICAL": self.tracking_url,
                "EMR_MR_JOB_TOKEN": self.token,
            },
            local_resources=resources,
            service_data={"mapreduce_shuffle": self.token},
        )

    @property
    def tracking_url(self) -> str:
        return self._tracking

    # --- the end --------------------------------------------------------------------------

    def _end(
        self,
        am: AMClient,
        fss: JobFileSystems,
        committer: OutputCommitter,
        state: str,
        diagnostics: str,
        tracking: str,
    ) -> None:
        log = self.driver.log
        try:
            if state == "SUCCEEDED":
                committer.commit_job()
                log(f"Job {self.spec.job_id} committed")
            else:
                committer.abort_job()
        except Exception as exc:  # commit failures fail the job, as in Hadoop
            if state == "SUCCEEDED":
                state, diagnostics = "FAILED", f"Job commit failed: {exc}"
                _quietly(committer.abort_job)
            log(f"Committer: {exc}", "ERROR")
        history = self.driver.read(lambda m: reports.history(m, state, diagnostics))
        if not history.finish_time:
            history = history.model_copy(update={"finish_time": self.driver.now()})
        try:
            self._write_history(fss, history.model_dump_json().encode())
            self._clean_staging(fss)
        except Exception as exc:  # the client then sees the RM's final status only
            log(f"Could not write the job history: {exc}", "ERROR")
        final: Any = state
        am.finish(final, diagnostics=diagnostics, tracking_url=tracking)
        log(f"Job {self.spec.job_id} finished: {state}; unregistered from the ResourceManager")

    def _write_history(self, fss: JobFileSystems, data: bytes) -> None:
        fs, path = fss.resolve(self.history_uri)
        fs.create(path, [data], overwrite=True)

    def _clean_staging(self, fss: JobFileSystems) -> None:
        fs, staging = fss.resolve(self.staging)
        _, history = fss.resolve(self.history_uri)
        if not history.startswith(staging.rstrip("/") + "/"):
            fs.delete(staging, recursive=True)
            return
        for status in fs.list_status(staging):
            if status.path.rstrip("/") != history.rstrip("/"):
                fs.delete(status.path, recursive=True)


def _allocated(
    containers: tuple[ContainerModel, ...], nodes: int, event_id: int, now: int
) -> ev.Event:
    return ev.AllocatedContainers(event_id, now, containers, nodes)


def _completed(status: ContainerStatus, event_id: int, now: int) -> ev.Event:
    return ev.ContainerCompleted(
        event_id, now, status.container_id, status.exit_status, status.diagnostics
    )


def _quietly(call: Any) -> None:
    try:
        call()
    except Exception:  # best effort after another failure
        return


def main(environ: Mapping[str, str] | None = None, workdir: Path | None = None) -> int:
    """`python -m emr.mapreduce.appmaster`."""
    environ = os.environ if environ is None else environ
    master = AppMaster(environ, workdir or Path.cwd())
    return master.run()
