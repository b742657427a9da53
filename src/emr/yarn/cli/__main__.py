"""`python -m emr.yarn.cli yarn …`: what the node's bin/yarn runs."""

import sys

from emr.yarn.cli.main import main

sys.exit(main(sys.argv[1:]))
