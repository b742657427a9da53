"""Opening the control-plane database: engine, SQLite pragmas, file modes, migrations."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from emr.errors import ConfigurationError

__all__ = ["MIGRATIONS", "SCHEMA_REVISION", "Database", "open_database"]

MIGRATIONS = Path(__file__).parent / "migrations"
#: The newest migration's revision id; a unit test holds it equal to alembic's head.
SCHEMA_REVISION = "0004"


class Database:
    """An engine plus a session factory; `session()` is one transaction."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session committed on success and rolled back on error."""
        with self._sessions.begin() as session:
            yield session

    def dispose(self) -> None:
        self.engine.dispose()


def open_database(url: str) -> Database:
    """Open (creating if needed) and migrate the database at `url` to the newest schema."""
    parsed = make_url(url)
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")  # the driver emr ships
    is_sqlite = parsed.get_backend_name() == "sqlite"
    if is_sqlite and parsed.database and parsed.database != ":memory:":
        _create_private_file(Path(parsed.database))
    engine = create_engine(parsed, pool_pre_ping=not is_sqlite)
    if is_sqlite:
        event.listen(engine, "connect", _sqlite_pragmas)
    try:
        _migrate(engine)
    except SQLAlchemyError as exc:
        engine.dispose()
        shown = parsed.render_as_string(hide_password=True)
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        raise ConfigurationError(f"cannot open database {shown}: {reason}") from exc
    return Database(engine)


def _create_private_file(path: Path) -> None:
    # SQLite gives its -wal and -shm files the database file's mode, so creating the
    # database 0600 up front keeps every secret in it private.
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o600)
    except OSError as exc:
        raise ConfigurationError(f"cannot create database file {path}: {exc}") from exc
    os.close(fd)
    os.chmod(path, 0o600)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def _migrate(engine: Engine) -> None:
    # Importing and running alembic costs ~1 s; a database already at SCHEMA_REVISION
    # (every start but the first after an upgrade) skips it.
    with engine.connect() as connection:
        if inspect(connection).has_table("alembic_version"):
            current = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
            if current == SCHEMA_REVISION:
                return
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
