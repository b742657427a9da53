"""Release labels: parsing `emr-x.y.z`, and what ListReleaseLabels / DescribeReleaseLabel answer.

Why every label reports the same applications: this platform runs one Spark and one Hadoop,
whatever label a cluster asks for (DESIGN.md, "Versions"). Any well-formed `emr-x.y.z` is
accepted so existing scripts keep their labels, and DescribeReleaseLabel tells the truth about
what will run rather than what AWS ships under that label. Applications EMR offers that this
platform does not run yet are known by name and marked unavailable, never given a version.

ListReleaseLabels needs a finite list: it returns AWS's real label names (newest first), each of
which, like any other label, runs this platform's versions.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final, Generic, TypeVar

from emr.errors import ServiceError
from emr.services.emr.markers import InvalidNextToken, decode_marker, encode_marker

__all__ = [
    "APPLICATIONS",
    "HADOOP_VERSION",
    "KNOWN_RELEASE_LABELS",
    "MAX_RESULTS",
    "SPARK_VERSION",
    "Application",
    "InvalidNextToken",
    "InvalidReleaseLabel",
    "Page",
    "ReleaseLabel",
    "describe_release_label",
    "find_application",
    "list_release_labels",
    "paginate",
    "parse_release_label",
]

#: What this platform really runs (DESIGN.md, "Versions"): pyspark's Spark, its Hadoop client.
SPARK_VERSION: Final = "4.3.0"
HADOOP_VERSION: Final = "3.5.0"

#: Upper bound of MaxResults in both release operations (the botocore model's MaxResultsNumber).
MAX_RESULTS: Final = 100

_LABEL = re.compile(r"emr-(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)")


class InvalidReleaseLabel(ServiceError):
    """A release label that is not `emr-<major>.<minor>.<patch>`."""

    code = "ValidationException"

    def __init__(self, label: str) -> None:
        super().__init__(f"The supplied release label is invalid: {label}.")
        self.label = label


@dataclass(frozen=True, slots=True, order=True)
class ReleaseLabel:
    """A parsed `emr-x.y.z`; orders by version, so `max()` is the newest."""

    major: int
    minor: int
    patch: int

    @property
    def label(self) -> str:
        return f"emr-{self.major}.{self.minor}.{self.patch}"

    def __str__(self) -> str:
        return self.label


def parse_release_label(label: str) -> ReleaseLabel:
    """Parse `emr-7.5.0`; any well-formed label is accepted, others raise InvalidReleaseLabel."""
    match = _LABEL.fullmatch(label)
    if match is None:
        raise InvalidReleaseLabel(label)
    major, minor, patch = (int(part) for part in match.groups())
    return ReleaseLabel(major, minor, patch)


@dataclass(frozen=True, slots=True)
class Application:
    """An EMR application name, and the version this platform runs (None: not available yet)."""

    name: str
    version: str | None

    @property
    def available(self) -> bool:
        return self.version is not None

    def to_simplified_application(self) -> dict[str, str]:
        """DescribeReleaseLabel's `SimplifiedApplication` (lower-case names, as EMR answers)."""
        assert self.version is not None, "only available applications are described"
        return {"Name": self.name.lower(), "Version": self.version}


_UNAVAILABLE = """
    Delta Flink Ganglia HBase HCatalog Hive Hudi Hue Iceberg JupyterEnterpriseGateway JupyterHub
    Livy MXNet Oozie Phoenix Pig Presto Sqoop TensorFlow Tez Trino Zeppelin ZooKeeper
"""

#: Every application EMR knows, in EMR's spelling; only Hadoop and Spark run here so far.
APPLICATIONS: Final[tuple[Application, ...]] = (
    Application("Hadoop", HADOOP_VERSION),
    Application("Spark", SPARK_VERSION),
    *(Application(name, None) for name in _UNAVAILABLE.split()),
)


def find_application(name: str) -> Application | None:
    """The application called `name` (case-insensitive, as RunJobFlow's Applications), or None."""
    wanted = name.lower()
    return next((app for app in APPLICATIONS if app.name.lower() == wanted), None)


def _labels() -> tuple[str, ...]:
    """AWS's release labels, newest first (7.x, 6.x and the late 5.x line)."""
    versions = [(7, minor, 0) for minor in range(12, -1, -1)]
    versions += [(6, minor, 0) for minor in range(15, -1, -1)]
    versions += [(5, minor, 0) for minor in range(36, 29, -1)]
    return tuple(f"emr-{a}.{b}.{c}" for a, b, c in versions)


#: The labels ListReleaseLabels returns, newest first.
KNOWN_RELEASE_LABELS: Final = _labels()


# --- pagination -------------------------------------------------------------------------------

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of a listing and the token of the next (None on the last page)."""

    items: list[T]
    next_token: str | None


def paginate(
    listing: str, items: Sequence[T], token: str | None, max_results: int | None
) -> Page[T]:
    """Page `items`; `listing` names the operation so a token cannot be replayed elsewhere."""
    start = 0 if token is None else decode_marker(listing, token)
    size = MAX_RESULTS if max_results is None else max(1, min(max_results, MAX_RESULTS))
    end = start + size
    return Page(list(items[start:end]), encode_marker(listing, end) if end < len(items) else None)


# --- the two operations -----------------------------------------------------------------------


def _matches_application(query: str) -> bool:
    """`spark@4.3.0` or `spark`: whether this platform runs that application (at that version)."""
    name, _, version = query.partition("@")
    app = find_application(name)
    return app is not None and app.available and (not version or version == app.version)


def list_release_labels(
    *,
    prefix: str | None = None,
    application: str | None = None,
    next_token: str | None = None,
    max_results: int | None = None,
) -> dict[str, Any]:
    """ListReleaseLabels: Filters.Prefix matches the label's start (`emr-6`, `emr-6.1`);
    Filters.Application (`spark@4.3.0`) keeps the labels that run that application and
    version — with this platform either every label or none."""
    labels = [label for label in KNOWN_RELEASE_LABELS if label.startswith(prefix or "")]
    if application and not _matches_application(application):
        labels = []
    page = paginate("ListReleaseLabels", labels, next_token, max_results)
    out: dict[str, Any] = {"ReleaseLabels": page.items}
    if page.next_token:
        out["NextToken"] = page.next_token
    return out


def describe_release_label(
    release_label: str | None = None,
    *,
    next_token: str | None = None,
    max_results: int | None = None,
) -> dict[str, Any]:
    """DescribeReleaseLabel: the applications this platform runs, for any well-formed label.

    Without a label, the newest known one is described (as EMR does). AvailableOSReleases is
    empty: nodes run on the host's OS, not on an Amazon Linux release.
    """
    label = parse_release_label(release_label or KNOWN_RELEASE_LABELS[0])
    running = [app.to_simplified_application() for app in APPLICATIONS if app.available]
    page = paginate(f"DescribeReleaseLabel/{label}", running, next_token, max_results)
    out: dict[str, Any] = {
        "ReleaseLabel": label.label,
        "Applications": page.items,
        "AvailableOSReleases": [],
    }
    if page.next_token:
        out["NextToken"] = page.next_token
    return out
