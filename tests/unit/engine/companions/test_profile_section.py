"""The `companions` section of a profile document: checked by the schema (kinds, citations,
deductions stated, ids unique), its actions by the catalogue, and taken from a parent."""

from __future__ import annotations

from typing import Any

import pytest

from app.engine.errors import ProfileDefinitionError
from app.engine.iam.catalog import Catalog
from app.engine.pipeline.model import ActionTypeKey
from app.engine.profile_extends import resolve_document
from app.engine.profile_grants import GrantKind, grant_issues
from app.engine.profile_schema import validate_document
from app.engine.profiles import compile_profile
from app.service.catalog_import import default_catalog


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return default_catalog()


def companion(**changes: Any) -> dict[str, Any]:
    return {
        "id": "Trust",
        "description": "d",
        "policy": "trust-policy",
        "target": "${config.RoleArn|iam_role_arn}",
        "service": "cloudformation.amazonaws.com",
        "actions": ["sts:AssumeRole"],
        "source": "s",
        **changes,
    }


def profile(*companions: dict[str, Any]) -> dict[str, Any]:
    return {
        "action_type": {"category": "Deploy", "owner": "Custom", "provider": "X", "version": "1"},
        "title": "t",
        "supported_since": None,
        "effective_date": "2026-01-01",
        "sources": {"s": {"title": "t", "url": "https://s.example"}},
        "statements": [],
        "companions": list(companions),
    }


def problems(document: dict[str, Any]) -> list[tuple[str, str]]:
    with pytest.raises(ProfileDefinitionError) as caught:
        validate_document(document)
    return [(pointer, message) for pointer, message in caught.value.problems]


def test_a_companion_compiles_with_its_citation() -> None:
    compiled = compile_profile(validate_document(profile(companion())), revision=3)
    (template,) = compiled.companions
    assert template.policy == "trust-policy"
    assert template.service == "cloudformation.amazonaws.com"
    assert template.source.url == "https://s.example"
    assert template.target.text == "${config.RoleArn|iam_role_arn}"


@pytest.mark.parametrize(
    ("changes", "pointer"),
    [
        ({"policy": "bucket-policy"}, "/companions/0/policy"),
        ({"source": "nowhere"}, "/companions/0/source"),
        ({"inferred": True}, "/companions/0/inferred_note"),
        ({"target": "${nope}"}, "/companions/0/target"),
        ({"service": "cloudformation"}, "/companions/0/service"),
        ({"actions": []}, "/companions/0/actions"),
        ({"principal": "x"}, "/companions/0/principal"),
    ],
)
def test_the_schema_refuses_a_malformed_companion(changes: dict[str, Any], pointer: str) -> None:
    assert pointer in [p for p, _ in problems(profile(companion(**changes)))]


def test_companion_ids_are_unique() -> None:
    found = problems(profile(companion(), companion()))
    assert ("/companions/1/id", "companion id `Trust` is used twice") in found


def test_the_catalogue_checks_a_companions_actions(catalog: Catalog) -> None:
    document = validate_document(profile(companion(actions=["sts:AssumeRol", "sts:*"])))
    issues = grant_issues(document, catalog)
    kinds = {(i.pointer, i.kind) for i in issues}
    assert ("/companions/0/actions/0", GrantKind.UNKNOWN_ACTION) in kinds
    assert ("/companions/0/actions/1", GrantKind.ACTION_PATTERN) in kinds
    # An exact action is not a grant of the role's own: no reason is asked for it.
    assert grant_issues(validate_document(profile(companion())), catalog) == []


def test_an_extending_profile_takes_its_parents_companions() -> None:
    parent = profile(companion())
    child = {
        "action_type": {"category": "Deploy", "owner": "Custom", "provider": "Y", "version": "1"},
        "extends": parent["action_type"],
        "title": "child",
        "supported_since": None,
        "effective_date": "2026-01-01",
    }
    resolved = resolve_document(child, parent, known=[ActionTypeKey("Deploy", "Custom", "X", "1")])
    assert [c.id for c in resolved.companions] == ["Trust"]
    own = resolve_document({**child, "companions": []}, parent)
    assert own.companions == []
