"""The structure validator checks each action and rule type against what its profile's `structure`
says: change the profile and the findings follow; a type without a profile (or whose profile
states no structure) gets the checks that hold for every action."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from app.engine.findings import Finding
from app.engine.pipeline.api_json import parse_pipeline_json
from app.engine.pipeline.model import ActionTypeKey
from app.engine.pipeline.structure import validate_pipeline
from app.engine.profiles import ProfileSet, WrittenProfile, compile_profiles
from app.service.profile_files import profile_files
from tests.unit.engine.profile_fixtures import shipped_profiles

ROLE = "arn:aws:iam::111122223333:role/pipeline"
BUILD = ActionTypeKey("Build", "AWS", "CodeBuild", "1")
NOTIFY = {"category": "Invoke", "owner": "Custom", "provider": "Notify", "version": "1"}


def _type(category: str, provider: str, owner: str = "AWS", version: str = "1") -> Any:
    return {"category": category, "owner": owner, "provider": provider, "version": version}


def _pipeline(action: dict[str, Any], *, rules: list[dict[str, Any]] | None = None) -> Any:
    source = {
        "name": "Source",
        "actionTypeId": _type("Source", "S3"),
        "configuration": {"S3Bucket": "b", "S3ObjectKey": "k.zip", "PollForSourceChanges": "false"},
        "outputArtifacts": [{"name": "src"}],
    }
    stage: dict[str, Any] = {"name": "Work", "actions": [action]}
    if rules is not None:
        stage["beforeEntry"] = {"conditions": [{"result": "SKIP", "rules": rules}]}
    document = {
        "pipeline": {
            "name": "p",
            "roleArn": ROLE,
            "pipelineType": "V2",
            "artifactStore": {"type": "S3", "location": "artifacts"},
            "stages": [{"name": "Source", "actions": [source]}, stage],
        }
    }
    pipeline, problems = parse_pipeline_json(document)
    assert problems == []
    return pipeline


def _build(configuration: dict[str, str], version: str = "1") -> dict[str, Any]:
    return {
        "name": "Compile",
        "actionTypeId": _type("Build", "CodeBuild", version=version),
        "configuration": configuration,
        "inputArtifacts": [{"name": "src"}],
    }


def _codes(findings: list[Finding]) -> set[tuple[str, str]]:
    return {(f.code, f.path.rsplit("/", 1)[-1]) for f in findings}


def _with(profiles: ProfileSet, **changed: Any) -> ProfileSet:
    """The shipped set with profiles replaced (a document) or removed (None)."""
    out = dict(profiles.profiles)
    written = {}
    for label, document in changed.items():
        key = ActionTypeKey(*label.split("__"))
        out.pop(key, None)
        if document is not None:
            written[key] = WrittenProfile(document, revision=2)
    compiled = compile_profiles(written)
    assert not compiled.problems, compiled.problems
    return ProfileSet(revision=2, profiles={**out, **compiled.profiles})


def _build_document(**structure: Any) -> dict[str, Any]:
    return {
        "action_type": _type("Build", "CodeBuild"),
        "title": "CodeBuild, changed",
        "supported_since": "2016-12-01",
        "effective_date": "2025-05-23",
        "sources": {"page": {"title": "page", "url": "https://docs.example/codebuild"}},
        "statements": [],
        **({"structure": {"source": "page", **structure}} if structure else {}),
    }


def test_the_shipped_profile_says_what_a_codebuild_action_needs() -> None:
    findings = validate_pipeline(_pipeline(_build({"BatchEnabled": "maybe"})), shipped_profiles())
    assert {
        ("MISSING_CONFIGURATION_KEY", "ProjectName"),
        ("INVALID_CONFIGURATION_VALUE", "BatchEnabled"),
    } <= _codes(findings)


def test_a_changed_profile_changes_the_findings() -> None:
    profiles = _with(
        shipped_profiles(),
        Build__AWS__CodeBuild__1=_build_document(
            input_artifacts={"min": 1, "max": 1},
            output_artifacts={"min": 0, "max": 0},
            configuration={"Project": {"required": True}, "BatchEnabled": {}},
        ),
    )
    findings = validate_pipeline(_pipeline(_build({"BatchEnabled": "maybe"})), profiles)
    assert ("MISSING_CONFIGURATION_KEY", "Project") in _codes(findings)
    assert ("MISSING_CONFIGURATION_KEY", "ProjectName") not in _codes(findings)
    assert not any(f.code == "INVALID_CONFIGURATION_VALUE" for f in findings)


def test_a_profile_without_structure_leaves_the_generic_checks() -> None:
    profiles = _with(shipped_profiles(), Build__AWS__CodeBuild__1=_build_document())
    findings = validate_pipeline(_pipeline(_build({"Anything": "x"})), profiles)
    assert findings == []  # known type (no UNKNOWN_AWS_ACTION_TYPE), no key checks


def test_without_a_profile_an_aws_type_is_unknown_and_gets_the_generic_checks() -> None:
    profiles = _with(
        shipped_profiles(), Build__AWS__CodeBuild__1=None, Test__AWS__CodeBuild__1=None
    )
    findings = validate_pipeline(_pipeline(_build({})), profiles)
    assert _codes(findings) == {("UNKNOWN_AWS_ACTION_TYPE", "provider")}


def test_another_version_is_checked_as_the_documented_one_with_a_warning() -> None:
    findings = validate_pipeline(_pipeline(_build({}, version="2")), shipped_profiles())
    assert {
        ("UNKNOWN_AWS_ACTION_VERSION", "version"),
        ("MISSING_CONFIGURATION_KEY", "ProjectName"),
    } <= _codes(findings)
    [warning] = [f for f in findings if f.code == "UNKNOWN_AWS_ACTION_VERSION"]
    assert "only version `1` is documented" in warning.message


def test_a_custom_action_type_with_a_structure_is_checked_by_it() -> None:
    notify = {
        "action_type": NOTIFY,
        "title": "Notify",
        "supported_since": None,
        "effective_date": "2025-01-01",
        "sources": {"wiki": {"title": "wiki", "url": "https://wiki.example"}},
        "statements": [],
        "structure": {
            "source": "wiki",
            "input_artifacts": {"min": 1, "max": 1},
            "output_artifacts": {"min": 0, "max": 0},
            "configuration": {"Channel": {"required": True, "values": ["ops", "dev"]}},
        },
    }
    action = {
        "name": "Tell",
        "actionTypeId": NOTIFY,
        "configuration": {"Channel": "sales", "Colour": "red"},
        "inputArtifacts": [{"name": "src"}],
    }
    generic = validate_pipeline(_pipeline(action), shipped_profiles())
    assert generic == []  # a custom type without a profile: 0-5 artifacts, any key
    profiles = _with(shipped_profiles(), Invoke__Custom__Notify__1=notify)
    assert _codes(validate_pipeline(_pipeline(action), profiles)) == {
        ("INVALID_CONFIGURATION_VALUE", "Channel"),
        ("UNKNOWN_CONFIGURATION_KEY", "Colour"),
    }


def test_an_owner_alias_of_the_profile_checks_the_action_as_that_type() -> None:
    source = {
        "name": "App",
        "actionTypeId": _type("Source", "CodeStarSourceConnection", owner="ThirdParty"),
        "configuration": {"ConnectionArn": "arn:aws:codeconnections:eu-west-1:1:connection/x"},
        "outputArtifacts": [{"name": "app"}],
    }
    build = {**_build({"ProjectName": "p"}), "inputArtifacts": [{"name": "app"}]}
    document = {
        "pipeline": {
            "name": "p",
            "roleArn": ROLE,
            "artifactStore": {"type": "S3", "location": "artifacts"},
            "stages": [
                {"name": "Source", "actions": [source]},
                {"name": "Work", "actions": [build]},
            ],
        }
    }
    pipeline, _ = parse_pipeline_json(document)
    codes = _codes(validate_pipeline(pipeline, shipped_profiles()))
    assert ("MISSING_CONFIGURATION_KEY", "BranchName") in codes
    assert ("CONNECTION_OWNER_THIRD_PARTY", "owner") in codes
    # Without the alias in the profile, the action is a third-party type without a profile.
    [shipped] = [
        f.document
        for f in profile_files()
        if f.path.name == "Source--AWS--CodeStarSourceConnection--1.yaml"
    ]
    unaliased = copy.deepcopy(shipped)
    del unaliased["structure"]["owner_aliases"], unaliased["structure"]["cited"]
    profiles = _with(shipped_profiles(), Source__AWS__CodeStarSourceConnection__1=unaliased)
    assert ("MISSING_CONFIGURATION_KEY", "BranchName") not in _codes(
        validate_pipeline(pipeline, profiles)
    )


def _rule(provider: str) -> dict[str, Any]:
    return {
        "name": f"Check{provider}",
        "ruleTypeId": {"category": "Rule", "owner": "AWS", "provider": provider, "version": "1"},
        "configuration": {"FunctionName": "f", "Variable": "v", "Value": "x", "Operator": "EQ"},
    }


@pytest.mark.parametrize(
    ("can_skip", "expected"),
    [(True, set()), (False, {("SKIP_RULE_NOT_ALLOWED", "provider")})],
)
def test_which_rules_may_skip_a_stage_is_the_rule_profiles_say(
    can_skip: bool, expected: set[tuple[str, str]]
) -> None:
    changed = copy.deepcopy(
        {
            "action_type": _type("Rule", "LambdaInvoke"),
            "title": "LambdaInvoke rule, changed",
            "supported_since": "2024-07-30",
            "effective_date": "2025-05-23",
            "sources": {"page": {"title": "page", "url": "https://docs.example/rule"}},
            "statements": [],
            "structure": {
                "source": "page",
                "configuration": {"FunctionName": {"required": True}},
                "can_skip": can_skip,
            },
        }
    )
    profiles = _with(shipped_profiles(), Rule__AWS__LambdaInvoke__1=changed)
    pipeline = _pipeline(_build({"ProjectName": "p"}), rules=[_rule("LambdaInvoke")])
    codes = _codes(validate_pipeline(pipeline, profiles))
    assert {c for c in codes if c[0] == "SKIP_RULE_NOT_ALLOWED"} == expected


def test_the_known_rule_providers_are_those_of_the_profile_set() -> None:
    profiles = _with(shipped_profiles(), Rule__AWS__VariableCheck__1=None)
    pipeline = _pipeline(_build({"ProjectName": "p"}), rules=[_rule("VariableCheck")])
    [unknown] = [
        f for f in validate_pipeline(pipeline, profiles) if f.code == "UNKNOWN_RULE_PROVIDER"
    ]
    assert "`VariableCheck`" in unknown.message.split(" is not one of ")[0]
    assert "`VariableCheck`" not in unknown.message.split(" is not one of ")[1]
    assert validate_pipeline(pipeline, shipped_profiles()) == []


def test_an_action_is_never_checked_against_a_rule_types_facts() -> None:
    action = {**_build({}), "actionTypeId": _type("Rule", "CodeBuild")}
    codes = _codes(validate_pipeline(_pipeline(action), shipped_profiles()))
    assert ("UNKNOWN_ACTION_CATEGORY", "category") in codes
    assert not [c for c in codes if c[0] == "MISSING_CONFIGURATION_KEY"]
