"""The condition keys the principal and the request determine [R5.6, R6.1-R6.5].

A key the caller gives in the request's context is kept as given; the others are derived here:
the principal keys of [VAR] and [CK], `aws:ResourceAccount` from the resource's owner [R6.2],
`aws:ViaAWSService` (false unless the caller says the call is a forward access session [R6.3]),
and `aws:SourceOwner`, the legacy SNS name of `aws:SourceAccount`, given the other's value
[R4.13]. `aws:CalledVia` and the source keys of service calls are the caller's to give: a
direct call has none [R6.3, R6.5], and an absent key is left absent [R6.4].
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from app.engine.authorization.context import Principal

_PRINCIPAL_TYPE = {
    "root": "Account",
    "user": "User",
    "federated_user": "FederatedUser",
    "assumed_role": "AssumedRole",
    "role": "AssumedRole",
    "anonymous": "Anonymous",
}


def _principal_arn(principal: Principal) -> str:
    """A role session's `aws:PrincipalArn` is its role's ARN; a root user's is `…:root`, which
    matches only the root user [R5.6]."""
    if principal.kind in ("assumed_role", "role"):
        return principal.session_role_arn
    if principal.kind in ("root", "user", "federated_user"):
        return principal.arn
    return ""


def _userid(principal: Principal) -> str:
    """`aws:userid` per caller type [VAR, R6.1]; a unique ID only when the caller gives it."""
    name = principal.arn.rsplit("/", 1)[-1]
    if principal.kind == "root":
        return principal.account_id
    if principal.kind == "anonymous":
        return "anonymous"
    if principal.kind == "federated_user":
        return f"{principal.account_id}:{name}"
    if not principal.unique_id:
        return ""
    if principal.kind == "assumed_role":
        return f"{principal.unique_id}:{name}"
    return principal.unique_id if principal.kind == "user" else ""


def principal_keys(principal: Principal) -> dict[str, list[str]]:
    keys: dict[str, list[str]] = {}
    anonymous = principal.kind == "anonymous"
    if principal.kind == "service":
        keys["aws:PrincipalIsAWSService"] = ["true"]
        keys["aws:PrincipalServiceName"] = [principal.arn]
        return keys
    keys["aws:PrincipalAccount"] = ["anonymous" if anonymous else principal.account_id]
    keys["aws:PrincipalType"] = [_PRINCIPAL_TYPE[principal.kind]]
    if userid := _userid(principal):
        keys["aws:userid"] = [userid]
    if anonymous:
        return keys
    keys["aws:PrincipalArn"] = [_principal_arn(principal)]
    keys["aws:PrincipalIsAWSService"] = ["false"]
    if principal.kind == "user":
        keys["aws:username"] = [principal.arn.rsplit("/", 1)[-1]]
    if principal.org_id:
        keys["aws:PrincipalOrgID"] = [principal.org_id]
    if principal.org_paths:
        keys["aws:PrincipalOrgPaths"] = list(principal.org_paths)
    for tag, value in principal.tags.items():
        keys[f"aws:PrincipalTag/{tag}"] = [value]
    return keys


def request_context(
    principal: Principal,
    resource_account: str,
    given: Mapping[str, Sequence[str] | str],
) -> dict[str, list[str]]:
    """The request's context keys (lower-cased names): the given ones, then the derived ones
    the caller did not give."""
    out: dict[str, list[str]] = {}
    for key, value in given.items():
        out.setdefault(key.lower(), []).extend([value] if isinstance(value, str) else value)
    derived = principal_keys(principal)
    if resource_account:
        derived["aws:ResourceAccount"] = [resource_account]
    derived["aws:ViaAWSService"] = ["false"]
    for key, values in derived.items():
        out.setdefault(key.lower(), values)
    if "aws:sourceowner" in out:
        out.setdefault("aws:sourceaccount", out["aws:sourceowner"])
    elif "aws:sourceaccount" in out:
        out["aws:sourceowner"] = out["aws:sourceaccount"]
    return out
