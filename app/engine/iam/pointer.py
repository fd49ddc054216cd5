"""JSON pointers (RFC 6901) into the caller's request, for locating findings."""

from __future__ import annotations


def join_pointer(base: str, *parts: str | int) -> str:
    escaped = (str(p).replace("~", "~0").replace("/", "~1") for p in parts)
    return base + "".join("/" + p for p in escaped)
