"""Counters: Hadoop's groups and names, adding them up, and printing them as Hadoop does.

Counters travel as `CounterGroups`: group name → counter name → value. Built-in groups use
Hadoop's internal names (the enum's class and constant: `org.apache.hadoop.mapreduce.TaskCounter`
/ `MAP_INPUT_RECORDS`), as the MR REST API names them; `format_counters` prints their display
names (`Map-Reduce Framework` / `Map input records`), as `mapreduce.Job` logs them and tools
(mrjob) parse them. Streaming's `reporter:counter:<group>,<counter>,<amount>` lines make
custom groups, printed as given.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Final

__all__ = [
    "FILE_INPUT_FORMAT",
    "FILE_OUTPUT_FORMAT",
    "FILE_SYSTEM",
    "JOB",
    "SHUFFLE_ERRORS",
    "TASK",
    "CounterGroups",
    "add_counters",
    "display_name",
    "format_counters",
]

CounterGroups = dict[str, dict[str, int]]

FILE_SYSTEM: Final = "org.apache.hadoop.mapreduce.FileSystemCounter"
JOB: Final = "org.apache.hadoop.mapreduce.JobCounter"
TASK: Final = "org.apache.hadoop.mapreduce.TaskCounter"
SHUFFLE_ERRORS: Final = "Shuffle Errors"
FILE_INPUT_FORMAT: Final = "org.apache.hadoop.mapreduce.lib.input.FileInputFormatCounter"
FILE_OUTPUT_FORMAT: Final = "org.apache.hadoop.mapreduce.lib.output.FileOutputFormatCounter"

#: Group display names, and the order Hadoop prints the built-in groups in.
_GROUPS: Final = {
    FILE_SYSTEM: "File System Counters",
    JOB: "Job Counters ",  # sic: Hadoop's resource bundle has the trailing space
    TASK: "Map-Reduce Framework",
    SHUFFLE_ERRORS: "Shuffle Errors",
    FILE_INPUT_FORMAT: "File Input Format Counters ",
    FILE_OUTPUT_FORMAT: "File Output Format Counters ",
}

_COUNTERS: Final = {
    JOB: {
        "NUM_FAILED_MAPS": "Failed map tasks",
        "NUM_FAILED_REDUCES": "Failed reduce tasks",
        "NUM_KILLED_MAPS": "Killed map tasks",
        "NUM_KILLED_REDUCES": "Killed reduce tasks",
        "TOTAL_LAUNCHED_MAPS": "Launched map tasks",
        "TOTAL_LAUNCHED_REDUCES": "Launched reduce tasks",
        "OTHER_LOCAL_MAPS": "Other local map tasks",
        "DATA_LOCAL_MAPS": "Data-local map tasks",
        "RACK_LOCAL_MAPS": "Rack-local map tasks",
        "SLOTS_MILLIS_MAPS": "Total time spent by all maps in occupied slots (ms)",
        "SLOTS_MILLIS_REDUCES": "Total time spent by all reduces in occupied slots (ms)",
        "MILLIS_MAPS": "Total time spent by all map tasks (ms)",
        "MILLIS_REDUCES": "Total time spent by all reduce tasks (ms)",
        "VCORES_MILLIS_MAPS": "Total vcore-milliseconds taken by all map tasks",
        "VCORES_MILLIS_REDUCES": "Total vcore-milliseconds taken by all reduce tasks",
        "MB_MILLIS_MAPS": "Total megabyte-milliseconds taken by all map tasks",
        "MB_MILLIS_REDUCES": "Total megabyte-milliseconds taken by all reduce tasks",
    },
    TASK: {
        "MAP_INPUT_RECORDS": "Map input records",
        "MAP_OUTPUT_RECORDS": "Map output records",
        "MAP_OUTPUT_BYTES": "Map output bytes",
        "MAP_OUTPUT_MATERIALIZED_BYTES": "Map output materialized bytes",
        "SPLIT_RAW_BYTES": "Input split bytes",
        "COMBINE_INPUT_RECORDS": "Combine input records",
        "COMBINE_OUTPUT_RECORDS": "Combine output records",
        "REDUCE_INPUT_GROUPS": "Reduce input groups",
        "REDUCE_SHUFFLE_BYTES": "Reduce shuffle bytes",
        "REDUCE_INPUT_RECORDS": "Reduce input records",
        "REDUCE_OUTPUT_RECORDS": "Reduce output records",
        "SPILLED_RECORDS": "Spilled Records",
        "SHUFFLED_MAPS": "Shuffled Maps ",
        "FAILED_SHUFFLE": "Failed Shuffles",
        "MERGED_MAP_OUTPUTS": "Merged Map outputs",
        "GC_TIME_MILLIS": "GC time elapsed (ms)",
        "CPU_MILLISECONDS": "CPU time spent (ms)",
        "PHYSICAL_MEMORY_BYTES": "Physical memory (bytes) snapshot",
        "VIRTUAL_MEMORY_BYTES": "Virtual memory (bytes) snapshot",
        "COMMITTED_HEAP_BYTES": "Total committed heap usage (bytes)",
    },
    FILE_INPUT_FORMAT: {"BYTES_READ": "Bytes Read"},
    FILE_OUTPUT_FORMAT: {"BYTES_WRITTEN": "Bytes Written"},
}

#: FileSystemCounter's names are `<SCHEME>_<STATISTIC>`, printed `<SCHEME>: <statistic>`.
_FS_STATISTICS: Final = {
    "BYTES_READ": "Number of bytes read",
    "BYTES_WRITTEN": "Number of bytes written",
    "READ_OPS": "Number of read operations",
    "LARGE_READ_OPS": "Number of large read operations",
    "WRITE_OPS": "Number of write operations",
}


def display_name(group: str, counter: str | None = None) -> str:
    """How Hadoop prints a group (counter None) or a counter of a group."""
    if counter is None:
        return _GROUPS.get(group, group)
    if group == FILE_SYSTEM:
        scheme, _, statistic = counter.partition("_")
        if statistic in _FS_STATISTICS:
            return f"{scheme}: {_FS_STATISTICS[statistic]}"
    return _COUNTERS.get(group, {}).get(counter, counter)


def add_counters(total: CounterGroups, more: Mapping[str, Mapping[str, int]]) -> CounterGroups:
    """Add `more` into `total` (in place) and return it."""
    for group, counters in more.items():
        into = total.setdefault(group, {})
        for name, value in counters.items():
            into[name] = into.get(name, 0) + value
    return total


def _ordered_groups(counters: Mapping[str, Mapping[str, int]]) -> Iterable[str]:
    known = [g for g in _GROUPS if g in counters]
    return known + sorted(g for g in counters if g not in _GROUPS)


def format_counters(counters: Mapping[str, Mapping[str, int]]) -> list[str]:
    """`Counters: N`, then each group (one tab) and its `name=value` lines (two tabs)."""
    lines = [f"Counters: {sum(len(c) for c in counters.values())}"]
    for group in _ordered_groups(counters):
        lines.append(f"\t{display_name(group)}")
        order = list(_COUNTERS.get(group, {}))
        names = sorted(
            counters[group], key=lambda n: (n not in order, order.index(n) if n in order else 0, n)
        )
        lines += [f"\t\t{display_name(group, n)}={counters[group][n]}" for n in names]
    return lines
