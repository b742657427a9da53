"""`python -m emr` is the `emr` command."""

from emr.cli.main import app

app()
