"""What an authorization answer carries: the deciding statement, every layer's own outcome,
the work charged to the request's budget, and the input the rules cannot decide."""

from __future__ import annotations

import pytest

from app.engine.authorization import (
    AuthorizationContext,
    AuthorizationInputError,
    AuthorizationRequest,
    authorize,
)
from app.engine.budget import WorkBudget, WorkLimitExceededError, WorkLimits
from tests.unit.engine.authorization.cases import (
    FULL_ACCESS,
    OBJECT,
    A,
    allow,
    deny,
    doc,
    get_object,
    org,
    stmt,
    user_u,
)


def test_the_deciding_statement_is_named_by_level_document_index_and_sid() -> None:
    scp = [[FULL_ACCESS], [FULL_ACCESS, doc(stmt("Allow", "*"), stmt("Deny", "s3:*", sid="NoS3"))]]
    context = AuthorizationContext(user_u, [allow("s3:*")], accounts={A: org(scp=scp)})
    got = authorize(context, [get_object()])[0]
    assert got.statement is not None
    assert (got.layer, got.level, got.statement.document, got.statement.statement) == (
        "scp",
        1,
        1,
        1,
    )
    assert got.statement.sid == "NoS3"
    assert [(o.layer, o.level, o.decision) for o in got.layers] == [
        ("scp", 0, "allowed"),
        ("scp", 1, "explicitly_denied"),
        ("identity", None, "allowed"),
    ]


def test_an_allow_names_the_identity_statement_that_allowed() -> None:
    context = AuthorizationContext(user_u, [deny("ec2:*"), allow("s3:GetObject", sid="Read")])
    got = authorize(context, [get_object()])[0]
    assert got.statement is not None
    assert (got.statement.document, got.statement.sid) == (1, "Read")


def test_an_s3_resource_without_its_owner_is_refused() -> None:
    context = AuthorizationContext(user_u, [allow("s3:*")])
    with pytest.raises(AuthorizationInputError) as raised:
        authorize(context, [AuthorizationRequest("s3:GetObject", OBJECT)])
    assert raised.value.pointer == "/requests/0/resource_account"


def test_statements_weighed_are_charged_to_the_budget() -> None:
    many = doc(*(stmt("Allow", "s3:GetObject", f"arn:aws:s3:::b{i}/*") for i in range(50)))
    context = AuthorizationContext(
        user_u, [many], resource_policies={"arn:aws:s3:::bucket-a": many}
    )
    spent = WorkBudget()
    authorize(context, [get_object()], spent)
    assert spent.steps >= 50
    with pytest.raises(WorkLimitExceededError):
        authorize(context, [get_object()] * 10, WorkBudget(WorkLimits(steps=spent.steps * 2)))
