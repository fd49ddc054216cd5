"""Which statements of a resource-based policy name the caller, and how [PRIN, NOTP, R5].

How a statement names the caller decides what its `Allow` is worth in the same account (§2):

- `named`: the caller itself: its user ARN, its session ARN, its federated-user ARN, a service
  principal, or everyone (`"*"`, `{"AWS": "*"}`) [R5.1]. Enough alone, and not limited by an
  implicit deny of the permissions boundary or the session policy [ENF, PB, POL].
- `role`: the role ARN, for a session of that role [R5.3]; `federating_user`: the IAM user who
  called GetFederationToken, for its federated session [ENF, GFT]. Enough alone, but limited by
  the boundary and session policy.
- `account`: the account, as `"123456789012"` or `arn:aws:iam::123456789012:root` [R5.2]. It
  delegates to the account's IAM, so an identity `Allow` is still needed (§2 last row).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Literal

from app.engine.authorization.context import Document, Principal
from app.engine.iam.policy.parse import decode_document
from app.engine.iam.policy.principals import ABSENT, PrincipalElement, principal_element

MatchKind = Literal["named", "role", "federating_user", "account"]
_STRENGTH: dict[MatchKind, int] = {"named": 3, "role": 2, "federating_user": 2, "account": 1}
_ACCOUNT_ID = re.compile(r"[0-9]{12}")
_UNIQUE_ID = re.compile(r"A[A-Z0-9]{3}[A-Z0-9]{12,}")


def principal_elements(document: Document, pointer: str) -> tuple[PrincipalElement, ...]:
    """The Principal element of each statement of a resource-based policy (at `pointer`), by
    statement index (the order the policy parser numbers them in). The policy is one document:
    anything else raises PolicyParseError (decode_document)."""
    raw = decode_document(document, pointer).get("Statement")
    statements = [raw] if isinstance(raw, Mapping) else raw if isinstance(raw, list) else []
    return tuple(principal_element(s) if isinstance(s, Mapping) else ABSENT for s in statements)


def _role_name(arn: str) -> str:
    return arn.split(":", 5)[-1].rsplit("/", maxsplit=1)[-1]


def _arn_fields(arn: str) -> list[str]:
    parts = arn.split(":", 5)
    return parts if len(parts) == 6 and parts[0] == "arn" else []


def _aws_entry(value: str, caller: Principal) -> MatchKind | None:
    """How an `AWS` principal entry names the caller. Partial wildcards never match [R5.1]; a
    unique ID matches only the entity that had it, not one recreated with its name [R4.7]."""
    if value == "*":
        return "named"
    if _ACCOUNT_ID.fullmatch(value):
        value = f"arn:{caller.partition}:iam::{value}:root"
    if _UNIQUE_ID.fullmatch(value):
        return "named" if caller.unique_id and value == caller.unique_id else None
    fields = _arn_fields(value)
    if not fields or "*" in value or "?" in value:
        return None
    _, partition, service, _, account, resource = fields
    if partition != caller.partition or account != caller.account_id:
        return None
    if service == "iam" and resource == "root":
        return "account" if caller.kind not in ("service", "anonymous") else None
    if value == caller.arn and caller.kind in ("user", "assumed_role", "federated_user"):
        return "named"
    # A role ARN matches every session of the role, compared on partition, account and the
    # role's name, the session ARN carrying no path [R5.3, SIM].
    if (
        service == "iam"
        and resource.startswith("role/")
        and caller.session_role_arn
        and _role_name(value).lower() == _role_name(caller.session_role_arn).lower()
    ):
        return "role"
    if caller.kind == "federated_user" and value == caller.federated_by:
        return "federating_user"
    return None


def _entry(kind: str, value: str, caller: Principal) -> MatchKind | None:
    if kind == "AWS":
        return _aws_entry(value, caller)
    if kind == "Service":
        # `"Service": "*"` is invalid [R5.1]; a Regional form names the same service [R7.5].
        return "named" if caller.kind == "service" and value == caller.arn else None
    # Federated (OIDC, SAML) and CanonicalUser principals are not modelled: they match nothing.
    return None


def _excepted(kinds: Sequence[MatchKind], caller: Principal) -> bool:
    """A NotPrincipal list excepts a caller only when it lists the caller's account as well as
    the caller (the root user is its account): "include the account ARN" of each excepted
    principal, "or the whole account may be denied" [NOTP, R5.5]."""
    if "account" not in kinds:
        return False
    return caller.kind == "root" or any(k != "account" for k in kinds)


def principal_match(element: PrincipalElement, caller: Principal) -> MatchKind | None:
    """How the Principal element names the caller (`None`: it does not). `NotPrincipal` names
    every caller it does not list [NOTP]."""
    if not element.present:
        return None  # neither Principal nor NotPrincipal: the statement never applies [R5.4]
    if element.everyone:
        return None if element.negated else "named"
    kinds = [k for t, v in element.entries if (k := _entry(t, v, caller)) is not None]
    if element.negated:
        return None if _excepted(kinds, caller) else "named"
    return strongest(kinds)


def strongest(kinds: Sequence[MatchKind]) -> MatchKind | None:
    best: MatchKind | None = None
    for kind in kinds:
        if best is None or _STRENGTH[kind] > _STRENGTH[best]:
            best = kind
    return best
