"""Pydantic's error locations as pointers into the document validated: union member names are
not places, a key spelt like one is, and the members that failed at one place are one problem."""

from __future__ import annotations

from typing import Annotated, Any

import pytest
from pydantic import AfterValidator, BaseModel, Field, ValidationError

from app.engine.error_places import error_places


class Caller(BaseModel):
    type: str
    tags: dict[str, str] = {}


class Shapes(BaseModel):
    document: dict[str, Any] | str = "{}"
    documents: list[dict[str, Any] | str] = []
    by_arn: dict[Annotated[str, Field(pattern="^arn:")], dict[str, Any] | str] = {}
    context: dict[str, str | list[str]] = {}
    checked: Annotated[str, AfterValidator(str.strip)] | int = 0
    caller: Caller | str = ""
    tags: dict[str, str] = {}
    count: int = 0
    needed: int


def _places(document: dict[str, Any]) -> list[tuple[str, str]]:
    with pytest.raises(ValidationError) as caught:
        Shapes.model_validate(document)
    return error_places(caught.value.errors(), document)


BOTH = "Input should be a valid dictionary or a valid string"

CASES: list[tuple[str, dict[str, Any], list[tuple[str, str]]]] = [
    ("a field of a union", {"needed": 1, "document": 42}, [("/document", BOTH)]),
    ("an item of a union", {"needed": 1, "documents": [{}, True]}, [("/documents/1", BOTH)]),
    (
        "a mapping's value of a union, under a key with a slash",
        {"needed": 1, "by_arn": {"arn:aws:s3:::b/k": 7}},
        [("/by_arn/arn:aws:s3:::b~1k", BOTH)],
    ),
    (
        "a mapping's key is its own place",
        {"needed": 1, "by_arn": {"bucket": {}}},
        [("/by_arn/bucket", "String should match pattern '^arn:'")],
    ),
    (
        "a member that went into the value speaks for the union",
        {"needed": 1, "context": {"k": ["a", 5]}},
        [("/context/k/1", "Input should be a valid string")],
    ),
    (
        "members failing at one place",
        {"needed": 1, "context": {"k": 5}},
        [("/context/k", "Input should be a valid string or a valid list")],
    ),
    (
        "a key spelt like a member's name is a place",
        {"needed": 1, "context": {"str": {"str": 1}}},
        [("/context/str", "Input should be a valid string or a valid list")],
    ),
    (
        "a validator's member name",
        {"needed": 1, "checked": []},
        [("/checked", "Input should be a valid string or a valid integer")],
    ),
    (
        "a model member's missing field",
        {"needed": 1, "caller": {}},
        [("/caller/type", "Field required")],
    ),
    (
        "a model member's field, under a key spelt like the model",
        {"needed": 1, "caller": {"type": "role", "tags": {"Caller": 5}}},
        [("/caller/tags/Caller", "Input should be a valid string")],
    ),
    (
        "a key spelt like a member's name, outside a union",
        {"needed": 1, "tags": {"str": 5}},
        [("/tags/str", "Input should be a valid string")],
    ),
    (
        "no union: every error as it is",
        {"count": "x"},
        [
            ("/count", "Input should be a valid integer, unable to parse string as an integer"),
            ("/needed", "Field required"),
        ],
    ),
]


@pytest.mark.parametrize(
    ("document", "expected"), [(d, e) for _, d, e in CASES], ids=[c[0] for c in CASES]
)
def test_error_places(document: dict[str, Any], expected: list[tuple[str, str]]) -> None:
    assert _places(document) == expected


def test_places_are_under_the_pointer_given() -> None:
    with pytest.raises(ValidationError) as caught:
        Shapes.model_validate({"needed": 1, "documents": [3]})
    places = error_places(caught.value.errors(), {"needed": 1, "documents": [3]}, "/policy")
    assert places == [("/policy/documents/0", BOTH)]
