"""`python -m emr.yarn.nodemanager.watchdog`: kills a NodeManager's containers when it dies.

Why a watchdog: containers must die with their NodeManager ("kill a NodeManager" is one
SIGKILL of the daemon's process, and the RM then reports its containers lost), but a container
is a process group of its own (setsid), which no signal to the NodeManager reaches.
PR_SET_PDEATHSIG alone is not enough: it is set on the group's leader (`bash -c`) and is not
inherited by the leader's children, which would outlive it. So the NodeManager starts this
small process with a pipe on its stdin and writes one line per container:

    +<pgid> <container id>      a container's process group exists
    -<pgid>                     it is gone

When the pipe reaches EOF — the NodeManager exited, however it died — the watchdog SIGKILLs
every group still listed, then every process whose environment names one of those containers
(`CONTAINER_ID`: it catches descendants that left the group with setsid), and exits. Each
container's leader also has PR_SET_PDEATHSIG = SIGKILL, which covers the moment between its
fork and its line reaching the watchdog.

Only the standard library is imported at start (psutil when the NodeManager died), so the
watchdog costs one small interpreter per NodeManager.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys

__all__ = ["main"]


def _kill_everything(groups: dict[int, str]) -> None:
    for pgid in groups:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, signal.SIGKILL)
    container_ids = set(groups.values())
    if not container_ids:
        return
    import psutil

    for process in psutil.process_iter():
        with contextlib.suppress(psutil.Error):
            if process.environ().get("CONTAINER_ID") in container_ids:
                process.kill()


def main() -> int:
    # The NodeManager's stop signals are not ours: we end when its pipe ends.
    for stop_signal in (signal.SIGTERM, signal.SIGINT):
        signal.signal(stop_signal, signal.SIG_IGN)
    groups: dict[int, str] = {}
    for line in sys.stdin:
        line = line.strip()
        if line.startswith("+"):
            pgid, _, container_id = line[1:].partition(" ")
            groups[int(pgid)] = container_id
        elif line.startswith("-"):
            groups.pop(int(line[1:]), None)
    _kill_everything(groups)
    return 0


if __name__ == "__main__":
    sys.exit(main())
