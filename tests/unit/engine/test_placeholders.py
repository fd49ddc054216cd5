"""Templates, filters and widening, table-driven."""

from __future__ import annotations

import pytest

from app.engine.errors import ProfileDefinitionError
from app.engine.placeholders import KnownValues, parse_template, render

SCOPE = KnownValues(
    partition="aws",
    account="111122223333",
    region="eu-west-2",
    pipeline_name="web",
    configuration={
        "FunctionName": "deployer",
        "Qualified": "deployer:live",
        "Partial": "444455556666:function:other",
        "FnArn": "arn:aws:lambda:us-east-1:444455556666:function:x",
        "Role": "cfn-role",
        "RoleArn": "arn:aws:iam::444455556666:role/cfn",
        "Alarms": "a1, a2,,",
        "Conn": "arn:aws:codestar-connections:eu-west-2:111122223333:connection/abc",
        "Runtime": "proj-#{SourceVariables.BranchName}",
        "Masked": "****",
        "StateMachineArn": "arn:aws:states:eu-west-2:111122223333:stateMachine:flow",
    },
    hints={"pass_roles": ["task", "arn:aws:iam::111122223333:role/exec"]},
    artifact_buckets=["b1", "b2"],
    secret_variables=[
        "db-password",
        "arn:aws:secretsmanager:eu-west-2:111122223333:secret:x-AbCdEf",
    ],
)


@pytest.mark.parametrize(
    ("template", "expected", "widened"),
    [
        (
            "arn:${partition}:codebuild:${region}:${account}:project/x",
            ["arn:aws:codebuild:eu-west-2:111122223333:project/x"],
            [],
        ),
        (
            "${config.FunctionName|lambda_function_arn}",
            ["arn:aws:lambda:eu-west-2:111122223333:function:deployer"],
            [],
        ),
        (
            "${config.Qualified|lambda_function_arn}",
            ["arn:aws:lambda:eu-west-2:111122223333:function:deployer:live"],
            [],
        ),
        (
            "${config.Partial|lambda_function_arn}",
            ["arn:aws:lambda:eu-west-2:444455556666:function:other"],
            [],
        ),
        (
            "${config.FnArn|lambda_function_arn}",
            ["arn:aws:lambda:us-east-1:444455556666:function:x"],
            [],
        ),
        ("${config.Role|iam_role_arn}", ["arn:aws:iam::111122223333:role/cfn-role"], []),
        ("${config.RoleArn|iam_role_arn}", ["arn:aws:iam::444455556666:role/cfn"], []),
        ("x:${config.Alarms|split_comma}", ["x:a1", "x:a2"], []),
        (
            "${config.Conn|connection_arns}",
            [
                "arn:aws:codeconnections:eu-west-2:111122223333:connection/abc",
                "arn:aws:codestar-connections:eu-west-2:111122223333:connection/abc",
            ],
            [],
        ),
        ("execution:${config.StateMachineArn|arn_resource_name}:*", ["execution:flow:*"], []),
        ("project/${config.Runtime}", ["project/proj-*"], ["UNRESOLVED_VARIABLE"]),
        ("x/${config.Masked}", ["x/*"], ["MASKED_VALUE"]),
        ("x/${config.Absent}", ["x/*"], ["MISSING_CONFIGURATION"]),
        ("arn:aws:s3:::${artifact.buckets}/*", ["arn:aws:s3:::b1/*", "arn:aws:s3:::b2/*"], []),
        (
            "${hint.pass_roles|iam_role_arn}",
            ["arn:aws:iam::111122223333:role/exec", "arn:aws:iam::111122223333:role/task"],
            [],
        ),
        (
            "${action.secret_variables|secret_arn}",
            [
                "arn:aws:secretsmanager:eu-west-2:111122223333:secret:db-password-??????",
                "arn:aws:secretsmanager:eu-west-2:111122223333:secret:x-AbCdEf",
            ],
            [],
        ),
        (
            "log-group:/aws/codepipeline/${pipeline.name}:*",
            ["log-group:/aws/codepipeline/web:*"],
            [],
        ),
    ],
)
def test_render(template: str, expected: list[str], widened: list[str]) -> None:
    values, widenings = render(parse_template(template), SCOPE)
    assert values == sorted(expected)
    assert [w.code for w in widenings] == widened


def test_unknown_account_and_region_widen_their_segment_only() -> None:
    scope = KnownValues(partition="aws", account=None, region=None, pipeline_name="p")
    values, widenings = render(
        parse_template("arn:${partition}:sns:${region}:${account}:topic"), scope
    )
    assert values == ["arn:aws:sns:*:*:topic"]
    assert {w.code for w in widenings} == {"UNKNOWN_ACCOUNT", "UNKNOWN_REGION"}


def test_empty_list_renders_nothing() -> None:
    scope = KnownValues(partition="aws", account="1", region="r", pipeline_name="p")
    assert render(parse_template("${artifact.kms_keys}"), scope)[0] == []


@pytest.mark.parametrize("bad", ["${nope}", "${config.X|nofilter}", "${config.X", "${}"])
def test_bad_templates_are_refused(bad: str) -> None:
    with pytest.raises(ProfileDefinitionError):
        parse_template(bad)
