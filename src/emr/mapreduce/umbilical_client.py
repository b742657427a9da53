"""A task's side of the umbilical protocol (task → ApplicationMaster, HTTP JSON under
`/umbilical/v1`, `Authorization: Bearer <job token>`; see emr.mapreduce's docstring).

Connection errors and 5xx answers are retried a few times with a short backoff (the AM may be
busy or briefly unreachable), then raise UmbilicalError; so does any 4xx answer at once.
"""

from __future__ import annotations

import logging
import time
from typing import Any, Final, TypeVar

import httpx
from pydantic import BaseModel

from emr.mapreduce.job import (
    UMBILICAL_PREFIX,
    CommitAnswer,
    FetchFailure,
    MapEvents,
    StatusAnswer,
    StatusReport,
    TaskAssignment,
    TaskDone,
    TaskFailed,
)

__all__ = ["UmbilicalClient", "UmbilicalError"]

log = logging.getLogger(__name__)

M = TypeVar("M", bound=BaseModel)

#: Tries per call, and the first pause between them (doubling).
ATTEMPTS: Final = 5
BACKOFF_S: Final = 0.5


class UmbilicalError(Exception):
    """The ApplicationMaster could not be reached, or refused the call."""


class UmbilicalClient:
    """One task attempt's calls to its ApplicationMaster."""

    def __init__(
        self,
        base_url: str,
        job_token: str,
        attempt_id: str,
        *,
        timeout: float = 30.0,
        attempts: int = ATTEMPTS,
    ) -> None:
        self.attempt_id = attempt_id
        self.attempts = max(1, attempts)
        # Whole URLs, not httpx's base_url: it would add a trailing slash to `tasks/{attempt}`.
        self._url = f"{base_url.rstrip('/')}{UMBILICAL_PREFIX}/tasks/{attempt_id}"
        self._http = httpx.Client(
            headers={"Authorization": f"Bearer {job_token}"},
            timeout=timeout,
        )

    def __enter__(self) -> UmbilicalClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def _call(
        self,
        method: str,
        path: str,
        answer: type[M] | None,
        body: BaseModel | None = None,
        params: dict[str, Any] | None = None,
    ) -> M | None:
        content = body.model_dump_json().encode() if body is not None else b"{}"
        headers = {"Content-Type": "application/json"} if method == "POST" else {}
        pause = BACKOFF_S
        for attempt in range(1, self.attempts + 1):
            try:
                response = self._http.request(
                    method,
                    self._url + path,
                    content=content if method == "POST" else None,
                    headers=headers,
                    params=params,
                )
            except httpx.HTTPError as exc:
                problem = f"{type(exc).__name__}: {exc}"
            else:
                if response.status_code < 400:
                    if answer is None:
                        return None
                    return answer.model_validate_json(response.content)
                problem = f"HTTP {response.status_code}: {response.text[:500]}"
                if response.status_code < 500:
                    raise UmbilicalError(f"{method} {path or '/'} refused: {problem}")
            if attempt < self.attempts:
                log.warning("umbilical %s %s failed (%s); retrying", method, path, problem)
                time.sleep(pause)
                pause *= 2
        raise UmbilicalError(
            f"{method} {path or '/'} failed after {self.attempts} attempts: {problem}"
        )

    def get_task(self) -> TaskAssignment:
        """What this attempt is to do."""
        answer = self._call("GET", "", TaskAssignment)
        assert answer is not None
        return answer

    def status(self, report: StatusReport) -> StatusAnswer:
        """Progress and counters so far; the answer says whether to die."""
        answer = self._call("POST", "/status", StatusAnswer, report)
        assert answer is not None
        return answer

    def events(self, from_index: int) -> MapEvents:
        """Map completion events from `from_index` on (reduces)."""
        answer = self._call("GET", "/events", MapEvents, params={"from": from_index})
        assert answer is not None
        return answer

    def fetch_failure(self, failure: FetchFailure) -> None:
        """Tell the AM a map's output could not be fetched."""
        self._call("POST", "/fetch-failure", None, failure)

    def can_commit(self) -> bool:
        """Whether this attempt may commit its output (only one attempt of a task may)."""
        answer = self._call("POST", "/can-commit", CommitAnswer)
        assert answer is not None
        return answer.commit

    def done(self, done: TaskDone) -> None:
        """The attempt succeeded."""
        self._call("POST", "/done", None, done)

    def failed(self, failed: TaskFailed) -> None:
        """The attempt failed."""
        self._call("POST", "/failed", None, failed)
