"""Condition operators: conformance table per family, block evaluation, validation helpers,
and hypothesis properties (reference §1.2, §1.3, §1.5, §2.2, §3.3)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.engine.iam.conditions.operators import (
    BASE_OPERATORS,
    OPERATOR_NAMES,
    ConditionOperator,
    Family,
    PolicyValue,
    Tri,
    check_value,
    evaluate_block,
    evaluate_condition,
    is_wildcard_in_non_like,
    parse_operator,
    suggest_operator,
)
from tests.hypothesis_profiles import examples

T, F, U = Tri.TRUE, Tri.FALSE, Tri.UNKNOWN
ABSENT = None
NO_VARS: dict[str, str] = {}
BOB = {"aws:username": "bob"}


def op(text: str) -> ConditionOperator:
    parsed = parse_operator(text)
    assert parsed is not None, text
    return parsed


def row(
    operator: str,
    policy: Sequence[PolicyValue],
    request: Sequence[str] | None,
    expected: Tri,
    id: str,
    variables: Mapping[str, str] | None = None,
) -> Any:
    return pytest.param(operator, policy, request, variables, expected, id=id)


# Each row: operator, policy values, request values (None = key absent), expected, variables.
STRING_ROWS = [
    row("StringEquals", ["a"], ["a"], T, "eq-match"),
    row("StringEquals", ["a"], ["A"], F, "eq-case-sensitive"),
    row("StringEquals", ["a", "b"], ["b"], T, "eq-values-ORed"),
    row("StringEquals", ["a"], ABSENT, F, "eq-absent"),
    row("StringEquals", ["a*"], ["abc"], F, "eq-star-is-literal"),
    row("StringEquals", ["a*"], ["a*"], T, "eq-star-literal-match"),
    row("StringEquals", [123], ["123"], T, "eq-number-policy-value"),
    row("StringNotEquals", ["a", "b"], ["a"], F, "ne-matches-one"),
    row("StringNotEquals", ["a", "b"], ["c"], T, "ne-NOR-of-values"),
    row("StringNotEquals", ["a"], ABSENT, T, "ne-absent-true"),
    row("StringEqualsIgnoreCase", ["ABC"], ["abc"], T, "eqic-match"),
    row("StringEqualsIgnoreCase", ["straße"], ["STRASSE"], T, "eqic-casefold"),
    row("StringEqualsIgnoreCase", ["a*"], ["A*"], T, "eqic-star-literal"),
    row("StringNotEqualsIgnoreCase", ["ABC"], ["abc"], F, "neic-match"),
    row("StringNotEqualsIgnoreCase", ["ABC"], ABSENT, T, "neic-absent"),
    row("StringLike", ["marketing/*"], ["marketing/a/b"], T, "like-star-crosses-slash"),
    row("StringLike", ["marketing/*"], ["Marketing/a"], F, "like-case-sensitive"),
    row("StringLike", ["a?c"], ["abc"], T, "like-question-one-char"),
    row("StringLike", ["a?c"], ["ac"], F, "like-question-not-empty"),
    row("StringLike", ["a.b"], ["aXb"], F, "like-dot-literal-moto-bug"),
    row("StringLike", ["b/a+b"], ["b/aab"], F, "like-plus-literal-pmapper-bug"),
    row("StringLike", ["[ab]"], ["a"], F, "like-no-fnmatch-classes"),
    row("StringLike", ["[ab]"], ["[ab]"], T, "like-brackets-literal"),
    row("StringLike", ["*"], [""], T, "like-star-matches-empty"),
    row("StringLike", ["a*a*a*a*a*b"], ["a" * 200], F, "like-no-backtracking-blowup"),
    row("StringLike", ["x:*"], ["x:y:z"], T, "like-star-crosses-colon"),
    row("StringLike", ["x"], ABSENT, F, "like-absent"),
    row("StringNotLike", ["x*"], ABSENT, T, "notlike-absent-true-pmapper-bug"),
    row("StringNotLike", ["x*"], ["xy"], F, "notlike-match"),
    row("StringNotLike", ["x*", "y*"], ["z"], T, "notlike-NOR"),
    row("StringLikeIfExists", ["a*"], ABSENT, T, "likeifexists-absent"),
    row("StringLikeIfExists", ["a*"], ["b"], F, "likeifexists-present-nomatch"),
    row("StringNotEqualsIfExists", ["a"], ABSENT, T, "neifexists-absent"),
    row("StringNotEqualsIfExists", ["a"], ["a"], F, "neifexists-present-match"),
    row("StringEqualsIfExists", ["a"], ["a"], T, "eqifexists-present-match"),
]

VARIABLE_ROWS = [
    row("StringLike", ["${*}"], ["*"], T, "escape-star-literal", NO_VARS),
    row("StringLike", ["${*}"], ["abc"], F, "escape-star-not-wildcard", NO_VARS),
    row("StringLike", ["a${?}"], ["a?"], T, "escape-question-literal"),
    row("StringLike", ["a${?}"], ["ab"], F, "escape-question-not-wildcard"),
    row("StringEquals", ["${$}x"], ["$x"], T, "escape-dollar"),
    row("StringEquals", ["${aws:username}"], ["bob"], T, "var-resolved", BOB),
    row("StringEquals", ["${aws:username}"], ["bob"], T, "var-key-case", {"AWS:UserName": "bob"}),
    row("StringEquals", ["${AWS:USERNAME}"], ["bob"], T, "var-ref-case", BOB),
    row("StringEquals", ["${aws:username}"], ["bob"], F, "var-no-value-positive", NO_VARS),
    row("StringEquals", ["${aws:username}"], ["bob"], U, "var-variables-unknown", None),
    row("StringEquals", ["${aws:username}", "bob"], ["bob"], T, "var-unknown-or-true", None),
    row("StringLike", ["home/${aws:username}/*"], ["home/bob/x"], T, "var-in-like", BOB),
    row("StringLike", ["home/${aws:username}/*"], ["home/eve/x"], F, "var-in-like-no", BOB),
    row(
        "StringLike",
        ["${aws:username}"],
        ["bob"],
        F,
        "var-value-is-literal",
        {"aws:username": "b*"},
    ),
    row("StringEquals", ["${aws:PrincipalTag/team, 'all'}"], ["all"], T, "var-default", NO_VARS),
    row(
        "StringEquals",
        ["${aws:PrincipalTag/team, 'all'}"],
        ["red"],
        T,
        "var-default-unused",
        {"aws:principaltag/team": "red"},
    ),
    row("StringNotEquals", ["${aws:username}"], ["bob"], U, "var-no-value-negated", NO_VARS),
    row("StringNotEquals", ["${aws:username}", "x"], ["x"], F, "var-negated-other-hit", NO_VARS),
    row("StringNotEquals", ["${aws:username}"], ["eve"], T, "var-negated-resolved", BOB),
    row("StringEquals", ["${aws:username"], ["bob"], U, "var-malformed-unterminated", BOB),
    row("StringEquals", ["${}"], ["bob"], U, "var-malformed-empty", BOB),
    row("StringEqualsIfExists", ["${aws:username}"], ABSENT, T, "var-ifexists-absent", None),
    row("Bool", ["${aws:flag}"], ["true"], T, "bool-var-resolved", {"aws:flag": "TRUE"}),
    row("Bool", ["${aws:flag}"], ["true"], F, "bool-var-no-value", NO_VARS),
]

SET_ROWS = [
    row("ForAnyValue:StringEquals", ["a", "b"], ["c", "a"], T, "any-hit"),
    row("ForAnyValue:StringEquals", ["a"], ["c", "d"], F, "any-miss"),
    row("ForAnyValue:StringEquals", ["a"], ABSENT, F, "any-absent"),
    row("ForAnyValue:StringEquals", ["a"], [], F, "any-empty-set"),
    row("ForAllValues:StringEquals", ["a", "b"], ["a", "b"], T, "all-hit"),
    row("ForAllValues:StringEquals", ["a", "b"], ["a", "c"], F, "all-one-miss"),
    row("ForAllValues:StringEquals", ["a"], ABSENT, T, "all-absent-true"),
    row("ForAllValues:StringEquals", ["a"], [], T, "all-empty-set-true"),
    row("ForAllValues:StringNotEquals", ["a"], ["b", "c"], T, "all-negated-hit"),
    row("ForAllValues:StringNotEquals", ["a"], ["a", "c"], F, "all-negated-miss"),
    row("ForAnyValue:StringNotEquals", ["DataClass", "Owner"], ["Dept", "DataClass"], T, "any-ne"),
    row(
        "ForAnyValue:StringNotEquals", ["DataClass", "Owner"], ["DataClass", "Owner"], F, "any-ne2"
    ),
    row("ForAnyValue:StringNotEquals", ["DataClass"], ABSENT, F, "any-negated-absent"),
    row("ForAllValues:StringLike", ["Owner:*", "State:??"], ["Owner:L", "State:NY"], T, "all-like"),
    row(
        "ForAllValues:StringLike", ["Owner:*", "State:??"], ["Owner:L", "State:NYC"], F, "all-like2"
    ),
    row("ForAnyValue:StringLikeIfExists", ["a*"], ABSENT, F, "any-ifexists-absent"),
    row("ForAllValues:StringEqualsIfExists", ["a"], ABSENT, T, "all-ifexists-absent"),
    row("ForAnyValue:StringEqualsIgnoreCase", ["OWNER"], ["x", "owner"], T, "any-ignorecase"),
    row("StringEquals", ["a"], ["b", "a"], T, "unqualified-multi-positive-any"),
    row("StringNotEquals", ["a"], ["b", "a"], F, "unqualified-multi-negated-none"),
    row("StringNotEquals", ["a"], ["b", "c"], T, "unqualified-multi-negated-true"),
    row("StringEquals", ["a"], [], F, "unqualified-empty-is-absent"),
    row("StringNotEquals", ["a"], [], T, "unqualified-negated-empty"),
]

NUMERIC_ROWS = [
    row("NumericEquals", ["10"], ["10"], T, "num-eq"),
    row("NumericEquals", ["10"], ["10.0"], T, "num-eq-decimal"),
    row("NumericEquals", [10], ["10"], T, "num-int-policy"),
    row("NumericEquals", [2.5], ["2.50"], T, "num-float-policy"),
    row("NumericEquals", ["-1.5"], ["-1.50"], T, "num-negative"),
    row("NumericLessThan", ["10"], ["9"], T, "num-lt"),
    row("NumericLessThan", ["10"], ["10"], F, "num-lt-equal-moto-ignored"),
    row("NumericLessThanEquals", ["10"], ["10"], T, "num-le"),
    row("NumericGreaterThan", ["10"], ["10.5"], T, "num-gt"),
    row("NumericGreaterThanEquals", ["10"], ["9.99"], F, "num-ge-miss"),
    row("NumericNotEquals", ["1", "2"], ["3"], T, "num-ne-NOR"),
    row("NumericNotEquals", ["1", "2"], ["2"], F, "num-ne-hit"),
    row("NumericNotEquals", ["1"], ABSENT, T, "num-ne-absent"),
    row("NumericEquals", ["1"], ABSENT, F, "num-absent"),
    row("NumericLessThanIfExists", ["5"], ABSENT, T, "num-ifexists-absent"),
    row("NumericEquals", ["abc"], ["1"], U, "num-bad-policy"),
    row("NumericEquals", ["1"], ["x"], U, "num-bad-request"),
    row("NumericEquals", ["abc", "1"], ["1"], T, "num-bad-or-hit"),
    row("NumericEquals", ["1e3"], ["1000"], U, "num-no-exponent"),
    row("NumericEquals", [True], ["1"], U, "num-bool-policy"),
    row("NumericEquals", ["${aws:x}"], ["1"], U, "num-no-variables", {"aws:x": "1"}),
]

DATE_ROWS = [
    row("DateGreaterThan", ["2020-01-01T00:00:00Z"], ["2021-06-01T12:00:00Z"], T, "date-gt"),
    row("DateGreaterThan", ["2020-01-01T00:00:00Z"], ["2019-06-01T12:00:00Z"], F, "date-gt-moto"),
    row("DateLessThan", ["2020-01-01T00:00:00Z"], ["2019-12-31T23:59:59Z"], T, "date-lt"),
    row("DateEquals", ["2020-01-01T00:00:00Z"], ["1577836800"], T, "date-epoch"),
    row("DateEquals", ["2020-01-01"], ["2020-01-01T00:00:00Z"], T, "date-only"),
    row("DateEquals", ["2020-01-01T01:00:00+01:00"], ["2020-01-01T00:00:00Z"], T, "date-offset"),
    row("DateEquals", ["2020-01-01T00:00Z"], ["2020-01-01T00:00:00Z"], T, "date-no-seconds"),
    row("DateLessThanEquals", ["2020-01-01T00:00:00Z"], ["2020-01-01T00:00:00.000Z"], T, "date-le"),
    row("DateLessThan", ["2020-01-01T00:00:00Z"], ["2020-01-01T00:00:00.5Z"], F, "date-fraction"),
    row("DateGreaterThanEquals", [1577836800], ["2020-01-01T00:00:00Z"], T, "date-int-policy"),
    row("DateNotEquals", ["2020-01-01T00:00:00Z"], ABSENT, T, "date-ne-absent"),
    row("DateNotEquals", ["2020-01-01T00:00:00Z"], ["1577836800"], F, "date-ne-hit"),
    row("DateGreaterThan", ["2020-01-01T00:00:00Z"], ABSENT, F, "date-absent"),
    row("DateEquals", ["not-a-date"], ["2020-01-01"], U, "date-bad-policy"),
    row("DateEquals", ["2020-02-30"], ["2020-02-29"], U, "date-bad-day"),
    row("DateEquals", ["2020-02-29"], ["2020-02-29"], T, "date-leap-day"),
    row("DateLessThan", ["2019-07-16T12:00:00Z"], ["2019-07-16T11:00:00Z"], T, "date-doc-current"),
]

BOOL_BINARY_IP_ROWS = [
    row("Bool", ["true"], ["true"], T, "bool-match"),
    row("Bool", [True], ["true"], T, "bool-json-true"),
    row("Bool", ["true"], ["TRUE"], T, "bool-case-insensitive"),
    row("Bool", ["true"], ["false"], F, "bool-miss-moto-ignored"),
    row("Bool", ["true"], ABSENT, F, "bool-absent"),
    row("BoolIfExists", ["false"], ABSENT, T, "bool-ifexists-absent-mfa"),
    row("BoolIfExists", ["false"], ["true"], F, "bool-ifexists-present"),
    row("Bool", ["yes"], ["true"], U, "bool-bad-policy"),
    row("Bool", ["true"], ["1"], U, "bool-bad-request"),
    row(
        "BinaryEquals", ["QmluYXJ5VmFsdWVJbkJhc2U2NA=="], ["QmluYXJ5VmFsdWVJbkJhc2U2NA=="], T, "bin"
    ),
    row("BinaryEquals", ["QUJD"], ["QUJE"], F, "bin-miss"),
    row("BinaryEquals", ["not base64!"], ["QUJD"], U, "bin-bad-policy"),
    row("BinaryEquals", ["QUJD"], ABSENT, F, "bin-absent"),
    row("IpAddress", ["203.0.113.0/24"], ["203.0.113.7"], T, "ip-in"),
    row("IpAddress", ["203.0.113.0/24"], ["198.51.100.1"], F, "ip-out-moto-ignored"),
    row("IpAddress", ["2001:DB8:1234:5678::/64"], ["2001:db8:1234:5678::1"], T, "ip-v6"),
    row("IpAddress", ["2001:db8::/32"], ["203.0.113.7"], F, "ip-v4-vs-v6"),
    row("IpAddress", ["203.0.113.5"], ["203.0.113.5"], T, "ip-single-address"),
    row("IpAddress", ["203.0.113.0/24", "2001:db8::/32"], ["2001:db8::1"], T, "ip-mixed-list"),
    row("NotIpAddress", ["203.0.113.0/24"], ["198.51.100.1"], T, "notip-out"),
    row("NotIpAddress", ["203.0.113.0/24"], ["203.0.113.9"], F, "notip-in"),
    row("NotIpAddress", ["203.0.113.0/24"], ABSENT, T, "notip-absent-vpce"),
    row("IpAddress", ["203.0.113.0/24"], ABSENT, F, "ip-absent-vpce"),
    row("IpAddress", ["300.0.0.0/8"], ["1.1.1.1"], U, "ip-bad-policy"),
    row("IpAddress", ["203.0.113.0/24"], ["not-ip"], U, "ip-bad-request"),
]

DOC_ARN = "arn:aws:someservice:*:111122223333:finance/*"
DOC_REQ = "arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt"
ROLE = "arn:aws:iam::123456789012:role/"

ARN_NULL_ROWS = [
    row("ArnLike", [ROLE + "*"], [ROLE + "x"], T, "arn-like"),
    row("ArnEquals", [ROLE + "*"], [ROLE + "x"], T, "arn-equals-globs-too"),
    row("ArnLike", [DOC_ARN], [DOC_REQ], F, "arn-doc-example-per-segment"),
    row("StringLike", [DOC_ARN], [DOC_REQ], T, "arn-doc-example-stringlike"),
    row("ArnLike", ["arn:aws:s3:::bucket/*"], ["arn:aws:s3:::Bucket/x"], F, "arn-case-sensitive"),
    row("ArnLike", ["arn:aws:s3:::b/*"], ["arn:aws:s3:::b/x:y"], T, "arn-resource-colons"),
    row("ArnLike", [ROLE + "a?c"], [ROLE + "abc"], T, "arn-question"),
    row("ArnLike", ["arn:aws:iam::*:role/x"], ["arn:aws:iam::1:2:role/x"], F, "arn-star-no-colon"),
    row("ArnNotLike", ["arn:aws:iam::*:role/admin*"], ABSENT, T, "arn-notlike-absent"),
    row("ArnNotEquals", [ROLE + "*"], [ROLE + "x"], F, "arn-notequals-hit"),
    row("ArnNotLike", [ROLE + "a*"], [ROLE + "b"], T, "arn-notlike-miss"),
    row(
        "ArnLike",
        ["arn:aws:iam::${aws:PrincipalAccount}:role/*"],
        [ROLE + "x"],
        T,
        "arn-variable",
        {"aws:principalaccount": "123456789012"},
    ),
    row("ArnLike", ["*"], [ROLE + "x"], U, "arn-policy-not-arn"),
    row("ArnLike", ["arn:aws:s3:::b"], ["not-an-arn"], U, "arn-request-not-arn"),
    row("ArnLike", [ROLE + "x"], ABSENT, F, "arn-absent"),
    row("Null", ["true"], ABSENT, T, "null-true-absent"),
    row("Null", ["true"], ["x"], F, "null-true-present"),
    row("Null", ["false"], ["x"], T, "null-false-present"),
    row("Null", ["false"], ABSENT, F, "null-false-absent"),
    row("Null", [True], ABSENT, T, "null-json-bool"),
    row("Null", ["false"], [], F, "null-empty-set-is-absent"),
    row("Null", ["maybe"], ABSENT, U, "null-bad-value"),
    row("ForAllValues:Null", ["true"], ABSENT, T, "null-qualifier-ignored"),
]

ALL_ROWS = [
    *STRING_ROWS,
    *VARIABLE_ROWS,
    *SET_ROWS,
    *NUMERIC_ROWS,
    *DATE_ROWS,
    *BOOL_BINARY_IP_ROWS,
    *ARN_NULL_ROWS,
]


def test_table_is_large_enough() -> None:
    assert len(ALL_ROWS) >= 80


@pytest.mark.parametrize(
    ("operator", "policy", "request_values", "variables", "expected"), ALL_ROWS
)
def test_conformance(
    operator: str,
    policy: Sequence[PolicyValue],
    request_values: Sequence[str] | None,
    variables: Mapping[str, str] | None,
    expected: Tri,
) -> None:
    got = evaluate_condition(op(operator), "test:Key", policy, request_values, variables=variables)
    assert got is expected


def test_policy_variables_disabled_reads_text_literally() -> None:
    got = evaluate_condition(
        op("StringEquals"), "k", ["${aws:username}"], ["${aws:username}"], policy_variables=False
    )
    assert got is T


# ---------------------------------------------------------------- operator parsing


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("StringEquals", ("StringEquals", None, False, False)),
        ("StringNotLikeIfExists", ("StringNotLike", None, True, True)),
        ("ForAnyValue:StringEquals", ("StringEquals", "ForAnyValue", False, False)),
        ("ForAllValues:ArnNotEqualsIfExists", ("ArnNotEquals", "ForAllValues", True, True)),
        ("NotIpAddress", ("NotIpAddress", None, False, True)),
        ("DateGreaterThanEqualsIfExists", ("DateGreaterThanEquals", None, True, False)),
        ("Null", ("Null", None, False, False)),
        ("BinaryEqualsIfExists", ("BinaryEquals", None, True, False)),
    ],
)
def test_parse_operator_valid(text: str, expected: tuple[str, str | None, bool, bool]) -> None:
    parsed = op(text)
    assert (parsed.base, parsed.qualifier, parsed.if_exists, parsed.negated) == expected
    assert parsed.text == text


@pytest.mark.parametrize(
    "text",
    [
        "stringequals",
        "StringEquals ",
        "NullIfExists",
        "ForAnyValue:NullIfExists",
        "ForAnyValues:StringEquals",
        "forallvalues:StringEquals",
        "StringEqualsIfExistsIfExists",
        "IfExists",
        "ForAllValues:",
        "",
        "IPAddress",
        "NumericNotLessThan",
        "BinaryNotEquals",
        "ForAnyValue:ForAllValues:StringEquals",
    ],
)
def test_parse_operator_invalid(text: str) -> None:
    assert parse_operator(text) is None


@pytest.mark.parametrize(
    ("text", "suggestion"),
    [
        ("stringequals", "StringEquals"),
        ("IPAddress", "IpAddress"),
        ("NullIfExists", "Null"),
        ("ForAnyValues:StringEquals", "ForAnyValue:StringEquals"),
        ("StringEqual", "StringEquals"),
        ("forallvalues:stringlike", "ForAllValues:StringLike"),
        ("ForAnyValue: StringLike", "ForAnyValue:StringLike"),
        ("StringEquals", None),
        ("Wibble", None),
    ],
)
def test_suggest_operator(text: str, suggestion: str | None) -> None:
    assert suggest_operator(text) == suggestion


def test_operator_construction_and_counterparts() -> None:
    with pytest.raises(ValueError, match="NullIfExists"):
        ConditionOperator("Null", None, True)
    with pytest.raises(ValueError, match="unknown"):
        ConditionOperator("StringEqual")
    assert op("ForAnyValue:StringNotLikeIfExists").positive == op("ForAnyValue:StringLikeIfExists")
    assert op("ArnNotEquals").positive.base == "ArnEquals"
    assert op("StringEquals").positive == op("StringEquals")
    assert op("ArnEquals").is_like
    assert not op("StringEquals").is_like
    assert op("Bool").family is Family.BOOL
    assert len(BASE_OPERATORS) == 27
    assert len(OPERATOR_NAMES) == 3 * (27 * 2 - 1)
    assert all(parse_operator(name) is not None for name in OPERATOR_NAMES)


# ---------------------------------------------------------------- blocks


def test_block_and_over_operators_and_keys() -> None:
    block = [
        (op("StringEquals"), "aws:PrincipalTag/team", ["red"]),
        (op("IpAddress"), "aws:SourceIp", ["203.0.113.0/24"]),
    ]
    ok = evaluate_block(block, {"AWS:PRINCIPALTAG/TEAM": ["red"], "aws:sourceip": ["203.0.113.1"]})
    assert ok.result is T
    assert (ok.failed, ok.unknown, ok.missing_keys) == ([], [], [])
    bad = evaluate_block(block, {"aws:PrincipalTag/team": ["red"], "aws:SourceIp": ["1.1.1.1"]})
    assert bad.result is F
    assert bad.failed == [("IpAddress", "aws:SourceIp")]


def test_block_missing_key_that_would_change_the_answer() -> None:
    block = [(op("StringEquals"), "aws:SourceVpc", ["vpc-1"])]
    result = evaluate_block(block, {})
    assert result.result is F
    assert result.failed == [("StringEquals", "aws:SourceVpc")]
    assert result.missing_keys == ["aws:SourceVpc"]


def test_block_missing_key_irrelevant_when_another_test_fails() -> None:
    block = [
        (op("StringEquals"), "k1", ["a"]),
        (op("StringEquals"), "k2", ["a"]),
    ]
    result = evaluate_block(block, {"k1": ["b"]})
    assert result.result is F
    assert result.failed == [("StringEquals", "k1"), ("StringEquals", "k2")]
    assert result.missing_keys == []


def test_block_negated_absent_key_is_true_but_reported() -> None:
    block = [(op("StringNotEquals"), "aws:ResourceTag/env", ["prod"])]
    result = evaluate_block(block, {})
    assert result.result is T
    assert result.missing_keys == ["aws:ResourceTag/env"]


def test_block_null_key_reported_once() -> None:
    block = [
        (op("Null"), "aws:TokenIssueTime", ["true"]),
        (op("StringEqualsIfExists"), "AWS:TokenIssueTime", ["x"]),
    ]
    result = evaluate_block(block, {})
    assert result.result is T
    assert result.missing_keys == ["aws:TokenIssueTime"]


def test_block_null_false_on_present_key_not_missing() -> None:
    block = [(op("Null"), "aws:TagKeys", ["false"]), (op("StringEquals"), "k", ["v"])]
    result = evaluate_block(block, {"aws:TagKeys": ["a"], "k": ["v"]})
    assert result.result is T
    assert result.missing_keys == []


def test_block_unknown_and_variables_from_context() -> None:
    block = [
        (op("StringLike"), "s3:prefix", ["home/${aws:username}/*"]),
        (op("NumericLessThan"), "s3:max-keys", ["abc"]),
    ]
    context = {"s3:prefix": ["home/bob/x"], "aws:username": ["bob"], "s3:max-keys": ["5"]}
    result = evaluate_block(block, context)
    assert result.result is U
    assert result.unknown == [("NumericLessThan", "s3:max-keys")]
    assert result.failed == []
    # the context is the whole request: a variable it lacks has no value
    result = evaluate_block(block[:1], {"s3:prefix": ["home/bob/x"]})
    assert result.result is F
    # explicit variables override the context
    result = evaluate_block(
        block[:1], {"s3:prefix": ["home/bob/x"], "aws:username": ["eve"]}, variables=BOB
    )
    assert result.result is T


def test_block_multivalued_context_key_is_not_a_variable() -> None:
    block = [(op("StringEquals"), "k", ["${aws:TagKeys}"])]
    assert evaluate_block(block, {"k": ["a"], "aws:TagKeys": ["a", "b"]}).result is F


def test_block_context_spellings_merged() -> None:
    block = [(op("ForAllValues:StringEquals"), "aws:TagKeys", ["a", "b"])]
    result = evaluate_block(block, {"aws:tagkeys": ["a"], "AWS:TagKeys": ["c"]})
    assert result.result is F


def test_empty_block_is_true() -> None:
    assert evaluate_block([], {}).result is T


# ---------------------------------------------------------------- validation helpers


@pytest.mark.parametrize(
    ("operator", "value", "error"),
    [
        ("StringEquals", "anything", None),
        ("StringEquals", 12, None),
        ("StringLike", "${aws:username", "malformed"),
        ("StringLike", "${ }", "malformed"),
        ("StringLike", "${aws:x, 'unterminated}", "malformed"),
        ("StringLike", "${aws:x, 'dflt'}", None),
        ("NumericLessThan", "10", None),
        ("NumericLessThan", 10.5, None),
        ("NumericLessThan", "ten", "number"),
        ("NumericLessThan", True, "number"),
        ("NumericEquals", "${aws:x}", "variables are not allowed"),
        ("DateLessThan", "2020-01-01T00:00:00Z", None),
        ("DateLessThan", 1577836800, None),
        ("DateLessThan", "2020-13-01", "ISO 8601"),
        ("DateLessThan", "${aws:CurrentTime}", "variables are not allowed"),
        ("Bool", "true", None),
        ("Bool", False, None),
        ("Bool", "${aws:SecureTransport}", None),
        ("Bool", "yes", "true"),
        ("Bool", 1, "true"),
        ("BinaryEquals", "QUJD", None),
        ("BinaryEquals", "***", "base64"),
        ("BinaryEquals", "${aws:x}", "variables are not allowed"),
        ("IpAddress", "203.0.113.0/24", None),
        ("IpAddress", "2001:db8::/32", None),
        ("IpAddress", "203.0.113.0/33", "CIDR"),
        ("NotIpAddress", "${aws:SourceIp}", "variables are not allowed"),
        ("ArnLike", "arn:aws:iam::*:role/x", None),
        ("ArnLike", "arn:aws:iam::${aws:PrincipalAccount}:role/x", None),
        ("ArnEquals", "role/x", "not an ARN"),
        ("ArnEquals", 5, "ARN strings"),
        ("Null", "true", None),
        ("Null", "FALSE", None),
        ("Null", "yes", "Null takes"),
        ("Null", "${aws:x}", "variables are not allowed"),
    ],
)
def test_check_value(operator: str, value: PolicyValue, error: str | None) -> None:
    got = check_value(op(operator), value)
    if error is None:
        assert got is None
    else:
        assert got is not None
        assert error in got


@pytest.mark.parametrize(
    ("operator", "value", "expected"),
    [
        ("StringEquals", "a*", True),
        ("StringNotEquals", "a?", True),
        ("StringEqualsIgnoreCase", "*", True),
        ("StringEquals", "a${*}", False),
        ("StringEquals", "abc", False),
        ("StringLike", "a*", False),
        ("ArnEquals", "arn:aws:s3:::*", False),
        ("NumericEquals", "*", False),
    ],
)
def test_is_wildcard_in_non_like(operator: str, value: str, expected: bool) -> None:
    assert is_wildcard_in_non_like(op(operator), value) is expected


# ---------------------------------------------------------------- properties

NEGATION_PAIRS = [
    ("StringEquals", "StringNotEquals"),
    ("StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase"),
    ("StringLike", "StringNotLike"),
    ("NumericEquals", "NumericNotEquals"),
    ("DateEquals", "DateNotEquals"),
    ("IpAddress", "NotIpAddress"),
    ("ArnEquals", "ArnNotEquals"),
    ("ArnLike", "ArnNotLike"),
]

_short = st.text(alphabet="aAb*?:", max_size=5)
_number = st.sampled_from(["1", "2", "2.0", "-1", "x"])
_date = st.sampled_from(["1577836800", "2020-01-01", "2020-01-01T00:00:00Z", "2021-01-01", "?"])
_ip = st.sampled_from(["10.0.0.1", "10.0.0.0/8", "10.1.2.3", "2001:db8::1", "2001:db8::/32"])
_arn = st.builds(
    lambda r, a, res: f"arn:aws:s3:{r}:{a}:{res}",
    st.sampled_from(["", "*", "us-east-1"]),
    st.sampled_from(["", "1", "?"]),
    st.text(alphabet="ab*?:/", max_size=4),
)

_VALUES = {
    Family.STRING: _short,
    Family.NUMERIC: _number,
    Family.DATE: _date,
    Family.IP: _ip,
    Family.ARN: _arn,
    Family.BOOL: st.sampled_from(["true", "false", "TRUE", "maybe"]),
    Family.BINARY: st.sampled_from(["QUJD", "QUJE", "", "!"]),
    Family.NULL: st.sampled_from(["true", "false"]),
}


@st.composite
def _case(draw: st.DrawFn, operators: Sequence[str]) -> tuple[str, list[str], str]:
    name = draw(st.sampled_from(operators))
    values = _VALUES[op(name).family]
    policy = draw(st.lists(values, min_size=1, max_size=3))
    request = draw(values)
    if op(name).family is Family.IP:
        request = request.split("/")[0]
    return name, policy, request


@settings(max_examples=examples(300), deadline=None)
@given(pair=st.sampled_from(NEGATION_PAIRS), data=st.data())
def test_negated_is_not_positive_on_present_single_values(
    pair: tuple[str, str], data: st.DataObject
) -> None:
    positive, negated = pair
    values = _VALUES[op(positive).family]
    policy = data.draw(st.lists(values, min_size=1, max_size=3))
    request = data.draw(values)
    if op(positive).family is Family.IP:
        request = request.split("/")[0]
    pos = evaluate_condition(op(positive), "k", policy, [request], variables=NO_VARS)
    neg = evaluate_condition(op(negated), "k", policy, [request], variables=NO_VARS)
    assert neg is ~pos


_NON_NULL = [base for base in BASE_OPERATORS if base != "Null"]


@settings(max_examples=examples(300), deadline=None)
@given(case=_case(_NON_NULL), qualifier=st.sampled_from(["", "ForAllValues:", "ForAnyValue:"]))
def test_if_exists_equals_base_when_present(
    case: tuple[str, list[str], str], qualifier: str
) -> None:
    name, policy, request = case
    base = evaluate_condition(op(qualifier + name), "k", policy, [request], variables=BOB)
    with_if = evaluate_condition(
        op(qualifier + name + "IfExists"), "k", policy, [request], variables=BOB
    )
    assert with_if is base


@settings(max_examples=examples(300), deadline=None)
@given(case=_case(list(BASE_OPERATORS)), absent=st.booleans())
def test_for_all_values_singleton_equals_base(
    case: tuple[str, list[str], str], absent: bool
) -> None:
    name, policy, request = case
    request_values = None if absent and name == "Null" else [request]
    base = evaluate_condition(op(name), "k", policy, request_values, variables=NO_VARS)
    for_all = evaluate_condition(
        op("ForAllValues:" + name), "k", policy, request_values, variables=NO_VARS
    )
    for_any = evaluate_condition(
        op("ForAnyValue:" + name), "k", policy, request_values, variables=NO_VARS
    )
    assert for_all is base
    assert for_any is base


@settings(max_examples=examples(200), deadline=None)
@given(pattern=st.text(alphabet="ab*?", max_size=6), text=st.text(alphabet="ab", max_size=6))
def test_string_like_agrees_with_a_reference_matcher(pattern: str, text: str) -> None:
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    expected = Tri.of(re.fullmatch(regex, text, re.DOTALL) is not None)
    assert evaluate_condition(op("StringLike"), "k", [pattern], [text]) is expected
