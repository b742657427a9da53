"""No input produces a 500: a bounded, seeded barrage of malformed but correctly signed requests."""

from __future__ import annotations

import random
from urllib.parse import quote

import httpx
import pytest
from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from tests.conftest import RunningServer
from tests.integration.s3.conftest import unique_bucket_name

pytestmark = pytest.mark.integration

REQUESTS = 400
METHODS = ["GET", "PUT", "POST", "DELETE", "HEAD"]
QUERIES = [
    "", "uploads", "uploadId=nope", "partNumber=abc&uploadId=x", "partNumber=0&uploadId=x",
    "partNumber=10001&uploadId=x", "versionId=%00", "versions", "list-type=2&max-keys=-1",
    "list-type=2&continuation-token=%%%", "list-type=2&encoding-type=bogus", "tagging",
    "acl", "policy", "cors", "versioning", "delete", "attributes", "location", "lifecycle",
    "max-keys=99999999999999999999", "marker=\udcff", "prefix=%ff%fe", "delimiter=",
    "response-content-type=%0d%0a", "x-id=GetObject", "select&select-type=2",
]  # fmt: skip
HEADERS = [
    {}, {"Range": "bytes=zzz"}, {"Range": "bytes=-0"}, {"Range": "bytes=999999999999-"},
    {"x-amz-copy-source": "garbage"}, {"x-amz-copy-source": "/b/%ff%fe?versionId="},
    {"If-Match": '"'}, {"If-Modified-Since": "yesterday"}, {"Content-MD5": "!!"},
    {"x-amz-checksum-crc32": "not base64"}, {"x-amz-checksum-algorithm": "MD4"},
    {"x-amz-tagging": "a=%zz&&=="}, {"x-amz-meta-\u00e9": "v"}, {"x-amz-object-lock-mode": "x"},
    {"x-amz-copy-source-range": "bytes=9-1"}, {"Content-Type": "multipart/form-data"},
    {"x-amz-checksum-mode": "SOMETIMES"}, {"x-amz-max-parts": "-5"},
    {"x-amz-server-side-encryption": "ROT13"}, {"x-amz-storage-class": "COLD"},
]  # fmt: skip
BODIES = [
    b"", b"<", b"<?xml version='1.0'?><!DOCTYPE x [<!ENTITY a 'b'>]><x>&a;</x>",
    b"<Delete><Object><Key></Key></Object></Delete>", b"<CompleteMultipartUpload/>",
    b"<CompleteMultipartUpload><Part><PartNumber>x</PartNumber></Part></CompleteMultipartUpload>",
    b"<VersioningConfiguration><Status>Maybe</Status></VersioningConfiguration>",
    b"<Tagging><TagSet><Tag><Key>k</Key></Tag></TagSet></Tagging>", b"{not json", b"\xff" * 64,
    b"<CreateBucketConfiguration><LocationConstraint>mars-1</LocationConstraint></CreateBucketConfiguration>",
]  # fmt: skip


def test_malformed_signed_requests_never_get_a_500(region: RunningServer) -> None:
    client = region.client("s3")
    bucket = unique_bucket_name("fuzz")
    client.create_bucket(Bucket=bucket)
    client.put_object(Bucket=bucket, Key="existing", Body=b"0123456789")
    credentials = Credentials(region.env["AWS_ACCESS_KEY_ID"], region.env["AWS_SECRET_ACCESS_KEY"])
    signer = S3SigV4Auth(credentials, "s3", region.env["AWS_DEFAULT_REGION"])
    chooser = random.Random(20261124)
    keys = ["", "existing", "missing", "a/../../etc/passwd", "%00", "k" * 1100, "\u00fc ~+=&"]
    failures = []
    with httpx.Client(timeout=30) as http:
        for _ in range(REQUESTS):
            method = chooser.choice(METHODS)
            key = chooser.choice(keys)
            target = chooser.choice([bucket, bucket, "no-such-bucket-xyz", "Bad_Name"])
            path = f"/{target}/" + quote(key, safe="/~")
            query = chooser.choice(QUERIES)
            headers = dict(chooser.choice(HEADERS))
            body = chooser.choice(BODIES) if method in ("PUT", "POST") else b""
            url = f"{region.url}{path}" + (f"?{query}" if query else "")
            request = AWSRequest(method=method, url=url, data=body, headers=headers)
            try:
                signer.add_auth(request)
            except (UnicodeError, ValueError):
                continue  # botocore itself cannot sign it: no client could send it
            prepared = request.prepare()
            try:
                answer = http.request(
                    method, prepared.url, headers=dict(prepared.headers), content=body
                )
            except UnicodeEncodeError:
                continue  # httpx cannot put it on the wire either

            if answer.status_code >= 500 and answer.status_code != 501:
                failures.append(
                    f"{method} {url} {headers} -> {answer.status_code} {answer.text[:200]}"
                )
    assert not failures, "\n".join(failures[:10])
