"""Hadoop's application-submission-context (the JSON body of `POST /ws/v1/cluster/apps`) read
into a `Submission`, with the defaults Hadoop's ClientRMService applies.

Jersey writes a one-element list as the element itself, so `commands.command`,
`environment.entry`, `local-resources.entry` and `application-tags.tag` may each be a value or
a list of values; both are accepted. Commands are joined with spaces into one command line, as
Hadoop's ContainerLaunch does (Spark sends its command as a list of words), and Hadoop's
cross-platform markers are rewritten for our NodeManager: `<LOG_DIR>` → `{{LOG_DIR}}`,
`<CPS>` → `:`, `{{NAME}}` → `$NAME`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from emr.yarn.ids import ApplicationId, InvalidId
from emr.yarn.protocol import LaunchContext, LocalResource
from emr.yarn.resourcemanager.errors import BadRequest
from emr.yarn.resources import Resource

__all__ = ["Submission", "parse_submission", "rewrite_command"]

#: Hadoop's YarnConfiguration.DEFAULT_APPLICATION_NAME / _TYPE and APPLICATION_TYPE_LENGTH.
DEFAULT_NAME: Final = "N/A"
DEFAULT_TYPE: Final = "YARN"
TYPE_LENGTH: Final = 20
DEFAULT_QUEUE: Final = "default"

_PARAMETER = re.compile(r"\{\{(\w+)\}\}")
_RESOURCE_TYPES: Final = frozenset({"FILE", "ARCHIVE", "PATTERN"})
_VISIBILITIES: Final = frozenset({"PUBLIC", "PRIVATE", "APPLICATION"})


@dataclass(frozen=True)
class Submission:
    """What a client submitted, normalised."""

    application_id: ApplicationId
    name: str
    queue: str
    priority: int
    launch_context: LaunchContext
    am_resource: Resource
    #: 0: the cluster's yarn.resourcemanager.am.max-attempts.
    max_app_attempts: int
    application_type: str
    tags: tuple[str, ...]
    #: None: the scheduler's default for AMs (CORE on EMR).
    am_label_expression: str | None
    app_label_expression: str


def rewrite_command(command: str) -> str:
    """Hadoop's expansion markers in a command line, as our NodeManager reads them."""
    command = command.replace("<LOG_DIR>", "{{LOG_DIR}}").replace("<CPS>", ":")
    return _PARAMETER.sub(
        lambda m: m[0] if m[1] == "LOG_DIR" else "$" + m[1],
        command,
    )


def _listed(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _object(body: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = body.get(key)
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise BadRequest(f"Invalid {key}: expected an object")
    return value


def _int(body: Mapping[str, Any], key: str, default: int) -> int:
    value = body.get(key, default)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise BadRequest(f'For input string: "{value}"')
    try:
        return int(value)
    except ValueError as exc:
        raise BadRequest(f'For input string: "{value}"') from exc


def _entries(container: Mapping[str, Any], what: str) -> list[tuple[str, Any]]:
    entries = []
    for entry in _listed(container.get("entry")):
        if not isinstance(entry, Mapping) or not isinstance(entry.get("key"), str):
            raise BadRequest(f"Invalid {what} entry: {entry!r}")
        entries.append((entry["key"], entry.get("value")))
    return entries


def _local_resource(name: str, value: Any) -> LocalResource:
    if not isinstance(value, Mapping) or not isinstance(value.get("resource"), str):
        raise BadRequest(f"Invalid local resource {name}: it needs a resource URL")
    kind = str(value.get("type") or "FILE").upper()
    visibility = str(value.get("visibility") or "APPLICATION").upper()
    if kind not in _RESOURCE_TYPES:
        raise BadRequest(f"Invalid local resource type {kind} for {name}")
    if visibility not in _VISIBILITIES:
        raise BadRequest(f"Invalid local resource visibility {visibility} for {name}")
    return LocalResource.model_validate(
        {"url": value["resource"], "type": kind, "visibility": visibility}
    )


def _launch_context(spec: Mapping[str, Any]) -> LaunchContext:
    commands = [str(c) for c in _listed(_object(spec, "commands").get("command"))]
    if not any(c.strip() for c in commands):
        raise BadRequest("am-container-spec has no commands")
    environment = {
        key: str(value or "").replace("<CPS>", ":")
        for key, value in _entries(_object(spec, "environment"), "environment")
    }
    resources = {
        key: _local_resource(key, value)
        for key, value in _entries(_object(spec, "local-resources"), "local-resources")
    }
    return LaunchContext(
        commands=[rewrite_command(" ".join(commands))],
        environment=environment,
        local_resources=resources,
    )


def parse_submission(body: Any) -> Submission:
    """Read a submission context; BadRequest (400) with what is wrong."""
    if not isinstance(body, Mapping):
        raise BadRequest("The application-submission-context must be a JSON object")
    raw_id = body.get("application-id")
    if not isinstance(raw_id, str):
        raise BadRequest(f"Invalid ApplicationId: {raw_id}")
    try:
        application_id = ApplicationId.parse(raw_id)
    except InvalidId as exc:
        raise BadRequest(str(exc)) from exc
    if body.get("unmanaged-AM") in (True, "true"):
        raise BadRequest("Unmanaged ApplicationMasters are not supported")
    spec = body.get("am-container-spec")
    if not isinstance(spec, Mapping):
        raise BadRequest("The application-submission-context needs an am-container-spec")
    resource = _object(body, "resource")
    am_resource = Resource(_int(resource, "memory", 0), _int(resource, "vCores", 0))
    if am_resource.memory_mb < 0 or am_resource.vcores < 0:
        raise BadRequest(f"Invalid resource request, requested resource is negative: {am_resource}")
    tags = tuple(str(t) for t in _listed(_object(body, "application-tags").get("tag")))
    application_type = str(body.get("application-type") or "").strip() or DEFAULT_TYPE
    am_label = body.get("am-container-node-label-expression")
    return Submission(
        application_id=application_id,
        name=str(body.get("application-name") or "") or DEFAULT_NAME,
        queue=str(body.get("queue") or "") or DEFAULT_QUEUE,
        priority=_int(body, "priority", 0),
        launch_context=_launch_context(spec),
        am_resource=am_resource,
        max_app_attempts=max(_int(body, "max-app-attempts", 0), 0),
        application_type=application_type[:TYPE_LENGTH],
        tags=tuple(t.lower() for t in tags),
        am_label_expression=None if am_label is None else str(am_label),
        app_label_expression=str(body.get("app-node-label-expression") or ""),
    )
