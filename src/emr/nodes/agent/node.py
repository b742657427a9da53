"""What every part of the agent shares about its node."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from emr.nodes.agent.region_link import RegionLink
from emr.nodes.agent.storage import NodeS3, S3Location, normalize_log_uri
from emr.nodes.layout import NodeLayout, node_environment
from emr.nodes.protocol import AgentConfig

__all__ = ["Node"]


@dataclass
class Node:
    """The node's config, directory, environment and its links to the region and S3."""

    config: AgentConfig
    layout: NodeLayout
    region: RegionLink
    s3: NodeS3
    env: dict[str, str] = field(default_factory=dict)
    #: The cluster's LogUri as an s3:// prefix (None: logs stay on the node).
    log_prefix: S3Location | None = None

    @classmethod
    def create(cls, config: AgentConfig, layout: NodeLayout) -> Node:
        return cls(
            config=config,
            layout=layout,
            region=RegionLink(config),
            s3=NodeS3(config),
            env=node_environment(layout, config, os.environ),
            log_prefix=normalize_log_uri(config.log_uri) if config.log_uri else None,
        )

    def node_log_prefix(self, *parts: str) -> S3Location | None:
        """`<log_uri>/<cluster-id>/<parts…>/` (None without a LogUri)."""
        if self.log_prefix is None:
            return None
        return self.log_prefix.child(self.config.cluster_id, *parts, "")

    async def spawn(
        self,
        argv: Sequence[str],
        *,
        cwd: Path,
        stdout: IO[bytes] | int,
        stderr: IO[bytes] | int,
        stdin: int = asyncio.subprocess.DEVNULL,
        extra_env: dict[str, str] | None = None,
    ) -> asyncio.subprocess.Process:
        """Start `argv` in the node's environment, in its own session and process group."""
        env = {**self.env, **extra_env} if extra_env else self.env
        return await asyncio.create_subprocess_exec(
            *argv,
            stdin=stdin,
            stdout=stdout,
            stderr=stderr,
            cwd=cwd,
            env=env,
            start_new_session=True,
        )
