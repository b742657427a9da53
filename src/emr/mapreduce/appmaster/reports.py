"""The MR AM's REST shapes (Hadoop's field names): `/ws/v1/mapreduce/jobs/{job}`, `…/counters`,
`…/tasks[/{task}[/attempts[/{attempt}]]]`, and the JobHistory the AM writes at the end."""

from __future__ import annotations

from typing import Any

from emr.mapreduce.appmaster.machine import JobStateMachine
from emr.mapreduce.appmaster.tasks import Attempt, Task
from emr.mapreduce.job import JobHistory

__all__ = ["attempt_report", "history", "job_counters", "job_report", "task_report"]

#: Our attempt states → Hadoop's TaskAttemptState as the REST API names them.
_ATTEMPT_STATES = {"WAITING": "NEW", "RUNNING": "RUNNING"}


def _attempt_counts(tasks: list[Task], prefix: str) -> dict[str, int]:
    states = [a.state for t in tasks for a in t.attempts]
    return {
        f"failed{prefix}Attempts": states.count("FAILED"),
        f"killed{prefix}Attempts": states.count("KILLED"),
        f"successful{prefix}Attempts": states.count("SUCCEEDED"),
        f"new{prefix}Attempts": states.count("WAITING"),
        f"running{prefix}Attempts": states.count("RUNNING"),
    }


def _pending_running(tasks: list[Task]) -> tuple[int, int]:
    running = sum(1 for t in tasks if t.state == "SCHEDULED" and t.running)
    pending = sum(1 for t in tasks if t.state == "SCHEDULED" and not t.running)
    return pending, running


def job_report(machine: JobStateMachine, now: int) -> dict[str, Any]:
    """`{"job": {...}}` as Hadoop's MR AM serves it (progress in percent)."""
    spec = machine.spec
    maps_pending, maps_running = _pending_running(machine.maps)
    reduces_pending, reduces_running = _pending_running(machine.reduces)
    finish = machine.finish_time
    job: dict[str, Any] = {
        "id": spec.job_id,
        "name": spec.name,
        "user": spec.user,
        "queue": spec.queue,
        "state": machine.state,
        "startTime": machine.start_time,
        "finishTime": finish,
        "elapsedTime": (finish or now) - machine.start_time if machine.start_time else 0,
        "mapsTotal": len(machine.maps),
        "mapsCompleted": sum(1 for t in machine.maps if t.state == "SUCCEEDED"),
        "reducesTotal": len(machine.reduces),
        "reducesCompleted": sum(1 for t in machine.reduces if t.state == "SUCCEEDED"),
        "mapProgress": round(machine.map_progress() * 100, 2),
        "reduceProgress": round(machine.reduce_progress() * 100, 2),
        "uberized": False,
        "diagnostics": machine.diagnostics,
        "mapsPending": maps_pending,
        "mapsRunning": maps_running,
        "reducesPending": reduces_pending,
        "reducesRunning": reduces_running,
        **_attempt_counts(machine.maps, "Map"),
        **_attempt_counts(machine.reduces, "Reduce"),
    }
    return {"job": job}


def job_counters(machine: JobStateMachine) -> dict[str, Any]:
    """`{"jobCounters": {...}}`: total, map and reduce values per counter."""
    total, maps, reduces = machine.counters()
    groups = []
    for group in sorted(total):
        counters = [
            {
                "name": name,
                "totalCounterValue": value,
                "mapCounterValue": maps.get(group, {}).get(name, 0),
                "reduceCounterValue": reduces.get(group, {}).get(name, 0),
            }
            for name, value in sorted(total[group].items())
        ]
        groups.append({"counterGroupName": group, "counter": counters})
    return {"jobCounters": {"id": machine.spec.job_id, "counterGroup": groups}}


def _times(start: int, finish: int, now: int) -> dict[str, int]:
    elapsed = (finish or now) - start if start else 0
    return {"startTime": start, "finishTime": finish, "elapsedTime": elapsed}


def attempt_report(attempt: Attempt, now: int) -> dict[str, Any]:
    """One `taskAttempt`: state, progress (percent), status line, node and container."""
    container = attempt.container
    return {
        "id": attempt.name,
        "type": "MAP" if attempt.task.is_map else "REDUCE",
        "state": _ATTEMPT_STATES.get(attempt.state, attempt.state),
        "progress": round(attempt.progress * 100, 2),
        "status": attempt.status,
        "diagnostics": attempt.diagnostics,
        "rack": "/default-rack",
        "nodeHttpAddress": container.node_http_address if container else "",
        "assignedContainerId": container.container_id if container else "",
        **_times(attempt.launch_time, attempt.finish_time, now),
    }


def task_report(task: Task, now: int) -> dict[str, Any]:
    """One `task`: its state, progress and the attempt that succeeded."""
    state: str = task.state
    if state == "SCHEDULED" and task.running:
        state = "RUNNING"
    starts = [a.launch_time for a in task.attempts if a.launch_time]
    won = task.successful
    return {
        "id": str(task.task_id),
        "type": "MAP" if task.is_map else "REDUCE",
        "state": state,
        "progress": round(task.progress * 100, 2),
        "status": won.status if won else max((a.status for a in task.running), default=""),
        "successfulAttempt": won.name if won else "",
        **_times(min(starts, default=0), won.finish_time if won else 0, now),
    }


def history(machine: JobStateMachine, state: str, diagnostics: str) -> JobHistory:
    """The final record the client reads after the AM is gone."""
    total, _, _ = machine.counters()
    return JobHistory.model_validate(
        {
            "job_id": machine.spec.job_id,
            "state": state,
            "diagnostics": diagnostics,
            "counters": total,
            "maps_total": len(machine.maps),
            "reduces_total": len(machine.reduces),
            "start_time": machine.start_time,
            "finish_time": machine.finish_time,
            "failed_attempts": [
                {"attempt_id": a.name, "diagnostics": a.diagnostics}
                for a in sorted(machine.attempts(), key=lambda a: a.finish_time)
                if a.state == "FAILED"
            ],
        }
    )
