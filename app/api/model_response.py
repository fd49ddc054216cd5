"""Decision responses: the route's response model, encoded as JSON.

A decision route builds its response model from the engine's results (app/api/schemas) and
returns it through `model_response`: the model is the one definition of the answer, for the
OpenAPI document (the route's `response_model=`) and for the bytes sent. FastAPI, handed a
Response, neither validates the model again nor serialises it a second time.

The response models serialise as their fields, in order (tests/api/test_model_response.py
checks that none of them renames, leaves out or converts a field when it is written), so orjson
writes the model's own JSON from each model's fields, three to four times faster than
Pydantic's serialiser on a large answer. What orjson refuses (an integer beyond 64 bits, a value
of a type it does not know) is written by the model's serialiser instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson
from fastapi import Response
from pydantic import BaseModel


def _fields(value: object) -> dict[str, Any]:
    if isinstance(value, BaseModel):
        return value.__dict__
    raise TypeError(type(value).__name__)


def model_json(model: BaseModel) -> bytes:
    """What the model's serialiser writes for `model` (compact JSON)."""
    try:
        return orjson.dumps(model, default=_fields)
    except orjson.JSONEncodeError:
        return model.__pydantic_serializer__.to_json(model)


def model_response(model: BaseModel, *, headers: Mapping[str, str] | None = None) -> Response:
    """`model` as an application/json response."""
    return Response(model_json(model), media_type="application/json", headers=headers)
