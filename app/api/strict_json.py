"""Request bodies are JSON as RFC 8259 has it: no NaN or Infinity, no repeated member names,
no lone UTF-16 surrogates; and as this service can hold it: finite numbers, integers of at most
4,300 digits, arrays and objects nested at most 64 deep.

Python's JSON parser accepts both, silently: `NaN` in a pipeline's configuration became an ARN
naming the bucket `nan`, and `{"Effect": "Allow", "Effect": "Deny"}` kept the last member, so a
policy sent as an object lost the duplicate that the same policy sent as text is reported for.
A `\\ud800` escape with no partner decodes to a string that is not text (it cannot be encoded
as UTF-8, so echoing it in an answer failed with a 500). A number beyond a double's range (`1e400`)
decoded to infinity and named a resource `…:inf`; an integer of more digits than Python converts
was a 400 without a place; a profile nested 300 deep was a 500 when its content was hashed (orjson
writes at most 255 levels). Every route decodes the body here first (app/api/checked_route.py),
strictly, and answers 422 with the JSON pointer of the offending member, or, for text that is not
JSON, the pointer of the innermost array or object open where it fails with the line, column and
offset; FastAPI then uses the decoded value instead of decoding the body again.
"""

from __future__ import annotations

import json
import math
import re
import sys
from itertools import compress
from typing import Any

from fastapi import Request

from app.api.problems import TextPosition, UnprocessableInputError, UnsupportedMediaTypeError
from app.engine.json_pointer import pointer_join

# Levels of arrays and objects a body may nest: real documents (pipelines, CloudFormation
# templates, policies, profiles) stay under 20; orjson, which hashes stored documents, stops at 255.
MAX_DEPTH = 64
# Digits of an integer Python converts from text (4,300 unless PYTHONINTMAXSTRDIGITS says
# otherwise; 0 is no limit); the decoder refuses longer ones.
MAX_INTEGER_DIGITS = sys.get_int_max_str_digits()


class _RejectedError(Exception):
    pass


def _unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    made = dict(pairs)
    if len(made) != len(pairs):
        raise _RejectedError
    return made


def _constant(_name: str) -> Any:
    raise _RejectedError


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _RejectedError
    return value


class _Members(list[tuple[str, Any]]):
    """An object kept as its member list, to find where the problem is."""


class _Refused:
    """A number refused, kept in place of its value to find where it is."""

    def __init__(self, detail: str) -> None:
        self.detail = detail


def _quoted(text: str) -> str:
    return f"`{text}`" if len(text) <= 40 else f"`{text[:20]}…{text[-10:]}`"


def _refused_constant(name: str) -> _Refused:
    return _Refused(f"`{name}` is not a JSON number (RFC 8259); send a finite number")


def _located_float(text: str) -> float | _Refused:
    value = float(text)
    if math.isfinite(value):
        return value
    return _Refused(
        f"the number {_quoted(text)} is beyond the range of a double (it reads as infinite); "
        "send a finite number"
    )


def _located_integer(text: str) -> int | _Refused:
    digits = len(text) - text.startswith("-")
    if not MAX_INTEGER_DIGITS or digits <= MAX_INTEGER_DIGITS:
        return int(text)
    return _Refused(
        f"the integer {_quoted(text)} has {digits} digits; at most {MAX_INTEGER_DIGITS} are read"
    )


def _locate(body: bytes) -> tuple[str, str]:
    """(pointer, detail) of the first repeated member or refused number."""
    root = json.loads(
        body,
        object_pairs_hook=_Members,
        parse_constant=_refused_constant,
        parse_float=_located_float,
        parse_int=_located_integer,
    )
    stack: list[tuple[str, Any]] = [("", root)]
    while stack:
        at, value = stack.pop()
        if isinstance(value, _Refused):
            return at, value.detail
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


# A string, or one structural character: the tokens that say where a reader is in JSON text.
_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"?|[\[\]{},:]')


class _Open:
    """An array or object open at some point of the text, and the member being read in it."""

    __slots__ = ("is_object", "member", "pointer", "wants_name")

    def __init__(self, pointer: str, is_object: bool) -> None:
        self.pointer = pointer
        self.is_object = is_object
        self.member: str | int | None = None if is_object else 0
        self.wants_name = is_object

    def child(self) -> str:
        return self.pointer if self.member is None else pointer_join(self.pointer, self.member)


def _open_at(text: str, end: int | None = None, max_depth: int | None = None) -> tuple[str, int]:
    """(pointer, depth) of the innermost array or object open at offset `end` of JSON text, or
    of the first one nested deeper than `max_depth`; ("", 0) when none is open."""
    stack: list[_Open] = []
    for match in _TOKENS.finditer(text, 0, len(text) if end is None else end):
        lexeme = match.group()
        top = stack[-1] if stack else None
        if lexeme[0] == '"':
            if top is not None and top.wants_name:
                try:
                    top.member = json.loads(lexeme)
                except ValueError:
                    top.member = None  # not a whole string: the member stays unnamed
        elif lexeme in "[{":
            stack.append(_Open("" if top is None else top.child(), lexeme == "{"))
            if max_depth is not None and len(stack) > max_depth:
                break
        elif lexeme in "]}":
            if stack:
                stack.pop()
        elif top is not None and lexeme == ",":
            if top.is_object:
                top.member, top.wants_name = None, True
            elif isinstance(top.member, int):
                top.member += 1
        elif top is not None and lexeme == ":":
            top.wants_name = False
    return (stack[-1].pointer, len(stack)) if stack else ("", 0)


_IS_CONTAINER = frozenset((dict, list)).__contains__


def _too_deep(data: Any) -> bool:
    """Level by level over the decoded arrays and objects (the decoder makes no subclasses);
    the filtering runs in C, as this walks every body that has any depth to it."""
    level = [data] if _IS_CONTAINER(type(data)) else []
    depth = 0
    while level:
        depth += 1
        if depth > MAX_DEPTH:
            return True
        deeper: list[Any] = []
        for value in level:
            items = value.values() if type(value) is dict else value
            deeper.extend(compress(items, map(_IS_CONTAINER, map(type, items))))
        level = deeper
    return False


def _nested_too_deeply(text: str) -> UnprocessableInputError:
    pointer, _ = _open_at(text, max_depth=MAX_DEPTH)
    return UnprocessableInputError(
        f"arrays and objects nest more than {MAX_DEPTH} levels deep here; "
        f"at most {MAX_DEPTH} are read",
        pointer=pointer,
    )


def _not_json(text: str, error: json.JSONDecodeError) -> UnprocessableInputError:
    pointer, _ = _open_at(text, error.pos)
    return UnprocessableInputError(
        # Some of the decoder's messages end "starting at": the place follows them.
        f"the body is not JSON: {error.msg[:1].lower()}{error.msg[1:].removesuffix(' at')} "
        f"at line {error.lineno}, column {error.colno}",
        pointer=pointer,
        position=TextPosition(line=error.lineno, column=error.colno, offset=error.pos),
    )


def _is_json(content_type: str | None) -> bool:
    if content_type is None:
        return False  # FastAPI reads a body as JSON only when its content type says so
    media = content_type.partition(";")[0].strip().lower()
    return media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    )


def strict_loads(body: bytes) -> Any:
    """`body` decoded as strict JSON.

    Raises UnprocessableInputError, located, when it is not JSON, not strict JSON, or not JSON
    this service reads (non-finite numbers, integers too long, nesting too deep);
    UnicodeDecodeError when it is not UTF-8 text (RFC 8259 allows no other encoding between
    systems; a leading byte-order mark is ignored).
    """
    text = body.decode("utf-8-sig")
    try:
        data = json.loads(
            text,
            object_pairs_hook=_unique,
            parse_constant=_constant,
            parse_float=_finite,
        )
    except json.JSONDecodeError as exc:
        raise _not_json(text, exc) from None
    except RecursionError:
        raise _nested_too_deeply(text) from None
    except (_RejectedError, ValueError):  # ValueError: an integer longer than Python converts
        try:
            pointer, detail = _locate(body)
        except (ValueError, RecursionError):
            pointer, detail = "", "the body is not strict JSON (RFC 8259)"
        raise UnprocessableInputError(detail, pointer=pointer) from None
    if (text.count("[") + text.count("{") > MAX_DEPTH) and _too_deep(data):
        raise _nested_too_deeply(text)
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
    encoding = request.headers.get("content-encoding", "identity").strip().lower()
    if encoding not in ("", "identity"):
        # The body would be compressed bytes, read as if they were JSON text.
        raise UnsupportedMediaTypeError(
            f"the body is sent with Content-Encoding `{encoding}`; send it uncompressed",
            pointer="header:Content-Encoding",
        )
    try:
        data = strict_loads(body)
    except UnicodeDecodeError:
        raise UnprocessableInputError(
            "the body is not UTF-8 text (RFC 8259 JSON is)", pointer=""
        ) from None
    # The strict parse yields what json.loads does for strict JSON; Starlette's Request.json()
    # returns this cached value, so FastAPI does not decode the body a second time.
    request._json = data
