"""An action that names its own role runs as that role: CodePipeline calls the provider's
service with that role's credentials, so a name the action gives (a stack, a function, a
deployment group, a stack role) is one of the role's account, not the pipeline's. Its artifact
access stays on the pipeline's store, in the pipeline's account
(test_compute_action_role_artifacts.py)."""

from __future__ import annotations

from typing import Any

import pytest

from app.engine.compute import ComputeContext, ComputeResult, compute_policy
from app.engine.pipeline.api_json import parse_pipeline_json

from .computed_grants import grants_of
from .profile_fixtures import shipped_profiles

A, B, C = "111111111111", "222222222222", "333333333333"
REGION = "eu-west-2"
SERVICE_ROLE = f"arn:aws:iam::{A}:role/pipeline"
ROLE_A = f"arn:aws:iam::{A}:role/deployer"
ROLE_B = f"arn:aws:iam::{B}:role/deployer"
UNKNOWN_ROLE = "#{variables.DeployRole}"
GROUP = f"arn:aws:codedeploy:{REGION}:{{account}}:deploymentgroup:web/prod"
STACK = f"arn:aws:cloudformation:{REGION}:{{account}}:stack/web/*"
FUNCTION_C = f"arn:aws:lambda:{REGION}:{C}:function:smoke"


def _action(provider: str, category: str, configuration: dict[str, str], role: str | None) -> Any:
    action: dict[str, Any] = {
        "name": "Deploy",
        "actionTypeId": {
            "category": category,
            "owner": "AWS",
            "provider": provider,
            "version": "1",
        },
        "configuration": configuration,
        "inputArtifacts": [{"name": "src"}] if category == "Deploy" else [],
    }
    if role:
        action["roleArn"] = role
    return action


CODEDEPLOY = ("CodeDeploy", "Deploy", {"ApplicationName": "web", "DeploymentGroupName": "prod"})
STACK_ROLE_BY_NAME = (
    "CloudFormation",
    "Deploy",
    {
        "ActionMode": "CREATE_UPDATE",
        "StackName": "web",
        "TemplatePath": "src::t.yaml",
        "RoleArn": "StackRole",
    },
)
FUNCTION_BY_NAME = ("Lambda", "Invoke", {"FunctionName": "smoke"})
FUNCTION_BY_ARN = ("Lambda", "Invoke", {"FunctionName": FUNCTION_C})


def _compute(kind: tuple[str, str, dict[str, str]], role: str | None) -> ComputeResult:
    provider, category, configuration = kind
    pipeline = {
        "name": "web",
        "roleArn": SERVICE_ROLE,
        "artifactStore": {"type": "S3", "location": "artifacts"},
        "stages": [
            {
                "name": "Source",
                "actions": [
                    {
                        "name": "Source",
                        "actionTypeId": {
                            "category": "Source",
                            "owner": "AWS",
                            "provider": "CodeCommit",
                            "version": "1",
                        },
                        "configuration": {"RepositoryName": "web", "BranchName": "main"},
                        "outputArtifacts": [{"name": "src"}],
                    }
                ],
            },
            {"name": "Deploy", "actions": [_action(provider, category, configuration, role)]},
        ],
    }
    parsed, _ = parse_pipeline_json({"pipeline": pipeline}, "/pipelines/0")
    context = ComputeContext(account=A, region=REGION)
    return compute_policy([parsed], shipped_profiles(), context=context)


def _resources(result: ComputeResult, role: str | None, action: str) -> set[str]:
    if role is None:
        statements = result.statements
    else:
        (policy,) = [r for r in result.action_roles if r.role_arn == role]
        statements = policy.statements
    return {resource for a, resource in grants_of(statements) if a == action}


CASES = [
    pytest.param(CODEDEPLOY, ROLE_B, "codedeploy:createdeployment", {GROUP.format(account=B)},
                 id="a deployment group of the role's account"),
    pytest.param(CODEDEPLOY, ROLE_A, "codedeploy:createdeployment", {GROUP.format(account=A)},
                 id="a role of the pipeline's account: the pipeline's account"),
    pytest.param(CODEDEPLOY, None, "codedeploy:createdeployment", {GROUP.format(account=A)},
                 id="no role of its own: the service role, in the pipeline's account"),
    pytest.param(CODEDEPLOY, UNKNOWN_ROLE, "codedeploy:createdeployment",
                 {GROUP.format(account="*")}, id="a role not known: any account"),
    pytest.param(STACK_ROLE_BY_NAME, ROLE_B, "cloudformation:createstack",
                 {STACK.format(account=B)}, id="a stack of the role's account"),
    pytest.param(STACK_ROLE_BY_NAME, ROLE_B, "iam:passrole", {f"arn:aws:iam::{B}:role/StackRole"},
                 id="a stack role named by name is the role's account's"),
    pytest.param(FUNCTION_BY_NAME, ROLE_B, "lambda:invokefunction",
                 {f"arn:aws:lambda:{REGION}:{B}:function:smoke"},
                 id="a function named by name is the role's account's"),
    pytest.param(FUNCTION_BY_ARN, ROLE_B, "lambda:invokefunction", {FUNCTION_C},
                 id="a function named by ARN stays where its ARN says"),
]  # fmt: skip


@pytest.mark.parametrize(("kind", "role", "action", "expected"), CASES)
def test_names_resolve_in_the_account_of_the_role_the_action_runs_as(
    kind: tuple[str, str, dict[str, str]], role: str | None, action: str, expected: set[str]
) -> None:
    assert _resources(_compute(kind, role), role, action) == expected


def test_a_role_whose_account_is_not_known_is_said_at_its_roleArn() -> None:
    result = _compute(CODEDEPLOY, UNKNOWN_ROLE)
    unknown = [f for f in result.findings if f.code == "UNKNOWN_ACCOUNT"]
    assert [(f.finding_type.value, f.path) for f in unknown] == [
        ("WARNING", "/pipelines/0/pipeline/stages/1/actions/0/roleArn")
    ]
    # The artifacts it reads are still the pipeline's, in the pipeline's account.
    (policy,) = result.action_roles
    conditions = [s.condition for s in policy.statements if s.actions[0].startswith("s3:")]
    assert conditions
    assert all(c == {"StringEquals": {"aws:ResourceAccount": A}} for c in conditions)


def test_a_role_of_a_known_account_adds_no_finding() -> None:
    assert not [f for f in _compute(CODEDEPLOY, ROLE_B).findings if f.code == "UNKNOWN_ACCOUNT"]
