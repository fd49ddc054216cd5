"""A request whose resource is a pattern, decided for every resource it stands for: each layer
allows only when its grants take in the whole pattern; a Deny that may reach part of it, or a
condition the facts leave open, makes the answer indefinite."""

from __future__ import annotations

from typing import Any

import pytest

from app.engine.authorization import (
    AuthorizationContext,
    AuthorizationRequest,
    Principal,
    authorize,
)
from app.engine.authorization.context import AccountPolicies
from app.engine.budget import WorkBudget, WorkLimitExceededError, WorkLimits
from app.engine.iam.conditions.facts import KeyFact

A = "111111111111"
ROLE = f"arn:aws:iam::{A}:role/PipelineRole"
OBJECTS = "arn:aws:s3:::artifacts/*"


def _policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def _allow(resource: str, **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": "s3:GetObject", "Resource": resource, **extra}


def _deny(resource: str, **extra: Any) -> dict[str, Any]:
    return {"Effect": "Deny", "Action": "s3:*", "Resource": resource, **extra}


TLS = {"aws:securetransport": KeyFact(frozenset({"true"}), may_be_absent=False)}
INSECURE = {"Bool": {"aws:SecureTransport": "false"}}

CASES = [
    # (identity statements, facts, decision, definite, deciding layer)
    ([_allow(OBJECTS)], {}, "allowed", True, "identity"),
    ([_allow("arn:aws:s3:::artifacts/*/*")], {}, "implicitly_denied", True, "identity"),
    ([_allow("arn:aws:s3:::artifacts/release/*")], {}, "implicitly_denied", True, "identity"),
    ([_allow("arn:aws:s3:::*")], {}, "allowed", True, "identity"),
    ([_allow(OBJECTS), _deny(OBJECTS)], {}, "explicitly_denied", True, "identity"),
    # A Deny on part of the pattern may reach its resources: not definite.
    ([_allow(OBJECTS), _deny("arn:aws:s3:::artifacts/secret/*")], {}, "allowed", False, "identity"),
    # A Deny under a condition the facts settle does not apply; one they leave open may.
    ([_allow(OBJECTS), _deny(OBJECTS, Condition=INSECURE)], TLS, "allowed", True, "identity"),
    ([_allow(OBJECTS), _deny(OBJECTS, Condition=INSECURE)], {}, "allowed", False, "identity"),
    (
        [_allow(OBJECTS, Condition={"StringEquals": {"aws:ResourceAccount": A}})],
        {},
        "allowed",
        True,
        "identity",
    ),
    (
        [_allow(OBJECTS, Condition={"StringEquals": {"s3:ExistingObjectTag/env": "prod"}})],
        {},
        "implicitly_denied",
        False,
        "identity",
    ),
]


@pytest.mark.parametrize(("statements", "facts", "decision", "definite", "layer"), CASES)
def test_identity_layer_on_a_pattern(
    statements: list[dict[str, Any]],
    facts: dict[str, KeyFact],
    decision: str,
    definite: bool,
    layer: str,
) -> None:
    context = AuthorizationContext(Principal(ROLE, "role"), [_policy(*statements)])
    request = AuthorizationRequest("s3:GetObject", OBJECTS, resource_account=A, facts=facts)
    (got,) = authorize(context, [request])
    assert (got.decision, got.definite, got.layer) == (decision, definite, layer)


def test_a_bucket_policy_across_accounts_must_cover_the_pattern() -> None:
    """The caller in B reads objects of A's bucket: the bucket policy must name it for the
    whole pattern; a grant on part of the bucket is not enough for every artifact."""
    caller = Principal("arn:aws:iam::222222222222:role/DeployRole", "role")
    identity = [_policy(_allow(OBJECTS))]
    whole = _policy({**_allow(OBJECTS), "Principal": {"AWS": caller.arn}})
    part = _policy({**_allow("arn:aws:s3:::artifacts/release/*"), "Principal": {"AWS": caller.arn}})
    request = AuthorizationRequest("s3:GetObject", OBJECTS, resource_account=A, facts={})
    for policy, expected in ((whole, "allowed"), (part, "implicitly_denied")):
        context = AuthorizationContext(
            caller, identity, resource_policies={"arn:aws:s3:::artifacts": policy}
        )
        (got,) = authorize(context, [request])
        assert (got.decision, got.layer) == (expected, "resource")


def _under_scp_levels(levels: int, statements: int) -> AuthorizationContext:
    """Each level allows everything and denies `statements` actions nobody asks for."""
    level = _policy(
        {"Effect": "Allow", "Action": "*", "Resource": "*"},
        *({"Effect": "Deny", "Action": f"ec2:Foo{i}", "Resource": "*"} for i in range(statements)),
    )
    accounts = {A: AccountPolicies(scp_levels=[[level]] * levels)}
    return AuthorizationContext(
        Principal(ROLE, "role"), [_policy(_allow(OBJECTS))], accounts=accounts
    )


@pytest.mark.parametrize(
    ("levels", "statements"), [(1, 30), pytest.param(7, 3_000, marks=pytest.mark.slow)]
)
def test_each_layer_weighs_every_statement_for_a_pattern(levels: int, statements: int) -> None:
    context = _under_scp_levels(levels, statements)
    request = AuthorizationRequest("s3:GetObject", OBJECTS, resource_account=A, facts={})
    budget = WorkBudget()
    (got,) = authorize(context, [request], budget)
    assert got.decision == "allowed"
    assert budget.steps >= levels * (statements + 1)

    small = WorkBudget(WorkLimits(steps=levels * statements // 2))
    with pytest.raises(WorkLimitExceededError) as refused:
        authorize(context, [request] * 10, small)
    assert refused.value.limit == "steps"
    assert refused.value.pointer.startswith(f"/accounts/{A}/scp_levels/")
