"""Request bodies are JSON as RFC 8259 has it: no NaN or Infinity, no repeated member names,
no lone UTF-16 surrogates.

Python's JSON parser accepts both, silently: `NaN` in a pipeline's configuration became an ARN
naming the bucket `nan`, and `{"Effect": "Allow", "Effect": "Deny"}` kept the last member, so a
policy sent as an object lost the duplicate that the same policy sent as text is reported for.
A `\\ud800` escape with no partner decodes to a string that is not text (it cannot be encoded
as UTF-8, so echoing it in an answer failed with a 500). Every route decodes the body here
first (app/api/checked_route.py), strictly, and answers 422 with the JSON pointer of the
offending member; FastAPI then uses the decoded value instead of decoding the body again.
"""

from __future__ import annotations

import json
import re
from typing import Any

from fastapi import Request

from app.api.problems import UnprocessableInputError, UnsupportedMediaTypeError
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


# The body is decoded as strict UTF-8 first, which refuses a raw surrogate (ED A0 80), so only an
# escape can put a surrogate in a decoded string.
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


def _not_text(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _lone_surrogate(data: Any) -> str | None:
    """The pointer of the first member name or string holding a lone surrogate, if any."""
    stack: list[tuple[str, Any]] = [("", data)]
    while stack:
        at, value = stack.pop()
        if isinstance(value, str):
            if _not_text(value):
                return at
        elif isinstance(value, dict):
            for name, item in reversed(list(value.items())):
                if _not_text(name):
                    return at
                stack.append((pointer_join(at, name), item))
        elif isinstance(value, list):
            stack.extend(
                (pointer_join(at, i), item) for i, item in reversed(list(enumerate(value)))
            )
    return None


def _is_json(content_type: str | None) -> bool:
    if content_type is None:
        return False  # FastAPI reads a body as JSON only when its content type says so
    media = content_type.partition(";")[0].strip().lower()
    return media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    )


def strict_loads(body: bytes) -> Any:
    """`body` decoded as strict JSON.

    Raises UnprocessableInputError, located, when it is JSON but not strict JSON; ValueError
    (UnicodeDecodeError when it is not UTF-8 text; RFC 8259 allows no other encoding between
    systems, and a leading byte-order mark is ignored) or RecursionError when it is not JSON.
    """
    text = body.decode("utf-8-sig")
    try:
        data = json.loads(text, object_pairs_hook=_unique, parse_constant=_constant)
    except _RejectedError:
        try:
            pointer, detail = _locate(body)
        except (ValueError, RecursionError):
            pointer, detail = "", "the body is not strict JSON (RFC 8259)"
        raise UnprocessableInputError(detail, pointer=pointer) from None
    if _SURROGATE_ESCAPE.search(body) is not None:
        where = _lone_surrogate(data)
        if where is not None:
            raise UnprocessableInputError(
                "the string holds a lone UTF-16 surrogate escape (\\ud800-\\udfff without its "
                "pair), which is not a character",
                pointer=where,
            )
    return data


async def reject_non_standard_json(request: Request, *, reads_body: bool) -> None:
    """For a route that reads a body (`reads_body`): 415 unless it is sent as JSON, and 422,
    located, unless it is strict JSON text."""
    if not reads_body or request.method not in ("POST", "PUT", "PATCH"):
        return
    body = await request.body()
    if not body:
        return
    content_type = request.headers.get("content-type")
    if not _is_json(content_type):
        # Every body this service reads is JSON; under another type FastAPI would not parse
        # it, and the route would answer that the body is not an object, without saying why.
        raise UnsupportedMediaTypeError(
            f"the body is sent as `{content_type}`; send it as `application/json`"
            if content_type
            else "the body is sent without a Content-Type; send it as `application/json`",
            pointer="header:Content-Type",
        )
    try:
        data = strict_loads(body)
    except UnicodeDecodeError:
        raise UnprocessableInputError(
            "the body is not UTF-8 text (RFC 8259 JSON is)", pointer=""
        ) from None
    except RecursionError:
        raise UnprocessableInputError(
            "the body nests arrays and objects too deeply to be read", pointer=""
        ) from None
    except ValueError:
        return  # not JSON at all: FastAPI says where when it reads the body
    # The strict parse yields what json.loads does for strict JSON; Starlette's Request.json()
    # returns this cached value, so FastAPI does not decode the body a second time.
    request._json = data
