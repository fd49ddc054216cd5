"""JSON pointers (RFC 6901): how every finding, problem and source line names its place."""

from __future__ import annotations


def pointer_join(base: str, *tokens: str | int) -> str:
    """`base` followed by `tokens`, each escaped as one reference token."""
    # Called for every entry of every statement: escape only the tokens that need it.
    out = base
    for token in tokens:
        text = token if isinstance(token, str) else str(token)
        if "~" in text or "/" in text:
            text = text.replace("~", "~0").replace("/", "~1")
        out += "/" + text
    return out


def pointer_tokens(pointer: str) -> tuple[str, ...]:
    """The reference tokens of `pointer`, unescaped; the root ("") has none."""
    if not pointer:
        return ()
    return tuple(t.replace("~1", "/").replace("~0", "~") for t in pointer[1:].split("/"))
