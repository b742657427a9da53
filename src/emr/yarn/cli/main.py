"""The `yarn` command of a node: dispatch by subcommand, the RM's address, errors.

`application`/`app`, `applicationattempt`, `node` and `queue` ask the ResourceManager's REST
API (applications.py, nodes.py, queues.py); `logs` is emr.yarn.nodemanager.logs; `version` is
`hadoop version`'s; anything else prints Hadoop's usage.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping
from types import ModuleType
from typing import Final, TextIO

__all__ = ["USAGE", "main", "run"]

USAGE: Final = """Usage: yarn [OPTIONS] SUBCOMMAND [SUBCOMMAND OPTIONS]
 or    yarn [OPTIONS] CLASSNAME [CLASSNAME OPTIONS]
  where CLASSNAME is a user-provided Java class

  OPTIONS is none or any of:

--config dir                       Hadoop config directory
--loglevel level                   set the log4j level for this command

  SUBCOMMAND is one of:


    Admin Commands:

node                 prints node report(s)

    Client Commands:

app|application      prints application(s) report/kill application/manage long running application
applicationattempt   prints applicationattempt(s) report
logs                 dump container logs
queue                prints queue information
version              print the version

SUBCOMMAND may print help when invoked w/o parameters or with -h.
"""


def main(argv: list[str]) -> int:
    """`argv[0]` is the tool (`yarn`), the rest its arguments."""
    # As emr.hdfs.shell: keep httpx from importing its command-line client (~0.3 s).
    sys.modules.setdefault("httpx._main", ModuleType("httpx._main"))
    args = _strip_launcher_options(argv[1:])
    try:
        code = run(args, os.environ, sys.stdout, sys.stderr)
        sys.stdout.flush()
    except BrokenPipeError:
        # The reader went away (`| head`): what is still buffered must not fail the exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        code = 1
    return code


def _strip_launcher_options(args: list[str]) -> list[str]:
    """`--config dir` and `--loglevel level` (the launcher script's own options)."""
    rest = list(args)
    while len(rest) >= 2 and rest[0] in ("--config", "--loglevel"):
        if rest[0] == "--config":
            os.environ["YARN_CONF_DIR"] = rest[1]
        del rest[:2]
    return rest


def run(args: list[str], environ: Mapping[str, str], out: TextIO, err: TextIO) -> int:
    """Run `yarn <args>`; the exit status."""
    if not args:
        err.write(USAGE)
        return 1
    sub, rest = args[0], args[1:]
    if sub == "logs":
        from emr.yarn.nodemanager import logs

        return logs.main(rest)
    if sub == "version":
        from emr.hdfs.shell.main import main as hadoop_main

        return hadoop_main(["hadoop", "version"])
    command = _remote_command(sub)
    if command is None:
        err.write(USAGE)
        return 1
    return _remote(command, rest, environ, out, err)


def _remote_command(sub: str) -> Callable[..., int] | None:
    if sub in ("application", "app"):
        from emr.yarn.cli.applications import application_main

        return application_main
    if sub == "applicationattempt":
        from emr.yarn.cli.applications import attempt_main

        return attempt_main
    if sub == "node":
        from emr.yarn.cli.nodes import node_main

        return node_main
    if sub == "queue":
        from emr.yarn.cli.queues import queue_main

        return queue_main
    return None


def _remote(
    command: Callable[..., int],
    args: list[str],
    environ: Mapping[str, str],
    out: TextIO,
    err: TextIO,
) -> int:
    import httpx

    from emr.hdfs.site import current_user
    from emr.yarn.cli.rest import ResourceManagerAddress
    from emr.yarn.cli.session import FAILURE, Session
    from emr.yarn.client import YarnClientError

    address = ResourceManagerAddress.from_environment(environ)
    session = Session(address, out, err, current_user(environ))
    try:
        code: int = command(args, session)
        return code
    except httpx.TransportError as exc:
        out.flush()
        err.write(
            f"yarn: cannot reach the ResourceManager at {address.url} "
            f"(yarn.resourcemanager.webapp.address): {exc}\n"
        )
        return FAILURE
    except YarnClientError as exc:
        out.flush()
        err.write(f'Exception in thread "main" {exc.exception}: {exc.message}\n')
        return FAILURE
    finally:
        session.close()
