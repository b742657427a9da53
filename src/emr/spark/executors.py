"""The Spark AM's executor containers as a pure state machine: how many to ask YARN for, which
grants to launch or give back, when lost executors are replaced and when the application has
lost too many to go on. No sockets or clocks: the AM feeds it YARN's answers and performs the
decisions it returns."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["Ask", "ExecutorPool", "GiveUp", "Launch", "Release"]


@dataclass(frozen=True, slots=True)
class Ask:
    """Tell the ResourceManager how many executor containers are still wanted (a total, as
    YARN's asks are)."""

    containers: int


@dataclass(frozen=True, slots=True)
class Launch:
    """Start a Worker in this granted container."""

    container_id: str


@dataclass(frozen=True, slots=True)
class Release:
    """Give a granted container back unused."""

    container_id: str


@dataclass(frozen=True, slots=True)
class GiveUp:
    """Too many executor containers failed: the application fails."""

    diagnostics: str


Decision = Ask | Launch | Release | GiveUp


@dataclass
class ExecutorPool:
    """`wanted` executors, replaced when their containers end, up to `max_failures`."""

    wanted: int
    max_failures: int
    running: set[str] = field(default_factory=set)
    pending: int = 0
    failures: int = 0
    stopping: bool = False

    def start(self) -> list[Decision]:
        """The first ask."""
        return self._ask()

    def _ask(self) -> list[Decision]:
        missing = max(0, self.wanted - len(self.running))
        if self.stopping or missing == self.pending:
            return []
        self.pending = missing
        return [Ask(missing)]

    def allocated(self, container_ids: list[str]) -> list[Decision]:
        """Grants arrived: launch as many as still wanted, release the rest."""
        decisions: list[Decision] = []
        for container_id in container_ids:
            if self.stopping or len(self.running) >= self.wanted:
                decisions.append(Release(container_id))
                continue
            self.running.add(container_id)
            self.pending = max(0, self.pending - 1)
            decisions.append(Launch(container_id))
        return decisions + self._ask()

    def launch_failed(self, container_id: str, reason: str) -> list[Decision]:
        """The NodeManager refused to start the container."""
        return self.completed(container_id, 1, reason)

    def completed(self, container_id: str, exit_status: int, diagnostics: str) -> list[Decision]:
        """A container of ours ended (YARN's exit status: -100 lost node, -104 memory, …)."""
        if container_id not in self.running:
            return []
        self.running.discard(container_id)
        if self.stopping:
            return []
        self.failures += 1
        if self.failures > self.max_failures:
            self.stopping = True
            return [
                GiveUp(
                    f"Max number of executor failures ({self.max_failures}) reached; last: "
                    f"{container_id} exit status {exit_status}: {diagnostics}".rstrip(": ")
                )
            ]
        return self._ask()

    def stop(self) -> list[Decision]:
        """The application is ending: ask for nothing more."""
        self.stopping = True
        if self.pending:
            self.pending = 0
            return [Ask(0)]
        return []
