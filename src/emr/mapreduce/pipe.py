"""Streaming's pipe to the user's mapper, combiner or reducer process (PipeMapRed).

The process runs `bash -c <command>` in the task's working directory. Its stdin is fed from a
thread in large batched writes, its stdout read in large chunks and split into lines (\\n,
\\r\\n, \\r, as streaming's LineReader does), its stderr read by another thread: lines starting
with `reporter:` (stream.stderr.reporter.prefix) update counters and the status, the rest is
copied to this process's stderr (the task's log).

Exit: a non-zero code (a signal N counts as 128 + N, as Java reports it) raises StreamFailure
with Hadoop's message `PipeMapRed.waitOutputThreads(): subprocess failed with code N`, unless
stream.non.zero.exit.is.failure is false. A missing command exits 127 through bash. A
command's first word naming a file of the working directory (shipped with -files) runs that
file, as Hadoop's PathFinder puts the working directory first.

LIMITATIONS: a process that exits 0 before reading all of its input (`head -1`) succeeds, with
the unread input dropped; Hadoop fails that attempt with `java.io.IOException: Broken pipe`.
Streaming's stream.minRecWrittenToEnableSkip / skip-bad-records mode is not supported.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import stat
import subprocess
import sys
import threading
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import IO, cast

from emr.mapreduce._streams import iter_line_lists, iter_lines
from emr.mapreduce.counters import CounterGroups
from emr.mapreduce.job import DEFAULTS, JobSpec

__all__ = [
    "Reporter",
    "StreamFailure",
    "StreamProcess",
    "split_key_value",
    "task_environment",
]

_BATCH = 1 << 18  # bytes per write to the process's stdin
_READ = 1 << 18  # bytes per read of its stdout


class StreamFailure(Exception):
    """The streaming process failed (exit code, Hadoop's message)."""

    def __init__(self, exit_code: int, message: str) -> None:
        super().__init__(message)
        self.exit_code = exit_code
        self.message = message


def split_key_value(line: bytes, separator: bytes, key_fields: int) -> tuple[bytes, bytes]:
    """Streaming's key/value split of an output line: the key runs up to the key_fields-th
    separator, the value is the rest; fewer separators: (line, b"")."""
    if not separator:
        return line, b""
    if key_fields <= 1:  # the common case, in one C call
        key, found, value = line.partition(separator)
        return (key, value) if found else (line, b"")
    position = -1
    for _ in range(max(key_fields, 1)):
        position = line.find(separator, position + (len(separator) if position >= 0 else 1))
        if position < 0:
            return line, b""
    return line[:position], line[position + len(separator) :]


def task_environment(spec: JobSpec, extra: Mapping[str, str]) -> dict[str, str]:
    """The streaming process's environment: ours, every job conf key (non-alphanumerics as
    `_`), -cmdenv, then `extra` (e.g. mapreduce_task_id, map_input_file)."""
    environment = dict(os.environ)
    for key, value in {**DEFAULTS, **spec.conf}.items():
        environment[re.sub(r"[^A-Za-z0-9]", "_", key)] = value
    environment.update(spec.environment)
    environment.update(extra)
    return environment


class Reporter:
    """Counters and status that the process reports on stderr (`reporter:` lines)."""

    def __init__(self, prefix: str = "reporter:", log: IO[bytes] | None = None) -> None:
        self._prefix = prefix.encode()
        self._log = log if log is not None else sys.stderr.buffer
        self._lock = threading.Lock()
        self.counters: CounterGroups = {}
        self.status = ""

    def line(self, line: bytes) -> None:
        """Handle one stderr line (without its newline)."""
        if not line.startswith(self._prefix):
            self._log.write(line + b"\n")
            self._log.flush()
            return
        text = line[len(self._prefix) :].decode("utf-8", "replace")
        if text.startswith("counter:"):
            columns = text[len("counter:") :].split(",")
            try:
                if len(columns) != 3:
                    raise ValueError
                amount = int(columns[2].strip())
            except ValueError:
                self._log.write(f"WARN streaming: Cannot parse counter line: {text}\n".encode())
                return
            with self._lock:
                group = self.counters.setdefault(columns[0], {})
                group[columns[1]] = group.get(columns[1], 0) + amount
        elif text.startswith("status:"):
            with self._lock:
                self.status = text[len("status:") :]
        else:
            self._log.write(line + b"\n")

    def snapshot(self) -> tuple[CounterGroups, str]:
        """A consistent copy of (counters, status), for status reports from another thread."""
        with self._lock:
            return {g: dict(c) for g, c in self.counters.items()}, self.status


def _workdir_program(command: str, cwd: Path) -> str:
    """Hadoop's PathFinder with the working directory first: `mapper.py a b`, with mapper.py
    shipped by -files, runs ./mapper.py, made executable first (as Hadoop's task does)."""
    word, sep, rest = command.lstrip().partition(" ")
    path = cwd / word
    if not word or "/" in word or not path.is_file():
        return command
    mode = path.stat().st_mode
    if not mode & stat.S_IXUSR:
        with contextlib.suppress(OSError):  # then bash says "Permission denied" (126)
            path.chmod(mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return f"./{word}{sep}{rest}"


class StreamProcess:
    """One run of the user's command over a stream of input lines."""

    def __init__(
        self,
        command: str,
        env: Mapping[str, str],
        cwd: Path,
        reporter: Reporter,
        *,
        non_zero_exit_is_failure: bool = True,
    ) -> None:
        self.command = command
        self._env = dict(env)
        self._cwd = cwd
        self._reporter = reporter
        self._fail_on_exit = non_zero_exit_is_failure
        self._feed_error: BaseException | None = None
        self.exit_code: int | None = None
        self.input_records = 0
        self.broken_pipe = False

    def _feed(self, stdin: IO[bytes], lines: Iterable[bytes]) -> None:
        self._feed_blocks(stdin, self._joined(lines))

    def _joined(self, lines: Iterable[bytes]) -> Iterator[bytes]:
        """Lines as blocks of about _BATCH bytes, each line ended by \\n."""
        batch: list[bytes] = []
        size = 0
        for line in lines:
            batch.append(line)
            size += len(line) + 1
            self.input_records += 1
            if size >= _BATCH:
                batch.append(b"")
                yield b"\n".join(batch)
                batch, size = [], 0
        if batch:
            batch.append(b"")
            yield b"\n".join(batch)

    def _feed_blocks(self, stdin: IO[bytes], blocks: Iterable[bytes]) -> None:
        try:
            for block in blocks:
                stdin.write(block)
        except BrokenPipeError:
            self.broken_pipe = True  # the process stopped reading: see LIMITATIONS
        except BaseException as exc:  # an input error: reported by run() after the process
            self._feed_error = exc
        finally:
            try:
                stdin.close()
            except BrokenPipeError:
                self.broken_pipe = True

    def _drain_stderr(self, stderr: io.BufferedReader) -> None:
        for line in iter_lines(iter(lambda: stderr.read1(_READ), b"")):
            self._reporter.line(line)

    def run(self, lines: Iterable[bytes]) -> Iterator[bytes]:
        """Feed `lines` to the process; yield its output lines; StreamFailure on a bad exit."""
        for batch in self.run_batches(lines):
            yield from batch

    def run_batches(
        self, lines: Iterable[bytes] = (), *, blocks: Iterable[bytes] | None = None
    ) -> Iterator[list[bytes]]:
        """`run`, with the output lines in lists (one per read of the process's stdout), and
        the input either as `lines` or as `blocks` of whole \\n-ended lines written as they
        are (the caller counts their records)."""
        source = self._joined(lines) if blocks is None else blocks
        process = subprocess.Popen(
            ["bash", "-c", _workdir_program(self.command, self._cwd)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=self._cwd,
            env=self._env,
        )
        assert process.stdin and process.stdout and process.stderr
        stdout = cast(io.BufferedReader, process.stdout)
        feeder = threading.Thread(
            target=self._feed_blocks,
            args=(process.stdin, source),
            name="stream-stdin",
            daemon=True,
        )
        errors = threading.Thread(
            target=self._drain_stderr,
            args=(cast(io.BufferedReader, process.stderr),),
            name="stream-stderr",
            daemon=True,
        )
        feeder.start()
        errors.start()
        try:
            yield from iter_line_lists(iter(lambda: stdout.read1(_READ), b""))
            code = process.wait()
        finally:
            if process.poll() is None:  # the consumer gave up early: stop the process
                process.kill()
                process.wait()
            feeder.join()
            errors.join()
            stdout.close()
            process.stderr.close()
        self.exit_code = 128 - code if code < 0 else code
        if self._feed_error is not None:
            raise self._feed_error
        if self.exit_code != 0 and self._fail_on_exit:
            raise StreamFailure(
                self.exit_code,
                f"PipeMapRed.waitOutputThreads(): subprocess failed with code {self.exit_code}",
            )
