"""S3's error codes, one class each (status and wording as S3 answers them).

Raised by the S3 provider and by object-store backends; the rest-xml protocol turns them into
`<Error><Code/><Message/><Resource/><RequestId/>…</Error>` with `fields` as extra members.
"""

from __future__ import annotations

from typing import Any

from emr.errors import ServiceError

__all__ = [
    "AccessDenied",
    "BadDigest",
    "BucketAlreadyExists",
    "BucketAlreadyOwnedByYou",
    "BucketNotEmpty",
    "EntityTooLarge",
    "EntityTooSmall",
    "InvalidArgument",
    "InvalidBucketName",
    "InvalidDigest",
    "InvalidPart",
    "InvalidPartOrder",
    "InvalidRange",
    "InvalidRequest",
    "KeyTooLongError",
    "MalformedXML",
    "NoSuchBucket",
    "NoSuchBucketPolicy",
    "NoSuchCORSConfiguration",
    "NoSuchKey",
    "NoSuchTagSet",
    "NoSuchUpload",
    "NoSuchVersion",
    "NotModified",
    "PreconditionFailed",
    "S3Error",
]


class S3Error(ServiceError):
    """Base of S3's errors; keyword arguments become extra members of the XML error."""

    def __init__(self, message: str | None = None, **fields: Any) -> None:
        super().__init__(message or self.default_message, fields=fields)

    default_message = ""


class AccessDenied(S3Error):
    code, status_code, default_message = "AccessDenied", 403, "Access Denied"


class BadDigest(S3Error):
    code, status_code = "BadDigest", 400
    default_message = "The Content-MD5 or checksum value that you specified did not match what the server received."


class BucketAlreadyExists(S3Error):
    code, status_code = "BucketAlreadyExists", 409
    default_message = "The requested bucket name is not available. The bucket namespace is shared by all users of the system. Please select a different name and try again."


class BucketAlreadyOwnedByYou(S3Error):
    code, status_code = "BucketAlreadyOwnedByYou", 409
    default_message = (
        "Your previous request to create the named bucket succeeded and you already own it."
    )


class BucketNotEmpty(S3Error):
    code, status_code = "BucketNotEmpty", 409
    default_message = "The bucket you tried to delete is not empty"


class EntityTooLarge(S3Error):
    code, status_code = "EntityTooLarge", 400
    default_message = "Your proposed upload exceeds the maximum allowed size"


class EntityTooSmall(S3Error):
    code, status_code = "EntityTooSmall", 400
    default_message = "Your proposed upload is smaller than the minimum allowed object size."


class InvalidArgument(S3Error):
    code, status_code, default_message = "InvalidArgument", 400, "Invalid Argument"


class InvalidBucketName(S3Error):
    code, status_code, default_message = (
        "InvalidBucketName",
        400,
        "The specified bucket is not valid.",
    )


class InvalidDigest(S3Error):
    code, status_code = "InvalidDigest", 400
    default_message = "The Content-MD5 you specified is not valid."


class InvalidPart(S3Error):
    code, status_code = "InvalidPart", 400
    default_message = "One or more of the specified parts could not be found.  The part may not have been uploaded, or the specified entity tag may not match the part's entity tag."


class InvalidPartOrder(S3Error):
    code, status_code = "InvalidPartOrder", 400
    default_message = (
        "The list of parts was not in ascending order. Parts must be ordered by part number."
    )


class InvalidRange(S3Error):
    code, status_code, default_message = (
        "InvalidRange",
        416,
        "The requested range is not satisfiable",
    )


class InvalidRequest(S3Error):
    code, status_code, default_message = "InvalidRequest", 400, "Invalid Request"


class KeyTooLongError(S3Error):
    code, status_code, default_message = "KeyTooLongError", 400, "Your key is too long"


class MalformedXML(S3Error):
    code, status_code = "MalformedXML", 400
    default_message = (
        "The XML you provided was not well-formed or did not validate against our published schema"
    )


class NoSuchBucket(S3Error):
    code, status_code, default_message = "NoSuchBucket", 404, "The specified bucket does not exist"


class NoSuchBucketPolicy(S3Error):
    code, status_code, default_message = (
        "NoSuchBucketPolicy",
        404,
        "The bucket policy does not exist",
    )


class NoSuchCORSConfiguration(S3Error):
    code, status_code = "NoSuchCORSConfiguration", 404
    default_message = "The CORS configuration does not exist"


class NoSuchKey(S3Error):
    code, status_code, default_message = "NoSuchKey", 404, "The specified key does not exist."


class NoSuchTagSet(S3Error):
    code, status_code, default_message = "NoSuchTagSet", 404, "The TagSet does not exist"


class NoSuchUpload(S3Error):
    code, status_code = "NoSuchUpload", 404
    default_message = "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed."


class NoSuchVersion(S3Error):
    code, status_code = "NoSuchVersion", 404
    default_message = "The specified version does not exist."


class NotModified(S3Error):
    """304 for conditional GET/HEAD; the protocol sends no body for it."""

    code, status_code, default_message = "NotModified", 304, "Not Modified"


class PreconditionFailed(S3Error):
    code, status_code = "PreconditionFailed", 412
    default_message = "At least one of the pre-conditions you specified did not hold"
