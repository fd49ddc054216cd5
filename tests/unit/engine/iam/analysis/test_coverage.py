"""Coverage of one requirement: the statement action index and facts from a requirement."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.engine.iam.analysis.coverage import Coverage, StatementsByAction, check_requirement
from app.engine.iam.conditions.facts import facts_from_condition
from app.engine.iam.patterns.glob import glob_match
from app.engine.iam.policy.view import read_policies
from tests.hypothesis_profiles import examples

ACTIONS = ["s3:GetObject", "s3:PutObject", "S3:ListBucket", "ec2:RunInstances", "iam:PassRole",
           "codebuild:StartBuild", "sts:AssumeRole", "s3express:CreateSession"]  # fmt: skip
PATTERNS = [*ACTIONS, "s3:Get*", "s3:*", "*", "s3*:*", "*:Get*", "ec2:?unInstances", "i?m:*",
            "code*:Start*", "S3:PUT*", "nosuch:*", "s3:GetObject$"]  # fmt: skip


def _statements(entries: list[tuple[bool, list[str]]]) -> Any:
    doc = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", ("NotAction" if negated else "Action"): actions, "Resource": "*"}
            for negated, actions in entries
        ],
    }
    return read_policies([doc], pointer="").statements


@pytest.mark.parametrize(
    ("actions", "asked", "hit"),
    [
        (["s3:GetObject"], "S3:getobject", True),
        (["s3:Get*"], "s3:GetObjectAcl", True),
        (["s3:Get*"], "s3express:GetObject", False),
        (["s3*:*"], "s3express:CreateSession", True),
        (["*"], "anything:AtAll", True),
        (["*:Get*"], "ec2:GetConsoleOutput", True),
        (["ec2:?unInstances"], "ec2:RunInstances", True),
        (["ec2:?unInstances"], "ec2:RRunInstances", False),
        (["iam:PassRole"], "iam:PassRoles", False),
    ],
)
def test_action_index(actions: list[str], asked: str, hit: bool) -> None:
    (stmt,) = _statements([(False, actions)])
    assert stmt.matches_action(asked) is hit
    (negated,) = _statements([(True, actions)])
    assert negated.matches_action(asked) is not hit


@settings(max_examples=examples(200), deadline=None)
@given(
    st.lists(
        st.tuples(st.booleans(), st.lists(st.sampled_from(PATTERNS), min_size=1, max_size=4)),
        min_size=1,
        max_size=6,
    ),
    st.sampled_from(ACTIONS),
)
def test_property_statements_by_action_equals_a_scan(
    entries: list[tuple[bool, list[str]]], action: str
) -> None:
    statements = _statements(entries)
    expected = tuple(
        s
        for s, (negated, patterns) in zip(statements, entries, strict=True)
        if any(glob_match(p, action, ignore_case=True, variables=False) for p in patterns)
        != negated
    )
    index = StatementsByAction(statements)
    assert index.matching(action) == expected
    assert index.matching(action.upper()) == expected  # memoised case-insensitively


PASS_ROLE_TO_ECS = {"StringLike": {"iam:PassedToService": "ecs*.amazonaws.com"}}


@pytest.mark.parametrize(
    ("policy_condition", "coverage"),
    [
        # The requirement's own test, repeated by the policy, holds for all its requests.
        (PASS_ROLE_TO_ECS, Coverage.GRANTED),
        # Requests to `ecs.amazonaws.com` fail this one: it holds for some of them only.
        ({"StringLike": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}}, Coverage.CONDITIONAL),
    ],
)
def test_a_requirement_condition_repeated_by_the_policy_is_granted(
    policy_condition: dict[str, Any], coverage: Coverage
) -> None:
    doc = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "iam:PassRole",
                "Resource": "arn:aws:iam::111111111111:role/*",
                "Condition": policy_condition,
            }
        ],
    }
    statements = read_policies([doc], pointer="").statements
    result = check_requirement(
        "iam:PassRole",
        "arn:aws:iam::111111111111:role/app",
        facts_from_condition(PASS_ROLE_TO_ECS),
        statements,
    )
    assert result.coverage is coverage


@pytest.mark.parametrize(
    ("version", "coverage"), [(None, Coverage.CONDITIONAL), ("2008-10-17", Coverage.CONDITIONAL)]
)
def test_a_repeated_test_with_a_variable_is_not_taken_as_the_same_test(
    version: str | None, coverage: Coverage
) -> None:
    # `${aws:username}` is a variable in the requirement (2012-10-17) and literal text in a
    # policy without that version: the same text, a different test.
    owner = {"StringEquals": {"aws:ResourceTag/owner": "${aws:username}"}}
    doc: dict[str, Any] = {
        "Statement": [
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*", "Condition": owner}
        ]
    }
    if version is not None:
        doc["Version"] = version
    result = check_requirement(
        "s3:GetObject",
        "arn:aws:s3:::bucket/key",
        facts_from_condition(owner),
        read_policies([doc], pointer="").statements,
    )
    assert result.coverage is coverage
