"""Server-side input validation with the problem strings AWS answers."""

from __future__ import annotations

from typing import Any

import botocore.session
import pytest
from botocore.model import StructureShape

from emr.errors import ParameterValidationError
from emr.gateway.protocols.validate import validate_input

_SESSION = botocore.session.get_session()


def _input(service: str, operation: str) -> StructureShape:
    shape = _SESSION.get_service_model(service).operation_model(operation).input_shape
    assert shape is not None
    return shape


def _problems(service: str, operation: str, params: dict[str, Any]) -> list[str]:
    with pytest.raises(ParameterValidationError) as caught:
        validate_input(params, _input(service, operation), code="ValidationException")
    assert caught.value.code == "ValidationException"
    assert caught.value.status_code == 400
    return caught.value.problems


def test_valid_input_passes() -> None:
    validate_input(
        {"StreamName": "s-1", "ShardCount": 2, "StreamModeDetails": {"StreamMode": "ON_DEMAND"}},
        _input("kinesis", "CreateStream"),
        code="ValidationException",
    )
    validate_input({}, None, code="ValidationException")


def test_missing_required_members_nested_paths() -> None:
    problems = _problems("emr", "RunJobFlow", {"Instances": {"InstanceGroups": [{"Name": "g"}]}})
    assert problems == [
        "Value null at 'name' failed to satisfy constraint: Member must not be null",
        "Value null at 'instances.instanceGroups.1.member.instanceRole' failed to satisfy "
        "constraint: Member must not be null",
        "Value null at 'instances.instanceGroups.1.member.instanceType' failed to satisfy "
        "constraint: Member must not be null",
        "Value null at 'instances.instanceGroups.1.member.instanceCount' failed to satisfy "
        "constraint: Member must not be null",
    ]


def test_too_long_and_out_of_range_and_pattern() -> None:
    problems = _problems("kinesis", "CreateStream", {"StreamName": "x" * 129, "ShardCount": 0})
    assert problems == [
        f"Value '{'x' * 129}' at 'streamName' failed to satisfy constraint: "
        "Member must have length less than or equal to 128",
        "Value '0' at 'shardCount' failed to satisfy constraint: "
        "Member must have value greater than or equal to 1",
    ]
    problems = _problems("kinesis", "CreateStream", {"StreamName": "bad name!"})
    assert problems == [
        "Value 'bad name!' at 'streamName' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+"
    ]


def test_bad_enum_and_list_items() -> None:
    problems = _problems(
        "kinesis", "CreateStream", {"StreamName": "s", "StreamModeDetails": {"StreamMode": "FAST"}}
    )
    assert problems == [
        "Value 'FAST' at 'streamModeDetails.streamMode' failed to satisfy constraint: "
        "Member must satisfy enum value set: [PROVISIONED, ON_DEMAND]"
    ]
    problems = _problems("emr", "ListClusters", {"ClusterStates": ["RUNNING", "NAPPING"]})
    assert problems == [
        "Value 'NAPPING' at 'clusterStates.2.member' failed to satisfy constraint: Member must "
        "satisfy enum value set: [STARTING, BOOTSTRAPPING, RUNNING, WAITING, TERMINATING, "
        "TERMINATED, TERMINATED_WITH_ERRORS]"
    ]


def test_map_length_and_keys() -> None:
    problems = _problems("kinesis", "CreateStream", {"StreamName": "s", "Tags": {}})
    assert problems == [
        "Value '{}' at 'tags' failed to satisfy constraint: "
        "Member must have length greater than or equal to 1"
    ]
    problems = _problems("kinesis", "CreateStream", {"StreamName": "s", "Tags": {"": "v"}})
    assert problems == [
        "Value '{=v}' at 'tags' failed to satisfy constraint: Map keys must satisfy "
        "constraint: [Member must have length greater than or equal to 1]"
    ]


def test_sensitive_values_are_not_echoed() -> None:
    problems = _problems("iam", "ChangePassword", {"OldPassword": "s3cr3t", "NewPassword": "a\x01"})
    assert problems == [
        "Value at 'newPassword' failed to satisfy constraint: Member must satisfy regular "
        "expression pattern: [\\u0009\\u000A\\u000D\\u0020-\\u00FF]+"
    ]


def test_java_only_patterns_are_skipped() -> None:
    # EMR's XmlString pattern is written for UTF-16 surrogates; it must not reject emoji.
    validate_input(
        {"Name": "cluster 😀", "Instances": {}},
        _input("emr", "RunJobFlow"),
        code="ValidationException",
    )


def test_message_counts_problems() -> None:
    with pytest.raises(ParameterValidationError) as caught:
        validate_input({}, _input("kinesis", "CreateStream"), code="ValidationError")
    assert caught.value.code == "ValidationError"
    assert str(caught.value.message).startswith("1 validation error detected: Value null at")
