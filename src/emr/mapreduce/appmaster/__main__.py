"""`python -m emr.mapreduce.appmaster`: run this AM attempt of the job in ./job.json."""

import sys

from emr.mapreduce.appmaster.runtime import main

sys.exit(main())
