"""The one typed settings object, built once at start-up and passed down.

Sources, highest priority first: CLI flags (passed as keyword arguments), environment
variables prefixed `EMR_`, an optional TOML config file (`--config` or `EMR_CONFIG_FILE`),
then the defaults below. Nothing reads the environment at import time.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import platformdirs
from pydantic import Field
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

__all__ = ["DEFAULT_PORT", "Settings", "load_settings"]

#: The region endpoint's documented default port.
DEFAULT_PORT = 4599


def _default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir("emr", appauthor=False))


class Settings(BaseSettings):
    """Everything configurable about a region server and the CLI that talks to it."""

    model_config = SettingsConfigDict(env_prefix="EMR_", extra="forbid")

    host: str = Field(default="127.0.0.1", description="Address the region endpoint binds.")
    port: int = Field(default=DEFAULT_PORT, ge=0, le=65535, description="0 picks a free port.")
    data_dir: Path = Field(default_factory=_default_data_dir)
    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL; default: SQLite in WAL mode in the data dir."
    )
    region: str = "us-east-1"
    account_id: str = Field(default="123456789012", pattern=r"^\d{12}$")
    max_clock_skew_seconds: int = Field(default=900, ge=1)
    s3_min_part_size_bytes: int = Field(
        default=5 * 1024 * 1024,
        ge=1,
        description="EntityTooSmall below this (all but the last part).",
    )
    log_level: str = "info"
    node_memory_scale: float = Field(
        default=0.25,
        gt=0,
        le=1,
        description="A node offers its instance type's memory times this (see instance_types).",
    )
    agent_heartbeat_timeout_seconds: float = Field(
        default=30, gt=0, description="A node silent this long is lost (INSTANCE_FAILURE)."
    )
    agent_orphan_timeout_seconds: float = Field(
        default=600,
        gt=0,
        description="A node agent that cannot reach its region this long stops its node.",
    )

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'state.db'}"

    @property
    def s3_root(self) -> Path:
        """Where the embedded object store keeps bytes and their index."""
        return self.data_dir / "s3"

    @property
    def nodes_root(self) -> Path:
        """Where the local node provider keeps each cluster's node directories."""
        return self.data_dir / "clusters"

    @property
    def server_info_path(self) -> Path:
        """Where a running server announces its URL and pid (`server.json`)."""
        return self.data_dir / "server.json"


class _FileSettings(Settings):
    """Settings whose lowest-priority source is a TOML file chosen at run time."""

    config_file: Path | None = Field(default=None, exclude=True)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        path = _config_file_path(init_settings)
        if path is not None:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=path))
        return tuple(sources)


def _config_file_path(init_settings: PydanticBaseSettingsSource) -> Path | None:
    explicit = init_settings().get("config_file")
    raw = explicit if explicit is not None else os.environ.get("EMR_CONFIG_FILE")
    return Path(raw) if raw else None


def load_settings(config_file: Path | None = None, **overrides: Any) -> Settings:
    """Settings from flags (`overrides`, None values ignored), environment and config file."""
    given = {name: value for name, value in overrides.items() if value is not None}
    loaded = _FileSettings(config_file=config_file, **given)
    return Settings.model_validate(loaded.model_dump(exclude={"config_file"}))
