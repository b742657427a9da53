"""Every scheduler event in these tests is followed by a check of the scheduler's derived
bookkeeping against a recount from scratch."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import pytest

from emr.services.emr._machine import Action
from emr.yarn.scheduler import CapacityScheduler, SchedulerEvent


def _check_label_demand(scheduler: CapacityScheduler) -> None:
    state = scheduler.state
    expected: dict[str, Counter[str]] = {}
    for app in state.apps.values():
        if state.is_demanding(app):
            demand = expected.setdefault(app.queue, Counter())
            for asks in app.asks.values():
                demand[asks.label] += asks.outstanding
    for name, leaf in state.queues.items():
        have = {k: v for k, v in leaf.label_demand.items() if v}
        want = {k: v for k, v in expected.get(name, Counter()).items() if v}
        assert have == want, f"label demand of {name}: {have} != recount {want}"


@pytest.fixture(autouse=True)
def checked_label_demand(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    handle = CapacityScheduler.handle

    def checked(self: CapacityScheduler, event: SchedulerEvent) -> list[Action]:
        actions = handle(self, event)
        _check_label_demand(self)
        return actions

    monkeypatch.setattr(CapacityScheduler, "handle", checked)
    yield
