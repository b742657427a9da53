"""The `yarn` command (`python -m emr.yarn.cli yarn …`, what a node's bin/yarn runs) as a
subprocess against a real ResourceManager and NodeManagers (conftest.py), finding the RM through
a client conf dir's yarn-site.xml as on a node."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from emr.yarn.client import YarnRestClient
from tests.integration.yarn.conftest import (
    MASTER_IP,
    WAIT_S,
    ClusterFactory,
    read_report,
    wait_for,
)

pytestmark = pytest.mark.integration

CONNECTING = (
    " INFO client.DefaultNoHARMFailoverProxyProvider: "
    f"Connecting to ResourceManager at /{MASTER_IP}:8032\n"
)
APPS_HEADER = (
    "                Application-Id\t    Application-Name\t    Application-Type\t      User\t"
    "     Queue\t             State\t       Final-State\t       Progress\t"
    "                       Tracking-URL"
)
NODES_HEADER = "         Node-Id\t     Node-State\tNode-Http-Address\tNumber-of-Running-Containers"


def client_conf(root: Path, webapp_port: int) -> Path:
    """A client's conf dir: yarn-site.xml naming the RM, as a node's conf/ does."""
    conf = root / "client-conf"
    conf.mkdir(exist_ok=True)
    properties = {
        "yarn.resourcemanager.address": f"{MASTER_IP}:8032",
        "yarn.resourcemanager.webapp.address": f"{MASTER_IP}:{webapp_port}",
    }
    xml = "".join(
        f"<property><name>{k}</name><value>{v}</value></property>" for k, v in properties.items()
    )
    (conf / "yarn-site.xml").write_text(f"<configuration>{xml}</configuration>")
    return conf


def yarn(conf: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if k not in ("YARN_CONF_DIR", "EMR_NODE_DIR")}
    environ |= {"HADOOP_CONF_DIR": str(conf), "HADOOP_USER_NAME": "hadoop", **env}
    return subprocess.run(
        [sys.executable, "-m", "emr.yarn.cli", "yarn", *args],
        capture_output=True,
        text=True,
        env=environ,
        timeout=60,
    )


def cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.split("\t")]


def test_applications_queue_and_logs(cluster_factory: ClusterFactory) -> None:
    cluster = cluster_factory({"127.0.0.2": "CORE", "127.0.0.3": "TASK"})
    conf = client_conf(cluster.root, cluster.rm.port)
    done_report = cluster.root / "done.json"
    with YarnRestClient(cluster.url, user="hadoop") as rest:
        done = cluster.submit(
            rest,
            "echo once",
            cluster.am_command("ok", str(done_report), "1", "echo hello from yarn", "127.0.0.2"),
            application_type="TEST",
        )
        finished = rest.wait(done, timeout=WAIT_S)
        assert finished.final_status == "SUCCEEDED", cluster.logs()
        held = cluster.submit(
            rest,
            "held",
            cluster.am_command("hold", str(cluster.root / "held.json"), "1", "sleep 300"),
        )
        app = cluster.wait_app(held, {"RUNNING"})
        wait_for(lambda: read_report(cluster.root / "held.json").get("started"), cluster.logs)

    # -list: SUBMITTED, ACCEPTED and RUNNING by default
    listed = yarn(conf, "application", "-list")
    assert listed.returncode == 0, listed.stderr
    assert listed.stderr.endswith(CONNECTING)
    lines = listed.stdout.splitlines()
    assert lines[0] == (
        "Total number of applications (application-types: [], states: [SUBMITTED, ACCEPTED, "
        "RUNNING] and tags: []):1"
    )
    assert lines[1] == APPS_HEADER
    assert cells(lines[2]) == [
        held, "held", "YARN", "hadoop", "default", "RUNNING", "UNDEFINED", "0%",
        app["trackingUrl"],
    ]  # fmt: skip
    assert len(lines[2].split("\t")[0]) == 30 and len(lines) == 3

    finished_list = yarn(conf, "application", "-list", "-appStates", "FINISHED")
    lines = finished_list.stdout.splitlines()
    assert lines[0].endswith("states: [FINISHED] and tags: []):1")
    assert cells(lines[2]) == [
        done, "echo once", "TEST", "hadoop", "default", "FINISHED", "SUCCEEDED", "100%",
        "http://history.example/app",
    ]  # fmt: skip
    every = yarn(conf, "app", "-list", "-appStates", "ALL", "-appTypes", "test")
    lines = every.stdout.splitlines()
    assert lines[0] == (
        "Total number of applications (application-types: [TEST], states: [NEW, NEW_SAVING, "
        "SUBMITTED, ACCEPTED, RUNNING, FINISHED, FAILED, KILLED] and tags: []):1"
    )
    bad_state = yarn(conf, "application", "-list", "-appStates", "DONE")
    assert bad_state.returncode == 255
    assert bad_state.stdout.startswith("The application state DONE is invalid.\n")

    # -status
    status = yarn(conf, "application", "-status", held)
    assert status.returncode == 0, status.stderr
    report = status.stdout.splitlines()
    assert report[0] == "Application Report : "
    assert report[1:7] == [
        f"\tApplication-Id : {held}",
        "\tApplication-Name : held",
        "\tApplication-Type : YARN",
        "\tUser : hadoop",
        "\tQueue : default",
        "\tApplication Priority : 0",
    ]
    host, port = app["amRPCAddress"].split(":")
    assert "\tState : RUNNING" in report and "\tFinal-State : UNDEFINED" in report
    assert f"\tRPC Port : {port}" in report and f"\tAM Host : {host}" in report
    assert f"\tStart-Time : {app['startedTime']}" in report
    assert report[-1] == "" and status.stdout.endswith("-1seconds\n\n")
    unknown = held.rsplit("_", 1)[0] + "_9999"
    missing = yarn(conf, "application", "-status", unknown)
    assert missing.returncode == 255
    assert missing.stdout == (
        f"Application with id '{unknown}' doesn't exist in RM or Timeline Server.\n"
    )

    # applicationattempt -list
    attempts = yarn(conf, "applicationattempt", "-list", held)
    assert attempts.returncode == 0, attempts.stderr
    lines = attempts.stdout.splitlines()
    assert lines[0] == "Total number of application attempts :1"
    assert cells(lines[2])[:3] == [
        f"appattempt_{held.removeprefix('application_')}_000001",
        "RUNNING",
        app["amContainerLogs"].split("/")[-2],
    ]

    attempt = yarn(conf, "applicationattempt", "-status", cells(lines[2])[0])
    assert attempt.returncode == 0, attempt.stderr
    assert attempt.stdout.splitlines()[:4] == [
        "Application Attempt Report : ",
        f"\tApplicationAttempt-Id : {cells(lines[2])[0]}",
        "\tState : RUNNING",
        f"\tAMContainer : {app['amContainerLogs'].split('/')[-2]}",
    ]
    assert f"\tAM Host : {host}" in attempt.stdout.splitlines()

    # queue -status
    queue = yarn(conf, "queue", "-status", "default")
    assert queue.returncode == 0, queue.stderr
    lines = queue.stdout.splitlines()
    assert lines[:5] == [
        "Queue Information : ",
        "Queue Name : default",
        "Queue Path : root.default",
        "\tState : RUNNING",
        "\tCapacity : 100.00%",
    ]
    # the held AM and its container use part of the queue
    assert re.fullmatch(r"\tCurrent Capacity : [1-9]\d*\.\d\d%", lines[5]), lines[5]
    assert "\tMaximum Capacity : 100.00%" in queue.stdout.splitlines()
    no_queue = yarn(conf, "queue", "-status", "nowhere")
    assert no_queue.returncode == 255
    assert no_queue.stdout == "Cannot get queue from RM by queueName = nowhere, please check.\n"

    # -kill: a running one, then again, then one the RM does not know
    killed = yarn(conf, "application", "-kill", held)
    assert killed.returncode == 0, killed.stderr
    assert killed.stdout == f"Killing application {held}\n"
    assert f"INFO impl.YarnClientImpl: Killed application {held}\n" in killed.stderr
    with YarnRestClient(cluster.url) as rest:
        assert rest.application(held).state == "KILLED"
    again = yarn(conf, "application", "-kill", held)
    assert (again.returncode, again.stdout) == (0, f"Application {held} has already finished \n")
    nobody = yarn(conf, "application", "-kill", unknown)
    assert nobody.returncode == 255
    assert nobody.stdout == f"Application with id '{unknown}' doesn't exist in RM.\n"

    # logs: the finished application's containers, from the node they ran on
    logs = yarn(conf, "logs", "-applicationId", done, EMR_NODE_DIR=str(cluster.root / "127.0.0.2"))
    assert logs.returncode == 0, logs.stderr
    [container] = read_report(done_report)["done"]
    assert f"Container: {container}\nLogAggregationType: AGGREGATED\n" in logs.stdout
    assert "LogType:stdout\nLogLength:16\nLogContents:\nhello from yarn\n" in logs.stdout
    stdout_only = yarn(
        conf,
        "logs",
        "-applicationId",
        done,
        "-containerId",
        container,
        "-log_files",
        "stdout",
        EMR_NODE_DIR=str(cluster.root / "127.0.0.2"),
    )
    assert stdout_only.stdout.count("\nLogType:") == 1 and "hello from yarn" in stdout_only.stdout


def test_nodes(cluster_factory: ClusterFactory) -> None:
    cluster = cluster_factory({"127.0.0.2": "CORE", "127.0.0.3": "TASK"})
    conf = client_conf(cluster.root, cluster.rm.port)
    http = {ip: f"{ip}:{nm.port}" for ip, nm in cluster.nodemanagers.items()}

    running = yarn(conf, "node", "-list")
    assert running.returncode == 0, running.stderr
    assert running.stderr.endswith(CONNECTING)
    assert running.stdout == (
        "Total Nodes:2\n"
        f"{NODES_HEADER}\n"
        f"  127.0.0.2:8041\t        RUNNING\t{http['127.0.0.2']:>17}\t{0:>28}\n"
        f"  127.0.0.3:8041\t        RUNNING\t{http['127.0.0.3']:>17}\t{0:>28}\n"
    )
    details = yarn(conf, "node", "-list", "-showDetails")
    assert details.stdout.splitlines()[3:5] == [
        "Detailed Node Information :",
        "\tConfigured Resources : <memory:1024, vCores:2>",
    ]
    assert "\tNode-Labels : CORE" in details.stdout.splitlines()

    cluster.nodemanagers["127.0.0.3"].stop(signal.SIGKILL)
    wait_for(
        lambda: cluster.get("/ws/v1/cluster/nodes/127.0.0.3:8041")["node"]["state"] == "LOST",
        cluster.logs,
    )
    assert yarn(conf, "node", "-list").stdout.splitlines()[0] == "Total Nodes:1"
    everything = yarn(conf, "node", "-list", "-All")
    lines = everything.stdout.splitlines()
    assert lines[0] == "Total Nodes:2"
    assert [cells(line)[:2] for line in lines[2:]] == [
        ["127.0.0.2:8041", "RUNNING"],
        ["127.0.0.3:8041", "LOST"],
    ]
    lost = yarn(conf, "node", "-list", "-states", "lost")
    assert lost.stdout.splitlines()[0] == "Total Nodes:1" and "LOST" in lost.stdout
    bad = yarn(conf, "node", "-list", "-states", "GONE")
    assert bad.returncode == 255 and bad.stdout.startswith("The node state GONE is invalid.\n")

    status = yarn(conf, "node", "-status", "127.0.0.2:8041")
    assert status.returncode == 0, status.stderr
    lines = status.stdout.splitlines()
    assert lines[:5] == [
        "Node Report : ",
        "\tNode-Id : 127.0.0.2:8041",
        "\tRack : /default-rack",
        "\tNode-State : RUNNING",
        f"\tNode-Http-Address : {http['127.0.0.2']}",
    ]
    assert "\tMemory-Capacity : 1024MB" in lines and "\tCPU-Capacity : 2 vcores" in lines
    nowhere = yarn(conf, "node", "-status", "127.0.0.9:8041")
    assert nowhere.returncode == 0
    assert nowhere.stdout == "Could not find the node report for node id : 127.0.0.9:8041\n"


def test_resourcemanager_down_usage_and_version(tmp_path: Path) -> None:
    conf = client_conf(tmp_path, 1)  # nothing listens on port 1
    down = yarn(conf, "application", "-list")
    assert down.returncode == 255 and down.stdout == ""
    assert f"yarn: cannot reach the ResourceManager at http://{MASTER_IP}:1" in down.stderr

    usage = yarn(conf, "top")
    assert usage.returncode == 1 and usage.stdout == ""
    assert usage.stderr.startswith("Usage: yarn [OPTIONS] SUBCOMMAND [SUBCOMMAND OPTIONS]\n")
    assert yarn(conf).stderr == usage.stderr

    version = yarn(conf, "version")
    assert version.returncode == 0 and version.stdout.startswith("Hadoop 3.")
    helped = yarn(conf, "node", "-help")
    assert helped.returncode == 0 and helped.stdout.startswith("usage: node\n")
