"""The profile schema: every key of every model misspelt, at every nesting level, is refused at
its pointer with the key meant; wrong values are refused where they are; the JSON Schema agrees."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from typing import Any

import jsonschema
import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.engine.errors import ProfileDefinitionError
from app.engine.json_pointer import pointer_join
from app.engine.profile_schema import ProfileDocument, stored_form, validate_document
from app.service.profile_files import profile_files

Path = tuple[str | int, ...]

# A document with every key of every model, and every kind of trigger.
FULL: dict[str, Any] = {
    "action_type": {"category": "Invoke", "owner": "Custom", "provider": "Notify", "version": "1"},
    "title": "Custom notification action",
    "supported_since": "2020-01-01",
    "effective_date": "2025-01-01",
    "sources": {
        "wiki": {"title": "Team wiki", "url": "https://wiki.example/n", "as_of": "2025-01-01"}
    },
    "notes": ["a note"],
    "pitfalls": [{"text": "a pitfall", "source": "wiki"}],
    "statements": [
        {
            "id": "Invoke",
            "description": "invoke the notifier",
            "actions": ["lambda:InvokeFunction"],
            "resources": ["arn:${partition}:lambda:${region}:${account}:function:${hint.fn}"],
            "condition": {"StringEquals": {"aws:ResourceAccount": "${account}"}},
            "when": {
                "all": [
                    {"config": "Mode", "equals": "on"},
                    {
                        "any": [
                            {"config": "Kind", "in": ["a", "b"]},
                            {"not": {"config": "Skip", "present": True}},
                            {"variable_type": "SECRETS_MANAGER"},
                        ]
                    },
                ]
            },
            "hints": {"fn": {"description": "the function", "fallback": "arn:${partition}:*"}},
            "source": "wiki",
            "inferred": True,
            "inferred_note": "what was deduced",
            "since": "2021-01-01",
            "impact": {"behaviour": "FAST", "message": "AccessDenied", "evidence": "V"},
            "risk_reason": "why it needs it",
        }
    ],
}
# Where the models are (the keys of `sources` and `hints` are names, not schema keys).
_WHEN = ("statements", 0, "when")
MODELS: list[Path] = [
    (),
    ("action_type",),
    ("sources", "wiki"),
    ("pitfalls", 0),
    ("statements", 0),
    ("statements", 0, "hints", "fn"),
    ("statements", 0, "impact"),
    _WHEN,
    (*_WHEN, "all", 0),
    (*_WHEN, "all", 1),
    (*_WHEN, "all", 1, "any", 0),
    (*_WHEN, "all", 1, "any", 1),
    (*_WHEN, "all", 1, "any", 1, "not"),
    (*_WHEN, "all", 1, "any", 2),
]


def _at(document: Any, path: Path) -> Any:
    for part in path:
        document = document[part]
    return document


KNOWN_KEYS = {key for path in MODELS for key in _at(FULL, path)}


def _pointer(path: Path) -> str:
    return pointer_join("", *path)


def _problems(document: Any) -> list[tuple[str, str]]:
    with pytest.raises(ProfileDefinitionError) as raised:
        validate_document(document)
    return list(raised.value.problems)


MISSPELLINGS: dict[str, Callable[[str], str]] = {
    "letter dropped": lambda k: k[: len(k) // 2] + k[len(k) // 2 + 1 :],
    "letter doubled": lambda k: k[: len(k) // 2] + k[len(k) // 2] + k[len(k) // 2 :],
    "capitalised": lambda k: k[0].upper() + k[1:],
    "letters swapped": lambda k: k[:1] + k[2] + k[1] + k[3:] if len(k) >= 4 else k.upper(),
}


def _misspelt_cases() -> Iterator[Any]:
    for path in MODELS:
        keys = list(_at(FULL, path))
        for key in keys:
            for how, misspell in MISSPELLINGS.items():
                wrong = misspell(key)
                if wrong not in keys:
                    yield pytest.param(path, key, wrong, id=f"{_pointer(path) or '/'}:{key}:{how}")


@pytest.mark.parametrize(("path", "key", "wrong"), list(_misspelt_cases()))
def test_a_misspelt_key_is_refused_naming_the_key_meant(path: Path, key: str, wrong: str) -> None:
    document = copy.deepcopy(FULL)
    model = _at(document, path)
    model[wrong] = model.pop(key)
    assert (
        _pointer((*path, wrong)),
        f"unknown key `{wrong}`; did you mean `{key}`?",
    ) in _problems(document)


@pytest.mark.parametrize(
    ("wrong", "meant"), [("condtion", "condition"), ("wen", "when"), ("Condition", "condition")]
)
def test_the_misspellings_users_made(wrong: str, meant: str) -> None:
    document = copy.deepcopy(FULL)
    document["statements"][0][wrong] = document["statements"][0].pop(meant)
    assert _problems(document) == [
        (f"/statements/0/{wrong}", f"unknown key `{wrong}`; did you mean `{meant}`?")
    ]


@pytest.mark.parametrize("path", MODELS, ids=lambda p: _pointer(p) or "/")
def test_a_key_near_nothing_is_refused_listing_the_keys(path: Path) -> None:
    document = copy.deepcopy(FULL)
    _at(document, path)["zzzzzz"] = "x"
    [(pointer, message)] = _problems(document)
    assert pointer == _pointer((*path, "zzzzzz"))
    assert message.startswith("unknown key `zzzzzz`; the keys here are ")


@given(
    path=st.sampled_from(MODELS),
    key=st.text(st.characters(codec="ascii", categories=["L", "N", "P"]), min_size=1, max_size=30),
)
def test_any_unknown_key_anywhere_is_refused_at_its_pointer(path: Path, key: str) -> None:
    document = copy.deepcopy(FULL)
    model = _at(document, path)
    if key in KNOWN_KEYS:  # a key of another model may be a shape error here instead
        return
    model[key] = "x"
    problems = _problems(document)
    assert any(
        p == _pointer((*path, key)) and m.startswith(f"unknown key `{key}`") for p, m in problems
    )


def _with(path: Path, value: Any) -> dict[str, Any]:
    document = copy.deepcopy(FULL)
    *parent, last = path
    target = _at(document, tuple(parent))
    if value is _DELETE:
        del target[last]
    elif isinstance(target, list) and last == len(target):
        target.append(value)
    else:
        target[last] = value
    return document


_DELETE = object()
S0 = ("statements", 0)


@pytest.mark.parametrize(
    ("path", "value", "pointer", "says"),
    [
        (("title",), "", "/title", "at least 1 character"),
        (("title",), "t" * 201, "/title", "at most 200"),
        (("title",), _DELETE, "/title", "Field required"),
        (("supported_since",), _DELETE, "/supported_since", "Field required"),
        (("supported_since",), 1_700_000_000, "/supported_since", "YYYY-MM-DD"),
        (("effective_date",), "20250101", "/effective_date", "YYYY-MM-DD"),
        (("effective_date",), "2025-02-30", "/effective_date", "YYYY-MM-DD"),
        (("action_type", "category"), "Deployy", "/action_type/category", "'Rule'"),
        (("action_type", "owner"), "Someone", "/action_type/owner", "'Custom'"),
        (("action_type", "provider"), "x" * 36, "/action_type/provider", "pattern"),
        (("action_type", "version"), 1, "/action_type/version", "valid string"),
        (("sources",), {}, "/sources", "at least 1 item"),
        (("sources", "wiki", "url"), "wiki.example", "/sources/wiki/url", "pattern"),
        (("sources", "bad id!"), {"title": "t", "url": "https://x"}, "/sources/bad id!", "pattern"),
        (("notes", 0), 7, "/notes/0", "valid string"),
        (("pitfalls", 0, "source"), "wikki", "/pitfalls/0/source", "did you mean `wiki`?"),
        (("pitfalls", 1), "plain text", "/pitfalls/1", "valid dictionary"),
        ((*S0, "id"), "not ok!", "/statements/0/id", "pattern"),
        ((*S0, "actions"), "lambda:InvokeFunction", "/statements/0/actions", "valid list"),
        ((*S0, "actions"), [], "/statements/0/actions", "at least 1 item"),
        ((*S0, "actions", 0), "InvokeFunction", "/statements/0/actions/0", "pattern"),
        ((*S0, "resources", 0), "arn:${acount}:x", "/statements/0/resources/0", "${acount}"),
        ((*S0, "resources", 0), "arn:${hint.other}", "/statements/0/resources/0", "`other`"),
        (
            (*S0, "condition"),
            {"StringEqual": {"k": "v"}},
            "/statements/0/condition/StringEqual",
            "did you mean `StringEquals`?",
        ),
        (
            (*S0, "condition", "StringEquals", "k"),
            5,
            "/statements/0/condition/StringEquals/k",
            "a string or a non-empty list of strings",
        ),
        (
            (*S0, "condition", "StringEquals", "k"),
            [],
            "/statements/0/condition/StringEquals/k",
            "a string or a non-empty list of strings",
        ),
        ((*S0, "when"), {}, "/statements/0/when", "exactly one of `config`"),
        ((*S0, "when"), {"config": "A"}, "/statements/0/when", "exactly one of `equals`"),
        (
            (*S0, "when"),
            {"config": "A", "equals": "x", "in": ["y"]},
            "/statements/0/when",
            "exactly one of `equals`",
        ),
        (
            (*S0, "when"),
            {"not": {"config": "A", "present": True}, "equals": "x"},
            "/statements/0/when/equals",
            "belongs to a `config` trigger",
        ),
        ((*S0, "when"), {"config": "A", "equals": None}, "/statements/0/when/equals", "null"),
        (
            (*S0, "when"),
            {"config": "A", "present": "yes"},
            "/statements/0/when/present",
            "valid boolean",
        ),
        ((*S0, "when", "all"), [], "/statements/0/when/all", "at least 1 item"),
        (
            (*S0, "when", "all", 1, "any", 2, "variable_type"),
            "SECRET",
            "/statements/0/when/all/1/any/2/variable_type",
            "'SECRETS_MANAGER'",
        ),
        ((*S0, "hints", "fn", "fallback"), "${nope}", "/statements/0/hints/fn/fallback", "nope"),
        ((*S0, "source"), "wikki", "/statements/0/source", "did you mean `wiki`?"),
        ((*S0, "inferred"), "yes", "/statements/0/inferred", "valid boolean"),
        ((*S0, "inferred_note"), _DELETE, "/statements/0/inferred_note", "what was deduced"),
        ((*S0, "since"), "soon", "/statements/0/since", "YYYY-MM-DD"),
        ((*S0, "impact", "behaviour"), "fast", "/statements/0/impact/behaviour", "'FAST'"),
        ((*S0, "impact", "evidence"), "X", "/statements/0/impact/evidence", "'V'"),
        ((*S0, "risk_reason"), " ", "/statements/0/risk_reason", "pattern"),
        (("statements", 1), {**FULL["statements"][0]}, "/statements/1/id", "used twice"),
    ],
)
def test_a_wrong_value_is_refused_where_it_is(
    path: Path, value: Any, pointer: str, says: str
) -> None:
    problems = _problems(_with(path, value))
    assert any(p == pointer and says in m for p, m in problems), problems


def test_the_full_document_passes_and_is_stored_as_given() -> None:
    assert stored_form(validate_document(FULL)) == FULL


def test_the_problems_are_all_named_at_once() -> None:
    document = copy.deepcopy(FULL)
    document["tilte"] = document.pop("title")
    document["statements"][0]["wen"] = document["statements"][0].pop("when")
    document["sources"]["wiki"]["url"] = 5
    pointers = {p for p, _ in _problems(document)}
    assert {"/tilte", "/statements/0/wen", "/sources/wiki/url", "/title"} <= pointers


def test_a_pointer_prefix_locates_a_file() -> None:
    document = copy.deepcopy(FULL)
    document["wen"] = 1
    with pytest.raises(ProfileDefinitionError) as raised:
        validate_document(document, pointer="Invoke--Custom--Notify--1.yaml")
    assert raised.value.pointer == "Invoke--Custom--Notify--1.yaml/wen"


# --- the JSON Schema editors use says the same ------------------------------------------------

JSON_SCHEMA = jsonschema.Draft202012Validator(ProfileDocument.model_json_schema())


@pytest.mark.parametrize("data", list(profile_files()), ids=lambda d: d.path.name)
def test_every_shipped_file_follows_the_json_schema(data: Any) -> None:
    assert list(JSON_SCHEMA.iter_errors(data.document)) == []


def test_the_full_document_follows_the_json_schema() -> None:
    assert list(JSON_SCHEMA.iter_errors(FULL)) == []


@pytest.mark.parametrize(("path", "key", "wrong"), list(_misspelt_cases()))
def test_the_json_schema_refuses_a_misspelt_key_too(path: Path, key: str, wrong: str) -> None:
    document = copy.deepcopy(FULL)
    model = _at(document, path)
    model[wrong] = model.pop(key)
    assert not JSON_SCHEMA.is_valid(document)
