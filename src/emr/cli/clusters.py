"""`emr create-cluster`, `add-steps`, `list-clusters`, `describe-cluster`, `terminate`, `ssh`,
`logs`: the cluster commands, spoken to the local region endpoint with its root key.

They are thin: every command is one or two EMR API calls through boto3 (so what they show is
exactly what any client sees), plus a progress line while waiting. `ssh` and `logs` talk to a
node's agent directly, with the token from the node's `agent.json` on this machine.
"""

from __future__ import annotations

import json
import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

from emr.settings import Settings

__all__ = ["register"]

_ENDED = ("TERMINATED", "TERMINATED_WITH_ERRORS")
_STEP_ENDED = ("COMPLETED", "FAILED", "CANCELLED", "INTERRUPTED")
_LOG_NAMES = ("stdout", "stderr", "controller", "syslog")
_POLL_SECONDS = 0.25

DataDirOption = Annotated[
    Path | None, typer.Option("--data-dir", help="Data directory [env EMR_DATA_DIR].")
]
WaitOption = Annotated[bool, typer.Option("--wait/--no-wait", help="Wait and show progress.")]


class _Context:
    """The settings, an EMR client and the way out, shared by the commands."""

    def __init__(
        self,
        settings_of: Callable[..., Settings],
        identity_of: Callable[[Settings], Any],
        url_of: Callable[[Settings, int | None], str],
        data_dir: Path | None,
    ) -> None:
        self.settings = settings_of(data_dir=data_dir)
        identity = identity_of(self.settings)
        self.url = url_of(self.settings, None)
        import boto3
        from botocore.config import Config

        self.emr: Any = boto3.client(
            "emr",
            endpoint_url=self.url,
            aws_access_key_id=identity.access_key_id,
            aws_secret_access_key=identity.secret_access_key,
            region_name=self.settings.region,
            config=Config(retries={"max_attempts": 2}),
        )

    def call(self, operation: str, **kwargs: Any) -> dict[str, Any]:
        """One EMR call; an AWS error or an unreachable endpoint ends the command cleanly."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            result: dict[str, Any] = getattr(self.emr, operation)(**kwargs)
        except ClientError as exc:
            error = exc.response["Error"]
            _fail(f"{error.get('Code')}: {error.get('Message')}", 1)
        except BotoCoreError as exc:
            _fail(f"cannot reach the region endpoint at {self.url}: {exc}", 1)
        result.pop("ResponseMetadata", None)
        return result


def _fail(message: str, code: int = 2) -> NoReturn:
    typer.echo(f"emr: {message}", err=True)
    raise typer.Exit(code)


def register(
    app: typer.Typer,
    settings_of: Callable[..., Settings],
    identity_of: Callable[[Settings], Any],
    url_of: Callable[[Settings, int | None], str],
) -> None:
    """Add the cluster commands to `app` (they reuse its settings and key lookups)."""

    def context(data_dir: Path | None) -> _Context:
        return _Context(settings_of, identity_of, url_of, data_dir)

    @app.command("create-cluster")
    def create_cluster(
        name: Annotated[str, typer.Option(help="Cluster name.")] = "emr-cluster",
        release_label: Annotated[str, typer.Option(help="emr-x.y.z")] = "emr-7.5.0",
        applications: Annotated[
            str, typer.Option(help="Comma-separated, e.g. Spark,Hadoop.")
        ] = "Hadoop,Spark",
        instance_type: Annotated[str, typer.Option(help="EC2 instance type.")] = "m5.xlarge",
        instance_count: Annotated[
            int, typer.Option(help="Nodes: 1 master + (count-1) core.", min=1)
        ] = 3,
        task_count: Annotated[int, typer.Option(help="Task nodes.", min=0)] = 0,
        log_uri: Annotated[str | None, typer.Option(help="s3://bucket/prefix/ for logs.")] = None,
        bootstrap_action: Annotated[
            list[str] | None,
            typer.Option(help="Script path (s3:// or file://) run on every node; repeatable."),
        ] = None,
        auto_terminate: Annotated[
            bool, typer.Option(help="End the cluster after its last step.")
        ] = False,
        termination_protected: Annotated[bool, typer.Option()] = False,
        configurations: Annotated[
            Path | None, typer.Option(help="JSON file of Configurations (classifications).")
        ] = None,
        wait: WaitOption = True,
        data_dir: DataDirOption = None,
    ) -> None:
        """Create a cluster (RunJobFlow) and, by default, wait until it is WAITING."""
        ctx = context(data_dir)
        groups: list[dict[str, Any]] = [
            {"Name": "Master", "InstanceRole": "MASTER", "InstanceType": instance_type,
             "InstanceCount": 1},
        ]  # fmt: skip
        if instance_count > 1:
            groups.append({"Name": "Core", "InstanceRole": "CORE", "InstanceType": instance_type,
                           "InstanceCount": instance_count - 1})  # fmt: skip
        if task_count:
            groups.append({"Name": "Task", "InstanceRole": "TASK", "InstanceType": instance_type,
                           "InstanceCount": task_count})  # fmt: skip
        request: dict[str, Any] = {
            "Name": name,
            "ReleaseLabel": release_label,
            "Applications": [{"Name": a.strip()} for a in applications.split(",") if a.strip()],
            "Instances": {
                "InstanceGroups": groups,
                "KeepJobFlowAliveWhenNoSteps": not auto_terminate,
                "TerminationProtected": termination_protected,
            },
            "BootstrapActions": [
                {"Name": f"action-{n}", "ScriptBootstrapAction": {"Path": path}}
                for n, path in enumerate(bootstrap_action or [], start=1)
            ],
            "ServiceRole": "EMR_DefaultRole",
            "JobFlowRole": "EMR_EC2_DefaultRole",
        }
        if log_uri:
            request["LogUri"] = log_uri
        if configurations is not None:
            try:
                request["Configurations"] = json.loads(configurations.read_text())
            except (OSError, ValueError) as exc:
                _fail(f"cannot read configurations from {configurations}: {exc}")
        cluster_id = ctx.call("run_job_flow", **request)["JobFlowId"]
        typer.echo(cluster_id)
        if wait:
            state = _wait_cluster(ctx, cluster_id, ("WAITING", "RUNNING", *_ENDED))
            if state in _ENDED:
                raise typer.Exit(1)

    @app.command("add-steps")
    def add_steps(
        cluster_id: Annotated[str, typer.Argument(help="j-…")],
        args: Annotated[list[str], typer.Argument(help="The step's command (after --).")],
        name: Annotated[str, typer.Option(help="Step name.")] = "step",
        jar: Annotated[
            str, typer.Option(help="command-runner.jar, script-runner.jar or a jar path.")
        ] = "command-runner.jar",
        action_on_failure: Annotated[
            str, typer.Option(help="CONTINUE, CANCEL_AND_WAIT or TERMINATE_CLUSTER.")
        ] = "CONTINUE",
        wait: WaitOption = False,
        data_dir: DataDirOption = None,
    ) -> None:
        """Add one step (AddJobFlowSteps): `emr add-steps j-… -- bash -c 'echo hi'`."""
        ctx = context(data_dir)
        step = {
            "Name": name,
            "ActionOnFailure": action_on_failure,
            "HadoopJarStep": {"Jar": jar, "Args": list(args)},
        }
        (step_id,) = ctx.call("add_job_flow_steps", JobFlowId=cluster_id, Steps=[step])["StepIds"]
        typer.echo(step_id)
        if wait:
            state = _wait_step(ctx, cluster_id, step_id)
            raise typer.Exit(0 if state == "COMPLETED" else 1)

    @app.command("list-clusters")
    def list_clusters(
        active: Annotated[bool, typer.Option(help="Only clusters not yet terminated.")] = False,
        data_dir: DataDirOption = None,
    ) -> None:
        """List clusters, newest first: id, state, creation time, name."""
        ctx = context(data_dir)
        states = ["STARTING", "BOOTSTRAPPING", "RUNNING", "WAITING", "TERMINATING"]
        kwargs: dict[str, Any] = {"ClusterStates": states} if active else {}
        rows = [("ID", "STATE", "CREATED", "NAME")]
        marker: str | None = None
        while True:
            page = ctx.call("list_clusters", **kwargs, **({"Marker": marker} if marker else {}))
            for cluster in page["Clusters"]:
                status = cluster["Status"]
                created = status["Timeline"]["CreationDateTime"]
                rows.append(
                    (
                        cluster["Id"],
                        status["State"],
                        f"{created:%Y-%m-%d %H:%M:%S}",
                        cluster["Name"],
                    )
                )
            marker = page.get("Marker")
            if not marker:
                break
        # Plain columns, the name last: a narrow terminal wraps a line but never cuts an id or
        # a state (rich's tables shorten or drop columns to fit, which breaks grep).
        widths = [max(len(row[column]) for row in rows) for column in range(3)]
        for row in rows:
            fixed = "  ".join(value.ljust(width) for value, width in zip(row, widths, strict=False))
            typer.echo(f"{fixed}  {row[3]}".rstrip())

    @app.command("describe-cluster")
    def describe_cluster(
        cluster_id: Annotated[str, typer.Argument(help="j-…")],
        data_dir: DataDirOption = None,
    ) -> None:
        """DescribeCluster, as JSON."""
        ctx = context(data_dir)
        cluster = ctx.call("describe_cluster", ClusterId=cluster_id)
        typer.echo(json.dumps(cluster, indent=2, default=str))

    @app.command("terminate")
    def terminate(
        cluster_ids: Annotated[list[str], typer.Argument(help="j-… (one or more)")],
        wait: WaitOption = True,
        data_dir: DataDirOption = None,
    ) -> None:
        """Terminate clusters (TerminateJobFlows) and, by default, wait until they end."""
        ctx = context(data_dir)
        ctx.call("terminate_job_flows", JobFlowIds=list(cluster_ids))
        if wait:
            for cluster_id in cluster_ids:
                _wait_cluster(ctx, cluster_id, _ENDED)

    @app.command("ssh")
    def ssh(
        cluster_id: Annotated[str, typer.Argument(help="j-…")],
        command: Annotated[list[str], typer.Argument(help="The command (after --).")],
        node: Annotated[
            str | None, typer.Option(help="Instance id (i-…); default: the master.")
        ] = None,
        no_stdin: Annotated[
            bool, typer.Option("--no-stdin", "-n", help="Send no input (as ssh -n).")
        ] = False,
        data_dir: DataDirOption = None,
    ) -> None:
        """Run a command on a node, in its environment; exits with the command's exit code.

        Input that is not a terminal is read to its end and sent with the command."""
        ctx = context(data_dir)
        instance = _find_instance(ctx, cluster_id, node)
        instance_id = str(instance["Ec2InstanceId"])
        if instance["Status"]["State"] == "TERMINATED":
            _fail(f"node {instance_id} of {cluster_id} is terminated", 255)
        config = _agent_config(ctx, cluster_id, instance_id)
        from emr.nodes.client import AgentUnreachable, exec_on_node

        # The agent's exec takes the input with the command, so it is read first; a caller
        # whose stdin never ends (an inherited pipe) passes --no-stdin.
        reads_stdin = not no_stdin and sys.stdin is not None and not sys.stdin.isatty()
        stdin = sys.stdin.buffer.read() if reads_stdin else None
        try:
            code = exec_on_node(
                config.private_ip,
                config.agent_port,
                config.token,
                list(command),
                stdin=stdin,
                stdout=sys.stdout.buffer,
                stderr=sys.stderr.buffer,
            )
        except AgentUnreachable as exc:
            _fail(f"cannot reach node {instance_id}: {exc}", 255)
        raise typer.Exit(code)

    @app.command("logs")
    def logs(
        cluster_id: Annotated[str, typer.Argument(help="j-…")],
        step_id: Annotated[str, typer.Argument(help="s-…")],
        log: Annotated[str, typer.Option(help="stdout, stderr, controller or syslog.")] = "stdout",
        follow: Annotated[
            bool, typer.Option("--follow/--no-follow", "-f", help="Until the step ends.")
        ] = True,
        data_dir: DataDirOption = None,
    ) -> None:
        """Print a step's log from the master node, following it while the step runs.

        A pending step is waited for when following. Once the master node is terminated, the
        log is read from the node's directory on this machine."""
        if log not in _LOG_NAMES:
            _fail(f"unknown log {log!r}: stdout, stderr, controller or syslog")
        ctx = context(data_dir)
        step = ctx.call("describe_step", ClusterId=cluster_id, StepId=step_id)["Step"]
        if follow:
            step = _wait_step_start(ctx, cluster_id, step)
        status = step["Status"]
        if "StartDateTime" not in status.get("Timeline", {}):
            if status["State"] in _STEP_ENDED:
                _fail(f"step {step_id} is {status['State']} and never ran: it has no log", 1)
            _fail(f"step {step_id} is {status['State']} and has not run: no log yet", 1)
        master = _find_instance(ctx, cluster_id, None)
        master_id = str(master["Ec2InstanceId"])
        if master["Status"]["State"] == "TERMINATED":
            _print_node_log(ctx, cluster_id, master_id, step_id, log)
            return
        config = _agent_config(ctx, cluster_id, master_id)
        from emr.nodes.client import AgentUnreachable, follow_log

        try:
            follow_log(
                config.private_ip,
                config.agent_port,
                config.token,
                step_id,
                log,
                follow=follow,
                out=sys.stdout.buffer,
            )
        except AgentUnreachable as exc:
            _fail(f"cannot read the log on the master node: {exc}", 1)


def _find_instance(ctx: _Context, cluster_id: str, instance_id: str | None) -> dict[str, Any]:
    """The instance as ListInstances shows it; the master when no instance is named."""
    if instance_id is None:
        for by_role in ({"InstanceGroupTypes": ["MASTER"]}, {"InstanceFleetType": "MASTER"}):
            found = ctx.call("list_instances", ClusterId=cluster_id, **by_role)["Instances"]
            if found:
                return dict(found[0])
        _fail(f"cluster {cluster_id} has no master node", 1)
    marker: str | None = None
    while True:
        page = ctx.call(
            "list_instances", ClusterId=cluster_id, **({"Marker": marker} if marker else {})
        )
        for instance in page["Instances"]:
            if instance["Ec2InstanceId"] == instance_id:
                return dict(instance)
        marker = page.get("Marker")
        if not marker:
            _fail(f"{instance_id} is not an instance of {cluster_id}", 1)


def _agent_config(ctx: _Context, cluster_id: str, instance_id: str) -> Any:
    """The node's agent.json (address and token)."""
    from pydantic import ValidationError

    from emr.nodes.protocol import AGENT_CONFIG_FILE, AgentConfig

    path = ctx.settings.nodes_root / cluster_id / instance_id / AGENT_CONFIG_FILE
    try:
        return AgentConfig.model_validate_json(path.read_bytes())
    except (OSError, ValidationError):
        _fail(f"node {instance_id} of {cluster_id} is not on this machine (no {path})", 1)


def _print_node_log(
    ctx: _Context, cluster_id: str, instance_id: str, step_id: str, log: str
) -> None:
    """Copy a step's log from a (terminated) node's directory to stdout."""
    from emr.nodes.layout import NodeLayout

    layout = NodeLayout.at(ctx.settings.nodes_root, cluster_id, instance_id)
    path = layout.step_logs(step_id) / log
    try:
        with path.open("rb") as file:
            shutil.copyfileobj(file, sys.stdout.buffer)
    except OSError as exc:
        _fail(f"no {log} log of {step_id} on this machine ({path}: {exc.strerror})", 1)
    sys.stdout.buffer.flush()


def _wait_step_start(ctx: _Context, cluster_id: str, step: dict[str, Any]) -> dict[str, Any]:
    """DescribeStep until the step left PENDING (it started, or ended without running)."""
    while step["Status"]["State"] in ("PENDING", "CANCEL_PENDING"):
        time.sleep(_POLL_SECONDS)
        step = ctx.call("describe_step", ClusterId=cluster_id, StepId=step["Id"])["Step"]
    return step


def _wait_cluster(ctx: _Context, cluster_id: str, until: tuple[str, ...]) -> str:
    """Poll DescribeCluster, showing state changes, until a state in `until`."""
    from rich.console import Console

    console = Console(stderr=True, log_path=False)
    started, shown = time.monotonic(), ""
    with console.status(f"{cluster_id}: starting") as status:
        while True:
            cluster = ctx.call("describe_cluster", ClusterId=cluster_id)["Cluster"]
            state = str(cluster["Status"]["State"])
            reason = cluster["Status"].get("StateChangeReason", {}).get("Message", "")
            line = f"{cluster_id}: {state}" + (f" — {reason}" if reason else "")
            if line != shown:
                console.log(line)
                shown = line
            status.update(f"{line} ({time.monotonic() - started:.1f} s)")
            if state in until:
                return state
            time.sleep(_POLL_SECONDS)


def _wait_step(ctx: _Context, cluster_id: str, step_id: str) -> str:
    from rich.console import Console

    console = Console(stderr=True, log_path=False)
    shown = ""
    while True:
        step = ctx.call("describe_step", ClusterId=cluster_id, StepId=step_id)["Step"]
        state = str(step["Status"]["State"])
        if state != shown:
            console.log(f"{step_id}: {state}")
            shown = state
        if state in _STEP_ENDED:
            details = step["Status"].get("FailureDetails")
            if details and details.get("Message"):
                console.log(f"{step_id}: {details['Message']}")
            return state
        time.sleep(_POLL_SECONDS)
