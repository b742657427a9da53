"""The `emr` executable's entry point.

`emr agent --node-dir DIR` is what every node runs, and how fast a cluster starts depends on
how fast four agents start on two cores: that exact command line goes straight to the agent,
without importing the CLI (typer, rich, settings: ~0.5 s of CPU per agent). Every other command
line goes to the Typer app, which also knows `agent` (for `--help` and other spellings).
"""

from __future__ import annotations

import sys
from pathlib import Path

__all__ = ["main"]


def main() -> None:
    arguments = sys.argv[1:]
    if len(arguments) == 3 and arguments[:2] == ["agent", "--node-dir"]:
        from emr.nodes.agent.main import run

        sys.exit(run(Path(arguments[2])))
    from emr.cli.main import app

    app()
