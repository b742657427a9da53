"""Hadoop's CommandFormat: leading `-opt` flags (no bundling: `-rf` is an illegal option),
`--` ends them, `-` alone is an argument (stdin), then a count check on what is left."""

from __future__ import annotations

from dataclasses import dataclass, field

from emr.hdfs.shell.errors import UsageError

__all__ = ["GENERIC_OPTIONS_USAGE", "ParsedOptions", "parse_options"]

#: Hadoop's GenericOptionsParser help, as every Hadoop tool prints it under its own usage.
GENERIC_OPTIONS_USAGE = """Generic options supported are:
-conf <configuration file>        specify an application configuration file
-D <property=value>               define a value for a given property
-fs <file:///|hdfs://namenode:port> specify default filesystem URL to use, overrides 'fs.defaultFS' property from configurations.
-jt <local|resourcemanager:port>  specify a ResourceManager
-files <file1,...>                specify a comma-separated list of files to be copied to the map reduce cluster
-libjars <jar1,...>               specify a comma-separated list of jar files to be included in the classpath
-archives <archive1,...>          specify a comma-separated list of archives to be unarchived on the compute machines

The general command line syntax is:
command [genericOptions] [commandOptions]
"""

UNBOUNDED = 1 << 31


@dataclass
class ParsedOptions:
    """Flags seen (by name, without the dash), options with values, and the arguments left."""

    flags: set[str] = field(default_factory=set)
    values: dict[str, str] = field(default_factory=dict)
    args: list[str] = field(default_factory=list)

    def __contains__(self, flag: str) -> bool:
        return flag in self.flags


def parse_options(
    args: list[str],
    *,
    min_args: int = 0,
    max_args: int = UNBOUNDED,
    flags: tuple[str, ...] = (),
    with_value: tuple[str, ...] = (),
) -> ParsedOptions:
    """Parse like CommandFormat.parse (UsageError carries Hadoop's message)."""
    parsed = ParsedOptions()
    rest = list(args)
    while rest:
        arg = rest[0]
        if not arg.startswith("-") or arg == "-":
            break
        if arg == "--":
            rest.pop(0)
            break
        name = arg[1:]
        if name in flags:
            rest.pop(0)
            parsed.flags.add(name)
        elif name in with_value:
            rest.pop(0)
            value = ""
            if rest and len(rest) > min_args and not rest[0].startswith("-"):
                value = rest.pop(0)
            parsed.values[name] = value
        else:
            raise UsageError(f"Illegal option {arg}")
    if len(rest) < min_args:
        raise UsageError(f"Not enough arguments: expected {min_args} but got {len(rest)}")
    if len(rest) > max_args:
        raise UsageError(f"Too many arguments: expected {max_args} but got {len(rest)}")
    parsed.args = rest
    return parsed
