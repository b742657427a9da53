"""FileOutputCommitter v1 over local file: URIs: task commit, job commit, abort, retries."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from emr.mapreduce.committer import OutputCommitter
from emr.mapreduce.fs import JobFileSystems

MAP0 = "attempt_1700000000000_0001_m_000000_0"
REDUCE0_A0 = "attempt_1700000000000_0001_r_000000_0"
REDUCE0_A1 = "attempt_1700000000000_0001_r_000000_1"
REDUCE1 = "attempt_1700000000000_0001_r_000001_0"


@pytest.fixture
def fss(tmp_path: Path) -> Iterator[JobFileSystems]:
    environ = {"HADOOP_CONF_DIR": str(tmp_path / "no-conf"), "PATH": os.environ["PATH"]}
    with JobFileSystems(environ=environ, user="hadoop") as systems:
        yield systems


def _write(fss: JobFileSystems, uri: str, data: bytes) -> None:
    fs, path = fss.resolve(uri)
    fs.mkdirs(path.rsplit("/", 1)[0])
    fs.create(path, [data], overwrite=False)


def _tree(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def test_paths_follow_hadoop_layout(fss: JobFileSystems, tmp_path: Path) -> None:
    committer = OutputCommitter(fss, f"file:{tmp_path}/out", 1)
    assert committer.task_attempt_path(REDUCE0_A0) == (
        f"file:{tmp_path}/out/_temporary/1/_temporary/{REDUCE0_A0}"
    )
    assert committer.committed_task_path(REDUCE0_A0) == (
        f"file:{tmp_path}/out/_temporary/1/task_1700000000000_0001_r_000000"
    )


def test_job_commit_moves_committed_tasks_only(fss: JobFileSystems, tmp_path: Path) -> None:
    out = tmp_path / "out"
    committer = OutputCommitter(fss, f"file:{out}", 1)
    committer.setup_job()
    assert (out / "_temporary" / "1").is_dir()
    _write(fss, f"{committer.task_attempt_path(REDUCE0_A0)}/part-00000", b"a\t1\n")
    _write(fss, f"{committer.task_attempt_path(REDUCE1)}/part-00001", b"b\t2\n")
    _write(fss, f"{committer.task_attempt_path(REDUCE0_A1)}/part-00000", b"loser\n")
    committer.commit_task(REDUCE0_A0)
    committer.commit_task(REDUCE1)
    committer.abort_task(REDUCE0_A1)
    assert not committer.needs_task_commit(REDUCE0_A1)
    assert list(out.glob("part-*")) == []  # nothing final before the job commit
    committer.commit_job()
    assert _tree(out) == {"_SUCCESS": b"", "part-00000": b"a\t1\n", "part-00001": b"b\t2\n"}


def test_commit_task_without_output_is_a_no_op(fss: JobFileSystems, tmp_path: Path) -> None:
    out = tmp_path / "out"
    committer = OutputCommitter(fss, f"file:{out}", 2, mark_success=False)
    committer.setup_job()
    assert not committer.needs_task_commit(MAP0)
    committer.commit_task(MAP0)
    committer.commit_job()
    assert _tree(out) == {}
    assert out.is_dir()


def test_a_later_attempt_replaces_an_earlier_commit(fss: JobFileSystems, tmp_path: Path) -> None:
    out = tmp_path / "out"
    committer = OutputCommitter(fss, f"file:{out}", 1)
    committer.setup_job()
    _write(fss, f"{committer.task_attempt_path(REDUCE0_A0)}/part-00000", b"first\n")
    committer.commit_task(REDUCE0_A0)
    _write(fss, f"{committer.task_attempt_path(REDUCE0_A1)}/part-00000", b"second\n")
    committer.commit_task(REDUCE0_A1)
    committer.commit_job()
    assert _tree(out)["part-00000"] == b"second\n"


def test_abort_job_leaves_no_output(fss: JobFileSystems, tmp_path: Path) -> None:
    out = tmp_path / "out"
    committer = OutputCommitter(fss, f"file:{out}", 1)
    committer.setup_job()
    _write(fss, f"{committer.task_attempt_path(REDUCE0_A0)}/part-00000", b"x\n")
    committer.commit_task(REDUCE0_A0)
    committer.abort_job()
    assert _tree(out) == {}
    assert not (out / "_temporary").exists()


def test_subdirectories_merge_into_the_output(fss: JobFileSystems, tmp_path: Path) -> None:
    out = tmp_path / "out"
    committer = OutputCommitter(fss, f"file:{out}", 1)
    committer.setup_job()
    _write(fss, f"{committer.task_attempt_path(REDUCE0_A0)}/dir/a", b"a")
    _write(fss, f"{committer.task_attempt_path(REDUCE1)}/dir/b", b"b")
    committer.commit_task(REDUCE0_A0)
    committer.commit_task(REDUCE1)
    committer.commit_job()
    assert _tree(out) == {"_SUCCESS": b"", "dir/a": b"a", "dir/b": b"b"}


def test_attempt_ids_are_validated(fss: JobFileSystems, tmp_path: Path) -> None:
    committer = OutputCommitter(fss, f"file:{tmp_path}/out", 1)
    with pytest.raises(ValueError):
        committer.task_attempt_path("../../etc")
