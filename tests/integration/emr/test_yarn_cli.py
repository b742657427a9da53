"""`yarn` in a step on the shared cluster: the master's bin/yarn finds the ResourceManager
through the node's own yarn-site.xml and lists the core and task nodes' NodeManagers."""

from __future__ import annotations

import gzip
import re

import pytest

from tests.integration.emr.conftest import SharedCluster, command_step, wait_step

pytestmark = pytest.mark.integration


def _step_log(shared_cluster: SharedCluster, step_id: str, name: str) -> str:
    key = f"logs/{shared_cluster.cluster_id}/steps/{step_id}/{name}.gz"
    body = shared_cluster.s3.get_object(Bucket=shared_cluster.log_bucket, Key=key)["Body"]
    return gzip.decompress(body.read()).decode()


def test_yarn_cli_in_a_step(shared_cluster: SharedCluster) -> None:
    emr, cluster_id = shared_cluster.emr, shared_cluster.cluster_id
    script = " && ".join(
        [
            "yarn node -list -all",
            "yarn application -list -appStates ALL",
            "yarn queue -status default",
        ]
    )
    step = command_step("yarn cli", "bash", "-c", script)
    (step_id,) = emr.add_job_flow_steps(JobFlowId=cluster_id, Steps=[step])["StepIds"]
    described = wait_step(emr, cluster_id, step_id)
    assert described["Status"]["State"] == "COMPLETED", described["Status"]

    lines = _step_log(shared_cluster, step_id, "stdout").splitlines()
    # 1 master + 2 core + 1 task: a NodeManager on each core and task node
    assert lines[0] == "Total Nodes:3"
    assert lines[1] == (
        "         Node-Id\t     Node-State\tNode-Http-Address\tNumber-of-Running-Containers"
    )
    for row in lines[2:5]:
        node_id, state, http, containers = (cell.strip() for cell in row.split("\t"))
        assert re.fullmatch(r"[\d.]+:8041", node_id) and state == "RUNNING", row
        assert re.fullmatch(r"[\d.]+:8042", http) and containers.isdigit(), row
    assert re.fullmatch(
        r"Total number of applications \(application-types: \[\], states: \[NEW, NEW_SAVING, "
        r"SUBMITTED, ACCEPTED, RUNNING, FINISHED, FAILED, KILLED\] and tags: \[\]\):\d+",
        lines[5],
    ), lines[5]
    assert lines[6].split("\t")[0] == f"{'Application-Id':>30}"
    queue = lines[lines.index("Queue Information : ") :]
    assert queue[1:5] == [
        "Queue Name : default",
        "Queue Path : root.default",
        "\tState : RUNNING",
        "\tCapacity : 100.00%",
    ]
    stderr = _step_log(shared_cluster, step_id, "stderr")
    connecting = re.findall(
        r"INFO client\.DefaultNoHARMFailoverProxyProvider: "
        r"Connecting to ResourceManager at /[\d.]+:8032",
        stderr,
    )
    assert len(connecting) == 3, stderr
