"""The NodeManager's pure rules: exit statuses, diagnostics, environment, commands, records."""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path

import pytest

from emr.yarn.nodemanager.container import (
    INVALID,
    ContainerRecord,
    ContainerState,
    KillReason,
    ProcessLine,
    container_environment,
    exit_status,
    expand_command,
    format_bytes,
    kill_diagnostics,
    pmem_diagnostics,
)
from emr.yarn.protocol import LaunchContext, ResourceModel, container_token

CID = "container_1700000000000_0001_01_000002"


@pytest.mark.parametrize(
    ("returncode", "kill", "expected"),
    [
        (0, None, 0),
        (3, None, 3),
        (-15, None, 143),  # SIGTERM from elsewhere, as bash reports it
        (-9, None, 137),
        (-15, KillReason.APPMASTER, -105),
        (-9, KillReason.RESOURCEMANAGER, -106),
        (-15, KillReason.PMEM, -104),
        (-15, KillReason.SHUTDOWN, -100),
        (0, KillReason.APP_FINISHED, -107),
    ],
)
def test_exit_status(returncode: int, kill: KillReason | None, expected: int) -> None:
    assert exit_status(returncode, kill) == expected


@pytest.mark.parametrize(
    ("n", "text"),
    [
        (0, "0B"),
        (1023, "1023B"),
        (1024, "1 KB"),
        (48 * 1024 * 1024, "48 MB"),
        (2 * 1024**3, "2 GB"),
        (int(517.7 * 1024 * 1024), "517.7 MB"),
        (int(5.6 * 1024**3), "5.6 GB"),
        (1024**2 - 1, "1.0 MB"),  # Hadoop's rounding-up case: never "1024.0 KB"
    ],
)
def test_format_bytes_is_hadoops_long2string(n: int, text: str) -> None:
    assert format_bytes(n) == text


def test_pmem_diagnostics_wording() -> None:
    line = ProcessLine(
        pid=12,
        ppid=11,
        pgid=11,
        sid=11,
        name="python3",
        user_millis=100,
        system_millis=20,
        vmem_bytes=200_000_000,
        rss_pages=30_000,
        command="python3 -c pass",
    )
    text = pmem_diagnostics(
        pid=11,
        container_id=CID,
        pmem_used=100 * 1024 * 1024,
        pmem_limit=64 * 1024 * 1024,
        vmem_used=300 * 1024 * 1024,
        vmem_limit=int(64 * 1024 * 1024 * 2.1),
        tree=[line],
    )
    assert text == (
        f"Container [pid=11,containerID={CID}] is running 37748736B beyond the 'PHYSICAL' "
        "memory limit. Current usage: 100 MB of 64 MB physical memory used; 300 MB of 134.4 MB "
        "virtual memory used. Killing container.\n"
        f"Dump of the process-tree for {CID} :\n"
        "\t|- PID PPID PGRPID SESSID CMD_NAME USER_MODE_TIME(MILLIS) SYSTEM_TIME(MILLIS) "
        "VMEM_USAGE(BYTES) RSSMEM_USAGE(PAGES) FULL_CMD_LINE\n"
        "\t|- 12 11 11 11 (python3) 100 20 200000000 30000 python3 -c pass\n"
    )


def test_kill_diagnostics() -> None:
    assert kill_diagnostics(-15) == (
        "Container killed on request. Exit code is 143\n"
        "Container exited with a non-zero exit code 143. \n"
    )


def test_expand_command() -> None:
    log_dir = Path("/logs/app/c1")
    assert expand_command("run 1>{{LOG_DIR}}/stdout 2><LOG_DIR>/stderr", log_dir) == (
        "run 1>/logs/app/c1/stdout 2>/logs/app/c1/stderr"
    )
    assert expand_command("java -cp {{PWD}}<CPS>x.jar", log_dir) == "java -cp ${PWD}:x.jar"


def test_environment_layers() -> None:
    node = {"PATH": "/node/bin", "HADOOP_CONF_DIR": "/node/conf", "USER": "root"}
    launch = {
        "CLASSPATH": "{{PWD}}<CPS>{{HADOOP_CONF_DIR}}<CPS>{{UNKNOWN}}",
        "PATH": "/custom",
        "CONTAINER_ID": "forged",
    }
    yarn = {"CONTAINER_ID": CID, "PWD": "/work/c2", "USER": "hadoop"}
    env = container_environment(node, launch, yarn)
    assert env["CLASSPATH"] == "/work/c2:/node/conf:"
    assert env["PATH"] == "/custom"  # the launch context wins over the node
    assert env["CONTAINER_ID"] == CID  # YARN's own variables win over both
    assert env["USER"] == "hadoop"
    assert env["HADOOP_CONF_DIR"] == "/node/conf"


def _record() -> ContainerRecord:
    return ContainerRecord(
        container_id=CID,
        application_id="application_1700000000000_0001",
        user="hadoop",
        resource=ResourceModel(memory_mb=256, vcores=1),
        launch_context=LaunchContext(commands=["true"]),
        workdir=Path("/w"),
        log_dir=Path("/l"),
    )


def test_record_statuses() -> None:
    record = _record()
    assert record.status().state == "RUNNING"
    assert record.status().exit_status == INVALID
    record.kill = KillReason.APPMASTER
    record.diagnostics = "Container killed by the ApplicationMaster.\n"
    record.finish(-15)
    status = record.status()
    assert (status.state, status.exit_status) == ("COMPLETE", -105)
    assert status.diagnostics.startswith("Container killed by the ApplicationMaster.\n")
    assert "Exit code is 143" in status.diagnostics


def test_record_failure_and_nonzero_exit() -> None:
    failed = _record()
    failed.fail(INVALID, "java.io.FileNotFoundException: File file:/x does not exist\n")
    assert failed.state is ContainerState.DONE
    assert failed.status().exit_status == -1000
    exited = _record()
    exited.finish(2, "Traceback …\nValueError: bad input\n")
    assert exited.status().exit_status == 2
    assert exited.diagnostics == (
        f"Exception from container-launch.\nContainer id: {CID}\nExit code: 2\n"
        "Container exited with a non-zero exit code 2. Last 4096 bytes of stderr :\n"
        "Traceback …\nValueError: bad input\n"
    )


def test_container_token_is_the_documented_hmac() -> None:
    expected = hmac.new(
        b"cluster", f"{CID}|10.0.0.2:8041|256|1".encode(), hashlib.sha256
    ).hexdigest()
    assert container_token("cluster", CID, "10.0.0.2:8041", 256, 1) == expected
    # Any field of the grant changes it: an AM cannot start a bigger container than granted.
    assert container_token("cluster", CID, "10.0.0.2:8041", 512, 1) != expected
    assert container_token("cluster", CID, "10.0.0.3:8041", 256, 1) != expected


def test_finished_records_are_forgotten_after_the_rm_saw_them(tmp_path: Path) -> None:
    from emr.yarn.nodemanager.containers import TRACK_STOPPED_SECONDS, AppRecord, ContainerManager

    manager = ContainerManager.__new__(ContainerManager)  # the bookkeeping only
    manager.containers, manager.apps = {}, {}
    record = _record()
    record.finish(0)
    manager.containers[CID] = record
    app = AppRecord(record.application_id, "hadoop", [CID])
    manager.apps[app.application_id] = app
    later = (record.finished_at or 0) + TRACK_STOPPED_SECONDS + 1
    manager.forget_stopped(later)
    assert CID in manager.containers  # not acknowledged, application still running
    record.acknowledged = True
    manager.forget_stopped(later)
    assert CID in manager.containers  # its logs are not aggregated yet
    app.state = "FINISHED"
    manager.forget_stopped(later)
    assert manager.containers == {} and manager.apps == {}
