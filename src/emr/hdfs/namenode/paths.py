"""HDFS path names: absolute, "/"-separated, UTF-8 components.

`is_valid_name` is Hadoop's `DFSUtil.isValidName`: the path starts with "/", no component is
"." or ".." or contains ":", and "//" appears nowhere but a trailing "/" is allowed. We also
refuse names that cannot be encoded as UTF-8 (lone surrogates from a bad percent-decoding) and
NUL characters, which Hadoop would store but no client can name.
"""

from __future__ import annotations

__all__ = ["ROOT", "basename", "components", "is_under", "is_valid_name", "join", "parent_of"]

ROOT = "/"


def is_valid_name(path: str) -> bool:
    """Whether HDFS accepts `path` as the name of something to create or address."""
    if not path.startswith(ROOT):
        return False
    parts = path.split("/")
    last = len(parts) - 1
    for index, part in enumerate(parts):
        if part in (".", "..") or ":" in part or "\x00" in part:
            return False
        if not part and index not in (0, last):
            return False
        try:
            part.encode("utf-8")
        except UnicodeEncodeError:
            return False
    return True


def components(path: str) -> tuple[str, ...]:
    """The names along a valid absolute path, root excluded: "/a/b/" → ("a", "b"), "/" → ()."""
    return tuple(part for part in path.split("/") if part)


def join(names: tuple[str, ...] | list[str]) -> str:
    """The normalised path of a sequence of names: () → "/", ("a", "b") → "/a/b"."""
    return ROOT + "/".join(names)


def parent_of(path: str) -> str:
    """The parent of a normalised path ("/" is its own parent)."""
    names = components(path)
    return join(names[:-1])


def basename(path: str) -> str:
    """The last name of a normalised path ("" for the root)."""
    names = components(path)
    return names[-1] if names else ""


def is_under(path: str, ancestor: str) -> bool:
    """Whether normalised `path` lies strictly below normalised `ancestor`."""
    if ancestor == ROOT:
        return path != ROOT
    return path.startswith(ancestor + "/")
