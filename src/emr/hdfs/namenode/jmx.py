"""`GET /jmx`: the NameNode's beans in the JSON shape of Hadoop's JMX servlet, and the
namespace's identity (cluster and block pool ids, kept in the state directory). Served by
admin.py."""

from __future__ import annotations

import json
import os
import secrets
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from emr.durable import fsync_directory, write_all
from emr.hdfs.blockmanager import (
    AdminState,
    DatanodeReport,
)
from emr.hdfs.namenode.fsck import DEFAULT_RACK
from emr.hdfs.namenode.permissions import User
from emr.hdfs.namenode.server import NameNode
from emr.services.emr.releases import HADOOP_VERSION

__all__ = ["datanode_name", "jmx_beans", "namespace_identity", "non_dfs_used"]

# --- identity of the namespace ---------------------------------------------------------------


def namespace_identity(state_dir: Path, host: str) -> dict[str, str]:
    """Hadoop's VERSION file: clusterID and blockpoolID (`BP-<random>-<ip>-<ms>`), made on
    first use and kept in `<state dir>/VERSION` (Hadoop writes the same file at format)."""
    path = state_dir / "VERSION"
    if path.exists():
        return dict(line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)
    now = int(time.time() * 1000)
    values = {
        "namespaceID": str(secrets.randbelow(2**31 - 1) + 1),
        "clusterID": f"CID-{uuid.uuid4()}",
        "cTime": str(now),
        "storageType": "NAME_NODE",
        "blockpoolID": f"BP-{secrets.randbelow(2**31 - 1) + 1}-{host}-{now}",
        "layoutVersion": "-66",
    }
    temporary = path.with_name("VERSION.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
    try:
        write_all(fd, "".join(f"{k}={v}\n" for k, v in values.items()).encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(temporary, path)
    fsync_directory(state_dir)
    return values


# --- JMX --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Capacity:
    total: int = 0
    used: int = 0
    remaining: int = 0
    non_dfs: int = 0

    @classmethod
    def of(cls, reports: Sequence[DatanodeReport]) -> _Capacity:
        """Hadoop's DatanodeStats: live nodes in service count whole."""
        counted = [r for r in reports if r.alive and r.admin_state is AdminState.NORMAL]
        return cls(
            total=sum(r.capacity_bytes for r in counted),
            used=sum(r.used_bytes for r in counted),
            remaining=sum(r.remaining_bytes for r in counted),
            non_dfs=sum(non_dfs_used(r) for r in counted),
        )


def non_dfs_used(report: DatanodeReport) -> int:
    return max(report.capacity_bytes - report.used_bytes - report.remaining_bytes, 0)


def datanode_name(report: DatanodeReport) -> str:
    port = report.datanode_id.rsplit(":", 1)[1]
    return f"{report.hostname or report.datanode_id.rsplit(':', 1)[0]}:{port}"


def _compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


def _node_maps(reports: Sequence[DatanodeReport], now: float) -> dict[str, str]:
    live, dead, decom = {}, {}, {}
    for r in reports:
        last_contact = int(now - r.last_contact.timestamp())
        if r.alive:
            used_percent = 100.0 * r.used_bytes / r.capacity_bytes if r.capacity_bytes else 100.0
            live[datanode_name(r)] = {
                "infoAddr": r.datanode_id,
                "infoSecureAddr": f"{r.datanode_id.rsplit(':', 1)[0]}:0",
                "xferaddr": r.datanode_id,
                "location": DEFAULT_RACK,
                "uuid": str(uuid.uuid5(uuid.NAMESPACE_URL, "hdfs-datanode:" + r.datanode_id)),
                "lastContact": last_contact,
                "usedSpace": r.used_bytes,
                "adminState": r.admin_state.value,
                "nonDfsUsedSpace": non_dfs_used(r),
                "capacity": r.capacity_bytes,
                "numBlocks": r.blocks,
                "version": HADOOP_VERSION,
                "used": r.used_bytes,
                "remaining": r.remaining_bytes,
                "blockScheduled": 0,
                "blockPoolUsed": r.used_bytes,
                "blockPoolUsedPercent": used_percent,
                "volfails": 0,
                "lastBlockReport": int((now - r.registered_at.timestamp()) // 60),
            }
        else:
            dead[datanode_name(r)] = {
                "lastContact": last_contact,
                "decommissioned": r.admin_state is AdminState.DECOMMISSIONED,
                "adminState": r.admin_state.value,
                "xferaddr": r.datanode_id,
            }
        if r.admin_state is AdminState.DECOMMISSION_INPROGRESS:
            decom[datanode_name(r)] = {
                "xferaddr": r.datanode_id,
                "underReplicatedBlocks": 0,
                "decommissionOnlyReplicas": 0,
                "underReplicateInOpenFiles": 0,
            }
    return {"LiveNodes": _compact(live), "DeadNodes": _compact(dead), "DecomNodes": _compact(decom)}


def jmx_beans(nn: NameNode, identity: Mapping[str, str], now: float) -> list[dict[str, Any]]:
    """The NameNode's beans, with Hadoop's object names and attribute names."""
    reports = nn.blocks.datanode_report()
    cap = _Capacity.of(reports)
    live = [r for r in reports if r.alive]
    dead = [r for r in reports if not r.alive]
    decommissioned = AdminState.DECOMMISSIONED
    under_replicated = nn.blocks.under_replicated()
    under = len(under_replicated)
    missing = nn.blocks.missing_blocks()
    corrupt = len(nn.blocks.corrupt_blocks())
    summary = nn.namespace.get_content_summary("/", user=User(nn.settings.namespace.fs_owner))
    inodes = summary.file_count + summary.directory_count
    blocks = nn.blocks.total_blocks
    gb = 1 << 30
    counts = {
        "NumLiveDataNodes": len(live),
        "NumDeadDataNodes": len(dead),
        "NumDecomLiveDataNodes": sum(1 for r in live if r.admin_state is decommissioned),
        "NumDecomDeadDataNodes": sum(1 for r in dead if r.admin_state is decommissioned),
        "NumDecommissioningDataNodes": sum(
            1 for r in reports if r.admin_state is AdminState.DECOMMISSION_INPROGRESS
        ),
        "VolumeFailuresTotal": 0,
        "EstimatedCapacityLostTotal": 0,
        "NumStaleDataNodes": 0,
        "NumStaleStorages": 0,
        "NumInMaintenanceLiveDataNodes": 0,
        "NumInMaintenanceDeadDataNodes": 0,
        "NumEnteringMaintenanceDataNodes": 0,
    }
    shared = {
        "CapacityTotal": cap.total,
        "CapacityUsed": cap.used,
        "CapacityRemaining": cap.remaining,
        "TotalLoad": 0,
        "BlocksTotal": blocks,
        "FilesTotal": inodes,
        "PendingReplicationBlocks": 0,
        "PendingReconstructionBlocks": 0,
        "UnderReplicatedBlocks": under,
        "LowRedundancyBlocks": under,
        "ScheduledReplicationBlocks": 0,
        "PendingDeletionBlocks": 0,
    }
    percent_used = 100.0 * cap.used / cap.total if cap.total else 100.0
    percent_remaining = 100.0 * cap.remaining / cap.total if cap.total else 0.0
    host_port = f"{nn.settings.advertised_host}:{nn.rpc_port}"
    return [
        {
            "name": "Hadoop:service=NameNode,name=NameNodeInfo",
            "modelerType": "org.apache.hadoop.hdfs.server.namenode.FSNamesystem",
            "Total": cap.total,
            "Used": cap.used,
            "Free": cap.remaining,
            "NonDfsUsedSpace": cap.non_dfs,
            "PercentUsed": percent_used,
            "PercentRemaining": percent_remaining,
            "BlockPoolUsedSpace": cap.used,
            "PercentBlockPoolUsed": percent_used,
            "CacheCapacity": 0,
            "CacheUsed": 0,
            "Safemode": nn.blocks.safe_mode_tip() if nn.in_safe_mode else "",
            "TotalBlocks": blocks,
            "TotalFiles": inodes,
            "NumberOfMissingBlocks": len(missing),
            "NumberOfMissingBlocksWithReplicationFactorOne": sum(
                1 for s in missing if s.replication == 1
            ),
            "Threads": 1,
            **_node_maps(reports, now),
            "EnteringMaintenanceNodes": "{}",
            "ClusterId": identity["clusterID"],
            "BlockPoolId": identity["blockpoolID"],
            "NameDirStatuses": json.dumps(
                {"active": {str(nn.settings.state_dir): "IMAGE_AND_EDITS"}, "failed": {}}
            ),
            "CorruptFiles": "[]",
            "NumberOfSnapshottableDirs": 0,
            "DistinctVersionCount": 1 if live else 0,
            "DistinctVersions": [{"key": HADOOP_VERSION, "value": len(live)}] if live else [],
            "SoftwareVersion": HADOOP_VERSION,
            "Version": f"{HADOOP_VERSION}, remr",
            "UpgradeFinalized": True,
            "RollingUpgradeStatus": None,
        },
        {
            "name": "Hadoop:service=NameNode,name=FSNamesystem",
            "modelerType": "FSNamesystem",
            "tag.Context": "dfs",
            "tag.HAState": "active",
            "tag.Hostname": nn.settings.advertised_host,
            "MissingBlocks": len(missing),
            "MissingReplOneBlocks": sum(1 for s in missing if s.replication == 1),
            "ExpiredHeartbeats": len(dead),
            "LastWrittenTransactionId": nn.namespace.last_txid,
            "CapacityTotalGB": round(cap.total / gb),
            "CapacityUsedGB": round(cap.used / gb),
            "CapacityRemainingGB": round(cap.remaining / gb),
            "CapacityUsedNonDFS": cap.non_dfs,
            **shared,
            "NumFilesUnderConstruction": len(nn.namespace.open_files()),
            "CorruptBlocks": corrupt,
            "LowRedundancyReplicatedBlocks": under,
            "HighestPriorityLowRedundancyReplicatedBlocks": sum(
                1 for s in under_replicated if len(s.live) + len(s.decommissioning) == 1
            ),
            "HighestPriorityLowRedundancyECBlocks": 0,
            "CorruptReplicatedBlocks": corrupt,
            "MissingReplicatedBlocks": len(missing),
            "ExcessBlocks": 0,
            "PostponedMisreplicatedBlocks": 0,
            "BlockCapacity": 2**22,
            **counts,
        },
        {
            "name": "Hadoop:service=NameNode,name=FSNamesystemState",
            "modelerType": "org.apache.hadoop.hdfs.server.namenode.FSNamesystem",
            **shared,
            "FSState": "safeMode" if nn.in_safe_mode else "Operational",
            "SnapshotStats": json.dumps({"SnapshottableDirectories": 0, "Snapshots": 0}),
            "NumEncryptionZones": 0,
            "FsLockQueueLength": 0,
            "MaxObjects": 0,
            "BlockDeletionStartTime": 0,
            **counts,
        },
        {
            "name": "Hadoop:service=NameNode,name=NameNodeStatus",
            "modelerType": "org.apache.hadoop.hdfs.server.namenode.NameNode",
            "NNRole": "NameNode",
            "HostAndPort": host_port,
            "SecurityEnabled": False,
            "LastHATransitionTime": 0,
            "BytesWithFutureGenerationStamps": 0,
            "State": "active",
        },
    ]
