"""The document of a `data "aws_iam_policy_document"`, from its evaluated arguments."""

from __future__ import annotations

from typing import Any

import pytest

from app.engine.pipeline.template_values import UNKNOWN
from app.engine.pipeline.terraform_policy_document import policy_document


def statement(**arguments: Any) -> dict[str, Any]:
    """The one statement of the document of a data source with one `statement` block."""
    (only,) = policy_document({"statement": [arguments]})["Statement"]
    return dict(only)


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        pytest.param({}, {"Effect": "Allow"}, id="empty-statement-allows"),
        pytest.param(
            {"sid": "S", "effect": "Deny", "actions": ["s3:GetObject"], "resources": ["*"]},
            {"Sid": "S", "Effect": "Deny", "Action": "s3:GetObject", "Resource": "*"},
            id="one-value-as-a-string",
        ),
        pytest.param(
            {"actions": ["a:One", "a:Two", "a:One"], "not_resources": ["x", "y"]},
            {"Effect": "Allow", "Action": ["a:One", "a:Two"], "NotResource": ["x", "y"]},
            id="several-values-as-a-list-repeats-dropped",
        ),
        pytest.param(
            {"not_actions": ["iam:*"]},
            {"Effect": "Allow", "NotAction": "iam:*"},
            id="not-actions",
        ),
        pytest.param(
            {"sid": ""},
            {"Effect": "Allow"},
            id="empty-sid-left-out",
        ),
        pytest.param(
            {
                "principals": [
                    {"type": "AWS", "identifiers": ["arn:aws:iam::111122223333:root"]},
                    {"type": "Service", "identifiers": ["a.amazonaws.com", "b.amazonaws.com"]},
                    {"type": "AWS", "identifiers": ["arn:aws:iam::444455556666:root"]},
                ]
            },
            {
                "Effect": "Allow",
                "Principal": {
                    "AWS": ["arn:aws:iam::111122223333:root", "arn:aws:iam::444455556666:root"],
                    "Service": ["a.amazonaws.com", "b.amazonaws.com"],
                },
            },
            id="principals-merged-by-type",
        ),
        pytest.param(
            {"principals": [{"type": "*", "identifiers": ["*"]}]},
            {"Effect": "Allow", "Principal": "*"},
            id="anyone",
        ),
        pytest.param(
            {"not_principals": [{"type": "AWS", "identifiers": ["*"]}]},
            {"Effect": "Allow", "NotPrincipal": {"AWS": "*"}},
            id="not-principals",
        ),
        pytest.param(
            {
                "condition": [
                    {"test": "StringEquals", "variable": "aws:PrincipalOrgID", "values": ["o-1"]},
                    {"test": "StringEquals", "variable": "aws:PrincipalOrgID", "values": ["o-2"]},
                    {"test": "Bool", "variable": "aws:SecureTransport", "values": [True]},
                ]
            },
            {
                "Effect": "Allow",
                "Condition": {
                    "StringEquals": {"aws:PrincipalOrgID": ["o-1", "o-2"]},
                    "Bool": {"aws:SecureTransport": "true"},
                },
            },
            id="conditions-merged-by-test-and-variable",
        ),
        pytest.param(
            {"actions": UNKNOWN, "resources": [["nested"]]},
            {"Effect": "Allow", "Action": UNKNOWN, "Resource": UNKNOWN},
            id="values-not-known-stay-unknown",
        ),
    ],
)
def test_statement(arguments: dict[str, Any], expected: dict[str, Any]) -> None:
    assert statement(**arguments) == expected


def test_document_version_id_and_order_of_statements() -> None:
    document = policy_document(
        {
            "version": "2008-10-17",
            "policy_id": "key-policy",
            "statement": [{"sid": "First"}, {"sid": "Second"}],
        }
    )
    assert document == {
        "Version": "2008-10-17",
        "Id": "key-policy",
        "Statement": [{"Sid": "First", "Effect": "Allow"}, {"Sid": "Second", "Effect": "Allow"}],
    }
    assert policy_document({}) == {"Version": "2012-10-17", "Statement": []}
