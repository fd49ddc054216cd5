"""A profile that extends another: resolved with the parent's document, each problem at its place
(in the child, or at `/extends` naming the parent's part), one level only."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from app.engine.errors import ProfileDefinitionError
from app.engine.pipeline.model import ActionTypeKey
from app.engine.profile_extends import resolve_document
from app.engine.profiles import WrittenProfile, compile_profiles

BUILD = {"category": "Build", "owner": "Custom", "provider": "Runner", "version": "1"}
TEST = {**BUILD, "category": "Test"}
DEPLOY = {**BUILD, "category": "Deploy"}

PARENT: dict[str, Any] = {
    "action_type": BUILD,
    "title": "Custom runner build action",
    "supported_since": "2020-01-01",
    "effective_date": "2025-01-01",
    "sources": {"wiki": {"title": "Team wiki", "url": "https://wiki.example/runner"}},
    "notes": ["a note"],
    "pitfalls": [{"text": "a pitfall", "source": "wiki"}],
    "statements": [
        {
            "id": "Start",
            "description": "start a run",
            "actions": ["codebuild:StartBuild"],
            "resources": ["arn:${partition}:codebuild:${region}:${account}:project/x"],
            "source": "wiki",
        }
    ],
    "structure": {
        "source": "wiki",
        "input_artifacts": {"min": 1, "max": 1},
        "output_artifacts": {"min": 0, "max": 0},
        "configuration": {"ProjectName": {"required": True}},
    },
}
CHILD: dict[str, Any] = {
    "action_type": TEST,
    "extends": BUILD,
    "title": "Custom runner test action",
    "supported_since": "2021-01-01",
    "effective_date": "2025-02-01",
}


def _problems(child: dict[str, Any], parent: dict[str, Any] | None) -> list[tuple[str, str]]:
    with pytest.raises(ProfileDefinitionError) as raised:
        resolve_document(child, parent, "Test.yaml")
    return list(raised.value.problems)


def test_the_child_takes_what_it_does_not_write_and_keeps_its_own_fields() -> None:
    resolved = resolve_document(CHILD, PARENT)
    assert resolved.extends is None
    assert resolved.action_type.key == ActionTypeKey("Test", "Custom", "Runner", "1")
    assert (resolved.title, str(resolved.supported_since), str(resolved.effective_date)) == (
        "Custom runner test action",
        "2021-01-01",
        "2025-02-01",
    )
    assert [s.id for s in resolved.statements] == ["Start"]
    assert resolved.notes == ["a note"]
    assert resolved.structure is not None
    assert set(resolved.structure.configuration) == {"ProjectName"}


@pytest.mark.parametrize("part", ["notes", "pitfalls", "statements", "structure"])
def test_a_part_the_child_writes_replaces_the_parents(part: str) -> None:
    written = {"notes": [], "pitfalls": [], "statements": [], "structure": {"source": "wiki"}}
    resolved = resolve_document({**CHILD, part: written[part]}, PARENT)
    value = getattr(resolved, part)
    if part == "structure":
        assert value.configuration == {}
    else:
        assert value == []


def test_sources_merge_by_id_the_childs_winning() -> None:
    child = {
        **CHILD,
        "sources": {
            "wiki": {"title": "Team wiki, test page", "url": "https://wiki.example/test"},
            "page": {"title": "Vendor page", "url": "https://vendor.example"},
        },
        "notes": ["tests too"],
        "pitfalls": [{"text": "cited from the child", "source": "page"}],
    }
    resolved = resolve_document(child, PARENT)
    assert set(resolved.sources) == {"wiki", "page"}
    assert resolved.sources["wiki"].url == "https://wiki.example/test"


def test_an_unknown_parent_is_named_at_extends_with_the_one_meant() -> None:
    child = {**CHILD, "extends": {**BUILD, "provider": "Runer"}}
    with pytest.raises(ProfileDefinitionError) as raised:
        resolve_document(child, None, "Test.yaml", known=[ActionTypeKey(**BUILD)])
    assert raised.value.problems == (
        (
            "Test.yaml/extends",
            "`Build/Custom/Runer/1` has no profile to extend; "
            "did you mean `Build/Custom/Runner/1`?",
        ),
    )


def test_a_profile_cannot_extend_itself() -> None:
    [(pointer, message)] = _problems({**CHILD, "extends": TEST}, PARENT)
    assert (pointer, message) == ("Test.yaml/extends", "a profile cannot extend itself")


def test_a_parent_that_extends_another_is_refused() -> None:
    parent = {**copy.deepcopy(CHILD), "action_type": BUILD, "extends": DEPLOY}
    [(pointer, message)] = _problems(CHILD, parent)
    assert pointer == "Test.yaml/extends"
    assert "`Build/Custom/Runner/1` extends `Deploy/Custom/Runner/1` itself" in message


def test_two_profiles_extending_each_other_are_a_cycle() -> None:
    parent = {**copy.deepcopy(CHILD), "action_type": BUILD, "extends": TEST}
    [(pointer, message)] = _problems(CHILD, parent)
    assert pointer == "Test.yaml/extends"
    assert "two profiles cannot extend each other" in message


def test_a_problem_in_what_the_child_wrote_is_at_its_place_in_the_child() -> None:
    child = {**CHILD, "pitfalls": [{"text": "t", "source": "wikki"}]}
    assert _problems(child, PARENT) == [
        ("Test.yaml/pitfalls/0/source", "`wikki` is not an id of `sources`; did you mean `wiki`?")
    ]


def test_a_problem_in_what_the_parent_gives_is_at_extends_naming_the_part() -> None:
    # A rule type cannot take an action type's artifact counts.
    child = {**CHILD, "action_type": {**BUILD, "category": "Rule"}}
    problems = _problems(child, PARENT)
    assert problems, problems
    for pointer, message in problems:
        assert pointer == "Test.yaml/extends"
        assert "taken from the profile of `Build/Custom/Runner/1`" in message
    assert any("`/structure/input_artifacts`" in m for _, m in problems)


def test_a_child_citing_a_source_only_the_parent_has_resolves() -> None:
    child = {**CHILD, "notes": ["own"], "pitfalls": [{"text": "p", "source": "wiki"}]}
    assert resolve_document(child, PARENT).pitfalls[0].source == "wiki"


def test_a_set_compiles_children_with_their_parents_revision_and_reports_the_others() -> None:
    orphan = {**CHILD, "action_type": DEPLOY, "extends": {**BUILD, "provider": "Gone"}}
    compiled = compile_profiles(
        {
            ActionTypeKey(**BUILD): WrittenProfile(PARENT, revision=3),
            ActionTypeKey(**TEST): WrittenProfile(CHILD, revision=1),
            ActionTypeKey(**DEPLOY): WrittenProfile(orphan, revision=1, pointer="Deploy.yaml"),
        }
    )
    test = compiled.profiles[ActionTypeKey(**TEST)]
    assert test.extends == (ActionTypeKey(**BUILD), 3)
    assert test.revision == 1
    assert test.statements == compiled.profiles[ActionTypeKey(**BUILD)].statements
    assert set(compiled.problems) == {ActionTypeKey(**DEPLOY)}
    assert compiled.problems[ActionTypeKey(**DEPLOY)].pointer == "Deploy.yaml/extends"
