"""Principal rules of resource policies (a role's trust policy, a bucket's or key's policy):
every statement names a Principal (or NotPrincipal) in IAM's grammar, and a trust policy, whose
resource is the role itself, has no Resource element."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping

from app.engine.findings import Finding, finding
from app.engine.iam.validation.view import RESOURCE_POLICY_TYPES, PolicyContext, StatementView
from app.engine.json_pointer import pointer_join

_PRINCIPAL_KEYS = ("Principal", "NotPrincipal")
# An AWS principal: an account, or an IAM or STS ARN of one (CloudFront's origin access
# identities are users of the account `cloudfront`). A wildcard is allowed only as the whole of
# the value: IAM rejects `arn:aws:iam::*:role/x` as an invalid principal.
_ACCOUNT = re.compile(r"^\d{12}$")
_AWS_ARN = re.compile(r"^arn:aws[a-z-]*:(iam|sts)::(\d{12}|cloudfront):[^*?]+$")
# A service principal, as a Service entry names it and a service calls as.
SERVICE_PRINCIPAL = re.compile(r"^[a-z0-9][a-z0-9.-]*\.amazonaws\.com(\.cn)?$")
_CANONICAL_USER = re.compile(r"^[0-9a-f]{64}$")


def _valid_aws(value: str) -> bool:
    return value == "*" or bool(_ACCOUNT.match(value) or _AWS_ARN.match(value))


def _valid_federated(value: str) -> bool:
    return bool(value) and "*" not in value


_CHECKS: Mapping[str, tuple[Callable[[str], object], str]] = {
    "AWS": (_valid_aws, "`*`, a 12-digit account or an IAM/STS ARN without wildcards"),
    "Service": (
        SERVICE_PRINCIPAL.match,
        "a service principal such as `codepipeline.amazonaws.com`",
    ),
    "Federated": (_valid_federated, "an identity provider's ARN or domain"),
    "CanonicalUser": (_CANONICAL_USER.match, "a 64-character canonical user id"),
}


def _principal(value: object, pointer: str) -> Iterator[Finding]:
    if value == "*":
        return
    if not isinstance(value, Mapping) or not value:
        yield finding(
            "INVALID_PRINCIPAL",
            'a principal is "*" or an object such as {"AWS": ...} or {"Service": ...}',
            pointer,
        )
        return
    for kind, names in value.items():
        at = pointer_join(pointer, str(kind))
        check = _CHECKS.get(str(kind))
        if check is None:
            yield finding(
                "INVALID_PRINCIPAL",
                f"unknown principal type {kind!r} (AWS, Service, Federated or CanonicalUser)",
                at,
            )
            continue
        listed = names if isinstance(names, list) else [names]
        if not listed:
            yield finding("INVALID_PRINCIPAL", f"the {kind} principal list is empty", at)
        for i, name in enumerate(listed):
            where = pointer_join(at, i) if isinstance(names, list) else at
            valid, expected = check
            if not isinstance(name, str) or not valid(name):
                yield finding(
                    "INVALID_PRINCIPAL",
                    f"{name!r} is not a valid {kind} principal: expected {expected}",
                    where,
                    principal=name if isinstance(name, str) else None,
                )


def _statement(stmt: StatementView, trust: bool) -> Iterator[Finding]:
    given = [key for key in _PRINCIPAL_KEYS if key in stmt.raw]
    if not given:
        yield finding(
            "MISSING_PRINCIPAL",
            "a resource or trust policy statement must name a Principal (or NotPrincipal)",
            stmt.pointer,
        )
    for key in given:
        yield from _principal(stmt.raw[key], stmt.element_pointer(key))
    if trust:
        for key in ("Resource", "NotResource"):
            if key in stmt.raw:
                yield finding(
                    "RESOURCE_IN_TRUST_POLICY",
                    f"a role trust policy has no {key}: its resource is the role itself "
                    "(IAM rejects it: MalformedPolicyDocument)",
                    stmt.element_pointer(key),
                )


def principals(ctx: PolicyContext) -> Iterator[Finding]:
    if ctx.policy_type not in RESOURCE_POLICY_TYPES:
        return
    for stmt in ctx.statements:
        yield from _statement(stmt, ctx.policy_type == "trust")
