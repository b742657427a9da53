"""`yarn application` (alias `app`) and `yarn applicationattempt`, as Hadoop's ApplicationCLI:
-list with -appStates/-appTypes/-appTags, -status, -kill; attempts' -list and -status."""

from __future__ import annotations

from typing import Final

from emr.yarn.cli.formats import (
    APPLICATION_STATES,
    application_attempt_report,
    application_attempts_table,
    application_report,
    applications_table,
)
from emr.yarn.cli.options import (
    Option,
    help_text,
    parse_or_help,
)
from emr.yarn.cli.session import FAILURE, Session, log_line
from emr.yarn.client import FINAL_STATES, YarnClientError
from emr.yarn.ids import ApplicationAttemptId, ApplicationId, InvalidId

__all__ = ["application_main", "attempt_main"]

_VALID_STATES: Final = "The valid application state can be one of the following: ALL," + ",".join(
    APPLICATION_STATES
)
_DEFAULT_STATES: Final = ("SUBMITTED", "ACCEPTED", "RUNNING")

APPLICATION_OPTIONS: Final = (
    Option(
        "status",
        "Prints the status of the application. If app ID is provided, it prints the generic "
        "YARN application status.",
        1,
        "Application Name or ID",
    ),
    Option(
        "list",
        "List applications. Supports optional use of -appTypes to filter applications based "
        "on application type, -appStates to filter applications based on application state "
        "and -appTags to filter applications based on application tag.",
    ),
    Option(
        "appTypes",
        "Works with -list to filter applications based on input comma-separated list of "
        "application types.",
        -1,
        "Types",
    ),
    Option(
        "appStates",
        "Works with -list to filter applications based on input comma-separated list of "
        f"application states. {_VALID_STATES}",
        -1,
        "States",
    ),
    Option(
        "appTags",
        "Works with -list to filter applications based on input comma-separated list of "
        "application tags.",
        -1,
        "Tags",
    ),
    Option(
        "kill",
        "Kills the application. Set of applications can be provided separated with space",
        -1,
        "Application ID",
    ),
    Option("help", "Displays help for all commands."),
)
ATTEMPT_OPTIONS: Final = (
    Option("status", "Prints the status of the application attempt.", 1, "Application Attempt ID"),
    Option("list", "List application attempts for application.", 1, "Application ID"),
    Option("help", "Displays help for all commands."),
)


def _not_found(exc: YarnClientError) -> bool:
    return exc.status == 404


def application_main(args: list[str], session: Session, title: str = "application") -> int:
    parsed = parse_or_help(title, APPLICATION_OPTIONS, args, session.out, session.err)
    if parsed is None:
        return FAILURE
    if parsed.rest:
        session.out.write(help_text(title, APPLICATION_OPTIONS))
        return FAILURE
    if parsed.has("status"):
        if parsed.others("status", "appTypes"):
            session.out.write(help_text(title, APPLICATION_OPTIONS))
            return FAILURE
        return _status(parsed.value("status"), session)
    if parsed.has("list"):
        return _list(
            parsed.values("appTypes"), parsed.values("appStates"), parsed.values("appTags"), session
        )
    if parsed.has("kill"):
        if parsed.others("kill"):
            session.out.write(help_text(title, APPLICATION_OPTIONS))
            return FAILURE
        return _kill(parsed.values("kill"), session)
    if parsed.has("help"):
        session.out.write(help_text(title, APPLICATION_OPTIONS))
        return 0
    session.err.write("Invalid Command Usage : \n")
    session.out.write(help_text(title, APPLICATION_OPTIONS))
    return 0


def _list(types: list[str], states: list[str], tags: list[str], session: Session) -> int:
    wanted_types = sorted({t.strip().upper() for t in types if t.strip()})
    wanted_tags = sorted({t.strip() for t in tags if t.strip()})
    chosen: set[str] = set()
    for state in (s.strip() for s in states if s.strip()):
        if state.upper() == "ALL":
            chosen = set(APPLICATION_STATES)
            break
        if state.upper() not in APPLICATION_STATES:
            session.out.write(f"The application state {state} is invalid.\n{_VALID_STATES}\n")
            return FAILURE
        chosen.add(state.upper())
    ordered = [s for s in APPLICATION_STATES if s in (chosen or set(_DEFAULT_STATES))]
    filters = {"states": ",".join(ordered)}
    if wanted_types:
        filters["applicationTypes"] = ",".join(wanted_types)
    if wanted_tags:
        filters["applicationTags"] = ",".join(wanted_tags)
    apps = [report.raw for report in session.client().applications(**filters)]
    session.out.write(applications_table(apps, wanted_types, ordered, wanted_tags))
    return 0


def _status(text: str, session: Session) -> int:
    try:
        ApplicationId.parse(text)
    except InvalidId:
        session.err.write(
            f"Application with name '{text}' doesn't exist in RM or Timeline Server.\n"
        )
        return FAILURE
    try:
        report = session.client().application(text)
    except YarnClientError as exc:
        if not _not_found(exc):
            raise
        session.out.write(f"Application with id '{text}' doesn't exist in RM or Timeline Server.\n")
        return FAILURE
    session.out.write(application_report(report.raw))
    return 0


def _kill(application_ids: list[str], session: Session) -> int:
    code = FAILURE
    for text in application_ids:
        try:
            ApplicationId.parse(text)
        except InvalidId as exc:
            session.err.write(f"{exc}\n")
            return FAILURE
        client = session.client()
        try:
            report = client.application(text)
        except YarnClientError as exc:
            if not _not_found(exc):
                raise
            session.out.write(f"Application with id '{text}' doesn't exist in RM.\n")
            continue
        code = 0
        if report.state in FINAL_STATES:
            # Hadoop's message ends with a space.
            session.out.write(f"Application {text} has already finished \n")
            continue
        session.out.write(f"Killing application {text}\n")
        session.out.flush()
        client.kill(text)
        session.err.write(log_line("impl.YarnClientImpl", f"Killed application {text}"))
    return code


def attempt_main(args: list[str], session: Session) -> int:
    title = "applicationattempt"
    parsed = parse_or_help(title, ATTEMPT_OPTIONS, args, session.out, session.err)
    if parsed is None:
        return FAILURE
    if parsed.has("help"):
        session.out.write(help_text(title, ATTEMPT_OPTIONS))
        return 0
    if parsed.rest or len(parsed.options) != 1:
        session.out.write(help_text(title, ATTEMPT_OPTIONS))
        return FAILURE
    if parsed.has("list"):
        return _attempts(parsed.value("list"), session)
    return _attempt(parsed.value("status"), session)


def _missing_app(text: str, session: Session) -> int:
    # ApplicationCLI lets ApplicationNotFoundException escape: the JVM prints it, exits 1.
    session.err.write(
        'Exception in thread "main" org.apache.hadoop.yarn.exceptions.'
        f"ApplicationNotFoundException: Application with id '{text}' doesn't exist in RM. "
        "Please check that the job submission was successful.\n"
    )
    return 1


def _attempts(text: str, session: Session) -> int:
    try:
        ApplicationId.parse(text)
    except InvalidId as exc:
        session.err.write(f"{exc}\n")
        return FAILURE
    client = session.client()
    try:
        report = client.application(text)
        attempts = client.attempts(text)
    except YarnClientError as exc:
        if not _not_found(exc):
            raise
        return _missing_app(text, session)
    session.out.write(application_attempts_table(attempts, report.tracking_url))
    return 0


def _attempt(text: str, session: Session) -> int:
    try:
        attempt_id = ApplicationAttemptId.parse(text)
    except InvalidId as exc:
        session.err.write(f"{exc}\n")
        return FAILURE
    application_id = str(attempt_id.application_id)
    client = session.client()
    try:
        report = client.application(application_id)
        attempts = client.attempts(application_id)
    except YarnClientError as exc:
        if not _not_found(exc):
            raise
        session.out.write(
            f"Application for AppAttempt with id '{text}' doesn't exist in RM or Timeline Server.\n"
        )
        return FAILURE
    for attempt in attempts:
        if attempt.get("appAttemptId") == text:
            session.out.write(application_attempt_report(attempt, report.raw) + "\n")
            return 0
    session.out.write(
        f"Application Attempt with id '{text}' doesn't exist in RM or Timeline Server.\n"
    )
    return FAILURE
