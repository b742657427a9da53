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
    "IllegalLocationConstraintException",
    "InvalidArgument",
    "InvalidBucketName",
    "InvalidDigest",
    "InvalidLocationConstraint",
    "InvalidPart",
    "InvalidPartNumber",
    "InvalidPartOrder",
    "InvalidRange",
    "InvalidRequest",
    "InvalidTag",
    "KeyTooLongError",
    "MalformedPolicy",
    "MalformedXML",
    "MethodNotAllowed",
    "NoSuchBucket",
    "NoSuchBucketPolicy",
    "NoSuchCORSConfiguration",
    "NoSuchKey",
    "NoSuchLifecycleConfiguration",
    "NoSuchPublicAccessBlockConfiguration",
    "NoSuchTagSet",
    "NoSuchUpload",
    "NoSuchVersion",
    "NotImplementedFeature",
    "NotModified",
    "OwnershipControlsNotFoundError",
    "PreconditionFailed",
    "S3Error",
    "ServerSideEncryptionConfigurationNotFoundError",
    "UserKeyMustBeSpecified",
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


class IllegalLocationConstraintException(S3Error):
    code, status_code = "IllegalLocationConstraintException", 400
    default_message = "The unspecified location constraint is incompatible for the region specific endpoint this request was sent to."


class InvalidLocationConstraint(S3Error):
    code, status_code = "InvalidLocationConstraint", 400
    default_message = "The specified location-constraint is not valid"


class InvalidPartNumber(S3Error):
    code, status_code = "InvalidPartNumber", 416
    default_message = "The requested partnumber is not satisfiable"


class InvalidTag(S3Error):
    code, status_code = "InvalidTag", 400
    default_message = "The TagSet is not valid."


class MalformedPolicy(S3Error):
    code, status_code = "MalformedPolicy", 400
    default_message = "Policies must be valid JSON and the first byte must be '{'"


class MethodNotAllowed(S3Error):
    code, status_code = "MethodNotAllowed", 405
    default_message = "The specified method is not allowed against this resource."


class NoSuchLifecycleConfiguration(S3Error):
    code, status_code = "NoSuchLifecycleConfiguration", 404
    default_message = "The lifecycle configuration does not exist"


class NoSuchPublicAccessBlockConfiguration(S3Error):
    code, status_code = "NoSuchPublicAccessBlockConfiguration", 404
    default_message = "The public access block configuration was not found"


class OwnershipControlsNotFoundError(S3Error):
    code, status_code = "OwnershipControlsNotFoundError", 404
    default_message = "The bucket ownership controls were not found"


class ServerSideEncryptionConfigurationNotFoundError(S3Error):
    code, status_code = "ServerSideEncryptionConfigurationNotFoundError", 404
    default_message = "The server side encryption configuration was not found"


class UserKeyMustBeSpecified(S3Error):
    code, status_code = "UserKeyMustBeSpecified", 400
    default_message = "The bucket POST must contain the specified field name. If it is specified, please check the order of the fields."


class NotImplementedFeature(S3Error):
    """S3's `NotImplemented`: a header asks for functionality S3 (or this endpoint) lacks."""

    code, status_code = "NotImplemented", 501
    default_message = "A header you provided implies functionality that is not implemented"
