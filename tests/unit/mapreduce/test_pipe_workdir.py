"""A streaming command's first word found in the task's working directory runs that file."""

from __future__ import annotations

import os
from pathlib import Path

from emr.mapreduce.pipe import Reporter, StreamProcess


def test_a_shipped_script_runs_by_its_bare_name(tmp_path: Path) -> None:
    script = tmp_path / "splitter.py"
    script.write_text("#!/bin/sh\ntr ' ' '\\n'\necho \"$1\"\n")
    script.chmod(0o644)  # shipped files may come without the x bit
    process = StreamProcess("splitter.py end", dict(os.environ), tmp_path, Reporter())
    assert list(process.run([b"a b"])) == [b"a", b"b", b"end"]
    assert os.access(script, os.X_OK)


def test_other_commands_are_left_to_the_path(tmp_path: Path) -> None:
    process = StreamProcess("tr a-z A-Z", dict(os.environ), tmp_path, Reporter())
    assert list(process.run([b"ab"])) == [b"AB"]
