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
