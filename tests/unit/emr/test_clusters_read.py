"""The cluster reads and tags over a real SQLite database, and their shapes through botocore.

Rows are planned by `plan_cluster` and stored as RunJobFlow stores them; state changes are
written by hand where the supervisor would write them.
"""

from __future__ import annotations

import random
import shutil
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar

import pytest
from botocore import xform_name

from emr.errors import ServiceError
from emr.identity import Principal
from emr.services.emr.cluster_spec import ClusterPlan, plan_cluster
from emr.services.emr.clusters_read import ClusterReadOperations
from emr.services.emr.ids import IdSource
from emr.services.emr.markers import (
    InvalidNextToken,
    decode_key_marker,
    encode_key_marker,
    encode_marker,
)
from emr.services.provider import CallContext, Provider
from emr.state import Database, open_database
from emr.state.schema import ClusterRow, InstanceRow, StepRow
from tests.unit.test_protocols_rpc_client import in_process_client

ACCOUNT, REGION = "123456789012", "us-east-1"
T0 = datetime(2025, 3, 4, 5, 6, 7, tzinfo=UTC)


class ReadProvider(ClusterReadOperations, Provider):
    """The mixin as EmrProvider carries it, without the supervisor the write side needs."""

    service_name: ClassVar[str] = "emr"

    def __init__(self, database: Database) -> None:
        self._database = database


def context(
    operation: str = "DescribeCluster", account: str = ACCOUNT, region: str = REGION
) -> CallContext:
    principal = Principal(account, f"arn:aws:iam::{account}:root", account)
    return CallContext("req-1", account, region, principal, "emr", operation)


@pytest.fixture(scope="module")
def migrated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated, empty database file; each test opens a copy (migrating costs ~1 s)."""
    path = tmp_path_factory.mktemp("template") / "x.db"
    open_database(f"sqlite:///{path}").dispose()
    return path


@pytest.fixture
def database(tmp_path: Path, migrated: Path) -> Iterator[Database]:
    shutil.copyfile(migrated, tmp_path / "x.db")
    opened = open_database(f"sqlite:///{tmp_path}/x.db")
    yield opened
    opened.dispose()


@pytest.fixture
def emr(database: Database) -> ReadProvider:
    return ReadProvider(database)


def request(**members: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "Name": "etl",
        "ReleaseLabel": "emr-7.5.0",
        "Applications": [{"Name": "Spark"}],
        "ServiceRole": "EMR_DefaultRole",
        "JobFlowRole": "EMR_EC2_DefaultRole",
        "Instances": {
            "InstanceGroups": [
                {"InstanceRole": "MASTER", "InstanceType": "m5.xlarge", "InstanceCount": 1},
                {"InstanceRole": "CORE", "InstanceType": "m5.2xlarge", "InstanceCount": 2},
                {"InstanceRole": "TASK", "InstanceType": "c5.xlarge", "InstanceCount": 1},
            ],
            "KeepJobFlowAliveWhenNoSteps": True,
        },
    }
    base.update(members)
    return base


Store = Callable[..., ClusterPlan]


@pytest.fixture
def store(database: Database) -> Store:
    """Plan a cluster (seeded ids) and store its rows as RunJobFlow does."""
    seeds = iter(range(10_000))

    def stored(
        *, now: datetime = T0, account: str = ACCOUNT, region: str = REGION, **members: Any
    ) -> ClusterPlan:
        plan = plan_cluster(
            account_id=account,
            region=region,
            request=request(**members),
            now=now,
            ids=IdSource(random.Random(next(seeds))),
        )
        with database.session() as session:
            session.add(plan.cluster)
            session.flush()
            session.add_all(plan.groups)
            session.flush()
            session.add_all([*plan.instances, *plan.steps])
        return plan

    return stored


def refused(call: Callable[[], Any]) -> tuple[str, str]:
    with pytest.raises(ServiceError) as caught:
        call()
    return caught.value.code, caught.value.message


def set_cluster(database: Database, cluster_id: str, **columns: Any) -> None:
    with database.session() as session:
        row = session.get(ClusterRow, cluster_id)
        assert row is not None
        for name, value in columns.items():
            setattr(row, name, value)


# --- DescribeCluster, ListClusters ------------------------------------------------------------


def test_describe_cluster_answers_the_stored_cluster(emr: ReadProvider, store: Store) -> None:
    plan = store()
    cluster = emr.describe_cluster(context(), ClusterId=plan.cluster.id)["Cluster"]
    assert cluster["Id"] == plan.cluster.id
    assert cluster["Status"] == {
        "State": "STARTING",
        "StateChangeReason": {},
        "Timeline": {"CreationDateTime": T0},
    }
    assert cluster["Applications"] == [
        {"Name": "Hadoop", "Version": "3.5.0"},
        {"Name": "Spark", "Version": "4.3.0"},
    ]
    assert cluster["ClusterArn"] == (
        f"arn:aws:elasticmapreduce:us-east-1:123456789012:cluster/{plan.cluster.id}"
    )


def test_a_cluster_of_another_account_or_region_is_not_valid(
    emr: ReadProvider, store: Store
) -> None:
    elsewhere = store(account="210987654321").cluster.id
    other_region = store(region="eu-west-1").cluster.id
    for cluster_id in (elsewhere, other_region, "j-NOSUCHCLUSTER"):
        assert refused(lambda cid=cluster_id: emr.describe_cluster(context(), ClusterId=cid)) == (
            "InvalidRequestException",
            f"Cluster id '{cluster_id}' is not valid.",
        )
    seen = emr.describe_cluster(context(region="eu-west-1"), ClusterId=other_region)
    assert seen["Cluster"]["ClusterArn"].startswith("arn:aws:elasticmapreduce:eu-west-1:")


def test_list_clusters_newest_first_with_filters(
    emr: ReadProvider, store: Store, database: Database
) -> None:
    old = store(now=T0, Name="old").cluster.id
    middle = store(now=T0 + timedelta(hours=1), Name="middle").cluster.id
    new = store(now=T0 + timedelta(hours=2), Name="new").cluster.id
    store(account="210987654321")
    set_cluster(database, old, state="TERMINATED", state_code="USER_REQUEST", ended_at=T0)
    set_cluster(database, middle, state="WAITING", state_message="Cluster ready to run steps.")

    listed = emr.list_clusters(context("ListClusters"))
    assert [c["Id"] for c in listed["Clusters"]] == [new, middle, old]
    assert "Marker" not in listed
    assert listed["Clusters"][1] == {
        "Id": middle,
        "Name": "middle",
        "Status": {
            "State": "WAITING",
            "StateChangeReason": {"Message": "Cluster ready to run steps."},
            "Timeline": {"CreationDateTime": T0 + timedelta(hours=1)},
        },
        "NormalizedInstanceHours": 0,
        "ClusterArn": f"arn:aws:elasticmapreduce:us-east-1:123456789012:cluster/{middle}",
    }

    def ids(**filters: Any) -> list[str]:
        return [c["Id"] for c in emr.list_clusters(context("ListClusters"), **filters)["Clusters"]]

    assert ids(ClusterStates=["STARTING", "WAITING"]) == [new, middle]
    assert ids(ClusterStates=["TERMINATED"]) == [old]
    assert ids(CreatedAfter=T0 + timedelta(hours=1)) == [new, middle]
    assert ids(CreatedBefore=T0 + timedelta(minutes=90)) == [middle, old]


def test_list_clusters_pages_resume_after_the_last_cluster_shown(
    emr: ReadProvider, store: Store
) -> None:
    # 53 clusters, two at each second: ties are ordered by id.
    plans = [store(now=T0 + timedelta(seconds=n // 2)) for n in range(53)]
    expected = [
        p.cluster.id
        for p in sorted(plans, key=lambda p: (p.cluster.created_at, p.cluster.id), reverse=True)
    ]
    first = emr.list_clusters(context("ListClusters"))
    assert [c["Id"] for c in first["Clusters"]] == expected[:50]

    newer = store(now=T0 + timedelta(hours=1)).cluster.id  # arrives between the two pages
    older = store(now=T0 - timedelta(hours=1)).cluster.id
    second = emr.list_clusters(context("ListClusters"), Marker=first["Marker"])
    assert [c["Id"] for c in second["Clusters"]] == [*expected[50:], older]
    assert "Marker" not in second
    assert newer not in [c["Id"] for c in second["Clusters"]]


@pytest.mark.parametrize(
    "marker",
    [
        "not a marker",
        encode_marker("ListClusters", 3),
        encode_key_marker("ListSteps/j-1", "3"),
        encode_key_marker("ListClusters", "soon/j-1"),
        encode_key_marker("ListClusters", "12"),
    ],
)
def test_list_clusters_refuses_markers_it_did_not_hand_out(emr: ReadProvider, marker: str) -> None:
    assert refused(lambda: emr.list_clusters(context("ListClusters"), Marker=marker)) == (
        "InvalidRequestException",
        "The pagination token is invalid.",
    )


def test_key_markers_round_trip_and_are_bound_to_their_listing() -> None:
    token = encode_key_marker("ListClusters", "1741064767000000/j-ABC")
    assert decode_key_marker("ListClusters", token) == "1741064767000000/j-ABC"
    for listing in ("ListInstances/j-1", "ListClusters2"):
        with pytest.raises(InvalidNextToken):
            decode_key_marker(listing, token)
    with pytest.raises(InvalidNextToken):
        decode_key_marker("ListClusters", encode_marker("ListClusters", 5))


# --- DescribeJobFlows -------------------------------------------------------------------------


def test_describe_job_flows_by_id_state_and_time(
    emr: ReadProvider, store: Store, database: Database
) -> None:
    done = store(now=T0).cluster.id
    killed = store(now=T0 + timedelta(hours=1)).cluster.id
    live = store(now=T0 + timedelta(hours=2)).cluster.id
    set_cluster(database, done, state="TERMINATED", state_code="ALL_STEPS_COMPLETED")
    set_cluster(database, killed, state="TERMINATED", state_code="USER_REQUEST")

    def ids(**filters: Any) -> list[str]:
        flows = emr.describe_job_flows(context("DescribeJobFlows"), **filters)["JobFlows"]
        return [f["JobFlowId"] for f in flows]

    assert ids() == [live, killed, done]
    assert ids(JobFlowIds=[done, live]) == [live, done]
    assert ids(JobFlowStates=["COMPLETED"]) == [done]
    assert ids(JobFlowStates=["TERMINATED", "STARTING"]) == [live, killed]
    assert ids(CreatedAfter=T0 + timedelta(minutes=30)) == [live, killed]

    flow = emr.describe_job_flows(context("DescribeJobFlows"), JobFlowIds=[live])["JobFlows"][0]
    assert flow["ExecutionStatusDetail"] == {
        "State": "STARTING",
        "CreationDateTime": T0 + timedelta(hours=2),
    }
    assert flow["Instances"]["InstanceCount"] == 4
    assert [g["InstanceRole"] for g in flow["Instances"]["InstanceGroups"]] == [
        "MASTER",
        "CORE",
        "TASK",
    ]


def test_describe_job_flows_refuses_an_unknown_id(emr: ReadProvider, store: Store) -> None:
    known = store().cluster.id
    foreign = store(account="210987654321").cluster.id
    for unknown in ("j-NOSUCHCLUSTER", foreign):
        call = lambda u=unknown: emr.describe_job_flows(  # noqa: E731
            context("DescribeJobFlows"), JobFlowIds=[known, u]
        )
        assert refused(call) == ("ValidationException", "Specified job flow ID not valid.")


# --- steps ------------------------------------------------------------------------------------


def steps(count: int) -> list[dict[str, Any]]:
    return [
        {"Name": f"step {n}", "HadoopJarStep": {"Jar": "command-runner.jar", "Args": [str(n)]}}
        for n in range(count)
    ]


def test_list_steps_newest_first_with_filters(
    emr: ReadProvider, store: Store, database: Database
) -> None:
    plan = store(Steps=steps(3))
    first, second, third = (s.id for s in plan.steps)
    with database.session() as session:
        row = session.get(StepRow, first)
        assert row is not None
        row.state, row.started_at, row.ended_at = "COMPLETED", T0, T0 + timedelta(minutes=2)

    def listed(**filters: Any) -> list[tuple[str, str]]:
        answer = emr.list_steps(context("ListSteps"), ClusterId=plan.cluster.id, **filters)
        return [(s["Id"], s["Status"]["State"]) for s in answer["Steps"]]

    assert listed() == [(third, "PENDING"), (second, "PENDING"), (first, "COMPLETED")]
    assert listed(StepStates=["COMPLETED"]) == [(first, "COMPLETED")]
    assert listed(StepIds=[third, first]) == [(third, "PENDING"), (first, "COMPLETED")]
    assert refused(lambda: emr.list_steps(context("ListSteps"), ClusterId="j-NOPE")) == (
        "InvalidRequestException",
        "Cluster id 'j-NOPE' is not valid.",
    )


def test_list_steps_pages_by_position(emr: ReadProvider, store: Store) -> None:
    plan = store(Steps=steps(60))
    cluster_id = plan.cluster.id
    first = emr.list_steps(context("ListSteps"), ClusterId=cluster_id)
    assert [s["Name"] for s in first["Steps"]] == [f"step {n}" for n in range(59, 9, -1)]
    second = emr.list_steps(context("ListSteps"), ClusterId=cluster_id, Marker=first["Marker"])
    assert [s["Name"] for s in second["Steps"]] == [f"step {n}" for n in range(9, -1, -1)]
    assert "Marker" not in second
    other = store().cluster.id
    assert refused(
        lambda: emr.list_steps(context("ListSteps"), ClusterId=other, Marker=first["Marker"])
    ) == ("InvalidRequestException", "The pagination token is invalid.")


def test_describe_step(emr: ReadProvider, store: Store) -> None:
    plan = store(Steps=steps(1))
    other = store(Steps=steps(1))
    step_id = plan.steps[0].id
    described = emr.describe_step(
        context("DescribeStep"), ClusterId=plan.cluster.id, StepId=step_id
    )
    assert described == {
        "Step": {
            "Id": step_id,
            "Name": "step 0",
            "Config": {"Jar": "command-runner.jar", "Properties": {}, "Args": ["0"]},
            "ActionOnFailure": "TERMINATE_CLUSTER",
            "Status": {
                "State": "PENDING",
                "StateChangeReason": {},
                "Timeline": {"CreationDateTime": T0},
            },
        }
    }
    for unknown in ("s-NOSUCHSTEP", other.steps[0].id):
        call = lambda u=unknown: emr.describe_step(  # noqa: E731
            context("DescribeStep"), ClusterId=plan.cluster.id, StepId=u
        )
        assert refused(call) == ("InvalidRequestException", f"Step id '{unknown}' is not valid.")


# --- instance groups, fleets, instances -------------------------------------------------------


FLEETS = {
    "InstanceFleets": [
        {
            "InstanceFleetType": "MASTER",
            "TargetOnDemandCapacity": 1,
            "InstanceTypeConfigs": [{"InstanceType": "m5.xlarge"}],
        },
        {
            "InstanceFleetType": "CORE",
            "TargetOnDemandCapacity": 2,
            "InstanceTypeConfigs": [{"InstanceType": "m5.2xlarge"}],
        },
    ]
}


def test_groups_and_fleets_each_have_their_own_listing(emr: ReadProvider, store: Store) -> None:
    groups = store()
    fleets = store(Instances=FLEETS)
    listed = emr.list_instance_groups(context("ListInstanceGroups"), ClusterId=groups.cluster.id)
    assert [(g["Id"], g["InstanceGroupType"]) for g in listed["InstanceGroups"]] == [
        (g.id, g.role) for g in groups.groups
    ]
    assert listed["InstanceGroups"][1]["Status"]["State"] == "PROVISIONING"
    listed = emr.list_instance_fleets(context("ListInstanceFleets"), ClusterId=fleets.cluster.id)
    assert [(f["Id"], f["TargetOnDemandCapacity"]) for f in listed["InstanceFleets"]] == [
        (fleets.groups[0].id, 1),
        (fleets.groups[1].id, 2),
    ]

    assert refused(
        lambda: emr.list_instance_groups(context("ListInstanceGroups"), ClusterId=fleets.cluster.id)
    ) == (
        "InvalidRequestException",
        "Instance fleets and instance groups are mutually exclusive. The EMR cluster specified "
        "in the request uses instance fleets. The ListInstanceGroups operation does not support "
        "clusters that use instance fleets. Use the ListInstanceFleets operation instead.",
    )
    assert refused(
        lambda: emr.list_instance_fleets(context("ListInstanceFleets"), ClusterId=groups.cluster.id)
    ) == (
        "InvalidRequestException",
        "Instance fleets and instance groups are mutually exclusive. The EMR cluster specified "
        "in the request uses instance groups. The ListInstanceFleets operation does not support "
        "clusters that use instance groups. Use the ListInstanceGroups operation instead.",
    )


def test_list_instances_filters(emr: ReadProvider, store: Store, database: Database) -> None:
    plan = store()
    master, core, _ = plan.groups
    with database.session() as session:
        for n, node in enumerate(plan.instances):
            row = session.get(InstanceRow, node.id)
            assert row is not None
            row.state, row.private_ip = "RUNNING", f"127.16.1.{n + 2}"
        row = session.get(InstanceRow, plan.instances[3].id)
        assert row is not None
        row.state = "TERMINATED"

    def listed(**filters: Any) -> list[str]:
        answer = emr.list_instances(context("ListInstances"), ClusterId=plan.cluster.id, **filters)
        return [i["Id"] for i in answer["Instances"]]

    # Master, core, task; within a group (same time, same role) by id.
    every = [i.id for i in sorted(plan.instances, key=lambda i: (i.role != "MASTER", i.role, i.id))]
    assert listed() == every
    assert listed(InstanceGroupTypes=["CORE", "TASK"]) == every[1:]
    assert listed(InstanceGroupId=core.id) == every[1:3]
    assert listed(InstanceStates=["TERMINATED"]) == [every[3]]
    assert listed(InstanceGroupTypes=["MASTER"], InstanceStates=["RUNNING"]) == [every[0]]

    first = emr.list_instances(context("ListInstances"), ClusterId=plan.cluster.id)["Instances"][0]
    assert first["PrivateIpAddress"] == "127.16.1.2"
    assert first["PrivateDnsName"] == "ip-127-16-1-2.ec2.internal"
    assert first["InstanceGroupId"] == master.id

    fleets = store(Instances=FLEETS)
    core_fleet = fleets.groups[1]
    answer = emr.list_instances(
        context("ListInstances"), ClusterId=fleets.cluster.id, InstanceFleetType="CORE"
    )
    assert {i["InstanceFleetId"] for i in answer["Instances"]} == {core_fleet.id}
    assert len(answer["Instances"]) == 2


def test_list_instances_pages_master_first_and_resumes_after_the_last(
    emr: ReadProvider, store: Store
) -> None:
    plan = store(
        Instances={
            "InstanceGroups": [
                {"InstanceRole": "TASK", "InstanceType": "c5.xlarge", "InstanceCount": 5},
                {"InstanceRole": "CORE", "InstanceType": "m5.xlarge", "InstanceCount": 55},
                {"InstanceRole": "MASTER", "InstanceType": "m5.xlarge", "InstanceCount": 1},
            ]
        }
    )
    first = emr.list_instances(context("ListInstances"), ClusterId=plan.cluster.id)
    second = emr.list_instances(
        context("ListInstances"), ClusterId=plan.cluster.id, Marker=first["Marker"]
    )
    shown = [i["Id"] for i in first["Instances"] + second["Instances"]]
    assert len(first["Instances"]) == 50 and "Marker" not in second
    by_id = {i.id: i for i in plan.instances}
    roles = [by_id[i].role for i in shown]
    assert roles == ["MASTER"] + ["CORE"] * 55 + ["TASK"] * 5
    assert sorted(shown) == sorted(by_id)
    assert shown[1:56] == sorted(shown[1:56])  # ties on time and role: by id


def test_list_bootstrap_actions(emr: ReadProvider, store: Store) -> None:
    plan = store(
        BootstrapActions=[
            {"Name": "deps", "ScriptBootstrapAction": {"Path": "s3://b/deps.sh", "Args": ["-q"]}},
            {"Name": "more", "ScriptBootstrapAction": {"Path": "s3://b/more.sh"}},
        ]
    )
    listed = emr.list_bootstrap_actions(context("ListBootstrapActions"), ClusterId=plan.cluster.id)
    assert listed == {
        "BootstrapActions": [
            {"Name": "deps", "ScriptPath": "s3://b/deps.sh", "Args": ["-q"]},
            {"Name": "more", "ScriptPath": "s3://b/more.sh", "Args": []},
        ]
    }


# --- tags, auto-termination -------------------------------------------------------------------


def test_add_and_remove_tags(emr: ReadProvider, store: Store, database: Database) -> None:
    cluster_id = store(Tags=[{"Key": "team", "Value": "data"}]).cluster.id
    ctx = context("AddTags")
    assert emr.add_tags(ctx, ResourceId=cluster_id, Tags=[{"Key": "env", "Value": "dev"}]) == {}
    emr.add_tags(ctx, ResourceId=cluster_id, Tags=[{"Key": "team", "Value": "platform"}])
    tags = emr.describe_cluster(context(), ClusterId=cluster_id)["Cluster"]["Tags"]
    assert tags == [{"Key": "team", "Value": "platform"}, {"Key": "env", "Value": "dev"}]

    assert emr.remove_tags(ctx, ResourceId=cluster_id, TagKeys=["team", "absent"]) == {}
    tags = emr.describe_cluster(context(), ClusterId=cluster_id)["Cluster"]["Tags"]
    assert tags == [{"Key": "env", "Value": "dev"}]

    many = [{"Key": f"k{n}", "Value": ""} for n in range(50)]
    assert refused(lambda: emr.add_tags(ctx, ResourceId=cluster_id, Tags=many)) == (
        "InvalidRequestException",
        "A cluster can have at most 50 tags.",
    )
    assert refused(lambda: emr.add_tags(ctx, ResourceId="j-NOPE", Tags=many)) == (
        "InvalidRequestException",
        "Cluster id 'j-NOPE' is not valid.",
    )
    set_cluster(database, cluster_id, state="TERMINATED")
    for call in (
        lambda: emr.add_tags(ctx, ResourceId=cluster_id, Tags=[{"Key": "a", "Value": "b"}]),
        lambda: emr.remove_tags(ctx, ResourceId=cluster_id, TagKeys=["env"]),
    ):
        assert refused(call) == (
            "InvalidRequestException",
            "Tags cannot be modified on terminated clusters.",
        )


def test_get_auto_termination_policy(emr: ReadProvider, store: Store) -> None:
    without = store().cluster.id
    with_policy = store(AutoTerminationPolicy={"IdleTimeout": 900}).cluster.id
    ctx = context("GetAutoTerminationPolicy")
    assert emr.get_auto_termination_policy(ctx, ClusterId=without) == {}
    assert emr.get_auto_termination_policy(ctx, ClusterId=with_policy) == {
        "AutoTerminationPolicy": {"IdleTimeout": 900}
    }


# --- through botocore -------------------------------------------------------------------------


def without_metadata(answer: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in answer.items() if k != "ResponseMetadata"}


def test_botocore_reads_back_every_shape_unchanged(
    emr: ReadProvider, store: Store, database: Database
) -> None:
    """Serialized by our JSON protocol and parsed by botocore: a member with a wrong name or
    type would be dropped on the way and the comparison would fail."""
    plan = store(
        Steps=steps(2),
        Tags=[{"Key": "team", "Value": "data"}],
        LogUri="s3://logs/",
        AutoTerminationPolicy={"IdleTimeout": 600},
        BootstrapActions=[
            {"Name": "deps", "ScriptBootstrapAction": {"Path": "s3://b/deps.sh", "Args": ["-q"]}}
        ],
        Configurations=[{"Classification": "spark-defaults", "Properties": {"a": "b"}}],
    )
    fleets = store(Instances=FLEETS)
    cluster_id, ended = plan.cluster.id, T0 + timedelta(minutes=9)
    set_cluster(
        database,
        cluster_id,
        state="TERMINATED_WITH_ERRORS",
        state_code="STEP_FAILURE",
        state_message="Shut down as step failed",
        ready_at=T0 + timedelta(minutes=3),
        ended_at=ended,
        master_private_ip="127.16.1.2",
    )
    with database.session() as session:
        row = session.get(StepRow, plan.steps[0].id)
        assert row is not None
        row.state, row.started_at, row.ended_at = "FAILED", T0, ended
        row.failure = {"Reason": "Unknown Error.", "LogFile": "s3://logs/stderr.gz"}
        row.properties = [{"Key": "k", "Value": "v"}]
        node = session.get(InstanceRow, plan.instances[0].id)
        assert node is not None
        node.state, node.private_ip, node.ended_at = "TERMINATED", "127.16.1.2", ended
        node.state_code, node.state_message = "CLUSTER_TERMINATED", "Instance is terminated."

    handlers = emr.operations()
    client = in_process_client(
        "emr", lambda operation, params: handlers[operation](context(operation), **params)
    )
    calls: list[tuple[str, dict[str, Any]]] = [
        ("DescribeCluster", {"ClusterId": cluster_id}),
        ("ListClusters", {}),
        ("DescribeJobFlows", {"JobFlowIds": [cluster_id, fleets.cluster.id]}),
        ("ListSteps", {"ClusterId": cluster_id}),
        ("DescribeStep", {"ClusterId": cluster_id, "StepId": plan.steps[0].id}),
        ("ListInstanceGroups", {"ClusterId": cluster_id}),
        ("ListInstanceFleets", {"ClusterId": fleets.cluster.id}),
        ("ListInstances", {"ClusterId": cluster_id}),
        ("ListInstances", {"ClusterId": fleets.cluster.id}),
        ("ListBootstrapActions", {"ClusterId": cluster_id}),
        ("GetAutoTerminationPolicy", {"ClusterId": cluster_id}),
    ]
    for operation, params in calls:
        direct = handlers[operation](context(operation), **params)
        method = getattr(client, xform_name(operation))
        assert without_metadata(method(**params)) == direct, operation

    described = client.describe_cluster(ClusterId=cluster_id)["Cluster"]
    assert described["Status"]["StateChangeReason"] == {
        "Code": "STEP_FAILURE",
        "Message": "Shut down as step failed",
    }
    assert described["Status"]["Timeline"]["EndDateTime"] == ended
    with pytest.raises(client.exceptions.InvalidRequestException) as caught:
        client.describe_cluster(ClusterId="j-NOSUCHCLUSTER")
    assert caught.value.response["Error"]["Message"] == "Cluster id 'j-NOSUCHCLUSTER' is not valid."
    with pytest.raises(client.exceptions.ClientError) as failed:
        client.describe_job_flows(JobFlowIds=["j-NOSUCHCLUSTER"])
    assert failed.value.response["Error"] == {
        "Code": "ValidationException",
        "Message": "Specified job flow ID not valid.",
    }
    live = fleets.cluster.id
    assert (
        without_metadata(client.add_tags(ResourceId=live, Tags=[{"Key": "a", "Value": "b"}])) == {}
    )
    assert without_metadata(client.remove_tags(ResourceId=live, TagKeys=["a"])) == {}


def test_the_emr_provider_answers_the_reads_with_this_mixin() -> None:
    from emr.services.emr.provider import EmrProvider

    ours = {
        name: function
        for name, function in vars(ClusterReadOperations).items()
        if getattr(function, "__aws_operation__", None)
    }
    assert {function.__aws_operation__ for function in ours.values()} == {
        "DescribeCluster",
        "ListClusters",
        "DescribeJobFlows",
        "ListSteps",
        "DescribeStep",
        "ListInstanceGroups",
        "ListInstanceFleets",
        "ListInstances",
        "ListBootstrapActions",
        "AddTags",
        "RemoveTags",
        "GetAutoTerminationPolicy",
    }
    for name, function in ours.items():
        assert getattr(EmrProvider, name) is function
        operation = function.__aws_operation__
        others = [
            attribute
            for attribute in dir(EmrProvider)
            if getattr(getattr(EmrProvider, attribute), "__aws_operation__", None) == operation
        ]
        assert others == [name], operation
