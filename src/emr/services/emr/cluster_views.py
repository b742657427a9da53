"""Rows → the API's shapes: what DescribeCluster, ListClusters, DescribeJobFlows, the step,
instance-group, instance-fleet, instance and bootstrap-action listings answer. Pure functions.

Addresses: a node's only address is its private IP, so it is also the public IP, the public
DNS name and the master's MasterPublicDnsName (clients dial what they read there). Private DNS
names are EC2's cosmetic `ip-a-b-c-d.ec2.internal` (`.<region>.compute.internal` outside
us-east-1).

DescribeJobFlows speaks the older job-flow vocabulary: TERMINATING is SHUTTING_DOWN; a
TERMINATED cluster is COMPLETED when its steps ended it and TERMINATED otherwise;
TERMINATED_WITH_ERRORS is FAILED. Its instance groups say SHUTTING_DOWN and ENDED for
TERMINATING and TERMINATED, and a step's CANCEL_PENDING is RUNNING (its process still runs).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Final

from emr.services.emr.cluster_lifecycle import ENDED_STATES
from emr.services.emr.cluster_spec import hadoop_jar_step
from emr.services.emr.ids import cluster_arn
from emr.services.emr.instance_lifecycle import InstanceGroupState, InstanceState, group_state
from emr.services.emr.releases import HADOOP_VERSION
from emr.state.schema import ClusterRow, InstanceGroupRow, InstanceRow, StepRow

__all__ = [
    "bootstrap_action_detail",
    "cluster",
    "cluster_status",
    "cluster_summary",
    "command",
    "instance",
    "instance_fleet",
    "instance_group",
    "job_flow_detail",
    "job_flow_state",
    "private_dns_name",
    "role_order",
    "step",
    "step_summary",
]

#: Members of ClusterRow.extra DescribeCluster echoes, under the API's names.
_CLUSTER_EXTRA: Final = {
    "LogEncryptionKmsKeyId": "LogEncryptionKmsKeyId",
    "CustomAmiId": "CustomAmiId",
    "EbsRootVolumeSize": "EbsRootVolumeSize",
    "EbsRootVolumeIops": "EbsRootVolumeIops",
    "EbsRootVolumeThroughput": "EbsRootVolumeThroughput",
    "ScaleDownBehavior": "ScaleDownBehavior",
    "RepoUpgradeOnBoot": "RepoUpgradeOnBoot",
    "AutoScalingRole": "AutoScalingRole",
    "OSReleaseLabel": "OSReleaseLabel",
    "ExtendedSupport": "ExtendedSupport",
    "MonitoringConfiguration": "MonitoringConfiguration",
    "SessionEnabled": "SessionEnabled",
    "UnhealthyNodeReplacement": "UnhealthyNodeReplacement",
    "PlacementGroupConfigs": "PlacementGroups",
}
_ROLE_ORDER: Final = {"MASTER": 0, "CORE": 1, "TASK": 2}
#: EBS volumes attach as /dev/sdb … /dev/sdz, as EMR names them.
_DEVICE_NAMES: Final = {
    n: f"/dev/sd{letter}" for n, letter in enumerate("bcdefghijklmnopqrstuvwxyz")
}


def _present(members: Mapping[str, Any]) -> dict[str, Any]:
    """`members` without the None ones (the serializer would drop them anyway)."""
    return {k: v for k, v in members.items() if v is not None}


def _reason(code: str | None, message: str | None) -> dict[str, str]:
    """A StateChangeReason: members left out when there is nothing to say (as EMR does)."""
    out: dict[str, str] = {}
    if code:
        out["Code"] = code
    if message:
        out["Message"] = message
    return out


def _timeline(created: datetime, ready: datetime | None, ended: datetime | None) -> dict[str, Any]:
    return _present({"CreationDateTime": created, "ReadyDateTime": ready, "EndDateTime": ended})


def role_order(role: str) -> int:
    """MASTER, CORE, TASK: the order listings give groups and instances in."""
    return _ROLE_ORDER.get(role, len(_ROLE_ORDER))


# --- clusters ---------------------------------------------------------------------------------


def cluster_status(row: ClusterRow) -> dict[str, Any]:
    """ClusterStatus: State, StateChangeReason, Timeline."""
    return {
        "State": row.state,
        "StateChangeReason": _reason(row.state_code, row.state_message),
        "Timeline": _timeline(row.created_at, row.ready_at, row.ended_at),
    }


def cluster(row: ClusterRow) -> dict[str, Any]:
    """DescribeCluster's Cluster."""
    attributes = dict(row.ec2_attributes)
    if row.job_flow_role is not None:
        attributes["IamInstanceProfile"] = row.job_flow_role
    out: dict[str, Any] = {
        "Id": row.id,
        "Name": row.name,
        "Status": cluster_status(row),
        "Ec2InstanceAttributes": attributes,
        "InstanceCollectionType": row.instance_collection_type,
        "LogUri": row.log_uri,
        "ReleaseLabel": row.release_label,
        "AutoTerminate": not row.keep_alive,
        "TerminationProtected": row.termination_protected,
        "VisibleToAllUsers": row.visible_to_all_users,
        "Applications": [dict(a) for a in row.applications],
        "Tags": [dict(t) for t in row.tags],
        "ServiceRole": row.service_role,
        "NormalizedInstanceHours": row.normalized_instance_hours,
        "MasterPublicDnsName": row.master_private_ip,
        "Configurations": list(row.configurations),
        "SecurityConfiguration": row.security_configuration,
        "StepConcurrencyLevel": row.step_concurrency_level,
        "ClusterArn": cluster_arn(row.region, row.account_id, row.id),
    }
    for stored, member in _CLUSTER_EXTRA.items():
        if stored in row.extra:
            out[member] = row.extra[stored]
    return _present(out)


def cluster_summary(row: ClusterRow) -> dict[str, Any]:
    """ListClusters' ClusterSummary."""
    return {
        "Id": row.id,
        "Name": row.name,
        "Status": cluster_status(row),
        "NormalizedInstanceHours": row.normalized_instance_hours,
        "ClusterArn": cluster_arn(row.region, row.account_id, row.id),
    }


# --- steps ------------------------------------------------------------------------------------


def _step_status(row: StepRow) -> dict[str, Any]:
    status: dict[str, Any] = {
        "State": row.state,
        "StateChangeReason": _reason(None, row.state_message),
        "Timeline": _present(
            {
                "CreationDateTime": row.created_at,
                "StartDateTime": row.started_at,
                "EndDateTime": row.ended_at,
            }
        ),
    }
    if row.failure is not None:
        status["FailureDetails"] = dict(row.failure)
    return status


def _step_config(row: StepRow) -> dict[str, Any]:
    """HadoopStepConfig: Properties become a map, as ListSteps/DescribeStep answer them."""
    config: dict[str, Any] = {
        "Jar": row.jar,
        "Properties": {p["Key"]: p["Value"] for p in row.properties},
        "Args": list(row.args),
    }
    if row.main_class is not None:
        config["MainClass"] = row.main_class
    return config


def step(row: StepRow) -> dict[str, Any]:
    """DescribeStep's Step."""
    return {
        "Id": row.id,
        "Name": row.name,
        "Config": _step_config(row),
        "ActionOnFailure": row.action_on_failure,
        "Status": _step_status(row),
    }


def step_summary(row: StepRow) -> dict[str, Any]:
    """ListSteps' StepSummary (the same members as Step, here)."""
    return step(row)


# --- instance groups, fleets and instances ----------------------------------------------------


def _collection_state(
    group: InstanceGroupRow, instances: Sequence[InstanceRow], owner: ClusterRow
) -> InstanceGroupState:
    return group_state(
        group.requested_count,
        [InstanceState(i.state) for i in instances],
        ever_running=group.ever_running,
        cluster_terminating=owner.state == "TERMINATING",
        cluster_terminated=owner.state in ENDED_STATES,
    )


def _collection_status(
    group: InstanceGroupRow, instances: Sequence[InstanceRow], owner: ClusterRow
) -> dict[str, Any]:
    state = _collection_state(group, instances, owner)
    ended = group.ended_at or (owner.ended_at if owner.state in ENDED_STATES else None)
    reason = (
        _reason("CLUSTER_TERMINATED", "Job flow terminated")
        if state is InstanceGroupState.TERMINATED
        else {}
    )
    return {
        "State": state.value,
        "StateChangeReason": reason,
        "Timeline": _timeline(group.created_at, group.ready_at, ended),
    }


def _running(instances: Sequence[InstanceRow]) -> int:
    return sum(1 for i in instances if i.state == InstanceState.RUNNING.value)


def _ebs_block_devices(ebs: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    """EbsConfiguration → EbsBlockDevices, one per volume, named /dev/sdb, /dev/sdc, …"""
    volumes = [
        dict(config["VolumeSpecification"])
        for config in (ebs or {}).get("EbsBlockDeviceConfigs") or []
        for _ in range(config.get("VolumesPerInstance") or 1)
    ]
    return [
        _present({"VolumeSpecification": volume, "Device": _DEVICE_NAMES.get(n)})
        for n, volume in enumerate(volumes)
    ]


def instance_group(
    group: InstanceGroupRow, instances: Sequence[InstanceRow], owner: ClusterRow
) -> dict[str, Any]:
    """ListInstanceGroups' InstanceGroup; `instances` are the group's own."""
    spec = group.spec
    ebs = spec.get("EbsConfiguration") or {}
    out: dict[str, Any] = {
        "Id": group.id,
        "Name": group.name,
        "Market": group.market,
        "InstanceGroupType": group.role,
        "BidPrice": spec.get("BidPrice"),
        "InstanceType": group.instance_type,
        "RequestedInstanceCount": group.requested_count,
        "RunningInstanceCount": _running(instances),
        "Status": _collection_status(group, instances, owner),
        "Configurations": list(spec.get("Configurations") or []),
        "EbsBlockDevices": _ebs_block_devices(ebs),
        "EbsOptimized": ebs.get("EbsOptimized"),
        "CustomAmiId": spec.get("CustomAmiId"),
    }
    return _present(out)


def _type_specification(config: Mapping[str, Any]) -> dict[str, Any]:
    """InstanceTypeConfig → InstanceTypeSpecification."""
    ebs = config.get("EbsConfiguration") or {}
    out: dict[str, Any] = {
        "InstanceType": config["InstanceType"],
        "WeightedCapacity": config.get("WeightedCapacity", 1),
        "BidPrice": config.get("BidPrice"),
        "BidPriceAsPercentageOfOnDemandPrice": config.get("BidPriceAsPercentageOfOnDemandPrice"),
        "Configurations": list(config.get("Configurations") or []),
        "EbsBlockDevices": _ebs_block_devices(ebs),
        "EbsOptimized": ebs.get("EbsOptimized"),
        "CustomAmiId": config.get("CustomAmiId"),
        "Priority": config.get("Priority"),
    }
    return _present(out)


def instance_fleet(
    fleet: InstanceGroupRow, instances: Sequence[InstanceRow], owner: ClusterRow
) -> dict[str, Any]:
    """ListInstanceFleets' InstanceFleet; provisioned capacity counts live instances x weight."""
    spec = fleet.spec
    type_configs = spec.get("InstanceTypeConfigs") or []
    weight = type_configs[0].get("WeightedCapacity", 1) if type_configs else 1
    provisioned = weight * sum(
        1
        for i in instances
        if i.state not in (InstanceState.AWAITING_FULFILLMENT.value, InstanceState.TERMINATED.value)
    )
    spot = fleet.market == "SPOT"
    out: dict[str, Any] = {
        "Id": fleet.id,
        "Name": fleet.name,
        "Status": _collection_status(fleet, instances, owner),
        "InstanceFleetType": fleet.role,
        "TargetOnDemandCapacity": spec.get("TargetOnDemandCapacity", 0),
        "TargetSpotCapacity": spec.get("TargetSpotCapacity", 0),
        "ProvisionedOnDemandCapacity": 0 if spot else provisioned,
        "ProvisionedSpotCapacity": provisioned if spot else 0,
        "InstanceTypeSpecifications": [_type_specification(c) for c in type_configs],
        "LaunchSpecifications": spec.get("LaunchSpecifications"),
        "ResizeSpecifications": spec.get("ResizeSpecifications"),
        "Context": spec.get("Context"),
    }
    return _present(out)


def private_dns_name(ip: str, region: str) -> str:
    """EC2's private DNS name for `ip` (cosmetic: nothing resolves it)."""
    host = "ip-" + ip.replace(".", "-")
    return f"{host}.ec2.internal" if region == "us-east-1" else f"{host}.{region}.compute.internal"


def instance(row: InstanceRow, group: InstanceGroupRow, region: str) -> dict[str, Any]:
    """ListInstances' Instance (Id and Ec2InstanceId are the same i- id here)."""
    ip = row.private_ip
    out: dict[str, Any] = {
        "Id": row.id,
        "Ec2InstanceId": row.id,
        "PublicDnsName": ip,
        "PublicIpAddress": ip,
        "PrivateDnsName": private_dns_name(ip, region) if ip else None,
        "PrivateIpAddress": ip,
        "Status": {
            "State": row.state,
            "StateChangeReason": _reason(row.state_code, row.state_message),
            "Timeline": _timeline(row.created_at, row.ready_at, row.ended_at),
        },
        "InstanceGroupId" if group.kind == "group" else "InstanceFleetId": group.id,
        "Market": row.market,
        "InstanceType": row.instance_type,
        "EbsVolumes": [],
    }
    return _present(out)


# --- bootstrap actions ------------------------------------------------------------------------


def command(action: Mapping[str, Any]) -> dict[str, Any]:
    """ListBootstrapActions' Command, from a stored BootstrapActionConfig."""
    script = action["ScriptBootstrapAction"]
    return {"Name": action["Name"], "ScriptPath": script["Path"], "Args": list(script["Args"])}


def bootstrap_action_detail(action: Mapping[str, Any]) -> dict[str, Any]:
    """DescribeJobFlows' BootstrapActionDetail (the config as RunJobFlow took it)."""
    script = action["ScriptBootstrapAction"]
    return {
        "BootstrapActionConfig": {
            "Name": action["Name"],
            "ScriptBootstrapAction": {"Path": script["Path"], "Args": list(script["Args"])},
        }
    }


# --- DescribeJobFlows -------------------------------------------------------------------------

_JOB_FLOW_STATES: Final = {
    "STARTING": "STARTING",
    "BOOTSTRAPPING": "BOOTSTRAPPING",
    "RUNNING": "RUNNING",
    "WAITING": "WAITING",
    "TERMINATING": "SHUTTING_DOWN",
    "TERMINATED_WITH_ERRORS": "FAILED",
}
_LEGACY_GROUP_STATES: Final = {
    InstanceGroupState.TERMINATING: "SHUTTING_DOWN",
    InstanceGroupState.TERMINATED: "ENDED",
}


def job_flow_state(row: ClusterRow) -> str:
    """The JobFlowExecutionState of a cluster (see the module docstring)."""
    if row.state == "TERMINATED":
        return "COMPLETED" if row.state_code == "ALL_STEPS_COMPLETED" else "TERMINATED"
    return _JOB_FLOW_STATES[row.state]


def _step_detail(row: StepRow) -> dict[str, Any]:
    state = "RUNNING" if row.state == "CANCEL_PENDING" else row.state
    return {
        "StepConfig": {
            "Name": row.name,
            "ActionOnFailure": row.action_on_failure,
            "HadoopJarStep": hadoop_jar_step(row),
        },
        "ExecutionStatusDetail": _present(
            {
                "State": state,
                "CreationDateTime": row.created_at,
                "StartDateTime": row.started_at,
                "EndDateTime": row.ended_at,
                "LastStateChangeReason": row.state_message,
            }
        ),
    }


def _group_detail(
    group: InstanceGroupRow, instances: Sequence[InstanceRow], owner: ClusterRow
) -> dict[str, Any]:
    state = _collection_state(group, instances, owner)
    out: dict[str, Any] = {
        "InstanceGroupId": group.id,
        "Name": group.name,
        "Market": group.market,
        "InstanceRole": group.role,
        "BidPrice": group.spec.get("BidPrice"),
        "InstanceType": group.instance_type,
        "InstanceRequestCount": group.requested_count,
        "InstanceRunningCount": _running(instances),
        "State": _LEGACY_GROUP_STATES.get(state, state.value),
        "LastStateChangeReason": "Job flow terminated"
        if state is InstanceGroupState.TERMINATED
        else None,
        "CreationDateTime": group.created_at,
        "StartDateTime": group.ready_at,
        "ReadyDateTime": group.ready_at,
        "EndDateTime": group.ended_at or (owner.ended_at if owner.state in ENDED_STATES else None),
        "CustomAmiId": group.spec.get("CustomAmiId"),
    }
    return _present(out)


def job_flow_detail(
    row: ClusterRow,
    groups: Sequence[InstanceGroupRow],
    instances: Sequence[InstanceRow],
    steps: Sequence[StepRow],
) -> dict[str, Any]:
    """DescribeJobFlows' JobFlowDetail from a cluster and all its groups, instances, steps."""
    by_group: dict[str, list[InstanceRow]] = {g.id: [] for g in groups}
    for node in instances:
        by_group.setdefault(node.group_id, []).append(node)
    ordered = sorted(groups, key=lambda g: (g.created_at, role_order(g.role), g.id))
    master = next((g for g in ordered if g.role == "MASTER"), None)
    core = next((g for g in ordered if g.role == "CORE"), None)
    master_type = master.instance_type if master else ""
    master_ids = [i.id for i in by_group.get(master.id, [])] if master else []
    attributes = row.ec2_attributes
    detail: dict[str, Any] = {
        "MasterInstanceType": master_type,
        "MasterPublicDnsName": row.master_private_ip,
        "MasterInstanceId": master_ids[0] if master_ids else None,
        # Required by the shape; a master-only cluster reports the master's type (one node
        # then serves as master, core and task, as EMR describes InstanceCount 1).
        "SlaveInstanceType": core.instance_type if core else master_type,
        "InstanceCount": sum(g.requested_count for g in groups),
        "InstanceGroups": [
            _group_detail(g, by_group[g.id], row) for g in ordered if g.kind == "group"
        ],
        "NormalizedInstanceHours": row.normalized_instance_hours,
        "Ec2KeyName": attributes.get("Ec2KeyName"),
        "Ec2SubnetId": attributes.get("Ec2SubnetId"),
        "Placement": {"AvailabilityZone": attributes["Ec2AvailabilityZone"]}
        if "Ec2AvailabilityZone" in attributes
        else None,
        "KeepJobFlowAliveWhenNoSteps": row.keep_alive,
        "TerminationProtected": row.termination_protected,
        "UnhealthyNodeReplacement": row.extra.get("UnhealthyNodeReplacement"),
        "HadoopVersion": HADOOP_VERSION,
    }
    out: dict[str, Any] = {
        "JobFlowId": row.id,
        "Name": row.name,
        "LogUri": row.log_uri,
        "LogEncryptionKmsKeyId": row.extra.get("LogEncryptionKmsKeyId"),
        "ExecutionStatusDetail": _present(
            {
                "State": job_flow_state(row),
                "CreationDateTime": row.created_at,
                "StartDateTime": row.ready_at,
                "ReadyDateTime": row.ready_at,
                "EndDateTime": row.ended_at,
                "LastStateChangeReason": row.state_message or None,
            }
        ),
        "Instances": _present(detail),
        "Steps": [_step_detail(s) for s in sorted(steps, key=lambda s: s.position)],
        "BootstrapActions": [bootstrap_action_detail(a) for a in row.bootstrap_actions],
        "SupportedProducts": list(row.extra.get("SupportedProducts") or []),
        "VisibleToAllUsers": row.visible_to_all_users,
        "JobFlowRole": row.job_flow_role,
        "ServiceRole": row.service_role,
        "AutoScalingRole": row.extra.get("AutoScalingRole"),
        "ScaleDownBehavior": row.extra.get("ScaleDownBehavior"),
    }
    return _present(out)
