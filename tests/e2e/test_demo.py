"""The README's first command: `emr demo` runs the quickstart end to end and says so."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import psutil
import pytest

pytestmark = pytest.mark.integration


def test_demo_runs_cluster_steps_that_write_to_s3(tmp_path: Path) -> None:
    data_dir = tmp_path / "demo"
    result = subprocess.run(
        [sys.executable, "-m", "emr", "demo", "--data-dir", str(data_dir)],
        capture_output=True,
        text=True,
        timeout=300,
        env={"COLUMNS": "200", "PATH": str(Path(sys.executable).parent) + ":/usr/bin:/bin",
             "HOME": str(tmp_path)},
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    output = result.stdout
    cluster_ids = set(re.findall(r"j-[0-9A-Z]{13}", output))
    assert len(cluster_ids) == 1, output
    (cluster_id,) = cluster_ids
    assert f"hello from {cluster_id}" in output
    assert "Type=Spark,Name=wordcount" in output
    assert "_SUCCESS" in output  # the Spark step's Parquet output, listed
    assert "WAITING" in output
    assert "TERMINATED" in output
    assert "server stopped (exit code 0)" in output
    assert not [
        p
        for p in psutil.process_iter(["cmdline"])
        if cluster_id in " ".join(p.info["cmdline"] or [])
    ]
