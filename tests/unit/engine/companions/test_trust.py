"""Trust policies: the service role trusts CodePipeline, each action or rule role trusts the
service role, a CloudFormation stack role trusts CloudFormation; unknown roles are findings,
never a wider principal."""

from __future__ import annotations

import pytest

from app.engine.companions.documents import DocumentKind
from app.engine.compute import compute_policy
from app.engine.pipeline.api_json import parse_pipeline_json
from tests.unit.engine.profile_fixtures import shipped_profiles

from .helpers import codes, companions, document
from .scenario import (
    ROLE_B,
    ROLE_C,
    SERVICE_ROLE,
    STACK_ROLE_C,
    A,
    C,
    action,
    cross_account_pipeline,
)

TRUST = DocumentKind.TRUST_POLICY


def test_the_service_role_trusts_codepipeline() -> None:
    result = companions(cross_account_pipeline())
    trust = document(result, TRUST, SERVICE_ROLE)
    assert trust.document["Statement"] == [
        {
            "Sid": "CodePipelineAssumesServiceRole",
            "Effect": "Allow",
            "Principal": {"Service": "codepipeline.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ]
    assert trust.account == A


@pytest.mark.parametrize("role", [ROLE_B, ROLE_C])
def test_each_action_role_trusts_the_service_role(role: str) -> None:
    trust = document(companions(cross_account_pipeline()), TRUST, role)
    (statement,) = trust.statements
    assert statement.to_policy_statement() == {
        "Sid": "ServiceRoleAssumesActionRole",
        "Effect": "Allow",
        "Principal": {"AWS": SERVICE_ROLE},
        "Action": "sts:AssumeRole",
    }
    # Every action that runs as the role is a reason, each cited.
    actions = {r.action for r in statement.reasons}
    assert actions == ({"DeployB"} if role == ROLE_B else {"StackC", "SmokeC"})
    assert all(r.citation.id == "CPX" and r.citation.url for r in statement.reasons)


def test_a_same_account_action_role_is_trusted_too() -> None:
    same = f"arn:aws:iam::{A}:role/BuildRole"
    doc = cross_account_pipeline()
    doc["pipeline"]["stages"][1]["actions"] = [
        action("Build", "Build", "CodeBuild", {"ProjectName": "p"}, inputs=["src"], role=same)
    ]
    trust = document(companions(doc), TRUST, same)
    assert trust.statements[0].principals == (SERVICE_ROLE,)


@pytest.mark.parametrize(
    "service_role",
    ["arn:aws:iam::*:role/PipelineRole", "arn:aws:iam::111111111111:role/*", "PipelineRole"],
)
def test_an_unknown_service_role_is_a_finding_not_a_wider_principal(service_role: str) -> None:
    result = companions(cross_account_pipeline(roleArn=service_role))
    assert "COMPANION_TRUSTED_ROLE_UNKNOWN" in codes(result)
    for doc in result.of_kind(TRUST):
        for statement in doc.statements:
            assert statement.principals != (service_role,)
            assert all("*" not in p for p in statement.principals)
    assert result.get(TRUST, ROLE_B) is None


def test_an_action_role_not_known_whole_keeps_its_trust_and_is_named() -> None:
    unknown = "arn:aws:iam::222222222222:role/#{variables.role}"
    doc = cross_account_pipeline()
    doc["pipeline"]["stages"][1]["actions"][0]["roleArn"] = unknown
    result = companions(doc)
    assert document(result, TRUST, unknown).statements[0].principals == (SERVICE_ROLE,)
    finding = next(f for f in result.findings if f.code == "COMPANION_ROLE_UNKNOWN")
    assert finding.path == "/pipeline/stages/1/actions/0/roleArn"


@pytest.mark.parametrize(
    ("role_arn", "expected"),
    [
        (STACK_ROLE_C, STACK_ROLE_C),
        # A bare name is a role of the account the action runs in (the action role's).
        ("StackRole", f"arn:aws:iam::{C}:role/StackRole"),
    ],
)
def test_the_cloudformation_stack_role_trusts_cloudformation(role_arn: str, expected: str) -> None:
    doc = cross_account_pipeline()
    doc["pipeline"]["stages"][1]["actions"][1]["configuration"]["RoleArn"] = role_arn
    trust = document(companions(doc), TRUST, expected)
    (statement,) = trust.statements
    assert statement.to_policy_statement() == {
        "Sid": "StackRoleTrust",
        "Effect": "Allow",
        "Principal": {"Service": "cloudformation.amazonaws.com"},
        "Action": "sts:AssumeRole",
    }
    (reason,) = statement.reasons
    assert reason.action_type is not None
    assert reason.action_type.provider == "CloudFormation"
    assert reason.citation.id == "CFNSR"
    assert reason.profile_revision == 1


def test_no_stack_role_no_stack_role_trust() -> None:
    doc = cross_account_pipeline()
    del doc["pipeline"]["stages"][1]["actions"][1]["configuration"]["RoleArn"]
    result = companions(doc)
    assert [d.target for d in result.of_kind(TRUST)] == sorted([SERVICE_ROLE, ROLE_B, ROLE_C])


def test_a_stack_role_known_only_at_run_time_is_a_finding() -> None:
    doc = cross_account_pipeline()
    doc["pipeline"]["stages"][1]["actions"][1]["configuration"]["RoleArn"] = "#{vars.StackRole}"
    result = companions(doc)
    assert "COMPANION_TARGET_UNKNOWN" in codes(result)
    assert all(
        "cloudformation.amazonaws.com" not in s.principals
        for d in result.of_kind(TRUST)
        for s in d.statements
    )


def test_the_stack_role_pass_is_computes_not_a_companion() -> None:
    """iam:PassRole on the stack role goes with its trust policy; compute already puts it on
    the role that runs the action, and companions hold only resource policies."""
    pipeline, _ = parse_pipeline_json(cross_account_pipeline())
    computed = compute_policy([pipeline], shipped_profiles())
    (action_role,) = [p for p in computed.action_roles if p.role_arn == ROLE_C]
    passes = [s for s in action_role.statements if "iam:PassRole" in s.actions]
    assert [s.resources for s in passes] == [(STACK_ROLE_C,)]
    assert passes[0].condition == {
        "StringEqualsIfExists": {"iam:PassedToService": "cloudformation.amazonaws.com"}
    }
    result = companions(cross_account_pipeline())
    assert all("iam:PassRole" not in s.actions for d in result.documents for s in d.statements)


def test_a_stage_condition_rule_role_trusts_the_service_role() -> None:
    rule_role = f"arn:aws:iam::{C}:role/GateRole"
    doc = cross_account_pipeline()
    doc["pipeline"]["pipelineType"] = "V2"
    doc["pipeline"]["stages"][1]["beforeEntry"] = {
        "conditions": [
            {
                "result": "FAIL",
                "rules": [
                    {
                        "name": "Gate",
                        "ruleTypeId": {
                            "category": "Rule",
                            "owner": "AWS",
                            "provider": "LambdaInvoke",
                            "version": "1",
                        },
                        "configuration": {"FunctionName": "gate"},
                        "roleArn": rule_role,
                    }
                ],
            }
        ]
    }
    trust = document(companions(doc), TRUST, rule_role)
    (statement,) = trust.statements
    assert statement.principals == (SERVICE_ROLE,)
    (reason,) = statement.reasons
    assert (reason.rule, reason.action) == ("Gate", None)
    assert reason.pointer == "/pipeline/stages/1/beforeEntry/conditions/0/rules/0"
