"""Settings come from flags, then EMR_ variables, then a TOML file, then defaults."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from emr.settings import DEFAULT_PORT, load_settings


def test_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("EMR_PORT", "EMR_HOST", "EMR_DATA_DIR", "EMR_CONFIG_FILE", "EMR_REGION"):
        monkeypatch.delenv(name, raising=False)
    settings = load_settings()
    assert (settings.host, settings.port, settings.region) == (
        "127.0.0.1",
        DEFAULT_PORT,
        "us-east-1",
    )
    assert settings.account_id == "123456789012"
    assert settings.resolved_database_url.endswith("/state.db")


def test_precedence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "emr.toml"
    config.write_text('port = 1111\nregion = "eu-west-1"\nhost = "127.0.0.2"\n')
    monkeypatch.setenv("EMR_CONFIG_FILE", str(config))
    monkeypatch.setenv("EMR_PORT", "2222")
    settings = load_settings(host="127.0.0.3")
    assert (settings.port, settings.region, settings.host) == (2222, "eu-west-1", "127.0.0.3")
    assert load_settings(port=3333).port == 3333


def test_bad_values_are_refused() -> None:
    with pytest.raises(ValidationError):
        load_settings(port=70000)
    with pytest.raises(ValidationError):
        load_settings(account_id="12")
    with pytest.raises(ValidationError):
        load_settings(no_such_setting=1)
