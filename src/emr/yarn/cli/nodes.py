"""`yarn node`, as Hadoop's NodeCLI: -list [-all | -states S,…] [-showDetails], -status."""

from __future__ import annotations

from typing import Final

from emr.yarn.cli.formats import NODE_STATES, node_report, nodes_table
from emr.yarn.cli.options import (
    Option,
    help_text,
    parse_or_help,
)
from emr.yarn.cli.session import FAILURE, Session

__all__ = ["node_main"]

_VALID_STATES: Final = "The valid node state can be one of the following: " + ",".join(NODE_STATES)
NODE_OPTIONS: Final = (
    Option("help", "Displays help for all commands."),
    Option("status", "Prints the status report of the node.", 1, "NodeId"),
    Option(
        "list",
        "List all running nodes. Supports optional use of -states to filter nodes based on "
        "node state, all -all to list all nodes, -showDetails to display more details about "
        "each node.",
    ),
    Option(
        "states",
        "Works with -list to filter nodes based on input comma-separated list of node states. "
        f"{_VALID_STATES}.",
        -1,
        "States",
    ),
    Option("all", "Works with -list to list all nodes."),
    Option("showDetails", "Works with -list to show more details about each node."),
)


def node_main(args: list[str], session: Session) -> int:
    # NodeCLI accepts -all in any case.
    args = ["-all" if a.lower() == "-all" else a for a in args]
    parsed = parse_or_help("node", NODE_OPTIONS, args, session.out, session.err)
    if parsed is None:
        return FAILURE
    if parsed.has("status"):
        if len(args) != 2:
            session.out.write(help_text("node", NODE_OPTIONS))
            return FAILURE
        return _status(parsed.value("status"), session)
    if parsed.has("list"):
        if parsed.has("all"):
            states = list(NODE_STATES)
        elif parsed.has("states"):
            states = []
            for state in (s.strip() for s in parsed.values("states") if s.strip()):
                if state.upper() not in NODE_STATES:
                    session.out.write(f"The node state {state} is invalid.\n{_VALID_STATES}.\n")
                    return FAILURE
                states.append(state.upper())
        else:
            states = ["RUNNING"]
        nodes = session.client().nodes(",".join(states)) if states else []
        session.out.write(nodes_table(nodes, details=parsed.has("showDetails")))
        return 0
    if parsed.has("help"):
        session.out.write(help_text("node", NODE_OPTIONS))
        return 0
    session.err.write("Invalid Command Usage : \n")
    session.out.write(help_text("node", NODE_OPTIONS))
    return 0


def _status(node_id: str, session: Session) -> int:
    client = session.client()
    wanted = [n for n in client.nodes(",".join(NODE_STATES)) if n.get("id") == node_id]
    if not wanted:
        # NodeCLI prints this and still exits 0.
        session.out.write(f"Could not find the node report for node id : {node_id}\n")
        return 0
    session.out.write(node_report(wanted[0]))
    return 0
