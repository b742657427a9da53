"""Signature verification against requests signed by botocore's own signers and clients."""

from __future__ import annotations

import base64
import io
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import formatdate
from types import SimpleNamespace
from typing import Any
from urllib.parse import quote, urlsplit

import boto3
import botocore.auth
import pytest
from botocore.auth import (
    HmacV1Auth,
    HmacV1QueryAuth,
    S3SigV4Auth,
    S3SigV4QueryAuth,
    SigV4Auth,
    SigV4QueryAuth,
)
from botocore.awsrequest import AWSPreparedRequest, AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from starlette.datastructures import Headers

from emr.errors import AuthFailure, AuthFailureReason
from emr.gateway.http import HttpRequest
from emr.gateway.sigv4 import (
    AuthResult,
    CredentialScope,
    authenticate,
    credential_scope,
    is_sigv2,
)

ACCESS_KEY = "AKIDEXAMPLE0000TEST"
SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCY=EXAMPLEKEY"
CREDENTIALS = Credentials(ACCESS_KEY, SECRET)
SIGNED_AT = datetime(2024, 3, 1, 12, 0, 0, tzinfo=UTC)
NOW = SIGNED_AT + timedelta(seconds=30)
REGION = "eu-west-1"
S3_KEYS = [
    "plain.txt",
    "with space.txt",
    "ünïcödé/ключ 値.bin",
    "tilde~plus+equals=amp&.txt",
    "dir//double/./dot/../x",
    "star*paren(x)!quote'.txt",
]


PYTHON_SIGNERS = {
    "v4": botocore.auth.SigV4Auth,
    "v4-query": botocore.auth.SigV4QueryAuth,
    "s3v4": botocore.auth.S3SigV4Auth,
    "s3v4-query": botocore.auth.S3SigV4QueryAuth,
}


@pytest.fixture(autouse=True)
def botocore_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """Freeze the clock botocore's signers read, the way botocore's own tests patch datetime."""
    frozen = SIGNED_AT.replace(tzinfo=None)
    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda *a, **k: frozen)
    # With awscrt installed botocore signs with the CRT, which reads its own clock; these tests
    # need botocore's Python signers (the integration tests cover the CRT-signed requests).
    monkeypatch.setattr(
        botocore.auth, "AUTH_TYPE_MAPS", {**botocore.auth.AUTH_TYPE_MAPS, **PYTHON_SIGNERS}
    )
    monkeypatch.setattr(botocore.auth, "time", SimpleNamespace(time=SIGNED_AT.timestamp))
    monkeypatch.setattr(
        botocore.auth,
        "formatdate",
        lambda timeval=None, localtime=False, usegmt=False: formatdate(
            SIGNED_AT.timestamp() if timeval is None else timeval, localtime, usegmt
        ),
    )


def lookup(access_key_id: str) -> str | None:
    return SECRET if access_key_id == ACCESS_KEY else None


def to_http_request(prepared: AWSPreparedRequest) -> HttpRequest:
    """What the gateway would build from the bytes botocore puts on the wire."""
    parts = urlsplit(prepared.url)
    raw: list[tuple[bytes, bytes]] = []
    for name, value in prepared.headers.items():
        encoded = value if isinstance(value, bytes) else str(value).encode("latin-1")
        raw.append((name.lower().encode("latin-1"), encoded))
    if not any(name == b"host" for name, _ in raw):
        default_port = {"http": 80, "https": 443}[parts.scheme]
        host = parts.hostname or ""
        host = f"[{host}]" if ":" in host else host
        if parts.port is not None and parts.port != default_port:
            host = f"{host}:{parts.port}"
        raw.append((b"host", host.encode("ascii")))
    body = prepared.body
    if body is None:
        body = b""
    elif isinstance(body, str):
        body = body.encode("utf-8")
    elif not isinstance(body, bytes):
        body = body.read()
    return HttpRequest(prepared.method, parts.path, parts.query, Headers(raw=raw), raw_body=body)


def sign(
    signer: Any,
    method: str,
    url: str,
    *,
    data: bytes | str = b"",
    headers: dict[str, str] | None = None,
    context: dict[str, Any] | None = None,
) -> HttpRequest:
    request = AWSRequest(method=method, url=url, data=data, headers=headers or {})
    request.context.update(context or {})
    signer.add_auth(request)
    return to_http_request(request.prepare())


def with_header(request: HttpRequest, name: str, value: str | None) -> HttpRequest:
    raw = [(k, v) for k, v in request.headers.raw if k != name.encode()]
    if value is not None:
        raw.append((name.encode(), value.encode("latin-1")))
    return HttpRequest(
        request.method,
        request.raw_path,
        request.raw_query,
        Headers(raw=raw),
        raw_body=request.raw_body,
    )


def replace(request: HttpRequest, **changes: Any) -> HttpRequest:
    fields = {
        "method": request.method,
        "raw_path": request.raw_path,
        "raw_query": request.raw_query,
        "headers": request.headers,
        "raw_body": request.raw_body,
    }
    fields.update(changes)
    return HttpRequest(**fields)


def reason_of(request: HttpRequest, now: datetime = NOW, secret: str = SECRET) -> AuthFailureReason:
    with pytest.raises(AuthFailure) as excinfo:
        authenticate(request, lambda key: secret if key == ACCESS_KEY else None, now=now)
    return excinfo.value.reason


def sts_request(url: str = "https://sts.amazonaws.com/", body: str | None = None) -> HttpRequest:
    return sign(
        SigV4Auth(CREDENTIALS, "sts", "us-east-1"),
        "POST",
        url,
        data=body if body is not None else "Action=GetCallerIdentity&Version=2011-06-15",
        headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
    )


def emr_request(url: str = "https://elasticmapreduce.eu-west-1.amazonaws.com/") -> HttpRequest:
    return sign(
        SigV4Auth(CREDENTIALS, "elasticmapreduce", REGION),
        "POST",
        url,
        data=b'{"ClusterStates": ["RUNNING"]}',
        headers={
            "Content-Type": "application/x-amz-json-1.1",
            "X-Amz-Target": "ElasticMapReduce.ListClusters",
            "X-Amz-Meta-Spaced": "  a   b  c ",
        },
    )


def s3_url(key: str, query: str = "", host: str = "s3.eu-west-1.amazonaws.com") -> str:
    url = f"http://{host}/bucket/{quote(key, safe='/~')}"
    return f"{url}?{query}" if query else url


def s3_put(key: str = "with space.txt", data: bytes = b"hello s3", query: str = "") -> HttpRequest:
    return sign(
        S3SigV4Auth(CREDENTIALS, "s3", REGION),
        "PUT",
        s3_url(key, query),
        data=data,
        headers={"Content-Type": "text/plain", "x-amz-meta-note": "über"},
    )


# --- SigV4, Authorization header ----------------------------------------------------------


def test_sts_request_is_accepted() -> None:
    result = authenticate(sts_request(), lookup, now=NOW)

    assert result == AuthResult(
        ACCESS_KEY,
        CredentialScope(ACCESS_KEY, "20240301", "us-east-1", "sts"),
        False,
        b"Action=GetCallerIdentity&Version=2011-06-15",
        {},
    )


@pytest.mark.parametrize(
    "url",
    [
        "https://elasticmapreduce.eu-west-1.amazonaws.com/",
        "https://elasticmapreduce.eu-west-1.amazonaws.com:8443/path%20with%20space/x~y",
        "https://elasticmapreduce.eu-west-1.amazonaws.com/a//b/./c/../d/",
        "http://127.0.0.1:4566/?b=2&a=1&a=&c=x%20y&d=%2B%3D%26&e",
        "http://[::1]:4566/?Repeated=2&Repeated=1&Blank=",
    ],
)
def test_emr_request_is_accepted(url: str) -> None:
    result = authenticate(emr_request(url), lookup, now=NOW)

    assert result.scope == CredentialScope(ACCESS_KEY, "20240301", REGION, "elasticmapreduce")
    assert result.body == b'{"ClusterStates": ["RUNNING"]}'


@pytest.mark.parametrize("key", S3_KEYS)
def test_s3_keys_are_signed_as_sent(key: str) -> None:
    request = s3_put(key)

    result = authenticate(request, lookup, now=NOW)

    assert result.body == b"hello s3"
    assert result.scope is not None and result.scope.service == "s3"


@pytest.mark.parametrize(
    "query",
    [
        "list-type=2&prefix=&delimiter=%2F",
        "prefix=a%20b%2Bc&prefix=z&max-keys=5&encoding-type=url",
        "uploads=",
        "tagging",
        "x=%7E%21%27%28%29%2A",
    ],
)
def test_s3_queries_are_accepted(query: str) -> None:
    request = sign(S3SigV4Auth(CREDENTIALS, "s3", REGION), "GET", s3_url("", query))

    authenticate(request, lookup, now=NOW)


def test_s3_unsigned_payload_is_accepted() -> None:
    request = sign(
        S3SigV4Auth(CREDENTIALS, "s3", REGION),
        "PUT",
        s3_url("k").replace("http://", "https://"),
        data=b"body",
        context={"client_config": Config(s3={"payload_signing_enabled": False})},
    )
    assert request.headers["x-amz-content-sha256"] == "UNSIGNED-PAYLOAD"

    assert authenticate(request, lookup, now=NOW).body == b"body"


def test_date_header_instead_of_x_amz_date_is_accepted() -> None:
    request = sign(
        SigV4Auth(CREDENTIALS, "sts", "us-east-1"),
        "POST",
        "https://sts.amazonaws.com/",
        data="Action=GetCallerIdentity&Version=2011-06-15",
        headers={"Date": "placeholder"},
    )
    assert "x-amz-date" not in request.headers

    authenticate(request, lookup, now=NOW)


def test_wrong_secret_is_a_signature_mismatch() -> None:
    for request in (sts_request(), emr_request(), s3_put()):
        assert reason_of(request, secret="another secret") is AuthFailureReason.SIGNATURE_MISMATCH


def test_mismatch_explains_the_canonical_request() -> None:
    with pytest.raises(AuthFailure) as excinfo:
        authenticate(s3_put(), lambda _: "another secret", now=NOW)

    assert excinfo.value.message.startswith("The request signature we calculated does not match")
    assert excinfo.value.fields["CanonicalRequest"].startswith("PUT\n/bucket/with%20space.txt\n")
    assert SECRET not in str(excinfo.value.fields)


@pytest.mark.parametrize(
    ("name", "value"),
    [("x-amz-target", "ElasticMapReduce.TerminateJobFlows"), ("content-type", "text/plain")],
)
def test_altered_signed_header_is_a_mismatch(name: str, value: str) -> None:
    assert (
        reason_of(with_header(emr_request(), name, value)) is AuthFailureReason.SIGNATURE_MISMATCH
    )


def test_altered_path_query_or_method_is_a_mismatch() -> None:
    request = sign(S3SigV4Auth(CREDENTIALS, "s3", REGION), "GET", s3_url("k", "prefix=a"))
    for changed in (
        replace(request, raw_path="/bucket/K"),
        replace(request, raw_query="prefix=b"),
        replace(request, raw_query="prefix=a&extra=1"),
        replace(request, method="DELETE"),
    ):
        assert reason_of(changed) is AuthFailureReason.SIGNATURE_MISMATCH


def test_altered_body_is_refused() -> None:
    sts = sts_request()
    assert (
        reason_of(replace(sts, raw_body=b"Action=GetSessionToken&Version=2011-06-15"))
        is AuthFailureReason.SIGNATURE_MISMATCH
    )
    s3 = s3_put()
    assert reason_of(replace(s3, raw_body=b"hello S3")) is AuthFailureReason.PAYLOAD_HASH_MISMATCH


def test_unknown_access_key() -> None:
    with pytest.raises(AuthFailure) as excinfo:
        authenticate(sts_request(), lambda _: None, now=NOW)

    assert excinfo.value.reason is AuthFailureReason.UNKNOWN_ACCESS_KEY


def test_clock_skew_messages_follow_aws() -> None:
    with pytest.raises(AuthFailure) as late:
        authenticate(sts_request(), lookup, now=SIGNED_AT + timedelta(minutes=16))
    assert late.value.reason is AuthFailureReason.CLOCK_SKEW
    assert late.value.message == (
        "Signature expired: 20240301T120000Z is now earlier than 20240301T120100Z "
        "(20240301T121600Z - 15 min.)"
    )

    with pytest.raises(AuthFailure) as early:
        authenticate(emr_request(), lookup, now=SIGNED_AT - timedelta(minutes=20))
    assert early.value.reason is AuthFailureReason.CLOCK_SKEW
    assert early.value.message.startswith("Signature not yet current: 20240301T120000Z")

    with pytest.raises(AuthFailure) as s3:
        authenticate(s3_put(), lookup, now=SIGNED_AT + timedelta(hours=2))
    assert s3.value.reason is AuthFailureReason.CLOCK_SKEW
    assert s3.value.message == (
        "The difference between the request time and the current time is too large."
    )


def test_skew_within_the_allowance_is_accepted() -> None:
    authenticate(sts_request(), lookup, now=SIGNED_AT + timedelta(minutes=14, seconds=59))
    authenticate(sts_request(), lookup, now=SIGNED_AT - timedelta(minutes=14, seconds=59))
    authenticate(
        sts_request(), lookup, now=SIGNED_AT + timedelta(minutes=30), max_skew=timedelta(hours=1)
    )


def test_missing_authentication() -> None:
    request = HttpRequest("GET", "/", "Action=ListUsers", Headers({"host": "iam.amazonaws.com"}))

    assert reason_of(request) is AuthFailureReason.MISSING_AUTHENTICATION


def _mangle(authorization: str, old: str, new: str) -> str:
    assert old in authorization
    return authorization.replace(old, new)


@pytest.mark.parametrize(
    "mangle",
    [
        lambda a: a.split(", ")[0],  # only Credential
        lambda a: _mangle(a, "Credential=", "Cred="),
        lambda a: ", ".join(p for p in a.split(", ") if not p.startswith("Signature=")),
        lambda a: ", ".join(p for p in a.split(", ") if not p.startswith("SignedHeaders=")),
        lambda a: _mangle(a, "AWS4-HMAC-SHA256", "AWS4-HMAC-SHA512"),
        lambda a: _mangle(a, "/aws4_request", "/aws4_reqest"),
        lambda a: _mangle(a, "/us-east-1/sts", "/sts"),
        lambda a: _mangle(a, "/20240301/", "/20240302/"),
        lambda a: _mangle(a, "/20240301/", "/2024031/"),
        lambda a: _mangle(a, "host;", ""),
        lambda a: _mangle(a, "host;", "hóst;"),
        lambda a: _mangle(a, "SignedHeaders=", "SignedHeaders"),
        lambda a: "AWS4-HMAC-SHA256",
        lambda a: "AWS4-HMAC-SHA256 ,,,,",
        lambda a: "Bearer token",
        lambda a: "",
        lambda a: "\x00\udcff",
    ],
)
def test_malformed_authorization_is_incomplete(mangle: Any) -> None:
    request = sts_request()
    authorization = mangle(request.headers["authorization"])
    raw = [(k, v) for k, v in request.headers.raw if k != b"authorization"]
    raw.append((b"authorization", authorization.encode("utf-8", "surrogateescape")))
    mangled = replace(request, headers=Headers(raw=raw))

    assert reason_of(mangled) is AuthFailureReason.INCOMPLETE_SIGNATURE


@pytest.mark.parametrize(
    ("header", "value"),
    [
        ("x-amz-date", None),
        ("x-amz-date", "2024-03-01T12:00:00Z"),
        ("x-amz-date", "20240301T120000"),
        ("x-amz-content-sha256", None),
        ("x-amz-content-sha256", "not-a-hash"),
    ],
)
def test_malformed_s3_request_headers_are_incomplete(header: str, value: str | None) -> None:
    assert reason_of(with_header(s3_put(), header, value)) is AuthFailureReason.INCOMPLETE_SIGNATURE


def test_credential_scope_is_parsed_without_verification() -> None:
    assert credential_scope(emr_request()) == CredentialScope(
        ACCESS_KEY, "20240301", REGION, "elasticmapreduce"
    )
    assert (
        credential_scope(with_header(sts_request(), "authorization", "AWS4-HMAC-SHA256 x")) is None
    )
    assert credential_scope(with_header(sts_request(), "authorization", "AWS a:b")) is None
    assert credential_scope(with_header(sts_request(), "authorization", None)) is None


# --- presigned SigV4 ---------------------------------------------------------------------


def presigned_s3(key: str = "with space.txt", expires: int = 300, query: str = "") -> HttpRequest:
    return sign(
        S3SigV4QueryAuth(CREDENTIALS, "s3", REGION, expires=expires), "GET", s3_url(key, query)
    )


@pytest.mark.parametrize("key", S3_KEYS)
def test_presigned_s3_is_accepted(key: str) -> None:
    request = presigned_s3(key, query="response-content-type=text%2Fplain&versionId=a%2Bb")
    assert "x-amz-content-sha256" not in request.headers

    result = authenticate(request, lookup, now=NOW)

    assert result.presigned
    assert result.scope == CredentialScope(ACCESS_KEY, "20240301", REGION, "s3")
    assert credential_scope(request) == result.scope


def test_presigned_sts_is_accepted() -> None:
    request = sign(
        SigV4QueryAuth(CREDENTIALS, "sts", "us-east-1", expires=900),
        "GET",
        "https://sts.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15",
    )

    assert authenticate(request, lookup, now=NOW).presigned


def test_presigned_longest_expiry_is_accepted() -> None:
    request = presigned_s3(expires=604800)

    authenticate(request, lookup, now=SIGNED_AT + timedelta(days=6, hours=23))


def test_presigned_expired() -> None:
    request = presigned_s3(expires=300)

    assert reason_of(request, now=SIGNED_AT + timedelta(seconds=301)) is AuthFailureReason.EXPIRED


def test_presigned_not_yet_valid() -> None:
    assert (
        reason_of(presigned_s3(), now=SIGNED_AT - timedelta(hours=1)) is AuthFailureReason.EXPIRED
    )


@pytest.mark.parametrize("expires", ["0", "604801", "-5", "abc", "1e3"])
def test_presigned_bad_expires_is_incomplete(expires: str) -> None:
    request = presigned_s3()
    query = request.raw_query.replace("X-Amz-Expires=300", f"X-Amz-Expires={expires}")

    assert reason_of(replace(request, raw_query=query)) is AuthFailureReason.INCOMPLETE_SIGNATURE


def test_presigned_tampering_is_a_mismatch() -> None:
    request = presigned_s3()
    for changed in (
        replace(request, raw_path="/bucket/other.txt"),
        replace(
            request, raw_query=request.raw_query.replace("X-Amz-Expires=300", "X-Amz-Expires=600")
        ),
        replace(request, raw_query=request.raw_query + "&extra=1"),
    ):
        assert reason_of(changed) is AuthFailureReason.SIGNATURE_MISMATCH
    assert reason_of(request, secret="wrong") is AuthFailureReason.SIGNATURE_MISMATCH


def test_presigned_missing_parameter_or_second_mechanism_is_incomplete() -> None:
    request = presigned_s3()
    without_date = "&".join(
        p for p in request.raw_query.split("&") if not p.startswith("X-Amz-Date=")
    )
    assert (
        reason_of(replace(request, raw_query=without_date))
        is AuthFailureReason.INCOMPLETE_SIGNATURE
    )
    both = with_header(request, "authorization", s3_put().headers["authorization"])
    assert reason_of(both) is AuthFailureReason.INCOMPLETE_SIGNATURE


# --- S3 HmacV1 (SigV2) ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        "",
        "acl",
        "uploadId=abc%2Bdef&partNumber=2",
        "versionId=a%2Bb&response-content-disposition=attachment%3B%20filename%3Dx",
        "tagging=&prefix=ignored",
    ],
)
@pytest.mark.parametrize("key", S3_KEYS)
def test_sigv2_header_is_accepted(key: str, query: str) -> None:
    request = sign(
        HmacV1Auth(CREDENTIALS),
        "PUT",
        s3_url(key, query, host="s3.amazonaws.com"),
        data=b"payload",
        headers={
            "Content-Type": "text/plain",
            "Content-MD5": "1B2M2Y8AsgTpgAmY7PhCfg==",
            "x-amz-meta-Note": " spaced ",
            "X-Amz-Acl": "private",
        },
    )
    assert is_sigv2(request)
    assert credential_scope(request) is None

    result = authenticate(request, lookup, now=NOW)

    assert result == AuthResult(ACCESS_KEY, None, False, b"payload", {})


def test_sigv2_virtual_hosted_request_is_accepted() -> None:
    request = AWSRequest(method="GET", url="http://bucket.s3.amazonaws.com/a%20b?acl")
    request.auth_path = "/bucket/a%20b"
    HmacV1Auth(CREDENTIALS).add_auth(request)

    authenticate(to_http_request(request.prepare()), lookup, now=NOW)


def test_sigv2_header_refusals() -> None:
    request = sign(HmacV1Auth(CREDENTIALS), "GET", s3_url("k", host="s3.amazonaws.com"))
    assert reason_of(request, secret="wrong") is AuthFailureReason.SIGNATURE_MISMATCH
    assert reason_of(replace(request, raw_path="/bucket/j")) is AuthFailureReason.SIGNATURE_MISMATCH
    assert reason_of(replace(request, raw_query="acl")) is AuthFailureReason.SIGNATURE_MISMATCH
    assert reason_of(request, now=NOW + timedelta(minutes=20)) is AuthFailureReason.CLOCK_SKEW
    assert (
        reason_of(with_header(request, "authorization", "AWS OTHERKEY:abc="))
        is AuthFailureReason.UNKNOWN_ACCESS_KEY
    )
    for broken in ("AWS :abc", "AWS AKID:", "AWS nocolon x"):
        assert (
            reason_of(with_header(request, "authorization", broken))
            is AuthFailureReason.INCOMPLETE_SIGNATURE
        )
    assert reason_of(with_header(request, "date", None)) is AuthFailureReason.INCOMPLETE_SIGNATURE


def presigned_v2(expires: int = 300, query: str = "") -> HttpRequest:
    return sign(
        HmacV1QueryAuth(CREDENTIALS, expires=expires),
        "GET",
        s3_url("with space.txt", query, host="s3.amazonaws.com"),
    )


def test_sigv2_query_is_accepted() -> None:
    request = presigned_v2(query="response-content-type=text%2Fplain")
    assert is_sigv2(request)
    assert "AWSAccessKeyId=" in request.raw_query

    result = authenticate(request, lookup, now=NOW)

    assert result.presigned
    assert result.scope is None


def test_sigv2_query_refusals() -> None:
    request = presigned_v2(expires=300)
    assert reason_of(request, now=SIGNED_AT + timedelta(seconds=301)) is AuthFailureReason.EXPIRED
    assert reason_of(request, secret="wrong") is AuthFailureReason.SIGNATURE_MISMATCH
    later = request.raw_query.replace(
        f"Expires={int(SIGNED_AT.timestamp()) + 300}", "Expires=9999999999"
    )
    assert later != request.raw_query
    assert reason_of(replace(request, raw_query=later)) is AuthFailureReason.SIGNATURE_MISMATCH
    no_expires = "&".join(p for p in request.raw_query.split("&") if not p.startswith("Expires="))
    assert (
        reason_of(replace(request, raw_query=no_expires)) is AuthFailureReason.INCOMPLETE_SIGNATURE
    )


# --- real clients, captured just before they would send -------------------------------------


class Captured(Exception):
    def __init__(self, request: AWSPreparedRequest) -> None:
        super().__init__("captured")
        self.request = request


def capture(client: Any, call: str, **params: Any) -> HttpRequest:
    def stop(request: AWSPreparedRequest, **_: Any) -> None:
        raise Captured(request)

    client.meta.events.register_first("before-send", stop)
    with pytest.raises(Captured) as excinfo:
        getattr(client, call)(**params)
    return to_http_request(excinfo.value.request)


@pytest.fixture
def session() -> Iterator[boto3.Session]:
    yield boto3.Session(
        aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET, region_name=REGION
    )


def test_boto3_sts_and_emr_calls_are_accepted(session: boto3.Session) -> None:
    config = Config(retries={"max_attempts": 0})
    sts = session.client("sts", endpoint_url="https://sts.example.test", config=config)
    emr = session.client("emr", endpoint_url="http://127.0.0.1:4566", config=config)

    for request in (
        capture(sts, "get_caller_identity"),
        capture(emr, "list_clusters", ClusterStates=["RUNNING", "WAITING"]),
        capture(emr, "describe_cluster", ClusterId="j-ABC ünï"),
    ):
        authenticate(request, lookup, now=NOW)


@pytest.mark.parametrize("endpoint", ["https://s3.example.test", "http://127.0.0.1:9000"])
@pytest.mark.parametrize("addressing", ["path", "virtual"])
def test_boto3_s3_calls_are_accepted(
    session: boto3.Session, endpoint: str, addressing: str
) -> None:
    s3 = session.client(
        "s3",
        endpoint_url=endpoint,
        config=Config(s3={"addressing_style": addressing}, retries={"max_attempts": 0}),
    )
    data = b"x" * 5000

    put = capture(s3, "put_object", Bucket="bucket", Key="dir/ünï ~+=.txt", Body=io.BytesIO(data))
    listing = capture(s3, "list_objects_v2", Bucket="bucket", Prefix="a b+c", Delimiter="/")

    result = authenticate(put, lookup, now=NOW)
    assert result.body == data
    if endpoint.startswith("https"):
        # Over TLS botocore streams the body aws-chunked with its checksum in a trailer.
        assert put.headers["x-amz-content-sha256"] == "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
        crc = base64.b64encode(zlib.crc32(data).to_bytes(4, "big")).decode()
        assert result.trailers == {"x-amz-checksum-crc32": crc}
    else:
        assert result.trailers == {}
    authenticate(listing, lookup, now=NOW)


@pytest.mark.parametrize("signature_version", ["s3v4", "s3"])
def test_boto3_presigned_urls_are_accepted(session: boto3.Session, signature_version: str) -> None:
    s3 = session.client(
        "s3",
        endpoint_url="http://127.0.0.1:9000",
        config=Config(signature_version=signature_version),
    )
    url = s3.generate_presigned_url(
        "get_object",
        Params={"Bucket": "bucket", "Key": "a b/ü~+.txt", "ResponseContentType": "text/plain"},
        ExpiresIn=120,
    )
    parts = urlsplit(url)
    request = HttpRequest(
        "GET", parts.path, parts.query, Headers({"host": parts.netloc}), raw_body=b""
    )
    assert is_sigv2(request) is (signature_version == "s3")

    assert authenticate(request, lookup, now=NOW).presigned
    assert reason_of(request, now=SIGNED_AT + timedelta(seconds=121)) is AuthFailureReason.EXPIRED


def test_boto3_sigv2_header_client_is_accepted(session: boto3.Session) -> None:
    s3 = session.client(
        "s3",
        endpoint_url="http://127.0.0.1:9000",
        config=Config(signature_version="s3", retries={"max_attempts": 0}),
    )

    request = capture(s3, "get_object_acl", Bucket="bucket", Key="a b.txt")

    assert is_sigv2(request)
    assert authenticate(request, lookup, now=NOW).scope is None


# --- hostile input never escapes as anything but AuthFailure ------------------------------


@pytest.mark.parametrize(
    "change",
    [
        {"raw_path": "/bucket/\udcff\x00%zz%"},
        {"raw_query": "\udcff=%ff%fe&&&=&X-Amz-Date"},
        {"raw_query": "AWSAccessKeyId=a&Signature=%ff&Expires=99999999999999999999999"},
        {"raw_query": "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=%2F%2F%2F%2F"},
        {"raw_body": b"\xff" * 100},
    ],
)
@pytest.mark.parametrize("base", ["sts", "s3", "presigned", "sigv2"])
def test_hostile_input_only_raises_auth_failure(base: str, change: dict[str, Any]) -> None:
    request = {
        "sts": sts_request,
        "s3": s3_put,
        "presigned": presigned_s3,
        "sigv2": presigned_v2,
    }[base]()
    hostile = replace(request, **change)

    credential_scope(hostile)
    is_sigv2(hostile)
    try:
        result = authenticate(hostile, lookup, now=NOW)
    except AuthFailure:
        return
    # Only a presigned URL leaves the body unsigned, as on AWS.
    assert result.presigned and set(change) == {"raw_body"}


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("x-amz-content-sha256", "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD"),
        ("x-amz-date", "99991399T999999Z"),
        ("date", "Thu, 99 Foo 2024 99:99:99 GMT"),
    ],
)
def test_hostile_headers_only_raise_auth_failure(name: str, value: str) -> None:
    request = with_header(s3_put(), name, value)
    if name == "date":
        request = with_header(request, "x-amz-date", None)

    with pytest.raises(AuthFailure):
        authenticate(request, lookup, now=NOW)


def streaming_s3_put(body: bytes, decoded_length: str) -> HttpRequest:
    """An S3 PUT signed with STREAMING-UNSIGNED-PAYLOAD-TRAILER, as botocore signs it over TLS."""
    return sign(
        S3SigV4Auth(CREDENTIALS, "s3", REGION),
        "PUT",
        s3_url("k").replace("http://", "https://"),
        data=body,
        headers={
            "Content-Encoding": "aws-chunked",
            "X-Amz-Trailer": "x-amz-checksum-crc32",
            "X-Amz-Decoded-Content-Length": decoded_length,
        },
        context={
            "checksum": {"request_algorithm": {"in": "trailer", "name": "x-amz-checksum-crc32"}}
        },
    )


def test_signed_streaming_headers_are_held_to_the_body() -> None:
    body = b"3\r\nabc\r\n0\r\nx-amz-checksum-crc32:NSRBwg==\r\n\r\n"
    request = streaming_s3_put(body, "3")
    assert request.headers["x-amz-content-sha256"] == "STREAMING-UNSIGNED-PAYLOAD-TRAILER"

    result = authenticate(request, lookup, now=NOW)

    assert (result.body, result.trailers) == (b"abc", {"x-amz-checksum-crc32": "NSRBwg=="})
    for length in ("4", "-1", "9" * 40, "x"):
        assert reason_of(streaming_s3_put(body, length)) is AuthFailureReason.BAD_CHUNK
    no_trailer = b"3\r\nabc\r\n0\r\n\r\n"
    assert reason_of(streaming_s3_put(no_trailer, "3")) is AuthFailureReason.BAD_CHUNK
