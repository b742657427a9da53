"""`emr server`, `emr env` and `emr credentials` as a user runs them: start, stop, crash, restart."""

from __future__ import annotations

import json
import signal
import socket
import stat
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import RunningServer, emr_command

pytestmark = pytest.mark.integration


def test_clean_stop_exits_zero_and_restart_keeps_the_root_key(
    server_factory: Callable[..., RunningServer], tmp_path: Path
) -> None:
    data_dir = tmp_path / "data"
    first = server_factory(data_dir)
    info = json.loads((data_dir / "server.json").read_text())
    assert info["url"] == first.url
    assert info["pid"] == first.process.pid
    assert first.client("sts").get_caller_identity()["Account"] == "123456789012"
    assert first.stop(signal.SIGTERM) == 0
    assert not (data_dir / "server.json").exists()

    second = server_factory(data_dir)
    assert second.env["AWS_ACCESS_KEY_ID"] == first.env["AWS_ACCESS_KEY_ID"]
    assert second.env["AWS_SECRET_ACCESS_KEY"] == first.env["AWS_SECRET_ACCESS_KEY"]
    old_credentials = first.session()
    assert second.client("sts", old_credentials).get_caller_identity()["Arn"].endswith(":root")
    assert second.stop(signal.SIGINT) == 0


def test_kill_9_loses_nothing(server_factory: Callable[..., RunningServer], tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    first = server_factory(data_dir)
    first.client("sts").get_caller_identity()
    first.stop(signal.SIGKILL)
    second = server_factory(data_dir)
    assert second.env == {**first.env, "AWS_ENDPOINT_URL": second.url}
    assert second.client("sts", first.session()).get_caller_identity()["Account"]


def test_secrets_are_private(region: RunningServer) -> None:
    assert stat.S_IMODE(region.data_dir.stat().st_mode) == 0o700
    for name in ("state.db", "state.db-wal", "state.db-shm"):
        path = region.data_dir / name
        if path.exists():
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, name
    log = region.data_dir.parent / f"{region.data_dir.name}-server.log"
    region.client("sts").get_caller_identity()
    assert region.env["AWS_SECRET_ACCESS_KEY"] not in log.read_text()


def test_env_prints_exactly_four_export_lines(region: RunningServer) -> None:
    printed = emr_command("env", "--data-dir", str(region.data_dir)).stdout.splitlines()
    assert [line.split("=", 1)[0] for line in printed] == [
        "export AWS_ENDPOINT_URL",
        "export AWS_ACCESS_KEY_ID",
        "export AWS_SECRET_ACCESS_KEY",
        "export AWS_DEFAULT_REGION",
    ]
    assert printed[0] == f"export AWS_ENDPOINT_URL={region.url}"
    assert printed[3] == "export AWS_DEFAULT_REGION=us-east-1"

    with_port = emr_command("env", "--data-dir", str(region.data_dir), "--port", "4321")
    assert with_port.stdout.splitlines()[0] == "export AWS_ENDPOINT_URL=http://127.0.0.1:4321"


def test_env_finds_the_data_dir_in_the_environment(region: RunningServer) -> None:
    import os

    environment = {**os.environ, "EMR_DATA_DIR": str(region.data_dir)}
    printed = emr_command("env", env=environment).stdout.splitlines()
    assert printed[0] == f"export AWS_ENDPOINT_URL={region.url}"


def test_credentials_prints_the_root_key(region: RunningServer) -> None:
    result = emr_command("credentials", "--json", "--data-dir", str(region.data_dir))
    assert result.returncode == 0
    printed = json.loads(result.stdout)
    assert printed["AccessKeyId"] == region.env["AWS_ACCESS_KEY_ID"]
    assert printed["SecretAccessKey"] == region.env["AWS_SECRET_ACCESS_KEY"]
    assert printed["Arn"] == "arn:aws:iam::123456789012:root"


def test_port_in_use_is_a_clear_error(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = emr_command("server", "--port", str(port), "--data-dir", str(tmp_path / "d"))
    assert result.returncode == 2
    assert "cannot listen on 127.0.0.1" in result.stderr
    assert "Traceback" not in result.stderr


def test_invalid_setting_is_a_clear_error(tmp_path: Path) -> None:
    result = emr_command("server", "--port", "70000", "--data-dir", str(tmp_path / "d"))
    assert result.returncode == 2
    assert "invalid settings" in result.stderr
    assert "Traceback" not in result.stderr
