"""Decision responses: plain dicts, encoded once with orjson.

The decision routes build their answer as dicts (one function per output shape, next to its
model in app/api/schemas) and return it through `json_body`, so FastAPI neither validates nor
serialises it again. The routes keep `response_model=`, which still defines the OpenAPI document.

orjson writes what Pydantic's JSON serialiser (FastAPI's, for a returned model) writes: compact,
UTF-8, the same escapes, the same shortest float forms, NaN and infinities as null. What orjson
refuses (integers beyond 64 bits) goes through Pydantic's serialiser instead.

With VALIDATE_RESPONSES on (the tests turn it on), every body is checked first: the payload must
validate against its model, and the bytes sent must be the bytes FastAPI would have sent for that
model (its fields in order, none left to a default, the same rendering). A mismatch is a
programming error, hence a 500.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson
from fastapi import Response
from pydantic import BaseModel, TypeAdapter, ValidationError

_FALLBACK = TypeAdapter(dict[str, Any])


class ResponseShapeError(RuntimeError):
    """A response body that does not conform to the route's response model."""


def json_body(
    payload: dict[str, Any],
    model: type[BaseModel],
    *,
    validate: bool = False,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """`payload` as an application/json response; checked against `model` first if `validate`."""
    try:
        body = orjson.dumps(payload)
    except orjson.JSONEncodeError:
        body = _FALLBACK.dump_json(payload)
    if validate:
        check_body(payload, body, model)
    return Response(body, status_code=status_code, media_type="application/json", headers=headers)


def check_body(payload: dict[str, Any], body: bytes, model: type[BaseModel]) -> None:
    """Raise ResponseShapeError unless `body` (the encoded `payload`) is exactly what FastAPI
    would send for `payload` as `model`."""
    try:
        parsed = model.model_validate(payload)
    except ValidationError as exc:
        raise ResponseShapeError(f"the response is not a valid {model.__name__}: {exc}") from exc
    expected = parsed.model_dump_json(by_alias=True).encode()
    if body != expected:
        at = next(
            (i for i, (a, b) in enumerate(zip(body, expected, strict=False)) if a != b),
            min(len(body), len(expected)),
        )
        raise ResponseShapeError(
            f"the response differs from its {model.__name__} rendering at byte {at}: "
            f"sent …{body[max(0, at - 80) : at + 80]!r}…, "
            f"expected …{expected[max(0, at - 80) : at + 80]!r}…"
        )
