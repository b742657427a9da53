"""`python -m emr` is the `emr` command."""

from emr.cli.entry import main

main()
