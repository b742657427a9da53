"""How the FS shell prints things: sizes, permissions, `-ls` lines, `-stat` formats, `-count`
columns, `-du`/`-df` tables. Pure functions of values; field for field as Hadoop's Ls, Stat,
ContentSummary, FsUsage.TableBuilder and StringUtils.TraditionalBinaryPrefix write them."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from emr.hdfs.shell.filesystem import ContentSummary, FileStatus

__all__ = [
    "LsFormatter",
    "Table",
    "count_header",
    "count_line",
    "format_percent",
    "format_size",
    "human_size",
    "permission_string",
    "stat_line",
]

_PREFIXES = ("K", "M", "G", "T", "P", "E")


def _java_fixed(value: float, places: int) -> str:
    """`String.format("%.<places>f", value)`: Java rounds the exact double HALF_UP."""
    quantum = Decimal(1).scaleb(-places)
    return str(Decimal(value).quantize(quantum, rounding=ROUND_HALF_UP))


def human_size(n: int, decimal_places: int = 1) -> str:
    """TraditionalBinaryPrefix.long2String(n, "", 1): `1000`, `1.5 K`, `128 M`."""
    sign = "-" if n < 0 else ""
    n = abs(n)
    if n < 1024:
        return f"{sign}{n}"
    index = 0
    while index + 1 < len(_PREFIXES) and n >= 1024 ** (index + 2):
        index += 1
    value = 1024 ** (index + 1)
    if n % value == 0:
        return f"{sign}{n // value} {_PREFIXES[index]}"
    text = _java_fixed(n / value, decimal_places)
    if text.startswith("1024") and index + 1 < len(_PREFIXES):
        index += 1
        text = _java_fixed(n / 1024 ** (index + 1), decimal_places)
    return f"{sign}{text} {_PREFIXES[index]}"


def format_size(n: int, human: bool) -> str:
    return human_size(n) if human else str(n)


def format_percent(fraction: float, places: int = 0) -> str:
    """StringUtils.formatPercent: `12%`."""
    return _java_fixed(fraction * 100, places) + "%"


def permission_string(permission: int) -> str:
    """FsPermission.toString: `rwxr-xr-x`, the sticky bit as `t`/`T` in the last place."""
    chars = []
    for shift in (6, 3, 0):
        bits = (permission >> shift) & 7
        chars += ["r" if bits & 4 else "-", "w" if bits & 2 else "-", "x" if bits & 1 else "-"]
    if permission & 0o1000:
        chars[-1] = "t" if chars[-1] == "x" else "T"
    return "".join(chars)


def _local_minute(ms: int) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(ms / 1000))


@dataclass
class LsFormatter:
    """Ls's column widths: they only grow over one command run (Hadoop keeps them in fields)."""

    human: bool = False
    use_atime: bool = False
    max_repl: int = 3
    max_len: int = 10
    max_owner: int = 0
    max_group: int = 0

    def adjust(self, statuses: list[FileStatus]) -> None:
        for status in statuses:
            self.max_repl = max(self.max_repl, len(str(status.replication)))
            self.max_len = max(self.max_len, len(str(status.length)))
            self.max_owner = max(self.max_owner, len(status.owner))
            self.max_group = max(self.max_group, len(status.group))

    def line(self, status: FileStatus, display: str) -> str:
        replication = "-" if status.is_dir else str(status.replication)
        owner = f"{status.owner:<{self.max_owner}} " if self.max_owner else status.owner
        group = f"{status.group:<{self.max_group}} " if self.max_group else status.group
        when = status.access_time if self.use_atime else status.modification_time
        return (
            f"{'d' if status.is_dir else '-'}{permission_string(status.permission)} "
            f"{replication:>{self.max_repl}} {owner}{group}"
            f"{format_size(status.length, self.human):>{self.max_len}} "
            f"{_local_minute(when)} {display}"
        )


def _utc_second(ms: int) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(ms / 1000))


def stat_line(fmt: str, status: FileStatus, name: str) -> str:
    """Stat's format: %a %A %b %F %g %n %o %r %u %x %X %y %Y; unknown `%c` prints `c`."""
    out: list[str] = []
    index = 0
    while index < len(fmt):
        char = fmt[index]
        if char != "%":
            out.append(char)
            index += 1
            continue
        if index + 1 == len(fmt):
            break
        code = fmt[index + 1]
        index += 2
        values = {
            "a": format(status.permission, "o"),
            "A": permission_string(status.permission),
            "b": str(status.length),
            "F": "directory" if status.is_dir else "regular file",
            "g": status.group,
            "n": name,
            "o": str(status.block_size),
            "r": str(status.replication),
            "u": status.owner,
            "x": _utc_second(status.access_time),
            "X": str(status.access_time),
            "y": _utc_second(status.modification_time),
            "Y": str(status.modification_time),
        }
        out.append(values.get(code, code))
    return "".join(out)


_SUMMARY = "{:>12} {:>12} {:>18} "
_QUOTA = "{:>12} {:>15} {:>15} {:>15} "


def count_header(quotas: bool, *, quota_only: bool = False) -> str:
    """ContentSummary.getHeader(qOption) (QuotaUsage.getHeader() for -u) + "PATHNAME"."""
    quota = _QUOTA.format("QUOTA", "REM_QUOTA", "SPACE_QUOTA", "REM_SPACE_QUOTA")
    if quota_only:
        return quota + "PATHNAME"
    header = _SUMMARY.format("DIR_COUNT", "FILE_COUNT", "CONTENT_SIZE")
    return (quota if quotas else "") + header + "PATHNAME"


def _quota_columns(summary: ContentSummary, human: bool) -> str:
    """QuotaUsage.getQuotaUsage: `none`/`inf` where no quota is set."""
    quota, quota_rem, space, space_rem = "none", "inf", "none", "inf"
    if summary.quota > 0:
        quota = format_size(summary.quota, human)
        used = summary.directory_count + summary.file_count
        quota_rem = format_size(summary.quota - used, human)
    if summary.space_quota > 0:
        space = format_size(summary.space_quota, human)
        space_rem = format_size(summary.space_quota - summary.space_consumed, human)
    return _QUOTA.format(quota, quota_rem, space, space_rem)


def count_line(
    summary: ContentSummary, display: str, *, quotas: bool, human: bool, quota_only: bool = False
) -> str:
    """ContentSummary.toString(qOption, hOption) + the path (QuotaUsage's for -u)."""
    if quota_only:
        return _quota_columns(summary, human) + display
    line = _SUMMARY.format(
        format_size(summary.directory_count, human),
        format_size(summary.file_count, human),
        format_size(summary.length, human),
    )
    if quotas:
        line = _quota_columns(summary, human) + line
    return line + display


@dataclass
class Table:
    """FsUsage.TableBuilder: columns two spaces apart, widths of the widest cell."""

    columns: int
    right_align: frozenset[int] = frozenset()
    rows: list[list[str]] = field(default_factory=list)
    has_header: bool = False

    def add(self, *cells: object) -> None:
        self.rows.append([str(c) for c in cells])

    @property
    def empty(self) -> bool:
        return len(self.rows) - (1 if self.has_header else 0) == 0

    def render(self) -> list[str]:
        if self.empty:
            return []
        widths = [max(len(row[c]) for row in self.rows) for c in range(self.columns)]
        lines = []
        for row in self.rows:
            cells = []
            for c, cell in enumerate(row):
                if c in self.right_align:
                    cells.append(cell.rjust(widths[c]))
                elif c != self.columns - 1:
                    cells.append(cell.ljust(widths[c]))
                else:
                    cells.append(cell)
            lines.append("  ".join(cells))
        return lines
