"""Server-side verification of AWS request signatures (SigV4, presigned SigV4, S3's HmacV1).

The server has to accept exactly what botocore, the AWS CLI and the AWS SDKs produce, so every
canonical form here mirrors botocore's signers (botocore/auth.py): S3 signs the path as sent,
other services normalize it and encode it a second time; the query is re-encoded and sorted;
header values are trimmed with inner whitespace collapsed. The logic is pure: the caller passes
the clock (`now`) and the secret lookup, so tests are deterministic and nothing here does I/O.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from urllib.parse import quote, unquote, unquote_to_bytes

from emr.errors import AuthFailure, AuthFailureReason
from emr.gateway.chunked import (
    STREAMING_SIGNED_PAYLOAD,
    STREAMING_SIGNED_PAYLOAD_TRAILER,
    STREAMING_UNSIGNED_PAYLOAD_TRAILER,
    ChunkSigning,
)
from emr.gateway.http import HttpRequest
from emr.gateway.payload import UNSIGNED_PAYLOAD, PayloadVerifier
from emr.gateway.sigv2 import authenticate_sigv2, decoded_query, is_sigv2, query_pairs

__all__ = [
    "AuthResult",
    "CredentialScope",
    "SecretLookup",
    "authenticate",
    "credential_scope",
    "is_sigv2",
    "signing_key",
]

ALGORITHM = "AWS4-HMAC-SHA256"
_TIMESTAMP_FORMAT = "%Y%m%dT%H%M%SZ"
_MAX_PRESIGN_EXPIRES = 604800
_S3_SERVICES = frozenset({"s3", "s3-object-lambda"})
_STREAMING = frozenset(
    {STREAMING_SIGNED_PAYLOAD, STREAMING_SIGNED_PAYLOAD_TRAILER, STREAMING_UNSIGNED_PAYLOAD_TRAILER}
)
_HEX_SHA256 = re.compile(r"[0-9a-fA-F]{64}")
_HEADER_NAME = re.compile(r"[A-Za-z0-9!#$%&'*+.^_`|~-]+")
_PRESIGN_PARAMS = (
    "X-Amz-Algorithm",
    "X-Amz-Credential",
    "X-Amz-Signature",
    "X-Amz-Date",
    "X-Amz-SignedHeaders",
    "X-Amz-Expires",
)
_SIGNATURE_MISMATCH = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your AWS Secret Access Key and signing method. Consult the service documentation "
    "for details."
)


@dataclass(frozen=True)
class CredentialScope:
    """The `AKID/yyyymmdd/region/service/aws4_request` credential of a SigV4 request."""

    access_key_id: str
    date: str
    region: str
    service: str

    @property
    def scope(self) -> str:
        """`yyyymmdd/region/service/aws4_request`, as it appears in the string to sign."""
        return f"{self.date}/{self.region}/{self.service}/aws4_request"


@dataclass
class AuthResult:
    """A verified request: who signed it and its payload with any aws-chunked framing removed."""

    access_key_id: str
    scope: CredentialScope | None
    presigned: bool
    body: bytes
    trailers: dict[str, str] = field(default_factory=dict)
    #: Checks the body against the signature; already applied to `body` unless the caller
    #: deferred it to verify a streamed body (`authenticate(..., defer_payload=True)`).
    payload: PayloadVerifier = field(
        default_factory=lambda: PayloadVerifier(UNSIGNED_PAYLOAD), compare=False, repr=False
    )


SecretLookup = Callable[[str], str | None]


@dataclass(frozen=True)
class _Claim:
    """What a SigV4 request claims: scope, time, signed headers and signature."""

    scope: CredentialScope
    timestamp: str
    signed_headers: str
    signature: str
    presigned: bool


def _incomplete(message: str) -> AuthFailure:
    return AuthFailure(AuthFailureReason.INCOMPLETE_SIGNATURE, message)


def _parse_credential(value: str) -> CredentialScope | None:
    parts = value.strip().rsplit("/", 4)
    if len(parts) != 5 or parts[4] != "aws4_request" or not all(parts):
        return None
    access_key_id, date, region, service, _ = parts
    if len(date) != 8 or not date.isascii() or not date.isdigit():
        return None
    return CredentialScope(access_key_id, date, region, service)


def _authorization_params(value: str) -> tuple[str, dict[str, str]]:
    """Split `ALGO k=v, k=v` into the algorithm and its parameters; raise on a bad pair."""
    algorithm, _, rest = value.strip().partition(" ")
    params: dict[str, str] = {}
    for part in rest.split(","):
        if not part.strip():
            continue
        name, equals, item = part.strip().partition("=")
        if not equals:
            raise _incomplete(
                f"'{part.strip()}' not a valid key=value pair (missing equal-sign) in "
                f"Authorization header: '{value}'."
            )
        params[name.strip()] = item.strip()
    return algorithm, params


def credential_scope(request: HttpRequest) -> CredentialScope | None:
    """Untrusted parse of the scope from the Authorization header or X-Amz-Credential parameter.

    None for SigV2 and unsigned requests. Used for routing before verification; never raises.
    """
    try:
        authorization = request.headers.get("authorization")
        if authorization is not None:
            if not authorization.startswith(ALGORITHM):
                return None
            _, params = _authorization_params(authorization)
            credential = params.get("Credential")
        else:
            credential = decoded_query(request.raw_query).get("X-Amz-Credential")
        return _parse_credential(credential) if credential else None
    except Exception:  # untrusted input must never break routing
        return None


def signing_key(secret_access_key: str, scope: CredentialScope) -> bytes:
    """The SigV4 signing key: HMAC chain over date, region, service and `aws4_request`."""
    return _signing_key(secret_access_key, scope.date, scope.region, scope.service)


@functools.lru_cache(maxsize=256)
def _signing_key(secret_access_key: str, date: str, region: str, service: str) -> bytes:
    # Four HMACs per request otherwise; a key is good for a whole day of one scope.
    key = ("AWS4" + secret_access_key).encode("utf-8")
    for part in (date, region, service, "aws4_request"):
        key = hmac.new(key, part.encode("utf-8", "surrogateescape"), hashlib.sha256).digest()
    return key


def authenticate(
    request: HttpRequest,
    lookup_secret: SecretLookup,
    *,
    now: datetime,
    max_skew: timedelta = timedelta(minutes=15),
    defer_payload: bool = False,
) -> AuthResult:
    """Verify the request's signature; raise AuthFailure(reason, message) on any failure.

    With `defer_payload` (S3 only: its signature covers the declared payload hash, not the
    body) the body is not read: the caller streams it through `AuthResult.payload`.
    """
    authorization = request.headers.get("authorization")
    query = decoded_query(request.raw_query)
    presigned = any(name in query for name in _PRESIGN_PARAMS)
    if authorization is not None:
        if presigned:
            raise _incomplete(
                "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, "
                "Signature query string parameter or the Authorization header should be specified"
            )
        if authorization.startswith("AWS ") and is_sigv2(request):
            access_key_id = authenticate_sigv2(request, lookup_secret, now=now, max_skew=max_skew)
            return AuthResult(access_key_id, None, False, request.raw_body)
        claim = _header_claim(request, authorization)
    elif presigned:
        claim = _query_claim(query)
    elif is_sigv2(request):
        access_key_id = authenticate_sigv2(request, lookup_secret, now=now, max_skew=max_skew)
        return AuthResult(access_key_id, None, True, request.raw_body)
    else:
        raise AuthFailure(
            AuthFailureReason.MISSING_AUTHENTICATION, "Request is missing Authentication Token"
        )
    return _verify_sigv4(
        request,
        claim,
        query,
        lookup_secret,
        now=now,
        max_skew=max_skew,
        defer_payload=defer_payload,
    )


def _header_claim(request: HttpRequest, authorization: str) -> _Claim:
    algorithm, params = _authorization_params(authorization)
    if algorithm != ALGORITHM:
        raise _incomplete(f"Unsupported Authorization Type: {algorithm[:64]}")
    missing = [
        f"Authorization header requires '{name}' parameter."
        for name in ("Credential", "Signature", "SignedHeaders")
        if not params.get(name)
    ]
    if missing:
        raise _incomplete(" ".join(missing) + f" Authorization={authorization}")
    scope = _scope_or_fail(params["Credential"])
    amz_date = request.headers.get("x-amz-date")
    if amz_date is not None:
        timestamp = amz_date.strip()
    else:
        http_date = request.headers.get("date")
        if http_date is None:
            raise _incomplete(
                "Authorization header requires existence of either a 'X-Amz-Date' or a "
                "'Date' header."
            )
        timestamp = _iso_from_http_date(http_date)
    return _claim(scope, timestamp, params["SignedHeaders"], params["Signature"], False)


def _query_claim(query: dict[str, str]) -> _Claim:
    if not all(query.get(name) for name in _PRESIGN_PARAMS):
        raise _incomplete(
            "Query-string authentication version 4 requires the X-Amz-Algorithm, "
            "X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and "
            "X-Amz-Expires parameters."
        )
    if query["X-Amz-Algorithm"] != ALGORITHM:
        raise _incomplete(f'X-Amz-Algorithm only supports "{ALGORITHM}"')
    scope = _scope_or_fail(query["X-Amz-Credential"])
    return _claim(
        scope, query["X-Amz-Date"], query["X-Amz-SignedHeaders"], query["X-Amz-Signature"], True
    )


def _scope_or_fail(credential: str) -> CredentialScope:
    scope = _parse_credential(credential)
    if scope is None:
        raise _incomplete(
            f"Credential should be scoped to a valid region, a service and the "
            f"'aws4_request' terminator, as AKID/yyyymmdd/region/service/aws4_request; "
            f"got '{credential}'."
        )
    return scope


def _claim(
    scope: CredentialScope, timestamp: str, signed_headers: str, signature: str, presigned: bool
) -> _Claim:
    _parse_timestamp(timestamp)
    if timestamp[:8] != scope.date:
        raise _incomplete(
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date "
            f"from HTTP: '{scope.date}' != '{timestamp[:8]}', from '{timestamp}'."
        )
    names = signed_headers.split(";")
    if not all(_HEADER_NAME.fullmatch(name) for name in names):
        raise _incomplete(f"Invalid SignedHeaders: '{signed_headers}'.")
    if "host" not in (name.lower() for name in names):
        raise _incomplete(
            "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."
        )
    return _Claim(scope, timestamp, signed_headers, signature.strip(), presigned)


def _parse_timestamp(timestamp: str) -> datetime:
    try:
        return _parse_basic_timestamp(timestamp)
    except ValueError:
        raise _incomplete(
            f"Date must be in ISO-8601 'basic format'. Got '{timestamp}'. See "
            "http://en.wikipedia.org/wiki/ISO_8601"
        ) from None


@functools.lru_cache(maxsize=64)
def _parse_basic_timestamp(timestamp: str) -> datetime:
    # strptime is slow, and concurrent requests mostly carry the same second.
    if len(timestamp) != 16:
        raise ValueError(timestamp)
    return datetime.strptime(timestamp, _TIMESTAMP_FORMAT).replace(tzinfo=UTC)


def _iso_from_http_date(value: str) -> str:
    try:
        parsed = parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError, OverflowError):
        raise _incomplete(f"Invalid Date header: '{value}'.") from None
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(UTC)
    return parsed.strftime(_TIMESTAMP_FORMAT)


def _verify_sigv4(
    request: HttpRequest,
    claim: _Claim,
    query: dict[str, str],
    lookup_secret: SecretLookup,
    *,
    now: datetime,
    max_skew: timedelta,
    defer_payload: bool,
) -> AuthResult:
    scope = claim.scope
    is_s3 = scope.service in _S3_SERVICES
    payload_hash = _payload_hash(request, claim, is_s3)

    secret = lookup_secret(scope.access_key_id)
    if secret is None:
        message = (
            "The AWS Access Key Id you provided does not exist in our records."
            if is_s3
            else "The security token included in the request is invalid."
        )
        raise AuthFailure(
            AuthFailureReason.UNKNOWN_ACCESS_KEY,
            message,
            fields={"AWSAccessKeyId": scope.access_key_id},
        )

    if claim.presigned:
        _check_presign_window(claim, query, now=now, max_skew=max_skew)
    else:
        _check_skew(claim.timestamp, is_s3, now=now, max_skew=max_skew)

    key = signing_key(secret, scope)
    candidates = _canonical_requests(request, claim, payload_hash, is_s3)
    provided = claim.signature.lower().encode("utf-8", "surrogateescape")
    for canonical in candidates:
        calculated = _signature(key, claim, canonical)
        if hmac.compare_digest(calculated.encode("ascii"), provided):
            break
    else:
        raise AuthFailure(
            AuthFailureReason.SIGNATURE_MISMATCH,
            _SIGNATURE_MISMATCH,
            fields={
                "AWSAccessKeyId": scope.access_key_id,
                "StringToSign": _string_to_sign(claim, candidates[0]),
                "SignatureProvided": claim.signature,
                "CanonicalRequest": candidates[0],
            },
        )

    verifier = PayloadVerifier(
        payload_hash,
        signing=ChunkSigning(key, claim.timestamp, scope.scope, calculated),
        decoded_length=_decoded_length(request) if payload_hash in _STREAMING else None,
        declared_trailers=_declared_trailers(request),
    )
    result = AuthResult(scope.access_key_id, scope, claim.presigned, b"", payload=verifier)
    if not defer_payload:
        result.body, result.trailers = verifier.verify_whole(request.raw_body)
    return result


def _payload_hash(request: HttpRequest, claim: _Claim, is_s3: bool) -> str:
    """The payload line of the canonical request, as botocore's signers choose it."""
    declared = request.headers.get("x-amz-content-sha256")
    signed = {name.lower() for name in claim.signed_headers.split(";")}
    if claim.presigned and "x-amz-content-sha256" not in signed:
        # Presigning happens before the payload is known: S3 signs UNSIGNED-PAYLOAD and other
        # services the hash of the (empty, moved-to-query) body.
        declared = None
        if is_s3:
            return UNSIGNED_PAYLOAD
    if declared is None:
        if is_s3 and not claim.presigned:
            raise _incomplete("Missing required header for this request: x-amz-content-sha256")
        if not claim.presigned and "aws-chunked" in request.headers.get("content-encoding", ""):
            return STREAMING_UNSIGNED_PAYLOAD_TRAILER
        return hashlib.sha256(request.raw_body).hexdigest()
    declared = declared.strip()
    if declared in _STREAMING or declared == UNSIGNED_PAYLOAD or _HEX_SHA256.fullmatch(declared):
        return declared
    raise _incomplete(
        "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, "
        "STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER, or a "
        "valid sha256 value."
    )


def _format(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime(_TIMESTAMP_FORMAT)


def _check_skew(timestamp: str, is_s3: bool, *, now: datetime, max_skew: timedelta) -> None:
    when = _parse_timestamp(timestamp)
    if abs(now - when) <= max_skew:
        return
    minutes = f"{max_skew.total_seconds() / 60:g}"
    if is_s3:
        message = "The difference between the request time and the current time is too large."
    elif when < now:
        message = (
            f"Signature expired: {timestamp} is now earlier than {_format(now - max_skew)} "
            f"({_format(now)} - {minutes} min.)"
        )
    else:
        message = (
            f"Signature not yet current: {timestamp} is still later than "
            f"{_format(now + max_skew)} ({_format(now)} + {minutes} min.)"
        )
    raise AuthFailure(
        AuthFailureReason.CLOCK_SKEW,
        message,
        fields={
            "RequestTime": timestamp,
            "ServerTime": now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "MaxAllowedSkewMilliseconds": str(int(max_skew.total_seconds() * 1000)),
        },
    )


def _check_presign_window(
    claim: _Claim, query: dict[str, str], *, now: datetime, max_skew: timedelta
) -> None:
    raw_expires = query["X-Amz-Expires"]
    if not raw_expires.isascii() or not raw_expires.lstrip("-").isdigit() or len(raw_expires) > 12:
        raise _incomplete("X-Amz-Expires should be a number")
    expires = int(raw_expires)
    if expires < 1:
        raise _incomplete("X-Amz-Expires must be non-negative")
    if expires > _MAX_PRESIGN_EXPIRES:
        raise _incomplete("X-Amz-Expires must be less than a week (in seconds) that is 604800")
    signed_at = _parse_timestamp(claim.timestamp)
    fields = {
        "X-Amz-Expires": raw_expires,
        "Expires": _format(signed_at + timedelta(seconds=expires)),
        "ServerTime": _format(now),
    }
    if now > signed_at + timedelta(seconds=expires):
        raise AuthFailure(AuthFailureReason.EXPIRED, "Request has expired", fields=fields)
    if signed_at > now + max_skew:
        # AWS answers AccessDenied "Request is not valid yet", the code it uses for expiry.
        raise AuthFailure(AuthFailureReason.EXPIRED, "Request is not valid yet", fields=fields)


def _remove_dot_segments(path: str) -> str:
    """botocore's normalize_url_path: resolve `.`/`..` and collapse repeated slashes."""
    if not path:
        return "/"
    output: list[str] = []
    for segment in path.split("/"):
        if segment == "..":
            if output:
                output.pop()
        elif segment and segment != ".":
            output.append(segment)
    first = "/" if path.startswith("/") else ""
    last = "/" if path.endswith("/") and output else ""
    return first + "/".join(output) + last


def _canonical_uri(raw_path: str, is_s3: bool) -> str:
    if is_s3:
        return raw_path or "/"
    return quote(_remove_dot_segments(raw_path).encode("utf-8", "surrogateescape"), safe="/~")


def _canonical_query(pairs: list[tuple[str, str]], presigned: bool, form: str) -> str:
    """Sorted `name=value` pairs, re-encoded (`form` "encoded" or "plus"), or as sent ("raw")."""
    encoded = []
    for name, value in pairs:
        if presigned and unquote(name) == "X-Amz-Signature":
            continue
        if form == "plus":
            name, value = name.replace("+", "%20"), value.replace("+", "%20")
        if form != "raw":
            name = quote(unquote_to_bytes(name.encode("utf-8", "surrogateescape")), safe="-_.~")
            value = quote(unquote_to_bytes(value.encode("utf-8", "surrogateescape")), safe="-_.~")
        encoded.append((name, value))
    return "&".join(f"{name}={value}" for name, value in sorted(encoded))


def _canonical_headers(request: HttpRequest, names: list[str], raw_utf8: bool) -> str:
    lines = []
    for name in names:
        values = []
        for value in request.headers.getlist(name):
            if raw_utf8:
                value = value.encode("latin-1").decode("utf-8", "surrogateescape")
            values.append(" ".join(value.split()))
        lines.append(f"{name.lower()}:{','.join(values)}\n")
    return "".join(lines)


def _canonical_requests(
    request: HttpRequest, claim: _Claim, payload_hash: str, is_s3: bool
) -> list[str]:
    """The canonical request, plus variants for ambiguities clients resolve differently.

    A `+` in the query is a literal plus to botocore but a space to some form encoders; header
    values that are not ASCII are signed as Python str by botocore (latin-1 on the wire) but as
    their raw UTF-8 bytes by other SDKs. The variants are only built when those cases occur.
    """
    pairs = query_pairs(request.raw_query)
    queries = [_canonical_query(pairs, claim.presigned, "encoded")]
    # botocore signs the query of a URL it was handed as it stands, so a client that sent an
    # unusual but valid encoding (`%7E`, a bare `*`) signed exactly what is on the wire.
    for form in ("raw", "plus") if "+" in request.raw_query else ("raw",):
        query = _canonical_query(pairs, claim.presigned, form)
        if query not in queries:
            queries.append(query)
    names = claim.signed_headers.split(";")
    header_blocks = [_canonical_headers(request, names, False)]
    if not header_blocks[0].isascii():
        header_blocks.append(_canonical_headers(request, names, True))
    uri = _canonical_uri(request.raw_path, is_s3)
    method = request.method.upper()
    return [
        f"{method}\n{uri}\n{query}\n{headers}\n{claim.signed_headers}\n{payload_hash}"
        for query in queries
        for headers in header_blocks
    ]


def _string_to_sign(claim: _Claim, canonical_request: str) -> str:
    digest = hashlib.sha256(canonical_request.encode("utf-8", "surrogateescape")).hexdigest()
    return f"{ALGORITHM}\n{claim.timestamp}\n{claim.scope.scope}\n{digest}"


def _signature(key: bytes, claim: _Claim, canonical_request: str) -> str:
    string_to_sign = _string_to_sign(claim, canonical_request)
    message = string_to_sign.encode("utf-8", "surrogateescape")
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def _decoded_length(request: HttpRequest) -> int | None:
    value = request.headers.get("x-amz-decoded-content-length")
    if value is None:
        return None
    value = value.strip()
    if not value.isascii() or not value.isdigit() or len(value) > 19:
        raise AuthFailure(
            AuthFailureReason.BAD_CHUNK, f"Invalid x-amz-decoded-content-length: '{value[:32]}'."
        )
    return int(value)


def _declared_trailers(request: HttpRequest) -> list[str] | None:
    value = request.headers.get("x-amz-trailer")
    if value is None:
        return None
    return [name.strip().lower() for name in value.split(",") if name.strip()]
