"""Stage-condition rules through the real app: compute, diff and pipeline validation."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from fastapi.testclient import TestClient

from ..rule_examples import (
    ACCOUNT,
    DECIDER,
    REGION,
    RULE_ROLE,
    WEB_APP,
    WEB_APP_CLOUDFORMATION,
    WEB_APP_TERRAFORM,
)

ALARM = f"arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:web-app-5xx"
CONTEXT = {"region": REGION}
NO_5XX_AT = "/pipelines/0/pipeline/stages/2/onSuccess/conditions/0/rules/0"


def _post(client: TestClient, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post(path, json=body)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


def _compute(client: TestClient, **request: Any) -> dict[str, Any]:
    return _post(client, "/v1/policies/compute", {"context": CONTEXT, **request})


def test_compute_names_the_rules_and_their_role(client: TestClient) -> None:
    body = _compute(client, pipelines=[WEB_APP])
    reasons = [r for s in body["statements"] for r in s["required_by"]]
    by_rule = {r["rule"]: r for r in reasons if r["rule"]}
    assert set(by_rule) == {"BuildGate", "Lint", "IntegTests", "No5xx", "ShouldRollback"}
    alarm = by_rule["No5xx"]
    assert (alarm["stage"], alarm["action"], alarm["path"]) == ("Deploy", None, NO_5XX_AT)
    assert alarm["action_type"] == "Rule/AWS/CloudWatchAlarm/1"
    assert alarm["profile_statement"] == "DescribeAlarms"
    (described,) = [s for s in body["statements"] if "cloudwatch:DescribeAlarms" in s["actions"]]
    assert described["resources"] == [ALARM]
    (role,) = body["action_roles"]
    assert role["role_arn"] == RULE_ROLE
    assert role["policy"]["Statement"][0]["Resource"] == DECIDER
    assert not [f for f in body["findings"] if f["finding_type"] == "ERROR"]
    used = {p["action_type"] for p in body["provenance"]["profiles"]}
    assert "Rule/AWS/CloudWatchAlarm/1" in used


@pytest.mark.parametrize("text", [WEB_APP_CLOUDFORMATION, WEB_APP_TERRAFORM], ids=["cfn", "tf"])
def test_templates_give_the_same_policy(client: TestClient, text: str) -> None:
    from_json = _compute(client, pipelines=[WEB_APP])
    from_text = _compute(client, sources=[{"body": text}])
    assert from_text["policy"] == from_json["policy"]
    assert [r["policy"] for r in from_text["action_roles"]] == [
        r["policy"] for r in from_json["action_roles"]
    ]


def _without_alarm(policy: dict[str, Any]) -> dict[str, Any]:
    trimmed = copy.deepcopy(policy)
    trimmed["Statement"] = [
        s for s in trimmed["Statement"] if s["Action"] != "cloudwatch:DescribeAlarms"
    ]
    assert len(trimmed["Statement"]) == len(policy["Statement"]) - 1
    return trimmed


def test_diff_covers_rules(client: TestClient) -> None:
    computed = _compute(client, pipelines=[WEB_APP])["policy"]
    required = {"pipelines": [WEB_APP], "context": CONTEXT}
    exact = _post(
        client, "/v1/policies/diff", {"current": {"documents": [computed]}, "required": required}
    )
    assert exact["verdict"] == "sufficient"
    short = _post(
        client,
        "/v1/policies/diff",
        {"current": {"documents": [_without_alarm(computed)]}, "required": required},
    )
    assert short["verdict"] == "insufficient"
    (missing,) = short["missing"]
    assert (missing["actions"], missing["resources"]) == (["cloudwatch:DescribeAlarms"], [ALARM])
    assert [(r["stage"], r["rule"], r["path"]) for r in missing["required_by"]] == [
        ("Deploy", "No5xx", f"/required{NO_5XX_AT}")
    ]


def test_pipeline_validation_lists_rule_types(client: TestClient) -> None:
    body = _post(client, "/v1/pipelines/validate", {"pipelines": [WEB_APP], "context": CONTEXT})
    assert body["valid"] is True, body["findings"]
    types = {t["action_type"]: t for t in body["pipelines"][0]["action_types"]}
    assert types["Rule/AWS/LambdaInvoke/1"] == {
        "action_type": "Rule/AWS/LambdaInvoke/1",
        "actions": 0,
        "rules": 2,
        "has_profile": True,
        "profile_revision": 1,
    }
    # CodeBuild is used by an action and by a rule, which have different types.
    assert (types["Build/AWS/CodeBuild/1"]["actions"], types["Rule/AWS/CodeBuild/1"]["rules"]) == (
        1,
        1,
    )
    for provider in ("CloudWatchAlarm", "Commands", "DeploymentWindow", "VariableCheck"):
        assert types[f"Rule/AWS/{provider}/1"]["has_profile"] is True


def _unknown_rule_document() -> dict[str, Any]:
    doc = copy.deepcopy(WEB_APP)
    rule = doc["pipeline"]["stages"][2]["onSuccess"]["conditions"][0]["rules"][0]
    rule["ruleTypeId"]["provider"] = "SyntheticsCanary"
    return doc


def test_an_unknown_rule_type_fails_closed(client: TestClient) -> None:
    doc = _unknown_rule_document()
    validated = _post(client, "/v1/pipelines/validate", {"pipelines": [doc], "context": CONTEXT})
    assert validated["valid"] is False
    types = {t["action_type"]: t for t in validated["pipelines"][0]["action_types"]}
    assert types["Rule/AWS/SyntheticsCanary/1"]["has_profile"] is False
    located = {(f["code"], f["path"]) for f in validated["findings"]}
    assert ("UNKNOWN_RULE_PROVIDER", f"{NO_5XX_AT}/ruleTypeId/provider") in located
    assert ("NO_PROFILE", NO_5XX_AT) in located
    computed = _compute(client, pipelines=[doc])
    errors = {(f["code"], f["path"]) for f in computed["findings"] if f["finding_type"] == "ERROR"}
    assert ("NO_PROFILE", NO_5XX_AT) in errors
