"""What an authorization answer carries: the deciding statement, every layer's own outcome,
the work charged to the request's budget, and the input the rules cannot decide."""

from __future__ import annotations

import pytest

from app.engine.authorization import (
    AuthorizationContext,
    AuthorizationInputError,
    AuthorizationRequest,
    DocumentPointers,
    authorize,
)
from app.engine.budget import WorkBudget, WorkLimitExceededError, WorkLimits
from tests.unit.engine.authorization.cases import (
    BUCKET,
    FULL_ACCESS,
    OBJECT,
    ROOT_A,
    A,
    allow,
    aws,
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


def _pointers(context: AuthorizationContext, request: AuthorizationRequest) -> dict[str, str]:
    (got,) = authorize(context, [request])
    return {o.layer: o.statements[0].pointer for o in got.layers if o.statements}


def test_each_statement_points_to_where_its_document_sits() -> None:
    """By default, at the context's own fields; a boundary or a resource policy is one document
    (no index of its own), a resource policy sits at its ARN (a bucket's for its objects), and
    an SCP level at its account and level."""
    grant = allow("s3:GetObject", f"{BUCKET}/*", principal=aws(ROOT_A))
    context = AuthorizationContext(
        user_u,
        [allow("ec2:*"), allow("s3:*")],
        permission_boundary=allow("s3:*"),
        resource_policies={BUCKET: grant},
        accounts={A: org(scp=[[FULL_ACCESS]])},
    )
    assert _pointers(context, get_object()) == {
        "scp": f"/accounts/{A}/scp_levels/0/0/Statement/0",
        "resource": "/resource_policies/arn:aws:s3:::bucket-a/Statement/0",
        "identity": "/identity_policies/1/Statement/0",
        "boundary": "/permission_boundary/Statement/0",
    }
    moved = DocumentPointers(
        identity="/policy/documents",
        boundary="/pb",
        accounts="/orgs",
        resource_policies="/rp",
        request_policy="/asked/{index}/policy",
    )
    context = AuthorizationContext(**{**vars(context), "pointers": moved})
    assert _pointers(context, get_object()) == {
        "scp": f"/orgs/{A}/scp_levels/0/0/Statement/0",
        "resource": "/rp/arn:aws:s3:::bucket-a/Statement/0",
        "identity": "/policy/documents/1/Statement/0",
        "boundary": "/pb/Statement/0",
    }
    own = _pointers(context, get_object(resource_policy=grant))
    assert own["resource"] == "/asked/0/policy/Statement/0"


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
