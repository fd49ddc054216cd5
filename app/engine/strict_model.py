"""Document models that refuse what they do not know: unknown keys, loose types.

A misspelt key must not pass as an absent one (a misspelt `condition` would silently widen a
statement), so every model forbids extra keys, and the error names the key meant when one is
near (`condtion` → `condition`). Values are strict (no "yes" for true, no number for a string).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError
from pydantic_core.core_schema import ValidatorFunctionWrapHandler

from app.engine.error_places import KEY_MARKER
from app.engine.json_pointer import pointer_join

_UNKNOWN_KEY = "extra_forbidden"


def did_you_mean(word: str, choices: Iterable[str]) -> str | None:
    """The choice `word` most likely misspells: same letters in another case, else the closest
    one by difflib's ratio; None when nothing is near."""
    options = list(choices)
    folded = {c.lower(): c for c in options}
    if word.lower() in folded:
        return folded[word.lower()]
    close = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    return close[0] if close else None


def _unknown_key_message(key: str, known: Sequence[str]) -> str:
    meant = did_you_mean(key, known)
    if meant is not None:
        return f"unknown key `{key}`; did you mean `{meant}`?"
    return f"unknown key `{key}`; the keys here are " + ", ".join(f"`{k}`" for k in known)


def _as_details(error: Any, known: Sequence[str]) -> InitErrorDetails:
    """An error of a caught ValidationError as one to raise again; unknown keys of this level
    get a message naming the key meant. Messages are kept as written (a custom error without
    context never formats its message, so braces in user input are safe)."""
    loc = tuple(error["loc"])
    message = str(error["msg"])
    if error["type"] == _UNKNOWN_KEY and len(loc) == 1:
        message = _unknown_key_message(str(loc[0]), known)
    return InitErrorDetails(
        type=PydanticCustomError(str(error["type"]), message),
        loc=loc,
        input=error.get("input"),
    )


class StrictModel(BaseModel):
    """Base of document models: frozen, strict, no unknown keys."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    @model_validator(mode="wrap")
    @classmethod
    def _name_unknown_keys(cls, data: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        try:
            return handler(data)
        except ValidationError as error:
            errors = error.errors()
            if not any(e["type"] == _UNKNOWN_KEY and len(e["loc"]) == 1 for e in errors):
                raise
            known = sorted(f.alias or name for name, f in cls.model_fields.items())
            raise ValidationError.from_exception_data(
                cls.__name__, [_as_details(e, known) for e in errors]
            ) from None


def loc_pointer(loc: Iterable[Any], pointer: str = "") -> str:
    """The JSON pointer of a pydantic error location (under `pointer`)."""
    return pointer_join(pointer, *(str(p) for p in loc if p != KEY_MARKER))


def located_error(
    model: type[BaseModel], problems: Iterable[tuple[tuple[str | int, ...], str, Any]]
) -> ValidationError:
    """Problems a model's validator finds across its fields, each at its own place (raised in
    the validator, each is located under the model's own place)."""
    return ValidationError.from_exception_data(
        model.__name__,
        [
            InitErrorDetails(type=PydanticCustomError("located", message), loc=where, input=value)
            for where, message, value in problems
        ],
    )


def located_problems(error: ValidationError, pointer: str = "") -> list[tuple[str, str]]:
    """(JSON pointer, message) for every error of a validation, in the document's terms."""
    return [(loc_pointer(e["loc"], pointer), str(e["msg"])) for e in error.errors()]
