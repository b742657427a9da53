"""`spark-submit` on cluster nodes (`python -m emr.spark.submit`, bin/spark-submit).

With `--master yarn` (spark-defaults.conf's default on a cluster) the application becomes a
YARN application run by emr.spark.appmaster:
- cluster mode: local files named by the command line (the primary resource, --py-files,
  --files, --jars, --archives) are staged in `hdfs:///user/<user>/.sparkStaging/<app id>/`;
  they and s3:// or hdfs:// ones are localized into the AM container, where the driver runs.
  spark-submit reports the application's state as Spark's YARN client does, and exits 0 only
  if it FINISHED with SUCCEEDED.
- client mode: the AM only runs the Master and the executors; the driver runs here, against
  the Master the application report names, and its exit code is handed to the AM.
Any other master (local[*], spark://…) runs pyspark's spark-submit unchanged, as do
--version and --help. SIGTERM (CancelSteps) kills the YARN application.

Every option reaches the driver's own spark-submit, so Spark applies its rules; what this
module decides is only where things run and how big their containers are.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Final, NoReturn

import httpx

from emr.hdfs.shell.errors import ShellError
from emr.hdfs.site import current_user
from emr.mapreduce.fs import JobFileSystems
from emr.spark.application import (
    APP_JSON,
    DRIVER_EXIT_FILE,
    SparkApplication,
    driver_command,
    driver_environment,
)
from emr.spark.emrfs import pyspark_home
from emr.spark.options import (
    RESOURCE_OPTIONS,
    SubmitArguments,
    SubmitUsageError,
    parse_submit_arguments,
)
from emr.spark.sizes import (
    MIN_EXECUTOR_MB,
    am_container_mb,
    executor_container_mb,
    format_mb,
    parse_mb,
)
from emr.yarn.cli.rest import ResourceManagerAddress
from emr.yarn.client import ApplicationReport, YarnClientError, YarnRestClient
from emr.yarn.protocol import LocalResource

__all__ = ["main"]

_REMOTE: Final = ("hdfs://", "s3://", "s3a://", "s3n://")
_CHUNK: Final = 1 << 20
_DEFAULT_EXECUTORS: Final = 2
#: Options this module decides or that make no sense against the application's own Master.
_DROPPED: Final = frozenset(
    {"--master", "--deploy-mode", "--num-executors", "--queue", "--properties-file", "--conf", "-c"}
)
#: Properties the driver's spark-submit must not see as given (they name YARN).
_DECIDED: Final = frozenset({"spark.master", "spark.submit.deployMode"})


class SubmitError(Exception):
    """The application could not be submitted or failed: the message is for the user."""


def _log(message: str, level: str = "INFO") -> None:
    stamp = time.strftime("%y/%m/%d %H:%M:%S")
    print(f"{stamp} {level} Client: {message}", file=sys.stderr, flush=True)


def _real_spark_submit(argv: list[str]) -> NoReturn:
    real = str(pyspark_home() / "bin" / "spark-submit")
    os.execv(real, [real, *argv])


@dataclass
class Sizes:
    executors: int
    executor_cores: int
    executor_memory_mb: int
    executor_container_mb: int
    am_memory_mb: int
    am_vcores: int


def sizes_of(conf: Mapping[str, str], deploy_mode: str) -> Sizes:
    """Executor and AM sizes from the resolved properties (SubmitUsageError if unusable)."""
    try:
        executors = int(conf.get("spark.executor.instances", _DEFAULT_EXECUTORS))
        cores = int(conf.get("spark.executor.cores", "1"))
        memory = parse_mb(conf.get("spark.executor.memory", "1g"))
        driver = parse_mb(conf.get("spark.driver.memory", "1g"))
        driver_cores = int(conf.get("spark.driver.cores", "1"))
        container = executor_container_mb(memory, conf.get("spark.executor.memoryOverhead"))
        am = am_container_mb(
            driver if deploy_mode == "cluster" else None, conf.get("spark.driver.memoryOverhead")
        )
    except ValueError as exc:
        raise SubmitUsageError(str(exc)) from exc
    if executors < 1 or cores < 1 or driver_cores < 1:
        raise SubmitUsageError(
            "Number of executors, executor cores and driver cores must be positive"
        )
    if memory < MIN_EXECUTOR_MB:
        raise SubmitUsageError(
            f"Executor memory {memory} MB must be at least {MIN_EXECUTOR_MB} MB. Please "
            "increase executor memory using the --executor-memory option or "
            "spark.executor.memory in Spark configuration."
        )
    return Sizes(
        executors, cores, memory, container, am, driver_cores if deploy_mode == "cluster" else 1
    )


@dataclass
class Staged:
    """The driver's view of the command line's files, and the AM container's resources."""

    resources: dict[str, LocalResource] = field(default_factory=dict)
    #: original entry → what the driver's spark-submit gets instead.
    renamed: dict[str, str] = field(default_factory=dict)


class Submitter:
    """One spark-submit run against YARN."""

    def __init__(self, args: SubmitArguments, conf: dict[str, str], environ: Mapping[str, str]):
        self.args = args
        self.conf = conf
        self.environ = environ
        self.deploy_mode = conf.get("spark.submit.deployMode", "client")
        if self.deploy_mode not in ("client", "cluster"):
            raise SubmitUsageError(
                f"Deploy mode must be either client or cluster, not {self.deploy_mode}"
            )
        self.sizes = sizes_of(conf, self.deploy_mode)
        self.user = current_user(environ)
        self.address = ResourceManagerAddress.from_environment(environ)
        self.yarn = YarnRestClient(self.address.url, user=self.user)
        self.fss = JobFileSystems(environ, self.user)
        self.application_id = ""
        self.staging = ""
        self._stop = threading.Event()

    def close(self) -> None:
        self.yarn.close()
        self.fss.close()

    # --- staging --------------------------------------------------------------------------

    def _upload(self, local: Path) -> str:
        target = f"{self.staging}/{local.name}"
        fs, path = self.fss.resolve(target)

        def chunks() -> Iterator[bytes]:
            with local.open("rb") as file:
                while chunk := file.read(_CHUNK):
                    yield chunk

        fs.create(path, chunks(), overwrite=True)
        return target

    def _stage_one(self, entry: str, staged: Staged, archive: bool) -> None:
        uri, _, alias = entry.partition("#")
        if uri.startswith(("local:", "http://", "https://", "ftp://")):
            staged.renamed[entry] = entry
            return
        if uri.startswith(_REMOTE):
            try:
                found = self.fss.glob(uri)
            except ShellError as exc:  # e.g. no such bucket, access denied
                raise SubmitError(f"Cannot read {uri}: {exc}") from exc
            if not found:
                raise SubmitError(f"File {uri} does not exist")
            remote = self.fss.qualify(uri)
        else:
            local = Path(uri.removeprefix("file://").removeprefix("file:"))
            if not local.is_file():
                raise SubmitError(f"File file:{local.absolute()} does not exist")
            remote = self._upload(local)
        name = alias or PurePosixPath(uri).name
        if name in staged.resources:
            raise SubmitError(f"Two resources are named {name}: rename one with #<name>")
        staged.resources[name] = LocalResource(url=remote, type="ARCHIVE" if archive else "FILE")
        # Executors fetch archives themselves (through EMRFS or WebHDFS); other files they get
        # from the driver, which has them in its working directory.
        staged.renamed[entry] = f"{remote}#{name}" if archive else name

    def stage(self) -> Staged:
        """Cluster mode: every file of the command line as a resource of the AM container."""
        fs, path = self.fss.resolve(self.staging)
        fs.mkdirs(path)
        fs.set_permission(path, 0o700)
        staged = Staged()
        for option in RESOURCE_OPTIONS:
            for entry in self.args.listed(option):
                self._stage_one(entry, staged, archive=option == "--archives")
        assert self.args.primary is not None
        self._stage_one(self.args.primary, staged, archive=False)
        return staged

    def _download(self, uri: str, directory: Path) -> str:
        fs, path = self.fss.resolve(uri)
        if fs.status(path) is None:
            raise SubmitError(f"File {uri} does not exist")
        local = directory / PurePosixPath(path).name
        with fs.open(path) as chunks, local.open("wb") as out:
            for chunk in chunks:
                out.write(chunk)
        return str(local)

    # --- the driver's command line --------------------------------------------------------

    def driver_args(self, renamed: Mapping[str, str]) -> list[str]:
        """The command line for the driver's spark-submit: the resolved properties as --conf
        (so the driver uses what this node resolved), the executor sizes the AM grants, the
        other options as given with files renamed, the primary resource and its arguments."""
        conf = {k: v for k, v in self.conf.items() if k not in _DECIDED}
        conf.pop("spark.executor.instances", None)
        conf.update(
            {
                "spark.executor.memory": format_mb(self.sizes.executor_memory_mb),
                "spark.executor.cores": str(self.sizes.executor_cores),
                "spark.cores.max": str(self.sizes.executors * self.sizes.executor_cores),
            }
        )
        args: list[str] = []
        for key, value in conf.items():
            args += ["--conf", f"{key}={value}"]
        for option, given in self.args.options:
            if option in _DROPPED:
                continue
            if given is None:
                args.append(option)
            elif option in RESOURCE_OPTIONS:
                entries = [renamed.get(e, e) for e in given.split(",") if e]
                args += [option, ",".join(entries)]
            else:
                args += [option, given]
        assert self.args.primary is not None
        return [*args, renamed.get(self.args.primary, self.args.primary), *self.args.app_args]

    # --- YARN -----------------------------------------------------------------------------

    def submit(self, staged: Staged) -> None:
        name = self.conf.get("spark.app.name", "Spark")
        app = SparkApplication(
            application_id=self.application_id,
            name=name,
            deploy_mode="cluster" if self.deploy_mode == "cluster" else "client",
            staging=self.staging,
            driver_args=self.driver_args(staged.renamed) if self.deploy_mode == "cluster" else [],
            executors=self.sizes.executors,
            executor_cores=self.sizes.executor_cores,
            executor_memory_mb=self.sizes.executor_memory_mb,
            executor_container_mb=self.sizes.executor_container_mb,
            max_executor_failures=int(
                self.conf.get("spark.executor.maxNumFailures", max(3, 2 * self.sizes.executors))
            ),
        )
        app_json = f"{self.staging}/{APP_JSON}"
        fs, path = self.fss.resolve(app_json)
        fs.create(path, iter([app.model_dump_json().encode()]), overwrite=True)
        resources = {**staged.resources, APP_JSON: LocalResource(url=app_json)}
        _log(f"Submitting application {self.application_id} to ResourceManager")
        self.yarn.submit(
            self.application_id,
            name,
            [f"{sys.executable} -m emr.spark.appmaster 1><LOG_DIR>/stdout 2><LOG_DIR>/stderr"],
            memory_mb=self.sizes.am_memory_mb,
            vcores=self.sizes.am_vcores,
            local_resources=resources,
            queue=self.conf.get("spark.yarn.queue", "default"),
            application_type="SPARK",
            max_app_attempts=int(self.conf.get("spark.yarn.maxAppAttempts", "1")),
            tags=[t for t in self.conf.get("spark.yarn.tags", "").split(",") if t],
        )

    def check_capacity(self, maximum_memory_mb: int) -> None:
        """Spark's own refusal when a container can never fit the cluster's largest node."""
        for what, needed in (
            ("executor", self.sizes.executor_container_mb),
            ("AM", self.sizes.am_memory_mb),
        ):
            if needed > maximum_memory_mb:
                raise SubmitUsageError(
                    f"Required {what} memory ({needed} MB, overheads included) is above the "
                    f"max threshold ({maximum_memory_mb} MB) of this cluster! Please check "
                    "the values of 'yarn.scheduler.maximum-allocation-mb' and/or "
                    "'yarn.nodemanager.resource.memory-mb'."
                )

    def report(self, report: ApplicationReport) -> None:
        host, _, port = report.am_rpc_address.partition(":")
        _log(
            f"\n\t client token: N/A\n\t diagnostics: {report.diagnostics or 'N/A'}\n"
            f"\t ApplicationMaster host: {host or 'N/A'}\n"
            f"\t ApplicationMaster RPC port: {port or -1}\n\t queue: {report.queue}\n"
            f"\t final status: {report.final_status}\n\t tracking URL: {report.tracking_url}\n"
            f"\t user: {report.user}"
        )

    def follow(self, until_running: bool = False) -> ApplicationReport:
        """Application reports until it ends (or, if asked, runs with its AM registered)."""
        last_state, polls = "", 0
        while True:
            try:
                report = self.yarn.application(self.application_id)
            except (YarnClientError, httpx.HTTPError) as exc:
                _log(f"Failed to contact YARN for application {self.application_id}: {exc}", "WARN")
                time.sleep(2)
                continue
            if report.state != last_state or polls % 30 == 0:
                _log(f"Application report for {self.application_id} (state: {report.state})")
                if report.state != last_state and report.state in (
                    "RUNNING",
                    "FINISHED",
                    "FAILED",
                    "KILLED",
                ):
                    self.report(report)
                last_state = report.state
            if report.ended:
                return report
            if until_running and report.state == "RUNNING":
                port = report.am_rpc_address.rpartition(":")[2]
                if port.isdigit() and int(port) > 0:
                    return report
            polls += 1
            if self._stop.wait(1.0):
                raise KeyboardInterrupt

    def kill(self) -> None:
        if not self.application_id:
            return
        try:
            self.yarn.kill(self.application_id)
            _log(f"Killed application {self.application_id}")
        except (YarnClientError, httpx.HTTPError) as exc:
            _log(f"Could not kill {self.application_id}: {exc}", "WARN")
        self.cleanup_staging()

    def cleanup_staging(self) -> None:
        """Once the application ended, its staging dir goes, as Spark's YARN client removes it
        (the AM does too when it finishes, but not when it is killed)."""
        if not self.staging:
            return
        try:
            fs, path = self.fss.resolve(self.staging)
            if fs.status(path) is not None:
                fs.delete(path, recursive=True)
                _log(f"Deleted staging directory {self.staging}")
        except (ShellError, httpx.HTTPError, OSError) as exc:  # left behind: harmless
            _log(f"Could not delete staging directory {self.staging}: {exc}", "WARN")

    # --- the two deploy modes -------------------------------------------------------------

    def run(self) -> int:
        new = self.yarn.new_application()
        self.check_capacity(new.maximum_memory_mb)
        self.application_id = new.application_id
        self.staging = self.fss.qualify(f"/user/{self.user}/.sparkStaging/{self.application_id}")
        _log(
            f"Requesting a new application from cluster with {new.maximum_memory_mb} MB "
            "maximum container memory"
        )
        if self.deploy_mode == "cluster":
            return self._run_cluster()
        return self._run_client()

    def _run_cluster(self) -> int:
        self.submit(self.stage())
        report = self.follow()
        self.cleanup_staging()
        if report.state == "FINISHED" and report.final_status == "SUCCEEDED":
            return 0
        print(
            'Exception in thread "main" org.apache.spark.SparkException: Application '
            f"{self.application_id} finished with failed status",
            file=sys.stderr,
        )
        return 1

    def _run_client(self) -> int:
        fs, path = self.fss.resolve(self.staging)
        fs.mkdirs(path)
        fs.set_permission(path, 0o700)
        self.submit(Staged())
        report = self.follow(until_running=True)
        if report.ended:
            _log(f"Application {self.application_id} ended before the driver started", "ERROR")
            return 1
        host, _, port = report.am_rpc_address.partition(":")
        with tempfile.TemporaryDirectory(prefix="spark-submit-") as scratch:
            renamed: dict[str, str] = {}
            entries = [self.args.primary or "", *self.args.listed("--py-files")]
            for entry in entries:
                if entry.startswith(_REMOTE):
                    renamed[entry] = self._download(entry, Path(scratch))
            command = driver_command(
                f"spark://{host}:{port}", self.driver_args(renamed), self._driver_host()
            )
            driver = subprocess.Popen(command, env=driver_environment(self._driver_host()))
            watcher = threading.Thread(target=self._watch, args=(driver,), daemon=True)
            watcher.start()
            try:
                code = driver.wait()
            except KeyboardInterrupt:
                driver.terminate()
                code = driver.wait()
                raise
        self._stop.set()
        exit_file = f"{self.staging}/{DRIVER_EXIT_FILE}"
        fs, path = self.fss.resolve(exit_file)
        try:
            fs.create(path, iter([str(code).encode()]), overwrite=True)
        except Exception as exc:  # the application is gone (killed): nothing to tell it
            _log(f"Could not report the driver's exit to the AM: {exc}", "WARN")
        self._stop.clear()
        final = self.yarn.wait(self.application_id, timeout=60)
        _log(f"Application {self.application_id} {final.state} with {final.final_status}")
        self.cleanup_staging()
        return code

    def _driver_host(self) -> str:
        # spark-submit runs on the master node, whose IP is the ResourceManager's.
        return self.environ.get("SPARK_LOCAL_IP") or self.address.webapp[0]

    def _watch(self, driver: subprocess.Popen[bytes]) -> None:
        """Client mode: if the application ends under the driver (killed), stop the driver."""
        while driver.poll() is None and not self._stop.is_set():
            try:
                if self.yarn.application(self.application_id).ended:
                    _log(f"Application {self.application_id} ended: stopping the driver", "ERROR")
                    driver.terminate()
                    return
            except (YarnClientError, httpx.HTTPError):
                pass
            self._stop.wait(2.0)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    try:
        args = parse_submit_arguments(argv)
        if args.has("--version", "--help", "-h", "--usage-error") or args.last("--kill"):
            _real_spark_submit(argv)
        if args.last("--status"):
            _real_spark_submit(argv)
        conf = args.conf(os.environ)
    except SubmitUsageError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 1
    if conf.get("spark.master", "local[*]") != "yarn":
        _real_spark_submit(argv)
    if args.primary is None:
        print("Error: Must specify a primary resource (JAR or Python or R file)", file=sys.stderr)
        return 1
    submitter: Submitter | None = None

    def on_term(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_term)
    try:
        submitter = Submitter(args, conf, os.environ)
        return submitter.run()
    except SubmitUsageError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 1
    except (SubmitError, ShellError, YarnClientError, httpx.HTTPError, OSError) as exc:
        print(f'Exception in thread "main" org.apache.spark.SparkException: {exc}', file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        if submitter is not None:
            submitter.kill()
        return 143
    finally:
        if submitter is not None:
            submitter.close()


if __name__ == "__main__":
    sys.exit(main())
