"""Other resources' policies an action depends on (from the profiles' `companions`): a Lambda
function or SNS topic in another account than the role that uses it."""

from __future__ import annotations

from typing import Any

import pytest

from app.engine.companions.documents import DocumentKind

from .helpers import codes, companions, document
from .scenario import ROLE_C, SERVICE_ROLE, A, B, C, action, cross_account_pipeline

FUNCTION = DocumentKind.LAMBDA_FUNCTION_POLICY
TOPIC = DocumentKind.SNS_TOPIC_POLICY


def with_second_stage(*actions: dict[str, Any]) -> dict[str, Any]:
    doc = cross_account_pipeline()
    doc["pipeline"]["stages"][1]["actions"] = list(actions)
    return doc


def invoke(function: str, role: str | None = None) -> dict[str, Any]:
    return action("Invoke", "Invoke", "Lambda", {"FunctionName": function}, role=role)


@pytest.mark.parametrize(
    ("function", "role", "principal"),
    [
        # The service role (account A) invokes a function of account B.
        (f"arn:aws:lambda:us-east-1:{B}:function:check", None, SERVICE_ROLE),
        # An action role of account C invokes a function of account B.
        (f"arn:aws:lambda:us-east-1:{B}:function:check", ROLE_C, ROLE_C),
        # A qualified ARN: the policy is the version's or alias's.
        (f"arn:aws:lambda:us-east-1:{B}:function:check:live", None, SERVICE_ROLE),
    ],
)
def test_a_function_of_another_account_lets_the_role_invoke_it(
    function: str, role: str | None, principal: str
) -> None:
    result = companions(with_second_stage(invoke(function, role)))
    doc = document(result, FUNCTION, function)
    assert doc.account == B
    assert doc.document["Statement"] == [
        {
            "Sid": "InvokeAcrossAccounts",
            "Effect": "Allow",
            "Principal": {"AWS": principal},
            "Action": "lambda:InvokeFunction",
            "Resource": function,
        }
    ]
    (reason,) = doc.statements[0].reasons
    assert reason.citation.id == "LAMX"
    assert reason.inferred


@pytest.mark.parametrize(
    ("function", "role"),
    [
        (f"arn:aws:lambda:us-east-1:{A}:function:check", None),
        (f"arn:aws:lambda:eu-west-1:{C}:function:check", ROLE_C),
        # A name is a function of the role's own account.
        ("check", None),
        ("check", ROLE_C),
    ],
)
def test_a_function_of_the_roles_own_account_needs_no_function_policy(
    function: str, role: str | None
) -> None:
    result = companions(with_second_stage(invoke(function, role)))
    assert result.of_kind(FUNCTION) == ()
    assert "COMPANION_TARGET_ACCOUNT_UNKNOWN" not in codes(result)


def test_a_function_known_only_at_run_time_is_a_finding_not_a_wildcard() -> None:
    result = companions(with_second_stage(invoke("arn:aws:lambda:us-east-1:#{v.acct}:function:f")))
    assert result.of_kind(FUNCTION) == ()
    finding = next(f for f in result.findings if f.code == "COMPANION_TARGET_UNKNOWN")
    assert finding.path == "/pipeline/stages/1/actions/0"


def test_a_topic_of_another_account_lets_the_approval_publish() -> None:
    topic = f"arn:aws:sns:us-east-1:{B}:approvals"
    approval = action("Approve", "Approval", "Manual", {"NotificationArn": topic})
    result = companions(with_second_stage(approval))
    doc = document(result, TOPIC, topic)
    assert doc.document["Statement"][0]["Principal"] == {"AWS": SERVICE_ROLE}
    assert doc.document["Statement"][0]["Action"] == "sns:Publish"
    assert doc.document["Statement"][0]["Resource"] == topic


def test_an_approval_without_a_topic_needs_no_topic_policy() -> None:
    approval = action("Approve", "Approval", "Manual", {})
    assert companions(with_second_stage(approval)).of_kind(TOPIC) == ()
