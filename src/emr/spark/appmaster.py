"""The Spark ApplicationMaster (`python -m emr.spark.appmaster`, in the AM container).

It starts a Spark standalone Master for this application alone, registers with the
ResourceManager (host, the Master's port as the RPC port — a client-mode spark-submit finds
`spark://host:port` in the application report —, the Master's web UI as tracking URL), asks
for the executor containers, and runs a standalone Worker sized to one executor in each grant
(the Worker forks the executor inside the container, so YARN measures and kills both). In
cluster mode it runs the driver too, with pyspark's spark-submit in client mode against the
Master, and the application ends with it; in client mode the driver runs in spark-submit on
the master node, which leaves its exit code in the staging dir (DRIVER_EXIT_FILE).

Executors whose containers end (a lost node, the memory limit) are replaced
(emr.spark.executors decides); Spark itself re-runs their tasks on the others.
"""

from __future__ import annotations

import json
import logging
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Final, Literal

import httpx

from emr.mapreduce.fs import JobFileSystems
from emr.spark.application import (
    APP_JSON,
    DRIVER_EXIT_FILE,
    SparkApplication,
    daemon_environment,
    driver_command,
    driver_environment,
    spark_class,
)
from emr.spark.executors import Ask, Decision, ExecutorPool, GiveUp, Launch, Release
from emr.spark.options import read_properties
from emr.yarn.amclient import AMClient
from emr.yarn.protocol import ContainerModel, LaunchContext, ResourceModel, ResourceRequestModel

__all__ = ["SparkAppMaster", "main"]

log = logging.getLogger("emr.spark.appmaster")

_MASTER_URL = re.compile(r"Starting Spark master at (spark://\S+)")
_MASTER_UI = re.compile(r"Successfully started service 'MasterUI' on port (\d+)")
_START_TIMEOUT_S: Final = 90.0
_POLL_S: Final = 0.5
_EXECUTOR_PRIORITY: Final = 1
#: After the client-mode driver's application left the Master, how long its exit code may take.
_EXIT_REPORT_GRACE_S: Final = 30.0
FinalStatus = Literal["SUCCEEDED", "FAILED", "KILLED"]


class _Stopped(Exception):
    """SIGTERM: the NodeManager is stopping the AM (application killed)."""


class StandaloneMaster:
    """The application's Spark standalone Master, its output teed into master.log."""

    def __init__(self, host: str, log_dir: Path) -> None:
        env = daemon_environment()
        env["SPARK_LOCAL_IP"] = host
        env["SPARK_MASTER_OPTS"] = "-Dspark.master.rest.enabled=false"
        self._log_path = log_dir / "spark-master.log"
        self.process = subprocess.Popen(
            spark_class(
                "org.apache.spark.deploy.master.Master",
                "--host",
                host,
                "--port",
                "0",
                "--webui-port",
                "0",
            ),
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        self.url = ""
        self.ui_port = 0
        self._ready = threading.Event()
        threading.Thread(target=self._tee, daemon=True).start()

    def _tee(self) -> None:
        assert self.process.stdout is not None
        with self._log_path.open("ab") as out:
            for line in self.process.stdout:
                out.write(line)
                out.flush()
                text = line.decode(errors="replace")
                if match := _MASTER_URL.search(text):
                    self.url = match[1]
                if match := _MASTER_UI.search(text):
                    self.ui_port = int(match[1])
                if self.url and self.ui_port:
                    self._ready.set()
        self._ready.set()

    def wait_ready(self, timeout: float) -> None:
        """Until the Master serves (RuntimeError if it exits or takes too long)."""
        if not self._ready.wait(timeout) or not (self.url and self.ui_port):
            raise RuntimeError(f"The Spark master did not start (see {self._log_path})")

    def applications(self, host: str, client: httpx.Client) -> dict[str, list[dict[str, object]]]:
        """The Master's /json/ view: active and completed applications (empty if unreachable)."""
        try:
            body = client.get(f"http://{host}:{self.ui_port}/json/", timeout=5).json()
        except (httpx.HTTPError, ValueError):
            return {}
        return {k: list(body.get(k) or []) for k in ("activeapps", "completedapps")}

    def stop(self) -> None:
        _terminate(self.process)


def _terminate(process: subprocess.Popen[bytes], grace: float = 10.0) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def worker_launch_context(app: SparkApplication, master_url: str) -> LaunchContext:
    """A container running one standalone Worker with room for exactly one executor."""
    worker = " ".join(
        spark_class(
            "org.apache.spark.deploy.worker.Worker",
            "--host",
            "$NM_HOST",
            "--port",
            "0",
            "--webui-port",
            "0",
            "--cores",
            str(app.executor_cores),
            "--memory",
            f"{app.executor_memory_mb}M",
            "--work-dir",
            "<LOG_DIR>/work",
            master_url,
        )
    )
    base = daemon_environment({})
    environment = {k: base[k] for k in ("SPARK_DAEMON_MEMORY", "SPARK_DAEMON_JAVA_OPTS")}
    environment.update(SPARK_NO_DAEMONIZE="1", SPARK_HOME=base["SPARK_HOME"])
    # Shuffle files and spills go to the container's YARN local dirs, as on Spark on YARN.
    command = (
        'export SPARK_LOCAL_IP="$NM_HOST" SPARK_LOCAL_DIRS="$LOCAL_DIRS"; '
        f"exec {worker} 1><LOG_DIR>/stdout 2><LOG_DIR>/stderr"
    )
    return LaunchContext(commands=[command], environment=environment)


class SparkAppMaster:
    """One application's AM: see the module docstring."""

    def __init__(self, app: SparkApplication, am: AMClient, host: str, log_dir: Path) -> None:
        self.app = app
        self.am = am
        self.host = host
        self.log_dir = log_dir
        self.pool = ExecutorPool(app.executors, app.max_executor_failures)
        self.containers: dict[str, ContainerModel] = {}
        self.master: StandaloneMaster | None = None
        self.driver: subprocess.Popen[bytes] | None = None
        self._asks: list[ResourceRequestModel] = []
        self._releases: list[str] = []
        self._outcome: tuple[FinalStatus, str] | None = None
        self._launch_context: LaunchContext | None = None
        self._http = httpx.Client()
        self._spark_app_id = ""

    def run(self) -> int:
        try:
            return self._run()
        finally:
            self._http.close()

    def _run(self) -> int:
        self.master = StandaloneMaster(self.host, self.log_dir)
        try:
            self.master.wait_ready(_START_TIMEOUT_S)
        except RuntimeError as exc:
            self.am.register(host=self.host)
            self.am.finish("FAILED", str(exc))
            self.master.stop()
            return 1
        master_url, ui = self.master.url, f"http://{self.host}:{self.master.ui_port}"
        port = int(master_url.rsplit(":", 1)[1])
        self.am.register(host=self.host, rpc_port=port, tracking_url=ui)
        log.info("Spark master %s (web UI %s) for %s", master_url, ui, self.app.application_id)
        self._launch_context = worker_launch_context(self.app, master_url)
        self._perform(self.pool.start())
        if self.app.deploy_mode == "cluster":
            command = driver_command(master_url, self.app.driver_args, self.host)
            log.info("Starting the driver: %s", " ".join(command))
            self.driver = subprocess.Popen(
                command, stdin=subprocess.DEVNULL, env=driver_environment(self.host)
            )
        try:
            status, diagnostics = self._loop()
        except _Stopped:
            log.info("Stopped by the NodeManager: ending the application's processes")
            self._stop_processes()
            return 1
        tracking_url = self._final_tracking_url(ui)
        self._stop_processes()
        # Before unregistering, as Spark's own AM does: once the RM hears the final status, the
        # NodeManager stops this container (SIGTERM), which would cut the removal short.
        self._remove_staging()
        self.am.finish(status, diagnostics, tracking_url=tracking_url)
        log.info("Final status %s %s", status, diagnostics)
        return 0 if status == "SUCCEEDED" else 1

    def _loop(self) -> tuple[FinalStatus, str]:
        started = time.monotonic()
        last_check = 0.0
        app_seen_at: float | None = None
        ended_at: float | None = None
        fss = JobFileSystems()
        try:
            while self._outcome is None:
                answer = self.am.allocate(self._asks, self._releases, progress=0.5)
                self._asks, self._releases = [], []
                if answer.shutdown:
                    return "KILLED", "The ResourceManager asked the AM to shut down"
                for container in answer.allocated:
                    self.containers[container.container_id] = container
                self._perform(self.pool.allocated([c.container_id for c in answer.allocated]))
                for status in answer.completed:
                    self.containers.pop(status.container_id, None)
                    decisions = self.pool.completed(
                        status.container_id, status.exit_status, status.diagnostics
                    )
                    if any(isinstance(d, Ask) for d in decisions):
                        log.warning(
                            "Executor container %s ended (exit status %d: %s): asking for a "
                            "replacement",
                            status.container_id,
                            status.exit_status,
                            status.diagnostics,
                        )
                    self._perform(decisions)
                if self.driver is not None and (code := self.driver.poll()) is not None:
                    if code == 0:
                        return "SUCCEEDED", ""
                    return "FAILED", f"User application exited with status {code}"
                now = time.monotonic()
                if self.app.deploy_mode == "client" and now - last_check >= 2.0:
                    last_check = now
                    code_text = self._driver_exit(fss)
                    if code_text is not None:
                        if code_text.strip() == "0":
                            return "SUCCEEDED", ""
                        return "FAILED", f"User application exited with status {code_text}"
                    apps = self.master.applications(self.host, self._http) if self.master else {}
                    if apps.get("activeapps") or apps.get("completedapps"):
                        app_seen_at = app_seen_at or now
                    ended = not apps.get("activeapps") and bool(apps.get("completedapps"))
                    ended_at = (ended_at or now) if ended else None
                    if ended_at is not None and now - ended_at > _EXIT_REPORT_GRACE_S:
                        return "FAILED", "The driver ended without reporting its exit code"
                    if app_seen_at is None and now - started > self.app.driver_wait_seconds:
                        return "FAILED", (
                            f"No driver connected within {self.app.driver_wait_seconds:.0f} s"
                        )
                time.sleep(_POLL_S)
            return self._outcome
        finally:
            fss.close()

    def _driver_exit(self, fss: JobFileSystems) -> str | None:
        try:
            fs, path = fss.resolve(f"{self.app.staging}/{DRIVER_EXIT_FILE}")
            if fs.status(path) is None:
                return None
            with fs.open(path) as chunks:
                return b"".join(chunks).decode()
        except Exception as exc:  # HDFS briefly unreachable: ask again at the next round
            log.warning("Could not read the driver's exit code: %s", exc)
            return None

    def _remove_staging(self) -> None:
        """The staging dir is the application's alone (Spark on YARN removes it too)."""
        try:
            with JobFileSystems() as fss:
                fs, path = fss.resolve(self.app.staging)
                fs.delete(path, recursive=True)
        except Exception as exc:  # leaving it behind is harmless
            log.warning("Could not remove %s: %r", self.app.staging, exc)

    def _perform(self, decisions: list[Decision]) -> None:
        for decision in decisions:
            if isinstance(decision, Ask):
                resource = ResourceModel(
                    memory_mb=self.app.executor_container_mb, vcores=self.app.executor_cores
                )
                self._asks.append(
                    ResourceRequestModel(
                        priority=_EXECUTOR_PRIORITY,
                        capability=resource,
                        num_containers=decision.containers,
                    )
                )
            elif isinstance(decision, Launch):
                self._launch(self.containers[decision.container_id])
            elif isinstance(decision, Release):
                self.containers.pop(decision.container_id, None)
                self._releases.append(decision.container_id)
            elif isinstance(decision, GiveUp):
                self._outcome = ("FAILED", decision.diagnostics)

    def _launch(self, container: ContainerModel) -> None:
        assert self._launch_context is not None
        try:
            self.am.start_container(container, self._launch_context)
            log.info("Executor container %s on %s", container.container_id, container.node_id)
        except Exception as exc:  # the NodeManager refused or is gone
            log.warning("Could not start %s: %s", container.container_id, exc)
            self._releases.append(container.container_id)
            self._perform(self.pool.launch_failed(container.container_id, str(exc)))

    def _final_tracking_url(self, ui: str) -> str:
        """The History Server's page of this application when there is one (as Spark on YARN
        sets it), else the Master's UI."""
        if self.master is not None:
            apps = self.master.applications(self.host, self._http)
            for entry in apps.get("completedapps", []) + apps.get("activeapps", []):
                self._spark_app_id = str(entry.get("id", ""))
        conf_dir = os.environ.get("SPARK_CONF_DIR")
        history = ""
        if conf_dir:
            properties = read_properties(Path(conf_dir) / "spark-defaults.conf")
            history = properties.get("spark.yarn.historyServer.address", "")
        if history and self._spark_app_id:
            return f"http://{history.removeprefix('http://')}/history/{self._spark_app_id}/"
        return ui

    def _stop_processes(self) -> None:
        self._perform(self.pool.stop())
        if self.driver is not None:
            _terminate(self.driver, grace=15.0)
        for container in list(self.containers.values()):
            try:
                self.am.stop_container(container)
            except Exception as exc:  # the node may be gone: YARN cleans up at app end
                log.info("Could not stop %s: %s", container.container_id, exc)
        if self.master is not None:
            self.master.stop()


def _raise_stopped(signum: int, frame: object) -> None:
    raise _Stopped


def main() -> int:
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per allocate otherwise
    signal.signal(signal.SIGTERM, _raise_stopped)
    app = SparkApplication.model_validate_json(Path(APP_JSON).read_bytes())
    host = os.environ["NM_HOST"]
    log_dir = Path(os.environ.get("LOG_DIRS", ".").split(",")[0])
    log.info("Spark application %s: %s", app.application_id, json.dumps(app.name))
    with AMClient.from_environment() as am:
        return SparkAppMaster(app, am, host, log_dir).run()


if __name__ == "__main__":
    sys.exit(main())
