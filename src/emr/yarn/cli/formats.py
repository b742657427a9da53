"""What Hadoop's YARN CLIs print, as pure functions of the RM's REST bodies (dicts in, text
out): ApplicationCLI's list and report, NodeCLI's list and report, QueueCLI's queue info.

Java's `printf("%30s")` pads on the left and never truncates; `DecimalFormat` rounds half-even
and drops the optional digits (`###.##%`, `#.00`); reports end with the extra blank line
`println(baos.toString())` adds.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any, Final

from emr.yarn.states import APPLICATION_STATES, NODE_STATES

__all__ = [
    "APPLICATION_STATES",
    "NODE_STATES",
    "application_attempt_report",
    "application_attempts_table",
    "application_report",
    "applications_table",
    "java_set",
    "node_report",
    "nodes_table",
    "percent",
    "queue_info",
    "two_decimals",
]

NOT_AVAILABLE: Final = "N/A"
DEFAULT_PARTITION: Final = "<DEFAULT_PARTITION>"

_APPLICATIONS: Final = "{:>30}\t{:>20}\t{:>20}\t{:>10}\t{:>10}\t{:>18}\t{:>18}\t{:>15}\t{:>35}\n"
_ATTEMPTS: Final = "{:>30}\t{:>20}\t{:>35}\t{:>35}\n"
_NODES: Final = "{:>16}\t{:>15}\t{:>17}\t{:>28}\n"


def _decimal(value: float, places: int) -> str:
    """`value` rounded half-even to at most `places` decimals, as DecimalFormat writes it
    (from the double's exact binary value, as Java 8's DecimalFormat does)."""
    quantum = Decimal(1).scaleb(-places)
    rounded = Decimal(float(value)).quantize(quantum, rounding=ROUND_HALF_EVEN)
    text = format(rounded, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def percent(fraction: float) -> str:
    """`new DecimalFormat("###.##%").format(fraction)`: 0.5 → `50%`, 0.12345 → `12.35%`."""
    return _decimal(fraction * 100, 2) + "%"


def two_decimals(value: float) -> str:
    """`new DecimalFormat("#.00").format(value)`: 100 → `100.00`, 0 → `.00`, -1 → `-1.00`."""
    rounded = Decimal(float(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN)
    text = format(rounded, "f")
    negative = text.startswith("-")
    whole, _, fraction = text.lstrip("-").partition(".")
    whole = "" if whole == "0" else whole
    if negative and (whole or fraction != "00"):
        return f"-{whole}.{fraction}"
    return f"{whole}.{fraction}"


def java_set(values: Iterable[str]) -> str:
    """A Java collection's toString: `[A, B]`."""
    return "[" + ", ".join(values) + "]"


def _text(value: Any, missing: str = "") -> str:
    if value is None or value == "":
        return missing
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _am_host_port(app: Mapping[str, Any]) -> tuple[str, int]:
    address = str(app.get("amRPCAddress") or "")
    host, sep, port = address.rpartition(":")
    if not sep or not port.lstrip("-").isdigit():
        return NOT_AVAILABLE, -1
    return host, int(port)


# --- applications ----------------------------------------------------------------------------


def applications_table(
    apps: Sequence[Mapping[str, Any]],
    types: Iterable[str],
    states: Iterable[str],
    tags: Iterable[str],
) -> str:
    """`yarn application -list`: the count line, the header, one row per `app` body."""
    lines = [
        f"Total number of applications (application-types: {java_set(types)}, "
        f"states: {java_set(states)} and tags: {java_set(tags)}):{len(apps)}\n",
        _APPLICATIONS.format(
            "Application-Id",
            "Application-Name",
            "Application-Type",
            "User",
            "Queue",
            "State",
            "Final-State",
            "Progress",
            "Tracking-URL",
        ),
    ]
    for app in apps:
        lines.append(
            _APPLICATIONS.format(
                _text(app.get("id")),
                _text(app.get("name")),
                _text(app.get("applicationType")),
                _text(app.get("user")),
                _text(app.get("queue")),
                _text(app.get("state")),
                _text(app.get("finalStatus"), "UNDEFINED"),
                percent(float(app.get("progress") or 0.0) / 100),
                _text(app.get("trackingUrl"), NOT_AVAILABLE),
            )
        )
    return "".join(lines)


def application_report(app: Mapping[str, Any]) -> str:
    """`yarn application -status <id>`: the `Application Report : ` block."""
    host, port = _am_host_port(app)
    allocation = (
        f"{int(app.get('memorySeconds') or 0)} MB-seconds, "
        f"{int(app.get('vcoreSeconds') or 0)} vcore-seconds"
    )
    preempted = (
        f"{int(app.get('preemptedMemorySeconds') or 0)} MB-seconds, "
        f"{int(app.get('preemptedVcoreSeconds') or 0)} vcore-seconds"
    )
    fields = [
        ("Application-Id", _text(app.get("id"))),
        ("Application-Name", _text(app.get("name"))),
        ("Application-Type", _text(app.get("applicationType"))),
        ("User", _text(app.get("user"))),
        ("Queue", _text(app.get("queue"))),
        ("Application Priority", _text(app.get("priority"), "0")),
        ("Start-Time", _text(app.get("startedTime"), "0")),
        ("Finish-Time", _text(app.get("finishedTime"), "0")),
        ("Progress", percent(float(app.get("progress") or 0.0) / 100)),
        ("State", _text(app.get("state"))),
        ("Final-State", _text(app.get("finalStatus"), "UNDEFINED")),
        ("Tracking-URL", _text(app.get("trackingUrl"), NOT_AVAILABLE)),
        ("RPC Port", str(port)),
        ("AM Host", host),
        ("Aggregate Resource Allocation", allocation),
        ("Aggregate Resource Preempted", preempted),
        ("Log Aggregation Status", _text(app.get("logAggregationStatus"), NOT_AVAILABLE)),
        ("Diagnostics", _text(app.get("diagnostics"))),
        ("Unmanaged Application", _text(bool(app.get("unmanagedApplication")))),
        (
            "Application Node Label Expression",
            _text(app.get("appNodeLabelExpression"), "<Not set>"),
        ),
        (
            "AM container Node Label Expression",
            _text(app.get("amNodeLabelExpression"), DEFAULT_PARTITION),
        ),
    ]
    body = "".join(f"\t{name} : {value}\n" for name, value in fields)
    timeout = "\tTimeoutType : LIFETIME\tExpiryTime : UNLIMITED\tRemainingTime : -1seconds\n"
    return "Application Report : \n" + body + timeout + "\n"


def application_attempts_table(
    attempts: Sequence[Mapping[str, Any]], tracking_url: str = ""
) -> str:
    """`yarn applicationattempt -list <appId>`; the last attempt shows the application's
    tracking URL (the RM's REST API has none per attempt)."""
    lines = [
        f"Total number of application attempts :{len(attempts)}\n",
        _ATTEMPTS.format("ApplicationAttempt-Id", "State", "AM-Container-Id", "Tracking-URL"),
    ]
    for n, attempt in enumerate(attempts):
        url = tracking_url if n == len(attempts) - 1 and tracking_url else NOT_AVAILABLE
        lines.append(
            _ATTEMPTS.format(
                _text(attempt.get("appAttemptId")),
                _text(attempt.get("appAttemptState")),
                _text(attempt.get("containerId"), NOT_AVAILABLE),
                url,
            )
        )
    return "".join(lines)


def application_attempt_report(attempt: Mapping[str, Any], app: Mapping[str, Any]) -> str:
    """`yarn applicationattempt -status <attemptId>`: the `Application Attempt Report : `."""
    current = str(app.get("amContainerLogs", "")).split("/")[-2:-1] == [attempt.get("containerId")]
    host, port = _am_host_port(app) if current else (NOT_AVAILABLE, -1)
    fields = [
        ("ApplicationAttempt-Id", _text(attempt.get("appAttemptId"))),
        ("State", _text(attempt.get("appAttemptState"))),
        ("AMContainer", _text(attempt.get("containerId"), NOT_AVAILABLE)),
        ("Tracking-URL", _text(app.get("trackingUrl") if current else "", NOT_AVAILABLE)),
        ("RPC Port", str(port)),
        ("AM Host", host),
    ]
    body = "".join(f"\t{name} : {value}\n" for name, value in fields)
    return f"Application Attempt Report : \n{body}\tDiagnostics : {_text(attempt.get('diagnosticsInfo'))}\n"


# --- nodes -----------------------------------------------------------------------------------


def _resource(body: Mapping[str, Any] | None) -> str:
    body = body or {}
    return f"<memory:{int(body.get('memory', 0))}, vCores:{int(body.get('vCores', 0))}>"


def _utilization(node: Mapping[str, Any]) -> tuple[str, str]:
    use = node.get("resourceUtilization")
    if not isinstance(use, Mapping):
        return "", ""
    by_node = (
        f"PMem:{int(use.get('nodePhysicalMemoryMB', 0))} MB, "
        f"VMem:{int(use.get('nodeVirtualMemoryMB', 0))} MB, "
        f"VCores:{float(use.get('nodeCPUUsage', 0.0))}"
    )
    by_containers = (
        f"PMem:{int(use.get('aggregatedContainersPhysicalMemoryMB', 0))} MB, "
        f"VMem:{int(use.get('aggregatedContainersVirtualMemoryMB', 0))} MB, "
        f"VCores:{float(use.get('containersCPUUsage', 0.0))}"
    )
    return by_node, by_containers


def _labels(node: Mapping[str, Any]) -> str:
    return ",".join(sorted(str(label) for label in node.get("nodeLabels") or []))


def nodes_table(nodes: Sequence[Mapping[str, Any]], details: bool = False) -> str:
    """`yarn node -list [-showDetails]`: `Total Nodes:N`, the header, one row per node."""
    lines = [
        f"Total Nodes:{len(nodes)}\n",
        _NODES.format("Node-Id", "Node-State", "Node-Http-Address", "Number-of-Running-Containers"),
    ]
    for node in nodes:
        lines.append(
            _NODES.format(
                _text(node.get("id")),
                _text(node.get("state")),
                _text(node.get("nodeHTTPAddress")),
                _text(node.get("numContainers"), "0"),
            )
        )
        if details:
            by_node, by_containers = _utilization(node)
            lines += [
                "Detailed Node Information :\n",
                f"\tConfigured Resources : {_resource(node.get('totalResource'))}\n",
                f"\tAllocated Resources : {_resource(node.get('usedResource'))}\n",
                f"\tResource Utilization by Node : {by_node}\n",
                f"\tResource Utilization by Containers : {by_containers}\n",
                f"\tNode-Labels : {_labels(node)}\n",
            ]
    return "".join(lines)


def _health_time(ms: int) -> str:
    """DateFormatUtils' `E dd/MMM/yy hh:mm:ss:SSzz` in local time."""
    moment = time.localtime(ms / 1000)
    stamp = time.strftime("%a %d/%b/%y %I:%M:%S", moment)
    return f"{stamp}:{ms % 1000:02d}{moment.tm_zone}"


def node_report(node: Mapping[str, Any]) -> str:
    """`yarn node -status <nodeId>`: the `Node Report : ` block."""
    total = node.get("totalResource") or {}
    used = node.get("usedResource") or {}
    by_node, by_containers = _utilization(node)
    fields = [
        ("Node-Id", _text(node.get("id"))),
        ("Rack", _text(node.get("rack"))),
        ("Node-State", _text(node.get("state"))),
        ("Node-Http-Address", _text(node.get("nodeHTTPAddress"))),
        ("Last-Health-Update", _health_time(int(node.get("lastHealthUpdate") or 0))),
        ("Health-Report", _text(node.get("healthReport"))),
        ("Containers", _text(node.get("numContainers"), "0")),
        ("Memory-Used", f"{int(used.get('memory', 0))}MB"),
        ("Memory-Capacity", f"{int(total.get('memory', 0))}MB"),
        ("CPU-Used", f"{int(used.get('vCores', 0))} vcores"),
        ("CPU-Capacity", f"{int(total.get('vCores', 0))} vcores"),
        ("Node-Labels", _labels(node)),
        ("Resource Utilization by Node", by_node),
        ("Resource Utilization by Containers", by_containers),
    ]
    return "Node Report : \n" + "".join(f"\t{k} : {v}\n" for k, v in fields) + "\n"


# --- queues ----------------------------------------------------------------------------------


def queue_info(queue: Mapping[str, Any]) -> str:
    """`yarn queue -status <queue>`: `Queue Information : ` and the queue's fields (one queue
    object of `/ws/v1/cluster/scheduler`)."""
    labels = queue.get("nodeLabels")
    accessible = ",".join(str(label) for label in labels) if labels else "*"
    path = _text(queue.get("queuePath"), _text(queue.get("queueName")))
    lines = [
        "Queue Information : \n",
        f"Queue Name : {_text(queue.get('queueName'))}\n",
        f"Queue Path : {path}\n",
        f"\tState : {_text(queue.get('state'), 'RUNNING')}\n",
        f"\tCapacity : {two_decimals(float(queue.get('capacity', 0.0)))}%\n",
        f"\tCurrent Capacity : {two_decimals(float(queue.get('usedCapacity', 0.0)))}%\n",
        f"\tMaximum Capacity : {two_decimals(float(queue.get('maxCapacity', 0.0)))}%\n",
        f"\tWeight : {two_decimals(float(queue.get('weight', -1.0)))}\n",
        f"\tMaximum Parallel Apps : {int(queue.get('maxParallelApps', 2**31 - 1))}\n",
        "\tDefault Node Label expression : "
        f"{_text(queue.get('defaultNodeLabelExpression'), DEFAULT_PARTITION)}\n",
        f"\tAccessible Node Labels : {accessible}\n",
        f"\tPreemption : {'disabled' if queue.get('preemptionDisabled', True) else 'enabled'}\n",
        "\tIntra-queue Preemption : "
        f"{'disabled' if queue.get('intraQueuePreemptionDisabled', True) else 'enabled'}\n",
    ]
    return "".join(lines)
