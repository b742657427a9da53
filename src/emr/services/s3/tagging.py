"""Object and bucket tags: the `x-amz-tagging` header and S3's limits on a tag set."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import parse_qsl

from emr.services.s3.errors import InvalidArgument, InvalidTag

__all__ = [
    "MAX_OBJECT_TAGS",
    "check_tags",
    "parse_tagging_header",
    "tag_set",
    "tags_from_tag_set",
]

MAX_OBJECT_TAGS = 10
_MAX_KEY_CHARS = 128
_MAX_VALUE_CHARS = 256


def parse_tagging_header(header: str) -> dict[str, str]:
    """`x-amz-tagging: k1=v1&k2=v2` (URL-encoded, as a query string) → tags."""
    try:
        pairs = parse_qsl(header, keep_blank_values=True, strict_parsing=bool(header))
    except ValueError as exc:
        raise InvalidArgument(
            "The header 'x-amz-tagging' shall be encoded as UTF-8 then URLEncoded URL query "
            "parameters without tag name duplicates.",
            ArgumentName="x-amz-tagging",
            ArgumentValue=header,
        ) from exc
    return check_tags(pairs, limit=MAX_OBJECT_TAGS)


def check_tags(pairs: Iterable[tuple[str, str]], *, limit: int) -> dict[str, str]:
    """The tags as a dict, or InvalidTag when S3 would refuse them."""
    tags: dict[str, str] = {}
    for key, value in pairs:
        if key in tags:
            raise InvalidTag("Cannot provide multiple Tags with the same key", TagKey=key)
        if not key or len(key) > _MAX_KEY_CHARS:
            raise InvalidTag("The TagKey you have provided is invalid", TagKey=key)
        if len(value) > _MAX_VALUE_CHARS:
            raise InvalidTag("The TagValue you have provided is invalid", TagKey=key)
        if key.lower().startswith("aws:"):
            raise InvalidTag("Your TagKey cannot be prefixed with aws:", TagKey=key)
        tags[key] = value
    if len(tags) > limit:
        raise InvalidTag(f"Object tags cannot be greater than {limit}")
    return tags


def tags_from_tag_set(tag_set: Iterable[Mapping[str, Any]], *, limit: int) -> dict[str, str]:
    """A model `TagSet` (list of {Key, Value}) → tags, checked."""
    return check_tags(
        ((str(tag.get("Key", "")), str(tag.get("Value", ""))) for tag in tag_set), limit=limit
    )


def tag_set(tags: Mapping[str, str]) -> list[dict[str, str]]:
    """Tags → a model `TagSet`."""
    return [{"Key": key, "Value": value} for key, value in tags.items()]
