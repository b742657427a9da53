"""`python -m emr.hdfs.shell <hdfs|hadoop> …`: what the node's bin/hdfs and bin/hadoop run."""

import sys

from emr.hdfs.shell.main import main

sys.exit(main(sys.argv[1:]))
