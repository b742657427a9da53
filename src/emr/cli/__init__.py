"""The `emr` command."""
