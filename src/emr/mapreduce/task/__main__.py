"""`python -m emr.mapreduce.task <attempt id>`: run one map or reduce attempt."""

from __future__ import annotations

import sys

from emr.mapreduce.task.attempt import main

if __name__ == "__main__":
    sys.exit(main())
