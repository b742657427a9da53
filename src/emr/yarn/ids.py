"""YARN's identifiers in Hadoop's string forms: parse, format, order.

    application_1700000000000_0001                  ApplicationId (cluster timestamp, sequence)
    appattempt_1700000000000_0001_000001            ApplicationAttemptId
    container_1700000000000_0001_01_000001          ContainerId (epoch 0)
    container_e17_1700000000000_0001_01_000001      ContainerId of RM epoch 17 (after restarts)
    127.16.0.3:8041                                 NodeId (host:port)

Numbers are zero-padded to Hadoop's minimum widths (4, 6, 2, 6 digits) and printed in full when
they are longer. A container id's number holds the RM epoch in its bits above 40, as Hadoop's
`ContainerId.getContainerId()` does; ordering is Hadoop's: by application, attempt, then number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

__all__ = [
    "ApplicationAttemptId",
    "ApplicationId",
    "ContainerId",
    "InvalidId",
    "NodeId",
]

_EPOCH_SHIFT: Final = 40
_SEQUENCE_MASK: Final = (1 << _EPOCH_SHIFT) - 1

_APPLICATION = re.compile(r"application_(\d+)_(\d+)")
_ATTEMPT = re.compile(r"appattempt_(\d+)_(\d+)_(\d+)")
_CONTAINER = re.compile(r"container_(?:e(\d+)_)?(\d+)_(\d+)_(\d+)_(\d+)")


class InvalidId(ValueError):
    """A string is not the id it claims to be (Hadoop's IllegalArgumentException wording)."""


@dataclass(frozen=True, order=True, slots=True)
class ApplicationId:
    """`application_<clusterTimestamp>_<sequence>`: the RM's start time and a counter from 1."""

    cluster_timestamp: int
    id: int

    def __str__(self) -> str:
        return f"application_{self.cluster_timestamp}_{self.id:04d}"

    @classmethod
    def parse(cls, text: str) -> ApplicationId:
        match = _APPLICATION.fullmatch(text)
        if match is None:
            raise InvalidId(f"Invalid ApplicationId: {text}")
        return cls(int(match[1]), int(match[2]))


@dataclass(frozen=True, order=True, slots=True)
class ApplicationAttemptId:
    """`appattempt_<clusterTimestamp>_<sequence>_<attempt>`; attempts count from 1."""

    application_id: ApplicationId
    attempt_id: int

    def __str__(self) -> str:
        app = self.application_id
        return f"appattempt_{app.cluster_timestamp}_{app.id:04d}_{self.attempt_id:06d}"

    @classmethod
    def parse(cls, text: str) -> ApplicationAttemptId:
        match = _ATTEMPT.fullmatch(text)
        if match is None:
            raise InvalidId(f"Invalid AppAttemptId: {text}")
        return cls(ApplicationId(int(match[1]), int(match[2])), int(match[3]))


@dataclass(frozen=True, order=True, slots=True)
class ContainerId:
    """`container_[e<epoch>_]<clusterTimestamp>_<app>_<attempt>_<sequence>`.

    `sequence` counts containers of the application attempt from 1 (the AM's is 1); `epoch`
    is the RM's restart epoch, printed only when non-zero."""

    application_attempt_id: ApplicationAttemptId
    container_id: int  # epoch << 40 | sequence, as Hadoop's getContainerId()

    @classmethod
    def of(cls, attempt: ApplicationAttemptId, sequence: int, epoch: int = 0) -> ContainerId:
        return cls(attempt, (epoch << _EPOCH_SHIFT) | sequence)

    @property
    def epoch(self) -> int:
        return self.container_id >> _EPOCH_SHIFT

    @property
    def sequence(self) -> int:
        return self.container_id & _SEQUENCE_MASK

    @property
    def application_id(self) -> ApplicationId:
        return self.application_attempt_id.application_id

    def __str__(self) -> str:
        attempt = self.application_attempt_id
        app = attempt.application_id
        epoch = f"e{self.epoch:02d}_" if self.epoch else ""
        return (
            f"container_{epoch}{app.cluster_timestamp}_{app.id:04d}"
            f"_{attempt.attempt_id:02d}_{self.sequence:06d}"
        )

    @classmethod
    def parse(cls, text: str) -> ContainerId:
        match = _CONTAINER.fullmatch(text)
        if match is None:
            raise InvalidId(f"Invalid ContainerId: {text}")
        epoch = int(match[1]) if match[1] is not None else 0
        app = ApplicationId(int(match[2]), int(match[3]))
        return cls.of(ApplicationAttemptId(app, int(match[4])), int(match[5]), epoch)


@dataclass(frozen=True, order=True, slots=True)
class NodeId:
    """A NodeManager as `host:port` (the RPC address it registered with)."""

    host: str
    port: int

    def __str__(self) -> str:
        return f"{self.host}:{self.port}"

    @classmethod
    def parse(cls, text: str) -> NodeId:
        host, sep, port = text.rpartition(":")
        if not sep or not host or not port.isdigit():
            raise InvalidId(f"Invalid NodeId [{text}]. Expected host:port")
        return cls(host, int(port))
