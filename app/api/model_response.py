"""Decision responses: the route's response model, encoded by the model's own serialiser.

A decision route builds its response model from the engine's results (each model's `of`, in
app/api/schemas) and returns it through `model_response`: the model is the one definition of
the answer, for the OpenAPI document (the route's `response_model=`) and for the bytes sent.
Pydantic's compiled serialiser writes the JSON straight to bytes; FastAPI, handed a Response,
neither validates the model again nor serialises it a second time.
"""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import Response
from pydantic import BaseModel


def model_response(model: BaseModel, *, headers: Mapping[str, str] | None = None) -> Response:
    """`model` as an application/json response."""
    return Response(
        model.__pydantic_serializer__.to_json(model),
        media_type="application/json",
        headers=headers,
    )
