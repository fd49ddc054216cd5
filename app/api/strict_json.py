"""Request bodies are JSON as RFC 8259 has it: no NaN or Infinity, no repeated member names.

Python's JSON parser accepts both, silently: `NaN` in a pipeline's configuration became an ARN
naming the bucket `nan`, and `{"Effect": "Allow", "Effect": "Deny"}` kept the last member, so a
policy sent as an object lost the duplicate that the same policy sent as text is reported for.
An app-wide dependency reads the (already received) body once more and answers 422 with the
JSON pointer of the offending member.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import Request

from app.api.problems import UnprocessableInputError
from app.engine.findings import pointer_join


class _RejectedError(Exception):
    pass


def _unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    made = dict(pairs)
    if len(made) != len(pairs):
        raise _RejectedError
    return made


def _constant(_name: str) -> Any:
    raise _RejectedError


class _Members(list[tuple[str, Any]]):
    """An object kept as its member list, to find where the problem is."""


class _Constant:
    def __init__(self, name: str) -> None:
        self.name = name


def _locate(body: bytes) -> tuple[str, str]:
    """(pointer, detail) of the first repeated member or non-finite number."""
    root = json.loads(body, object_pairs_hook=_Members, parse_constant=_Constant)
    stack: list[tuple[str, Any]] = [("", root)]
    while stack:
        at, value = stack.pop()
        if isinstance(value, _Constant):
            return at, f"`{value.name}` is not a JSON number (RFC 8259); send a finite number"
        if isinstance(value, _Members):
            seen: set[str] = set()
            for name, _ in value:
                if name in seen:
                    return (
                        pointer_join(at, name),
                        f"the member `{name}` appears more than once in one object",
                    )
                seen.add(name)
            stack.extend((pointer_join(at, name), item) for name, item in reversed(value))
        elif isinstance(value, list):
            stack.extend(
                (pointer_join(at, i), item) for i, item in reversed(list(enumerate(value)))
            )
    return "", "the body is not strict JSON"


def _is_json(content_type: str | None) -> bool:
    if content_type is None:
        return True  # FastAPI reads a body without a content type as JSON
    media = content_type.partition(";")[0].strip().lower()
    return media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    )


async def reject_non_standard_json(request: Request) -> None:
    if request.method not in ("POST", "PUT", "PATCH"):
        return
    if not _is_json(request.headers.get("content-type")):
        return
    body = await request.body()
    if not body:
        return
    try:
        json.loads(body, object_pairs_hook=_unique, parse_constant=_constant)
    except _RejectedError:
        try:
            pointer, detail = _locate(body)
        except (ValueError, RecursionError):
            pointer, detail = "", "the body is not strict JSON (RFC 8259)"
        raise UnprocessableInputError(detail, pointer=pointer) from None
    except (ValueError, RecursionError):
        return  # not JSON at all: FastAPI has said so, or the route does not read JSON
