"""Identifiers of EMR resources, formed as EMR forms them, and the cluster ARN.

- cluster `j-` + 13 characters of upper-case base 36 (`j-2AXXXXXXGAPLF`);
- step `s-` + 13 of the same (`s-1A2B3C4D5E6F7`): the classic form, which every client
  accepts (newer AWS steps may have longer ids; nothing parses their length);
- instance group `ig-` + 13, instance fleet `if-` + 13;
- EC2 instance `i-` + 17 lower-case hex digits (`i-0123456789abcdef0`).

Why an `IdSource` object rather than module functions only: planning a cluster is pure, so
tests hand it a seeded source and read back the same ids every run.
"""

from __future__ import annotations

import random
import secrets
import string
from typing import Final

__all__ = ["DEFAULT_IDS", "IdSource", "cluster_arn"]

_BASE36: Final = string.digits + string.ascii_uppercase
_HEX: Final = "0123456789abcdef"


class IdSource:
    """Makes resource ids; random from the OS unless given a seeded `random.Random`."""

    def __init__(self, rng: random.Random | None = None) -> None:
        self._rng: random.Random = rng if rng is not None else secrets.SystemRandom()

    def _chars(self, alphabet: str, count: int) -> str:
        return "".join(self._rng.choice(alphabet) for _ in range(count))

    def cluster_id(self) -> str:
        return "j-" + self._chars(_BASE36, 13)

    def step_id(self) -> str:
        return "s-" + self._chars(_BASE36, 13)

    def instance_group_id(self) -> str:
        return "ig-" + self._chars(_BASE36, 13)

    def instance_fleet_id(self) -> str:
        return "if-" + self._chars(_BASE36, 13)

    def instance_id(self) -> str:
        return "i-" + self._chars(_HEX, 17)


#: The source every caller uses outside tests.
DEFAULT_IDS: Final = IdSource()


def cluster_arn(region: str, account_id: str, cluster_id: str) -> str:
    """`arn:aws:elasticmapreduce:<region>:<account>:cluster/<id>`, as DescribeCluster gives it."""
    return f"arn:aws:elasticmapreduce:{region}:{account_id}:cluster/{cluster_id}"
