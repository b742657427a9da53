"""`yarn logs -applicationId <id>`: an application's aggregated container logs, printed as
Hadoop's LogsCLI prints them.

    python -m emr.yarn.nodemanager.logs -applicationId application_… [-containerId container_…]
                                        [-log_files stdout,stderr] [-appOwner hadoop]

Run on a node (EMR_NODE_DIR set, as in every step and `emr ssh`): the cluster id, LogUri and
credentials come from its agent.json. The logs are read from
`<LogUri>/<cluster-id>/containers/<app>/<container>/<file>.gz` (aggregation.py); without a
LogUri, from this node's own `yarn.nodemanager.log-dirs` (only the containers that ran here).
Exit status 0, or 255 with Hadoop's message when there are no logs.

The node's `yarn logs …` (emr.yarn.cli) dispatches here.
"""

from __future__ import annotations

import argparse
import gzip
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

__all__ = ["LogFile", "format_log", "main", "read_local_logs", "read_s3_logs"]


@dataclass(frozen=True, slots=True)
class LogFile:
    container_id: str
    name: str
    content: bytes


def format_log(log: LogFile, out: TextIO) -> None:
    """One log file in LogsCLI's layout (type, length, contents, end marker)."""
    text = log.content.decode("utf-8", "replace")
    out.write(f"LogType:{log.name}\n")
    out.write(f"LogLength:{len(log.content)}\n")
    out.write("LogContents:\n")
    out.write(text)
    if text and not text.endswith("\n"):
        out.write("\n")
    out.write(f"End of LogType:{log.name}\n")
    out.write("*" * 85 + "\n\n")


def read_s3_logs(s3: Any, log_uri: str, cluster_id: str, application_id: str) -> Iterator[LogFile]:
    """Every aggregated log file of the application, by container then file name."""
    from emr.nodes.agent.storage import normalize_log_uri

    root = normalize_log_uri(log_uri)
    if root is None:
        return
    prefix = root.child(cluster_id, "containers", application_id, "")
    keys: list[str] = []
    for page in s3.get_paginator("list_objects_v2").paginate(
        Bucket=prefix.bucket, Prefix=prefix.key
    ):
        keys += [item["Key"] for item in page.get("Contents", [])]
    for key in sorted(keys):
        container_id, _, file_name = key[len(prefix.key) :].partition("/")
        if not file_name.endswith(".gz") or "/" in file_name:
            continue
        body = s3.get_object(Bucket=prefix.bucket, Key=key)["Body"]
        with body:
            content = gzip.decompress(body.read())
        yield LogFile(container_id, file_name.removesuffix(".gz"), content)


def read_local_logs(log_dirs: tuple[Path, ...], application_id: str) -> Iterator[LogFile]:
    """The application's container logs in this node's log dirs."""
    for log_dir in log_dirs:
        app_dir = log_dir / application_id
        if not app_dir.is_dir():
            continue
        for container_dir in sorted(p for p in app_dir.iterdir() if p.is_dir()):
            for path in sorted(p for p in container_dir.iterdir() if p.is_file()):
                yield LogFile(container_dir.name, path.name, path.read_bytes())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="yarn logs")
    parser.add_argument("-applicationId", required=True)
    parser.add_argument("-containerId")
    parser.add_argument("-log_files", help="comma-separated file names (default: all)")
    parser.add_argument("-appOwner", default=os.environ.get("HADOOP_USER_NAME", "hadoop"))
    args = parser.parse_args(argv)

    from emr.yarn.ids import ApplicationId, InvalidId

    try:
        ApplicationId.parse(args.applicationId)
    except InvalidId as exc:
        print(f"Invalid ApplicationId specified: {exc}", file=sys.stderr)
        return 255
    node_dir = os.environ.get("EMR_NODE_DIR")
    if not node_dir:
        print("yarn logs: EMR_NODE_DIR is not set (run it on a cluster node)", file=sys.stderr)
        return 255
    from emr.yarn.nodemanager.settings import NodeManagerSettings

    settings = NodeManagerSettings.from_node_dir(Path(node_dir))
    config = settings.config
    logs: Iterator[LogFile]
    if config.log_uri:
        import boto3
        from botocore.config import Config

        s3 = boto3.session.Session().client(
            "s3",
            endpoint_url=config.region_url,
            aws_access_key_id=config.access_key_id,
            aws_secret_access_key=config.secret_access_key,
            region_name=config.region_name,
            config=Config(s3={"addressing_style": "path"}),
        )
        logs = read_s3_logs(s3, config.log_uri, config.cluster_id, args.applicationId)
    else:
        logs = read_local_logs(settings.log_dirs, args.applicationId)
    wanted = set(args.log_files.split(",")) if args.log_files else None
    current = None
    found = False
    for log in logs:
        if args.containerId and log.container_id != args.containerId:
            continue
        if wanted is not None and log.name not in wanted:
            continue
        if log.container_id != current:
            current = log.container_id
            sys.stdout.write(f"Container: {current}\nLogAggregationType: AGGREGATED\n")
            sys.stdout.write("=" * 77 + "\n")
        format_log(log, sys.stdout)
        found = True
    if not found:
        print(
            f"Can not find the logs for the application: {args.applicationId} "
            f"with the appOwner: {args.appOwner}",
            file=sys.stderr,
        )
        return 255
    return 0


if __name__ == "__main__":
    sys.exit(main())
