"""Building the EMRFS jar from the Java sources: compiled once, cached, clear when impossible."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from emr.spark.emrfs import (
    S3_ABSTRACT_FILE_SYSTEM,
    S3_FILE_SYSTEM,
    WEBHDFS_ABSTRACT_FILE_SYSTEM,
    EmrfsUnavailable,
    emrfs_jar,
)


def without_javac(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    empty = tmp_path / "no-jdk"
    (empty / "bin").mkdir(parents=True)
    monkeypatch.setenv("JAVA_HOME", str(empty))
    monkeypatch.setenv("PATH", str(empty / "bin"))


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return emrfs_jar(tmp_path_factory.mktemp("emrfs-cache"))


def test_jar_holds_the_contract_classes(built: Path) -> None:
    names = zipfile.ZipFile(built).namelist()
    for class_name in (S3_FILE_SYSTEM, S3_ABSTRACT_FILE_SYSTEM, WEBHDFS_ABSTRACT_FILE_SYSTEM):
        assert class_name.replace(".", "/") + ".class" in names
    assert "META-INF/MANIFEST.MF" in names


def test_second_call_uses_the_cache_without_a_compiler(
    built: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    before = built.stat().st_mtime_ns
    without_javac(monkeypatch, tmp_path)  # a rebuild would now fail
    assert emrfs_jar(built.parent) == built
    assert built.stat().st_mtime_ns == before
    assert [p.name for p in built.parent.iterdir()] == [built.name]  # no leftover build dirs


def test_no_javac_is_a_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    without_javac(monkeypatch, tmp_path)
    with pytest.raises(EmrfsUnavailable, match=r"javac not found.*JDK 17"):
        emrfs_jar(tmp_path / "cache")
