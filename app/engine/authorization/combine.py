"""How the layers' own decisions make the request's decision (§1-§4 of
shared/reference/iam-evaluation-layers.md).

1. A matching `Deny` in any layer denies, looked for in the order SCPs, RCPs, resource policy,
   identity policies, permissions boundary, session policy [ENF, R1.2, R2.1].
2. Every SCP level, then every RCP level, must have an applying `Allow` [SCPE, RCPE, R1.3, R1.4].
3. A KMS operation that does not work across accounts fails there [KPX, R4.3].
4. Service principals and anonymous callers are allowed by the resource policy alone, which
   must name them [LAM, R3.6, R3.7].
5. In the same account, the identity path (identity `Allow`, and the boundary and session
   policy where present) allows [EVAL, PB, R1.8]; so does a resource policy, by how it names the
   caller (§2): the caller itself alone, its role or its federating user if the boundary and
   session policy allow too, its account never alone. KMS key and trust policies must allow in
   every case; one naming only the account lets the identity path count [R2.2, R4.1, R4.2, R4.6].
6. Across accounts both sides must allow: the identity path in the caller's account, and a
   resource policy naming the caller in any form, the account included [XACCT, XRES, R3.1,
   R3.2, R4.3, R4.5].

The root user passes the identity path with no policy [ENF, R1.1], but not a KMS key policy
[KP]. An implicit deny is laid on the first gate that failed on the way most favourable to the
caller: with a resource policy naming its role, the boundary and session policy; otherwise the
identity policies, the boundary, the session policy, then (across accounts, or where the
resource policy must allow) the resource policy.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from app.engine.authorization.context import (
    AuthorizationDecision,
    Decision,
    LayerOutcome,
    Principal,
)
from app.engine.authorization.layers import LayerDecision
from app.engine.authorization.service_rules import ResourceRule


@dataclass(frozen=True)
class RequestLayers:
    """The layers that apply to one request, each with its own decision. `resource` is None
    when no resource policy takes part; `scp`/`rcp` are None when none binds the request."""

    identity: LayerDecision | None
    boundary: LayerDecision | None
    session: LayerDecision | None
    resource: LayerDecision | None
    scp: Sequence[LayerDecision] | None
    rcp: Sequence[LayerDecision] | None

    def outcomes(self) -> tuple[LayerOutcome, ...]:
        found = [*(self.scp or ()), *(self.rcp or ())]
        found += [d for d in (self.resource, self.identity, self.boundary, self.session) if d]
        return tuple(d.outcome for d in found)

    def in_deny_order(self) -> list[LayerDecision]:
        ordered = [*(self.scp or ()), *(self.rcp or ()), self.resource]
        ordered += [self.identity, self.boundary, self.session]
        return [d for d in ordered if d is not None]


def _answer(
    decision: Decision,
    deciding: LayerDecision,
    reason: str,
    layers: RequestLayers,
) -> AuthorizationDecision:
    outcome = deciding.outcome
    return AuthorizationDecision(
        decision,
        outcome.layer,
        reason,
        definite=all(o.definite for o in layers.outcomes()),
        statement=outcome.statements[0] if outcome.statements else None,
        level=outcome.level,
        layers=layers.outcomes(),
    )


def _root_allow(layers: RequestLayers) -> AuthorizationDecision:
    return AuthorizationDecision(
        "allowed",
        "root",
        "the account's root user has full access in its account [ENF, R1.1]",
        definite=all(o.definite for o in layers.outcomes()),
        layers=layers.outcomes(),
    )


Gate = Literal["identity", "boundary", "session", "resource"]


def _gate(layers: RequestLayers, name: Gate) -> LayerDecision | None:
    gates = {
        "identity": layers.identity,
        "boundary": layers.boundary,
        "session": layers.session,
        "resource": layers.resource,
    }
    return gates[name]


def _passes(layers: RequestLayers, name: Gate, is_root: bool) -> bool:
    """Identity policies must allow (the root user needs none); the boundary and the session
    policy must allow where present; the resource policy must name the caller in an `Allow`."""
    gate = _gate(layers, name)
    if name == "identity":
        return is_root or (gate is not None and gate.allows)
    if name == "resource":
        return gate is not None and gate.allow_kind is not None
    return gate is None or gate.allows


# Why the request fails when the gate that failed limits what the others allow.
_LIMITS = {
    "boundary": "the permissions boundary does not allow the request [PB, R2.1]",
    "session": "the session policy does not allow the request [R1.7]",
}


def _implicit(
    layers: RequestLayers, gates: Sequence[Gate], is_root: bool, why: str
) -> AuthorizationDecision:
    failed = next((g for g in gates if not _passes(layers, g, is_root)), gates[-1])
    gate = _gate(layers, failed)
    if gate is not None and failed in _LIMITS:
        why = _LIMITS[failed]
    if gate is not None:
        return _answer("implicitly_denied", gate, why, layers)
    return AuthorizationDecision(
        "implicitly_denied",
        failed,
        f"{why}; no {failed} policy was given",
        definite=all(o.definite for o in layers.outcomes()),
        layers=layers.outcomes(),
    )


_IDENTITY_PATH: tuple[Gate, ...] = ("identity", "boundary", "session")
_LIMITED: tuple[Gate, ...] = ("boundary", "session")


def combine(
    principal: Principal,
    same_account: bool,
    rule: ResourceRule,
    layers: RequestLayers,
    *,
    refusal: str = "",
) -> AuthorizationDecision:
    """`refusal` says why the service refuses the request once no layer denies it and the
    organisation allows it (a KMS operation that does not work across accounts)."""
    for layer in layers.in_deny_order():
        if layer.denies:
            return _answer("explicitly_denied", layer, "an applying Deny [ENF, R1.2]", layers)
    for levels, source in ((layers.scp, "SCPE, R1.4"), (layers.rcp, "RCPE, R1.3")):
        for level in levels or ():
            if not level.allows:
                reason = f"no policy of this organisation level allows the request [{source}]"
                return _answer("implicitly_denied", level, reason, layers)
    if refusal:
        return AuthorizationDecision(
            "implicitly_denied",
            "service_rule",
            refusal,
            definite=all(o.definite for o in layers.outcomes()),
            layers=layers.outcomes(),
        )
    resource = layers.resource
    kind = resource.allow_kind if resource is not None else None
    is_root = principal.kind == "root"
    if principal.kind in ("service", "anonymous"):
        if resource is not None and kind is not None:
            why = "the resource policy names the caller [R3.6, R3.7]"
            return _answer("allowed", resource, why, layers)
        why = "only a resource policy naming the caller allows it [R3.6, R3.7]"
        return _implicit(layers, ("resource",), is_root, why)
    identity_path = all(_passes(layers, g, is_root) for g in _IDENTITY_PATH)
    if not same_account:
        if identity_path and resource is not None and kind is not None:
            named = "the caller's account" if kind == "account" else "the caller"
            why = (
                f"both accounts allow: the resource policy names {named}, and the caller's "
                "own account allows [XACCT, R3.1]"
            )
            return _answer("allowed", resource, why, layers)
        why = "a cross-account request needs both sides [XACCT, R3.1, R3.2]"
        return _implicit(layers, (*_IDENTITY_PATH, "resource"), is_root, why)
    limited_path = all(_passes(layers, g, is_root) for g in _LIMITED)
    if resource is not None and (
        kind == "named" or (kind in ("role", "federating_user") and limited_path)
    ):
        why = "the resource policy names the caller, enough in its account [ENF, §2]"
        return _answer("allowed", resource, why, layers)
    must_allow = rule == "must_allow"
    if identity_path and (not must_allow or kind == "account"):
        if layers.identity is None or not layers.identity.allows:
            return _root_allow(layers)
        return _answer("allowed", layers.identity, "the identity policies allow [R1.8]", layers)
    why = "no layer allows the request [ENF]"
    if kind in ("role", "federating_user"):
        return _implicit(layers, _LIMITED, is_root, why)
    if must_allow and kind is None:
        why = "this resource's policy must allow the request [R2.2, R4.1, R4.5]"
        return _implicit(layers, ("resource",), is_root, why)
    return _implicit(layers, _IDENTITY_PATH, is_root, why)
