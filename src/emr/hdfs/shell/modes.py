"""`-chmod` modes (octal or symbolic, as Hadoop's ChmodParser reads them) and `-chown`/`-chgrp`
owner specs. Pure."""

from __future__ import annotations

import re
from dataclasses import dataclass

from emr.hdfs.shell.errors import UsageError

__all__ = ["ChmodMode", "parse_chgrp", "parse_chmod", "parse_chown"]

_OCTAL = re.compile(r"^\s*[+]?([01]?)([0-7]{3})\s*$")
_CLAUSE = re.compile(r"\s*([ugoa]*)([+=-]+)([rwxXt]+)([,\s]*)\s*")
_NAME = r"[-_./@a-zA-Z0-9]"
_CHOWN = re.compile(rf"^\s*({_NAME}+)?([:]({_NAME}*))?\s*$")
_CHGRP = re.compile(rf"^\s*({_NAME}+)\s*$")


@dataclass(frozen=True)
class _Clause:
    who: str
    op: str
    perms: str


@dataclass(frozen=True)
class ChmodMode:
    """An octal mode, or symbolic clauses applied in order."""

    octal: int | None
    clauses: tuple[_Clause, ...] = ()

    def apply(self, existing: int, is_dir: bool) -> int:
        """The new permission for a path with `existing` bits (X: only dirs or executables)."""
        if self.octal is not None:
            return self.octal
        mode = existing & 0o1777
        for clause in self.clauses:
            mode = _apply_clause(clause, mode, is_dir or bool(existing & 0o111))
        return mode


def _apply_clause(clause: _Clause, mode: int, exe_ok: bool) -> int:
    who = clause.who or "a"
    if "a" in who:
        who = "ugo"
    bits = 0
    if "r" in clause.perms:
        bits |= 4
    if "w" in clause.perms:
        bits |= 2
    if "x" in clause.perms or ("X" in clause.perms and exe_ok):
        bits |= 1
    sticky = "t" in clause.perms and ("o" in who)
    for shift, letter in ((6, "u"), (3, "g"), (0, "o")):
        if letter not in who:
            continue
        current = (mode >> shift) & 7
        if clause.op == "+":
            current |= bits
        elif clause.op == "-":
            current &= ~bits
        else:
            current = bits
        mode = (mode & ~(7 << shift)) | (current << shift)
    if sticky or (clause.op == "=" and "o" in who):
        if clause.op == "-":
            mode &= ~0o1000
        elif sticky:
            mode |= 0o1000
        else:
            mode &= ~0o1000
    return mode


def parse_chmod(text: str) -> ChmodMode:
    """An octal (`755`, `1777`) or symbolic (`u+x,go-w`, `a=rX`) mode; UsageError as Hadoop."""
    octal = _OCTAL.match(text)
    if octal:
        sticky = octal.group(1)
        return ChmodMode((int(sticky) << 9 if sticky else 0) | int(octal.group(2), 8))
    clauses = []
    position = 0
    while position < len(text):
        match = _CLAUSE.match(text, position)
        if match is None or match.end() == position:
            break
        clauses.append(_Clause(match.group(1), match.group(2)[-1], match.group(3)))
        position = match.end()
    if not clauses or position != len(text):
        raise UsageError(f"chmod : mode '{text}' does not match the expected pattern.")
    return ChmodMode(None, tuple(clauses))


def parse_chown(text: str) -> tuple[str | None, str | None]:
    """`owner`, `owner:group`, `:group` (owner or group None when not given)."""
    match = _CHOWN.match(text)
    if match is None:
        raise UsageError(f"'{text}' does not match expected pattern for [owner][:group].")
    owner = match.group(1)
    group = match.group(3) or None
    if owner is None and group is None:
        raise UsageError(f"'{text}' does not specify owner or group.")
    return owner, group


def parse_chgrp(text: str) -> str:
    match = _CHGRP.match(text)
    if match is None:
        raise UsageError(f"'{text}' does not match expected pattern for group")
    return match.group(1)
