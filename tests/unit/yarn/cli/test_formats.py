"""What `yarn application|node|queue` print, byte for byte as Hadoop 3's CLIs."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from emr.yarn.cli.formats import (
    application_attempts_table,
    application_report,
    applications_table,
    node_report,
    nodes_table,
    percent,
    queue_info,
    two_decimals,
)
from emr.yarn.cli.options import MissingArgument, Option, OptionError, help_text, parse
from emr.yarn.cli.queues import find_queue
from emr.yarn.cli.rest import ResourceManagerAddress, connecting_line

HEADER = (
    "                Application-Id\t    Application-Name\t    Application-Type\t      User\t"
    "     Queue\t             State\t       Final-State\t       Progress\t"
    "                       Tracking-URL\n"
)


def _app(**overrides: Any) -> dict[str, Any]:
    app: dict[str, Any] = {
        "id": "application_1700000000000_0001",
        "name": "word count",
        "applicationType": "MAPREDUCE",
        "user": "hadoop",
        "queue": "default",
        "state": "RUNNING",
        "finalStatus": "UNDEFINED",
        "progress": 12.346,
        "trackingUrl": "http://10.0.0.2:4040/am",
        "priority": 0,
        "startedTime": 1700000000123,
        "finishedTime": 0,
        "amRPCAddress": "10.0.0.2:4242",
        "memorySeconds": 2048,
        "vcoreSeconds": 2,
        "preemptedMemorySeconds": 0,
        "preemptedVcoreSeconds": 0,
        "logAggregationStatus": "DISABLED",
        "diagnostics": "",
        "unmanagedApplication": False,
        "appNodeLabelExpression": None,
        "amNodeLabelExpression": "",
    }
    app.update(overrides)
    return app


@pytest.mark.parametrize(
    ("fraction", "text"),
    [(0.0, "0%"), (1.0, "100%"), (0.5, "50%"), (0.12346, "12.35%"), (0.123449, "12.34%"),
     (0.125, "12.5%"), (0.1, "10%"), (0.00125, "0.12%")],
)  # fmt: skip
def test_progress_is_decimal_format_percent(fraction: float, text: str) -> None:
    assert percent(fraction) == text


@pytest.mark.parametrize(
    ("value", "text"),
    [(100.0, "100.00"), (0.0, ".00"), (-1.0, "-1.00"), (12.5, "12.50"), (0.125, ".12"),
     (33.333333, "33.33")],
)  # fmt: skip
def test_two_decimals_is_decimal_format_hash_dot_00(value: float, text: str) -> None:
    assert two_decimals(value) == text


def test_application_list_as_hadoop_prints_it() -> None:
    accepted = _app(
        id="application_1700000000000_0002",
        name="pending",
        state="ACCEPTED",
        progress=0.0,
        trackingUrl=None,
    )
    text = applications_table([_app(), accepted], [], ["SUBMITTED", "ACCEPTED", "RUNNING"], [])
    lines = text.splitlines(keepends=True)
    assert lines[0] == (
        "Total number of applications (application-types: [], states: [SUBMITTED, ACCEPTED, "
        "RUNNING] and tags: []):2\n"
    )
    assert lines[1] == HEADER
    assert lines[2].split("\t") == [
        "application_1700000000000_0001",
        "          word count",
        "           MAPREDUCE",
        "    hadoop",
        "   default",
        "           RUNNING",
        "         UNDEFINED",
        "         12.35%",
        "            http://10.0.0.2:4040/am\n",
    ]
    assert lines[3].endswith("\t             0%\t                                N/A\n")
    assert len(lines) == 4


def test_application_list_with_types_and_no_apps() -> None:
    text = applications_table([], ["SPARK", "YARN"], ["FINISHED"], ["nightly"])
    assert text == (
        "Total number of applications (application-types: [SPARK, YARN], states: [FINISHED] "
        "and tags: [nightly]):0\n" + HEADER
    )


def test_application_report_block() -> None:
    assert application_report(_app()) == (
        "Application Report : \n"
        "\tApplication-Id : application_1700000000000_0001\n"
        "\tApplication-Name : word count\n"
        "\tApplication-Type : MAPREDUCE\n"
        "\tUser : hadoop\n"
        "\tQueue : default\n"
        "\tApplication Priority : 0\n"
        "\tStart-Time : 1700000000123\n"
        "\tFinish-Time : 0\n"
        "\tProgress : 12.35%\n"
        "\tState : RUNNING\n"
        "\tFinal-State : UNDEFINED\n"
        "\tTracking-URL : http://10.0.0.2:4040/am\n"
        "\tRPC Port : 4242\n"
        "\tAM Host : 10.0.0.2\n"
        "\tAggregate Resource Allocation : 2048 MB-seconds, 2 vcore-seconds\n"
        "\tAggregate Resource Preempted : 0 MB-seconds, 0 vcore-seconds\n"
        "\tLog Aggregation Status : DISABLED\n"
        "\tDiagnostics : \n"
        "\tUnmanaged Application : false\n"
        "\tApplication Node Label Expression : <Not set>\n"
        "\tAM container Node Label Expression : <DEFAULT_PARTITION>\n"
        "\tTimeoutType : LIFETIME\tExpiryTime : UNLIMITED\tRemainingTime : -1seconds\n"
        "\n"
    )


def test_application_report_before_the_am_registers() -> None:
    text = application_report(_app(state="ACCEPTED", amRPCAddress=None, trackingUrl=None))
    assert "\tTracking-URL : N/A\n\tRPC Port : -1\n\tAM Host : N/A\n" in text


def test_attempts_table() -> None:
    attempts = [
        {"appAttemptId": "appattempt_1_0001_000001", "appAttemptState": "FAILED",
         "containerId": "container_1_0001_01_000001"},
        {"appAttemptId": "appattempt_1_0001_000002", "appAttemptState": "RUNNING",
         "containerId": "container_1_0001_02_000001"},
    ]  # fmt: skip
    lines = application_attempts_table(attempts, "http://am/").splitlines()
    assert lines[0] == "Total number of application attempts :2"
    assert lines[1] == (
        "         ApplicationAttempt-Id\t               State\t"
        "                    AM-Container-Id\t                       Tracking-URL"
    )
    assert lines[2].split("\t")[-1].strip() == "N/A"
    assert lines[3].split("\t") == [
        "      appattempt_1_0001_000002",
        "             RUNNING",
        "         container_1_0001_02_000001",
        "                         http://am/",
    ]


def _node(**overrides: Any) -> dict[str, Any]:
    node: dict[str, Any] = {
        "rack": "/default-rack",
        "state": "RUNNING",
        "id": "10.0.0.2:8041",
        "nodeHTTPAddress": "10.0.0.2:8042",
        "lastHealthUpdate": 1700000000123,
        "healthReport": "",
        "numContainers": 2,
        "nodeLabels": ["CORE"],
        "totalResource": {"memory": 1024, "vCores": 2},
        "usedResource": {"memory": 256, "vCores": 2},
        "resourceUtilization": {
            "nodePhysicalMemoryMB": 300,
            "nodeVirtualMemoryMB": 300,
            "nodeCPUUsage": 0.0,
            "aggregatedContainersPhysicalMemoryMB": 120,
            "aggregatedContainersVirtualMemoryMB": 120,
            "containersCPUUsage": 0.0,
        },
    }
    node.update(overrides)
    return node


def test_node_list_as_hadoop_prints_it() -> None:
    text = nodes_table([_node(), _node(id="10.0.0.3:8041", state="LOST", numContainers=0)])
    assert text == (
        "Total Nodes:2\n"
        "         Node-Id\t     Node-State\tNode-Http-Address\tNumber-of-Running-Containers\n"
        "   10.0.0.2:8041\t        RUNNING\t    10.0.0.2:8042\t                           2\n"
        "   10.0.0.3:8041\t           LOST\t    10.0.0.2:8042\t                           0\n"
    )


def test_node_list_with_details() -> None:
    text = nodes_table([_node()], details=True)
    assert text.splitlines()[3:] == [
        "Detailed Node Information :",
        "\tConfigured Resources : <memory:1024, vCores:2>",
        "\tAllocated Resources : <memory:256, vCores:2>",
        "\tResource Utilization by Node : PMem:300 MB, VMem:300 MB, VCores:0.0",
        "\tResource Utilization by Containers : PMem:120 MB, VMem:120 MB, VCores:0.0",
        "\tNode-Labels : CORE",
    ]


def test_node_report(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    try:
        text = node_report(_node())
    finally:
        monkeypatch.undo()
        time.tzset()
    assert text == (
        "Node Report : \n"
        "\tNode-Id : 10.0.0.2:8041\n"
        "\tRack : /default-rack\n"
        "\tNode-State : RUNNING\n"
        "\tNode-Http-Address : 10.0.0.2:8042\n"
        "\tLast-Health-Update : Tue 14/Nov/23 10:13:20:123UTC\n"
        "\tHealth-Report : \n"
        "\tContainers : 2\n"
        "\tMemory-Used : 256MB\n"
        "\tMemory-Capacity : 1024MB\n"
        "\tCPU-Used : 2 vcores\n"
        "\tCPU-Capacity : 2 vcores\n"
        "\tNode-Labels : CORE\n"
        "\tResource Utilization by Node : PMem:300 MB, VMem:300 MB, VCores:0.0\n"
        "\tResource Utilization by Containers : PMem:120 MB, VMem:120 MB, VCores:0.0\n"
        "\n"
    )


SCHEDULER: dict[str, Any] = {
    "type": "capacityScheduler",
    "queueName": "root",
    "queuePath": "root",
    "capacity": 100.0,
    "usedCapacity": 12.5,
    "maxCapacity": 100.0,
    "queues": {
        "queue": [
            {"queueName": "default", "queuePath": "root.default", "state": "RUNNING",
             "capacity": 70.0, "usedCapacity": 0.0, "maxCapacity": 100.0, "nodeLabels": ["*"]},
            {"queueName": "etl", "queuePath": "root.etl", "state": "STOPPED",
             "capacity": 30.0, "usedCapacity": 41.66666, "maxCapacity": 50.0,
             "nodeLabels": ["CORE"]},
        ]
    },
}  # fmt: skip


def test_queue_status_as_hadoop_prints_it() -> None:
    default = find_queue(SCHEDULER, "default")
    assert default is not None
    assert queue_info(default) == (
        "Queue Information : \n"
        "Queue Name : default\n"
        "Queue Path : root.default\n"
        "\tState : RUNNING\n"
        "\tCapacity : 70.00%\n"
        "\tCurrent Capacity : .00%\n"
        "\tMaximum Capacity : 100.00%\n"
        "\tWeight : -1.00\n"
        "\tMaximum Parallel Apps : 2147483647\n"
        "\tDefault Node Label expression : <DEFAULT_PARTITION>\n"
        "\tAccessible Node Labels : *\n"
        "\tPreemption : disabled\n"
        "\tIntra-queue Preemption : disabled\n"
    )
    etl = find_queue(SCHEDULER, "root.etl")
    assert etl is not None
    text = queue_info(etl)
    assert "\tState : STOPPED\n\tCapacity : 30.00%\n\tCurrent Capacity : 41.67%\n" in text
    assert "\tAccessible Node Labels : CORE\n" in text
    root = find_queue(SCHEDULER, "root")
    assert root is not None and "Queue Path : root\n\tState : RUNNING\n" in queue_info(root)
    assert find_queue(SCHEDULER, "nowhere") is None


OPTIONS = (
    Option("list", "List."),
    Option("appStates", "States to list.", -1, "States"),
    Option("status", "Status of one.", 1, "Application ID"),
)


def test_options_as_gnu_parser_reads_them() -> None:
    parsed = parse(OPTIONS, ["-list", "-appStates", "RUNNING,ACCEPTED", "FINISHED"])
    assert parsed.options == {"list": [], "appStates": ["RUNNING", "ACCEPTED", "FINISHED"]}
    assert parse(OPTIONS, ["-status", "app_1", "extra"]).rest == ["extra"]
    assert parse(OPTIONS, ["-list"]).others("list") is False
    assert parse(OPTIONS, ["-list", "-status", "x"]).others("list") is True
    with pytest.raises(MissingArgument):
        parse(OPTIONS, ["-status"])
    with pytest.raises(OptionError, match="Unrecognized option: -bogus"):
        parse(OPTIONS, ["-bogus"])


def test_help_text_is_sorted_and_wrapped() -> None:
    assert help_text("application", OPTIONS) == (
        "usage: application\n"
        " -appStates <States>        States to list.\n"
        " -list                      List.\n"
        " -status <Application ID>   Status of one.\n"
    )


def test_resourcemanager_address_from_yarn_site(tmp_path: Path) -> None:
    (tmp_path / "yarn-site.xml").write_text(
        "<configuration>"
        "<property><name>yarn.resourcemanager.webapp.address</name>"
        "<value>10.0.0.1:8088</value></property>"
        "<property><name>yarn.resourcemanager.address</name>"
        "<value>10.0.0.1:8032</value></property>"
        "</configuration>"
    )
    address = ResourceManagerAddress.from_environment({"HADOOP_CONF_DIR": str(tmp_path)})
    assert address.url == "http://10.0.0.1:8088"
    assert connecting_line(address).endswith(
        " INFO client.DefaultNoHARMFailoverProxyProvider: "
        "Connecting to ResourceManager at /10.0.0.1:8032\n"
    )
    default = ResourceManagerAddress.from_environment({})
    assert (default.url, default.rpc) == ("http://0.0.0.0:8088", ("0.0.0.0", 8032))
    named = ResourceManagerAddress(("localhost", 8088), ("localhost", 8032))
    assert "at localhost/localhost:8032" in connecting_line(named)
