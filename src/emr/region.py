"""A region: the settings, state, identities, providers and gateway of one `emr server`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from emr.datadir import open_state
from emr.gateway.chain import Gateway
from emr.gateway.routing import ServiceCatalog
from emr.identity import AccessKeyStore
from emr.nodes.local import LocalNodeProvider
from emr.services.cloudwatch import CloudWatchProvider
from emr.services.emr.provider import EmrProvider
from emr.services.provider import Provider
from emr.services.s3.provider import S3Provider
from emr.services.s3.store import ObjectStore
from emr.services.s3.store.filesystem import FilesystemObjectStore
from emr.services.sts import StsProvider
from emr.settings import Settings
from emr.state import Database
from emr.supervisor import ClusterSupervisor

__all__ = ["Region", "open_region"]


@dataclass
class Region:
    """Everything a running region endpoint holds."""

    settings: Settings
    database: Database
    keys: AccessKeyStore
    object_store: ObjectStore
    gateway: Gateway
    supervisor: ClusterSupervisor

    async def start(self, url: str) -> None:
        """Begin serving at `url`: clusters left live by an earlier run are taken over."""
        await self.supervisor.start(url)

    async def stop(self) -> None:
        """A clean stop: every cluster of this region is terminated and its nodes removed."""
        await self.supervisor.stop()

    async def close(self) -> None:
        await self.object_store.close()
        self.database.dispose()


def open_region(settings: Settings) -> Region:
    """Open state and assemble the gateway with every provider."""
    database, keys = open_state(settings)
    object_store = FilesystemObjectStore(
        settings.s3_root, min_part_size=settings.s3_min_part_size_bytes
    )
    supervisor = ClusterSupervisor(
        database=database,
        keys=keys,
        nodes=LocalNodeProvider(
            settings.nodes_root,
            memory_scale=settings.node_memory_scale,
            orphan_timeout_seconds=settings.agent_orphan_timeout_seconds,
        ),
        region_name=settings.region,
        heartbeat_timeout=timedelta(seconds=settings.agent_heartbeat_timeout_seconds),
    )
    providers: list[Provider] = [
        StsProvider(),
        S3Provider(object_store, region=settings.region),
        EmrProvider(database, supervisor),
        CloudWatchProvider(database),
    ]
    gateway = Gateway(
        ServiceCatalog(),
        {provider.service_name: provider for provider in providers},
        keys,
        region=settings.region,
        max_clock_skew=timedelta(seconds=settings.max_clock_skew_seconds),
    )
    return Region(
        settings=settings,
        database=database,
        keys=keys,
        object_store=object_store,
        gateway=gateway,
        supervisor=supervisor,
    )
