"""Client log lines in Hadoop's two layouts: the console's (`<time> INFO mapreduce.Job: …`,
log4j's `%d{ISO8601} %p %c{2}: %m`) on stderr, and EMR's step syslog (`<time> INFO
org.apache.hadoop.mapreduce.Job (main): …`) appended to `$EMR_STEP_SYSLOG` when the step
runner sets it. Tools (mrjob) parse both, so the wording and the layout are Hadoop's.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Final, TextIO

__all__ = ["SYSLOG_VARIABLE", "ClientLog", "full_logger_name"]

SYSLOG_VARIABLE: Final = "EMR_STEP_SYSLOG"

#: Short logger names (log4j's %c{2}) of the classes the client logs as → full class names.
_FULL_NAMES: Final = {
    "client.DefaultNoHARMFailoverProxyProvider": (
        "org.apache.hadoop.yarn.client.DefaultNoHARMFailoverProxyProvider"
    ),
    "impl.YarnClientImpl": "org.apache.hadoop.yarn.client.api.impl.YarnClientImpl",
    "conf.Configuration.deprecation": "org.apache.hadoop.conf.Configuration.deprecation",
    "mapred.FileInputFormat": "org.apache.hadoop.mapred.FileInputFormat",
    "mapreduce.JobSubmitter": "org.apache.hadoop.mapreduce.JobSubmitter",
    "mapreduce.Job": "org.apache.hadoop.mapreduce.Job",
    "mapreduce.JobResourceUploader": "org.apache.hadoop.mapreduce.JobResourceUploader",
    "streaming.StreamJob": "org.apache.hadoop.streaming.StreamJob",
    "streaming.PipeMapRed": "org.apache.hadoop.streaming.PipeMapRed",
}


def full_logger_name(short: str) -> str:
    """`mapreduce.Job` → `org.apache.hadoop.mapreduce.Job` (unknown names as given)."""
    return _FULL_NAMES.get(short, short)


def _stamp(moment: float) -> str:
    millis = int(moment * 1000) % 1000
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(moment)) + f",{millis:03d}"


class ClientLog:
    """Writes each record to stderr and, when set, to the step's syslog."""

    def __init__(self, environ: Mapping[str, str], stream: TextIO | None = None) -> None:
        syslog = environ.get(SYSLOG_VARIABLE)
        self._syslog = Path(syslog) if syslog else None
        self._stream = stream

    def log(self, level: str, logger: str, message: str) -> None:
        """One record; a multi-line message (counters) keeps its lines unprefixed."""
        stamp = _stamp(time.time())
        stream = self._stream or sys.stderr
        stream.write(f"{stamp} {level} {logger}: {message}\n")
        stream.flush()
        if self._syslog is not None:
            line = f"{stamp} {level} {full_logger_name(logger)} (main): {message}\n"
            try:
                with self._syslog.open("a", encoding="utf-8") as file:
                    file.write(line)
            except OSError:
                # The console copy is the one that matters; a bad syslog path must not fail
                # the job.
                self._syslog = None

    def info(self, logger: str, message: str) -> None:
        self.log("INFO", logger, message)

    def warn(self, logger: str, message: str) -> None:
        self.log("WARN", logger, message)

    def error(self, logger: str, message: str) -> None:
        self.log("ERROR", logger, message)

    def plain(self, text: str) -> None:
        """A line Hadoop prints without log4j (`Streaming Command Failed!`) on stderr."""
        stream = self._stream or sys.stderr
        stream.write(text + "\n")
        stream.flush()
