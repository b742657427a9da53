"""The EMR operations that need no cluster, through boto3 and the aws cli: release labels,
supported instance types, security configurations, block public access."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import RunningServer

pytestmark = pytest.mark.integration

ROOT_ARN = "arn:aws:iam::123456789012:root"
ENCRYPTION = {
    "EncryptionConfiguration": {
        "EnableInTransitEncryption": False,
        "EnableAtRestEncryption": True,
        "AtRestEncryptionConfiguration": {
            "S3EncryptionConfiguration": {"EncryptionMode": "SSE-S3"}
        },
    }
}


def _error(call: Callable[..., Any], **kwargs: Any) -> tuple[int, str, str]:
    with pytest.raises(ClientError) as caught:
        call(**kwargs)
    response = caught.value.response
    return (
        response["ResponseMetadata"]["HTTPStatusCode"],
        response["Error"]["Code"],
        response["Error"].get("Message", ""),
    )


def _name(hint: str) -> str:
    return f"{hint}-{uuid.uuid4().hex[:12]}"


def _aws(server: RunningServer, *args: str) -> Any:
    aws = Path(sys.executable).with_name("aws")
    result = subprocess.run(
        [str(aws), "emr", *args, "--output", "json"],
        env=server.cli_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout) if result.stdout.strip() else None


def _recent(moment: datetime) -> bool:
    return abs(datetime.now(UTC) - moment) < timedelta(minutes=1)


@pytest.fixture(scope="module")
def emr(region: RunningServer) -> Any:
    return region.client("emr")


@pytest.fixture(scope="module")
def unvalidated(region: RunningServer) -> Any:
    """A client that sends what it is given, so the server's own validation answers."""
    return region.client("emr", parameter_validation=False)


# --- release labels ---------------------------------------------------------------------------


def test_list_release_labels_newest_first(emr: Any) -> None:
    labels = emr.list_release_labels()["ReleaseLabels"]
    assert labels[0] == "emr-7.12.0"
    assert "emr-7.5.0" in labels and "emr-6.15.0" in labels and "emr-5.36.0" in labels
    assert len(labels) == len(set(labels))


def test_list_release_labels_pages_through_next_token(emr: Any) -> None:
    everything = emr.list_release_labels()["ReleaseLabels"]
    paged: list[str] = []
    token: str | None = None
    pages = 0
    while True:
        kwargs: dict[str, Any] = {"MaxResults": 7}
        if token:
            kwargs["NextToken"] = token
        answer = emr.list_release_labels(**kwargs)
        assert len(answer["ReleaseLabels"]) <= 7
        paged += answer["ReleaseLabels"]
        pages += 1
        token = answer.get("NextToken")
        if not token:
            break
    assert paged == everything
    assert pages == -(-len(everything) // 7)


def test_list_release_labels_filters(emr: Any) -> None:
    emr6 = emr.list_release_labels(Filters={"Prefix": "emr-6"})["ReleaseLabels"]
    assert emr6 and all(label.startswith("emr-6.") for label in emr6)
    assert emr.list_release_labels(Filters={"Prefix": "emr-6.1"})["ReleaseLabels"] == [
        "emr-6.15.0",
        "emr-6.14.0",
        "emr-6.13.0",
        "emr-6.12.0",
        "emr-6.11.0",
        "emr-6.10.0",
        "emr-6.1.0",
    ]
    assert emr.list_release_labels(Filters={"Prefix": "emr-99"})["ReleaseLabels"] == []
    spark = emr.list_release_labels(Filters={"Prefix": "emr-7", "Application": "Spark@4.3.0"})
    assert spark["ReleaseLabels"][0] == "emr-7.12.0"
    assert emr.list_release_labels(Filters={"Application": "spark@3.5.0"})["ReleaseLabels"] == []
    assert emr.list_release_labels(Filters={"Application": "Hive"})["ReleaseLabels"] == []


def test_list_release_labels_refuses_a_foreign_token(emr: Any) -> None:
    other = emr.describe_release_label(ReleaseLabel="emr-7.5.0", MaxResults=1)["NextToken"]
    for token in (other, "not-a-token", "bm90LWEtdG9rZW4="):
        assert _error(emr.list_release_labels, NextToken=token) == (
            400,
            "InvalidRequestException",
            "The pagination token is invalid.",
        )


def test_list_release_labels_max_results_is_validated(unvalidated: Any) -> None:
    status, code, message = _error(unvalidated.list_release_labels, MaxResults=0)
    assert (status, code) == (400, "ValidationException")
    assert "maxResults" in message or "MaxResults" in message


def test_aws_cli_list_release_labels(region: RunningServer) -> None:
    printed = _aws(region, "list-release-labels", "--filters", "Prefix=emr-7")
    assert printed["ReleaseLabels"][0] == "emr-7.12.0"
    assert all(label.startswith("emr-7.") for label in printed["ReleaseLabels"])


def test_describe_release_label_reports_what_runs(emr: Any) -> None:
    answer = emr.describe_release_label(ReleaseLabel="emr-7.5.0")
    assert answer["ReleaseLabel"] == "emr-7.5.0"
    assert {"Name": "spark", "Version": "4.3.0"} in answer["Applications"]
    assert {"Name": "hadoop", "Version": "3.5.0"} in answer["Applications"]
    assert answer["AvailableOSReleases"] == []
    assert "NextToken" not in answer
    # Any well-formed label is accepted, and without one the newest is described.
    assert emr.describe_release_label(ReleaseLabel="emr-4.2.7")["ReleaseLabel"] == "emr-4.2.7"
    assert emr.describe_release_label()["ReleaseLabel"] == "emr-7.12.0"


def test_describe_release_label_pages_applications(emr: Any) -> None:
    first = emr.describe_release_label(ReleaseLabel="emr-6.15.0", MaxResults=1)
    second = emr.describe_release_label(
        ReleaseLabel="emr-6.15.0", MaxResults=1, NextToken=first["NextToken"]
    )
    assert len(first["Applications"]) == len(second["Applications"]) == 1
    assert "NextToken" not in second
    whole = emr.describe_release_label(ReleaseLabel="emr-6.15.0")["Applications"]
    assert first["Applications"] + second["Applications"] == whole
    # The token is bound to its label.
    status, code, _ = _error(
        emr.describe_release_label, ReleaseLabel="emr-7.0.0", NextToken=first["NextToken"]
    )
    assert (status, code) == (400, "InvalidRequestException")


@pytest.mark.parametrize("label", ["emr-7.5", "7.5.0", "emr-07.5.0", "EMR-7.5.0", "emr-7.5.0-x"])
def test_describe_release_label_refuses_a_malformed_label(emr: Any, label: str) -> None:
    assert _error(emr.describe_release_label, ReleaseLabel=label) == (
        400,
        "ValidationException",
        f"The supplied release label is invalid: {label}.",
    )


# --- instance types ---------------------------------------------------------------------------


def _all_instance_types(emr: Any, label: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    marker: str | None = None
    while True:
        kwargs: dict[str, Any] = {"ReleaseLabel": label}
        if marker:
            kwargs["Marker"] = marker
        answer = emr.list_supported_instance_types(**kwargs)
        found += answer["SupportedInstanceTypes"]
        marker = answer.get("Marker")
        if not marker:
            return found


def test_list_supported_instance_types_pages_the_catalog(emr: Any) -> None:
    first = emr.list_supported_instance_types(ReleaseLabel="emr-7.5.0")
    assert len(first["SupportedInstanceTypes"]) == 100
    assert "Marker" in first
    types = _all_instance_types(emr, "emr-7.5.0")
    names = [t["Type"] for t in types]
    assert len(names) == len(set(names)) > 100
    by_name = {t["Type"]: t for t in types}
    assert by_name["m5.xlarge"] == {
        "Type": "m5.xlarge",
        "MemoryGB": 16.0,
        "StorageGB": 0,
        "VCPU": 4,
        "Is64BitsOnly": True,
        "InstanceFamilyId": "m5",
        "EbsOptimizedAvailable": True,
        "EbsOptimizedByDefault": True,
        "NumberOfDisks": 0,
        "EbsStorageOnly": True,
        "Architecture": "x86_64",
    }
    assert by_name["m6g.large"]["Architecture"] == "arm64"
    assert by_name["m5d.4xlarge"]["StorageGB"] == 600
    assert [t["Type"] for t in _all_instance_types(emr, "emr-6.10.0")] == names


def test_list_supported_instance_types_errors(emr: Any, unvalidated: Any) -> None:
    assert _error(emr.list_supported_instance_types, ReleaseLabel="spark") == (
        400,
        "ValidationException",
        "The supplied release label is invalid: spark.",
    )
    marker = emr.list_supported_instance_types(ReleaseLabel="emr-7.5.0")["Marker"]
    status, code, _ = _error(
        emr.list_supported_instance_types, ReleaseLabel="emr-7.4.0", Marker=marker
    )
    assert (status, code) == (400, "InvalidRequestException")
    status, code, message = _error(unvalidated.list_supported_instance_types)
    assert (status, code) == (400, "ValidationException")
    assert "ReleaseLabel" in message or "releaseLabel" in message


# --- security configurations -------------------------------------------------------------------


def test_security_configuration_round_trip(emr: Any) -> None:
    name = _name("roundtrip")
    document = json.dumps(ENCRYPTION, indent=2)
    created = emr.create_security_configuration(Name=name, SecurityConfiguration=document)
    assert created["Name"] == name
    assert _recent(created["CreationDateTime"])

    described = emr.describe_security_configuration(Name=name)
    assert described["Name"] == name
    assert described["SecurityConfiguration"] == document  # verbatim, whitespace included
    assert described["CreationDateTime"] == created["CreationDateTime"]

    listed = _all_security_configurations(emr)
    assert {"Name": name, "CreationDateTime": created["CreationDateTime"]} in listed

    assert emr.delete_security_configuration(Name=name)["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert name not in [entry["Name"] for entry in _all_security_configurations(emr)]
    # The name is free again.
    emr.create_security_configuration(Name=name, SecurityConfiguration="{}")
    emr.delete_security_configuration(Name=name)


def _all_security_configurations(emr: Any) -> list[dict[str, Any]]:
    paginator = emr.get_paginator("list_security_configurations")
    return [entry for page in paginator.paginate() for entry in page["SecurityConfigurations"]]


def test_list_security_configurations_pages_newest_first(emr: Any) -> None:
    stem = _name("paged")
    names = [f"{stem}-{i:02d}" for i in range(57)]
    for name in names:
        emr.create_security_configuration(Name=name, SecurityConfiguration="{}")
    try:
        first = emr.list_security_configurations()
        assert len(first["SecurityConfigurations"]) == 50
        assert "Marker" in first
        listed = [entry["Name"] for entry in _all_security_configurations(emr)]
        assert len(listed) == len(set(listed))
        mine = [name for name in listed if name.startswith(stem)]
        assert mine == names[::-1]
        # A deletion between pages neither repeats nor skips an entry.
        pages = emr.get_paginator("list_security_configurations").paginate()
        seen: list[str] = []
        for index, page in enumerate(pages):
            seen += [entry["Name"] for entry in page["SecurityConfigurations"]]
            if index == 0:
                emr.delete_security_configuration(Name=names[-1])  # already on page one
        assert [name for name in seen if name.startswith(stem)] == names[::-1]
    finally:
        for name in names[:-1]:
            emr.delete_security_configuration(Name=name)


def test_list_security_configurations_refuses_a_foreign_marker(emr: Any) -> None:
    token = emr.list_release_labels(MaxResults=1)["NextToken"]
    for marker in (token, "garbage"):
        assert _error(emr.list_security_configurations, Marker=marker) == (
            400,
            "InvalidRequestException",
            "The pagination token is invalid.",
        )


def test_create_security_configuration_refuses_a_duplicate_name(emr: Any) -> None:
    name = _name("duplicate")
    emr.create_security_configuration(Name=name, SecurityConfiguration="{}")
    try:
        assert _error(emr.create_security_configuration, Name=name, SecurityConfiguration="{}") == (
            400,
            "InvalidRequestException",
            f"SecurityConfiguration with name '{name}' already exists.",
        )
    finally:
        emr.delete_security_configuration(Name=name)


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (
            '{"EncryptionConfiguration": ',
            "Invalid security configuration; the document is not valid JSON at line 1 column 29.",
        ),
        (
            "not json",
            "Invalid security configuration; the document is not valid JSON at line 1 column 1.",
        ),
        ("", "Invalid security configuration; the document is not valid JSON at line 1 column 1."),
        ("[1, 2]", "Invalid security configuration; the document must be a JSON object."),
        ('"text"', "Invalid security configuration; the document must be a JSON object."),
    ],
)
def test_create_security_configuration_refuses_a_bad_document(
    emr: Any, document: str, message: str
) -> None:
    name = _name("bad")
    assert _error(emr.create_security_configuration, Name=name, SecurityConfiguration=document) == (
        400,
        "InvalidRequestException",
        message,
    )
    status, code, _ = _error(emr.describe_security_configuration, Name=name)
    assert (status, code) == (400, "InvalidRequestException")


@pytest.mark.parametrize("name", ["", "x" * 257])
def test_create_security_configuration_refuses_a_bad_name(emr: Any, name: str) -> None:
    assert _error(emr.create_security_configuration, Name=name, SecurityConfiguration="{}") == (
        400,
        "InvalidRequestException",
        "Security configuration name must be between 1 and 256 characters.",
    )


def test_unknown_security_configuration(emr: Any) -> None:
    name = _name("missing")
    expected = (
        400,
        "InvalidRequestException",
        f"Security configuration with name '{name}' does not exist.",
    )
    assert _error(emr.describe_security_configuration, Name=name) == expected
    assert _error(emr.delete_security_configuration, Name=name) == expected


def test_aws_cli_create_security_configuration(region: RunningServer, emr: Any) -> None:
    name = _name("cli")
    document = json.dumps(ENCRYPTION)
    printed = _aws(
        region,
        "create-security-configuration",
        "--name",
        name,
        "--security-configuration",
        document,
    )
    assert printed["Name"] == name
    assert "CreationDateTime" in printed
    described = _aws(region, "describe-security-configuration", "--name", name)
    assert json.loads(described["SecurityConfiguration"]) == ENCRYPTION
    listed = _aws(region, "list-security-configurations")
    assert name in [entry["Name"] for entry in listed["SecurityConfigurations"]]
    _aws(region, "delete-security-configuration", "--name", name)
    status, code, _ = _error(emr.describe_security_configuration, Name=name)
    assert (status, code) == (400, "InvalidRequestException")


# --- block public access ----------------------------------------------------------------------


def test_block_public_access_put_and_get(emr: Any) -> None:
    before = emr.get_block_public_access_configuration()
    try:
        emr.put_block_public_access_configuration(
            BlockPublicAccessConfiguration={
                "BlockPublicSecurityGroupRules": True,
                "PermittedPublicSecurityGroupRuleRanges": [
                    {"MinRange": 22, "MaxRange": 22},
                    {"MinRange": 8080, "MaxRange": 8090},
                    {"MinRange": 443},
                ],
            }
        )
        answer = emr.get_block_public_access_configuration()
        assert answer["BlockPublicAccessConfiguration"] == {
            "BlockPublicSecurityGroupRules": True,
            "PermittedPublicSecurityGroupRuleRanges": [
                {"MinRange": 22, "MaxRange": 22},
                {"MinRange": 8080, "MaxRange": 8090},
                {"MinRange": 443},
            ],
        }
        metadata = answer["BlockPublicAccessConfigurationMetadata"]
        assert metadata["CreatedByArn"] == ROOT_ARN
        assert _recent(metadata["CreationDateTime"])

        emr.put_block_public_access_configuration(
            BlockPublicAccessConfiguration={"BlockPublicSecurityGroupRules": False}
        )
        assert emr.get_block_public_access_configuration()["BlockPublicAccessConfiguration"] == {
            "BlockPublicSecurityGroupRules": False,
            "PermittedPublicSecurityGroupRuleRanges": [],
        }
    finally:
        emr.put_block_public_access_configuration(
            BlockPublicAccessConfiguration=before["BlockPublicAccessConfiguration"]
        )


@pytest.mark.parametrize(
    ("ranges", "message"),
    [
        (
            [{"MinRange": 90, "MaxRange": 80}],
            "Invalid port range: MinRange 90 is greater than MaxRange 80.",
        ),
        ([{"MinRange": -1}], "Invalid port range: ports must be between 0 and 65535."),
        (
            [{"MinRange": 22, "MaxRange": 65536}],
            "Invalid port range: ports must be between 0 and 65535.",
        ),
    ],
)
def test_block_public_access_refuses_bad_ranges(
    emr: Any, unvalidated: Any, ranges: list[dict[str, int]], message: str
) -> None:
    before = emr.get_block_public_access_configuration()["BlockPublicAccessConfiguration"]
    status, code, got = _error(
        unvalidated.put_block_public_access_configuration,
        BlockPublicAccessConfiguration={
            "BlockPublicSecurityGroupRules": True,
            "PermittedPublicSecurityGroupRuleRanges": ranges,
        },
    )
    assert status == 400
    if any(r.get("MaxRange", 0) > 65535 for r in ranges):
        assert code == "ValidationException"  # outside the model's range: refused by the gateway
    else:
        assert (code, got) == ("InvalidRequestException", message)
    assert emr.get_block_public_access_configuration()["BlockPublicAccessConfiguration"] == before


def test_block_public_access_requires_the_flag(unvalidated: Any) -> None:
    status, code, _ = _error(
        unvalidated.put_block_public_access_configuration,
        BlockPublicAccessConfiguration={"PermittedPublicSecurityGroupRuleRanges": []},
    )
    assert (status, code) == (400, "ValidationException")


# --- durability -------------------------------------------------------------------------------


def test_state_survives_a_restart(server_factory: Callable[..., RunningServer]) -> None:
    server = server_factory()
    emr = server.client("emr")

    default = emr.get_block_public_access_configuration()
    assert default["BlockPublicAccessConfiguration"] == {
        "BlockPublicSecurityGroupRules": True,
        "PermittedPublicSecurityGroupRuleRanges": [{"MinRange": 22, "MaxRange": 22}],
    }
    assert default["BlockPublicAccessConfigurationMetadata"]["CreatedByArn"] == ROOT_ARN
    # The default's metadata is stable from one Get to the next.
    again = emr.get_block_public_access_configuration()
    assert (
        again["BlockPublicAccessConfigurationMetadata"]
        == default["BlockPublicAccessConfigurationMetadata"]
    )

    emr.put_block_public_access_configuration(
        BlockPublicAccessConfiguration={
            "BlockPublicSecurityGroupRules": True,
            "PermittedPublicSecurityGroupRuleRanges": [{"MinRange": 443, "MaxRange": 443}],
        }
    )
    put = emr.get_block_public_access_configuration()
    emr.create_security_configuration(Name="kept", SecurityConfiguration=json.dumps(ENCRYPTION))
    emr.create_security_configuration(Name="dropped", SecurityConfiguration="{}")
    emr.delete_security_configuration(Name="dropped")
    kept = emr.describe_security_configuration(Name="kept")

    assert server.stop() == 0
    restarted = server_factory(server.data_dir)
    emr = restarted.client("emr")

    put.pop("ResponseMetadata")
    again_put = emr.get_block_public_access_configuration()
    again_put.pop("ResponseMetadata")
    assert again_put == put
    again_kept = emr.describe_security_configuration(Name="kept")
    for answer in (again_kept, kept):
        answer.pop("ResponseMetadata")
    assert again_kept == kept
    assert [entry["Name"] for entry in _all_security_configurations(emr)] == ["kept"]
    status, code, _ = _error(emr.describe_security_configuration, Name="dropped")
    assert (status, code) == (400, "InvalidRequestException")
