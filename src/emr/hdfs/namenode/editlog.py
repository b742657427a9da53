"""Durability for the namespace: edit records as JSON lines, checkpoints as an fsimage file.

Files in the EditLog's directory (created 0700; files 0600):

    fsimage            the last checkpoint: one JSON document, `Namespace.snapshot()`
    edits_inprogress   the records since (or around) that checkpoint, one JSON object a line

Write-ahead: the daemon applies a mutation to the Namespace, `append`s its records (one
write, then fsync) and only then acknowledges the client. `checkpoint` writes the image to a
temporary file, fsyncs it, renames it over `fsimage`, fsyncs the directory, and then starts an
empty edits file the same way. A crash between the two steps leaves old records whose txid the
image already covers; `load` drops those, so nothing is applied twice.

A crash in the middle of `append` can leave a torn last line: it was never acknowledged, so
opening the log cuts it off (and logs a warning). A damaged line anywhere else is an
EditLogCorruptError: a record is never skipped silently.

Not thread-safe: the daemon serialises namespace changes and their appends.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, Final

from emr.durable import fsync_directory, write_all
from emr.hdfs.namenode.editops import EditRecord
from emr.hdfs.namenode.errors import EditLogCorruptError

__all__ = ["EDITS_FILE", "FSIMAGE_FILE", "EditLog"]

FSIMAGE_FILE: Final = "fsimage"
EDITS_FILE: Final = "edits_inprogress"

_log = logging.getLogger(__name__)


def _encode(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()


def _write_durably(path: Path, data: bytes) -> None:
    """Write `data` to `path` through a temporary file, fsync, rename, fsync the directory."""
    temporary = path.with_name(path.name + ".tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
    try:
        write_all(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(temporary, path)
    fsync_directory(path.parent)


class EditLog:
    """The fsimage and the in-progress edits of one NameNode, in `directory`."""

    def __init__(self, directory: Path | str) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        self._image_path = self.directory / FSIMAGE_FILE
        self._edits_path = self.directory / EDITS_FILE
        if not self._edits_path.exists():
            _write_durably(self._edits_path, b"")
        records = self._read_edits()  # also cuts a torn tail off before anything is appended
        self._fd = self._open_edits()
        self._last_txid = max((int(r["txid"]) for r in records), default=0)

    def __enter__(self) -> EditLog:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the edits file (appends after this fail)."""
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    def load(self) -> tuple[dict[str, Any] | None, list[EditRecord]]:
        """The last checkpoint (None before the first) and the records to replay after it,
        as they are on disk."""
        image: dict[str, Any] | None = None
        if self._image_path.exists():
            try:
                loaded = json.loads(self._image_path.read_bytes())
            except ValueError as exc:
                raise EditLogCorruptError(f"{self._image_path} is not JSON: {exc}") from exc
            if not isinstance(loaded, dict) or not isinstance(loaded.get("txid"), int):
                raise EditLogCorruptError(f"{self._image_path} is not an fsimage")
            image = loaded
        covered = 0 if image is None else int(image["txid"])
        return image, [r for r in self._read_edits() if int(r["txid"]) > covered]

    def append(self, records: Sequence[EditRecord]) -> None:
        """Append records durably: one write of whole lines, then fsync, before returning."""
        if not records:
            return
        if self._fd < 0:
            raise OSError("the edit log is closed")
        write_all(self._fd, b"".join(_encode(r) + b"\n" for r in records))
        os.fsync(self._fd)
        self._last_txid = max(self._last_txid, *(int(r["txid"]) for r in records))

    def checkpoint(self, snapshot: dict[str, Any]) -> None:
        """Save `snapshot` as the fsimage and start an empty edits file.

        The snapshot must include every record appended so far (its txid at least the last
        appended one), or those records would be lost.
        """
        txid = snapshot.get("txid")
        if not isinstance(txid, int) or txid < self._last_txid:
            raise ValueError(
                f"checkpoint at txid {txid!r} would lose edits up to {self._last_txid}"
            )
        _write_durably(self._image_path, _encode(snapshot))
        self.close()
        _write_durably(self._edits_path, b"")
        self._fd = self._open_edits()

    def _open_edits(self) -> int:
        return os.open(self._edits_path, os.O_WRONLY | os.O_APPEND | os.O_CLOEXEC)

    def _read_edits(self) -> list[EditRecord]:
        """Parse the edits file; cut a torn or unreadable last line off the file."""
        data = self._edits_path.read_bytes()
        lines = data.split(b"\n")
        torn = lines.pop()  # after the last newline: empty unless an append was torn
        records: list[EditRecord] = []
        good_bytes = 0
        for index, line in enumerate(lines):
            record = self._parse(line)
            if record is None:
                if index == len(lines) - 1:
                    torn = line + b"\n" + torn
                    break
                raise EditLogCorruptError(
                    f"{self._edits_path}: line {index + 1} is damaged: {line[:80]!r}"
                )
            records.append(record)
            good_bytes += len(line) + 1
        if torn:
            _log.warning(
                "edit log %s: dropping a torn last record (%d bytes, never acknowledged)",
                self._edits_path,
                len(torn),
            )
            fd = os.open(self._edits_path, os.O_WRONLY | os.O_CLOEXEC)
            try:
                os.ftruncate(fd, good_bytes)
                os.fsync(fd)
            finally:
                os.close(fd)
        return records

    @staticmethod
    def _parse(line: bytes) -> EditRecord | None:
        try:
            record = json.loads(line)
        except ValueError:
            return None
        if not isinstance(record, dict) or not isinstance(record.get("txid"), int):
            return None
        if not isinstance(record.get("op"), str):
            return None
        return record
