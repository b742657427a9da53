"""`python -m emr.mapreduce.streaming <streaming options>`."""

import sys

from emr.mapreduce.streaming.main import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
