"""Request evaluation: a conformance table, and agreement with the diff engine's coverage."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.engine.iam.analysis.coverage import Coverage, check_requirement
from app.engine.iam.analysis.evaluate import evaluate_request
from app.engine.iam.conditions.facts import KeyFact
from app.engine.iam.policy.view import read_policies
from tests.hypothesis_profiles import examples

BUCKET_OBJ = "arn:aws:s3:::b/x"


def _policy(*statements: dict[str, Any], version: str = "2012-10-17") -> dict[str, Any]:
    return {"Version": version, "Statement": list(statements)}


def _allow(condition: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    stmt: dict[str, Any] = {
        "Effect": "Allow",
        "Action": "s3:GetObject",
        "Resource": "arn:aws:s3:::b/*",
    }
    stmt.update(extra)
    if condition is not None:
        stmt["Condition"] = condition
    return stmt


def _decide(
    policy: dict[str, Any] | list[dict[str, Any]],
    action: str = "s3:GetObject",
    resource: str = BUCKET_OBJ,
    **context: Any,
) -> str:
    docs = policy if isinstance(policy, list) else [policy]
    view = read_policies(docs, pointer="")
    versions = {i: d.version == "2012-10-17" for i, d in enumerate(view.parsed.documents)}
    ctx = {k.replace("__", ":").replace("_", "/"): v for k, v in context.items()}
    return evaluate_request(
        view.statements, action, resource, ctx, policy_variables=versions
    ).decision


A, ID, DENY = "allowed", "implicitly_denied", "explicitly_denied"
SRC = {"aws:SourceVpc": "vpc-1"}
# The worked example of the condition-operators page: `*` crosses colons only under StringLike.
DOC_ARN = "arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt"

CONFORMANCE: list[tuple[str, dict[str, Any] | None, dict[str, Any], str]] = [
    # (case, condition, context, decision)
    ("no condition", None, {}, A),
    ("StringEquals present match", {"StringEquals": SRC}, {"aws__SourceVpc": "vpc-1"}, A),
    ("StringEquals present other", {"StringEquals": SRC}, {"aws__SourceVpc": "vpc-2"}, ID),
    ("StringEquals absent", {"StringEquals": SRC}, {}, ID),
    ("StringEquals case-sensitive value", {"StringEquals": SRC}, {"aws__SourceVpc": "VPC-1"}, ID),
    ("StringEqualsIgnoreCase", {"StringEqualsIgnoreCase": SRC}, {"aws__SourceVpc": "VPC-1"}, A),
    (
        "key name case-insensitive",
        {"StringEquals": {"AWS:SOURCEVPC": "vpc-1"}},
        {"aws__sourcevpc": "vpc-1"},
        A,
    ),
    ("StringEqualsIfExists absent", {"StringEqualsIfExists": SRC}, {}, A),
    ("StringEqualsIfExists other", {"StringEqualsIfExists": SRC}, {"aws__SourceVpc": "x"}, ID),
    ("StringNotEquals absent", {"StringNotEquals": SRC}, {}, A),
    ("StringNotEquals other", {"StringNotEquals": SRC}, {"aws__SourceVpc": "vpc-2"}, A),
    ("StringNotEquals same", {"StringNotEquals": SRC}, {"aws__SourceVpc": "vpc-1"}, ID),
    ("StringLike glob", {"StringLike": {"aws:SourceVpc": "vpc-*"}}, {"aws__SourceVpc": "vpc-9"}, A),
    (
        "StringLike ? one char",
        {"StringLike": {"aws:SourceVpc": "vpc-?"}},
        {"aws__SourceVpc": "vpc-10"},
        ID,
    ),
    (
        "StringLike [ literal",
        {"StringLike": {"aws:SourceVpc": "vpc-[1]"}},
        {"aws__SourceVpc": "vpc-1"},
        ID,
    ),
    ("StringNotLike absent is true", {"StringNotLike": {"aws:SourceVpc": "vpc-*"}}, {}, A),
    (
        "StringEquals * literal",
        {"StringEquals": {"aws:SourceVpc": "*"}},
        {"aws__SourceVpc": "vpc-1"},
        ID,
    ),
    ("NumericLessThan", {"NumericLessThan": {"s3:max-keys": "10"}}, {"s3__max-keys": "9"}, A),
    (
        "NumericLessThan equal",
        {"NumericLessThan": {"s3:max-keys": "10"}},
        {"s3__max-keys": "10"},
        ID,
    ),
    (
        "NumericGreaterThanEquals",
        {"NumericGreaterThanEquals": {"s3:max-keys": "10"}},
        {"s3__max-keys": "10"},
        A,
    ),
    (
        "DateLessThan ISO",
        {"DateLessThan": {"aws:CurrentTime": "2030-01-01T00:00:00Z"}},
        {"aws__CurrentTime": "2026-11-28T00:00:00Z"},
        A,
    ),
    (
        "DateGreaterThan epoch",
        {"DateGreaterThan": {"aws:EpochTime": "1700000000"}},
        {"aws__EpochTime": "1600000000"},
        ID,
    ),
    ("Bool true", {"Bool": {"aws:SecureTransport": "true"}}, {"aws__SecureTransport": "true"}, A),
    (
        "Bool false request",
        {"Bool": {"aws:SecureTransport": "true"}},
        {"aws__SecureTransport": "false"},
        ID,
    ),
    ("BoolIfExists absent", {"BoolIfExists": {"aws:MultiFactorAuthPresent": "true"}}, {}, A),
    (
        "IpAddress in",
        {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}},
        {"aws__SourceIp": "10.1.2.3"},
        A,
    ),
    (
        "IpAddress out",
        {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}},
        {"aws__SourceIp": "192.168.0.1"},
        ID,
    ),
    ("NotIpAddress absent", {"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}}, {}, A),
    (
        "IpAddress v6",
        {"IpAddress": {"aws:SourceIp": "2001:db8::/32"}},
        {"aws__SourceIp": "2001:db8::1"},
        A,
    ),
    (
        "ArnLike",
        {"ArnLike": {"aws:SourceArn": "arn:aws:sns:*:111122223333:*"}},
        {"aws__SourceArn": "arn:aws:sns:eu-west-1:111122223333:t"},
        A,
    ),
    (
        "ArnLike per segment",
        {"ArnLike": {"aws:SourceArn": "arn:aws:someservice:*:111122223333:finance/*"}},
        {"aws__SourceArn": DOC_ARN},
        ID,
    ),
    (
        "StringLike crosses colons",
        {"StringLike": {"aws:SourceArn": "arn:aws:someservice:*:111122223333:finance/*"}},
        {"aws__SourceArn": DOC_ARN},
        A,
    ),
    ("ArnNotLike absent", {"ArnNotLike": {"aws:SourceArn": "arn:aws:sns:*:*:*"}}, {}, A),
    ("Null true absent", {"Null": {"aws:TokenIssueTime": "true"}}, {}, A),
    (
        "Null true present",
        {"Null": {"aws:TokenIssueTime": "true"}},
        {"aws__TokenIssueTime": "x"},
        ID,
    ),
    (
        "Null false present",
        {"Null": {"aws:TokenIssueTime": "false"}},
        {"aws__TokenIssueTime": "x"},
        A,
    ),
    (
        "ForAnyValue some",
        {"ForAnyValue:StringEquals": {"aws:TagKeys": ["a", "b"]}},
        {"aws__TagKeys": ["z", "b"]},
        A,
    ),
    ("ForAnyValue absent", {"ForAnyValue:StringEquals": {"aws:TagKeys": ["a"]}}, {}, ID),
    (
        "ForAllValues all",
        {"ForAllValues:StringEquals": {"aws:TagKeys": ["a", "b"]}},
        {"aws__TagKeys": ["a", "b"]},
        A,
    ),
    (
        "ForAllValues one outside",
        {"ForAllValues:StringEquals": {"aws:TagKeys": ["a"]}},
        {"aws__TagKeys": ["a", "z"]},
        ID,
    ),
    ("ForAllValues absent is true", {"ForAllValues:StringEquals": {"aws:TagKeys": ["a"]}}, {}, A),
    (
        "two keys AND",
        {"StringEquals": {"aws:SourceVpc": "vpc-1", "aws:PrincipalAccount": "1"}},
        {"aws__SourceVpc": "vpc-1"},
        ID,
    ),
    (
        "values OR",
        {"StringEquals": {"aws:SourceVpc": ["vpc-1", "vpc-2"]}},
        {"aws__SourceVpc": "vpc-2"},
        A,
    ),
    (
        "variable in condition",
        {"StringEquals": {"aws:SourceVpc": "${aws:PrincipalTag/vpc}"}},
        {"aws__SourceVpc": "vpc-7", "aws__PrincipalTag_vpc": "vpc-7"},
        A,
    ),
]


@pytest.mark.parametrize(
    ("case", "condition", "context", "decision"), CONFORMANCE, ids=[c[0] for c in CONFORMANCE]
)
def test_condition_conformance(
    case: str, condition: dict[str, Any] | None, context: dict[str, Any], decision: str
) -> None:
    assert _decide(_policy(_allow(condition)), **context) == decision


def test_explicit_deny_wins_over_allow() -> None:
    policy = _policy(_allow(), {"Effect": "Deny", "Action": "s3:*", "Resource": "*"})
    assert _decide(policy) == DENY


def test_deny_with_unmet_condition_does_not_deny() -> None:
    deny = {
        "Effect": "Deny",
        "Action": "s3:*",
        "Resource": "*",
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }
    assert _decide(_policy(_allow(), deny), aws__SecureTransport="true") == A


def test_not_action_allows_everything_but_the_listed() -> None:
    policy = _policy({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"})
    assert _decide(policy, action="s3:GetObject") == A
    assert _decide(policy, action="iam:CreateUser", resource="*") == ID


def test_not_action_with_bucket_resource_does_not_cover_star_actions() -> None:
    policy = _policy(
        {"Effect": "Allow", "NotAction": "s3:DeleteBucket", "Resource": "arn:aws:s3:::*"}
    )
    assert _decide(policy, action="s3:ListAllMyBuckets", resource="*") == ID


def test_not_resource_with_two_entries_excludes_both() -> None:
    policy = _policy(
        {
            "Effect": "Allow",
            "Action": "s3:GetObject",
            "NotResource": ["arn:aws:s3:::keep/*", "arn:aws:s3:::also/*"],
        }
    )
    assert _decide(policy, resource="arn:aws:s3:::keep/file") == ID
    assert _decide(policy, resource="arn:aws:s3:::also/file") == ID
    assert _decide(policy, resource="arn:aws:s3:::other/file") == A


def test_several_documents_combine() -> None:
    allow = _policy(_allow())
    deny = _policy({"Effect": "Deny", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/x"})
    assert _decide([allow, deny]) == DENY
    assert _decide([allow, deny], resource="arn:aws:s3:::b/y") == A


@pytest.mark.parametrize(
    ("resource", "user", "decision"),
    [
        ("arn:aws:s3:::home/alice/f", "alice", A),
        ("arn:aws:s3:::home/alice/f", "bob", ID),
        ("arn:aws:s3:::home/a*/f", "a*", A),
        ("arn:aws:s3:::home/ab/f", "a*", ID),
    ],
)
def test_policy_variable_in_resource(resource: str, user: str, decision: str) -> None:
    policy = _policy(
        {
            "Effect": "Allow",
            "Action": "s3:GetObject",
            "Resource": "arn:aws:s3:::home/${aws:username}/*",
        }
    )
    assert _decide(policy, resource=resource, aws__username=user) == decision


def test_unresolved_variable_matches_nothing() -> None:
    policy = _policy(
        {
            "Effect": "Allow",
            "Action": "s3:GetObject",
            "Resource": "arn:aws:s3:::home/${aws:username}/*",
        }
    )
    assert _decide(policy, resource="arn:aws:s3:::home/x/f") == ID


def test_variables_are_literal_in_a_2008_policy() -> None:
    policy = _policy(
        {
            "Effect": "Allow",
            "Action": "s3:GetObject",
            "Resource": "arn:aws:s3:::home/${aws:username}/*",
        },
        version="2008-10-17",
    )
    assert _decide(policy, resource="arn:aws:s3:::home/${aws:username}/f", aws__username="x") == A


def test_action_names_are_case_insensitive_and_arns_are_not() -> None:
    policy = _policy(_allow())
    assert _decide(policy, action="S3:getobject") == A
    assert _decide(policy, resource="arn:aws:s3:::B/x") == ID


def test_missing_key_that_would_change_the_answer_is_named() -> None:
    view = read_policies([_policy(_allow({"StringEquals": SRC}))], pointer="")
    decision = evaluate_request(view.statements, "s3:GetObject", BUCKET_OBJ, {})
    assert decision.decision == ID
    assert decision.missing_keys == ("aws:SourceVpc",)
    assert decision.not_applied[0].reason == "condition"


# -- agreement with the diff engine ------------------------------------------------------------

ACTIONS = ["s3:GetObject", "s3:PutObject", "s3:ListBucket", "ec2:RunInstances"]
ACTION_PATTERNS = ["s3:GetObject", "s3:Get*", "s3:*", "*", "s3:?utObject", "ec2:*", "s3:ListBucket"]
RESOURCES = ["arn:aws:s3:::a/x", "arn:aws:s3:::a/y:z", "arn:aws:s3:::b/x", "arn:aws:s3:::a", "*"]
RESOURCE_PATTERNS = [
    "arn:aws:s3:::a/*",
    "arn:aws:s3:::a/x",
    "*",
    "arn:aws:s3:::?/x",
    "arn:aws:s3:::b/*",
    "arn:aws:s3:::a*",
]
CONDITIONS: list[dict[str, Any] | None] = [
    None,
    {"StringEquals": {"aws:ResourceAccount": "1"}},
    {"StringEqualsIfExists": {"aws:ResourceAccount": "1"}},
    {"StringNotEquals": {"aws:ResourceAccount": "2"}},
    {"StringLike": {"aws:ResourceAccount": "1*"}},
    {"Null": {"aws:ResourceAccount": "true"}},
]


@st.composite
def statements(draw: st.DrawFn) -> dict[str, Any]:
    stmt: dict[str, Any] = {"Effect": draw(st.sampled_from(["Allow", "Allow", "Deny"]))}
    actions = draw(st.lists(st.sampled_from(ACTION_PATTERNS), min_size=1, max_size=3))
    stmt["NotAction" if draw(st.booleans()) and draw(st.booleans()) else "Action"] = actions
    resources = draw(st.lists(st.sampled_from(RESOURCE_PATTERNS), min_size=1, max_size=3))
    stmt["NotResource" if draw(st.booleans()) and draw(st.booleans()) else "Resource"] = resources
    condition = draw(st.sampled_from(CONDITIONS))
    if condition is not None:
        stmt["Condition"] = condition
    return stmt


@settings(max_examples=examples(250), deadline=None)
@given(
    policy=st.lists(statements(), min_size=1, max_size=4),
    requests=st.lists(
        st.tuples(
            st.sampled_from(ACTIONS),
            st.sampled_from(RESOURCES),
            st.sampled_from([None, "1", "2", "11"]),
        ),
        min_size=40,
        max_size=40,
    ),
)
def test_evaluate_agrees_with_diff_coverage(
    policy: list[dict[str, Any]], requests: list[tuple[str, str, str | None]]
) -> None:
    """Allowed exactly when the diff engine finds the one-request requirement granted."""
    view = read_policies([_policy(*policy)], pointer="")
    for action, resource, account in requests:
        context = {} if account is None else {"aws:ResourceAccount": account}
        decision = evaluate_request(view.statements, action, resource, context)
        facts = {
            "aws:resourceaccount": KeyFact(
                values=frozenset() if account is None else frozenset({account}),
                may_be_absent=account is None,
            )
        }
        coverage = check_requirement(action, resource, facts, view.statements).coverage
        assert decision.definite
        assert (decision.decision == A) == (coverage is Coverage.GRANTED), (
            policy,
            action,
            resource,
            account,
        )
        assert (decision.decision == DENY) == (coverage is Coverage.DENIED), (
            policy,
            action,
            resource,
            account,
        )
