"""Hints that reach no action, or name what the action's profile does not take."""

from __future__ import annotations

from typing import Any

import pytest

from app.engine.compute import ANY_PIPELINE, HintTarget
from app.engine.hint_checks import GivenHints, hint_findings
from app.engine.pipeline.api_json import parse_pipeline_json

from .profile_fixtures import shipped_profiles

ECS = {"category": "Deploy", "owner": "AWS", "provider": "ECS", "version": "1"}
CUSTOM = {"category": "Invoke", "owner": "Custom", "provider": "Nobody", "version": "1"}


def _pipeline(name: str, action_type: dict[str, str]) -> dict[str, Any]:
    return {
        "name": name,
        "roleArn": "arn:aws:iam::111122223333:role/pipeline",
        "artifactStore": {"type": "S3", "location": "bucket"},
        "stages": [
            {
                "name": "Deploy",
                "actions": [
                    {
                        "name": "Service",
                        "actionTypeId": action_type,
                        "configuration": {"ClusterName": "c", "ServiceName": "s"},
                    }
                ],
            }
        ],
    }


def _given(target: HintTarget, names: list[str]) -> GivenHints:
    pointers: dict[tuple[HintTarget, str | None], str] = {(target, None): "/hints/0"}
    pointers.update({(target, n): f"/hints/0/hints/{n}" for n in names})
    return GivenHints({target: {n: ["x"] for n in names}}, pointers)


@pytest.mark.parametrize(
    ("target", "names", "expected"),
    [
        # A hint the action's profile takes, for an action that is there: nothing to say.
        (HintTarget(ANY_PIPELINE, "Deploy", "Service"), ["pass_roles"], []),
        (HintTarget("web", "Deploy", "Service"), ["pass_roles"], []),
        # No such stage, action or pipeline.
        (
            HintTarget(ANY_PIPELINE, "Deploy ", "Service"),
            ["pass_roles"],
            [("HINT_UNMATCHED", "/hints/0")],
        ),
        (
            HintTarget(ANY_PIPELINE, "Deploy", "service"),
            ["pass_roles"],
            [("HINT_UNMATCHED", "/hints/0")],
        ),
        (HintTarget("api", "Deploy", "Service"), ["pass_roles"], [("HINT_UNMATCHED", "/hints/0")]),
        # A name the profile does not take (a typo), beside one it takes.
        (
            HintTarget(ANY_PIPELINE, "Deploy", "Service"),
            ["pass_role", "pass_roles"],
            [("HINT_UNKNOWN", "/hints/0/hints/pass_role")],
        ),
    ],
)
def test_hints_are_checked_against_the_pipelines_and_profiles(
    target: HintTarget, names: list[str], expected: list[tuple[str, str]]
) -> None:
    pipeline, _ = parse_pipeline_json(_pipeline("web", ECS), "/pipelines/0")
    findings = hint_findings([pipeline], shipped_profiles(), _given(target, names))
    assert [(f.code, f.path) for f in findings] == expected


def test_an_unknown_name_says_which_names_the_profile_takes() -> None:
    pipeline, _ = parse_pipeline_json(_pipeline("web", ECS), "/pipelines/0")
    target = HintTarget(ANY_PIPELINE, "Deploy", "Service")
    (finding,) = hint_findings([pipeline], shipped_profiles(), _given(target, ["pass_role"]))
    assert "`pass_role` is not a hint of `Deploy/AWS/ECS/1`" in finding.message
    assert "pass_roles" in finding.detail["takes"]
    assert finding.detail["action_types"] == ["Deploy/AWS/ECS/1"]


def test_an_action_without_a_profile_is_left_to_no_profile() -> None:
    pipeline, _ = parse_pipeline_json(_pipeline("web", CUSTOM), "/pipelines/0")
    target = HintTarget(ANY_PIPELINE, "Deploy", "Service")
    assert hint_findings([pipeline], shipped_profiles(), _given(target, ["anything"])) == []


def test_no_hints_no_findings() -> None:
    pipeline, _ = parse_pipeline_json(_pipeline("web", ECS), "/pipelines/0")
    assert hint_findings([pipeline], shipped_profiles(), GivenHints()) == []


CODEBUILD = {"category": "Build", "owner": "AWS", "provider": "CodeBuild", "version": "1"}


@pytest.mark.parametrize(
    ("second_type", "names", "expected"),
    [
        # The same stage and action in two pipelines: one finding, not one per pipeline.
        (ECS, ["pass_role"], [("HINT_UNKNOWN", "/hints/0/hints/pass_role")]),
        # A name one of the actions takes is used, though the other's profile does not take it.
        (CODEBUILD, ["pass_roles"], []),
        (CODEBUILD, ["pass_role"], [("HINT_UNKNOWN", "/hints/0/hints/pass_role")]),
        # An action whose type has no profile renders nothing, its own role or not: NO_PROFILE
        # says so, and the ECS action in the other pipeline takes the hint.
        (CUSTOM, ["pass_roles"], []),
    ],
)
def test_a_hint_for_every_pipeline_is_checked_against_all_it_reaches(
    second_type: dict[str, str], names: list[str], expected: list[tuple[str, str]]
) -> None:
    web, _ = parse_pipeline_json(_pipeline("web", ECS), "/pipelines/0")
    other = _pipeline("api", second_type)
    other["stages"][0]["actions"][0]["roleArn"] = "arn:aws:iam::111122223333:role/own"
    api, _ = parse_pipeline_json(other, "/pipelines/1")
    target = HintTarget(ANY_PIPELINE, "Deploy", "Service")
    findings = hint_findings([web, api], shipped_profiles(), _given(target, names))
    assert [(f.code, f.path) for f in findings] == expected


def test_an_action_without_a_profile_and_with_its_own_role_is_left_to_no_profile() -> None:
    document = _pipeline("web", CUSTOM)
    document["stages"][0]["actions"][0]["roleArn"] = "arn:aws:iam::111122223333:role/own"
    pipeline, _ = parse_pipeline_json(document, "/pipelines/0")
    target = HintTarget(ANY_PIPELINE, "Deploy", "Service")
    assert hint_findings([pipeline], shipped_profiles(), _given(target, ["pass_roles"])) == []
