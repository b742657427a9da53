"""spark-submit's command line, as Spark's SparkSubmitArguments reads it, and the properties
it resolves: spark-defaults.conf of $SPARK_CONF_DIR, then --properties-file, then --conf, then
the dedicated options (--executor-memory and friends), later winning.

Only what emr.spark.submit needs to decide is interpreted; every option is kept in order so the
driver's own spark-submit sees the user's command line (minus --master and --deploy-mode, which
this platform decides) and applies its own rules to it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

__all__ = [
    "RESOURCE_OPTIONS",
    "SubmitArguments",
    "SubmitUsageError",
    "parse_submit_arguments",
    "read_properties",
]


class SubmitUsageError(Exception):
    """A command line spark-submit would refuse (the message is Spark's)."""


#: Options taking a value, as SparkSubmitOptionParser lists them.
_WITH_VALUE: Final = frozenset(
    {
        "--archives",
        "--class",
        "--conf",
        "-c",
        "--deploy-mode",
        "--driver-class-path",
        "--driver-cores",
        "--driver-java-options",
        "--driver-library-path",
        "--driver-memory",
        "--executor-cores",
        "--executor-memory",
        "--exclude-packages",
        "--files",
        "--jars",
        "--keytab",
        "--kill",
        "--master",
        "--name",
        "--num-executors",
        "--packages",
        "--principal",
        "--properties-file",
        "--proxy-user",
        "--py-files",
        "--queue",
        "--remote",
        "--repositories",
        "--status",
        "--total-executor-cores",
    }
)
_FLAGS: Final = frozenset(
    {"--help", "-h", "--supervise", "--usage-error", "--verbose", "-v", "--version"}
)
#: Options naming files the driver needs (comma-separated lists).
RESOURCE_OPTIONS: Final = ("--files", "--py-files", "--jars", "--archives")
#: The dedicated options and the property each one sets.
_PROPERTY_OF: Final = {
    "--name": "spark.app.name",
    "--driver-memory": "spark.driver.memory",
    "--driver-cores": "spark.driver.cores",
    "--executor-memory": "spark.executor.memory",
    "--executor-cores": "spark.executor.cores",
    "--num-executors": "spark.executor.instances",
    "--queue": "spark.yarn.queue",
    "--master": "spark.master",
    "--deploy-mode": "spark.submit.deployMode",
}


@dataclass
class SubmitArguments:
    """One spark-submit command line, split into options, the primary resource and its
    arguments."""

    #: (option, value or None) in command-line order, `--opt=value` split.
    options: list[tuple[str, str | None]] = field(default_factory=list)
    primary: str | None = None
    app_args: list[str] = field(default_factory=list)

    def values(self, option: str) -> list[str]:
        return [value for name, value in self.options if name == option and value is not None]

    def last(self, option: str) -> str | None:
        found = self.values(option)
        return found[-1] if found else None

    def has(self, *flags: str) -> bool:
        return any(name in flags for name, _ in self.options)

    def listed(self, option: str) -> list[str]:
        """A comma-separated resource option's entries, over every occurrence."""
        return [item for value in self.values(option) for item in value.split(",") if item]

    def conf(self, environ: Mapping[str, str]) -> dict[str, str]:
        """The properties in force: spark-defaults.conf (or --properties-file instead, as
        Spark does), --conf, then the dedicated options."""
        properties_file = self.last("--properties-file")
        if properties_file is not None:
            properties = read_properties(Path(properties_file))
        else:
            conf_dir = environ.get("SPARK_CONF_DIR")
            properties = read_properties(Path(conf_dir) / "spark-defaults.conf") if conf_dir else {}
        for name, value in self.options:
            if name in ("--conf", "-c") and value is not None:
                key, sep, setting = value.partition("=")
                if not sep or not key:
                    raise SubmitUsageError(f"Spark config without '=': {value}")
                properties[key.strip()] = setting
        for name, value in self.options:
            if name in _PROPERTY_OF and value is not None:
                properties[_PROPERTY_OF[name]] = value
        if self.primary is not None and not self.primary.endswith(".py"):
            main_class = self.last("--class")
            if main_class:
                properties.setdefault("spark.app.name", main_class)
        elif self.primary is not None:
            properties.setdefault("spark.app.name", Path(self.primary).name)
        return properties


def parse_submit_arguments(argv: Sequence[str]) -> SubmitArguments:
    """Split argv as SparkSubmitOptionParser does: options up to the first non-option (the
    primary resource), everything after it belongs to the application."""
    parsed = SubmitArguments()
    index = 0
    while index < len(argv):
        arg = argv[index]
        name, sep, inline = arg.partition("=")
        if sep and name in _WITH_VALUE:
            parsed.options.append((name, inline))
        elif arg in _WITH_VALUE:
            if index + 1 >= len(argv):
                raise SubmitUsageError(f"Missing argument for option '{arg}'.")
            parsed.options.append((arg, argv[index + 1]))
            index += 1
        elif arg in _FLAGS:
            parsed.options.append((arg, None))
        elif arg.startswith("-") and arg != "-":
            raise SubmitUsageError(f"Unrecognized option '{arg}'.")
        else:
            parsed.primary = arg
            parsed.app_args = list(argv[index + 1 :])
            return parsed
        index += 1
    return parsed


def read_properties(path: Path) -> dict[str, str]:
    """A spark-defaults.conf style file: `key value` or `key=value` lines, # comments."""
    properties: dict[str, str] = {}
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return properties
    except OSError as exc:
        raise SubmitUsageError(f"Cannot read properties file {path}: {exc}") from exc
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", "!")):
            continue
        cut = min(
            (i for i in (line.find(" "), line.find("\t"), line.find("=")) if i > 0), default=-1
        )
        if cut < 0:
            properties[line] = ""
            continue
        key, value = line[:cut], line[cut + 1 :].strip()
        properties[key] = value.removeprefix("=").strip() if line[cut] != "=" else value
    return properties
