"""Rows → API shapes: the exact members a DescribeCluster / List* / DescribeJobFlows caller sees."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from emr.services.emr import cluster_views as views
from emr.services.emr.cluster_spec import ClusterPlan, plan_cluster
from emr.services.emr.ids import IdSource

T0 = datetime(2025, 3, 4, 5, 6, 7, tzinfo=UTC)
T1, T2, T3 = (T0 + timedelta(minutes=m) for m in (1, 5, 30))


def planned(**members: Any) -> ClusterPlan:
    request: dict[str, Any] = {
        "Name": "etl",
        "ReleaseLabel": "emr-7.5.0",
        "Applications": [{"Name": "Spark"}],
        "ServiceRole": "EMR_DefaultRole",
        "JobFlowRole": "EMR_EC2_DefaultRole",
        "LogUri": "s3://logs/",
        "Tags": [{"Key": "team", "Value": "data"}],
        "BootstrapActions": [
            {"Name": "deps", "ScriptBootstrapAction": {"Path": "s3://b/deps.sh", "Args": ["-q"]}}
        ],
        "Steps": [
            {
                "Name": "spark pi",
                "ActionOnFailure": "CONTINUE",
                "HadoopJarStep": {
                    "Jar": "command-runner.jar",
                    "Args": ["spark-submit", "pi.py"],
                    "Properties": [{"Key": "k", "Value": "v"}],
                },
            }
        ],
        "Instances": {
            "InstanceGroups": [
                {"InstanceRole": "MASTER", "InstanceType": "m5.xlarge", "InstanceCount": 1,
                 "Name": "Primary"},
                {"InstanceRole": "CORE", "InstanceType": "m5.2xlarge", "InstanceCount": 2,
                 "EbsConfiguration": {
                     "EbsBlockDeviceConfigs": [
                         {"VolumeSpecification": {"VolumeType": "gp3", "SizeInGB": 64},
                          "VolumesPerInstance": 2}
                     ],
                     "EbsOptimized": True,
                 }},
            ],
            "KeepJobFlowAliveWhenNoSteps": True,
            "Ec2KeyName": "laptop",
        },
    }  # fmt: skip
    request.update(members)
    return plan_cluster(
        account_id="123456789012",
        region="us-east-1",
        request=request,
        now=T0,
        ids=IdSource(random.Random(3)),
    )


def running(plan: ClusterPlan) -> ClusterPlan:
    """The plan as the supervisor leaves it once the cluster runs its step."""
    cluster = plan.cluster
    cluster.state, cluster.state_message, cluster.ready_at = "RUNNING", "Running step", T2
    cluster.master_private_ip = "127.16.1.2"
    cluster.normalized_instance_hours = 24
    for n, node in enumerate(plan.instances):
        node.state, node.private_ip, node.ready_at = "RUNNING", f"127.16.1.{n + 2}", T2
    for group in plan.groups:
        group.ever_running, group.ready_at = True, T2
    plan.steps[0].state, plan.steps[0].started_at = "RUNNING", T2
    return plan


def test_cluster_as_describe_cluster_answers_it() -> None:
    plan = running(planned())
    cid = plan.cluster.id
    assert views.cluster(plan.cluster) == {
        "Id": cid,
        "Name": "etl",
        "Status": {
            "State": "RUNNING",
            "StateChangeReason": {"Message": "Running step"},
            "Timeline": {"CreationDateTime": T0, "ReadyDateTime": T2},
        },
        "Ec2InstanceAttributes": {
            "Ec2KeyName": "laptop",
            "Ec2AvailabilityZone": "us-east-1a",
            "IamInstanceProfile": "EMR_EC2_DefaultRole",
        },
        "InstanceCollectionType": "INSTANCE_GROUP",
        "LogUri": "s3://logs/",
        "ReleaseLabel": "emr-7.5.0",
        "AutoTerminate": False,
        "TerminationProtected": False,
        "VisibleToAllUsers": True,
        "Applications": [
            {"Name": "Hadoop", "Version": "3.5.0"},
            {"Name": "Spark", "Version": "4.3.0"},
        ],
        "Tags": [{"Key": "team", "Value": "data"}],
        "ServiceRole": "EMR_DefaultRole",
        "NormalizedInstanceHours": 24,
        "MasterPublicDnsName": "127.16.1.2",
        "Configurations": [],
        "StepConcurrencyLevel": 1,
        "ClusterArn": f"arn:aws:elasticmapreduce:us-east-1:123456789012:cluster/{cid}",
        "ScaleDownBehavior": "TERMINATE_AT_TASK_COMPLETION",
    }


def test_a_starting_cluster_says_nothing_it_does_not_know() -> None:
    plan = planned(EbsRootVolumeSize=20, SecurityConfiguration="sec")
    described = views.cluster(plan.cluster)
    assert described["Status"] == {
        "State": "STARTING",
        "StateChangeReason": {},
        "Timeline": {"CreationDateTime": T0},
    }
    assert "MasterPublicDnsName" not in described
    assert described["EbsRootVolumeSize"] == 20
    assert described["SecurityConfiguration"] == "sec"
    assert described["AutoTerminate"] is False


def test_a_terminated_cluster_and_its_summary() -> None:
    plan = planned()
    cluster = plan.cluster
    cluster.state, cluster.state_code = "TERMINATED_WITH_ERRORS", "BOOTSTRAP_FAILURE"
    cluster.state_message = "On the master instance (i-1), bootstrap action 1 returned a non-zero"
    cluster.ended_at = T3
    assert views.cluster_summary(cluster) == {
        "Id": cluster.id,
        "Name": "etl",
        "Status": {
            "State": "TERMINATED_WITH_ERRORS",
            "StateChangeReason": {
                "Code": "BOOTSTRAP_FAILURE",
                "Message": "On the master instance (i-1), bootstrap action 1 returned a non-zero",
            },
            "Timeline": {"CreationDateTime": T0, "EndDateTime": T3},
        },
        "NormalizedInstanceHours": 0,
        "ClusterArn": f"arn:aws:elasticmapreduce:us-east-1:123456789012:cluster/{cluster.id}",
    }


def test_steps_as_list_steps_and_describe_step_answer_them() -> None:
    plan = running(planned())
    row = plan.steps[0]
    expected = {
        "Id": row.id,
        "Name": "spark pi",
        "Config": {
            "Jar": "command-runner.jar",
            "Properties": {"k": "v"},
            "Args": ["spark-submit", "pi.py"],
        },
        "ActionOnFailure": "CONTINUE",
        "Status": {
            "State": "RUNNING",
            "StateChangeReason": {},
            "Timeline": {"CreationDateTime": T0, "StartDateTime": T2},
        },
    }
    assert views.step(row) == expected
    assert views.step_summary(row) == expected


def test_a_failed_step_reports_its_failure_details() -> None:
    row = planned().steps[0]
    row.state, row.started_at, row.ended_at = "FAILED", T1, T2
    row.failure = {"Reason": "Unknown Error.", "LogFile": "s3://logs/j-1/steps/s-1/stderr.gz"}
    row.main_class = "org.example.Main"
    shown = views.step(row)
    assert shown["Config"]["MainClass"] == "org.example.Main"
    assert shown["Status"] == {
        "State": "FAILED",
        "StateChangeReason": {},
        "FailureDetails": {
            "Reason": "Unknown Error.",
            "LogFile": "s3://logs/j-1/steps/s-1/stderr.gz",
        },
        "Timeline": {"CreationDateTime": T0, "StartDateTime": T1, "EndDateTime": T2},
    }


def test_instance_groups_count_running_instances_and_echo_ebs() -> None:
    plan = planned()
    master, core = plan.groups
    core_nodes = [i for i in plan.instances if i.group_id == core.id]
    core_nodes[0].state = "RUNNING"
    core_nodes[1].state = "BOOTSTRAPPING"
    assert views.instance_group(core, core_nodes, plan.cluster) == {
        "Id": core.id,
        "Market": "ON_DEMAND",
        "InstanceGroupType": "CORE",
        "InstanceType": "m5.2xlarge",
        "RequestedInstanceCount": 2,
        "RunningInstanceCount": 1,
        "Status": {
            "State": "BOOTSTRAPPING",
            "StateChangeReason": {},
            "Timeline": {"CreationDateTime": T0},
        },
        "Configurations": [],
        "EbsBlockDevices": [
            {"VolumeSpecification": {"VolumeType": "gp3", "SizeInGB": 64}, "Device": "/dev/sdb"},
            {"VolumeSpecification": {"VolumeType": "gp3", "SizeInGB": 64}, "Device": "/dev/sdc"},
        ],
        "EbsOptimized": True,
    }
    master_nodes = [i for i in plan.instances if i.group_id == master.id]
    shown = views.instance_group(master, master_nodes, plan.cluster)
    assert (shown["Name"], shown["Status"]["State"]) == ("Primary", "PROVISIONING")


def test_groups_of_a_terminated_cluster_are_terminated() -> None:
    plan = planned()
    plan.cluster.state, plan.cluster.ended_at = "TERMINATED", T3
    group = plan.groups[0]
    nodes = [i for i in plan.instances if i.group_id == group.id]
    assert views.instance_group(group, nodes, plan.cluster)["Status"] == {
        "State": "TERMINATED",
        "StateChangeReason": {"Code": "CLUSTER_TERMINATED", "Message": "Job flow terminated"},
        "Timeline": {"CreationDateTime": T0, "EndDateTime": T3},
    }
    plan.cluster.state = "TERMINATING"
    assert views.instance_group(group, nodes, plan.cluster)["Status"]["State"] == "TERMINATING"


def fleet_plan() -> ClusterPlan:
    return planned(
        Instances={
            "InstanceFleets": [
                {"InstanceFleetType": "MASTER", "TargetOnDemandCapacity": 1,
                 "InstanceTypeConfigs": [{"InstanceType": "m5.xlarge"}]},
                {"InstanceFleetType": "CORE", "Name": "workers", "TargetSpotCapacity": 4,
                 "InstanceTypeConfigs": [
                     {"InstanceType": "m5.2xlarge", "WeightedCapacity": 2,
                      "BidPriceAsPercentageOfOnDemandPrice": 60.0},
                     {"InstanceType": "r5.2xlarge", "WeightedCapacity": 2},
                 ],
                 "LaunchSpecifications": {"SpotSpecification": {
                     "TimeoutDurationMinutes": 20, "TimeoutAction": "SWITCH_TO_ON_DEMAND"}}},
            ],
        }
    )  # fmt: skip


def test_instance_fleets_report_capacity_in_weighted_units() -> None:
    plan = fleet_plan()
    core = plan.groups[1]
    nodes = [i for i in plan.instances if i.group_id == core.id]
    nodes[0].state = "RUNNING"
    assert views.instance_fleet(core, nodes, plan.cluster) == {
        "Id": core.id,
        "Name": "workers",
        "Status": {
            "State": "PROVISIONING",
            "StateChangeReason": {},
            "Timeline": {"CreationDateTime": T0},
        },
        "InstanceFleetType": "CORE",
        "TargetOnDemandCapacity": 0,
        "TargetSpotCapacity": 4,
        "ProvisionedOnDemandCapacity": 0,
        "ProvisionedSpotCapacity": 2,
        "InstanceTypeSpecifications": [
            {
                "InstanceType": "m5.2xlarge",
                "WeightedCapacity": 2,
                "BidPriceAsPercentageOfOnDemandPrice": 60.0,
                "Configurations": [],
                "EbsBlockDevices": [],
            },
            {
                "InstanceType": "r5.2xlarge",
                "WeightedCapacity": 2,
                "Configurations": [],
                "EbsBlockDevices": [],
            },
        ],
        "LaunchSpecifications": {
            "SpotSpecification": {
                "TimeoutDurationMinutes": 20,
                "TimeoutAction": "SWITCH_TO_ON_DEMAND",
            }
        },
    }


def test_instances_use_their_private_ip_for_every_address() -> None:
    plan = running(planned())
    master_group = plan.groups[0]
    node = plan.instances[0]
    assert views.instance(node, master_group, "us-east-1") == {
        "Id": node.id,
        "Ec2InstanceId": node.id,
        "PublicDnsName": "127.16.1.2",
        "PublicIpAddress": "127.16.1.2",
        "PrivateDnsName": "ip-127-16-1-2.ec2.internal",
        "PrivateIpAddress": "127.16.1.2",
        "Status": {
            "State": "RUNNING",
            "StateChangeReason": {},
            "Timeline": {"CreationDateTime": T0, "ReadyDateTime": T2},
        },
        "InstanceGroupId": master_group.id,
        "Market": "ON_DEMAND",
        "InstanceType": "m5.xlarge",
        "EbsVolumes": [],
    }


def test_an_instance_without_an_address_and_one_in_a_fleet() -> None:
    plan = fleet_plan()
    node = plan.instances[1]
    node.state, node.state_code = "TERMINATED", "INSTANCE_FAILURE"
    node.state_message, node.ended_at = "The instance stopped responding (31 s).", T3
    shown = views.instance(node, plan.groups[1], "eu-west-1")
    assert shown["InstanceFleetId"] == plan.groups[1].id
    assert "InstanceGroupId" not in shown and "PrivateIpAddress" not in shown
    assert shown["Status"] == {
        "State": "TERMINATED",
        "StateChangeReason": {
            "Code": "INSTANCE_FAILURE",
            "Message": "The instance stopped responding (31 s).",
        },
        "Timeline": {"CreationDateTime": T0, "EndDateTime": T3},
    }
    assert shown["Market"] == "SPOT"
    assert views.private_dns_name("127.0.3.4", "eu-west-1") == (
        "ip-127-0-3-4.eu-west-1.compute.internal"
    )


def test_bootstrap_actions_as_commands_and_details() -> None:
    action = planned().cluster.bootstrap_actions[0]
    assert views.command(action) == {"Name": "deps", "ScriptPath": "s3://b/deps.sh", "Args": ["-q"]}
    assert views.bootstrap_action_detail(action) == {
        "BootstrapActionConfig": {
            "Name": "deps",
            "ScriptBootstrapAction": {"Path": "s3://b/deps.sh", "Args": ["-q"]},
        }
    }


@pytest.mark.parametrize(
    ("state", "code", "job_flow_state"),
    [
        ("STARTING", None, "STARTING"),
        ("BOOTSTRAPPING", None, "BOOTSTRAPPING"),
        ("RUNNING", None, "RUNNING"),
        ("WAITING", None, "WAITING"),
        ("TERMINATING", "USER_REQUEST", "SHUTTING_DOWN"),
        ("TERMINATED", "USER_REQUEST", "TERMINATED"),
        ("TERMINATED", "ALL_STEPS_COMPLETED", "COMPLETED"),
        ("TERMINATED_WITH_ERRORS", "STEP_FAILURE", "FAILED"),
        ("TERMINATED_WITH_ERRORS", "ALL_STEPS_COMPLETED", "FAILED"),
    ],
)
def test_job_flow_states(state: str, code: str | None, job_flow_state: str) -> None:
    cluster = planned().cluster
    cluster.state, cluster.state_code = state, code
    assert views.job_flow_state(cluster) == job_flow_state


def test_job_flow_detail_as_describe_job_flows_answers_it() -> None:
    plan = running(planned())
    master, core = plan.groups
    detail = views.job_flow_detail(
        plan.cluster, list(reversed(plan.groups)), plan.instances, plan.steps
    )
    assert detail == {
        "JobFlowId": plan.cluster.id,
        "Name": "etl",
        "LogUri": "s3://logs/",
        "ExecutionStatusDetail": {
            "State": "RUNNING",
            "CreationDateTime": T0,
            "StartDateTime": T2,
            "ReadyDateTime": T2,
            "LastStateChangeReason": "Running step",
        },
        "Instances": {
            "MasterInstanceType": "m5.xlarge",
            "MasterPublicDnsName": "127.16.1.2",
            "MasterInstanceId": plan.instances[0].id,
            "SlaveInstanceType": "m5.2xlarge",
            "InstanceCount": 3,
            "InstanceGroups": [
                {
                    "InstanceGroupId": master.id,
                    "Name": "Primary",
                    "Market": "ON_DEMAND",
                    "InstanceRole": "MASTER",
                    "InstanceType": "m5.xlarge",
                    "InstanceRequestCount": 1,
                    "InstanceRunningCount": 1,
                    "State": "RUNNING",
                    "CreationDateTime": T0,
                    "StartDateTime": T2,
                    "ReadyDateTime": T2,
                },
                {
                    "InstanceGroupId": core.id,
                    "Market": "ON_DEMAND",
                    "InstanceRole": "CORE",
                    "InstanceType": "m5.2xlarge",
                    "InstanceRequestCount": 2,
                    "InstanceRunningCount": 2,
                    "State": "RUNNING",
                    "CreationDateTime": T0,
                    "StartDateTime": T2,
                    "ReadyDateTime": T2,
                },
            ],
            "NormalizedInstanceHours": 24,
            "Ec2KeyName": "laptop",
            "Placement": {"AvailabilityZone": "us-east-1a"},
            "KeepJobFlowAliveWhenNoSteps": True,
            "TerminationProtected": False,
            "HadoopVersion": "3.5.0",
        },
        "Steps": [
            {
                "StepConfig": {
                    "Name": "spark pi",
                    "ActionOnFailure": "CONTINUE",
                    "HadoopJarStep": {
                        "Jar": "command-runner.jar",
                        "Properties": [{"Key": "k", "Value": "v"}],
                        "Args": ["spark-submit", "pi.py"],
                    },
                },
                "ExecutionStatusDetail": {
                    "State": "RUNNING",
                    "CreationDateTime": T0,
                    "StartDateTime": T2,
                },
            }
        ],
        "BootstrapActions": [
            {
                "BootstrapActionConfig": {
                    "Name": "deps",
                    "ScriptBootstrapAction": {"Path": "s3://b/deps.sh", "Args": ["-q"]},
                }
            }
        ],
        "SupportedProducts": [],
        "VisibleToAllUsers": True,
        "JobFlowRole": "EMR_EC2_DefaultRole",
        "ServiceRole": "EMR_DefaultRole",
        "ScaleDownBehavior": "TERMINATE_AT_TASK_COMPLETION",
    }


def test_job_flow_detail_speaks_the_legacy_vocabulary_after_the_end() -> None:
    plan = running(planned())
    plan.cluster.state, plan.cluster.state_code = "TERMINATING", "USER_REQUEST"
    plan.steps[0].state = "CANCEL_PENDING"
    detail = views.job_flow_detail(plan.cluster, plan.groups, plan.instances, plan.steps)
    assert detail["ExecutionStatusDetail"]["State"] == "SHUTTING_DOWN"
    assert [g["State"] for g in detail["Instances"]["InstanceGroups"]] == ["SHUTTING_DOWN"] * 2
    assert detail["Steps"][0]["ExecutionStatusDetail"]["State"] == "RUNNING"

    plan.cluster.state, plan.cluster.ended_at = "TERMINATED", T3
    detail = views.job_flow_detail(plan.cluster, plan.groups, plan.instances, plan.steps)
    assert detail["ExecutionStatusDetail"]["State"] == "TERMINATED"
    assert detail["ExecutionStatusDetail"]["EndDateTime"] == T3
    group = detail["Instances"]["InstanceGroups"][0]
    assert (group["State"], group["LastStateChangeReason"], group["EndDateTime"]) == (
        "ENDED",
        "Job flow terminated",
        T3,
    )


def test_a_master_only_job_flow_names_the_master_type_as_slave_type() -> None:
    plan = planned(Instances={"MasterInstanceType": "m5.xlarge", "InstanceCount": 1})
    instances = views.job_flow_detail(plan.cluster, plan.groups, plan.instances, [])["Instances"]
    assert (instances["MasterInstanceType"], instances["SlaveInstanceType"]) == (
        "m5.xlarge",
        "m5.xlarge",
    )
    assert instances["InstanceCount"] == 1
    assert "MasterPublicDnsName" not in instances
