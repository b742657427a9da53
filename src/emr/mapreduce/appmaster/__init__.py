"""The MapReduce ApplicationMaster: `python -m emr.mapreduce.appmaster` in the AM container.

machine.py is the job as a pure state machine (events → actions), driver.py serialises events
into it, server.py serves the umbilical protocol and the MR REST API, runtime.py is the
process around them (RM, NodeManagers, committer, job history)."""

from emr.mapreduce.appmaster.machine import JobStateMachine
from emr.mapreduce.appmaster.runtime import AppMaster, main

__all__ = ["AppMaster", "JobStateMachine", "main"]
