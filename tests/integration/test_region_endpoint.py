"""The region endpoint answers real AWS clients: identity, signatures, errors in each protocol."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from botocore.exceptions import ClientError

from tests.conftest import RunningServer
from tests.integration.signing import signed_send

pytestmark = pytest.mark.integration


def _error(call: object) -> tuple[int, str, str]:
    assert callable(call)
    with pytest.raises(ClientError) as caught:
        call()
    response = caught.value.response
    return (
        response["ResponseMetadata"]["HTTPStatusCode"],
        response["Error"]["Code"],
        response["Error"].get("Message", ""),
    )


def test_boto3_get_caller_identity(region: RunningServer) -> None:
    identity = region.client("sts").get_caller_identity()
    assert identity["Account"] == "123456789012"
    assert identity["Arn"] == "arn:aws:iam::123456789012:root"
    assert identity["UserId"] == "123456789012"
    assert len(identity["ResponseMetadata"]["RequestId"]) == 36


def test_aws_cli_get_caller_identity(region: RunningServer) -> None:
    aws = Path(sys.executable).with_name("aws")
    result = subprocess.run(
        [str(aws), "sts", "get-caller-identity"],
        env=region.cli_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    printed = json.loads(result.stdout)
    assert printed["Account"] == "123456789012"
    assert printed["Arn"] == "arn:aws:iam::123456789012:root"


@pytest.mark.parametrize(
    ("service", "call", "status", "code"),
    [
        ("sts", "get_caller_identity", 403, "SignatureDoesNotMatch"),
        ("s3", "list_buckets", 403, "SignatureDoesNotMatch"),
        ("emr", "list_clusters", 400, "InvalidSignatureException"),
    ],
)
def test_wrong_secret_is_refused_in_each_protocol_family(
    region: RunningServer, service: str, call: str, status: int, code: str
) -> None:
    forged = region.session(secret="wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
    client = region.client(service, forged)
    got_status, got_code, message = _error(getattr(client, call))
    assert (got_status, got_code) == (status, code)
    assert "signature" in message.lower()


@pytest.mark.parametrize(
    ("service", "call", "status", "code"),
    [
        ("sts", "get_caller_identity", 403, "InvalidClientTokenId"),
        ("s3", "list_buckets", 403, "InvalidAccessKeyId"),
        ("emr", "list_clusters", 400, "UnrecognizedClientException"),
    ],
)
def test_unknown_access_key_is_refused(
    region: RunningServer, service: str, call: str, status: int, code: str
) -> None:
    stranger = region.session(key="AKIAIOSFODNN7EXAMPLE", secret="x" * 40)
    assert _error(getattr(region.client(service, stranger), call))[:2] == (status, code)


def test_unsigned_requests_get_each_protocols_error(region: RunningServer) -> None:
    sts = httpx.post(
        region.url,
        content=b"Action=GetCallerIdentity&Version=2011-06-15",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert sts.status_code == 403
    assert "<Code>MissingAuthenticationToken</Code>" in sts.text

    emr = httpx.post(
        region.url,
        content=b"{}",
        headers={
            "Content-Type": "application/x-amz-json-1.1",
            "X-Amz-Target": "ElasticMapReduce.ListClusters",
        },
    )
    assert emr.status_code == 403
    assert emr.json()["__type"] == "MissingAuthenticationTokenException"

    s3 = httpx.get(region.url + "/some-bucket/some-key")
    assert s3.status_code == 403
    assert "<Code>AccessDenied</Code>" in s3.text
    assert s3.headers["x-amz-request-id"]


def test_presigned_url_works_until_it_expires(region: RunningServer) -> None:
    sts = region.client("sts")
    # As EKS tokens do: botocore signs the model's method (POST) unless told otherwise.
    url = sts.generate_presigned_url("get_caller_identity", ExpiresIn=60, HttpMethod="GET")
    answer = httpx.get(url)
    assert answer.status_code == 200, answer.text
    assert "<Arn>arn:aws:iam::123456789012:root</Arn>" in answer.text

    short = sts.generate_presigned_url("get_caller_identity", ExpiresIn=1, HttpMethod="GET")
    time.sleep(2.1)
    expired = httpx.get(short)
    assert expired.status_code == 400
    assert "<Code>RequestExpired</Code>" in expired.text


def test_clock_skew_is_refused(region: RunningServer) -> None:
    an_hour_ago = datetime.now(UTC) - timedelta(hours=1)
    body = b"Action=GetCallerIdentity&Version=2011-06-15"
    headers = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
    skewed = signed_send(region, service="sts", body=body, headers=headers, at=an_hour_ago)
    assert skewed.status_code == 403
    assert "<Code>SignatureDoesNotMatch</Code>" in skewed.text
    assert "Signature expired" in skewed.text

    fresh = signed_send(region, service="sts", body=body, headers=headers)
    assert fresh.status_code == 200, fresh.text

    s3_skewed = signed_send(
        region,
        service="s3",
        method="GET",
        headers={"x-amz-content-sha256": "UNSIGNED-PAYLOAD"},
        at=an_hour_ago,
    )
    assert s3_skewed.status_code == 403
    assert "<Code>RequestTimeTooSkewed</Code>" in s3_skewed.text


def test_malformed_authorization_header_is_incomplete_signature(region: RunningServer) -> None:
    answer = httpx.post(
        region.url,
        content=b"Action=GetCallerIdentity&Version=2011-06-15",
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Authorization": "AWS4-HMAC-SHA256 Credential=AKIA/20250101/us-east-1/sts/aws4_request",
        },
    )
    assert answer.status_code == 400
    assert "<Code>IncompleteSignature</Code>" in answer.text


EMR_JSON = {"Content-Type": "application/x-amz-json-1.1"}
FORM = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}


@pytest.mark.parametrize(
    ("service", "headers", "body", "status", "code"),
    [
        ("elasticmapreduce", {**EMR_JSON, "X-Amz-Target": "ElasticMapReduce.ListClusters"},
         b"{not json", 400, "SerializationException"),
        ("elasticmapreduce", {**EMR_JSON, "X-Amz-Target": "ElasticMapReduce.ListClusters"},
         b'{"ClusterStates": "RUNNING"}', 400, "SerializationException"),
        ("elasticmapreduce", {**EMR_JSON, "X-Amz-Target": "ElasticMapReduce.NoSuchThing"},
         b"{}", 400, "UnknownOperationException"),
        ("elasticmapreduce", {**EMR_JSON, "X-Amz-Target": "ElasticMapReduce.DescribeCluster"},
         b"{}", 400, "ValidationException"),
        ("elasticmapreduce", {**EMR_JSON, "X-Amz-Target": "ElasticMapReduce.ListClusters"},
         b"\xff\xfe\x00garbage", 400, "SerializationException"),
        ("sts", FORM, b"Action=NoSuchAction&Version=2011-06-15", 400, "InvalidAction"),
        ("sts", FORM, b"Version=2011-06-15", 400, "InvalidAction"),
        ("sts", FORM, b"Action=AssumeRole&Version=2011-06-15", 400, "ValidationError"),
        ("sts", FORM, b"Action=GetCallerIdentity&Version=2011-06-15&%zz=%%%", 200, None),
    ],
)  # fmt: skip
def test_malformed_requests_get_client_errors_not_500(
    region: RunningServer,
    service: str,
    headers: dict[str, str],
    body: bytes,
    status: int,
    code: str | None,
) -> None:
    answer = signed_send(region, service=service, body=body, headers=headers)
    assert answer.status_code == status, answer.text
    if code is not None:
        assert code in answer.text
        assert answer.headers.get("x-amzn-requestid")


def test_unimplemented_operation_is_not_implemented_in_protocol_shape(
    region: RunningServer,
) -> None:
    status, code, message = _error(region.client("emr").list_studios)
    assert (status, code) == (501, "NotImplemented")
    assert "ListStudios" in message


def test_health_endpoint(region: RunningServer) -> None:
    assert httpx.get(region.url + "/_emr/health").json()["status"] == "running"
