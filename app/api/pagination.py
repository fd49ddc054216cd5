"""Opaque cursors and the `limit` of every list."""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Any

import orjson
from fastapi import Query

from app.api.problems import UnprocessableInputError
from app.api.schemas.common import INT32_MAX

MAX_LIMIT = 200

Limit = Annotated[
    int, Query(ge=1, le=MAX_LIMIT, description=f"items per page (at most {MAX_LIMIT})")
]
Cursor = Annotated[
    str | None,
    Query(
        max_length=512,
        pattern=r"^[A-Za-z0-9_-]+$",
        description="`next_cursor` of the previous page",
    ),
]
# Free-text filters: printable ASCII only (no control characters reach the database).
TEXT_FILTER = r"^[\x20-\x7E]{1,200}$"


def encode_cursor(position: Any) -> str:
    raw = orjson.dumps({"after": position})
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _decode(cursor: str) -> Any:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        loaded = orjson.loads(raw)
    except (binascii.Error, ValueError) as exc:
        raise _bad() from exc
    if not isinstance(loaded, dict) or "after" not in loaded:
        raise _bad()
    return loaded["after"]


def _bad() -> UnprocessableInputError:
    return UnprocessableInputError(
        "`cursor` is not a cursor this list handed out", pointer="query:cursor"
    )


def int_cursor(cursor: str | None) -> int | None:
    if cursor is None:
        return None
    value = _decode(cursor)
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= INT32_MAX:
        raise _bad()
    return value


def strings_cursor(cursor: str | None, length: int) -> tuple[str, ...] | None:
    if cursor is None:
        return None
    value = _decode(cursor)
    if not (
        isinstance(value, list) and len(value) == length and all(isinstance(v, str) for v in value)
    ):
        raise _bad()
    return tuple(value)
