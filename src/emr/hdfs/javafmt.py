"""Numbers and dates as Java prints them (Date#toString, Float#toString): Hadoop's reports
(fsck, dfsadmin) are made of them, and scripts parse those reports."""

from __future__ import annotations

import math
import struct
from datetime import datetime
from decimal import Decimal

__all__ = ["float32", "java_date", "java_float"]


def java_date(at: datetime | float) -> str:
    """java.util.Date#toString in the local zone: `Tue Nov 24 06:17:53 UTC 2026`."""
    moment = at if isinstance(at, datetime) else datetime.fromtimestamp(at)
    return moment.astimezone().strftime("%a %b %d %H:%M:%S %Z %Y")


def float32(value: float) -> float:
    result: float = struct.unpack("f", struct.pack("f", value))[0]
    return result


def java_float(value: float) -> str:
    """Float.toString: the shortest digits that read back as the same float32, `1.0`,
    `16.666666`, `1.0E-4`."""
    value = float32(value)
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value == 0:
        return "0.0"
    text = next(
        t for d in range(1, 10) if float32(float(t := f"{value:.{d}g}")) == value
    )  # 9 digits always round-trip
    exact = Decimal(text)
    if 1e-3 <= abs(value) < 1e7:
        plain = format(exact, "f")
        return plain if "." in plain else plain + ".0"
    sign, digits, exponent = exact.as_tuple()
    mantissa = "".join(map(str, digits)).rstrip("0") or "0"
    power = len(digits) + int(exponent) - 1
    return f"{'-' if sign else ''}{mantissa[0]}.{mantissa[1:] or '0'}E{power}"
