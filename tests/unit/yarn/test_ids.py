"""YARN ids in Hadoop's string forms."""

from __future__ import annotations

import pytest

from emr.yarn.ids import ApplicationAttemptId, ApplicationId, ContainerId, InvalidId, NodeId

APP = ApplicationId(1700000000000, 1)
ATTEMPT = ApplicationAttemptId(APP, 1)


def test_application_id_format_and_parse() -> None:
    assert str(APP) == "application_1700000000000_0001"
    assert ApplicationId.parse("application_1700000000000_0001") == APP
    assert str(ApplicationId(1700000000000, 12345)) == "application_1700000000000_12345"


def test_attempt_id_format_and_parse() -> None:
    assert str(ATTEMPT) == "appattempt_1700000000000_0001_000001"
    assert ApplicationAttemptId.parse(str(ATTEMPT)) == ATTEMPT


def test_container_id_format_and_parse() -> None:
    container = ContainerId.of(ATTEMPT, 1)
    assert str(container) == "container_1700000000000_0001_01_000001"
    assert ContainerId.parse(str(container)) == container
    assert container.application_id == APP


def test_container_id_with_epoch() -> None:
    text = "container_e17_1410901177871_0001_01_000005"
    container = ContainerId.parse(text)
    assert container.epoch == 17
    assert container.sequence == 5
    assert container.container_id == (17 << 40) | 5
    assert str(container) == text
    assert str(container.application_attempt_id) == "appattempt_1410901177871_0001_000001"


def test_ordering_follows_hadoop() -> None:
    a2 = ApplicationId(1700000000000, 2)
    a10 = ApplicationId(1700000000000, 10)
    assert sorted([a10, a2, APP]) == [APP, a2, a10]
    c1 = ContainerId.of(ATTEMPT, 2)
    c2 = ContainerId.of(ATTEMPT, 10)
    c3 = ContainerId.of(ApplicationAttemptId(APP, 2), 1)
    assert sorted([c3, c2, c1]) == [c1, c2, c3]


def test_node_id() -> None:
    node = NodeId.parse("127.16.0.3:8041")
    assert node == NodeId("127.16.0.3", 8041)
    assert str(node) == "127.16.0.3:8041"
    assert NodeId("a", 1) < NodeId("b", 0)


@pytest.mark.parametrize(
    ("kind", "text", "message"),
    [
        (ApplicationId, "application_x_1", "Invalid ApplicationId: application_x_1"),
        (ApplicationAttemptId, "appattempt_1_2", "Invalid AppAttemptId: appattempt_1_2"),
        (ContainerId, "container_1_2_3", "Invalid ContainerId: container_1_2_3"),
        (NodeId, "nohost", "Invalid NodeId [nohost]. Expected host:port"),
    ],
)
def test_invalid_ids(kind: type[ApplicationId], text: str, message: str) -> None:
    with pytest.raises(InvalidId, match=message.replace("[", r"\[").replace("]", r"\]")):
        kind.parse(text)
