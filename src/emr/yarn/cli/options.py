"""The option parsing of Hadoop's YARN CLIs (commons-cli's GnuParser) and their help text
(HelpFormatter.printHelp).

An option takes no value, one value, or many: values up to the next `-option`, each split on
`,` (ApplicationCLI's `-appStates RUNNING,ACCEPTED` or `-appStates RUNNING ACCEPTED`).
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final, TextIO

__all__ = [
    "MissingArgument",
    "Option",
    "OptionError",
    "Parsed",
    "help_text",
    "parse",
    "parse_or_help",
]

_WIDTH: Final = 74


class OptionError(ValueError):
    """Arguments commons-cli would refuse (an unknown option)."""


class MissingArgument(OptionError):
    """An option that takes a value was given none."""


@dataclass(frozen=True)
class Option:
    """`-name [<arg>]`; `values`: 0 (a flag), 1, or -1 (unlimited, comma-separated)."""

    name: str
    description: str
    values: int = 0
    arg_name: str = "arg"


@dataclass
class Parsed:
    """What the command line gave: option → its values (empty for a flag), and the rest."""

    options: dict[str, list[str]] = field(default_factory=dict)
    rest: list[str] = field(default_factory=list)

    def has(self, name: str) -> bool:
        return name in self.options

    def value(self, name: str) -> str:
        return self.options[name][0]

    def values(self, name: str) -> list[str]:
        return self.options.get(name, [])

    def others(self, *allowed: str) -> bool:
        """Whether any option outside `allowed` was given (hasAnyOtherCLIOptions)."""
        return any(name not in allowed for name in self.options)


def parse(options: Sequence[Option], args: Sequence[str]) -> Parsed:
    """GnuParser's reading of `args` against `options`."""
    known = {option.name: option for option in options}
    parsed = Parsed()
    n = 0
    while n < len(args):
        arg = args[n]
        n += 1
        if not arg.startswith("-") or arg == "-":
            parsed.rest.append(arg)
            continue
        option = known.get(arg.lstrip("-"))
        if option is None:
            raise OptionError(f"Unrecognized option: {arg}")
        values = parsed.options.setdefault(option.name, [])
        if option.values == 0:
            continue
        if n >= len(args) or args[n].startswith("-"):
            raise MissingArgument(f"Missing argument for option: {option.name}")
        while n < len(args) and not args[n].startswith("-"):
            values += args[n].split(",") if option.values < 0 else [args[n]]
            n += 1
            if option.values > 0 and len(values) >= option.values:
                break
    return parsed


def help_text(command: str, options: Sequence[Option]) -> str:
    """HelpFormatter's `usage: <command>` and its options, sorted, descriptions wrapped."""
    heads = {
        option.name: f" -{option.name}" + (f" <{option.arg_name}>" if option.values else "")
        for option in options
    }
    width = max(len(head) for head in heads.values()) + 3
    lines = [f"usage: {command}"]
    for option in sorted(options, key=lambda o: o.name.lower()):
        wrapped = textwrap.wrap(option.description, _WIDTH - width) or [""]
        lines.append(heads[option.name].ljust(width) + wrapped[0])
        lines += [" " * width + line for line in wrapped[1:]]
    return "\n".join(lines) + "\n"


def parse_or_help(
    command: str, options: Sequence[Option], args: Sequence[str], out: TextIO, err: TextIO
) -> Parsed | None:
    """`parse`, or None once the CLI's answer to bad options is printed: a missing argument on
    stdout, anything else on stderr, each followed by the command's help."""
    try:
        return parse(options, args)
    except MissingArgument:
        out.write("Missing argument for options\n" + help_text(command, options))
    except OptionError as exc:
        err.write(f"{exc}\n" + help_text(command, options))
    return None
