"""EMR: the operations of the control plane, grouped by resource in mixins.

`releases_api` answers from the release and instance-type catalogs; `security_configurations`
and `block_public_access` keep their documents in the control-plane database, per account and
region. `clusters_read` answers from the cluster, instance and step rows; `clusters_write`
stores changes and hands them to the ClusterSupervisor, whose machines decide what happens.

LIMITATIONS (where this differs from AWS):
- Not implemented yet (501 NotImplemented): resizing (AddInstanceGroups, ModifyInstanceGroups,
  AddInstanceFleet, ModifyInstanceFleet), auto scaling and managed scaling policies, Studios,
  notebook executions, persistent app UIs, SetUnhealthyNodeReplacement.
- ServiceRole and JobFlowRole are optional (EMR requires both, but `aws emr create-cluster`
  without roles must work here); they are echoed, and the cluster's key is an assumed-role
  principal of JobFlowRole (default EMR_EC2_DefaultRole). Without a LogUri a failed step's
  FailureDetails.LogFile is the stderr path on the master node.
- TerminateJobFlows refuses the whole call when any named live cluster is protected; ended or
  already terminating clusters are accepted silently. The idle auto-termination reason
  ("Cluster was idle for N seconds (auto-termination)") and the message of a cluster ended by a
  region stop are our wording.
- Every well-formed `emr-x.y.z` label is accepted and describes the Hadoop and Spark this
  platform runs; ListReleaseLabels lists AWS's label names, DescribeReleaseLabel reports no
  AvailableOSReleases (see `releases`). ListSupportedInstanceTypes gives the same catalog for
  every label, 100 types a page.
- Security configurations are stored and returned verbatim, never enforced. The document must
  be a JSON object; its properties are not checked against EMR's schema (EMR refuses unknown
  properties). Names are at most 256 characters (the model allows 10280).
  ListSecurityConfigurations returns the newest first, 50 a page.
- Block public access is stored, never enforced (clusters here get no security groups). Until
  a Put, Get answers EMR's default (block, except port 22) with the time of the first Get and
  the account root as CreatedByArn. Port ranges are checked for 0-65535 and MinRange <=
  MaxRange with wording of our own.
- Cluster plans (`cluster_spec`): one master node (a MASTER group of 3 is refused); a fleet
  launches only its first InstanceTypeConfig's type, ceil(target / weight) instances of it;
  AmiVersion without ReleaseLabel is refused; Applications other than Hadoop and Spark are
  refused, and Hadoop is always listed; KerberosAttributes are not kept, so not echoed.
  Several limit messages (instance counts, 48 task groups, 16 bootstrap actions, 50 tags,
  IdleTimeout 60-604800, LogUri schemes) are worded by us.
- Cluster reads (`clusters_read`): a node's only address is its private IP, so it is also its
  public IP and DNS name and the cluster's MasterPublicDnsName; PrivateDnsName is cosmetic.
  An instance's Id is its Ec2InstanceId (EMR's own are ci-…); EbsVolumes is always empty;
  Ec2AvailabilityZone is `<region>a` unless Placement named one. DescribeJobFlows without
  filters describes the newest 512 job flows, not only those of the last two weeks/months.
  ListClusters, ListSteps and ListInstances page 50 and resume after the last row shown;
  ListInstanceGroups/Fleets and ListBootstrapActions page 50 by offset.
"""

from __future__ import annotations

from typing import ClassVar

from emr.services.emr.block_public_access import BlockPublicAccessOperations
from emr.services.emr.clusters_read import ClusterReadOperations
from emr.services.emr.clusters_write import ClusterWriteOperations
from emr.services.emr.releases_api import ReleaseOperations
from emr.services.emr.security_configurations import SecurityConfigurationOperations
from emr.services.provider import Provider
from emr.state import Database
from emr.supervisor import ClusterSupervisor

__all__ = ["EmrProvider"]


class EmrProvider(
    ClusterWriteOperations,
    ClusterReadOperations,
    ReleaseOperations,
    SecurityConfigurationOperations,
    BlockPublicAccessOperations,
    Provider,
):
    """The EMR operations, over the control-plane database."""

    service_name: ClassVar[str] = "emr"

    def __init__(self, database: Database, supervisor: ClusterSupervisor) -> None:
        self._database = database
        self._supervisor = supervisor
