"""Safe mode: its states, the rule for leaving it, and Hadoop's explanation of where it stands.

The block manager starts in STARTUP (the namespace has not announced its blocks), moves to
AUTOMATIC on NamespaceLoaded and leaves (OFF) on the first event after which
ceil(threshold x complete blocks) blocks have a replica on a live node and at least the minimum
number of DataNodes are alive. Hadoop truncates instead of rounding up, which lets a namespace
of fewer than 1000 blocks leave before a single report; there is no extension period here.
An administrator's enter makes it MANUAL, which only an administrator's leave ends.
"""

from __future__ import annotations

import math
from enum import Enum

__all__ = ["SafeModeState", "blocks_needed", "safe_mode_tip", "thresholds_met"]


class SafeModeState(Enum):
    """STARTUP: the namespace is loading; AUTOMATIC: waiting for block reports; MANUAL: an
    administrator's; OFF: normal operation."""

    STARTUP = "STARTUP"
    AUTOMATIC = "AUTOMATIC"
    MANUAL = "MANUAL"
    OFF = "OFF"


def blocks_needed(threshold: float, total: int) -> int:
    """How many complete blocks need a reported replica (rounded to 9 places first, so that
    0.999 x 1000 is 999 and not 1000)."""
    return math.ceil(round(threshold * total, 9))


def thresholds_met(
    *, safe: int, total: int, live: int, threshold: float, min_datanodes: int
) -> bool:
    return live >= min_datanodes and safe >= blocks_needed(threshold, total)


def safe_mode_tip(
    state: SafeModeState,
    *,
    safe: int,
    total: int,
    live: int,
    threshold: float,
    min_datanodes: int,
) -> str:
    """`hdfs dfsadmin -safemode get` and SafeModeException's explanation, in Hadoop's words."""
    if state is SafeModeState.OFF:
        return "Safe mode is OFF."
    if state is SafeModeState.MANUAL:
        return (
            "Safe mode is ON. It was turned on manually. "
            'Use "hdfs dfsadmin -safemode leave" to turn safe mode off.'
        )
    if state is SafeModeState.STARTUP:
        return "Safe mode is ON. The namespace is being loaded."
    needed = blocks_needed(threshold, total)
    if safe < needed:
        tip = (
            f"Safe mode is ON. The reported blocks {safe} needs additional {needed - safe} "
            f"blocks to reach the threshold {threshold:.4f} of total blocks {total}.\n"
        )
    else:
        tip = (
            f"Safe mode is ON. The reported blocks {safe} has reached the threshold "
            f"{threshold:.4f} of total blocks {total}. "
        )
    if min_datanodes == 0:
        tip += "The minimum number of live datanodes is not required. "
    elif live < min_datanodes:
        tip += (
            f"The number of live datanodes {live} needs an additional {min_datanodes - live} "
            f"live datanodes to reach the minimum number {min_datanodes}.\n"
        )
    else:
        tip += (
            f"The number of live datanodes {live} has reached the minimum number {min_datanodes}. "
        )
    return tip + (
        "Safe mode will be turned off automatically once the thresholds have been reached."
    )
