"""Tables of the control-plane database. Every change here comes with a migration."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Dialect,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

__all__ = [
    "AccessKeyRow",
    "Base",
    "BlockPublicAccessRow",
    "ClusterRow",
    "InstanceGroupRow",
    "InstanceRow",
    "SecurityConfigurationRow",
    "StepRow",
    "UtcDateTime",
]


class UtcDateTime(TypeDecorator[datetime]):
    """A timestamp read back as an aware UTC datetime on every backend (SQLite keeps no zone;
    every timestamp is written in UTC)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None or value.tzinfo is None:
            return value
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None or value.tzinfo is not None:
            return value
        return value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    """Declarative base of every table."""


class AccessKeyRow(Base):
    """An access key and the principal it authenticates as.

    The root key of an account has `principal_arn = arn:aws:iam::<account>:root`; IAM users,
    roles' session keys and cluster keys are rows of the same table with their own ARNs.
    """

    __tablename__ = "access_keys"

    access_key_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    secret_access_key: Mapped[str] = mapped_column(String(128))
    account_id: Mapped[str] = mapped_column(String(12), index=True)
    principal_arn: Mapped[str] = mapped_column(String(2048))
    principal_id: Mapped[str] = mapped_column(String(128))
    status: Mapped[str] = mapped_column(String(16), default="Active")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class SecurityConfigurationRow(Base):
    """An EMR security configuration of one account in one region (its JSON kept verbatim).

    `id` grows with every creation, so ListSecurityConfigurations pages newest first by it.
    """

    __tablename__ = "emr_security_configurations"
    __table_args__ = (UniqueConstraint("account_id", "region", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(String(12))
    region: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(256))
    configuration: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class BlockPublicAccessRow(Base):
    """EMR's block public access configuration of one account in one region."""

    __tablename__ = "emr_block_public_access"

    account_id: Mapped[str] = mapped_column(String(12), primary_key=True)
    region: Mapped[str] = mapped_column(String(64), primary_key=True)
    block_public_security_group_rules: Mapped[bool] = mapped_column(Boolean)
    #: PermittedPublicSecurityGroupRuleRanges as the API spells it: [{"MinRange", "MaxRange"}].
    permitted_ranges: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    created_by_arn: Mapped[str] = mapped_column(String(2048))


class ClusterRow(Base):
    """An EMR cluster: what RunJobFlow asked for and where its lifecycle stands.

    The request's nested documents (Applications, Configurations, BootstrapActions, Tags,
    Ec2InstanceAttributes) are kept as the API spells them; the supervisor writes `state`,
    `state_code`, `state_message` and the timeline as the cluster machine decides them.
    """

    __tablename__ = "emr_clusters"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    account_id: Mapped[str] = mapped_column(String(12), index=True)
    region: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(256))
    state: Mapped[str] = mapped_column(String(32), index=True)
    state_code: Mapped[str | None] = mapped_column(String(32), nullable=True)
    state_message: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    ready_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    release_label: Mapped[str] = mapped_column(String(64))
    log_uri: Mapped[str | None] = mapped_column(String(1024), nullable=True)
    service_role: Mapped[str | None] = mapped_column(String(2048), nullable=True)
    job_flow_role: Mapped[str | None] = mapped_column(String(2048), nullable=True)
    security_configuration: Mapped[str | None] = mapped_column(String(256), nullable=True)
    #: "INSTANCE_GROUP" or "INSTANCE_FLEET".
    instance_collection_type: Mapped[str] = mapped_column(String(16))
    keep_alive: Mapped[bool] = mapped_column(Boolean)
    termination_protected: Mapped[bool] = mapped_column(Boolean)
    step_concurrency_level: Mapped[int] = mapped_column(Integer, default=1)
    #: AutoTerminationPolicy.IdleTimeout in seconds; None: no policy.
    idle_timeout_seconds: Mapped[int | None] = mapped_column(Integer, nullable=True)
    visible_to_all_users: Mapped[bool] = mapped_column(Boolean, default=True)
    applications: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    configurations: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    bootstrap_actions: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    tags: Mapped[list[dict[str, str]]] = mapped_column(JSON)
    #: RunJobFlow's Instances members that describe EC2 placement (key name, subnet, AZ, …).
    ec2_attributes: Mapped[dict[str, Any]] = mapped_column(JSON)
    #: Everything else of RunJobFlow echoed by DescribeCluster (EbsRootVolumeSize, …).
    extra: Mapped[dict[str, Any]] = mapped_column(JSON)
    #: Which private network the node provider gave the cluster (the local provider: the
    #: 127.a.b.0/24 block); None until provisioned.
    network: Mapped[str | None] = mapped_column(String(64), nullable=True)
    #: The access key that stands in for the cluster's instance profile (revoked at the end).
    access_key_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    #: The bearer token the region and the cluster's agents present to each other (a secret,
    #: like the access keys' secrets in this database).
    agent_token: Mapped[str] = mapped_column(String(128), default="")
    master_private_ip: Mapped[str | None] = mapped_column(String(64), nullable=True)
    normalized_instance_hours: Mapped[int] = mapped_column(Integer, default=0)


class InstanceGroupRow(Base):
    """An instance group (`kind` "group", ig-…) or instance fleet (`kind` "fleet", if-…).

    `spec` keeps the request's InstanceGroupConfig / InstanceFleetConfig as sent, for the
    members only the listings echo (EbsConfiguration, InstanceTypeConfigs, …).
    """

    __tablename__ = "emr_instance_groups"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    cluster_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("emr_clusters.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(8))
    role: Mapped[str] = mapped_column(String(8))
    name: Mapped[str | None] = mapped_column(String(256), nullable=True)
    market: Mapped[str] = mapped_column(String(16), default="ON_DEMAND")
    #: The group's type; a fleet's first InstanceTypeConfig (the one it launches).
    instance_type: Mapped[str] = mapped_column(String(64))
    #: Instances asked for (a fleet: its target capacity in instances).
    requested_count: Mapped[int] = mapped_column(Integer)
    spec: Mapped[dict[str, Any]] = mapped_column(JSON)
    ever_running: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    ready_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class InstanceRow(Base):
    """One node of a cluster: an EC2-style instance backed by a node agent process."""

    __tablename__ = "emr_instances"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    cluster_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("emr_clusters.id", ondelete="CASCADE"), index=True
    )
    group_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("emr_instance_groups.id", ondelete="CASCADE")
    )
    role: Mapped[str] = mapped_column(String(8))
    instance_type: Mapped[str] = mapped_column(String(64))
    market: Mapped[str] = mapped_column(String(16), default="ON_DEMAND")
    state: Mapped[str] = mapped_column(String(32))
    state_code: Mapped[str | None] = mapped_column(String(32), nullable=True)
    state_message: Mapped[str] = mapped_column(Text, default="")
    private_ip: Mapped[str | None] = mapped_column(String(64), nullable=True)
    #: The agent's process id as the node provider started it (for reconciling after a restart).
    pid: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    ready_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class StepRow(Base):
    """A step of a cluster; `position` orders the cluster's steps as they were submitted."""

    __tablename__ = "emr_steps"
    __table_args__ = (UniqueConstraint("cluster_id", "position"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    cluster_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("emr_clusters.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(256))
    action_on_failure: Mapped[str] = mapped_column(String(32))
    jar: Mapped[str] = mapped_column(Text)
    main_class: Mapped[str | None] = mapped_column(Text, nullable=True)
    args: Mapped[list[str]] = mapped_column(JSON)
    #: HadoopJarStep.Properties as [{"Key", "Value"}].
    properties: Mapped[list[dict[str, str]]] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(32))
    state_message: Mapped[str | None] = mapped_column(Text, nullable=True)
    #: FailureDetails as the API spells it ({"Reason", "Message", "LogFile"}), or None.
    failure: Mapped[dict[str, str] | None] = mapped_column(JSON, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
