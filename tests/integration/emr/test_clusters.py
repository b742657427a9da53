"""Clusters of real node processes through boto3: lifecycle, instances, steps, logs."""

from __future__ import annotations

import gzip
import ipaddress
import time
import uuid
from typing import Any

import httpx
import psutil
import pytest
from botocore.exceptions import ClientError

from tests.conftest import RunningServer
from tests.integration.emr.conftest import (
    FAST_WAITER,
    SharedCluster,
    command_step,
    instance_groups,
    run_job_flow,
    wait_cluster,
    wait_step,
)

pytestmark = pytest.mark.integration


def agent_processes(cluster_id: str) -> list[psutil.Process]:
    """Processes whose command line is `emr agent` for a node of `cluster_id`."""
    found = []
    for process in psutil.process_iter(["cmdline"]):
        cmdline = " ".join(process.info["cmdline"] or [])
        if "emr agent" in cmdline and cluster_id in cmdline:
            found.append(process)
    return found


def node_processes(cluster_id: str, instance_ids: list[str]) -> list[psutil.Process]:
    """Every process tagged with one of the instances (agents, steps, their children)."""
    found = []
    for process in psutil.process_iter():
        try:
            environment = process.environ()
        except (psutil.AccessDenied, psutil.NoSuchProcess, psutil.ZombieProcess):
            continue
        if environment.get("EMR_INSTANCE_ID") in instance_ids:
            found.append(process)
    return found


def error_of(call: Any, **kwargs: Any) -> tuple[str, str]:
    with pytest.raises(ClientError) as caught:
        call(**kwargs)
    return caught.value.response["Error"]["Code"], caught.value.response["Error"]["Message"]


# --- the shared cluster -----------------------------------------------------------------------


def test_shared_cluster_is_waiting_with_its_nodes(shared_cluster: SharedCluster) -> None:
    emr, cluster_id = shared_cluster.emr, shared_cluster.cluster_id
    cluster = emr.describe_cluster(ClusterId=cluster_id)["Cluster"]
    assert cluster["Status"]["State"] == "WAITING"
    assert cluster["Status"]["StateChangeReason"]["Message"] in (
        "Cluster ready to run steps.",  # no step ran yet
        "Cluster ready after last step completed.",  # another test's steps ran first
    )
    timeline = cluster["Status"]["Timeline"]
    assert timeline["CreationDateTime"] <= timeline["ReadyDateTime"]
    assert cluster["ReleaseLabel"] == "emr-7.5.0"
    assert cluster["AutoTerminate"] is False
    assert cluster["LogUri"] == f"s3://{shared_cluster.log_bucket}/logs/"
    instances = emr.list_instances(ClusterId=cluster_id)["Instances"]
    assert len(instances) == 4
    assert {i["Status"]["State"] for i in instances} == {"RUNNING"}
    ips = [i["PrivateIpAddress"] for i in instances]
    assert len(set(ips)) == 4
    assert all(ipaddress.ip_address(ip).is_loopback and ip != "127.0.0.1" for ip in ips)
    master_ip = cluster["MasterPublicDnsName"]
    assert master_ip in ips
    groups = emr.list_instance_groups(ClusterId=cluster_id)["InstanceGroups"]
    by_role = {g["InstanceGroupType"]: g for g in groups}
    assert {r: g["RunningInstanceCount"] for r, g in by_role.items()} == {
        "MASTER": 1, "CORE": 2, "TASK": 1}  # fmt: skip
    assert {g["Status"]["State"] for g in groups} == {"RUNNING"}
    agents = agent_processes(cluster_id)
    assert len(agents) == 4, [p.cmdline() for p in agents]


def test_command_runner_step_completes_with_logs_in_s3(shared_cluster: SharedCluster) -> None:
    emr, cluster_id = shared_cluster.emr, shared_cluster.cluster_id
    step = command_step("echo", "bash", "-c", "echo hi; echo to-stderr >&2")
    (step_id,) = emr.add_job_flow_steps(JobFlowId=cluster_id, Steps=[step])["StepIds"]
    emr.get_waiter("step_complete").wait(
        ClusterId=cluster_id, StepId=step_id, WaiterConfig=FAST_WAITER
    )
    described = emr.describe_step(ClusterId=cluster_id, StepId=step_id)["Step"]
    assert described["Status"]["State"] == "COMPLETED"
    assert described["Config"]["Jar"] == "command-runner.jar"
    assert described["Config"]["Args"] == ["bash", "-c", "echo hi; echo to-stderr >&2"]
    timeline = described["Status"]["Timeline"]
    assert timeline["CreationDateTime"] <= timeline["StartDateTime"] <= timeline["EndDateTime"]
    prefix = f"logs/{cluster_id}/steps/{step_id}/"
    listed = shared_cluster.s3.list_objects_v2(Bucket=shared_cluster.log_bucket, Prefix=prefix)
    names = {o["Key"].removeprefix(prefix) for o in listed.get("Contents", [])}
    assert {"controller.gz", "stdout.gz", "stderr.gz"} <= names
    body = shared_cluster.s3.get_object(Bucket=shared_cluster.log_bucket, Key=prefix + "stdout.gz")
    assert gzip.decompress(body["Body"].read()) == b"hi\n"
    assert wait_cluster(emr, cluster_id, "WAITING")["Status"]["StateChangeReason"]["Message"] == (
        "Cluster ready after last step completed."
    )


def test_a_step_reaches_s3_with_the_node_credentials(shared_cluster: SharedCluster) -> None:
    emr, s3, cluster_id = shared_cluster.emr, shared_cluster.s3, shared_cluster.cluster_id
    bucket = shared_cluster.log_bucket
    script = (
        f"echo written-by-step | aws s3 cp - s3://{bucket}/out/result.txt && "
        'python -c \'import boto3; print(boto3.client("sts").get_caller_identity()["Arn"])\''
    )
    (step_id,) = emr.add_job_flow_steps(
        JobFlowId=cluster_id, Steps=[command_step("s3", "bash", "-c", script)]
    )["StepIds"]
    step = wait_step(emr, cluster_id, step_id)
    assert step["Status"]["State"] == "COMPLETED", step["Status"]
    body = s3.get_object(Bucket=bucket, Key="out/result.txt")["Body"].read()
    assert body == b"written-by-step\n"
    stdout = s3.get_object(Bucket=bucket, Key=f"logs/{cluster_id}/steps/{step_id}/stdout.gz")
    arn = gzip.decompress(stdout["Body"].read()).decode().strip()
    assert arn == f"arn:aws:sts::123456789012:assumed-role/EMR_EC2_DefaultRole/{cluster_id}"


def test_failed_step_reports_failure_details_and_cluster_waits(
    shared_cluster: SharedCluster,
) -> None:
    emr, cluster_id = shared_cluster.emr, shared_cluster.cluster_id
    failing = command_step("fails", "bash", "-c", "echo boom: no such table >&2; exit 3")
    (step_id,) = emr.add_job_flow_steps(JobFlowId=cluster_id, Steps=[failing])["StepIds"]
    step = wait_step(emr, cluster_id, step_id)
    assert step["Status"]["State"] == "FAILED"
    details = step["Status"]["FailureDetails"]
    assert "boom: no such table" in details["Message"]
    assert details["LogFile"] == (
        f"s3://{shared_cluster.log_bucket}/logs/{cluster_id}/steps/{step_id}/stderr.gz"
    )
    assert wait_cluster(emr, cluster_id, "WAITING")["Status"]["State"] == "WAITING"


def test_cancel_and_wait_cancels_the_steps_behind(shared_cluster: SharedCluster) -> None:
    emr, cluster_id = shared_cluster.emr, shared_cluster.cluster_id
    steps = [
        command_step("fails", "false", action="CANCEL_AND_WAIT"),
        command_step("behind", "true"),
    ]
    failed, behind = emr.add_job_flow_steps(JobFlowId=cluster_id, Steps=steps)["StepIds"]
    assert wait_step(emr, cluster_id, failed)["Status"]["State"] == "FAILED"
    cancelled = wait_step(emr, cluster_id, behind)
    assert cancelled["Status"]["State"] == "CANCELLED"
    listed = emr.list_steps(ClusterId=cluster_id, StepIds=[failed, behind])["Steps"]
    assert [s["Id"] for s in listed] == [behind, failed]  # newest first


def test_cancel_a_running_step(shared_cluster: SharedCluster) -> None:
    emr, cluster_id = shared_cluster.emr, shared_cluster.cluster_id
    (step_id,) = emr.add_job_flow_steps(
        JobFlowId=cluster_id, Steps=[command_step("sleeps", "sleep", "600")]
    )["StepIds"]
    wait_step(emr, cluster_id, step_id, "RUNNING")
    infos = emr.cancel_steps(ClusterId=cluster_id, StepIds=[step_id, "s-NOPE"])
    assert infos["CancelStepsInfoList"][0] == {
        "StepId": step_id, "Status": "SUBMITTED", "Reason": ""}  # fmt: skip
    assert infos["CancelStepsInfoList"][1]["Status"] == "FAILED"
    assert wait_step(emr, cluster_id, step_id)["Status"]["State"] == "CANCELLED"


def test_step_concurrency_runs_steps_side_by_side(shared_cluster: SharedCluster) -> None:
    emr, cluster_id = shared_cluster.emr, shared_cluster.cluster_id
    changed = emr.modify_cluster(ClusterId=cluster_id, StepConcurrencyLevel=2)
    assert changed["StepConcurrencyLevel"] == 2
    try:
        code, message = error_of(
            emr.add_job_flow_steps,
            JobFlowId=cluster_id,
            Steps=[command_step("x", "true", action="CANCEL_AND_WAIT")],
        )
        assert code == "ValidationException"
        assert "StepConcurrencyLevel" in message
        # Each step waits for a file only the other creates: both finish only if both run.
        marker = f"/tmp/emr-concurrency-{uuid.uuid4().hex}"
        wait_for = "for i in $(seq 100); do [ -e {0} ] && exit 0; sleep 0.1; done; exit 1"
        first = f"touch {marker}.a; " + wait_for.format(f"{marker}.b")
        second = f"touch {marker}.b; " + wait_for.format(f"{marker}.a")
        ids = emr.add_job_flow_steps(
            JobFlowId=cluster_id,
            Steps=[command_step("a", "bash", "-c", first), command_step("b", "bash", "-c", second)],
        )["StepIds"]
        assert [wait_step(emr, cluster_id, i)["Status"]["State"] for i in ids] == [
            "COMPLETED", "COMPLETED"]  # fmt: skip
    finally:
        emr.modify_cluster(ClusterId=cluster_id, StepConcurrencyLevel=1)


def test_script_runner_runs_a_script_from_s3(shared_cluster: SharedCluster) -> None:
    emr, s3, cluster_id = shared_cluster.emr, shared_cluster.s3, shared_cluster.cluster_id
    bucket = shared_cluster.log_bucket
    s3.put_object(Bucket=bucket, Key="scripts/hello.sh", Body=b'#!/bin/bash\necho "args: $*"\n')
    step = {
        "Name": "script",
        "ActionOnFailure": "CONTINUE",
        "HadoopJarStep": {
            "Jar": "s3://us-east-1.elasticmapreduce/libs/script-runner/script-runner.jar",
            "Args": [f"s3://{bucket}/scripts/hello.sh", "one", "two"],
        },
    }
    (step_id,) = emr.add_job_flow_steps(JobFlowId=cluster_id, Steps=[step])["StepIds"]
    assert wait_step(emr, cluster_id, step_id)["Status"]["State"] == "COMPLETED"
    stdout = s3.get_object(Bucket=bucket, Key=f"logs/{cluster_id}/steps/{step_id}/stdout.gz")
    assert gzip.decompress(stdout["Body"].read()) == b"args: one two\n"


def test_unknown_cluster_and_step_errors(region: RunningServer) -> None:
    emr = region.client("emr")
    assert error_of(emr.describe_cluster, ClusterId="j-NOSUCHCLUSTER")[0] == (
        "InvalidRequestException"
    )
    assert (
        error_of(
            emr.add_job_flow_steps, JobFlowId="j-NOSUCHCLUSTER", Steps=[command_step("x", "true")]
        )[0]
        == "InvalidRequestException"
    )


# --- clusters of their own --------------------------------------------------------------------


def test_transient_cluster_runs_its_steps_and_ends(region: RunningServer) -> None:
    emr = region.client("emr")
    cluster_id = run_job_flow(
        emr,
        Instances={"InstanceGroups": instance_groups(core=1, task=0),
                   "KeepJobFlowAliveWhenNoSteps": False},
        Steps=[command_step("one", "true"), command_step("two", "echo", "done")],
    )  # fmt: skip
    emr.get_waiter("cluster_terminated").wait(ClusterId=cluster_id, WaiterConfig=FAST_WAITER)
    cluster = emr.describe_cluster(ClusterId=cluster_id)["Cluster"]
    assert cluster["Status"]["State"] == "TERMINATED"
    reason = cluster["Status"]["StateChangeReason"]
    assert (reason["Code"], reason["Message"]) == ("ALL_STEPS_COMPLETED", "Steps completed")
    steps = emr.list_steps(ClusterId=cluster_id)["Steps"]
    assert [s["Status"]["State"] for s in steps] == ["COMPLETED", "COMPLETED"]
    instances = emr.list_instances(ClusterId=cluster_id)["Instances"]
    assert {i["Status"]["State"] for i in instances} == {"TERMINATED"}
    assert node_processes(cluster_id, [i["Ec2InstanceId"] for i in instances]) == []
    code, message = error_of(
        emr.add_job_flow_steps, JobFlowId=cluster_id, Steps=[command_step("late", "true")]
    )
    assert code == "ValidationException"
    assert "may not be modified" in message


def test_bootstrap_actions_run_on_every_node(region: RunningServer, tmp_path: Any) -> None:
    emr, s3 = region.client("emr"), region.client("s3")
    bucket = f"node-logs-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    script = tmp_path / "bootstrap.sh"
    script.write_text(
        '#!/bin/bash\necho "$EMR_INSTANCE_ID $1" | tee -a ' + str(tmp_path / "ran") + "\n"
    )
    cluster_id = run_job_flow(
        emr,
        LogUri=f"s3://{bucket}/",
        Instances={"InstanceGroups": instance_groups(core=1, task=0),
                   "KeepJobFlowAliveWhenNoSteps": True},
        BootstrapActions=[{"Name": "mark", "ScriptBootstrapAction": {
            "Path": f"file://{script}", "Args": ["hello"]}}],
    )  # fmt: skip
    try:
        wait_cluster(emr, cluster_id, "WAITING")
        instances = [
            i["Ec2InstanceId"] for i in emr.list_instances(ClusterId=cluster_id)["Instances"]
        ]
        lines = sorted((tmp_path / "ran").read_text().splitlines())
        assert lines == sorted(f"{instance} hello" for instance in instances)
        actions = emr.list_bootstrap_actions(ClusterId=cluster_id)["BootstrapActions"]
        assert actions == [{"Name": "mark", "ScriptPath": f"file://{script}", "Args": ["hello"]}]
    finally:
        emr.terminate_job_flows(JobFlowIds=[cluster_id])
    wait_cluster(emr, cluster_id, "TERMINATED")
    for instance in instances:
        node = f"{cluster_id}/node/{instance}/"
        stdout = s3.get_object(Bucket=bucket, Key=node + "bootstrap-actions/1/stdout.gz")
        assert gzip.decompress(stdout["Body"].read()) == f"{instance} hello\n".encode()
        agent_log = s3.get_object(Bucket=bucket, Key=node + "daemons/emr-agent.log.gz")
        assert b"stopping the node" in gzip.decompress(agent_log["Body"].read())


def test_failing_bootstrap_action_ends_the_cluster(region: RunningServer, tmp_path: Any) -> None:
    emr = region.client("emr")
    ok, bad = tmp_path / "ok.sh", tmp_path / "bad.sh"
    ok.write_text("#!/bin/sh\nexit 0\n")
    bad.write_text("#!/bin/sh\necho nope >&2\nexit 1\n")
    cluster_id = run_job_flow(
        emr,
        BootstrapActions=[
            {"Name": "ok", "ScriptBootstrapAction": {"Path": f"file://{ok}"}},
            {"Name": "bad", "ScriptBootstrapAction": {"Path": f"file://{bad}"}},
        ],
    )
    cluster = wait_cluster(emr, cluster_id, "TERMINATED", "TERMINATED_WITH_ERRORS")
    status = cluster["Status"]
    assert status["State"] == "TERMINATED_WITH_ERRORS"
    assert status["StateChangeReason"]["Code"] == "BOOTSTRAP_FAILURE"
    assert "bootstrap action 2" in status["StateChangeReason"]["Message"]


def test_termination_protection(region: RunningServer) -> None:
    emr = region.client("emr")
    cluster_id = run_job_flow(
        emr,
        Instances={"InstanceGroups": instance_groups(core=0, task=0),
                   "KeepJobFlowAliveWhenNoSteps": True, "TerminationProtected": True},
    )  # fmt: skip
    wait_cluster(emr, cluster_id, "WAITING")
    code, message = error_of(emr.terminate_job_flows, JobFlowIds=[cluster_id])
    assert (code, message) == (
        "ValidationException",
        "Could not shut down one or more job flows since they are termination protected.",
    )
    assert emr.describe_cluster(ClusterId=cluster_id)["Cluster"]["TerminationProtected"] is True
    emr.set_termination_protection(JobFlowIds=[cluster_id], TerminationProtected=False)
    emr.terminate_job_flows(JobFlowIds=[cluster_id])
    emr.get_waiter("cluster_terminated").wait(ClusterId=cluster_id, WaiterConfig=FAST_WAITER)
    reason = emr.describe_cluster(ClusterId=cluster_id)["Cluster"]["Status"]["StateChangeReason"]
    assert (reason["Code"], reason["Message"]) == ("USER_REQUEST", "Terminated by user request")


def test_step_failure_with_terminate_cluster(region: RunningServer) -> None:
    emr = region.client("emr")
    cluster_id = run_job_flow(
        emr,
        Steps=[command_step("fails", "false", action="TERMINATE_CLUSTER"),
               command_step("never", "true")],
    )  # fmt: skip
    cluster = wait_cluster(emr, cluster_id, "TERMINATED", "TERMINATED_WITH_ERRORS")
    assert cluster["Status"]["State"] == "TERMINATED_WITH_ERRORS"
    assert cluster["Status"]["StateChangeReason"]["Code"] == "STEP_FAILURE"
    states = [s["Status"]["State"] for s in emr.list_steps(ClusterId=cluster_id)["Steps"]]
    assert states == ["CANCELLED", "FAILED"]


def test_a_killed_core_node_is_reported_and_the_cluster_goes_on(region: RunningServer) -> None:
    emr = region.client("emr")
    cluster_id = run_job_flow(
        emr,
        Instances={"InstanceGroups": instance_groups(core=2, task=0),
                   "KeepJobFlowAliveWhenNoSteps": True},
    )  # fmt: skip
    try:
        wait_cluster(emr, cluster_id, "WAITING")
        core = emr.list_instances(ClusterId=cluster_id, InstanceGroupTypes=["CORE"])["Instances"]
        victim = core[0]["Ec2InstanceId"]
        for process in agent_processes(cluster_id):
            if victim in " ".join(process.cmdline()):
                process.kill()
        deadline_state = _wait_instance(emr, cluster_id, victim, "TERMINATED")
        assert deadline_state["Status"]["StateChangeReason"]["Code"] == "INSTANCE_FAILURE"
        assert emr.describe_cluster(ClusterId=cluster_id)["Cluster"]["Status"]["State"] == (
            "WAITING"
        )
        (step_id,) = emr.add_job_flow_steps(
            JobFlowId=cluster_id, Steps=[command_step("still", "true")]
        )["StepIds"]
        assert wait_step(emr, cluster_id, step_id)["Status"]["State"] == "COMPLETED"
    finally:
        emr.terminate_job_flows(JobFlowIds=[cluster_id])
    wait_cluster(emr, cluster_id, "TERMINATED")


def test_a_killed_master_ends_the_cluster_with_errors(region: RunningServer) -> None:
    emr = region.client("emr")
    cluster_id = run_job_flow(
        emr,
        Instances={"InstanceGroups": instance_groups(core=1, task=0),
                   "KeepJobFlowAliveWhenNoSteps": True},
    )  # fmt: skip
    wait_cluster(emr, cluster_id, "WAITING")
    (master,) = emr.list_instances(ClusterId=cluster_id, InstanceGroupTypes=["MASTER"])["Instances"]
    (step_id,) = emr.add_job_flow_steps(
        JobFlowId=cluster_id, Steps=[command_step("sleeps", "sleep", "600")]
    )["StepIds"]
    wait_step(emr, cluster_id, step_id, "RUNNING")
    master_id = master["Ec2InstanceId"]
    for process in node_processes(cluster_id, [master_id]):
        process.kill()  # the whole node: agent and the step's process
    cluster = wait_cluster(emr, cluster_id, "TERMINATED", "TERMINATED_WITH_ERRORS")
    reason = cluster["Status"]["StateChangeReason"]
    assert cluster["Status"]["State"] == "TERMINATED_WITH_ERRORS"
    assert reason["Code"] == "INSTANCE_FAILURE"
    assert f"The master node ({master_id}) was lost" in reason["Message"]
    assert wait_step(emr, cluster_id, step_id)["Status"]["State"] in ("FAILED", "INTERRUPTED")
    instances = emr.list_instances(ClusterId=cluster_id)["Instances"]
    assert node_processes(cluster_id, [i["Ec2InstanceId"] for i in instances]) == []


def _wait_instance(emr: Any, cluster_id: str, instance_id: str, state: str) -> dict[str, Any]:
    deadline = time.monotonic() + 60
    while True:
        for instance in emr.list_instances(ClusterId=cluster_id)["Instances"]:
            if instance["Ec2InstanceId"] == instance_id and instance["Status"]["State"] == state:
                return dict(instance)
        assert time.monotonic() < deadline
        time.sleep(0.1)


def test_an_idle_cluster_ends_after_its_auto_termination_timeout(region: RunningServer) -> None:
    emr = region.client("emr")
    cluster_id = run_job_flow(emr, AutoTerminationPolicy={"IdleTimeout": 60})
    assert emr.get_auto_termination_policy(ClusterId=cluster_id)["AutoTerminationPolicy"] == {
        "IdleTimeout": 60}  # fmt: skip
    waiting = wait_cluster(emr, cluster_id, "WAITING")
    ended = wait_cluster(emr, cluster_id, "TERMINATED", "TERMINATED_WITH_ERRORS")
    assert ended["Status"]["State"] == "TERMINATED"
    assert ended["Status"]["StateChangeReason"] == {
        "Code": "ALL_STEPS_COMPLETED",
        "Message": "Cluster was idle for 60 seconds (auto-termination)",
    }
    idle = (
        ended["Status"]["Timeline"]["EndDateTime"] - waiting["Status"]["Timeline"]["ReadyDateTime"]
    )
    assert idle.total_seconds() >= 60


def test_cluster_settings_are_stored_and_described(shared_cluster: SharedCluster) -> None:
    emr, cluster_id = shared_cluster.emr, shared_cluster.cluster_id
    try:
        emr.set_visible_to_all_users(JobFlowIds=[cluster_id], VisibleToAllUsers=False)
        emr.set_keep_job_flow_alive_when_no_steps(
            JobFlowIds=[cluster_id], KeepJobFlowAliveWhenNoSteps=True
        )
        emr.put_auto_termination_policy(
            ClusterId=cluster_id, AutoTerminationPolicy={"IdleTimeout": 3600}
        )
        cluster = emr.describe_cluster(ClusterId=cluster_id)["Cluster"]
        assert (cluster["VisibleToAllUsers"], cluster["AutoTerminate"]) == (False, False)
        policy = emr.get_auto_termination_policy(ClusterId=cluster_id)
        assert policy["AutoTerminationPolicy"] == {"IdleTimeout": 3600}
        code, _ = error_of(
            emr.put_auto_termination_policy,
            ClusterId=cluster_id,
            AutoTerminationPolicy={"IdleTimeout": 10},
        )
        assert code == "ValidationException"
    finally:
        emr.set_visible_to_all_users(JobFlowIds=[cluster_id], VisibleToAllUsers=True)
        emr.remove_auto_termination_policy(ClusterId=cluster_id)
    assert "AutoTerminationPolicy" not in emr.get_auto_termination_policy(ClusterId=cluster_id)


def test_instance_fleets_legacy_instances_and_configurations(region: RunningServer) -> None:
    emr = region.client("emr")
    fleets = run_job_flow(
        emr,
        Instances={
            "InstanceFleets": [
                {"Name": "m", "InstanceFleetType": "MASTER", "TargetOnDemandCapacity": 1,
                 "InstanceTypeConfigs": [{"InstanceType": "m5.xlarge"}]},
                {"Name": "c", "InstanceFleetType": "CORE", "TargetSpotCapacity": 2,
                 "InstanceTypeConfigs": [{"InstanceType": "r5.xlarge", "WeightedCapacity": 1}]},
            ],
            "KeepJobFlowAliveWhenNoSteps": True,
        },
        Configurations=[{"Classification": "core-site",
                         "Properties": {"io.file.buffer.size": "65536"}}],
    )  # fmt: skip
    legacy = run_job_flow(
        emr,
        Instances={"MasterInstanceType": "m5.xlarge", "SlaveInstanceType": "m5.xlarge",
                   "InstanceCount": 2, "KeepJobFlowAliveWhenNoSteps": True},
    )  # fmt: skip
    try:
        cluster = wait_cluster(emr, fleets, "WAITING")
        assert cluster["InstanceCollectionType"] == "INSTANCE_FLEET"
        listed = emr.list_instance_fleets(ClusterId=fleets)["InstanceFleets"]
        core = next(f for f in listed if f["InstanceFleetType"] == "CORE")
        assert (core["ProvisionedSpotCapacity"], core["Status"]["State"]) == (2, "RUNNING")
        instances = emr.list_instances(ClusterId=fleets, InstanceFleetType="CORE")["Instances"]
        assert [(i["InstanceType"], i["Market"]) for i in instances] == [
            ("r5.xlarge", "SPOT"), ("r5.xlarge", "SPOT")]  # fmt: skip
        node_dir = region.data_dir / "clusters" / fleets / instances[0]["Ec2InstanceId"]
        core_site = (node_dir / "conf" / "core-site.xml").read_text()
        assert "<name>io.file.buffer.size</name>" in core_site
        assert "<value>65536</value>" in core_site
        wait_cluster(emr, legacy, "WAITING")
        (flow,) = emr.describe_job_flows(JobFlowIds=[legacy])["JobFlows"]
        assert flow["ExecutionStatusDetail"]["State"] == "WAITING"
        assert (flow["Instances"]["InstanceCount"], flow["Instances"]["SlaveInstanceType"]) == (
            2, "m5.xlarge")  # fmt: skip
    finally:
        emr.terminate_job_flows(JobFlowIds=[fleets, legacy])
    wait_cluster(emr, fleets, "TERMINATED")
    wait_cluster(emr, legacy, "TERMINATED")


def test_the_master_serves_webhdfs_on_both_namenode_ports(shared_cluster: SharedCluster) -> None:
    emr, cluster_id = shared_cluster.emr, shared_cluster.cluster_id
    master_ip = emr.describe_cluster(ClusterId=cluster_id)["Cluster"]["MasterPublicDnsName"]
    for port in (9870, 8020):
        url = f"http://{master_ip}:{port}/webhdfs/v1/user/hadoop?op=GETFILESTATUS&user.name=hadoop"
        response = httpx.get(url, timeout=10)
        assert response.status_code == 200
        assert "content-type" not in response.headers  # Spark's WebHDFS client needs that
        assert response.json()["FileStatus"]["owner"] == "hadoop"
    namenodes = [
        p for p in node_processes(cluster_id, [_master_id(emr, cluster_id)])
        if "emr.hdfs.namenode" in " ".join(p.cmdline())
    ]  # fmt: skip
    assert len(namenodes) == 1


def _master_id(emr: Any, cluster_id: str) -> str:
    masters = emr.list_instances(ClusterId=cluster_id, InstanceGroupTypes=["MASTER"])["Instances"]
    return str(masters[0]["Ec2InstanceId"])


def test_hdfs_on_the_cluster_writes_and_reads_through_webhdfs(
    shared_cluster: SharedCluster,
) -> None:
    """WAITING means HDFS is ready: both core nodes' DataNodes take a file at once."""
    emr, cluster_id = shared_cluster.emr, shared_cluster.cluster_id
    master_ip = emr.describe_cluster(ClusterId=cluster_id)["Cluster"]["MasterPublicDnsName"]
    core_ips = {
        i["PrivateIpAddress"]
        for i in emr.list_instances(ClusterId=cluster_id, InstanceGroupTypes=["CORE"])["Instances"]
    }
    base = f"http://{master_ip}:8020/webhdfs/v1/user/hadoop/data.bin"
    payload = bytes(range(256)) * 4096  # 1 MiB
    with httpx.Client(timeout=30) as client:
        redirect = client.put(base, params={"op": "CREATE", "user.name": "hadoop"})
        assert redirect.status_code == 307
        created = client.put(redirect.headers["location"], content=payload)
        assert created.status_code == 201
        read = client.get(base, params={"op": "OPEN", "user.name": "hadoop"}, follow_redirects=True)
        assert read.content == payload
        ranged = client.get(
            base,
            params={"op": "OPEN", "user.name": "hadoop", "offset": 1000, "length": 10},
            follow_redirects=True,
        )
        assert ranged.content == payload[1000:1010]
        locations = client.get(
            base, params={"op": "GETFILEBLOCKLOCATIONS", "user.name": "hadoop"}
        ).json()["BlockLocations"]["BlockLocation"]
    assert {host for location in locations for host in location["hosts"]} <= core_ips
    # The task node runs no DataNode; every core node runs one.
    datanodes = [
        p for p in psutil.process_iter(["cmdline"])
        if "emr.hdfs.datanode" in " ".join(p.info["cmdline"] or []) and cluster_id in " ".join(p.info["cmdline"] or [])
    ]  # fmt: skip
    assert len(datanodes) == 2
