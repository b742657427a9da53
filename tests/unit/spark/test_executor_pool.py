"""The Spark AM's executor containers (emr.spark.executors): asks, launches, replacements,
surplus grants, giving up, stopping."""

from __future__ import annotations

from emr.spark.executors import Ask, ExecutorPool, GiveUp, Launch, Release


def test_first_ask_is_the_wanted_total() -> None:
    pool = ExecutorPool(wanted=3, max_failures=3)
    assert pool.start() == [Ask(3)]
    assert pool.pending == 3


def test_grants_are_launched_without_a_new_ask() -> None:
    """YARN counts its grants off the outstanding ask: the AM asks again only when what it
    wants changes."""
    pool = ExecutorPool(wanted=3, max_failures=3)
    pool.start()
    assert pool.allocated(["c1", "c2"]) == [Launch("c1"), Launch("c2")]
    assert pool.pending == 1
    assert pool.allocated(["c3"]) == [Launch("c3")]
    assert pool.running == {"c1", "c2", "c3"} and pool.pending == 0
    assert pool.allocated([]) == []


def test_surplus_grants_are_released() -> None:
    pool = ExecutorPool(wanted=2, max_failures=3)
    pool.start()
    decisions = pool.allocated(["c1", "c2", "c3", "c4"])
    assert decisions == [Launch("c1"), Launch("c2"), Release("c3"), Release("c4")]
    assert pool.running == {"c1", "c2"}


def test_a_lost_executor_is_replaced() -> None:
    pool = ExecutorPool(wanted=2, max_failures=3)
    pool.start()
    pool.allocated(["c1", "c2"])
    assert pool.completed("c1", -100, "Container released on a *lost* node") == [Ask(1)]
    assert pool.failures == 1
    assert pool.allocated(["c3"]) == [Launch("c3")]
    assert pool.running == {"c2", "c3"}


def test_completion_of_an_unknown_or_released_container_is_ignored() -> None:
    pool = ExecutorPool(wanted=1, max_failures=3)
    pool.start()
    pool.allocated(["c1", "c2"])  # c2 released
    assert pool.completed("c2", -100, "released") == []
    assert pool.completed("nope", 1, "") == []
    assert pool.failures == 0


def test_a_refused_launch_counts_as_a_failure_and_is_replaced() -> None:
    pool = ExecutorPool(wanted=1, max_failures=3)
    pool.start()
    pool.allocated(["c1"])
    assert pool.launch_failed("c1", "connection refused") == [Ask(1)]
    assert pool.failures == 1 and not pool.running


def test_gives_up_after_max_failures() -> None:
    pool = ExecutorPool(wanted=1, max_failures=2)
    pool.start()
    for n in range(2):
        pool.allocated([f"c{n}"])
        assert pool.completed(f"c{n}", 1, "exit 1") == [Ask(1)]
    pool.allocated(["c2"])
    (decision,) = pool.completed("c2", -104, "memory limit")
    assert isinstance(decision, GiveUp)
    assert "Max number of executor failures (2) reached" in decision.diagnostics
    assert "c2 exit status -104: memory limit" in decision.diagnostics
    assert pool.stopping
    assert pool.allocated(["late"]) == [Release("late")]


def test_stop_withdraws_the_ask_and_ignores_later_events() -> None:
    pool = ExecutorPool(wanted=3, max_failures=3)
    pool.start()
    pool.allocated(["c1"])
    assert pool.stop() == [Ask(0)]
    assert pool.stop() == []
    assert pool.completed("c1", 143, "stopped") == []
    assert pool.failures == 0
    assert pool.allocated(["c2"]) == [Release("c2")]


def test_stop_with_nothing_pending_asks_nothing() -> None:
    pool = ExecutorPool(wanted=1, max_failures=3)
    pool.start()
    pool.allocated(["c1"])
    assert pool.stop() == []
