"""The condition keys a request determines by itself, for the keys its caller did not give.

Only what the AWS documentation ties to the request is derived
(shared/reference/iam-evaluation-layers.md §3 R3.4, §6 R6.2, from the *AWS global condition
context keys* page):

- `aws:ResourceAccount` is the account that owns the resource: the account field of the
  resource ARN. S3 ARNs (and others) carry none, yet the request still has the key, since the
  resource has an owner; its value is then unknown, and a condition on it cannot be decided.
  A request without a resource (`*`) or with a resource that is not an ARN derives nothing.

What the documentation does not tie to the request is left to the caller: `aws:RequestedRegion`
is the Region of the endpoint called (us-east-1 for a global service such as IAM), which the
resource ARN does not say; no `s3:` key is fixed by the action and resource alone. The page also
names actions whose request has no `aws:ResourceAccount` (EBS, some EC2 accept, peering and copy
actions, …) without a complete list: for those the caller gives the key as an empty list, which
is the request without it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from app.engine.iam.patterns.arn import Arn, parse_arn

RESOURCE_ACCOUNT = "aws:ResourceAccount"
_ACCOUNT_ID = re.compile(r"[0-9]{12}")


@dataclass(frozen=True, slots=True)
class DerivedKey:
    """A key set from the request: `value`, read from `source` (a field of the request)."""

    key: str
    value: str
    source: str
    detail: str


@dataclass(frozen=True, slots=True)
class UnknownKey:
    """A key the request has, whose value could not be derived (`reason`)."""

    key: str
    source: str
    reason: str


@dataclass(frozen=True, slots=True)
class _Unknown:
    reason: str


@dataclass(frozen=True, slots=True)
class RequestContext:
    """The caller's context with the derived keys added, and the keys left unknown."""

    values: Mapping[str, Sequence[str] | str]
    derived: tuple[DerivedKey, ...]
    unknown: tuple[UnknownKey, ...]

    @property
    def unknown_keys(self) -> frozenset[str]:
        return frozenset(u.key.lower() for u in self.unknown)


def _resource_account(arn: Arn) -> str | _Unknown:
    if _ACCOUNT_ID.fullmatch(arn.account):
        return arn.account
    if not arn.account:
        return _Unknown(
            "the resource ARN names no account (S3 ARNs never do); the request still has the "
            "key, holding the account that owns the resource, but the ARN does not say which: "
            "give it in `context`"
        )
    return _Unknown(
        f"the account field of the resource ARN, `{arn.account}`, is not an account ID: "
        "give the key in `context`"
    )


# (key, what it is read from, how, the rule): one row per documented derivation.
_RULES: tuple[tuple[str, str, str, Callable[[Arn], str | _Unknown]], ...] = (
    (RESOURCE_ACCOUNT, "resource", "the account field of the resource ARN", _resource_account),
)


def derive_request_context(
    resource: str, context: Mapping[str, Sequence[str] | str]
) -> RequestContext:
    """`context` with the keys `resource` determines added, where `context` has none of them
    (in any spelling: condition keys are case-insensitive). What the caller gives wins, an
    empty list included (the request without the key)."""
    arn = parse_arn(resource) if resource != "*" else None
    if arn is None:
        return RequestContext(context, (), ())
    given = {name.lower() for name in context}
    values: dict[str, Sequence[str] | str] = dict(context)
    derived: list[DerivedKey] = []
    unknown: list[UnknownKey] = []
    for key, source, detail, rule in _RULES:
        if key.lower() in given:
            continue
        found = rule(arn)
        if isinstance(found, _Unknown):
            unknown.append(UnknownKey(key, source, found.reason))
        else:
            values[key] = found
            derived.append(DerivedKey(key, found, source, detail))
    return RequestContext(values, tuple(derived), tuple(unknown))
