"""A region: the settings, state, identities, providers and gateway of one `emr server`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from emr.datadir import open_state
from emr.gateway.chain import Gateway
from emr.gateway.routing import ServiceCatalog
from emr.identity import AccessKeyStore
from emr.services.emr.provider import EmrProvider
from emr.services.provider import Provider
from emr.services.s3.provider import S3Provider
from emr.services.s3.store import ObjectStore
from emr.services.s3.store.filesystem import FilesystemObjectStore
from emr.services.sts import StsProvider
from emr.settings import Settings
from emr.state import Database

__all__ = ["Region", "open_region"]


@dataclass
class Region:
    """Everything a running region endpoint holds."""

    settings: Settings
    database: Database
    keys: AccessKeyStore
    object_store: ObjectStore
    gateway: Gateway

    async def close(self) -> None:
        await self.object_store.close()
        self.database.dispose()


def open_region(settings: Settings) -> Region:
    """Open state and assemble the gateway with every provider."""
    database, keys = open_state(settings)
    object_store = FilesystemObjectStore(
        settings.s3_root, min_part_size=settings.s3_min_part_size_bytes
    )
    providers: list[Provider] = [
        StsProvider(),
        S3Provider(object_store, region=settings.region),
        EmrProvider(database),
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
    )
