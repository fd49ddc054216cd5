"""The condition keys a request determines, and evaluation with keys whose value is unknown."""

from __future__ import annotations

from typing import Any

import pytest

from app.engine.iam.analysis.evaluate import evaluate_request
from app.engine.iam.conditions.request_context import derive_request_context
from app.engine.iam.policy.view import read_policies

ACCOUNT = "111122223333"
PROJECT = f"arn:aws:codebuild:eu-west-2:{ACCOUNT}:project/web"
BUCKET = "arn:aws:s3:::artifacts"
OBJECT = "arn:aws:s3:::artifacts/web/build.zip"
RA = "aws:ResourceAccount"

DERIVATIONS: list[tuple[str, str, dict[str, Any], dict[str, str], list[str]]] = [
    # (case, resource, given context, derived key → value, keys left unknown)
    ("account of a regional ARN", PROJECT, {}, {RA: ACCOUNT}, []),
    ("account of an IAM ARN", f"arn:aws:iam::{ACCOUNT}:role/task", {}, {RA: ACCOUNT}, []),
    ("other partition", f"arn:aws-cn:ecr:cn-north-1:{ACCOUNT}:repository/r", {}, {RA: ACCOUNT}, []),
    ("S3 bucket: no account", BUCKET, {}, {}, [RA]),
    ("S3 object: no account", OBJECT, {}, {}, [RA]),
    ("AWS managed policy: `aws` is no account ID", "arn:aws:iam::aws:policy/P", {}, {}, [RA]),
    ("wildcard account", "arn:aws:codebuild:eu-west-2:*:project/web", {}, {}, [RA]),
    ("no resource", "*", {}, {}, []),
    ("not an ARN", "my-bucket", {}, {}, []),
    ("caller's value wins", PROJECT, {RA: "444455556666"}, {}, []),
    ("caller's spelling of the key is its own", PROJECT, {"AWS:resourceaccount": "4"}, {}, []),
    ("caller's empty list: the request without the key", BUCKET, {RA: []}, {}, []),
    ("other keys are kept", PROJECT, {"aws:SourceVpc": "vpc-1"}, {RA: ACCOUNT}, []),
]


@pytest.mark.parametrize(
    ("resource", "given", "derived", "unknown"),
    [row[1:] for row in DERIVATIONS],
    ids=[row[0] for row in DERIVATIONS],
)
def test_derivation(
    resource: str, given: dict[str, Any], derived: dict[str, str], unknown: list[str]
) -> None:
    context = derive_request_context(resource, given)
    assert {d.key: d.value for d in context.derived} == derived
    assert all(d.source == "resource" for d in context.derived)
    assert [u.key for u in context.unknown] == unknown
    assert context.unknown_keys == {k.lower() for k in unknown}
    assert dict(context.values) == {**given, **derived}


def test_unknown_account_says_why() -> None:
    (unknown,) = derive_request_context(BUCKET, {}).unknown
    assert "names no account" in unknown.reason
    assert "`context`" in unknown.reason


# -- evaluation with a key whose value is unknown ----------------------------------------------

A, ID, DENY = "allowed", "implicitly_denied", "explicitly_denied"


def _allow(
    condition: dict[str, Any] | None, resource: str = "arn:aws:s3:::artifacts*"
) -> dict[str, Any]:
    stmt: dict[str, Any] = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": resource}
    if condition is not None:
        stmt["Condition"] = condition
    return stmt


def _deny(condition: dict[str, Any]) -> dict[str, Any]:
    return {"Effect": "Deny", "Action": "s3:*", "Resource": "*", "Condition": condition}


UNKNOWN_CASES: list[tuple[str, list[dict[str, Any]], dict[str, Any], str, bool]] = [
    # (case, statements, given context, decision, definite) with aws:ResourceAccount unknown
    ("no condition", [_allow(None)], {}, A, True),
    ("StringEquals", [_allow({"StringEquals": {RA: ACCOUNT}})], {}, ID, False),
    ("StringEqualsIfExists", [_allow({"StringEqualsIfExists": {RA: ACCOUNT}})], {}, ID, False),
    ("StringNotEquals", [_allow({"StringNotEquals": {RA: ACCOUNT}})], {}, ID, False),
    ("ForAnyValue", [_allow({"ForAnyValue:StringEquals": {RA: ACCOUNT}})], {}, ID, False),
    ("Null true: the key is there", [_allow({"Null": {RA: "true"}})], {}, ID, True),
    ("Null false: the key is there", [_allow({"Null": {RA: "false"}})], {}, A, True),
    ("upper case", [_allow({"StringEquals": {"AWS:RESOURCEACCOUNT": "1"}})], {}, ID, False),
    ("given by the caller", [_allow({"StringEquals": {RA: ACCOUNT}})], {RA: ACCOUNT}, A, True),
    ("given as absent", [_allow({"StringEqualsIfExists": {RA: "1"}})], {RA: []}, A, True),
    (
        "an undecided Deny leaves an Allow not definite",
        [_allow(None), _deny({"StringNotEquals": {RA: ACCOUNT}})],
        {},
        A,
        False,
    ),
    (
        "a decided Deny stands",
        [_allow(None), _deny({"Bool": {"aws:SecureTransport": "false"}})],
        {"aws:SecureTransport": "false"},
        DENY,
        True,
    ),
    (
        "a variable naming the key",
        [_allow({"StringEquals": {"aws:PrincipalAccount": "${aws:ResourceAccount}"}})],
        {"aws:PrincipalAccount": ACCOUNT},
        ID,
        False,
    ),
    (
        "its default does not stand in: the request has the key",
        [_allow({"StringEquals": {"aws:PrincipalAccount": "${aws:ResourceAccount, '1'}"}})],
        {"aws:PrincipalAccount": "1"},
        ID,
        False,
    ),
    (
        "another value settles the test",
        [_allow({"StringEquals": {"aws:PrincipalAccount": ["${aws:ResourceAccount}", ACCOUNT]}})],
        {"aws:PrincipalAccount": ACCOUNT},
        A,
        True,
    ),
    (
        "a Resource variable naming the key",
        [_allow(None, resource="arn:aws:s3:::${aws:ResourceAccount}*")],
        {},
        ID,
        False,
    ),
    (
        "another Resource pattern settles it",
        [{**_allow(None), "Resource": ["arn:aws:s3:::${aws:ResourceAccount}", "arn:aws:s3:::*"]}],
        {},
        A,
        True,
    ),
    (
        "a NotResource variable naming the key",
        [{**_allow(None), "NotResource": "arn:aws:s3:::${aws:ResourceAccount}", "Resource": None}],
        {},
        ID,
        False,
    ),
    (
        "an unknown resource with a failing condition does not apply",
        [_allow({"Bool": {"aws:SecureTransport": "true"}}, "arn:aws:s3:::${aws:ResourceAccount}")],
        {"aws:SecureTransport": "false"},
        ID,
        True,
    ),
]


@pytest.mark.parametrize(
    ("statements", "given", "decision", "definite"),
    [row[1:] for row in UNKNOWN_CASES],
    ids=[row[0] for row in UNKNOWN_CASES],
)
def test_evaluation_with_the_account_unknown(
    statements: list[dict[str, Any]], given: dict[str, Any], decision: str, definite: bool
) -> None:
    cleaned = [{k: v for k, v in s.items() if v is not None} for s in statements]
    view = read_policies([{"Version": "2012-10-17", "Statement": cleaned}], pointer="")
    got = evaluate_request(
        view.statements, "s3:GetObject", OBJECT, given, unknown_keys=frozenset({RA.lower()})
    )
    assert (got.decision, got.definite) == (decision, definite)


def test_unknown_key_is_neither_missing_nor_failed_but_undecided() -> None:
    view = read_policies(
        [{"Version": "2012-10-17", "Statement": [_allow({"StringEquals": {RA: ACCOUNT}})]}],
        pointer="",
    )
    got = evaluate_request(
        view.statements, "s3:GetObject", OBJECT, {}, unknown_keys=frozenset({RA.lower()})
    )
    assert got.missing_keys == ()
    (undecided,) = got.undecided
    assert undecided.unknown_conditions == (("StringEquals", RA),)
    assert undecided.failed_conditions == ()
    # the same request with the key absent is a definite implicit deny that names the key
    absent = evaluate_request(view.statements, "s3:GetObject", OBJECT, {})
    assert (absent.decision, absent.definite, absent.missing_keys) == (ID, True, (RA,))
