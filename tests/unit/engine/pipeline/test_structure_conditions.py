"""Structure rules of stage conditions (rules reference §9): the worked example is clean in every
format; each mutation breaks exactly one rule, at its JSON pointer."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from app.engine.findings import FindingType
from app.engine.pipeline.api_json import parse_pipeline_json
from app.engine.pipeline.cloudformation import parse_cloudformation
from app.engine.pipeline.model import Pipeline
from app.engine.pipeline.source_map import in_template_places
from app.engine.pipeline.structure import validate_pipeline
from app.engine.pipeline.terraform import parse_terraform
from tests.unit.engine.profile_fixtures import shipped_profiles

from ....rule_examples import WEB_APP, WEB_APP_CLOUDFORMATION, WEB_APP_TERRAFORM

Mutation = Callable[[dict[str, Any]], object]

BUILD = "/pipeline/stages/1"
DEPLOY = "/pipeline/stages/2"
ONLY_MAIN = f"{BUILD}/beforeEntry/conditions/0/rules/0"
BUILD_GATE = f"{BUILD}/beforeEntry/conditions/0/rules/1"
LINT = f"{BUILD}/onSuccess/conditions/0/rules/0"
INTEG = f"{BUILD}/onSuccess/conditions/0/rules/1"
HOURS = f"{DEPLOY}/beforeEntry/conditions/0/rules/0"
NO_5XX = f"{DEPLOY}/onSuccess/conditions/0/rules/0"
ROLLBACK_RULE = f"{DEPLOY}/onFailure/conditions/0/rules/0"


def _stage(doc: dict[str, Any], index: int) -> dict[str, Any]:
    found: dict[str, Any] = doc["pipeline"]["stages"][index]
    return found


def _condition(doc: dict[str, Any], stage: int, kind: str) -> dict[str, Any]:
    found: dict[str, Any] = _stage(doc, stage)[kind]["conditions"][0]
    return found


def _rule_at(doc: dict[str, Any], stage: int, kind: str, index: int) -> dict[str, Any]:
    found: dict[str, Any] = _condition(doc, stage, kind)["rules"][index]
    return found


def _only_main(doc: dict[str, Any]) -> dict[str, Any]:
    return _rule_at(doc, 1, "beforeEntry", 0)


def _build_gate(doc: dict[str, Any]) -> dict[str, Any]:
    return _rule_at(doc, 1, "beforeEntry", 1)


def _lint(doc: dict[str, Any]) -> dict[str, Any]:
    return _rule_at(doc, 1, "onSuccess", 0)


def _integ(doc: dict[str, Any]) -> dict[str, Any]:
    return _rule_at(doc, 1, "onSuccess", 1)


def _hours(doc: dict[str, Any]) -> dict[str, Any]:
    return _rule_at(doc, 2, "beforeEntry", 0)


def _no_5xx(doc: dict[str, Any]) -> dict[str, Any]:
    return _rule_at(doc, 2, "onSuccess", 0)


def _window(name: str) -> dict[str, Any]:
    return {
        "name": name,
        "ruleTypeId": {"category": "Rule", "owner": "AWS", "provider": "DeploymentWindow"},
        "configuration": {"Cron": "0 0 9 ? * MON *"},
    }


def _condition_of(result: str, *names: str) -> dict[str, Any]:
    return {"result": result, "rules": [_window(n) for n in names]}


def _set(rule: Callable[[dict[str, Any]], dict[str, Any]], **values: Any) -> Mutation:
    return lambda d: rule(d).update(values)


def _configure(rule: Callable[[dict[str, Any]], dict[str, Any]], **values: Any) -> Mutation:
    return lambda d: rule(d)["configuration"].update(values)


def _unset(rule: Callable[[dict[str, Any]], dict[str, Any]], key: str) -> Mutation:
    return lambda d: rule(d)["configuration"].pop(key)


def _type(rule: Callable[[dict[str, Any]], dict[str, Any]], **values: str) -> Mutation:
    return lambda d: rule(d)["ruleTypeId"].update(values)


CASES: list[tuple[str, Mutation, str, str, set[str]]] = [
    # §9.1: V2 only
    (
        "v1",
        lambda d: d["pipeline"].update(pipelineType="V1"),
        "V2_ONLY_STAGE_CONDITION",
        f"{BUILD}/beforeEntry",
        {"V2_ONLY_VARIABLES", "V2_ONLY_TRIGGERS"},
    ),
    # §9.2: one condition for entry and success, at most one for failure
    (
        "entry-two-conditions",
        lambda d: _stage(d, 2)["beforeEntry"]["conditions"].append(_condition_of("FAIL", "W")),
        "STAGE_CONDITION_COUNT",
        f"{DEPLOY}/beforeEntry/conditions",
        set(),
    ),
    (
        "success-no-condition",
        lambda d: _stage(d, 2)["onSuccess"].update(conditions=[]),
        "STAGE_CONDITION_COUNT",
        f"{DEPLOY}/onSuccess/conditions",
        set(),
    ),
    (
        "failure-two-conditions",
        lambda d: _stage(d, 2)["onFailure"]["conditions"].append(_condition_of("ROLLBACK", "W")),
        "STAGE_CONDITION_COUNT",
        f"{DEPLOY}/onFailure/conditions",
        set(),
    ),
    # §9.3: 1-5 rules; a result
    (
        "no-rules",
        lambda d: _condition(d, 2, "beforeEntry").update(rules=[]),
        "CONDITION_RULE_COUNT",
        f"{DEPLOY}/beforeEntry/conditions/0/rules",
        set(),
    ),
    (
        "six-rules",
        lambda d: _stage(d, 2)["beforeEntry"].update(
            conditions=[_condition_of("FAIL", *(f"W{i}" for i in range(6)))]
        ),
        "CONDITION_RULE_COUNT",
        f"{DEPLOY}/beforeEntry/conditions/0/rules",
        set(),
    ),
    (
        "no-result",
        lambda d: _condition(d, 2, "beforeEntry").pop("result"),
        "CONDITION_RESULT_MISSING",
        f"{DEPLOY}/beforeEntry/conditions/0",
        set(),
    ),
    # §9.4: results allowed where
    (
        "result-outside-the-api",
        _set(lambda d: _condition(d, 2, "beforeEntry"), result="STOP"),
        "INVALID_CONDITION_RESULT",
        f"{DEPLOY}/beforeEntry/conditions/0/result",
        set(),
    ),
    (
        "entry-rollback",
        _set(lambda d: _condition(d, 2, "beforeEntry"), result="ROLLBACK"),
        "CONDITION_RESULT_NOT_ALLOWED",
        f"{DEPLOY}/beforeEntry/conditions/0/result",
        set(),
    ),
    (
        "success-skip",
        _set(lambda d: _condition(d, 2, "onSuccess"), result="SKIP"),
        "CONDITION_RESULT_NOT_ALLOWED",
        f"{DEPLOY}/onSuccess/conditions/0/result",
        set(),
    ),
    (
        "failure-condition-fail",
        _set(lambda d: _condition(d, 2, "onFailure"), result="FAIL"),
        "CONDITION_RESULT_NOT_ALLOWED",
        f"{DEPLOY}/onFailure/conditions/0/result",
        set(),
    ),
    (
        "failure-result-skip",
        lambda d: _stage(d, 1).update(onFailure={"result": "SKIP"}),
        "CONDITION_RESULT_NOT_ALLOWED",
        f"{BUILD}/onFailure/result",
        set(),
    ),
    (
        "failure-result-outside-the-api",
        lambda d: _stage(d, 1).update(onFailure={"result": "REDO"}),
        "INVALID_CONDITION_RESULT",
        f"{BUILD}/onFailure/result",
        set(),
    ),
    # §9.5: SKIP only with LambdaInvoke and VariableCheck
    (
        "skip-with-codebuild",
        lambda d: _condition(d, 1, "beforeEntry")["rules"].append(
            {**copy.deepcopy(_integ(d)), "inputArtifacts": [{"name": "SourceArtifact"}]}
        ),
        "SKIP_RULE_NOT_ALLOWED",
        f"{BUILD}/beforeEntry/conditions/0/rules/2/ruleTypeId/provider",
        {"DUPLICATE_RULE_NAME"},
    ),
    # §9.6: retry
    (
        "retry-with-conditions",
        lambda d: _stage(d, 2)["onFailure"].update(result="RETRY"),
        "RETRY_WITH_CONDITIONS",
        f"{DEPLOY}/onFailure/result",
        set(),
    ),
    (
        "retry-configuration-without-retry",
        lambda d: _stage(d, 1)["onFailure"].update(result="ROLLBACK"),
        "RETRY_CONFIGURATION_WITHOUT_RETRY",
        f"{BUILD}/onFailure/retryConfiguration",
        set(),
    ),
    (
        "retry-mode",
        lambda d: _stage(d, 1)["onFailure"]["retryConfiguration"].update(retryMode="SOME"),
        "INVALID_RETRY_MODE",
        f"{BUILD}/onFailure/retryConfiguration/retryMode",
        set(),
    ),
    # §9.7: no rollback of a source stage
    (
        "rollback-source-stage",
        lambda d: _stage(d, 0).update(onFailure={"result": "ROLLBACK"}),
        "ROLLBACK_ON_SOURCE_STAGE",
        "/pipeline/stages/0/onFailure/result",
        set(),
    ),
    # §9.8: the rule type
    (
        "category",
        _type(_hours, category="Approval"),
        "INVALID_RULE_CATEGORY",
        f"{HOURS}/ruleTypeId/category",
        set(),
    ),
    (
        "owner",
        _type(_hours, owner="Custom"),
        "INVALID_RULE_OWNER",
        f"{HOURS}/ruleTypeId/owner",
        set(),
    ),
    (
        "unknown-provider",
        _type(_hours, provider="BusinessCalendar"),
        "UNKNOWN_RULE_PROVIDER",
        f"{HOURS}/ruleTypeId/provider",
        set(),
    ),
    (
        "version",
        _type(_hours, version="2"),
        "UNKNOWN_RULE_VERSION",
        f"{HOURS}/ruleTypeId/version",
        set(),
    ),
    # §9.9: names
    ("name", _set(_hours, name="business hours"), "INVALID_RULE_NAME", f"{HOURS}/name", set()),
    (
        "duplicate-name",
        _set(_build_gate, name="OnlyMain"),
        "DUPLICATE_RULE_NAME",
        f"{BUILD_GATE}/name",
        set(),
    ),
    # §9.10: required configuration, per provider
    (
        "alarm-name",
        _unset(_no_5xx, "AlarmName"),
        "RULE_CONFIGURATION_MISSING",
        f"{NO_5XX}/configuration/AlarmName",
        set(),
    ),
    (
        "alarm-states",
        _unset(_no_5xx, "AlarmStates"),
        "RULE_CONFIGURATION_RECOMMENDED",
        f"{NO_5XX}/configuration/AlarmStates",
        set(),
    ),
    (
        "project-name",
        _unset(_integ, "ProjectName"),
        "RULE_CONFIGURATION_MISSING",
        f"{INTEG}/configuration/ProjectName",
        set(),
    ),
    (
        "primary-source",
        _set(_integ, inputArtifacts=[{"name": "SourceArtifact"}, {"name": "BuildArtifact"}]),
        "RULE_CONFIGURATION_MISSING",
        f"{INTEG}/configuration/PrimarySource",
        set(),
    ),
    (
        "batch-enabled",
        _configure(_integ, BatchEnabled="yes"),
        "INVALID_RULE_CONFIGURATION_VALUE",
        f"{INTEG}/configuration/BatchEnabled",
        set(),
    ),
    (
        "cron",
        _unset(_hours, "Cron"),
        "RULE_CONFIGURATION_MISSING",
        f"{HOURS}/configuration/Cron",
        set(),
    ),
    (
        "function-name",
        _unset(_build_gate, "FunctionName"),
        "RULE_CONFIGURATION_MISSING",
        f"{BUILD_GATE}/configuration/FunctionName",
        set(),
    ),
    *[
        (
            f"variable-check-{key.lower()}",
            _unset(_only_main, key),
            "RULE_CONFIGURATION_MISSING",
            f"{ONLY_MAIN}/configuration/{key}",
            set(),
        )
        for key in ("Variable", "Value", "Operator")
    ],
    (
        "operator",
        _configure(_only_main, Operator="LIKE"),
        "INVALID_RULE_CONFIGURATION_VALUE",
        f"{ONLY_MAIN}/configuration/Operator",
        set(),
    ),
    (
        "commands-missing",
        lambda d: _lint(d).pop("commands"),
        "RULE_COMMANDS_MISSING",
        f"{LINT}/commands",
        set(),
    ),
    # §9.11: commands
    (
        "commands-not-allowed",
        _set(_build_gate, commands=["ls"]),
        "RULE_COMMANDS_NOT_ALLOWED",
        f"{BUILD_GATE}/commands",
        set(),
    ),
    (
        "too-many-commands",
        _set(_lint, commands=["ls"] * 51),
        "INVALID_RULE_COMMANDS",
        f"{LINT}/commands/50",
        set(),
    ),
    (
        "multi-line-command",
        _set(_lint, commands=["ls", "ls\nrm -rf /"]),
        "INVALID_RULE_COMMANDS",
        f"{LINT}/commands/1",
        set(),
    ),
    (
        "long-command",
        _set(_lint, commands=["x" * 1001]),
        "INVALID_RULE_COMMANDS",
        f"{LINT}/commands/0",
        set(),
    ),
    # §9.12: input artifacts
    (
        "entry-input-from-this-stage",
        _set(_build_gate, inputArtifacts=[{"name": "BuildArtifact"}]),
        "RULE_INPUT_ARTIFACT_UNKNOWN",
        f"{BUILD_GATE}/inputArtifacts/0",
        set(),
    ),
    (
        "input-never-produced",
        _set(_lint, inputArtifacts=[{"name": "Nowhere"}]),
        "RULE_INPUT_ARTIFACT_UNKNOWN",
        f"{LINT}/inputArtifacts/0",
        set(),
    ),
    (
        "input-not-read",
        _set(_no_5xx, inputArtifacts=[{"name": "BuildArtifact"}]),
        "RULE_INPUT_ARTIFACTS_NOT_USED",
        f"{NO_5XX}/inputArtifacts",
        set(),
    ),
    # §9.13: sizes, timeout, region, role
    (
        "config-key",
        _configure(_no_5xx, **{"K" * 51: "v"}),
        "INVALID_RULE_CONFIGURATION",
        f"{NO_5XX}/configuration/{'K' * 51}",
        set(),
    ),
    (
        "config-value",
        _configure(_no_5xx, WaitTime="1" * 10_001),
        "INVALID_RULE_CONFIGURATION",
        f"{NO_5XX}/configuration/WaitTime",
        set(),
    ),
    (
        "config-entries",
        _configure(_no_5xx, **{f"K{i}": "v" for i in range(200)}),
        "INVALID_RULE_CONFIGURATION",
        f"{NO_5XX}/configuration",
        set(),
    ),
    (
        "timeout",
        _set(lambda d: _rule_at(d, 2, "onFailure", 0), timeoutInMinutes=4),
        "INVALID_RULE_TIMEOUT",
        f"{ROLLBACK_RULE}/timeoutInMinutes",
        set(),
    ),
    ("region", _set(_no_5xx, region="x"), "INVALID_RULE_REGION", f"{NO_5XX}/region", set()),
    (
        "role-arn",
        _set(lambda d: _rule_at(d, 2, "onFailure", 0), roleArn="web-app-rule-invoker"),
        "INVALID_ROLE_ARN",
        f"{ROLLBACK_RULE}/roleArn",
        set(),
    ),
]


def _findings(doc: dict[str, Any]) -> list[Any]:
    pipeline, parse_findings = parse_pipeline_json(doc)
    assert parse_findings == []
    return validate_pipeline(pipeline, shipped_profiles())


@pytest.mark.parametrize(
    "pipeline",
    [
        pytest.param(lambda: parse_pipeline_json(WEB_APP)[0], id="json"),
        pytest.param(lambda: parse_cloudformation(WEB_APP_CLOUDFORMATION).pipelines[0], id="cfn"),
        pytest.param(lambda: parse_terraform(WEB_APP_TERRAFORM).pipelines[0], id="terraform"),
    ],
)
def test_the_worked_example_is_clean(pipeline: Callable[[], Pipeline]) -> None:
    assert validate_pipeline(pipeline(), shipped_profiles()) == []


@pytest.mark.parametrize(
    ("mutate", "code", "path", "also"), [pytest.param(*case[1:], id=case[0]) for case in CASES]
)
def test_each_condition_rule(mutate: Mutation, code: str, path: str, also: set[str]) -> None:
    doc = copy.deepcopy(WEB_APP)
    mutate(doc)
    findings = _findings(doc)
    assert (code, path) in {(f.code, f.path) for f in findings}, findings
    problems = {f.code for f in findings if f.finding_type != FindingType.SUGGESTION}
    assert problems <= {code} | also, findings
    for finding in findings:
        assert finding.message[0].islower() or finding.message[0] == "`", finding.message


def test_a_skip_condition_with_only_lambda_and_variable_rules_is_fine() -> None:
    doc = copy.deepcopy(WEB_APP)
    assert _condition(doc, 1, "beforeEntry")["result"] == "SKIP"
    assert _findings(doc) == []


def test_success_rules_read_the_stages_own_artifacts() -> None:
    doc = copy.deepcopy(WEB_APP)
    assert _lint(doc)["inputArtifacts"] == [{"name": "BuildArtifact"}]
    assert _findings(doc) == []


def test_terraform_findings_are_located_in_the_blocks() -> None:
    text = WEB_APP_TERRAFORM.replace('result = "SKIP"', 'result = "ROLLBACK"')
    pipelines = parse_terraform(text).pipelines
    findings = in_template_places(validate_pipeline(pipelines[0], shipped_profiles()), pipelines)
    assert [(f.code, f.path) for f in findings] == [
        (
            "CONDITION_RESULT_NOT_ALLOWED",
            "/resource/aws_codepipeline/web_app/stage/1/before_entry/0/condition/0/result",
        )
    ]
