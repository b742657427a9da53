"""Task attempts: `python -m emr.mapreduce.task <attempt id>` in a task container.

The container's working directory holds `job.json` (the JobSpec) and the job's -files and
-archives; its environment names the AM's umbilical (EMR_MR_UMBILICAL), the job token
(EMR_MR_JOB_TOKEN) and the node's shuffle service (EMR_SHUFFLE_ADDRESS). The attempt asks the
AM what to do, runs the map (maptask.py) or the reduce (reducetask.py) while a thread reports
progress and counters every 3 s (runtime.py), then reports done or failed.

Exit codes: 0 done; 1 failed (reported to the AM with its diagnostics); 143 the AM asked the
attempt to die (or it could not be reached at all at the start: 2).

LIMITATIONS: no JVM-style task reuse, no skipping of bad records (mapreduce.map.skip.*), no
`stream.map.input.ignoreKey`/`stream.recordreader.*` options beyond what formats.py reads.
"""

from __future__ import annotations

from emr.mapreduce.task.attempt import main

__all__ = ["main"]
