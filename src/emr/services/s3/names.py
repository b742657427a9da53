"""S3's naming rules: bucket names, object keys, and the canonical ids of owners."""

from __future__ import annotations

import hashlib
import ipaddress
import re

from emr.services.s3.errors import InvalidArgument, InvalidBucketName, KeyTooLongError

__all__ = [
    "MAX_KEY_BYTES",
    "canonical_user_id",
    "check_bucket_name",
    "check_key",
    "owner_of",
]

#: S3 refuses keys longer than this many UTF-8 bytes.
MAX_KEY_BYTES = 1024

_BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_RESERVED_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
_RESERVED_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")


def check_bucket_name(name: str) -> None:
    """Raise InvalidBucketName unless `name` follows S3's general-purpose bucket rules:
    3 to 63 characters of lower-case letters, digits, dots and hyphens, starting and ending
    with a letter or digit, no adjacent dots, not an IPv4 address, no reserved affixes."""
    if not _BUCKET_NAME.match(name) or ".." in name or ".-" in name or "-." in name:
        raise InvalidBucketName(BucketName=name)
    if name.startswith(_RESERVED_PREFIXES) or name.endswith(_RESERVED_SUFFIXES):
        raise InvalidBucketName(BucketName=name)
    try:
        ipaddress.IPv4Address(name)
    except ValueError:
        return
    raise InvalidBucketName(BucketName=name)


def check_key(key: str) -> None:
    """What S3 itself enforces on an object key, whatever the model says."""
    if not key:
        raise InvalidArgument("A key must be specified", ArgumentName="key", ArgumentValue="")
    size = len(key.encode("utf-8", "surrogatepass"))
    if size > MAX_KEY_BYTES:
        raise KeyTooLongError(Size=size, MaxSizeAllowed=MAX_KEY_BYTES)


def canonical_user_id(account_id: str) -> str:
    """S3's 64-hex-digit canonical user id, stable for an account."""
    return hashlib.sha256(f"emr-s3-canonical-user:{account_id}".encode()).hexdigest()


def owner_of(account_id: str) -> dict[str, str]:
    """The `Owner` (and `Initiator`) structure S3 answers for an account."""
    return {"ID": canonical_user_id(account_id), "DisplayName": account_id}
