"""Policy builders and the table-row shape of the authorization tests (accounts A and B, the
principals of §10 of shared/reference/iam-evaluation-layers.md)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from app.engine.authorization import (
    AccountPolicies,
    AuthorizationContext,
    AuthorizationDecision,
    AuthorizationRequest,
    Principal,
    authorize,
)

A = "111111111111"
B = "222222222222"
USER_U = f"arn:aws:iam::{A}:user/u"
ROLE_R = f"arn:aws:iam::{A}:role/R"
SESS = f"arn:aws:sts::{A}:assumed-role/R/s"
ROOT_A = f"arn:aws:iam::{A}:root"
ROOT_B = f"arn:aws:iam::{B}:root"
BUCKET = "arn:aws:s3:::bucket-a"
OBJECT = f"{BUCKET}/k"
KEY_A = f"arn:aws:kms:us-east-1:{A}:key/1234abcd-12ab-34cd-56ef-1234567890ab"

user_u = Principal(USER_U, "user")
session = Principal(SESS, "assumed_role")
root_a = Principal(ROOT_A, "root")
anonymous = Principal("", "anonymous")


def stmt(
    effect: str,
    action: str | list[str],
    resource: str | list[str] = "*",
    *,
    principal: Any = None,
    not_principal: Any = None,
    condition: dict[str, Any] | None = None,
    sid: str | None = None,
) -> dict[str, Any]:
    out: dict[str, Any] = {"Effect": effect, "Action": action, "Resource": resource}
    if sid is not None:
        out["Sid"] = sid
    if principal is not None:
        out["Principal"] = principal
    if not_principal is not None:
        out["NotPrincipal"] = not_principal
    if condition is not None:
        out["Condition"] = condition
    return out


def doc(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(action: str | list[str], resource: str | list[str] = "*", **kw: Any) -> dict[str, Any]:
    return doc(stmt("Allow", action, resource, **kw))


def deny(action: str | list[str], resource: str | list[str] = "*", **kw: Any) -> dict[str, Any]:
    return doc(stmt("Deny", action, resource, **kw))


FULL_ACCESS = allow("*")


def attached(effect: str, action: str | list[str], **kw: Any) -> dict[str, Any]:
    """A statement of a policy attached to its resource, as a role's trust policy is written:
    no `Resource` element (IAM refuses one in a trust policy) [R4.5]."""
    out = stmt(effect, action, **kw)
    del out["Resource"]
    return out


def aws(*principals: str) -> dict[str, Any]:
    return {"AWS": list(principals) if len(principals) > 1 else principals[0]}


def org(
    scp: list[list[dict[str, Any]]] | None = None,
    rcp: list[list[dict[str, Any]]] | None = None,
    *,
    management: bool = False,
) -> AccountPolicies:
    return AccountPolicies(scp_levels=scp, rcp_levels=rcp, management=management)


@dataclass(frozen=True)
class Case:
    """A row: its §10 number (or a name), the rule and source it checks, the context, the
    request, and the decision and deciding layer expected."""

    name: str
    source: str
    context: AuthorizationContext
    request: AuthorizationRequest
    decision: str
    layer: str
    extra: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.name} [{self.source}]"


def decide(case: Case) -> AuthorizationDecision:
    return authorize(case.context, [case.request])[0]


def get_object(resource: str = OBJECT, owner: str = A, **kw: Any) -> AuthorizationRequest:
    return AuthorizationRequest("s3:GetObject", resource, resource_account=owner, **kw)


def check(case: Case) -> AuthorizationDecision:
    got = decide(case)
    assert (got.decision, got.layer) == (case.decision, case.layer), (str(case), got.reason)
    return got
