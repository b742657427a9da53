"""Presigned URLs from boto3 (SigV4 query and legacy SigV2 query) used by curl and requests."""

from __future__ import annotations

import re
import subprocess
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from tests.conftest import RunningServer
from tests.integration.s3.conftest import MiB, deterministic_bytes

pytestmark = pytest.mark.integration

KEY = "presigned/ünï code+(1).bin"  # escaping must agree between boto3, curl and the server
SIGNATURES = ["s3v4", "s3"]


def presigner(region: RunningServer, signature_version: str) -> Any:
    return region.client("s3", signature_version=signature_version)


def curl(*args: str) -> subprocess.CompletedProcess[bytes]:
    """curl with URL globbing off (presigned URLs may hold brackets) and no retries."""
    return subprocess.run(
        ["curl", "--silent", "--show-error", "--globoff", *args], capture_output=True, timeout=60
    )


def check_signature_form(url: str, signature_version: str) -> None:
    query = parse_qs(urlsplit(url).query)
    if signature_version == "s3v4":
        assert query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"]
        assert "X-Amz-Signature" in query
    else:
        assert {"AWSAccessKeyId", "Signature", "Expires"} <= set(query)


@pytest.mark.parametrize("signature_version", SIGNATURES)
def test_presigned_get_with_curl_and_requests(
    region: RunningServer, s3: Any, bucket: str, tmp_path: Path, signature_version: str
) -> None:
    data = deterministic_bytes(300_000, seed=30)
    s3.put_object(Bucket=bucket, Key=KEY, Body=data, ContentType="application/x-thing")
    url = presigner(region, signature_version).generate_presigned_url(
        "get_object", Params={"Bucket": bucket, "Key": KEY}, ExpiresIn=300
    )
    check_signature_form(url, signature_version)

    out = tmp_path / "got.bin"
    fetched = curl("--output", str(out), "--write-out", "%{http_code}", url)
    assert fetched.returncode == 0, fetched.stderr.decode()
    assert fetched.stdout == b"200"
    assert out.read_bytes() == data

    answer = requests.get(url, timeout=30)
    assert answer.status_code == 200, answer.text
    assert answer.content == data
    assert answer.headers["Content-Type"] == "application/x-thing"
    assert answer.headers["ETag"] == s3.head_object(Bucket=bucket, Key=KEY)["ETag"]

    ranged = requests.get(url, headers={"Range": "bytes=100-199"}, timeout=30)
    assert ranged.status_code == 206
    assert ranged.content == data[100:200]

    download = presigner(region, signature_version).generate_presigned_url(
        "get_object",
        Params={
            "Bucket": bucket,
            "Key": KEY,
            "ResponseContentDisposition": 'attachment; filename="report.bin"',
            "ResponseContentType": "application/octet-stream",
        },
        ExpiresIn=300,
    )
    overridden = requests.get(download, timeout=30)
    assert overridden.status_code == 200, overridden.text
    assert overridden.headers["Content-Disposition"] == 'attachment; filename="report.bin"'
    assert overridden.headers["Content-Type"] == "application/octet-stream"


@pytest.mark.parametrize("signature_version", SIGNATURES)
def test_presigned_put_with_curl(
    region: RunningServer, s3: Any, bucket: str, tmp_path: Path, signature_version: str
) -> None:
    client = presigner(region, signature_version)
    # Over 1 MiB: curl asks `Expect: 100-continue` before sending the body.
    upload = tmp_path / "upload.bin"
    upload.write_bytes(deterministic_bytes(MiB + 4321, seed=31))

    plain = client.generate_presigned_url(
        "put_object", Params={"Bucket": bucket, "Key": KEY}, ExpiresIn=300
    )
    sent = curl("--upload-file", str(upload), "--write-out", "%{http_code}", plain)
    assert sent.returncode == 0, sent.stderr.decode()
    assert sent.stdout.endswith(b"200"), sent.stdout
    stored = s3.get_object(Bucket=bucket, Key=KEY)
    assert stored["Body"].read() == upload.read_bytes()
    assert stored["ContentType"] == "binary/octet-stream"  # S3's default when none is sent

    csv = tmp_path / "table.csv"
    csv.write_bytes(b"id,name\r\n1,caf\xc3\xa9\r\n2,\x00binary\xff\r\n")
    typed = client.generate_presigned_url(
        "put_object",
        Params={"Bucket": bucket, "Key": "typed.csv", "ContentType": "text/csv"},
        ExpiresIn=300,
    )
    sent = curl(
        "--request", "PUT", "--data-binary", f"@{csv}", "--header", "Content-Type: text/csv",
        "--write-out", "%{http_code}", typed,
    )  # fmt: skip
    assert sent.returncode == 0, sent.stderr.decode()
    assert sent.stdout.endswith(b"200"), sent.stdout
    stored = s3.get_object(Bucket=bucket, Key="typed.csv")
    assert stored["Body"].read() == csv.read_bytes()
    assert stored["ContentType"] == "text/csv"

    # The Content-Type was signed: sending another one breaks the signature.
    refused = curl(
        "--request", "PUT", "--data-binary", f"@{csv}", "--header", "Content-Type: text/plain",
        "--write-out", "%{http_code}", typed,
    )  # fmt: skip
    assert refused.stdout.endswith(b"403"), refused.stdout
    assert b"<Code>SignatureDoesNotMatch</Code>" in refused.stdout


@pytest.mark.parametrize("signature_version", SIGNATURES)
def test_presigned_put_with_requests(
    region: RunningServer, s3: Any, bucket: str, signature_version: str
) -> None:
    data = deterministic_bytes(50_000, seed=32)
    url = presigner(region, signature_version).generate_presigned_url(
        "put_object",
        Params={
            "Bucket": bucket,
            "Key": KEY,
            "ContentType": "application/json",
            "Metadata": {"origin": "presigned"},
        },
        ExpiresIn=300,
    )
    answer = requests.put(
        url,
        data=data,
        headers={"Content-Type": "application/json", "x-amz-meta-origin": "presigned"},
        timeout=30,
    )
    assert answer.status_code == 200, answer.text
    head = s3.head_object(Bucket=bucket, Key=KEY)
    assert answer.headers["ETag"] == head["ETag"]
    assert head["ContentType"] == "application/json"
    assert head["Metadata"] == {"origin": "presigned"}
    assert s3.get_object(Bucket=bucket, Key=KEY)["Body"].read() == data


def test_expired_urls_are_access_denied(region: RunningServer, s3: Any, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key=KEY, Body=b"soon gone")
    urls = {
        version: presigner(region, version).generate_presigned_url(
            "get_object", Params={"Bucket": bucket, "Key": KEY}, ExpiresIn=1
        )
        for version in SIGNATURES
    }
    time.sleep(2.5)
    for version, url in urls.items():
        answer = requests.get(url, timeout=30)
        assert answer.status_code == 403, (version, answer.text)
        assert "<Code>AccessDenied</Code>" in answer.text, version
        assert "expired" in answer.text.lower(), version
        assert b"soon gone" not in answer.content


@pytest.mark.parametrize("signature_version", SIGNATURES)
def test_tampered_urls_do_not_match(
    region: RunningServer, s3: Any, bucket: str, signature_version: str
) -> None:
    s3.put_object(Bucket=bucket, Key="public.txt", Body=b"public")
    s3.put_object(Bucket=bucket, Key="secret.txt", Body=b"classified body")
    url = presigner(region, signature_version).generate_presigned_url(
        "get_object", Params={"Bucket": bucket, "Key": "public.txt"}, ExpiresIn=300
    )
    assert requests.get(url, timeout=30).content == b"public"

    other_key = url.replace("/public.txt?", "/secret.txt?")
    longer = re.sub(
        r"(?<=[?&])(X-Amz-Expires|Expires)=(\d+)", lambda m: f"{m[1]}={int(m[2]) + 1000}", url
    )
    assert longer != url
    for tampered in [other_key, longer]:
        answer = requests.get(tampered, timeout=30)
        assert answer.status_code == 403, answer.text
        assert "<Code>SignatureDoesNotMatch</Code>" in answer.text
        assert b"classified body" not in answer.content

    fetched = curl("--write-out", "\n%{http_code}", other_key)
    assert fetched.stdout.endswith(b"\n403")
    assert b"<Code>SignatureDoesNotMatch</Code>" in fetched.stdout
