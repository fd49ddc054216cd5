"""Policy parsing, normalisation and deterministic serialisation (reference §1, §3.4)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.engine.iam.conditions.blocks import split_operator
from app.engine.iam.errors import IssueCode, PolicyParseError
from app.engine.iam.policy.parse import (
    ActionSet,
    Condition,
    ResourceSet,
    canonical_json,
    decode_document,
    parse_policy,
    policy_size,
    to_json_dict,
)
from tests.hypothesis_profiles import examples

PROPERTY = settings(max_examples=examples(100), deadline=None)


def _codes(source: Any) -> list[tuple[IssueCode, str]]:
    return [(i.code, i.pointer) for i in parse_policy(source).issues]


# --- parsing and normalisation ----------------------------------------------------------------


def test_single_statement_object_with_string_values() -> None:
    parsed = parse_policy(
        {
            "Version": "2012-10-17",
            "Statement": {"Effect": "Allow", "Action": "S3:GetObject", "Resource": "*"},
        }
    )
    assert parsed.issues == ()
    (doc,) = parsed.documents
    assert doc.version == "2012-10-17"
    assert doc.id is None
    (stmt,) = doc.statements
    assert stmt.pointer == "/Statement"
    assert (stmt.doc_index, stmt.stmt_index) == (0, 0)
    assert stmt.effect == "Allow"
    assert stmt.sid is None
    assert stmt.actions == ActionSet(False, ("s3:getobject",), ("S3:GetObject",))
    assert stmt.resources == ResourceSet(False, ("*",))
    assert stmt.conditions == ()


def test_statement_list_negated_elements_and_pointers() -> None:
    parsed = parse_policy(
        {
            "Statement": [
                {"Sid": "A", "Effect": "Allow", "Action": ["s3:Get*", "s3:List*"], "Resource": "*"},
                {"Effect": "Deny", "NotAction": "iam:*", "NotResource": ["arn:aws:s3:::B/*"]},
            ]
        }
    )
    first, second = parsed.statements
    assert first.pointer == "/Statement/0"
    assert first.sid == "A"
    assert first.actions.patterns == ("s3:get*", "s3:list*")
    assert second.pointer == "/Statement/1"
    assert second.stmt_index == 1
    assert second.actions.negated is True
    assert second.resources == ResourceSet(True, ("arn:aws:s3:::B/*",))


def test_duplicate_keys_are_reported_with_pointers() -> None:
    text = """{
      "Version": "2012-10-17", "Version": "2012-10-17",
      "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Action": "s3:PutObject",
                     "Resource": "*",
                     "Condition": {"StringEquals": {"aws:a/b": "x", "aws:a/b": "y"}}}]
    }"""
    parsed = parse_policy(text)
    duplicates = [i.pointer for i in parsed.issues if i.code is IssueCode.DUPLICATE_KEY]
    assert duplicates == [
        "/Version",
        "/Statement/0/Action",
        "/Statement/0/Condition/StringEquals/aws:a~1b",
    ]
    # Like json.loads, the last occurrence is the one interpreted.
    assert parsed.statements[0].actions.originals == ("s3:PutObject",)
    assert parsed.statements[0].conditions[0].values == ("y",)


def test_list_of_documents_concatenates_statements_with_pointers() -> None:
    managed = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "a:b"}]}
    inline = {
        "Statement": [
            {"Effect": "Allow", "Action": "c:d", "Resource": "*"},
            {"Effect": "Deny", "Action": "e:f", "Resource": "*"},
        ]
    }
    parsed = parse_policy([managed, inline], base_pointer="/policies")
    assert [d.source_index for d in parsed.documents] == [0, 1]
    assert [(s.doc_index, s.stmt_index, s.pointer) for s in parsed.statements] == [
        (0, 0, "/policies/0/Statement/0"),
        (1, 0, "/policies/1/Statement/0"),
        (1, 1, "/policies/1/Statement/1"),
    ]
    assert _codes([managed, inline]) == [(IssueCode.MISSING_RESOURCE, "/0/Statement/0")]


def test_json_text_and_bytes_inputs() -> None:
    doc = {"Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}
    from_dict = parse_policy(doc)
    assert parse_policy(json.dumps(doc)) == from_dict
    assert parse_policy(json.dumps(doc).encode()) == from_dict
    assert parse_policy(json.dumps([doc])).statements[0].pointer == "/0/Statement/0"


UNREADABLE = [
    ("{not json", ""),
    ('{"Statement": NaN}', ""),
    ("42", ""),
    ('"policy"', ""),
    ("[]", ""),
    ('[{"Statement": []}, 3]', "/1"),
    ('{"Version": "2012-10-17"}', "/Statement"),
    ('{"Statement": "Allow everything"}', "/Statement"),
    ('[{"Statement": []}, {"Version": "2012-10-17"}]', "/1/Statement"),
]


@pytest.mark.parametrize(("text", "pointer"), UNREADABLE)
def test_uninterpretable_input_raises(text: str, pointer: str) -> None:
    with pytest.raises(PolicyParseError) as caught:
        parse_policy(text)
    assert caught.value.pointer == pointer


ONE_DOCUMENT = {"Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*"}]}
# A place that holds one document (a resource's policy, a boundary, a template's KeyPolicy)
# takes an object or JSON text of one; anything else is refused there, with why.
NOT_ONE_DOCUMENT: list[tuple[Any, str]] = [
    (json.dumps([ONE_DOCUMENT]), "JSON text of a list"),
    (json.dumps([ONE_DOCUMENT]).encode(), "JSON text of a list"),
    ("[]", "JSON text of a list"),
    ([ONE_DOCUMENT], "must be a JSON object"),
    ("{not json", "invalid JSON"),
    ("42", "must be a JSON object"),
    ('"policy"', "must be a JSON object"),
    (42, "must be a JSON object"),
    (None, "must be a JSON object"),
]


@pytest.mark.parametrize(("source", "why"), NOT_ONE_DOCUMENT)
def test_a_place_of_one_document_refuses_anything_else(source: Any, why: str) -> None:
    with pytest.raises(PolicyParseError) as caught:
        decode_document(source, "/resource_policies/arn:aws:s3:::b")
    assert caught.value.pointer == "/resource_policies/arn:aws:s3:::b"
    assert why in caught.value.message


@pytest.mark.parametrize("source", [ONE_DOCUMENT, json.dumps(ONE_DOCUMENT)])
def test_a_place_of_one_document_takes_it_as_an_object_or_its_text(source: Any) -> None:
    assert decode_document(source, "") == ONE_DOCUMENT


def test_parse_error_carries_base_pointer() -> None:
    with pytest.raises(PolicyParseError) as caught:
        parse_policy("{", base_pointer="/policy")
    assert caught.value.pointer == "/policy"
    assert "invalid JSON" in caught.value.message


ISSUES: list[tuple[dict[str, Any], list[tuple[IssueCode, str]]]] = [
    (
        {"Statement": [{"Action": "a:b", "Resource": "*"}]},
        [(IssueCode.MISSING_EFFECT, "/Statement/0")],
    ),
    (
        {"Statement": [{"Effect": "Allow", "Action": "a:b", "NotAction": "c:d", "Resource": "*"}]},
        [(IssueCode.ACTION_AND_NOT_ACTION, "/Statement/0")],
    ),
    (
        {"Statement": [{"Effect": "Allow", "Resource": "*"}]},
        [(IssueCode.MISSING_ACTION, "/Statement/0")],
    ),
    (
        {"Statement": [{"Effect": "Allow", "Action": "a:b", "Resource": "*", "NotResource": "*"}]},
        [(IssueCode.RESOURCE_AND_NOT_RESOURCE, "/Statement/0")],
    ),
    (
        {"Statement": [{"Effect": "Allow", "Action": [], "Resource": []}]},
        [
            (IssueCode.EMPTY_ARRAY, "/Statement/0/Action"),
            (IssueCode.EMPTY_ARRAY, "/Statement/0/Resource"),
        ],
    ),
    ({"Statement": []}, [(IssueCode.EMPTY_STATEMENT, "/Statement")]),
    (
        {"Statement": [{"Effect": "Allow", "Action": ["a:b", 7], "Resource": {"x": 1}}]},
        [
            (IssueCode.WRONG_TYPE, "/Statement/0/Action/1"),
            (IssueCode.WRONG_TYPE, "/Statement/0/Resource"),
        ],
    ),
    (
        {
            "Version": 2012,
            "Id": None,
            "Statement": [{"Sid": 1, "Effect": True, "Action": "a:b", "Resource": "*"}],
        },
        [
            (IssueCode.WRONG_TYPE, "/Version"),
            (IssueCode.WRONG_TYPE, "/Id"),
            (IssueCode.WRONG_TYPE, "/Statement/0/Sid"),
            (IssueCode.WRONG_TYPE, "/Statement/0/Effect"),
        ],
    ),
    (
        {
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": "*",
                    "NotPrincipal": {"AWS": "x"},
                    "Action": "a:b",
                    "Resource": "*",
                }
            ]
        },
        [
            (IssueCode.PRINCIPAL_PRESENT, "/Statement/0/Principal"),
            (IssueCode.PRINCIPAL_PRESENT, "/Statement/0/NotPrincipal"),
        ],
    ),
    (
        {
            "Statment": [],
            "Statement": [{"Effect": "Allow", "action": "a:b", "Action": "a:b", "Resource": "*"}],
        },
        [
            (IssueCode.UNKNOWN_ELEMENT, "/Statment"),
            (IssueCode.UNKNOWN_ELEMENT, "/Statement/0/action"),
        ],
    ),
    (
        {"Statement": ["Allow", {"Effect": "Allow", "Action": "a:b", "Resource": "*"}]},
        [(IssueCode.STATEMENT_NOT_OBJECT, "/Statement/0")],
    ),
    (
        {
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": "a:b",
                    "Resource": "*",
                    "Condition": {
                        "StringEquals": {"k": [None, "v"], "j": {"x": 1}, "e": []},
                        "Bool": "true",
                        "Null": {},
                    },
                }
            ]
        },
        [
            (IssueCode.WRONG_TYPE, "/Statement/0/Condition/StringEquals/k/0"),
            (IssueCode.WRONG_TYPE, "/Statement/0/Condition/StringEquals/j"),
            (IssueCode.EMPTY_ARRAY, "/Statement/0/Condition/StringEquals/e"),
            (IssueCode.WRONG_TYPE, "/Statement/0/Condition/Bool"),
            (IssueCode.EMPTY_CONDITION_BLOCK, "/Statement/0/Condition/Null"),
        ],
    ),
    (
        {"Statement": [{"Effect": "Allow", "Action": "a:b", "Resource": "*", "Condition": []}]},
        [(IssueCode.WRONG_TYPE, "/Statement/0/Condition")],
    ),
]


@pytest.mark.parametrize(("document", "expected"), ISSUES)
def test_structural_problems_become_issues(
    document: dict[str, Any], expected: list[tuple[IssueCode, str]]
) -> None:
    assert _codes(document) == expected


def test_action_set_keeps_both_forms_consistent() -> None:
    built = ActionSet(False, ("S3:GetObject",))
    assert built.patterns == ("s3:getobject",)
    assert built.originals == ("S3:GetObject",)
    assert built == ActionSet(False, ("ignored",), ("S3:GetObject",))


def test_odd_values_are_kept_for_the_validator() -> None:
    parsed = parse_policy(
        {"Statement": [{"Effect": "allow", "Action": "s3:get*", "NotAction": "x", "Resource": "*"}]}
    )
    stmt = parsed.statements[0]
    assert stmt.effect == "allow"
    assert stmt.actions == ActionSet(False, ("s3:get*",), ("s3:get*",))


OPERATORS = [
    ("StringLike", ("StringLike", None, False)),
    ("StringNotEqualsIfExists", ("StringNotEquals", None, True)),
    ("ForAllValues:StringEquals", ("StringEquals", "ForAllValues", False)),
    ("ForAnyValue:ArnLikeIfExists", ("ArnLike", "ForAnyValue", True)),
    ("NullIfExists", ("Null", None, True)),
    ("forallvalues:StringLike", ("forallvalues:StringLike", None, False)),
    ("Bogus", ("Bogus", None, False)),
]


@pytest.mark.parametrize(("text", "expected"), OPERATORS)
def test_split_operator(text: str, expected: tuple[str, str | None, bool]) -> None:
    assert split_operator(text) == expected


def test_conditions_are_canonicalised() -> None:
    parsed = parse_policy(
        {
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": "a:b",
                    "Resource": "*",
                    "Condition": {
                        "StringLike": {"s3:Prefix": ["b/*", "a/*", "b/*"]},
                        "ForAnyValue:StringEqualsIfExists": {"aws:TagKeys": "Team"},
                        "NumericLessThan": {"s3:max-keys": 10},
                        "Bool": {"aws:SecureTransport": False},
                        "NumericEquals": {"x:Ratio": 1.5},
                    },
                }
            ]
        }
    )
    conditions = parsed.statements[0].conditions
    assert [c.operator_text for c in conditions] == [
        "Bool",
        "ForAnyValue:StringEqualsIfExists",
        "NumericEquals",
        "NumericLessThan",
        "StringLike",
    ]
    bool_cond, tag_cond, ratio, max_keys, prefix = conditions
    assert bool_cond.values == ("false",)
    assert tag_cond == Condition(
        "StringEquals", "ForAnyValue", True, "aws:tagkeys", "aws:TagKeys", ("Team",)
    )
    assert tag_cond.pointer == "/Statement/0/Condition/ForAnyValue:StringEqualsIfExists/aws:TagKeys"
    assert ratio.values == ("1.5",)
    assert max_keys.values == ("10",)
    assert prefix.values == ("a/*", "b/*")
    assert prefix.key == "s3:prefix"
    assert prefix.key_original == "s3:Prefix"


def test_equal_condition_blocks_compare_equal_regardless_of_order() -> None:
    def stmt(condition: dict[str, Any]) -> dict[str, Any]:
        return {"Effect": "Allow", "Action": "a:b", "Resource": "*", "Condition": condition}

    one = parse_policy(
        {"Statement": [stmt({"StringEquals": {"k": ["1", "2"]}, "Bool": {"b": True}})]}
    )
    two = parse_policy(
        {"Statement": [stmt({"Bool": {"b": "true"}, "StringEquals": {"k": ["2", "1"]}})]}
    )
    assert one.statements[0].conditions == two.statements[0].conditions


# --- serialisation --------------------------------------------------------------------------

MESSY = {
    "Statement": [
        {
            "Condition": {
                "StringLike": {"s3:prefix": ["b", "a"]},
                "Bool": {"aws:SecureTransport": True},
            },
            "Resource": ["arn:aws:s3:::b", "arn:aws:s3:::b/*"],
            "Action": "S3:ListBucket",
            "Effect": "Allow",
            "Sid": "List",
        },
        {"NotResource": "arn:aws:s3:::b/keep/*", "Effect": "Deny", "NotAction": ["s3:Get*"]},
    ],
    "Id": "x",
    "Version": "2012-10-17",
}

CANONICAL = (
    '{"Version":"2012-10-17","Id":"x","Statement":['
    '{"Sid":"List","Effect":"Allow","Action":"S3:ListBucket",'
    '"Resource":["arn:aws:s3:::b","arn:aws:s3:::b/*"],'
    '"Condition":{"Bool":{"aws:SecureTransport":"true"},"StringLike":{"s3:prefix":["a","b"]}}},'
    '{"Effect":"Deny","NotAction":"s3:Get*","NotResource":"arn:aws:s3:::b/keep/*"}]}'
)


def test_canonical_json_orders_elements() -> None:
    doc = parse_policy(MESSY).documents[0]
    assert canonical_json(doc) == CANONICAL
    assert list(to_json_dict(doc)) == ["Version", "Id", "Statement"]
    assert list(to_json_dict(doc)["Statement"][0]) == [
        "Sid",
        "Effect",
        "Action",
        "Resource",
        "Condition",
    ]


def test_serialisation_is_byte_stable() -> None:
    reordered = json.loads(json.dumps(MESSY, sort_keys=True))
    first = canonical_json(parse_policy(MESSY).documents[0])
    assert canonical_json(parse_policy(reordered).documents[0]) == first
    assert canonical_json(parse_policy(json.dumps(MESSY, indent=4)).documents[0]) == first
    assert canonical_json(parse_policy(first).documents[0]) == first


def test_parse_serialise_parse_is_identity() -> None:
    parsed = parse_policy(MESSY)
    again = parse_policy(to_json_dict(parsed.documents[0]))
    assert again.documents == parsed.documents
    many = parse_policy([MESSY, MESSY])
    assert parse_policy([to_json_dict(d) for d in many.documents]).documents == many.documents


def test_single_statement_object_serialises_as_a_list() -> None:
    parsed = parse_policy({"Statement": {"Effect": "Allow", "Action": "a:b", "Resource": "*"}})
    data = to_json_dict(parsed.documents[0])
    assert isinstance(data["Statement"], list)
    again = parse_policy(data).statements[0]
    original = parsed.statements[0]
    # Only the location differs: the canonical form always uses an array.
    assert (again.pointer, original.pointer) == ("/Statement/0", "/Statement")
    assert again.actions == original.actions
    assert again.resources == original.resources


def test_policy_size_ignores_whitespace() -> None:
    compact = (
        '{"Version":"2012-10-17","Statement":'
        '[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}'
    )
    pretty = json.dumps(json.loads(compact), indent=4)
    assert policy_size(json.loads(pretty)) == len(compact)
    assert policy_size(parse_policy(pretty).documents[0]) == len(compact)
    spaced = {
        "Statement": [{"Effect": "Allow", "Action": "a:b", "Resource": "arn:aws:s3:::my bucket"}]
    }
    text = json.dumps(spaced, separators=(",", ":"))
    assert policy_size(spaced) == len(text) - 1


def test_policy_size_of_raw_input_keeps_its_shape() -> None:
    raw = {"Statement": [{"Effect": "Allow", "Action": ["a:b"], "Resource": ["*"]}]}
    doc = parse_policy(raw).documents[0]
    assert policy_size(raw) == policy_size(doc) + 4


# --- round-trip property ----------------------------------------------------------------------

_text = st.text(alphabet="aB:*/ -", max_size=6)
_values = st.one_of(
    _text,
    st.booleans(),
    st.integers(-5, 5),
    st.lists(st.one_of(_text, st.integers(0, 3)), max_size=3),
)
_operators = st.sampled_from(["StringLike", "ForAnyValue:StringEquals", "BoolIfExists", "Null"])
_strings = st.one_of(_text, st.lists(_text, max_size=3))
_statements = st.fixed_dictionaries(
    {
        "Effect": st.sampled_from(["Allow", "Deny"]),
        "Action": _strings,
        "Resource": _strings,
    },
    optional={
        "Sid": st.text(alphabet="ab1", max_size=3),
        "Condition": st.dictionaries(
            _operators, st.dictionaries(_text, _values, max_size=2), max_size=2
        ),
    },
)


@PROPERTY
@given(st.lists(_statements, max_size=3), st.booleans())
def test_round_trip_property(statements: list[dict[str, Any]], negate: bool) -> None:
    if negate:
        statements = [
            {("NotAction" if k == "Action" else k): v for k, v in s.items()} for s in statements
        ]
    parsed = parse_policy({"Version": "2012-10-17", "Statement": statements})
    doc = parsed.documents[0]
    again = parse_policy(to_json_dict(doc))
    assert again.documents == parsed.documents
    assert canonical_json(again.documents[0]) == canonical_json(doc)
    assert json.loads(canonical_json(doc)) == to_json_dict(doc)
