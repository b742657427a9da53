"""`emr agent --node-dir DIR`: the node agent (started by the node provider, not by users).

The command only parses its one option; everything else is imported when it runs, so an
agent's start pays for what the agent needs, not for the rest of the CLI.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

__all__ = ["agent"]


def agent(
    node_dir: Annotated[
        Path, typer.Option("--node-dir", help="The node directory (holds agent.json).")
    ],
) -> None:
    """Run a node's agent until the region stops it."""
    from emr.nodes.agent.main import run

    raise typer.Exit(run(node_dir))
