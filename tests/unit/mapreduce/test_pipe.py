"""The streaming pipe with real `bash -c` processes."""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from emr.mapreduce.pipe import (
    Reporter,
    StreamFailure,
    StreamProcess,
    split_key_value,
    task_environment,
)
from tests.unit.mapreduce.data_helpers import job_spec


def run(
    command: str, lines: list[bytes], tmp_path: Path, **options: bool
) -> tuple[list[bytes], Reporter, bytes]:
    log = io.BytesIO()
    reporter = Reporter(log=log)
    process = StreamProcess(command, dict(os.environ), tmp_path, reporter, **options)
    return list(process.run(iter(lines))), reporter, log.getvalue()


def test_split_key_value() -> None:
    assert split_key_value(b"a\tb\tc", b"\t", 1) == (b"a", b"b\tc")
    assert split_key_value(b"a\tb\tc", b"\t", 2) == (b"a\tb", b"c")
    assert split_key_value(b"a\tb\tc", b"\t", 3) == (b"a\tb\tc", b"")
    assert split_key_value(b"plain", b"\t", 1) == (b"plain", b"")
    assert split_key_value(b"a::b::c", b"::", 2) == (b"a::b", b"c")
    assert split_key_value(b"\tv", b"\t", 1) == (b"", b"v")


def test_task_environment() -> None:
    spec = job_spec({"mapreduce.job.name": "wc", "my-key.x": "1"}, environment={"EXTRA": "yes"})
    env = task_environment(spec, {"mapreduce_task_id": "task_1_0001_m_000000"})
    assert env["mapreduce_job_name"] == "wc"
    assert env["my_key_x"] == "1"
    assert env["mapreduce_job_reduces"] == "1"  # defaults are part of the job's conf
    assert env["EXTRA"] == "yes"
    assert env["mapreduce_task_id"] == "task_1_0001_m_000000"
    assert env["PATH"] == os.environ["PATH"]


def test_lines_through_a_real_process(tmp_path: Path) -> None:
    lines = [b"line %d" % i for i in range(50_000)] + [b"", b"last"]
    out, _, _ = run("cat", lines, tmp_path)
    assert out == lines
    words, _, _ = run(
        "tr ' ' '\\n' | sort | uniq -c | awk '{print $2\"\\t\"$1}'", [b"b a", b"a"], tmp_path
    )
    assert words == [b"a\t2", b"b\t1"]


def test_output_line_terminators(tmp_path: Path) -> None:
    out, _, _ = run("printf 'a\\r\\nb\\rc\\nd'", [], tmp_path)
    assert out == [b"a", b"b", b"c", b"d"]


def test_reporter_lines_on_stderr(tmp_path: Path) -> None:
    command = (
        'while read line; do echo "$line"; '
        "echo 'reporter:counter:Words,Seen,2' >&2; done; "
        "echo 'reporter:status:almost done' >&2; "
        "echo 'reporter:counter:bad line' >&2; "
        "echo 'plain log line' >&2"
    )
    out, reporter, log = run(command, [b"x", b"y", b"z"], tmp_path)
    assert out == [b"x", b"y", b"z"]
    assert reporter.counters == {"Words": {"Seen": 6}}
    assert reporter.status == "almost done"
    assert b"plain log line\n" in log
    assert b"Cannot parse counter line: counter:bad line" in log
    assert reporter.snapshot() == ({"Words": {"Seen": 6}}, "almost done")


def test_failing_command(tmp_path: Path) -> None:
    with pytest.raises(StreamFailure) as failure:
        run("cat; exit 3", [b"a"], tmp_path)
    assert failure.value.exit_code == 3
    assert str(failure.value) == "PipeMapRed.waitOutputThreads(): subprocess failed with code 3"


def test_command_not_found(tmp_path: Path) -> None:
    with pytest.raises(StreamFailure, match="subprocess failed with code 127") as failure:
        run("no-such-command-anywhere", [b"a"] * 10, tmp_path)
    assert failure.value.exit_code == 127


def test_killed_by_a_signal_reports_128_plus_n(tmp_path: Path) -> None:
    with pytest.raises(StreamFailure, match="code 137"):
        run("kill -9 $$", [], tmp_path)


def test_non_zero_exit_allowed_when_configured(tmp_path: Path) -> None:
    out, _, _ = run("echo done; exit 1", [], tmp_path, non_zero_exit_is_failure=False)
    assert out == [b"done"]


def test_process_that_stops_reading_early_succeeds(tmp_path: Path) -> None:
    lines = [b"x" * 100] * 100_000
    out, _, _ = run("head -n 2", lines, tmp_path)
    assert out == [b"x" * 100] * 2


def test_input_errors_surface_after_the_process(tmp_path: Path) -> None:
    def broken() -> Iterator[bytes]:
        yield b"ok"
        raise OSError("read failed")

    process = StreamProcess("cat", dict(os.environ), tmp_path, Reporter(log=io.BytesIO()))
    with pytest.raises(OSError, match="read failed"):
        list(process.run(broken()))


def test_working_directory_and_environment(tmp_path: Path) -> None:
    (tmp_path / "side.txt").write_text("side file\n")
    env = {**os.environ, "GREETING": "hi"}
    process = StreamProcess("cat side.txt; echo $GREETING", env, tmp_path, Reporter())
    assert list(process.run([])) == [b"side file", b"hi"]


def test_consumer_stopping_early_stops_the_process(tmp_path: Path) -> None:
    process = StreamProcess("yes", dict(os.environ), tmp_path, Reporter())
    output = process.run([])
    assert next(output) == b"y"
    output.close()  # the generator's finally kills `yes`
    assert process.exit_code is None
