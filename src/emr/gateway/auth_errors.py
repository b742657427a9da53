"""How each protocol family words an authentication failure: one table, read top to bottom.

Families: "s3" (S3's REST-XML), "query" (STS, IAM and other form-encoded services) and
"json" (JSON 1.0/1.1, rest-json and CBOR services such as EMR). The codes and statuses are
what AWS answers; botocore's clock-skew retry recognises the skew ones.
"""

from __future__ import annotations

from botocore.model import ServiceModel

from emr.errors import AuthFailure, AuthFailureReason, ServiceError

__all__ = ["protocol_family", "translate_auth_failure"]

_R = AuthFailureReason
_SIGNATURE = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your AWS Secret Access Key and signing method. "
    "Consult the service documentation for details."
)
_INVALID_TOKEN = "The security token included in the request is invalid."

# (reason, family) -> (code, HTTP status, message or None to keep the verifier's message)
_TABLE: dict[tuple[AuthFailureReason, str], tuple[str, int, str | None]] = {
    (_R.MISSING_AUTHENTICATION, "s3"): ("AccessDenied", 403, "Access Denied"),
    (_R.MISSING_AUTHENTICATION, "query"): ("MissingAuthenticationToken", 403, "Request is missing Authentication Token"),
    (_R.MISSING_AUTHENTICATION, "json"): ("MissingAuthenticationTokenException", 403, "Missing Authentication Token"),
    (_R.INCOMPLETE_SIGNATURE, "s3"): ("AuthorizationHeaderMalformed", 400, None),
    (_R.INCOMPLETE_SIGNATURE, "query"): ("IncompleteSignature", 400, None),
    (_R.INCOMPLETE_SIGNATURE, "json"): ("IncompleteSignatureException", 400, None),
    (_R.UNKNOWN_ACCESS_KEY, "s3"): ("InvalidAccessKeyId", 403, "The AWS Access Key Id you provided does not exist in our records."),
    (_R.UNKNOWN_ACCESS_KEY, "query"): ("InvalidClientTokenId", 403, _INVALID_TOKEN),
    (_R.UNKNOWN_ACCESS_KEY, "json"): ("UnrecognizedClientException", 400, _INVALID_TOKEN),
    (_R.SIGNATURE_MISMATCH, "s3"): ("SignatureDoesNotMatch", 403, _SIGNATURE),
    (_R.SIGNATURE_MISMATCH, "query"): ("SignatureDoesNotMatch", 403, _SIGNATURE),
    (_R.SIGNATURE_MISMATCH, "json"): ("InvalidSignatureException", 400, _SIGNATURE),
    (_R.CLOCK_SKEW, "s3"): ("RequestTimeTooSkewed", 403, "The difference between the request time and the current time is too large."),
    (_R.CLOCK_SKEW, "query"): ("SignatureDoesNotMatch", 403, None),
    (_R.CLOCK_SKEW, "json"): ("InvalidSignatureException", 400, None),
    (_R.EXPIRED, "s3"): ("AccessDenied", 403, "Request has expired"),
    (_R.EXPIRED, "query"): ("RequestExpired", 400, "Request has expired."),
    (_R.EXPIRED, "json"): ("RequestExpired", 400, "Request has expired."),
    (_R.PAYLOAD_HASH_MISMATCH, "s3"): ("XAmzContentSHA256Mismatch", 400, "The provided 'x-amz-content-sha256' header does not match what was computed."),
    (_R.PAYLOAD_HASH_MISMATCH, "query"): ("SignatureDoesNotMatch", 403, _SIGNATURE),
    (_R.PAYLOAD_HASH_MISMATCH, "json"): ("InvalidSignatureException", 400, _SIGNATURE),
    (_R.BAD_CHUNK, "s3"): ("IncompleteBody", 400, None),
    (_R.BAD_CHUNK, "query"): ("IncompleteSignature", 400, None),
    (_R.BAD_CHUNK, "json"): ("IncompleteSignatureException", 400, None),
}  # fmt: skip


def protocol_family(service: ServiceModel) -> str:
    """ "s3", "query" or "json": the family whose wording an auth failure takes."""
    if service.metadata.get("serviceId") == "S3":
        return "s3"
    if service.protocol in ("query", "ec2"):
        return "query"
    return "json"


def translate_auth_failure(failure: AuthFailure, service: ServiceModel) -> ServiceError:
    """The error the client sees for `failure`, in `service`'s family's words."""
    code, status, message = _TABLE[(failure.reason, protocol_family(service))]
    return ServiceError(
        message or failure.message,
        code=code,
        status_code=status,
        fields=failure.fields,
        headers=failure.headers,
    )
