"""JSON pointers (RFC 6901) into the caller's request, for locating findings."""

from __future__ import annotations


def join_pointer(base: str, *parts: str | int) -> str:
    # Called for every entry of every statement: escape only the parts that need it.
    for part in parts:
        text = str(part)
        if "~" in text or "/" in text:
            text = text.replace("~", "~0").replace("/", "~1")
        base = f"{base}/{text}"
    return base
