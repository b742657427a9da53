"""The data directory: private to its owner, holding the migrated database and the root key.

Kept apart from `emr.region` so that `emr env` and `emr credentials` open state without
importing the gateway and every service.
"""

from __future__ import annotations

import json
import os

from emr.errors import ConfigurationError
from emr.identity import AccessKeyStore
from emr.settings import Settings
from emr.state import Database, open_database

__all__ = ["open_state", "prepare_data_dir", "read_server_info"]


def open_state(settings: Settings) -> tuple[Database, AccessKeyStore]:
    """The data dir, migrated database and root key, created on first use."""
    prepare_data_dir(settings)
    database = open_database(settings.resolved_database_url)
    keys = AccessKeyStore(database)
    keys.ensure_root_key(settings.account_id)
    return database, keys


def prepare_data_dir(settings: Settings) -> None:
    """Create the data dir private to its owner (it holds secrets)."""
    try:
        settings.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(settings.data_dir, 0o700)
    except OSError as exc:
        raise ConfigurationError(f"cannot use data dir {settings.data_dir}: {exc}") from exc


def read_server_info(settings: Settings) -> dict[str, object] | None:
    """What a running (or crashed) server wrote to `server.json`, if anything."""
    try:
        loaded = json.loads(settings.server_info_path.read_text())
    except (OSError, ValueError):
        return None
    return loaded if isinstance(loaded, dict) else None
