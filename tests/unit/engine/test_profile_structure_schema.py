"""The `structure` section and `extends` of the profile schema: every key of every model misspelt is
refused at its pointer; wrong values, undeclared keys, facts of the other kind of type and
unknown citations are refused where they are; the JSON Schema agrees."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import jsonschema
import pytest

from app.engine.errors import ProfileDefinitionError
from app.engine.json_pointer import pointer_join
from app.engine.profile_schema import ProfileDocument, stored_form, validate_document

Path = tuple[str | int, ...]

_BASE: dict[str, Any] = {
    "title": "Custom notification action",
    "supported_since": "2020-01-01",
    "effective_date": "2025-01-01",
    "sources": {
        "wiki": {"title": "Team wiki", "url": "https://wiki.example/n"},
        "page": {"title": "Vendor page", "url": "https://vendor.example/notify"},
    },
    "statements": [],
}
# An action type's structure with every key of every model.
ACTION: dict[str, Any] = {
    **_BASE,
    "action_type": {"category": "Invoke", "owner": "Custom", "provider": "Notify", "version": "1"},
    "structure": {
        "source": "wiki",
        "cited": {"v2_only": "page"},
        "doc_page": "action-reference-Notify",
        "v2_only": True,
        "input_artifacts": {
            "min": 0,
            "max": 2,
            "min_when": [{"config": "Mode", "in": ["file"], "min": 1}],
            "source": "page",
        },
        "output_artifacts": {"min": 0, "max": 1},
        "configuration": {
            "Mode": {"required": True, "values": ["file", "inline"], "source": "page"},
            "Path": {"required_when": {"config": "Mode", "in": ["file"]}, "artifact": "path"},
            "Input": {"required_when": {"inputs_above": 1}, "artifact": "name"},
            "Extra": {"needs": {"key": "Mode", "values": ["file"], "finding_type": "ERROR"}},
            "A": {},
            "B": {},
        },
        "alternatives": [["A"], ["B"]],
        "keys_documented": True,
        "owner_aliases": ["ThirdParty"],
        "runs_commands": False,
    },
}
# A rule type's structure with every key its models have that ACTION's do not use.
RULE: dict[str, Any] = {
    **_BASE,
    "action_type": {"category": "Rule", "owner": "AWS", "provider": "Notify", "version": "1"},
    "structure": {
        "source": "wiki",
        "configuration": {"Name": {"newly_required": True}},
        "reads_input_artifacts": True,
        "runs_commands": True,
        "can_skip": True,
    },
}
S = ("structure",)
C = (*S, "configuration")
MODELS: list[tuple[dict[str, Any], Path]] = [
    (ACTION, S),
    (ACTION, (*S, "input_artifacts")),
    (ACTION, (*S, "input_artifacts", "min_when", 0)),
    (ACTION, (*C, "Mode")),
    (ACTION, (*C, "Path")),
    (ACTION, (*C, "Path", "required_when")),
    (ACTION, (*C, "Input", "required_when")),
    (ACTION, (*C, "Extra")),
    (ACTION, (*C, "Extra", "needs")),
    (RULE, S),
    (RULE, (*C, "Name")),
]


def _at(document: Any, path: Path) -> Any:
    for part in path:
        document = document[part]
    return document


def _problems(document: Any) -> list[tuple[str, str]]:
    with pytest.raises(ProfileDefinitionError) as raised:
        validate_document(document)
    return list(raised.value.problems)


def _misspelt_cases() -> Iterator[Any]:
    for document, path in MODELS:
        keys = list(_at(document, path))
        for key in keys:
            wrong = key[:-1] if len(key) > 3 else key + "x"
            if wrong not in keys:
                kind = document["action_type"]["category"]
                yield pytest.param(document, path, key, wrong, id=f"{kind}:{path}:{key}")


@pytest.mark.parametrize("document", [ACTION, RULE], ids=["action", "rule"])
def test_the_full_structures_pass_and_are_stored_as_given(document: dict[str, Any]) -> None:
    assert stored_form(validate_document(document)) == document


@pytest.mark.parametrize(("document", "path", "key", "wrong"), list(_misspelt_cases()))
def test_a_misspelt_key_is_refused_naming_the_key_meant(
    document: dict[str, Any], path: Path, key: str, wrong: str
) -> None:
    document = copy.deepcopy(document)
    model = _at(document, path)
    model[wrong] = model.pop(key)
    pointer = pointer_join("", *path, wrong)
    assert (pointer, f"unknown key `{wrong}`; did you mean `{key}`?") in _problems(document)


_DELETE = object()


def _with(document: dict[str, Any], path: Path, value: Any) -> dict[str, Any]:
    document = copy.deepcopy(document)
    *parent, last = path
    target = _at(document, tuple(parent))
    if value is _DELETE:
        del target[last]
    else:
        target[last] = value
    return document


@pytest.mark.parametrize(
    ("document", "path", "value", "pointer", "says"),
    [
        (ACTION, (*S, "source"), "wikki", "/structure/source", "did you mean `wiki`?"),
        (ACTION, (*S, "cited", "v2_only"), "pag", "/structure/cited/v2_only", "`page`"),
        (ACTION, (*S, "cited", "title"), "wiki", "/structure/cited/title", "'doc_page'"),
        (ACTION, (*S, "doc_page"), "a page", "/structure/doc_page", "pattern"),
        (ACTION, (*S, "v2_only"), "yes", "/structure/v2_only", "valid boolean"),
        (ACTION, (*S, "input_artifacts", "min"), 3, "/structure/input_artifacts/min", "above"),
        (ACTION, (*S, "output_artifacts", "max"), 11, "/structure/output_artifacts/max", "10"),
        (ACTION, (*S, "output_artifacts", "min"), -1, "/structure/output_artifacts/min", "0"),
        (
            ACTION,
            (*S, "input_artifacts", "min_when", 0, "config"),
            "Mod",
            "/structure/input_artifacts/min_when/0/config",
            "did you mean `Mode`?",
        ),
        (ACTION, (*C, "two words"), {}, "/structure/configuration/two words", "pattern"),
        (ACTION, (*C, "Mode", "values"), [], "/structure/configuration/Mode/values", "1 item"),
        (
            ACTION,
            (*C, "Mode", "required_when"),
            {"inputs_above": 1},
            "/structure/configuration/Mode/required_when",
            "exclude each other",
        ),
        (
            ACTION,
            (*C, "Path", "required_when"),
            {},
            "/structure/configuration/Path/required_when",
            "`{config, in}` or `{inputs_above}`",
        ),
        (
            ACTION,
            (*C, "Path", "required_when"),
            {"config": "Mode", "inputs_above": 1, "in": ["x"]},
            "/structure/configuration/Path/required_when",
            "`{config, in}` or `{inputs_above}`",
        ),
        (
            ACTION,
            (*C, "Path", "required_when"),
            {"config": "Mode"},
            "/structure/configuration/Path/required_when",
            "`{config, in}` or `{inputs_above}`",
        ),
        (
            ACTION,
            (*C, "Path", "required_when", "config"),
            "Nope",
            "/structure/configuration/Path/required_when/config",
            "not a key of `configuration`",
        ),
        (
            ACTION,
            (*C, "Path", "artifact"),
            "file",
            "/structure/configuration/Path/artifact",
            "'path'",
        ),
        (
            ACTION,
            (*C, "Extra", "needs", "key"),
            "Mod",
            "/structure/configuration/Extra/needs/key",
            "did you mean `Mode`?",
        ),
        (
            ACTION,
            (*C, "Extra", "needs", "finding_type"),
            "SUGGESTION",
            "/structure/configuration/Extra/needs/finding_type",
            "'WARNING'",
        ),
        (ACTION, (*C, "Mode", "source"), "wik", "/structure/configuration/Mode/source", "`wiki`"),
        (ACTION, (*S, "alternatives"), [["A"], ["C"]], "/structure/alternatives/1/0", "not a key"),
        (ACTION, (*S, "alternatives"), [[]], "/structure/alternatives/0", "at least 1 item"),
        (ACTION, (*S, "owner_aliases", 0), "Partner", "/structure/owner_aliases/0", "'Custom'"),
        (ACTION, (*S, "can_skip"), True, "/structure/can_skip", "a fact of rule types"),
        (ACTION, (*S, "reads_input_artifacts"), True, "/structure/reads_input_artifacts", "rule"),
        (
            ACTION,
            (*C, "A", "newly_required"),
            True,
            "/structure/configuration/A/newly_required",
            "a fact of rule types",
        ),
        (
            RULE,
            (*S, "input_artifacts"),
            {"min": 0, "max": 1},
            "/structure/input_artifacts",
            "action",
        ),
        (RULE, (*S, "v2_only"), True, "/structure/v2_only", "a fact of action types"),
        (RULE, (*S, "source"), _DELETE, "/structure/source", "Field required"),
        (ACTION, ("sources",), _DELETE, "/sources", "Field required"),
        (ACTION, ("statements",), _DELETE, "/statements", "Field required"),
        (ACTION, ("extends",), ACTION["action_type"], "/extends", "cannot extend itself"),
        (ACTION, ("extends",), "Invoke/Custom/Notify/1", "/extends", "valid dictionary"),
        (
            ACTION,
            ("extends",),
            {**ACTION["action_type"], "category": "Nope"},
            "/extends/category",
            "'Rule'",
        ),
    ],
)
def test_a_wrong_value_is_refused_where_it_is(
    document: dict[str, Any], path: Path, value: Any, pointer: str, says: str
) -> None:
    problems = _problems(_with(document, path, value))
    assert any(p == pointer and says in m for p, m in problems), problems


def test_an_extending_document_needs_no_sources_or_statements_and_is_stored_as_written() -> None:
    child = {
        "action_type": {
            "category": "Test",
            "owner": "Custom",
            "provider": "Notify",
            "version": "1",
        },
        "extends": ACTION["action_type"],
        "title": "Custom notification test action",
        "supported_since": None,
        "effective_date": "2025-01-01",
    }
    document = validate_document(child)
    assert document.extends is not None
    assert document.extends.key.label == "Invoke/Custom/Notify/1"
    assert stored_form(document) == child


# --- the JSON Schema editors use says the same ------------------------------------------------

JSON_SCHEMA = jsonschema.Draft202012Validator(ProfileDocument.model_json_schema())


@pytest.mark.parametrize("document", [ACTION, RULE], ids=["action", "rule"])
def test_the_full_structures_follow_the_json_schema(document: dict[str, Any]) -> None:
    assert list(JSON_SCHEMA.iter_errors(document)) == []


@pytest.mark.parametrize(("document", "path", "key", "wrong"), list(_misspelt_cases()))
def test_the_json_schema_refuses_a_misspelt_key_too(
    document: dict[str, Any], path: Path, key: str, wrong: str
) -> None:
    document = copy.deepcopy(document)
    model = _at(document, path)
    model[wrong] = model.pop(key)
    assert not JSON_SCHEMA.is_valid(document)


def test_the_json_schema_takes_an_extending_document_without_sources_or_statements() -> None:
    child = {
        "action_type": {
            "category": "Test",
            "owner": "Custom",
            "provider": "Notify",
            "version": "1",
        },
        "extends": ACTION["action_type"],
        "title": "t",
        "supported_since": None,
        "effective_date": "2025-01-01",
    }
    assert JSON_SCHEMA.is_valid(child)
    del child["extends"]
    assert not JSON_SCHEMA.is_valid(child)
