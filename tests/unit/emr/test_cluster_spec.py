"""Planning RunJobFlow / AddJobFlowSteps: the rows a request becomes, and what it refuses."""

from __future__ import annotations

import random
import re
from copy import deepcopy
from datetime import UTC, datetime
from typing import Any

import pytest

from emr.errors import ServiceError
from emr.services.emr.cluster_spec import (
    ClusterPlan,
    check_tags,
    hadoop_jar_step,
    merge_tags,
    plan_cluster,
    plan_steps,
)
from emr.services.emr.ids import IdSource, cluster_arn

NOW = datetime(2025, 3, 4, 5, 6, 7, tzinfo=UTC)
ACCOUNT, REGION = "123456789012", "us-east-1"


def ids(seed: int = 7) -> IdSource:
    return IdSource(random.Random(seed))


def groups_request(**members: Any) -> dict[str, Any]:
    request: dict[str, Any] = {
        "Name": "nightly etl",
        "ReleaseLabel": "emr-7.5.0",
        "Instances": {
            "InstanceGroups": [
                {"Name": "Primary", "InstanceRole": "MASTER", "InstanceType": "m5.xlarge",
                 "InstanceCount": 1},
                {"Name": "Core", "InstanceRole": "CORE", "InstanceType": "m5.2xlarge",
                 "InstanceCount": 2},
                {"InstanceRole": "TASK", "InstanceType": "c5.xlarge", "InstanceCount": 1,
                 "Market": "SPOT", "BidPrice": "0.10"},
            ],
            "KeepJobFlowAliveWhenNoSteps": True,
            "Ec2KeyName": "laptop",
            "Ec2SubnetId": "subnet-1",
        },
    }  # fmt: skip
    request.update(members)
    return request


def plan(request: dict[str, Any], seed: int = 7) -> ClusterPlan:
    return plan_cluster(
        account_id=ACCOUNT,
        region=REGION,
        request=request,
        now=NOW,
        ids=ids(seed),
    )


def refusal(request: dict[str, Any]) -> ServiceError:
    with pytest.raises(ServiceError) as caught:
        plan(request)
    return caught.value


# --- ids --------------------------------------------------------------------------------------


def test_ids_are_formed_as_emr_forms_them() -> None:
    source = IdSource()
    assert re.fullmatch(r"j-[0-9A-Z]{13}", source.cluster_id())
    assert re.fullmatch(r"s-[0-9A-Z]{13}", source.step_id())
    assert re.fullmatch(r"ig-[0-9A-Z]{13}", source.instance_group_id())
    assert re.fullmatch(r"if-[0-9A-Z]{13}", source.instance_fleet_id())
    assert re.fullmatch(r"i-[0-9a-f]{17}", source.instance_id())
    assert (
        cluster_arn("eu-west-1", ACCOUNT, "j-ABC")
        == "arn:aws:elasticmapreduce:eu-west-1:123456789012:cluster/j-ABC"
    )


def test_a_seeded_source_plans_the_same_ids() -> None:
    first, second = plan(groups_request()), plan(groups_request())
    assert first.cluster.id == second.cluster.id
    assert [i.id for i in first.instances] == [i.id for i in second.instances]


# --- instance groups --------------------------------------------------------------------------


def test_instance_groups_become_groups_and_waiting_instances() -> None:
    planned = plan(groups_request())
    cluster = planned.cluster
    assert re.fullmatch(r"j-[0-9A-Z]{13}", cluster.id)
    assert (cluster.account_id, cluster.region, cluster.name) == (ACCOUNT, REGION, "nightly etl")
    assert (cluster.state, cluster.state_code, cluster.state_message) == ("STARTING", None, "")
    assert cluster.instance_collection_type == "INSTANCE_GROUP"
    assert cluster.created_at == NOW and cluster.ready_at is None
    assert cluster.release_label == "emr-7.5.0"
    assert cluster.keep_alive is True and cluster.termination_protected is False
    assert cluster.agent_token == ""
    assert cluster.applications == [{"Name": "Hadoop", "Version": "3.5.0"}]

    groups = {g.role: g for g in planned.groups}
    assert [g.role for g in planned.groups] == ["MASTER", "CORE", "TASK"]
    assert all(g.kind == "group" and g.id.startswith("ig-") for g in planned.groups)
    assert (groups["MASTER"].name, groups["MASTER"].requested_count) == ("Primary", 1)
    assert (groups["CORE"].instance_type, groups["CORE"].requested_count) == ("m5.2xlarge", 2)
    assert (groups["TASK"].market, groups["TASK"].spec["BidPrice"]) == ("SPOT", "0.10")
    assert groups["TASK"].name is None
    assert all(g.created_at == NOW and g.ever_running is False for g in planned.groups)

    by_group = [(i.role, i.instance_type, i.market, i.group_id) for i in planned.instances]
    assert by_group == [
        ("MASTER", "m5.xlarge", "ON_DEMAND", groups["MASTER"].id),
        ("CORE", "m5.2xlarge", "ON_DEMAND", groups["CORE"].id),
        ("CORE", "m5.2xlarge", "ON_DEMAND", groups["CORE"].id),
        ("TASK", "c5.xlarge", "SPOT", groups["TASK"].id),
    ]
    assert {i.state for i in planned.instances} == {"AWAITING_FULFILLMENT"}
    assert len({i.id for i in planned.instances}) == 4
    assert all(i.cluster_id == cluster.id for i in planned.instances)


def test_defaults_are_runjobflows() -> None:
    request = groups_request()
    del request["Instances"]["KeepJobFlowAliveWhenNoSteps"]
    cluster = plan(request).cluster
    assert cluster.keep_alive is False
    assert cluster.termination_protected is False
    assert cluster.step_concurrency_level == 1
    assert cluster.visible_to_all_users is True
    assert cluster.idle_timeout_seconds is None
    assert cluster.tags == [] and cluster.bootstrap_actions == [] and cluster.configurations == []
    assert cluster.extra == {"ScaleDownBehavior": "TERMINATE_AT_TASK_COMPLETION"}
    assert cluster.normalized_instance_hours == 0
    assert cluster.master_private_ip is None and cluster.network is None


def test_ec2_attributes_and_echoed_members_are_kept_as_the_api_spells_them() -> None:
    request = groups_request(
        ServiceRole="EMR_DefaultRole",
        JobFlowRole="EMR_EC2_DefaultRole",
        SecurityConfiguration="sec",
        LogUri="s3://logs/emr/",
        EbsRootVolumeSize=32,
        CustomAmiId="ami-1",
        OSReleaseLabel="2023.6.20250115.0",
        ScaleDownBehavior="TERMINATE_AT_INSTANCE_HOUR",
        AutoScalingRole="EMR_AutoScaling_DefaultRole",
        VisibleToAllUsers=False,
        KerberosAttributes={"Realm": "EC2.INTERNAL", "KdcAdminPassword": "secret"},
        Configurations=[{"Classification": "spark", "Properties": {"a": "b"}}],
    )
    request["Instances"].update(
        Placement={"AvailabilityZone": "us-east-1c"},
        AdditionalMasterSecurityGroups=["sg-1"],
        TerminationProtected=True,
        UnhealthyNodeReplacement=True,
    )
    cluster = plan(request).cluster
    assert cluster.ec2_attributes == {
        "Ec2KeyName": "laptop",
        "AdditionalMasterSecurityGroups": ["sg-1"],
        "Ec2SubnetId": "subnet-1",
        "RequestedEc2SubnetIds": ["subnet-1"],
        "Ec2AvailabilityZone": "us-east-1c",
    }
    assert cluster.extra == {
        "CustomAmiId": "ami-1",
        "EbsRootVolumeSize": 32,
        "AutoScalingRole": "EMR_AutoScaling_DefaultRole",
        "OSReleaseLabel": "2023.6.20250115.0",
        "UnhealthyNodeReplacement": True,
        "ScaleDownBehavior": "TERMINATE_AT_INSTANCE_HOUR",
    }
    assert (cluster.service_role, cluster.job_flow_role) == (
        "EMR_DefaultRole",
        "EMR_EC2_DefaultRole",
    )
    assert (cluster.security_configuration, cluster.log_uri) == ("sec", "s3://logs/emr/")
    assert cluster.visible_to_all_users is False and cluster.termination_protected is True
    assert cluster.configurations == [{"Classification": "spark", "Properties": {"a": "b"}}]


def test_without_placement_the_zone_is_the_regions_first_or_the_first_requested() -> None:
    request = groups_request()
    del request["Instances"]["Ec2SubnetId"]
    assert plan(request).cluster.ec2_attributes["Ec2AvailabilityZone"] == "us-east-1a"
    request["Instances"]["Placement"] = {"AvailabilityZones": ["us-east-1d", "us-east-1b"]}
    attributes = plan(request).cluster.ec2_attributes
    assert attributes["Ec2AvailabilityZone"] == "us-east-1d"
    assert attributes["RequestedEc2AvailabilityZones"] == ["us-east-1d", "us-east-1b"]
    assert "Ec2SubnetId" not in attributes


@pytest.mark.parametrize(
    ("groups", "message"),
    [
        (
            [("CORE", 2)],
            "An instance group of type MASTER is required.",
        ),
        (
            [("MASTER", 1), ("MASTER", 1)],
            "Only one instance group of type MASTER is allowed.",
        ),
        (
            [("MASTER", 3)],
            "The MASTER instance group must have an InstanceCount of 1, not 3: clusters with "
            "multiple master nodes are not supported.",
        ),
        (
            [("MASTER", 0)],
            "The MASTER instance group must have an InstanceCount of 1, not 0: clusters with "
            "multiple master nodes are not supported.",
        ),
        (
            [("MASTER", 1), ("CORE", 1), ("CORE", 1)],
            "Only one instance group of type CORE is allowed.",
        ),
        (
            [("MASTER", 1), ("CORE", 0)],
            "The InstanceCount of a CORE instance group must be at least 1.",
        ),
        (
            [("MASTER", 1), ("TASK", -1)],
            "The InstanceCount of a TASK instance group must be at least 0.",
        ),
        (
            [("MASTER", 1)] + [("TASK", 1)] * 49,
            "A cluster can have at most 48 instance groups of type TASK.",
        ),
    ],
)
def test_impossible_instance_groups_are_refused(
    groups: list[tuple[str, int]], message: str
) -> None:
    request = groups_request()
    request["Instances"]["InstanceGroups"] = [
        {"InstanceRole": role, "InstanceType": "m5.xlarge", "InstanceCount": count}
        for role, count in groups
    ]
    error = refusal(request)
    assert (error.code, error.message) == ("ValidationException", message)


def test_48_task_groups_and_an_empty_task_group_are_accepted() -> None:
    request = groups_request()
    request["Instances"]["InstanceGroups"] = [
        {"InstanceRole": "MASTER", "InstanceType": "m5.xlarge", "InstanceCount": 1},
        *[{"InstanceRole": "TASK", "InstanceType": "m5.xlarge", "InstanceCount": 0}] * 48,
    ]
    planned = plan(request)
    assert len(planned.groups) == 49 and len(planned.instances) == 1


def test_an_unknown_instance_type_is_refused_with_emrs_message() -> None:
    request = groups_request()
    request["Instances"]["InstanceGroups"][1]["InstanceType"] = "m1.tiny"
    error = refusal(request)
    assert error.code == "ValidationException"
    assert error.message == (
        "The requested instance type m1.tiny is not supported in the requested Availability Zone."
    )


# --- the legacy form and fleets ---------------------------------------------------------------


def legacy_request(**instances: Any) -> dict[str, Any]:
    return {"Name": "old", "ReleaseLabel": "emr-6.15.0", "Instances": instances}


def test_legacy_instance_count_one_is_a_master_only_cluster() -> None:
    planned = plan(legacy_request(MasterInstanceType="m5.xlarge", InstanceCount=1))
    assert [(g.role, g.name, g.requested_count) for g in planned.groups] == [
        ("MASTER", "Master Instance Group", 1)
    ]
    assert planned.groups[0].spec == {
        "Name": "Master Instance Group",
        "InstanceRole": "MASTER",
        "InstanceType": "m5.xlarge",
        "InstanceCount": 1,
    }
    assert len(planned.instances) == 1


def test_legacy_instance_count_n_is_a_master_and_n_minus_one_core() -> None:
    planned = plan(
        legacy_request(
            MasterInstanceType="m5.xlarge", SlaveInstanceType="r5.large", InstanceCount=3
        )
    )
    assert [(g.role, g.instance_type, g.requested_count) for g in planned.groups] == [
        ("MASTER", "m5.xlarge", 1),
        ("CORE", "r5.large", 2),
    ]
    assert planned.cluster.instance_collection_type == "INSTANCE_GROUP"
    assert [i.role for i in planned.instances] == ["MASTER", "CORE", "CORE"]


@pytest.mark.parametrize(
    ("instances", "message"),
    [
        (
            {"KeepJobFlowAliveWhenNoSteps": True},
            "Specify the cluster's instances with InstanceGroups, InstanceFleets, or "
            "MasterInstanceType, SlaveInstanceType and InstanceCount.",
        ),
        (
            {"MasterInstanceType": "m5.xlarge", "InstanceCount": 2},
            "SlaveInstanceType is required when InstanceCount is above 1.",
        ),
        (
            {"MasterInstanceType": "m5.xlarge", "InstanceCount": 0},
            "InstanceCount must be at least 1.",
        ),
        (
            {
                "InstanceGroups": [
                    {"InstanceRole": "MASTER", "InstanceType": "m5.xlarge", "InstanceCount": 1}
                ],
                "InstanceFleets": [{"InstanceFleetType": "MASTER"}],
            },
            "Instances can specify InstanceGroups or InstanceFleets, but not both.",
        ),
        (
            {
                "InstanceGroups": [
                    {"InstanceRole": "MASTER", "InstanceType": "m5.xlarge", "InstanceCount": 1}
                ],
                "MasterInstanceType": "m5.xlarge",
            },
            "InstanceGroups cannot be combined with MasterInstanceType, SlaveInstanceType or "
            "InstanceCount.",
        ),
    ],
)
def test_instances_of_no_or_mixed_form_are_refused(instances: dict[str, Any], message: str) -> None:
    error = refusal(legacy_request(**instances))
    assert (error.code, error.message) == ("ValidationException", message)


def fleet(role: str, on_demand: int, spot: int, *configs: tuple[str, int]) -> dict[str, Any]:
    return {
        "Name": f"{role.lower()} fleet",
        "InstanceFleetType": role,
        "TargetOnDemandCapacity": on_demand,
        "TargetSpotCapacity": spot,
        "InstanceTypeConfigs": [
            {"InstanceType": name, "WeightedCapacity": weight} for name, weight in configs
        ],
    }


def test_fleets_launch_their_first_type_to_reach_the_target_capacity() -> None:
    planned = plan(
        legacy_request(
            InstanceFleets=[
                fleet("MASTER", 1, 0, ("m5.xlarge", 1)),
                fleet("CORE", 0, 5, ("m5.2xlarge", 2), ("m5.4xlarge", 4)),
                fleet("TASK", 2, 3, ("c5.xlarge", 1)),
            ]
        )
    )
    assert planned.cluster.instance_collection_type == "INSTANCE_FLEET"
    summary = [
        (g.kind, g.id[:3], g.role, g.instance_type, g.market, g.requested_count)
        for g in planned.groups
    ]
    assert summary == [
        ("fleet", "if-", "MASTER", "m5.xlarge", "ON_DEMAND", 1),
        ("fleet", "if-", "CORE", "m5.2xlarge", "SPOT", 3),  # ceil(5 / 2)
        ("fleet", "if-", "TASK", "c5.xlarge", "ON_DEMAND", 5),
    ]
    assert planned.groups[1].spec["InstanceTypeConfigs"][1]["InstanceType"] == "m5.4xlarge"
    assert [i.market for i in planned.instances].count("SPOT") == 3
    assert len(planned.instances) == 9


@pytest.mark.parametrize(
    ("fleets", "message"),
    [
        ([fleet("CORE", 1, 0, ("m5.xlarge", 1))], "An instance fleet of type MASTER is required."),
        (
            [fleet("MASTER", 1, 1, ("m5.xlarge", 1))],
            "The MASTER instance fleet must have a target capacity of 1: set "
            "TargetOnDemandCapacity or TargetSpotCapacity to 1 and the other to 0.",
        ),
        (
            [fleet("MASTER", 1, 0, ("m5.xlarge", 1)), fleet("CORE", 0, 0, ("m5.xlarge", 1))],
            "The CORE instance fleet must have a target capacity of at least 1.",
        ),
        (
            [fleet("MASTER", 1, 0)],
            "The MASTER instance fleet must specify at least one InstanceTypeConfig.",
        ),
        (
            [fleet("MASTER", 1, 0, ("m5.xlarge", 1)), fleet("MASTER", 1, 0, ("m5.xlarge", 1))],
            "Only one instance fleet of type MASTER is allowed.",
        ),
        (
            [fleet("MASTER", 1, 0, ("m5.xlarge", 1)), fleet("CORE", 2, 0, ("m5.xlarge", 0))],
            "WeightedCapacity must be at least 1.",
        ),
        (
            [fleet("MASTER", 1, 0, ("m5.xlarge", 1), ("z9.huge", 1))],
            "The requested instance type z9.huge is not supported in the requested "
            "Availability Zone.",
        ),
    ],
)
def test_impossible_fleets_are_refused(fleets: list[dict[str, Any]], message: str) -> None:
    error = refusal(legacy_request(InstanceFleets=fleets))
    assert (error.code, error.message) == ("ValidationException", message)


# --- release, applications --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("members", "message"),
    [
        (
            {"ReleaseLabel": None, "AmiVersion": "3.11.0"},
            "AmiVersion 3.11.0 is not supported: this platform runs release-label clusters only. "
            "Specify a ReleaseLabel such as emr-7.12.0.",
        ),
        (
            {"AmiVersion": "3.11.0"},
            "Only one AMI version and release label may be specified. Provided AMI: 3.11.0, "
            "release label: emr-7.5.0.",
        ),
        ({"ReleaseLabel": None}, "A ReleaseLabel is required (for example emr-7.12.0)."),
        ({"ReleaseLabel": "emr-7.x"}, "The supplied release label is invalid: emr-7.x."),
    ],
)
def test_release_labels(members: dict[str, Any], message: str) -> None:
    request = groups_request(**members)
    if request["ReleaseLabel"] is None:
        del request["ReleaseLabel"]
    error = refusal(request)
    assert (error.code, error.message) == ("ValidationException", message)


def test_applications_are_stored_in_emrs_spelling_with_this_platforms_versions() -> None:
    cluster = plan(groups_request(Applications=[{"Name": "spark"}, {"Name": "HADOOP"}])).cluster
    assert cluster.applications == [
        {"Name": "Hadoop", "Version": "3.5.0"},
        {"Name": "Spark", "Version": "4.3.0"},
    ]


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("Spork", "The application 'Spork' is not a valid EMR application."),
        (
            "hive",
            "The application Hive is not available on this platform yet (it runs Hadoop, Spark).",
        ),
    ],
)
def test_applications_not_run_here_are_refused(name: str, message: str) -> None:
    error = refusal(groups_request(Applications=[{"Name": "Spark"}, {"Name": name}]))
    assert (error.code, error.message) == ("ValidationException", message)


# --- steps ------------------------------------------------------------------------------------


def step(name: str, action: str | None = None, **jar: Any) -> dict[str, Any]:
    config: dict[str, Any] = {"Name": name, "HadoopJarStep": {"Jar": "command-runner.jar", **jar}}
    if action is not None:
        config["ActionOnFailure"] = action
    return config


def test_steps_are_pending_rows_in_submission_order() -> None:
    planned = plan(
        groups_request(
            Steps=[
                step("prepare", Args=["spark-submit", "s3://code/prep.py"]),
                step("old style", "TERMINATE_JOB_FLOW", MainClass="org.Main"),
                step("last", "CONTINUE", Properties=[{"Key": "k", "Value": "v"}]),
            ]
        )
    )
    rows = planned.steps
    assert [(s.position, s.name, s.action_on_failure) for s in rows] == [
        (0, "prepare", "TERMINATE_CLUSTER"),
        (1, "old style", "TERMINATE_JOB_FLOW"),
        (2, "last", "CONTINUE"),
    ]
    assert all(re.fullmatch(r"s-[0-9A-Z]{13}", s.id) for s in rows)
    assert {(s.state, s.cluster_id, s.created_at) for s in rows} == {
        ("PENDING", planned.cluster.id, NOW)
    }
    assert rows[0].args == ["spark-submit", "s3://code/prep.py"] and rows[0].main_class is None
    assert rows[2].properties == [{"Key": "k", "Value": "v"}]
    assert hadoop_jar_step(rows[0]) == {
        "Jar": "command-runner.jar",
        "Properties": [],
        "Args": ["spark-submit", "s3://code/prep.py"],
    }
    assert hadoop_jar_step(rows[1]) == {
        "Jar": "command-runner.jar",
        "Properties": [],
        "Args": [],
        "MainClass": "org.Main",
    }


def test_concurrent_clusters_accept_only_continue_and_default_to_it() -> None:
    planned = plan(groups_request(StepConcurrencyLevel=4, Steps=[step("a")]))
    assert planned.cluster.step_concurrency_level == 4
    assert planned.steps[0].action_on_failure == "CONTINUE"
    error = refusal(groups_request(StepConcurrencyLevel=4, Steps=[step("a", "CANCEL_AND_WAIT")]))
    assert error.code == "ValidationException"
    assert error.message == (
        "ActionOnFailure CANCEL_AND_WAIT is not valid when StepConcurrencyLevel is greater "
        "than 1. Use CONTINUE."
    )


@pytest.mark.parametrize("level", [0, 257])
def test_step_concurrency_level_is_1_to_256(level: int) -> None:
    error = refusal(groups_request(StepConcurrencyLevel=level))
    assert (error.code, error.message) == (
        "ValidationException",
        "StepConcurrencyLevel must be between 1 and 256.",
    )


def test_plan_steps_continues_the_positions_and_caps_a_request_at_256() -> None:
    rows = plan_steps(
        cluster_id="j-1",
        first_position=7,
        steps=[step("a"), step("b")],
        concurrency_level=1,
        now=NOW,
        ids=ids(),
    )
    assert [(s.cluster_id, s.position) for s in rows] == [("j-1", 7), ("j-1", 8)]
    with pytest.raises(ServiceError) as caught:
        plan_steps(
            cluster_id="j-1",
            first_position=0,
            steps=[step("x")] * 257,
            concurrency_level=1,
            now=NOW,
        )
    assert caught.value.message == "At most 256 steps can be submitted in one request."


# --- bootstrap actions, tags, log uri, auto-termination ---------------------------------------


def test_bootstrap_actions_are_stored_as_the_api_spells_them() -> None:
    actions = [
        {"Name": "deps", "ScriptBootstrapAction": {"Path": "s3://b/deps.sh", "Args": ["-q"]}},
        {"Name": "plain", "ScriptBootstrapAction": {"Path": "file:///opt/x.sh"}},
    ]
    cluster = plan(groups_request(BootstrapActions=actions)).cluster
    assert cluster.bootstrap_actions == [
        {"Name": "deps", "ScriptBootstrapAction": {"Path": "s3://b/deps.sh", "Args": ["-q"]}},
        {"Name": "plain", "ScriptBootstrapAction": {"Path": "file:///opt/x.sh", "Args": []}},
    ]


def test_more_than_16_bootstrap_actions_are_refused() -> None:
    action = {"Name": "a", "ScriptBootstrapAction": {"Path": "s3://b/a.sh"}}
    plan(groups_request(BootstrapActions=[action] * 16))
    error = refusal(groups_request(BootstrapActions=[action] * 17))
    assert (error.code, error.message) == (
        "ValidationException",
        "A cluster can have at most 16 bootstrap actions.",
    )
    error = refusal(
        groups_request(BootstrapActions=[{"Name": "x", "ScriptBootstrapAction": {"Path": ""}}])
    )
    assert error.message == "Bootstrap action 'x' needs ScriptBootstrapAction.Path."


def test_tags_keep_the_last_value_of_a_repeated_key() -> None:
    tags = [{"Key": "team", "Value": "a"}, {"Key": "env"}, {"Key": "team", "Value": "b"}]
    assert check_tags(tags) == [{"Key": "team", "Value": "b"}, {"Key": "env", "Value": ""}]
    assert plan(groups_request(Tags=tags)).cluster.tags == [
        {"Key": "team", "Value": "b"},
        {"Key": "env", "Value": ""},
    ]


@pytest.mark.parametrize(
    ("tag", "message"),
    [
        (
            {"Key": ""},
            "Invalid tag key: ''. Tag keys must be between 1 and 128 characters in length.",
        ),
        (
            {"Value": "v"},
            "Invalid tag key: 'null'. Tag keys must be between 1 and 128 characters in length.",
        ),
        (
            {"Key": "k" * 129},
            f"Invalid tag key: '{'k' * 129}'. Tag keys must be between 1 and 128 characters in "
            "length.",
        ),
        (
            {"Key": "k", "Value": "v" * 257},
            f"Invalid tag value: '{'v' * 257}'. Tag values must be at most 256 characters in "
            "length.",
        ),
    ],
)
def test_bad_tags_are_refused(tag: dict[str, str], message: str) -> None:
    error = refusal(groups_request(Tags=[tag]))
    assert (error.code, error.message) == ("InvalidRequestException", message)


def test_a_cluster_has_at_most_50_tags() -> None:
    fifty = [{"Key": f"k{n}", "Value": ""} for n in range(50)]
    assert len(plan(groups_request(Tags=fifty)).cluster.tags) == 50
    error = refusal(groups_request(Tags=[*fifty, {"Key": "one more"}]))
    assert (error.code, error.message) == (
        "InvalidRequestException",
        "A cluster can have at most 50 tags.",
    )
    assert merge_tags(fifty, [{"Key": "k3", "Value": "new"}])[3] == {"Key": "k3", "Value": "new"}
    with pytest.raises(ServiceError):
        merge_tags(fifty, [{"Key": "k50"}])


@pytest.mark.parametrize("uri", ["s3://b/logs/", "s3n://b/logs", "s3a://b/"])
def test_log_uris_on_s3_are_accepted(uri: str) -> None:
    assert plan(groups_request(LogUri=uri)).cluster.log_uri == uri


def test_other_log_uris_are_refused() -> None:
    error = refusal(groups_request(LogUri="hdfs:///logs"))
    assert (error.code, error.message) == (
        "ValidationException",
        "The LogUri 'hdfs:///logs' is not valid: it must start with s3://, s3n:// or s3a://.",
    )


@pytest.mark.parametrize(("policy", "seconds"), [({}, 3600), ({"IdleTimeout": 60}, 60)])
def test_auto_termination_policy(policy: dict[str, int], seconds: int) -> None:
    cluster = plan(groups_request(AutoTerminationPolicy=policy)).cluster
    assert cluster.idle_timeout_seconds == seconds


@pytest.mark.parametrize("seconds", [59, 604_801])
def test_idle_timeouts_out_of_range_are_refused(seconds: int) -> None:
    error = refusal(groups_request(AutoTerminationPolicy={"IdleTimeout": seconds}))
    assert (error.code, error.message) == (
        "ValidationException",
        "The IdleTimeout of an AutoTerminationPolicy must be between 60 and 604800 seconds.",
    )


def test_planning_does_not_change_the_request() -> None:
    request = groups_request(Steps=[step("a")], Tags=[{"Key": "a", "Value": "b"}])
    before = deepcopy(request)
    plan(request)
    assert request == before
