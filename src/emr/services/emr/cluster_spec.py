"""Planning a cluster: a parsed RunJobFlow (or AddJobFlowSteps) request → unsaved rows.

Pure: no database, no clock (the caller passes `now`), ids from an `IdSource`. Everything the
API refuses is refused here, before anything is stored, so RunJobFlow either stores a whole
cluster or nothing.

Decisions a reader should know (the provider's LIMITATIONS repeat the user-visible ones):
- Instances come in one of three forms: InstanceGroups, InstanceFleets, or the legacy
  MasterInstanceType / SlaveInstanceType / InstanceCount (1 → a master only; n → a master and
  n-1 core instances in groups named as the AWS CLI names them). Mixing forms is refused.
- One master node only: a MASTER group of 3 (EMR's multi-master) is refused.
- A fleet launches its first InstanceTypeConfig's type, ceil(target / weight) instances of it;
  it runs on SPOT only when it asks for spot capacity alone.
- Applications: Hadoop is always installed (EMR installs it with every release-label cluster);
  names are matched case-insensitively and stored in EMR's spelling with the version this
  platform runs. Applications EMR knows but this platform does not run yet (Hive, Presto, …)
  are refused rather than listed as installed.
- A step without ActionOnFailure gets TERMINATE_CLUSTER at StepConcurrencyLevel 1 (the API's
  default) and CONTINUE above it (the only value EMR accepts there).
- KerberosAttributes are not stored (they hold the KDC admin password), so DescribeCluster
  does not echo them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from emr.services.emr import instance_types
from emr.services.emr.errors import InvalidRequestException, ValidationException
from emr.services.emr.ids import DEFAULT_IDS, IdSource
from emr.services.emr.releases import APPLICATIONS, find_application, parse_release_label
from emr.services.emr.step_lifecycle import (
    ActionOnFailure,
    StepState,
    validate_action_on_failure,
    validate_step_concurrency_level,
)
from emr.state.schema import ClusterRow, InstanceGroupRow, InstanceRow, StepRow

__all__ = [
    "DEFAULT_IDLE_TIMEOUT",
    "MAX_BOOTSTRAP_ACTIONS",
    "MAX_IDLE_TIMEOUT",
    "MAX_STEPS_PER_REQUEST",
    "MAX_TAGS",
    "MAX_TASK_GROUPS",
    "MIN_IDLE_TIMEOUT",
    "ClusterPlan",
    "check_idle_timeout",
    "check_tags",
    "hadoop_jar_step",
    "merge_tags",
    "plan_applications",
    "plan_cluster",
    "plan_steps",
]

MAX_TASK_GROUPS: Final = 48
MAX_BOOTSTRAP_ACTIONS: Final = 16
MAX_TAGS: Final = 50
MAX_STEPS_PER_REQUEST: Final = 256
MIN_IDLE_TIMEOUT: Final = 60
MAX_IDLE_TIMEOUT: Final = 604_800
#: IdleTimeout when an AutoTerminationPolicy names none (EMR's one hour).
DEFAULT_IDLE_TIMEOUT: Final = 3600
_MAX_TAG_KEY: Final = 128
_MAX_TAG_VALUE: Final = 256
_LOG_URI_SCHEMES: Final = ("s3://", "s3n://", "s3a://")
#: ScaleDownBehavior of every release-label cluster since emr-5.1.0.
_DEFAULT_SCALE_DOWN: Final = "TERMINATE_AT_TASK_COMPLETION"
_ROLES: Final = ("MASTER", "CORE", "TASK")

#: RunJobFlow members DescribeCluster echoes, kept in ClusterRow.extra under these names.
_EXTRA_MEMBERS: Final = (
    "LogEncryptionKmsKeyId",
    "AdditionalInfo",
    "CustomAmiId",
    "EbsRootVolumeSize",
    "EbsRootVolumeIops",
    "EbsRootVolumeThroughput",
    "RepoUpgradeOnBoot",
    "AutoScalingRole",
    "OSReleaseLabel",
    "ExtendedSupport",
    "MonitoringConfiguration",
    "SessionEnabled",
    "PlacementGroupConfigs",
    "ManagedScalingPolicy",
    "StepExecutionRoleArn",
    "SupportedProducts",
    "NewSupportedProducts",
)
_EXTRA_INSTANCE_MEMBERS: Final = ("UnhealthyNodeReplacement", "HadoopVersion")
#: JobFlowInstancesConfig members that become Ec2InstanceAttributes under the same name.
_EC2_MEMBERS: Final = (
    "Ec2KeyName",
    "EmrManagedMasterSecurityGroup",
    "EmrManagedSlaveSecurityGroup",
    "ServiceAccessSecurityGroup",
    "AdditionalMasterSecurityGroups",
    "AdditionalSlaveSecurityGroups",
)


@dataclass(frozen=True)
class ClusterPlan:
    """The rows RunJobFlow stores, in one transaction, for one new cluster (columns the
    supervisor fills later — timeline, addresses, pids — are left unset, so None)."""

    cluster: ClusterRow
    groups: list[InstanceGroupRow]
    instances: list[InstanceRow]
    steps: list[StepRow]


@dataclass(frozen=True, slots=True)
class _Collection:
    """One instance group or fleet before it gets an id."""

    kind: str  # "group" | "fleet"
    role: str
    name: str | None
    market: str
    instance_type: str
    count: int
    spec: dict[str, Any]


# --- instances --------------------------------------------------------------------------------


def _by_role(configs: Sequence[Mapping[str, Any]], key: str) -> dict[str, list[Mapping[str, Any]]]:
    return {role: [c for c in configs if c[key] == role] for role in _ROLES}


def _instance_groups(configs: Sequence[Mapping[str, Any]]) -> list[_Collection]:
    by_role = _by_role(configs, "InstanceRole")
    if not by_role["MASTER"]:
        raise ValidationException("An instance group of type MASTER is required.")
    if len(by_role["MASTER"]) > 1:
        raise ValidationException("Only one instance group of type MASTER is allowed.")
    if len(by_role["CORE"]) > 1:
        raise ValidationException("Only one instance group of type CORE is allowed.")
    if len(by_role["TASK"]) > MAX_TASK_GROUPS:
        raise ValidationException(
            f"A cluster can have at most {MAX_TASK_GROUPS} instance groups of type TASK."
        )
    master_count = by_role["MASTER"][0]["InstanceCount"]
    if master_count != 1:
        raise ValidationException(
            f"The MASTER instance group must have an InstanceCount of 1, not {master_count}: "
            "clusters with multiple master nodes are not supported."
        )
    planned = []
    for role in _ROLES:
        for config in by_role[role]:
            count = config["InstanceCount"]
            least = 0 if role == "TASK" else 1
            if count < least:
                raise ValidationException(
                    f"The InstanceCount of a {role} instance group must be at least {least}."
                )
            instance_types.lookup(config["InstanceType"])
            planned.append(
                _Collection(
                    kind="group",
                    role=role,
                    name=config.get("Name"),
                    market=config.get("Market") or "ON_DEMAND",
                    instance_type=config["InstanceType"],
                    count=count,
                    spec=dict(config),
                )
            )
    return planned


def _instance_fleets(configs: Sequence[Mapping[str, Any]]) -> list[_Collection]:
    by_role = _by_role(configs, "InstanceFleetType")
    if not by_role["MASTER"]:
        raise ValidationException("An instance fleet of type MASTER is required.")
    for role in _ROLES:
        if len(by_role[role]) > 1:
            raise ValidationException(f"Only one instance fleet of type {role} is allowed.")
    planned = []
    for role in _ROLES:
        for config in by_role[role]:
            type_configs = config.get("InstanceTypeConfigs") or []
            if not type_configs:
                raise ValidationException(
                    f"The {role} instance fleet must specify at least one InstanceTypeConfig."
                )
            for type_config in type_configs:
                instance_types.lookup(type_config["InstanceType"])
            on_demand = config.get("TargetOnDemandCapacity") or 0
            spot = config.get("TargetSpotCapacity") or 0
            if role == "MASTER" and on_demand + spot != 1:
                raise ValidationException(
                    "The MASTER instance fleet must have a target capacity of 1: set "
                    "TargetOnDemandCapacity or TargetSpotCapacity to 1 and the other to 0."
                )
            if role == "CORE" and on_demand + spot < 1:
                raise ValidationException(
                    "The CORE instance fleet must have a target capacity of at least 1."
                )
            first = type_configs[0]
            weight = first.get("WeightedCapacity")
            weight = 1 if weight is None else weight
            if weight < 1:
                raise ValidationException("WeightedCapacity must be at least 1.")
            planned.append(
                _Collection(
                    kind="fleet",
                    role=role,
                    name=config.get("Name"),
                    market="SPOT" if on_demand == 0 and spot > 0 else "ON_DEMAND",
                    instance_type=first["InstanceType"],
                    count=math.ceil((on_demand + spot) / weight),
                    spec=dict(config),
                )
            )
    return planned


def _legacy_instances(instances: Mapping[str, Any]) -> list[_Collection]:
    master_type = instances.get("MasterInstanceType")
    if master_type is None:
        raise ValidationException(
            "Specify the cluster's instances with InstanceGroups, InstanceFleets, or "
            "MasterInstanceType, SlaveInstanceType and InstanceCount."
        )
    count = instances.get("InstanceCount")
    count = 1 if count is None else count
    if count < 1:
        raise ValidationException("InstanceCount must be at least 1.")
    slave_type = instances.get("SlaveInstanceType")
    if count > 1 and slave_type is None:
        raise ValidationException("SlaveInstanceType is required when InstanceCount is above 1.")
    instance_types.lookup(master_type)
    planned = [_legacy_group("MASTER", "Master Instance Group", master_type, 1)]
    if count > 1:
        assert slave_type is not None
        instance_types.lookup(slave_type)
        planned.append(_legacy_group("CORE", "Core Instance Group", slave_type, count - 1))
    return planned


def _legacy_group(role: str, name: str, instance_type: str, count: int) -> _Collection:
    spec: dict[str, Any] = {
        "Name": name,
        "InstanceRole": role,
        "InstanceType": instance_type,
        "InstanceCount": count,
    }
    return _Collection("group", role, name, "ON_DEMAND", instance_type, count, spec)


def _collections(instances: Mapping[str, Any]) -> tuple[str, list[_Collection]]:
    """("INSTANCE_GROUP" | "INSTANCE_FLEET", the groups or fleets to create)."""
    groups = instances.get("InstanceGroups")
    fleets = instances.get("InstanceFleets")
    legacy = any(
        instances.get(k) is not None
        for k in ("MasterInstanceType", "SlaveInstanceType", "InstanceCount")
    )
    if groups and fleets:
        raise ValidationException(
            "Instances can specify InstanceGroups or InstanceFleets, but not both."
        )
    if (groups or fleets) and legacy:
        form = "InstanceGroups" if groups else "InstanceFleets"
        raise ValidationException(
            f"{form} cannot be combined with MasterInstanceType, SlaveInstanceType or "
            "InstanceCount."
        )
    if fleets:
        return "INSTANCE_FLEET", _instance_fleets(fleets)
    if groups:
        return "INSTANCE_GROUP", _instance_groups(groups)
    return "INSTANCE_GROUP", _legacy_instances(instances)


def _ec2_attributes(instances: Mapping[str, Any], region: str) -> dict[str, Any]:
    """Ec2InstanceAttributes as DescribeCluster spells them (IamInstanceProfile aside)."""
    attributes = {k: instances[k] for k in _EC2_MEMBERS if instances.get(k) is not None}
    subnets = list(instances.get("Ec2SubnetIds") or [])
    if instances.get("Ec2SubnetId"):
        subnets = [instances["Ec2SubnetId"], *subnets]
    if subnets:
        attributes["Ec2SubnetId"] = subnets[0]
        attributes["RequestedEc2SubnetIds"] = subnets
    placement = instances.get("Placement") or {}
    zones = list(placement.get("AvailabilityZones") or [])
    if zones:
        attributes["RequestedEc2AvailabilityZones"] = zones
    # EMR always reports the zone it chose; the nodes here live in no zone, the region's first.
    attributes["Ec2AvailabilityZone"] = placement.get("AvailabilityZone") or (
        zones[0] if zones else f"{region}a"
    )
    return attributes


# --- applications, tags, bootstrap actions, policies ------------------------------------------


def plan_applications(requested: Sequence[Mapping[str, Any]]) -> list[dict[str, str]]:
    """RunJobFlow's Applications → [{"Name", "Version"}] in EMR's spelling, Hadoop included."""
    wanted = {"Hadoop"}
    for application in requested:
        name = application.get("Name") or ""
        found = find_application(name)
        if found is None:
            raise ValidationException(f"The application {name!r} is not a valid EMR application.")
        if not found.available:
            running = ", ".join(a.name for a in APPLICATIONS if a.available)
            raise ValidationException(
                f"The application {found.name} is not available on this platform yet "
                f"(it runs {running})."
            )
        wanted.add(found.name)
    return [
        {"Name": app.name, "Version": app.version}
        for app in APPLICATIONS
        if app.name in wanted and app.version is not None
    ]


def check_tags(tags: Sequence[Mapping[str, Any]]) -> list[dict[str, str]]:
    """Tags as stored ([{"Key", "Value"}], a repeated key keeps its last value, in place).

    Key lengths follow EMR's wording; the count limit is `merge_tags`'s business.
    """
    merged: dict[str, str] = {}
    for tag in tags:
        key, value = tag.get("Key"), tag.get("Value") or ""
        if not key or len(key) > _MAX_TAG_KEY:
            shown = "null" if key is None else key
            raise InvalidRequestException(
                f"Invalid tag key: '{shown}'. Tag keys must be between 1 and "
                f"{_MAX_TAG_KEY} characters in length."
            )
        if len(value) > _MAX_TAG_VALUE:
            raise InvalidRequestException(
                f"Invalid tag value: '{value}'. Tag values must be at most "
                f"{_MAX_TAG_VALUE} characters in length."
            )
        merged[key] = value
    return [{"Key": k, "Value": v} for k, v in merged.items()]


def merge_tags(
    existing: Sequence[Mapping[str, str]], added: Sequence[Mapping[str, Any]]
) -> list[dict[str, str]]:
    """AddTags: `added` overwrites the values of keys already there and appends new keys."""
    merged = {t["Key"]: t["Value"] for t in existing}
    merged.update({t["Key"]: t["Value"] for t in check_tags(added)})
    if len(merged) > MAX_TAGS:
        raise InvalidRequestException(f"A cluster can have at most {MAX_TAGS} tags.")
    return [{"Key": k, "Value": v} for k, v in merged.items()]


def _bootstrap_actions(actions: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    if len(actions) > MAX_BOOTSTRAP_ACTIONS:
        raise ValidationException(
            f"A cluster can have at most {MAX_BOOTSTRAP_ACTIONS} bootstrap actions."
        )
    stored = []
    for action in actions:
        script = action.get("ScriptBootstrapAction") or {}
        if not script.get("Path"):
            raise ValidationException(
                f"Bootstrap action {action.get('Name')!r} needs ScriptBootstrapAction.Path."
            )
        stored.append(
            {
                "Name": action["Name"],
                "ScriptBootstrapAction": {
                    "Path": script["Path"],
                    "Args": list(script.get("Args") or []),
                },
            }
        )
    return stored


def check_idle_timeout(seconds: int) -> None:
    """AutoTerminationPolicy.IdleTimeout must be 60 s .. 7 days (RunJobFlow, Put…Policy)."""
    if not MIN_IDLE_TIMEOUT <= seconds <= MAX_IDLE_TIMEOUT:
        raise ValidationException(
            f"The IdleTimeout of an AutoTerminationPolicy must be between {MIN_IDLE_TIMEOUT} "
            f"and {MAX_IDLE_TIMEOUT} seconds."
        )


def _idle_timeout(policy: Mapping[str, Any] | None) -> int | None:
    if policy is None:
        return None
    seconds = policy.get("IdleTimeout")
    seconds = DEFAULT_IDLE_TIMEOUT if seconds is None else int(seconds)
    check_idle_timeout(seconds)
    return seconds


def _log_uri(uri: str | None) -> str | None:
    if uri is not None and not uri.startswith(_LOG_URI_SCHEMES):
        raise ValidationException(
            f"The LogUri {uri!r} is not valid: it must start with s3://, s3n:// or s3a://."
        )
    return uri


def _release_label(request: Mapping[str, Any]) -> str:
    label, ami = request.get("ReleaseLabel"), request.get("AmiVersion")
    if label and ami:
        raise ValidationException(
            "Only one AMI version and release label may be specified. "
            f"Provided AMI: {ami}, release label: {label}."
        )
    if not label:
        if ami:
            raise ValidationException(
                f"AmiVersion {ami} is not supported: this platform runs release-label "
                "clusters only. Specify a ReleaseLabel such as emr-7.12.0."
            )
        raise ValidationException("A ReleaseLabel is required (for example emr-7.12.0).")
    return parse_release_label(label).label


def _extra(request: Mapping[str, Any], instances: Mapping[str, Any]) -> dict[str, Any]:
    extra = {k: request[k] for k in _EXTRA_MEMBERS if request.get(k) is not None}
    extra.update({k: instances[k] for k in _EXTRA_INSTANCE_MEMBERS if instances.get(k) is not None})
    extra["ScaleDownBehavior"] = request.get("ScaleDownBehavior") or _DEFAULT_SCALE_DOWN
    return extra


# --- steps ------------------------------------------------------------------------------------


def plan_steps(
    *,
    cluster_id: str,
    first_position: int,
    steps: Sequence[Mapping[str, Any]],
    concurrency_level: int,
    now: datetime,
    ids: IdSource = DEFAULT_IDS,
) -> list[StepRow]:
    """StepConfigs → PENDING StepRows at positions first_position, first_position + 1, …"""
    if len(steps) > MAX_STEPS_PER_REQUEST:
        raise ValidationException(
            f"At most {MAX_STEPS_PER_REQUEST} steps can be submitted in one request."
        )
    default = (
        ActionOnFailure.TERMINATE_CLUSTER if concurrency_level == 1 else ActionOnFailure.CONTINUE
    )
    planned = []
    for offset, step in enumerate(steps):
        given = step.get("ActionOnFailure")
        action = ActionOnFailure(given) if given else default
        validate_action_on_failure(action, concurrency_level)
        jar_step = step["HadoopJarStep"]
        planned.append(
            StepRow(
                id=ids.step_id(),
                cluster_id=cluster_id,
                position=first_position + offset,
                name=step["Name"],
                action_on_failure=action.value,
                jar=jar_step["Jar"],
                main_class=jar_step.get("MainClass"),
                args=list(jar_step.get("Args") or []),
                properties=[
                    {"Key": p.get("Key") or "", "Value": p.get("Value") or ""}
                    for p in jar_step.get("Properties") or []
                ],
                state=StepState.PENDING.value,
                created_at=now,
            )
        )
    return planned


def hadoop_jar_step(step: StepRow) -> dict[str, Any]:
    """The step's HadoopJarStepConfig as StepConfig spells it (Properties as Key/Value list)."""
    out: dict[str, Any] = {
        "Jar": step.jar,
        "Properties": [dict(p) for p in step.properties],
        "Args": list(step.args),
    }
    if step.main_class is not None:
        out["MainClass"] = step.main_class
    return out


# --- the cluster ------------------------------------------------------------------------------


def plan_cluster(
    *,
    account_id: str,
    region: str,
    request: Mapping[str, Any],
    now: datetime,
    ids: IdSource = DEFAULT_IDS,
) -> ClusterPlan:
    """Validate a parsed RunJobFlow request and turn it into the rows of a STARTING cluster."""
    release_label = _release_label(request)
    instances: Mapping[str, Any] = request["Instances"]
    collection_type, collections = _collections(instances)
    applications = plan_applications(request.get("Applications") or [])
    level = request.get("StepConcurrencyLevel")
    level = 1 if level is None else level
    validate_step_concurrency_level(level)
    bootstrap_actions = _bootstrap_actions(request.get("BootstrapActions") or [])
    tags = check_tags(request.get("Tags") or [])
    if len(tags) > MAX_TAGS:
        raise InvalidRequestException(f"A cluster can have at most {MAX_TAGS} tags.")
    log_uri = _log_uri(request.get("LogUri"))
    idle_timeout = _idle_timeout(request.get("AutoTerminationPolicy"))
    cluster_id = ids.cluster_id()
    steps = plan_steps(
        cluster_id=cluster_id,
        first_position=0,
        steps=request.get("Steps") or [],
        concurrency_level=level,
        now=now,
        ids=ids,
    )
    visible = request.get("VisibleToAllUsers")
    cluster = ClusterRow(
        id=cluster_id,
        account_id=account_id,
        region=region,
        name=request["Name"],
        state="STARTING",
        state_message="",
        created_at=now,
        release_label=release_label,
        log_uri=log_uri,
        service_role=request.get("ServiceRole"),
        job_flow_role=request.get("JobFlowRole"),
        security_configuration=request.get("SecurityConfiguration"),
        instance_collection_type=collection_type,
        keep_alive=bool(instances.get("KeepJobFlowAliveWhenNoSteps", False)),
        termination_protected=bool(instances.get("TerminationProtected", False)),
        step_concurrency_level=level,
        idle_timeout_seconds=idle_timeout,
        visible_to_all_users=True if visible is None else bool(visible),
        applications=applications,
        configurations=list(request.get("Configurations") or []),
        bootstrap_actions=bootstrap_actions,
        tags=tags,
        ec2_attributes=_ec2_attributes(instances, region),
        extra=_extra(request, instances),
        agent_token="",  # the supervisor issues the cluster's token when it creates the cluster
        normalized_instance_hours=0,
    )
    groups: list[InstanceGroupRow] = []
    nodes: list[InstanceRow] = []
    for planned in collections:
        group = InstanceGroupRow(
            id=ids.instance_fleet_id() if planned.kind == "fleet" else ids.instance_group_id(),
            cluster_id=cluster_id,
            kind=planned.kind,
            role=planned.role,
            name=planned.name,
            market=planned.market,
            instance_type=planned.instance_type,
            requested_count=planned.count,
            spec=planned.spec,
            ever_running=False,
            created_at=now,
        )
        groups.append(group)
        nodes.extend(_new_instance(group, ids, now) for _ in range(planned.count))
    return ClusterPlan(cluster=cluster, groups=groups, instances=nodes, steps=steps)


def _new_instance(group: InstanceGroupRow, ids: IdSource, now: datetime) -> InstanceRow:
    return InstanceRow(
        id=ids.instance_id(),
        cluster_id=group.cluster_id,
        group_id=group.id,
        role=group.role,
        instance_type=group.instance_type,
        market=group.market,
        state="AWAITING_FULFILLMENT",
        state_message="",
        created_at=now,
    )
