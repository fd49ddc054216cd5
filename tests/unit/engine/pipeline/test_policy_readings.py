"""An identity policy a template does not determine in full, read for what it grants whatever
its undetermined values are (`sure`) and for what it may grant (`possible`)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from app.engine.pipeline.policy_readings import policy_readings, template_policy
from app.engine.pipeline.template_values import UNKNOWN, undetermined_places
from tests.documents import allow, deny, policy_of

U = UNKNOWN
BUCKET = f"arn:aws:s3:::{U}/*"


@pytest.mark.parametrize(
    ("statement", "sure", "possible"),
    [
        pytest.param(
            allow(Action="s3:GetObject", Resource=BUCKET),
            allow(Action="s3:GetObject", Resource=BUCKET),
            allow(Action="s3:GetObject", Resource="arn:aws:s3:::*/*"),
            id="allow-unknown-resource",
        ),
        pytest.param(
            allow(Action=["s3:GetObject", U], Resource="*"),
            allow(Action=["s3:GetObject", U], Resource="*"),
            allow(Action=["s3:GetObject", "*"], Resource="*"),
            id="allow-unknown-action",
        ),
        pytest.param(
            allow(
                Action="s3:GetObject",
                Resource="*",
                Condition={
                    "StringEquals": {"aws:ResourceAccount": U},
                    "Bool": {"aws:SecureTransport": "true"},
                },
            ),
            # Whether the test may hold is not known: the sure Allow grants nothing.
            allow(
                Action=U,
                Resource="*",
                Condition={
                    "StringEquals": {"aws:ResourceAccount": "*"},
                    "Bool": {"aws:SecureTransport": "true"},
                },
            ),
            allow(
                Action="s3:GetObject",
                Resource="*",
                Condition={"Bool": {"aws:SecureTransport": "true"}},
            ),
            id="allow-unknown-condition-value",
        ),
        pytest.param(
            allow(Action="s3:GetObject", Resource="*", Condition={"StringLike": {U: "x"}}),
            allow(Action=U, Resource="*", Condition={"StringLike": {"*": "x"}}),
            allow(Action="s3:GetObject", Resource="*"),
            id="allow-unknown-condition-key",
        ),
        pytest.param(
            deny(Action="s3:*", Resource=BUCKET),
            deny(Action="s3:*", Resource="arn:aws:s3:::*/*"),
            deny(Action="s3:*", Resource=BUCKET),
            id="deny-unknown-resource",
        ),
        pytest.param(
            deny(NotAction="s3:*", Resource="*", Condition={"StringNotEquals": {"k": U}}),
            deny(NotAction="s3:*", Resource="*"),
            deny(Action=U, Resource="*", Condition={"StringNotEquals": {"k": "*"}}),
            id="deny-unknown-condition-value",
        ),
        pytest.param(
            allow(NotAction=f"iam:{U}", NotResource=BUCKET),
            allow(NotAction="iam:*", NotResource="arn:aws:s3:::*/*"),
            # What it excepts by them matches nothing: it excepts nothing.
            allow(Action="*", Resource="*"),
            id="allow-unknown-exceptions",
        ),
        pytest.param(
            deny(NotAction=["iam:PassRole", U], Resource="*"),
            deny(NotAction=["iam:PassRole"], Resource="*"),
            deny(NotAction=["iam:PassRole", "*"], Resource="*"),
            id="deny-unknown-exception",
        ),
        pytest.param(
            {"Effect": U, "Action": "s3:GetObject", "Resource": BUCKET},
            deny(Action="s3:GetObject", Resource="arn:aws:s3:::*/*"),
            allow(Action="s3:GetObject", Resource="arn:aws:s3:::*/*"),
            id="unknown-effect",
        ),
    ],
)
def test_each_statement_is_read_as_little_and_as_much_as_it_may_apply(
    statement: dict[str, Any], sure: dict[str, Any], possible: dict[str, Any]
) -> None:
    readings = policy_readings(policy_of(statement, allow(Action="sns:Publish", Resource="*")))
    known = allow(Action="sns:Publish", Resource="*")
    assert readings.sure == policy_of(sure, known)
    assert readings.possible == policy_of(possible, known)
    # A statement read as far as it may apply holds no marker: the patched policy keeps the
    # sure reading's Deny statements.
    wider = [s for s in readings.sure["Statement"] if s["Effect"] == "Deny"]
    wider += [s for s in readings.possible["Statement"] if s["Effect"] == "Allow"]
    assert not undetermined_places(wider, "")


def test_json_text_is_read_as_its_document() -> None:
    text = json.dumps(policy_of(allow(Action="s3:GetObject", Resource="arn:aws:s3:::b-\u0000")))
    resolved = text.replace("\\u0000", UNKNOWN)
    readings = policy_readings(resolved)
    assert readings.sure["Statement"][0]["Resource"] == f"arn:aws:s3:::b-{U}"
    assert readings.possible["Statement"][0]["Resource"] == "arn:aws:s3:::b-*"


@pytest.mark.parametrize(
    "resolved",
    [
        pytest.param(policy_of(allow(Action="s3:GetObject", Resource="*")), id="determined"),
        pytest.param('{"Statement": [}', id="text-that-is-no-json"),
        pytest.param(f"not {U} json", id="undetermined-text-that-is-no-json"),
    ],
)
def test_a_document_determined_in_full_or_no_document_reads_as_widened(resolved: Any) -> None:
    policy = template_policy(resolved, "/doc", lambda _: None)
    assert policy.readings.sure == policy.readings.possible == policy.document


def test_the_places_of_undetermined_values_are_found_with_their_lines() -> None:
    resolved = policy_of(allow(Action=["s3:GetObject", U], Resource=BUCKET))
    policy = template_policy(resolved, "/doc", len)
    places = ["/doc/Statement/0/Action/1", "/doc/Statement/0/Resource"]
    assert policy.undetermined == tuple((place, len(place)) for place in places)
    assert policy.document == policy_of(
        allow(Action=["s3:GetObject", "*"], Resource="arn:aws:s3:::*/*")
    )
