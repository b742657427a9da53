"""The control-plane database: migrations, the schema revision shortcut, file modes."""

from __future__ import annotations

import stat
from pathlib import Path

from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from emr.identity import AccessKeyStore
from emr.state.database import MIGRATIONS, SCHEMA_REVISION, open_database


def test_schema_revision_is_alembics_head() -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    assert ScriptDirectory.from_config(config).get_current_head() == SCHEMA_REVISION


def test_open_migrates_a_new_database_and_reopens_it(tmp_path: Path) -> None:
    path = tmp_path / "state" / "state.db"
    database = open_database(f"sqlite:///{path}")
    assert "access_keys" in inspect(database.engine).get_table_names()
    key = AccessKeyStore(database).ensure_root_key("123456789012")
    database.dispose()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600

    reopened = open_database(f"sqlite:///{path}")
    assert AccessKeyStore(reopened).ensure_root_key("123456789012") == key
    assert AccessKeyStore(reopened).lookup("AKIANOSUCHKEY0000000") is None
    reopened.dispose()


def test_key_lookups_are_cached_until_forgotten(tmp_path: Path) -> None:
    from sqlalchemy import update

    from emr.state.schema import AccessKeyRow

    database = open_database(f"sqlite:///{tmp_path / 'state.db'}")
    keys = AccessKeyStore(database, cache_seconds=60)
    key = keys.ensure_root_key("123456789012")
    assert keys.lookup(key.access_key_id) == key
    with database.session() as session:
        session.execute(
            update(AccessKeyRow)
            .where(AccessKeyRow.access_key_id == key.access_key_id)
            .values(status="Inactive")
        )
    assert keys.lookup(key.access_key_id) == key  # served from the cache
    keys.forget(key.access_key_id)
    assert keys.lookup(key.access_key_id) is None
    assert AccessKeyStore(database, cache_seconds=0).lookup(key.access_key_id) is None
    database.dispose()


def test_emr_tables_read_timestamps_back_aware_in_utc(tmp_path: Path) -> None:
    from datetime import UTC, datetime, timedelta, timezone

    from sqlalchemy import select

    from emr.state.schema import SecurityConfigurationRow

    database = open_database(f"sqlite:///{tmp_path / 'state.db'}")
    tables = inspect(database.engine).get_table_names()
    assert {"emr_security_configurations", "emr_block_public_access"} <= set(tables)
    paris = datetime(2025, 6, 1, 14, 30, 0, 123456, tzinfo=timezone(timedelta(hours=2)))
    with database.session() as session:
        session.add(
            SecurityConfigurationRow(
                account_id="123456789012",
                region="us-east-1",
                name="x",
                configuration="{}",
                created_at=paris,
            )
        )
    with database.session() as session:
        row = session.scalars(select(SecurityConfigurationRow)).one()
        assert row.created_at.tzinfo is UTC
        assert row.created_at == paris
    database.dispose()
