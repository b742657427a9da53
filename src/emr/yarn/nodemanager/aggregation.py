"""Log aggregation: a finished application's container logs to the cluster's LogUri.

EMR's layout: `<LogUri>/<cluster-id>/containers/<application id>/<container id>/<file>.gz`,
one gzip per log file of the container's log dir (stdout, stderr, syslog, …). Without a
LogUri the logs stay where the containers wrote them, `<node>/logs/userlogs/<app>/<container>/`
(yarn.nodemanager.log-dirs), which is the only copy; they are never deleted by the NodeManager.

LIMITATIONS: Hadoop's TFile/IFile aggregated format (`/tmp/logs/<user>/logs/<app>` in the
default FS) is not written; `yarn logs -applicationId` has to read the EMR layout.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from emr.nodes.agent.storage import NodeS3, S3Location, normalize_log_uri
from emr.nodes.protocol import AgentConfig
from emr.yarn.nodemanager.container import ContainerRecord

__all__ = ["LogAggregator", "container_log_prefix"]

log = logging.getLogger(__name__)


def container_log_prefix(
    log_uri: str, cluster_id: str, application_id: str, container_id: str
) -> S3Location | None:
    """`<LogUri>/<cluster-id>/containers/<app>/<container>/` (None: LogUri is not s3://)."""
    root = normalize_log_uri(log_uri)
    if root is None:
        return None
    return root.child(cluster_id, "containers", application_id, container_id, "")


class LogAggregator:
    """Uploads the log files of finished containers with the node's credentials."""

    def __init__(self, config: AgentConfig) -> None:
        self._config = config
        self._s3 = NodeS3(config)

    @property
    def enabled(self) -> bool:
        return bool(self._config.log_uri)

    async def aggregate(self, application_id: str, records: Sequence[ContainerRecord]) -> int:
        """Upload every log file of `records`; returns how many files were uploaded."""
        log_uri = self._config.log_uri
        if not log_uri:
            return 0
        uploaded = 0
        for record in records:
            prefix = container_log_prefix(
                log_uri, self._config.cluster_id, application_id, record.container_id
            )
            if prefix is None or not record.log_dir.is_dir():
                continue
            files = {p.name: p for p in sorted(record.log_dir.iterdir()) if p.is_file()}
            await self._s3.upload_gzipped(files, prefix)
            uploaded += len(files)
        log.info("%s: %d log files aggregated to %s", application_id, uploaded, log_uri)
        return uploaded
