"""Stage conditions and their rules: one model from get-pipeline JSON, CloudFormation and
Terraform, each rule located by its JSON pointer."""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest

from app.engine.errors import PipelineParseError
from app.engine.pipeline.api_json import parse_pipeline_json
from app.engine.pipeline.cloudformation import parse_cloudformation
from app.engine.pipeline.model import ActionTypeKey, Pipeline, Rule, StageConditions
from app.engine.pipeline.source_map import template_pointer
from app.engine.pipeline.terraform import parse_terraform

from ....rule_examples import (
    DECIDER,
    RULE_ROLE,
    WEB_APP,
    WEB_APP_CLOUDFORMATION,
    WEB_APP_TERRAFORM,
)

CFN_STAGES = "/Resources/Pipeline/Properties/Stages"
TF_STAGES = "/resource/aws_codepipeline/web_app/stage"


def _json() -> Pipeline:
    pipeline, findings = parse_pipeline_json(WEB_APP, "/pipelines/0")
    assert findings == []
    return pipeline


def _cloudformation() -> Pipeline:
    parsed = parse_cloudformation(WEB_APP_CLOUDFORMATION)
    assert parsed.findings == []
    return parsed.pipelines[0]


def _terraform() -> Pipeline:
    parsed = parse_terraform(WEB_APP_TERRAFORM)
    assert parsed.findings == []
    return parsed.pipelines[0]


def _unlocated(block: StageConditions, *, timeouts: bool = True) -> StageConditions:
    """A stage's conditions without pointers (they differ by format), to compare formats."""
    return replace(
        block,
        pointer="",
        conditions=tuple(
            replace(
                condition,
                pointer="",
                rules=tuple(
                    replace(
                        rule,
                        pointer="",
                        timeout_in_minutes=rule.timeout_in_minutes if timeouts else None,
                    )
                    for rule in condition.rules
                ),
            )
            for condition in block.conditions
        ),
    )


def _conditions(pipeline: Pipeline, *, timeouts: bool = True) -> list[list[StageConditions]]:
    return [[_unlocated(b, timeouts=timeouts) for b in s.conditions] for s in pipeline.stages]


def test_get_pipeline_json_gives_every_condition_and_rule() -> None:
    pipeline = _json()
    kinds = [[b.kind for b in stage.conditions] for stage in pipeline.stages]
    assert kinds == [
        [],
        ["beforeEntry", "onSuccess", "onFailure"],
        ["beforeEntry", "onSuccess", "onFailure"],
    ]
    rules = {rule.name: rule for _stage, rule in pipeline.rules()}
    assert list(rules) == [
        "OnlyMain",
        "BuildGate",
        "Lint",
        "IntegTests",
        "BusinessHours",
        "No5xx",
        "ShouldRollback",
    ]
    assert rules["ShouldRollback"] == Rule(
        name="ShouldRollback",
        type=ActionTypeKey("Rule", "AWS", "LambdaInvoke", "1"),
        configuration={"FunctionName": DECIDER},
        pointer="/pipelines/0/pipeline/stages/2/onFailure/conditions/0/rules/0",
        role_arn=RULE_ROLE,
        timeout_in_minutes=10,
    )
    assert rules["Lint"].commands == ("ls", "test -f index.html")
    assert rules["Lint"].input_artifacts == ("BuildArtifact",)
    build = pipeline.stages[1]
    on_failure = build.conditions[2]
    assert on_failure.result == "RETRY"
    assert on_failure.retry_configuration == {"retryMode": "FAILED_ACTIONS"}
    assert on_failure.conditions == ()
    assert [c.result for c in build.conditions[0].conditions] == ["SKIP"]


def test_cloudformation_gives_the_same_model_located_in_the_template() -> None:
    pipeline = _cloudformation()
    # CloudFormation's RuleDeclaration has no TimeoutInMinutes.
    assert _conditions(pipeline) == _conditions(_json(), timeouts=False)
    rules = {rule.name: rule for _stage, rule in pipeline.rules()}
    assert rules["No5xx"].configuration["AlarmName"] == "web-app-5xx"  # from !Ref AlarmName
    at = _in_template(pipeline)
    assert at(rules["No5xx"].pointer) == f"{CFN_STAGES}/2/OnSuccess/Conditions/0/Rules/0"
    assert at(pipeline.stages[1].conditions[2].pointer) == f"{CFN_STAGES}/1/OnFailure"


def test_terraform_gives_the_same_model_located_in_the_blocks() -> None:
    pipeline = _terraform()
    assert _conditions(pipeline) == _conditions(_json())
    rules = {rule.name: rule for _stage, rule in pipeline.rules()}
    assert rules["No5xx"].configuration["AlarmName"] == "web-app-5xx"  # from var.alarm_name
    at = _in_template(pipeline)
    assert at(rules["BuildGate"].pointer) == f"{TF_STAGES}/1/before_entry/0/condition/0/rule/1"
    assert at(pipeline.stages[1].conditions[2].pointer) == f"{TF_STAGES}/1/on_failure/0"


def test_rule_owner_and_version_may_be_left_out() -> None:
    doc = copy.deepcopy(WEB_APP)
    rule = doc["pipeline"]["stages"][2]["beforeEntry"]["conditions"][0]["rules"][0]
    rule["ruleTypeId"] = {"category": "Rule", "provider": "DeploymentWindow"}
    pipeline, findings = parse_pipeline_json(doc)
    assert findings == []
    assert pipeline.stages[2].conditions[0].conditions[0].rules[0].type == ActionTypeKey(
        "Rule", "AWS", "DeploymentWindow", "1"
    )


def _first_rule(doc: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = doc["pipeline"]["stages"][1]["beforeEntry"]["conditions"][0]["rules"][0]
    return found


@pytest.mark.parametrize(
    ("change", "path"),
    [
        (lambda r: r.pop("name"), "/pipeline/stages/1/beforeEntry/conditions/0/rules/0/name"),
        (
            lambda r: r.pop("ruleTypeId"),
            "/pipeline/stages/1/beforeEntry/conditions/0/rules/0/ruleTypeId",
        ),
        (
            lambda r: r["ruleTypeId"].pop("provider"),
            "/pipeline/stages/1/beforeEntry/conditions/0/rules/0/ruleTypeId/provider",
        ),
    ],
    ids=["name", "rule-type", "provider"],
)
def test_a_rule_without_name_or_type_cannot_be_read(change: Any, path: str) -> None:
    doc = copy.deepcopy(WEB_APP)
    change(_first_rule(doc))
    with pytest.raises(PipelineParseError) as raised:
        parse_pipeline_json(doc)
    assert raised.value.pointer == path


@pytest.mark.parametrize(
    ("change", "path"),
    [
        (
            lambda s: s.update(beforeEntry="FAIL"),
            "/pipeline/stages/1/beforeEntry",
        ),
        (
            lambda s: s["beforeEntry"].update(conditions={"result": "FAIL"}),
            "/pipeline/stages/1/beforeEntry/conditions",
        ),
        (
            lambda s: s["beforeEntry"]["conditions"].append("FAIL"),
            "/pipeline/stages/1/beforeEntry/conditions/1",
        ),
        (
            lambda s: s["beforeEntry"]["conditions"][0].update(rules="OnlyMain"),
            "/pipeline/stages/1/beforeEntry/conditions/0/rules",
        ),
        (
            lambda s: s["onSuccess"]["conditions"][0]["rules"][0].update(commands="ls"),
            "/pipeline/stages/1/onSuccess/conditions/0/rules/0/commands",
        ),
        (
            lambda s: s["onSuccess"]["conditions"][0]["rules"][0].update(commands=["ls", 7]),
            "/pipeline/stages/1/onSuccess/conditions/0/rules/0/commands/1",
        ),
        (
            lambda s: s["onSuccess"]["conditions"][0]["rules"][0].update(timeoutInMinutes="ten"),
            "/pipeline/stages/1/onSuccess/conditions/0/rules/0/timeoutInMinutes",
        ),
        (
            lambda s: s["onFailure"].update(retryConfiguration="FAILED_ACTIONS"),
            "/pipeline/stages/1/onFailure/retryConfiguration",
        ),
    ],
    ids=[
        "stage-conditions",
        "conditions",
        "condition",
        "rules",
        "commands",
        "command",
        "timeout",
        "retry-configuration",
    ],
)
def test_malformed_parts_are_located_findings(change: Any, path: str) -> None:
    doc = copy.deepcopy(WEB_APP)
    change(doc["pipeline"]["stages"][1])
    _pipeline, findings = parse_pipeline_json(doc)
    assert [(f.code, f.path) for f in findings] == [("PIPELINE_SHAPE", path)]


def test_unknown_rule_fields_are_named() -> None:
    doc = copy.deepcopy(WEB_APP)
    _first_rule(doc)["configuraton"] = {"Variable": "x"}
    _pipeline, findings = parse_pipeline_json(doc)
    assert [(f.code, f.path, f.detail.get("did_you_mean")) for f in findings] == [
        (
            "UNKNOWN_FIELD",
            "/pipeline/stages/1/beforeEntry/conditions/0/rules/0/configuraton",
            "configuration",
        )
    ]


def test_terraform_dynamic_condition_blocks_expand() -> None:
    text = WEB_APP_TERRAFORM.replace(
        """    before_entry {
      condition {
        result = "FAIL"
        rule {
          name = "BusinessHours\"""",
        """    dynamic "before_entry" {
      for_each = ["on"]
      content {
      condition {
        result = "FAIL"
        rule {
          name = "BusinessHours\"""",
    ).replace(
        """            TimeZone = "Europe/Berlin"
          }
        }
      }
    }""",
        """            TimeZone = "Europe/Berlin"
          }
        }
      }
      }
    }""",
    )
    assert text != WEB_APP_TERRAFORM
    parsed = parse_terraform(text)
    assert parsed.findings == []
    assert _conditions(parsed.pipelines[0]) == _conditions(_terraform())


def _in_template(pipeline: Pipeline) -> Callable[[str], str]:
    """Where a place of the document read from a template is in the template."""
    return lambda pointer: template_pointer(pointer, [pipeline])
