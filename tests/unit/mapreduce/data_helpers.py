"""Shared builders for the data library's unit tests."""

from __future__ import annotations

from typing import Any

from emr.mapreduce.job import JobSpec


def job_spec(conf: dict[str, str] | None = None, **fields: Any) -> JobSpec:
    """A JobSpec with just enough set; `fields` override the model's fields."""
    values: dict[str, Any] = {
        "job_id": "job_1700000000000_0001",
        "name": "test",
        "user": "hadoop",
        "conf": conf or {},
        "output": "file:/tmp/out",
        "splits": [],
        "mapper": "cat",
        "num_reduces": 1,
    }
    values.update(fields)
    return JobSpec(**values)
