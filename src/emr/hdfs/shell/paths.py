"""Paths as Hadoop's `Path` reads them, and glob patterns as `GlobPattern` compiles them.

Pure: no filesystem access. `ParsedPath` keeps what the user typed (scheme, authority, path,
normalized: `//` collapsed, trailing `/` dropped, `.`/`..` segments folded like URI.normalize)
because the shell prints paths the way they were given.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass

__all__ = [
    "ParsedPath",
    "expand_braces",
    "glob_regex",
    "has_glob",
    "join_display",
    "parse_path",
    "relative_display",
    "unescape",
]

_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*):")
_GLOB_CHARS = frozenset("*?[{")


@dataclass(frozen=True)
class ParsedPath:
    """One path argument: `scheme` and `authority` as given (`authority` is "" for
    `hdfs:///p`, None when there was no `//`), `path` normalized (relative or absolute)."""

    scheme: str | None
    authority: str | None
    path: str

    @property
    def is_absolute(self) -> bool:
        return self.path.startswith("/")

    @property
    def prefix(self) -> str:
        """What precedes an absolute path when printing a path of this form."""
        if self.scheme is None:
            return ""
        if self.authority is None:
            return f"{self.scheme}:"
        return f"{self.scheme}://{self.authority}"

    def __str__(self) -> str:
        if self.scheme is None or self.is_absolute:
            return self.prefix + self.path
        return f"{self.prefix}{self.path}"


def _normalize(path: str) -> str:
    if not path:
        return path
    absolute = path.startswith("/")
    collapsed = re.sub(r"/+", "/", path)
    segments = collapsed.split("/")
    if any(s in (".", "..") for s in segments) and collapsed not in (".", "./"):
        collapsed = posixpath.normpath(collapsed)
        if absolute and not collapsed.startswith("/"):
            collapsed = "/" + collapsed
    if len(collapsed) > 1 and collapsed.endswith("/"):
        collapsed = collapsed.rstrip("/") or "/"
    return collapsed


def parse_path(text: str) -> ParsedPath:
    """A path argument as Hadoop's Path parses it (`scheme:` only before the first `/`)."""
    scheme: str | None = None
    rest = text
    match = _SCHEME.match(text)
    if match and "/" not in text[: match.end()]:
        scheme, rest = match.group(1).lower(), text[match.end() :]
    authority: str | None = None
    if scheme is not None and rest.startswith("//"):
        end = rest.find("/", 2)
        authority, rest = (rest[2:], "/") if end < 0 else (rest[2:end], rest[end:])
    if scheme is not None and not rest:
        rest = "/"
    return ParsedPath(scheme, authority, _normalize(rest))


def join_display(parent: str, name: str) -> str:
    """How Hadoop prints a child of a listed directory (PathData.getStringForChildPath)."""
    if parent == ".":
        return name
    return parent + name if parent.endswith("/") else f"{parent}/{name}"


def relative_display(cwd: str, path: str) -> str:
    """A glob match under a relative pattern, relative to the working directory."""
    if cwd == path:
        return "."
    return posixpath.relpath(path, cwd)


def has_glob(text: str) -> bool:
    """Whether a path contains an unescaped wildcard (`*`, `?`, `[`, `{`)."""
    escaped = False
    for char in text:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char in _GLOB_CHARS:
            return True
    return False


def expand_braces(pattern: str) -> list[str]:
    """`{a,b}` alternatives expanded into separate patterns (nested braces too)."""
    depth, start = 0, -1
    for index, char in enumerate(pattern):
        if char == "\\":
            continue
        if index > 0 and pattern[index - 1] == "\\":
            continue
        if char == "{":
            if depth == 0:
                start = index
            depth += 1
        elif char == "}" and depth > 0:
            depth -= 1
            if depth == 0:
                head, body, tail = pattern[:start], pattern[start + 1 : index], pattern[index + 1 :]
                results: list[str] = []
                for option in _split_top_level(body):
                    for expanded in expand_braces(head + option + tail):
                        if expanded not in results:
                            results.append(expanded)
                return results
    return [pattern]


def _split_top_level(body: str) -> list[str]:
    parts, depth, current = [], 0, []
    escaped = False
    for char in body:
        if escaped:
            current.append(char)
            escaped = False
            continue
        if char == "\\":
            current.append(char)
            escaped = True
        elif char == "{":
            depth += 1
            current.append(char)
        elif char == "}":
            depth -= 1
            current.append(char)
        elif char == "," and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return parts


def glob_regex(component: str) -> re.Pattern[str]:
    """One path component's glob (braces already expanded) as a regex matched in full."""
    out: list[str] = []
    index, in_class = 0, False
    while index < len(component):
        char = component[index]
        if char == "\\" and index + 1 < len(component):
            out.append(re.escape(component[index + 1]))
            index += 2
            continue
        if in_class:
            if char == "]":
                in_class = False
                out.append("]")
            elif char == "\\":
                out.append("\\\\")
            else:
                out.append(char)
        elif char == "*":
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif char == "[":
            in_class = True
            out.append("[")
            if index + 1 < len(component) and component[index + 1] in "!^":
                out.append("^")
                index += 1
        else:
            out.append(re.escape(char))
        index += 1
    if in_class:
        raise ValueError(f"Unclosed character class in glob {component!r}")
    return re.compile("".join(out), re.DOTALL)


def unescape(text: str) -> str:
    """A glob pattern with its `\\x` quoting removed (how a non-matching literal is shown)."""
    return re.sub(r"\\(.)", r"\1", text)
