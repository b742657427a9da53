"""S3's legacy HmacV1 signatures ("AWS AKID:signature" headers and presigned query strings).

botocore still emits these: `generate_presigned_url` for S3 without `signature_version="s3v4"`
(HmacV1QueryAuth) and clients configured with `signature_version="s3"` (HmacV1Auth). The string
to sign and the canonical resource follow botocore's signer, which is what the server must match.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from urllib.parse import unquote

from emr.errors import AuthFailure, AuthFailureReason
from emr.gateway.http import HttpRequest

__all__ = ["SUB_RESOURCES", "authenticate_sigv2", "decoded_query", "is_sigv2", "query_pairs"]

# botocore's HmacV1Auth.QSAOfInterest: the query parameters that are part of the resource.
SUB_RESOURCES = frozenset(
    {
        "accelerate",
        "acl",
        "analytics",
        "cors",
        "defaultObjectAcl",
        "delete",
        "inventory",
        "lifecycle",
        "location",
        "logging",
        "metrics",
        "notification",
        "object-lock",
        "partNumber",
        "policy",
        "replication",
        "requestPayment",
        "response-cache-control",
        "response-content-disposition",
        "response-content-encoding",
        "response-content-language",
        "response-content-type",
        "response-expires",
        "restore",
        "select",
        "select-type",
        "storageClass",
        "tagging",
        "torrent",
        "uploadId",
        "uploads",
        "versionId",
        "versioning",
        "versions",
        "website",
    }
)

_SIGNATURE_MISMATCH = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your key and signing method."
)
_MAX_EXPIRES = 253402300799  # 9999-12-31T23:59:59Z: keeps datetime arithmetic in range


def query_pairs(raw_query: str) -> list[tuple[str, str]]:
    """Raw (still percent-encoded) name/value pairs, in order, empty segments dropped."""
    pairs = []
    for segment in raw_query.split("&"):
        if segment:
            name, _, value = segment.partition("=")
            pairs.append((name, value))
    return pairs


def decoded_query(raw_query: str) -> dict[str, str]:
    """Query parameters percent-decoded (not `+` as space, as AWS signs), first value wins."""
    decoded: dict[str, str] = {}
    for name, value in query_pairs(raw_query):
        decoded.setdefault(unquote(name), unquote(value))
    return decoded


def is_sigv2(request: HttpRequest) -> bool:
    """True for S3's HmacV1 forms: `Authorization: AWS …` or an AWSAccessKeyId+Signature query."""
    authorization = request.headers.get("authorization", "")
    if authorization.startswith("AWS ") and ":" in authorization:
        return True
    query = decoded_query(request.raw_query)
    # Query services' own version 2 (SignatureVersion=2, Timestamp) is not S3's HmacV1.
    return "AWSAccessKeyId" in query and "Signature" in query and "SignatureVersion" not in query


def _incomplete(message: str) -> AuthFailure:
    return AuthFailure(AuthFailureReason.INCOMPLETE_SIGNATURE, message)


def _canonical_resources(request: HttpRequest) -> list[str]:
    """The canonical resource for path-style and, failing that, virtual-hosted addressing.

    The server does not know which host names are its own, so for `bucket.endpoint` hosts it
    also tries the first label (and the whole host, for CNAME buckets) as the bucket.
    """
    path = request.raw_path or "/"
    sub_resources: list[tuple[str, str | None]] = []
    for segment in request.raw_query.split("&"):
        name, equals, value = segment.partition("=")
        if name in SUB_RESOURCES:
            sub_resources.append((name, unquote(value) if equals else None))
    suffix = ""
    if sub_resources:
        sub_resources.sort(key=lambda item: item[0])
        suffix = "?" + "&".join(
            name if value is None else f"{name}={value}" for name, value in sub_resources
        )
    host = request.host.rsplit(":", 1)[0] if not request.host.startswith("[") else ""
    paths = [path]
    if "." in host and not host.replace(".", "").isdigit():
        paths.append(f"/{host.split('.', 1)[0]}{path}")
        paths.append(f"/{host}{path}")
    return [candidate + suffix for candidate in paths]


def _custom_headers(request: HttpRequest, query: dict[str, str] | None) -> str:
    headers: dict[str, str] = {}
    for name in {key.lower() for key in request.headers}:
        if name.startswith("x-amz-"):
            headers[name] = ",".join(v.strip() for v in request.headers.getlist(name))
    if query is not None:
        # Presigning moves the signed x-amz-* headers into the query string.
        for name, value in query.items():
            if name.lower().startswith("x-amz-"):
                headers[name.lower()] = value.strip()
    return "".join(f"{name}:{headers[name]}\n" for name in sorted(headers))


def _sign(secret: str, string_to_sign: str) -> str:
    message = string_to_sign.encode("utf-8", "surrogateescape")
    digest = hmac.new(secret.encode("utf-8"), message, hashlib.sha1)
    return base64.b64encode(digest.digest()).decode("ascii")


def _parse_http_date(value: str) -> datetime | None:
    value = value.strip()
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        try:
            parsed = datetime.strptime(value, "%Y%m%dT%H%M%SZ")
        except ValueError:
            return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def authenticate_sigv2(
    request: HttpRequest,
    lookup_secret: Callable[[str], str | None],
    *,
    now: datetime,
    max_skew: timedelta,
) -> str:
    """Verify an HmacV1 request; return its access key id or raise AuthFailure."""
    authorization = request.headers.get("authorization")
    query: dict[str, str] | None = None
    if authorization is not None:
        credentials = authorization[4:] if authorization.startswith("AWS ") else ""
        access_key_id, _, provided = credentials.strip().rpartition(":")
        if not access_key_id or not provided:
            raise _incomplete(
                "Authorization header is invalid -- one and only one ' ' (space) required"
            )
    else:
        query = decoded_query(request.raw_query)
        access_key_id = query.get("AWSAccessKeyId", "")
        provided = query.get("Signature", "")
        if not access_key_id or not provided:
            raise _incomplete(
                "Query-string authentication requires the Signature, Expires and AWSAccessKeyId parameters"
            )

    secret = lookup_secret(access_key_id)
    if secret is None:
        raise AuthFailure(
            AuthFailureReason.UNKNOWN_ACCESS_KEY,
            "The AWS Access Key Id you provided does not exist in our records.",
            fields={"AWSAccessKeyId": access_key_id},
        )

    if query is None:
        date_slots = _check_header_time(request, now=now, max_skew=max_skew)
    else:
        date_slots = [_check_expires(query, now=now)]

    def slot(name: str) -> str:
        # A header the client sent is what the request is, so it is what must have been signed;
        # botocore's presigner also copies signed Content-Type/MD5 into the query, which stands
        # in only when a plain client sends no such header.
        sent = request.headers.getlist(name)
        if sent or query is None or name not in query:
            return ",".join(v.strip() for v in sent)
        return query[name].strip()

    custom = _custom_headers(request, query)
    head = f"{request.method.upper()}\n{slot('content-md5')}\n{slot('content-type')}\n"
    candidates = [
        f"{head}{date}\n{custom}{resource}"
        for date in date_slots
        for resource in _canonical_resources(request)
    ]
    for string_to_sign in candidates:
        calculated = _sign(secret, string_to_sign).encode("ascii")
        if hmac.compare_digest(calculated, provided.encode("utf-8", "surrogateescape")):
            return access_key_id
    raise AuthFailure(
        AuthFailureReason.SIGNATURE_MISMATCH,
        _SIGNATURE_MISMATCH,
        fields={
            "AWSAccessKeyId": access_key_id,
            "StringToSign": candidates[0],
            "SignatureProvided": provided,
        },
    )


def _check_header_time(request: HttpRequest, *, now: datetime, max_skew: timedelta) -> list[str]:
    """Check the request time; return the values the Date line of the string to sign may take."""
    amz_date = request.headers.get("x-amz-date")
    date = request.headers.get("date")
    stamp = amz_date if amz_date is not None else date
    when = _parse_http_date(stamp) if stamp is not None else None
    if when is None:
        raise _incomplete("AWS authentication requires a valid Date or x-amz-date header")
    if abs(now - when) > max_skew:
        raise AuthFailure(
            AuthFailureReason.CLOCK_SKEW,
            "The difference between the request time and the current time is too large.",
            fields={
                "RequestTime": stamp,
                "ServerTime": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "MaxAllowedSkewMilliseconds": str(int(max_skew.total_seconds() * 1000)),
            },
        )
    # With x-amz-date AWS signs an empty Date line; botocore signs the Date header it set.
    slots = [] if amz_date is None else [""]
    if date is not None:
        slots.append(date.strip())
    return slots


def _check_expires(query: dict[str, str], *, now: datetime) -> str:
    expires = query.get("Expires", "")
    if not expires.isascii() or not expires.isdigit() or int(expires) > _MAX_EXPIRES:
        raise _incomplete(
            "Query-string authentication requires the Signature, Expires and AWSAccessKeyId parameters"
        )
    if now.timestamp() > int(expires):
        raise AuthFailure(
            AuthFailureReason.EXPIRED,
            "Request has expired",
            fields={
                "Expires": datetime.fromtimestamp(int(expires), UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "ServerTime": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
            },
        )
    return expires
