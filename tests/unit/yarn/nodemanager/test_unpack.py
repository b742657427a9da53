"""ARCHIVE resources: zip, jar and tar files unpacked into a directory of their name."""

from __future__ import annotations

import io
import tarfile
import zipfile
from pathlib import Path

import pytest

from emr.yarn.nodemanager.localizer import LocalizationError, unpack


def test_zip_and_jar(tmp_path: Path) -> None:
    archive = tmp_path / "lib.jar"
    with zipfile.ZipFile(archive, "w") as packed:
        packed.writestr("META-INF/MANIFEST.MF", "Manifest-Version: 1.0\n")
        packed.writestr("a/b.txt", "b")
    unpack(archive, tmp_path / "lib.jar.d")
    assert (tmp_path / "lib.jar.d" / "a" / "b.txt").read_text() == "b"


@pytest.mark.parametrize("mode", ["w", "w:gz", "w:bz2"])
def test_tars(tmp_path: Path, mode: str) -> None:
    archive = tmp_path / "env.tgz"
    with tarfile.open(archive, mode) as packed:
        info = tarfile.TarInfo("bin/tool")
        info.size, info.mode = 4, 0o755
        packed.addfile(info, io.BytesIO(b"tool"))
    unpack(archive, tmp_path / "env")
    assert (tmp_path / "env" / "bin" / "tool").read_bytes() == b"tool"


def test_escaping_members_are_refused(tmp_path: Path) -> None:
    archive = tmp_path / "evil.zip"
    with zipfile.ZipFile(archive, "w") as packed:
        packed.writestr("../outside.txt", "x")
    with pytest.raises(LocalizationError, match="escapes"):
        unpack(archive, tmp_path / "evil")
    assert not (tmp_path / "outside.txt").exists()


def test_not_an_archive(tmp_path: Path) -> None:
    plain = tmp_path / "plain.txt"
    plain.write_text("just text")
    with pytest.raises(LocalizationError, match="not a zip, jar or tar archive"):
        unpack(plain, tmp_path / "plain")
