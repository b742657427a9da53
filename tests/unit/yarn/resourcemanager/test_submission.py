"""Hadoop's application-submission-context JSON, read as the RM reads it."""

from __future__ import annotations

from typing import Any

import pytest

from emr.yarn.ids import ApplicationId
from emr.yarn.resourcemanager.errors import BadRequest
from emr.yarn.resourcemanager.submission import parse_submission, rewrite_command
from emr.yarn.resources import Resource

APP = "application_1404203615263_0001"


def hadoop_example() -> dict[str, Any]:
    """The request of Hadoop's documentation (Cluster Applications API, Submit Application)."""
    return {
        "application-id": APP,
        "application-name": "test",
        "am-container-spec": {
            "local-resources": {
                "entry": [
                    {
                        "key": "AppMaster.jar",
                        "value": {
                            "resource": "hdfs://hdfs-namenode:9000/user/testuser/AppMaster.jar",
                            "type": "FILE",
                            "visibility": "APPLICATION",
                            "size": 43004,
                            "timestamp": 1405452071209,
                        },
                    }
                ]
            },
            "commands": {
                "command": "{{JAVA_HOME}}/bin/java -Xmx10m Main 1><LOG_DIR>/AppMaster.stdout "
                "2><LOG_DIR>/AppMaster.stderr"
            },
            "environment": {
                "entry": [
                    {"key": "DISTRIBUTEDSHELLSCRIPTLEN", "value": "6"},
                    {"key": "CLASSPATH", "value": "{{CLASSPATH}}<CPS>./*"},
                ]
            },
        },
        "unmanaged-AM": False,
        "max-app-attempts": 2,
        "resource": {"memory": 1024, "vCores": 1},
        "application-type": "YARN",
        "keep-containers-across-application-attempts": False,
        "log-aggregation-context": {"log-include-pattern": "file1"},
        "attempt-failures-validity-interval": 3600000,
    }


def test_hadoops_documented_example() -> None:
    submission = parse_submission(hadoop_example())
    assert submission.application_id == ApplicationId(1404203615263, 1)
    assert submission.name == "test" and submission.queue == "default"
    assert submission.am_resource == Resource(1024, 1)
    assert submission.max_app_attempts == 2 and submission.application_type == "YARN"
    assert submission.launch_context.commands == [
        "$JAVA_HOME/bin/java -Xmx10m Main 1>{{LOG_DIR}}/AppMaster.stdout "
        "2>{{LOG_DIR}}/AppMaster.stderr"
    ]
    assert submission.launch_context.environment == {
        "DISTRIBUTEDSHELLSCRIPTLEN": "6",
        "CLASSPATH": "{{CLASSPATH}}:./*",
    }
    jar = submission.launch_context.local_resources["AppMaster.jar"]
    assert (jar.url, jar.type, jar.visibility) == (
        "hdfs://hdfs-namenode:9000/user/testuser/AppMaster.jar",
        "FILE",
        "APPLICATION",
    )


def test_single_entries_listed_commands_and_defaults() -> None:
    body = {
        "application-id": APP,
        "am-container-spec": {
            "commands": {"command": ["python", "am.py", "--x"]},
            "environment": {"entry": {"key": "A", "value": "1"}},
        },
        "application-tags": {"tag": "Nightly"},
    }
    submission = parse_submission(body)
    assert submission.launch_context.commands == ["python am.py --x"]
    assert submission.launch_context.environment == {"A": "1"}
    assert submission.name == "N/A" and submission.application_type == "YARN"
    assert submission.am_resource == Resource(0, 0) and submission.max_app_attempts == 0
    assert submission.tags == ("nightly",) and submission.am_label_expression is None


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"application-id": "app_1"}, "Invalid ApplicationId: app_1"),
        ({"application-id": None}, "Invalid ApplicationId: None"),
        ({"am-container-spec": None}, "needs an am-container-spec"),
        ({"am-container-spec": {"commands": {"command": []}}}, "has no commands"),
        ({"resource": {"memory": -1, "vCores": 1}}, "requested resource is negative"),
        ({"resource": {"memory": "lots"}}, 'For input string: "lots"'),
        ({"unmanaged-AM": True}, "Unmanaged ApplicationMasters are not supported"),
    ],
)
def test_refused_submissions(change: dict[str, Any], message: str) -> None:
    body = hadoop_example() | change
    with pytest.raises(BadRequest) as error:
        parse_submission(body)
    assert message in error.value.message
    assert error.value.status == 400


def test_refused_local_resource_type() -> None:
    body = hadoop_example()
    entry = body["am-container-spec"]["local-resources"]["entry"][0]
    entry["value"]["type"] = "DIRECTORY"
    with pytest.raises(BadRequest, match="Invalid local resource type DIRECTORY"):
        parse_submission(body)


def test_not_an_object() -> None:
    with pytest.raises(BadRequest):
        parse_submission([1, 2])


def test_rewrite_command_keeps_log_dir_and_expands_others() -> None:
    assert rewrite_command("{{PWD}}/x <CPS> 1><LOG_DIR>/o {{LOG_DIR}}") == (
        "$PWD/x : 1>{{LOG_DIR}}/o {{LOG_DIR}}"
    )
