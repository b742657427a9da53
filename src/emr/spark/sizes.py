"""Spark memory sizes: Spark's size strings, and how big a YARN container must be to hold a
Spark process and the standalone daemon beside it (DESIGN.md: executor containers ≥ 1 GiB).

An executor container holds the executor JVM (its heap, spark.executor.memory, plus
spark.executor.memoryOverhead, Spark's default max(384 MB, 10 %)) and the standalone Worker
that forked it. The AM container holds the application's standalone Master and, in cluster
mode, the driver (spark.driver.memory plus its overhead)."""

from __future__ import annotations

import re
from typing import Final

__all__ = [
    "DAEMON_CONTAINER_MB",
    "DAEMON_HEAP",
    "MIN_DRIVER_MB",
    "MIN_EXECUTOR_MB",
    "am_container_mb",
    "executor_container_mb",
    "format_mb",
    "memory_overhead_mb",
    "parse_mb",
]

#: The heap of a standalone Master or Worker (48m is the smallest that does not die of OOM).
DAEMON_HEAP: Final = "64m"
#: What a Master or Worker JVM (plus the Python AM or nothing) adds to a container.
DAEMON_CONTAINER_MB: Final = 256
#: Spark refuses executors with less heap than 450 MB and drivers with less than ~450 MB.
MIN_EXECUTOR_MB: Final = 512
MIN_DRIVER_MB: Final = 512
#: Spark's MEMORY_OVERHEAD_MIN and MEMORY_OVERHEAD_FACTOR.
_OVERHEAD_MIN_MB: Final = 384
_OVERHEAD_FACTOR: Final = 0.10

_UNITS: Final = {
    "": 1,
    "b": 1,
    "k": 1 << 10,
    "m": 1 << 20,
    "g": 1 << 30,
    "t": 1 << 40,
    "p": 1 << 50,
}
_SIZE = re.compile(r"(\d+)\s*([bkmgtp]?)b?", re.IGNORECASE)


def parse_mb(value: str, default_unit: str = "m") -> int:
    """A Spark size (`512m`, `2g`, `1536`, `1gb`) in MiB; a bare number is in `default_unit`
    (Spark reads spark.executor.memory and friends in MiB). ValueError if malformed."""
    match = _SIZE.fullmatch(value.strip())
    if match is None:
        raise ValueError(f"Invalid size: {value!r} (expected e.g. 512m or 2g)")
    number, unit = int(match[1]), (match[2] or default_unit).lower()
    return max(0, number * _UNITS[unit] // _UNITS["m"])


def format_mb(mb: int) -> str:
    """`1024` → `1024m` (the form spark-defaults.conf and --executor-memory take)."""
    return f"{mb}m"


def memory_overhead_mb(memory_mb: int, overhead: str | None = None) -> int:
    """spark.{executor,driver}.memoryOverhead: as configured, else Spark's default."""
    if overhead:
        return parse_mb(overhead)
    return max(_OVERHEAD_MIN_MB, int(memory_mb * _OVERHEAD_FACTOR))


def executor_container_mb(executor_mb: int, overhead: str | None = None) -> int:
    """The YARN container for one executor and its Worker."""
    return executor_mb + memory_overhead_mb(executor_mb, overhead) + DAEMON_CONTAINER_MB


def am_container_mb(driver_mb: int | None, overhead: str | None = None) -> int:
    """The YARN container of the AM: the Master, plus the driver in cluster mode."""
    if driver_mb is None:
        return DAEMON_CONTAINER_MB + 256  # the Python AM and the Master
    return driver_mb + memory_overhead_mb(driver_mb, overhead) + DAEMON_CONTAINER_MB + 128
