"""S3 locations as agents read them, and a failed step's FailureDetails message."""

from __future__ import annotations

from pathlib import Path

import pytest

from emr.nodes.agent.steps import failure_message
from emr.nodes.agent.storage import S3Location, normalize_log_uri, parse_s3_uri


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        ("s3://bucket/key/a.sh", S3Location("bucket", "key/a.sh")),
        ("s3n://bucket/a.sh", S3Location("bucket", "a.sh")),
        ("s3a://bucket/", S3Location("bucket", "")),
        ("file:///tmp/a.sh", None),
        ("/tmp/a.sh", None),
        ("s3://", None),
        ("https://bucket/a", None),
    ],
)
def test_parse_s3_uri(uri: str, expected: S3Location | None) -> None:
    assert parse_s3_uri(uri) == expected


@pytest.mark.parametrize(
    ("log_uri", "prefix"),
    [
        ("s3://logs/emr/", "s3://logs/emr/"),
        ("s3://logs/emr", "s3://logs/emr/"),
        ("s3n://logs/emr", "s3://logs/emr/"),
        ("s3a://logs", "s3://logs/"),
        ("s3://logs/", "s3://logs/"),
    ],
)
def test_log_uri_is_normalised(log_uri: str, prefix: str) -> None:
    location = normalize_log_uri(log_uri)
    assert location is not None
    assert location.uri == prefix
    step = location.child("j-1", "steps", "s-1", "")
    assert step.child("stderr.gz").uri == f"{prefix}j-1/steps/s-1/stderr.gz"


def test_a_log_uri_that_is_not_s3_is_refused() -> None:
    assert normalize_log_uri("hdfs:///logs") is None


def test_failure_message_is_the_end_of_stderr(tmp_path: Path) -> None:
    stderr = tmp_path / "stderr"
    stderr.write_text("")
    assert failure_message(stderr) is None
    assert failure_message(tmp_path / "missing") is None

    stderr.write_text("\n\nfirst\n\n   \nsecond\n\n")
    assert failure_message(stderr) == "first\nsecond"

    stderr.write_text("".join(f"line {n:04d} " + "x" * 50 + "\n" for n in range(1000)))
    message = failure_message(stderr)
    assert message is not None
    assert len(message.encode()) <= 1024
    assert message.endswith("line 0999 " + "x" * 50)
    assert message.startswith("line ")  # whole lines only

    stderr.write_text("y" * 5000 + "\n")
    message = failure_message(stderr)
    assert message is not None
    assert 0 < len(message.encode()) <= 1024
