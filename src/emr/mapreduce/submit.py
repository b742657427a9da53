"""Submitting a streaming job as a YARN application of type MAPREDUCE and following it, as
Hadoop's JobSubmitter and mapreduce.Job do (and log).

    new application → job id; staging dir `<yarn.app.mapreduce.am.staging-dir>/<user>/
    .staging/<job id>` on fs.defaultFS; local -files/-archives uploaded into it; job.json
    written; the AM (`python -m emr.mapreduce.appmaster`) submitted with the job token, the
    staging and history URIs in its environment; then the RM's report every second, the AM's
    `/ws/v1/mapreduce/jobs/{job}` for progress, and at the end the AM's JobHistory JSON.

LIMITATIONS: failed task attempts are printed (`Task Id : …, Status : FAILED` / `Error: …`)
when the job ends, from its history, not as they happen; no delegation tokens; no job history server (the history JSON stays in the
staging root's `history/done_intermediate/<user>/`); Ctrl-C leaves the job running, as
Hadoop's client does.
"""

from __future__ import annotations

import json
import secrets
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import httpx

from emr.hdfs.shell.errors import ShellError
from emr.mapreduce.counters import format_counters
from emr.mapreduce.fs import JobFileSystems
from emr.mapreduce.ids import JobId
from emr.mapreduce.job import DEFAULTS, JobHistory, JobSpec
from emr.mapreduce.log import ClientLog
from emr.yarn.cli.rest import ResourceManagerAddress
from emr.yarn.client import YarnClientError, YarnRestClient
from emr.yarn.ids import ApplicationId
from emr.yarn.protocol import LocalResource

__all__ = ["JobOutcome", "JobSubmitter", "SubmitError", "Submitted"]

_POLL_SECONDS: Final = 1.0
_HISTORY_WAIT_SECONDS: Final = 30.0
_CHUNK: Final = 1024 * 1024
_SHARED_SCHEMES: Final = ("hdfs://", "s3://", "s3a://", "s3n://", "http://", "https://")


class SubmitError(Exception):
    """The job could not be submitted; the message is what Hadoop's client would say."""


@dataclass(frozen=True)
class Submitted:
    job_id: JobId
    application_id: str
    staging: str
    history: str


@dataclass(frozen=True)
class JobOutcome:
    succeeded: bool
    state: str
    diagnostics: str
    counters: dict[str, dict[str, int]]


def _chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as file:
        while chunk := file.read(_CHUNK):
            yield chunk


class JobSubmitter:
    """One client session with the ResourceManager (close it when done)."""

    def __init__(
        self,
        environ: Mapping[str, str],
        log: ClientLog,
        fss: JobFileSystems,
        conf: Mapping[str, str],
        user: str,
    ) -> None:
        self._log = log
        self._fss = fss
        self._conf = conf
        self._user = user
        self._address = ResourceManagerAddress.from_environment(environ)
        self._yarn = YarnRestClient(self._address.url, user=user)
        self._http = httpx.Client(timeout=10.0)

    def close(self) -> None:
        self._yarn.close()
        self._http.close()

    def _get(self, key: str) -> str:
        return self._conf.get(key) or DEFAULTS.get(key, "")

    def connect(self) -> None:
        host, port = self._address.rpc
        shown = f"/{host}" if host.replace(".", "").isdigit() else f"{host}/{host}"
        self._log.info(
            "client.DefaultNoHARMFailoverProxyProvider",
            f"Connecting to ResourceManager at {shown}:{port}",
        )

    def new_job(self) -> JobId:
        """A new application's id as a job id."""
        try:
            application = self._yarn.new_application()
        except (YarnClientError, httpx.HTTPError) as exc:
            raise SubmitError(
                f"Failed to get a new application from the ResourceManager: {exc}"
            ) from exc
        return JobId.of(ApplicationId.parse(application.application_id))

    def staging_root(self) -> str:
        return self._fss.qualify(self._get("yarn.app.mapreduce.am.staging-dir"))

    def staging_dir(self, job_id: JobId) -> str:
        return f"{self.staging_root().rstrip('/')}/{self._user}/.staging/{job_id}"

    def history_uri(self, job_id: JobId) -> str:
        root = self.staging_root().rstrip("/")
        return f"{root}/history/done_intermediate/{self._user}/{job_id}.json"

    def ship(self, entries: Mapping[str, str], staging: str, kind: str) -> dict[str, str]:
        """name → URI for -files/-archives: local files uploaded to `<staging>/<kind>/`,
        hdfs:// and s3:// URIs used as they are."""
        shipped: dict[str, str] = {}
        for name, source in entries.items():
            if source.startswith(_SHARED_SCHEMES):
                if not self._fss.glob(source):
                    raise SubmitError(f"File {self._fss.qualify(source)} does not exist")
                shipped[name] = self._fss.qualify(source)
                continue
            local = Path(source.removeprefix("file://").removeprefix("file:"))
            if not local.is_file():
                raise SubmitError(f"File file:{local.absolute()} does not exist")
            target = f"{staging}/{kind}/{name}"
            fs, path = self._fss.resolve(target)
            fs.mkdirs(path.rsplit("/", 1)[0] or "/")
            fs.create(path, _chunks(local), overwrite=True)
            shipped[name] = target
        return shipped

    def submit(self, spec: JobSpec, staging: str) -> Submitted:
        """Write job.json and submit the AM; logs Hadoop's submission lines."""
        job_id = JobId.parse(spec.job_id)
        token = secrets.token_hex(32)
        job_json = f"{staging}/job.json"
        fs, path = self._fss.resolve(job_json)
        fs.mkdirs(path.rsplit("/", 1)[0])
        fs.create(path, iter([spec.model_dump_json().encode()]), overwrite=True)
        history = self.history_uri(job_id)
        self._log.info("mapreduce.JobSubmitter", f"number of splits:{len(spec.splits)}")
        self._log.info("mapreduce.JobSubmitter", f"Submitting tokens for job: {job_id}")
        self._log.info("mapreduce.JobSubmitter", "Executing with tokens: []")
        application_id = str(job_id.application_id)
        try:
            self._yarn.submit(
                application_id,
                spec.name,
                [
                    f"{sys.executable} -m emr.mapreduce.appmaster "
                    "1><LOG_DIR>/stdout 2><LOG_DIR>/stderr"
                ],
                memory_mb=int(self._get("yarn.app.mapreduce.am.resource.mb")),
                environment={
                    "EMR_MR_JOB_TOKEN": token,
                    "EMR_MR_STAGING": staging,
                    "EMR_MR_HISTORY": history,
                },
                local_resources={"job.json": LocalResource(url=job_json)},
                queue=spec.queue,
                application_type="MAPREDUCE",
                max_app_attempts=int(self._get("mapreduce.am.max-attempts")),
            )
        except (YarnClientError, httpx.HTTPError) as exc:
            raise SubmitError(str(exc)) from exc
        self._log.info("impl.YarnClientImpl", f"Submitted application {application_id}")
        host = self._address.webapp[0]
        port = self._address.webapp[1]
        self._log.info(
            "mapreduce.Job",
            f"The url to track the job: http://{host}:{port}/proxy/{application_id}/",
        )
        return Submitted(job_id, application_id, staging, history)

    def _progress(self, tracking_url: str, job_id: JobId) -> tuple[int, int] | None:
        try:
            response = self._http.get(f"{tracking_url.rstrip('/')}/ws/v1/mapreduce/jobs/{job_id}")
            if not response.is_success:
                return None
            job: dict[str, Any] = response.json()["job"]
            return int(float(job.get("mapProgress", 0))), int(float(job.get("reduceProgress", 0)))
        except (httpx.HTTPError, ValueError, KeyError, TypeError):
            # The AM may be starting or already gone: the RM's report decides the end.
            return None

    def follow(self, submitted: Submitted) -> JobOutcome:
        """Poll until the application ends; log progress, the outcome and the counters."""
        job_id = submitted.job_id
        self._log.info("mapreduce.Job", f"Running job: {job_id}")
        announced = False
        last: tuple[int, int] | None = None
        while True:
            try:
                report = self._yarn.application(submitted.application_id)
            except (YarnClientError, httpx.HTTPError) as exc:
                self._log.warn("mapreduce.Job", f"Error getting the job's report: {exc}")
                time.sleep(_POLL_SECONDS)
                continue
            if report.state == "RUNNING" and report.tracking_url:
                if not announced:
                    self._log.info("mapreduce.Job", f"Job {job_id} running in uber mode : false")
                    announced = True
                progress = self._progress(report.tracking_url, job_id)
                if progress is not None and progress != last:
                    self._log.info("mapreduce.Job", f" map {progress[0]}% reduce {progress[1]}%")
                    last = progress
            if report.ended:
                break
            time.sleep(_POLL_SECONDS)
        wait = 0.0 if report.state == "KILLED" else _HISTORY_WAIT_SECONDS
        history = self._history(submitted.history, wait)
        if history is None:
            state = "KILLED" if report.state == "KILLED" else "FAILED"
            diagnostics = report.diagnostics or f"Job {job_id} was killed"
            outcome = JobOutcome(False, state, diagnostics, {})
        else:
            outcome = JobOutcome(
                history.state == "SUCCEEDED", history.state, history.diagnostics, history.counters
            )
        if not announced:
            self._log.info("mapreduce.Job", f"Job {job_id} running in uber mode : false")
        for failed in history.failed_attempts if history is not None else []:
            self._log.info(
                "mapreduce.Job",
                f"Task Id : {failed.attempt_id}, Status : FAILED\nError: {failed.diagnostics}",
            )
        if outcome.succeeded:
            if last != (100, 100):
                self._log.info("mapreduce.Job", " map 100% reduce 100%")
            self._log.info("mapreduce.Job", f"Job {job_id} completed successfully")
        else:
            self._log.info(
                "mapreduce.Job",
                f"Job {job_id} failed with state {outcome.state} due to: {outcome.diagnostics}",
            )
        if outcome.counters:
            self._log.info("mapreduce.Job", "\n".join(format_counters(outcome.counters)))
        return outcome

    def _history(self, uri: str, wait: float) -> JobHistory | None:
        """The AM's JobHistory (it writes it before unregistering; bounded wait for a slow
        filesystem view)."""
        deadline = time.monotonic() + wait
        while True:
            try:
                fs, path = self._fss.resolve(uri)
                if fs.status(path) is not None:
                    with fs.open(path) as chunks:
                        return JobHistory.model_validate(json.loads(b"".join(chunks)))
            except (ShellError, ValueError, OSError):
                pass
            if time.monotonic() > deadline:
                return None
            time.sleep(_POLL_SECONDS)
