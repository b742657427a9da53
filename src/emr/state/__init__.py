"""Control-plane state: SQLAlchemy 2.x over SQLite (WAL, default) or PostgreSQL, with migrations."""

from emr.state.database import Database, open_database

__all__ = ["Database", "open_database"]
