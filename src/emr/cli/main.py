"""`emr`: run the region endpoint and get credentials for it."""

from __future__ import annotations

import json
import logging
import shlex
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from emr import __version__
from emr.cli.agent import agent as agent_command
from emr.errors import ConfigurationError
from emr.settings import Settings, load_settings

if TYPE_CHECKING:
    from emr.identity import SigningIdentity

__all__ = ["app"]

app = typer.Typer(
    name="emr",
    help="A self-hosted Elastic MapReduce: an AWS-compatible region endpoint on your machine.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

DataDirOption = Annotated[
    Path | None, typer.Option("--data-dir", help="Data directory [env EMR_DATA_DIR].")
]
ConfigOption = Annotated[
    Path | None, typer.Option("--config", help="TOML config file [env EMR_CONFIG_FILE].")
]


def _settings(**overrides: object) -> Settings:
    config_file = overrides.pop("config_file", None)
    try:
        return load_settings(config_file=config_file, **overrides)  # type: ignore[arg-type]
    except (ValueError, OSError) as exc:
        _fail(f"invalid settings: {exc}")


def _fail(message: str, code: int = 2) -> NoReturn:
    typer.echo(f"emr: {message}", err=True)
    raise typer.Exit(code)


@app.command()
def server(
    host: Annotated[str | None, typer.Option(help="Address to bind [default 127.0.0.1].")] = None,
    port: Annotated[
        int | None, typer.Option(help="Port; 0 picks a free one [default 4599].")
    ] = None,
    data_dir: DataDirOption = None,
    config: ConfigOption = None,
    database_url: Annotated[str | None, typer.Option(help="SQLAlchemy URL for state.")] = None,
    log_level: Annotated[str | None, typer.Option(help="debug, info, warning, error.")] = None,
) -> None:
    """Run the region endpoint until SIGTERM or Ctrl-C."""
    from emr.server import serve

    settings = _settings(
        host=host, port=port, data_dir=data_dir, config_file=config,
        database_url=database_url, log_level=log_level,
    )  # fmt: skip
    logging.basicConfig(
        level=settings.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
        stream=sys.stderr,
    )
    # httpx logs every request the supervisor makes to agents at INFO.
    logging.getLogger("httpx").setLevel(logging.WARNING)

    def announce(url: str) -> None:
        typer.echo(f"emr region endpoint listening on {url}")
        sys.stdout.flush()

    try:
        serve(settings, announce)
    except ConfigurationError as exc:
        _fail(str(exc))


@app.command()
def env(
    data_dir: DataDirOption = None,
    config: ConfigOption = None,
    port: Annotated[
        int | None, typer.Option(help="Port of the server, if not the recorded one.")
    ] = None,
) -> None:
    """Print the four `export` lines that point boto3 and the aws cli at the server."""
    settings = _settings(data_dir=data_dir, config_file=config)
    identity = _root_identity(settings)
    url = _server_url(settings, port)
    values = {
        "AWS_ENDPOINT_URL": url,
        "AWS_ACCESS_KEY_ID": identity.access_key_id,
        "AWS_SECRET_ACCESS_KEY": identity.secret_access_key,
        "AWS_DEFAULT_REGION": settings.region,
    }
    for name, value in values.items():
        typer.echo(f"export {name}={shlex.quote(value)}")


@app.command()
def credentials(
    data_dir: DataDirOption = None,
    config: ConfigOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
) -> None:
    """Print the root access key of the default account (created on first use)."""
    settings = _settings(data_dir=data_dir, config_file=config)
    identity = _root_identity(settings)
    fields = {
        "AccessKeyId": identity.access_key_id,
        "SecretAccessKey": identity.secret_access_key,
        "Account": identity.principal.account_id,
        "Arn": identity.principal.arn,
    }
    if as_json:
        typer.echo(json.dumps(fields, indent=2))
    else:
        for name, value in fields.items():
            typer.echo(f"{name:<16} {value}")


@app.command()
def demo(
    data_dir: DataDirOption = None,
    keep: Annotated[bool, typer.Option(help="Leave the server running at the end.")] = False,
) -> None:
    """The quickstart: start a region endpoint and use it with boto3 and the aws cli."""
    from emr.cli.demo import run_demo

    raise typer.Exit(run_demo(data_dir, keep=keep))


app.command("agent", hidden=True)(agent_command)


@app.command()
def version() -> None:
    """Print the version."""
    typer.echo(f"emr {__version__}")


def _root_identity(settings: Settings) -> SigningIdentity:
    from emr.datadir import open_state, read_server_info

    if settings.database_url is None:
        recorded = (read_server_info(settings) or {}).get("database_url")
        if isinstance(recorded, str):
            settings = settings.model_copy(update={"database_url": recorded})

    try:
        database, keys = open_state(settings)
    except ConfigurationError as exc:
        _fail(str(exc))
    try:
        return keys.ensure_root_key(settings.account_id)
    finally:
        database.dispose()


def _server_url(settings: Settings, port: int | None) -> str:
    from emr.datadir import read_server_info

    if port is not None:
        return f"http://{settings.host}:{port}"
    info = read_server_info(settings)
    if info is not None and isinstance(info.get("url"), str):
        return str(info["url"])
    return f"http://{settings.host}:{settings.port}"


def _register_cluster_commands() -> None:
    from emr.cli.clusters import register

    register(app, _settings, _root_identity, _server_url)


_register_cluster_commands()
