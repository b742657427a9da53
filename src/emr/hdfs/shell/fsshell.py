"""Hadoop's FsShell: `hadoop fs` / `hdfs dfs` — generic options, the command table, usage and
help text, and the exit codes (a command's own; -1 for usage errors and unknown commands)."""

from __future__ import annotations

import traceback
from collections.abc import Mapping
from typing import TextIO

from emr.hdfs.shell.command import Command, Streams
from emr.hdfs.shell.commands_copy import (
    AppendToFile,
    CopyFromLocal,
    CopyToLocal,
    Cp,
    GetMerge,
    MoveFromLocal,
    Mv,
)
from emr.hdfs.shell.commands_read import (
    Cat,
    Checksum,
    Count,
    Df,
    Du,
    Head,
    Ls,
    Stat,
    Tail,
    Test,
    Text,
)
from emr.hdfs.shell.commands_write import (
    Chgrp,
    Chmod,
    Chown,
    Mkdir,
    Rm,
    Rmdir,
    SetReplication,
    Touchz,
)
from emr.hdfs.shell.errors import UsageError
from emr.hdfs.shell.items import Context
from emr.hdfs.shell.options import GENERIC_OPTIONS_USAGE
from emr.hdfs.site import HadoopConf

__all__ = ["COMMANDS", "USAGE_PREFIX", "run_fs_shell"]

USAGE_PREFIX = "hadoop fs [generic options]"

_CLASSES: tuple[type[Command], ...] = (
    AppendToFile,
    Cat,
    Checksum,
    Chgrp,
    Chmod,
    Chown,
    CopyFromLocal,
    CopyToLocal,
    Count,
    Cp,
    Df,
    Du,
    GetMerge,
    Head,
    Ls,
    Mkdir,
    MoveFromLocal,
    Mv,
    Rm,
    Rmdir,
    SetReplication,
    Stat,
    Tail,
    Test,
    Text,
    Touchz,
)

#: "-name" → command class, one entry per alias.
COMMANDS: dict[str, type[Command]] = {f"-{name}": cls for cls in _CLASSES for name in cls.names}
_HELP_USAGE = {"-help": "[cmd ...]", "-usage": "[cmd ...]"}


def _usage_of(name: str) -> str:
    if name in _HELP_USAGE:
        return f"{name} {_HELP_USAGE[name]}"
    return f"{name} {COMMANDS[name].usage}"


def _all_names() -> list[str]:
    """CommandFactory.getNames: sorted as Java sorts strings (case-sensitive)."""
    return sorted({*COMMANDS, *_HELP_USAGE})


def full_usage() -> str:
    """FsShell.printUsage: the prefix, one `[usage]` line per command, the generic options."""
    lines = [f"Usage: {USAGE_PREFIX}"] + [f"\t[{_usage_of(n)}]" for n in _all_names()]
    return "\n".join(lines) + "\n\n" + GENERIC_OPTIONS_USAGE


def _help_of(name: str) -> str:
    if name == "-help":
        description = "Displays help for given command or all commands if none is specified."
    elif name == "-usage":
        description = "Displays the usage for given command or all commands if none is specified."
    else:
        description = COMMANDS[name].description
    body = "\n".join("  " + line for line in description.split("\n"))
    return f"{_usage_of(name)} :\n{body}\n"


def _generic_options(args: list[str], conf: HadoopConf) -> tuple[list[str], HadoopConf]:
    """Strip -D k=v, -fs, -conf, -jt, -files, -libjars, -archives (GenericOptionsParser)."""
    properties = dict(conf.properties)
    rest = list(args)
    while rest:
        arg = rest[0]
        if arg.startswith("-D") and len(arg) > 2:
            key, _, value = arg[2:].partition("=")
            properties[key] = value
            rest.pop(0)
        elif arg == "-D" and len(rest) > 1:
            key, _, value = rest[1].partition("=")
            properties[key] = value
            del rest[:2]
        elif arg == "-fs" and len(rest) > 1:
            properties["fs.defaultFS"] = rest[1]
            del rest[:2]
        elif arg in ("-conf", "-jt", "-files", "-libjars", "-archives") and len(rest) > 1:
            del rest[:2]
        else:
            break
    return rest, HadoopConf(properties)


def _usage_error(name: str, message: str, err: TextIO) -> int:
    """FsShell.run's IllegalArgumentException branch: the message, every usage, then the
    command's own usage when the command exists."""
    for line in message.split("\n"):
        err.write(f"{name}: {line}\n")
        if not name.startswith("-") and f"-{name}" in COMMANDS:
            err.write(f"Did you mean -{name}?  This command begins with a dash.\n")
    err.write(full_usage())
    if name in COMMANDS or name in _HELP_USAGE:
        err.write(f"Usage: {USAGE_PREFIX} {_usage_of(name)}\n")
    return -1


def run_fs_shell(
    args: list[str], conf: HadoopConf, user: str, environ: Mapping[str, str], streams: Streams
) -> int:
    """FsShell.run: the exit code of `hadoop fs <args>`."""
    args, conf = _generic_options(args, conf)
    err = streams.stderr
    if not args:
        err.write(full_usage())
        return -1
    name, rest = args[0], args[1:]
    if name in _HELP_USAGE:
        try:
            return _help(name, rest, streams)
        except UsageError as error:
            return _usage_error(name, str(error), err)
    cls = COMMANDS.get(name)
    if cls is None:
        return _usage_error(name, "Unknown command", err)
    context = Context(conf, user, environ)
    command = cls(context, streams)
    try:
        return command.run(rest)
    except UsageError as error:
        command.flush()
        return _usage_error(name, str(error), err)
    except BrokenPipeError:
        err.write(f"{name[1:]}: Unable to write to output stream.\n")
        return 1
    except Exception:
        # Hadoop's answer to the unexpected: the message, then the stack trace.
        err.write(f"{name}: Fatal internal error\n")
        err.write(traceback.format_exc())
        return -1
    finally:
        context.close()


def _help(name: str, rest: list[str], streams: Streams) -> int:
    """-usage / -help: all commands, or the named ones (`ls` or `-ls`)."""
    out = streams.stdout
    if not rest:
        if name == "-usage":
            out.write(full_usage().encode())
        else:
            short, generic = full_usage().split("\n\n", 1)
            helps = "".join(f"\n{_help_of(n)}" for n in _all_names())
            out.write(f"{short}\n{helps}\n{generic}".encode())
        return 0
    for command in rest:
        key = f"-{command}"
        if key not in COMMANDS and key not in _HELP_USAGE:
            raise UsageError(f"`{command}': Unknown command")
        if name == "-usage":
            out.write(f"Usage: {USAGE_PREFIX} {_usage_of(key)}\n".encode())
        else:
            out.write(_help_of(key).encode())
    return 0
