"""Decide a principal's requests against its whole authorization context."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

from app.engine.authorization import service_rules
from app.engine.authorization.combine import RequestLayers, combine
from app.engine.authorization.context import (
    AuthorizationContext,
    AuthorizationDecision,
    AuthorizationInputError,
    AuthorizationRequest,
    Document,
    Layer,
)
from app.engine.authorization.context_keys import request_context
from app.engine.authorization.layers import (
    CompiledLayer,
    LayerDecision,
    compile_document,
    compile_layer,
    compile_resource_policy,
    decide_layer,
    decide_layer_on_pattern,
)
from app.engine.budget import WorkBudget
from app.engine.iam.conditions.facts import KeyFact
from app.engine.json_pointer import pointer_join

_SESSION_KINDS = ("assumed_role", "role", "federated_user")

# The compiled SCP (or RCP) levels of an account, by (account, layer); None: it has none.
OrganisationLevels = dict[tuple[str, Layer], tuple[CompiledLayer, ...] | None]


def _pattern_facts(
    context: Mapping[str, Sequence[str]], given: Mapping[str, KeyFact]
) -> dict[str, KeyFact]:
    """What is known of every request a pattern stands for: the keys the principal and the
    resource's owner determine, then what the caller says."""
    facts = {
        key: KeyFact(frozenset(values), may_be_absent=False) for key, values in context.items()
    }
    facts.update(given)
    return facts


def _resource_account(request: AuthorizationRequest, index: int) -> str:
    if request.resource_account:
        return request.resource_account
    parts = request.resource.split(":", 5)
    if len(parts) == 6 and parts[4]:
        return parts[4]
    if request.resource == "*":
        return ""
    raise AuthorizationInputError(
        f"the owner of `{request.resource}` cannot be read from its ARN (S3 ARNs carry no "
        "account): give `resource_account` [R3.4]",
        f"/requests/{index}/resource_account",
    )


def _partition(resource: str) -> str:
    parts = resource.split(":", 5)
    return parts[1] if len(parts) == 6 and parts[0] == "arn" else ""


def resource_policy_arn(context: AuthorizationContext, resource: str) -> str | None:
    """The ARN whose policy governs `resource`: its own, else (an S3 object) its bucket's
    [R4.8]; None when the context holds neither."""
    if resource in context.resource_policies:
        return resource
    if resource.startswith("arn:aws:s3:::"):
        bucket = resource.split("/", 1)[0]
        if bucket in context.resource_policies:
            return bucket
    return None


def _policy_for(
    context: AuthorizationContext, request: AuthorizationRequest, index: int
) -> tuple[Document, str] | None:
    """The request's own policy, else the one kept for the ARN, else (an S3 object) its
    bucket's [R4.8]; with where it sits in the input."""
    pointers = context.pointers
    if request.resource_policy is not None:
        return request.resource_policy, pointers.request_policy.format(index=index)
    arn = resource_policy_arn(context, request.resource)
    if arn is None:
        return None
    found = context.resource_policies[arn]
    pointer = context.resource_policy_pointers.get(arn)
    return found, pointer or pointer_join(pointers.resource_policies, arn)


class Authorizer:
    """Decides many requests of one principal, each layer parsed once."""

    def __init__(
        self,
        context: AuthorizationContext,
        budget: WorkBudget | None = None,
        *,
        organisation_levels: OrganisationLevels | None = None,
    ) -> None:
        """`organisation_levels` lets Authorizers of several principals over the same accounts
        share the SCP and RCP levels they compile (those do not depend on the caller)."""
        self.context = context
        self.budget = budget or WorkBudget()
        principal = context.principal
        self._caller_has_policies = principal.kind not in ("service", "anonymous")
        pointers = context.pointers
        self._identity = compile_layer(
            context.identity_policies, "identity", pointers.identity, each=pointers.identity_each
        )
        self._boundary = (
            compile_document(context.permission_boundary, "boundary", pointers.boundary)
            if context.permission_boundary is not None
            else None
        )
        # An empty list of session policies is none passed: AWS takes no session policy then,
        # and the session is not limited [R1.7]; it is no layer that allows nothing.
        self._session = (
            compile_layer(context.session_policies, "session", pointers.session)
            if context.session_policies and principal.kind in _SESSION_KINDS
            else None
        )
        self._levels = {} if organisation_levels is None else organisation_levels
        self._resource: dict[tuple[int, bool, str], CompiledLayer] = {}

    def _org_levels(self, account: str, layer: Layer) -> tuple[CompiledLayer, ...] | None:
        key = (account, layer)
        if key not in self._levels:
            policies = self.context.accounts.get(account)
            levels = None
            if policies is not None and not policies.management:
                levels = policies.scp_levels if layer == "scp" else policies.rcp_levels
            if levels is not None:
                self.budget.charge(steps=1 + sum(len(docs) for docs in levels))
            self._levels[key] = (
                None
                if levels is None
                else tuple(
                    compile_layer(
                        docs,
                        layer,
                        pointer_join(self.context.pointers.accounts, account, f"{layer}_levels", i),
                        i,
                    )
                    for i, docs in enumerate(levels)
                )
            )
        return self._levels[key]

    def _resource_policy(self, document: Document, trust: bool, pointer: str) -> CompiledLayer:
        key = (id(document), trust, pointer)
        if key not in self._resource:
            self._resource[key] = compile_resource_policy(
                document,
                self.context.principal,
                has_boundary=self.context.permission_boundary is not None,
                trust_policy=trust,
                pointer=pointer,
                budget=self.budget,
            )
        return self._resource[key]

    def decide(self, request: AuthorizationRequest, index: int = 0) -> AuthorizationDecision:
        decision = self._decide(request, index)
        kms_call = service_rules.kms_call_for(request)
        if kms_call is None or decision.decision != "allowed":
            return decision
        dependent = self._decide(kms_call, index)
        if dependent.decision == "allowed":
            return replace(decision, dependent=dependent)
        return replace(
            dependent,
            reason=f"S3 calls KMS as the caller for an SSE-KMS object, and {dependent.reason} "
            "[FAS, R4.10]",
            layers=decision.layers,
            dependent=dependent,
        )

    def _decide(self, request: AuthorizationRequest, index: int) -> AuthorizationDecision:
        principal = self.context.principal
        action, resource = request.action, request.resource
        if service_rules.needs_no_permission(action, principal):
            why = "sts:GetCallerIdentity needs no permission, and no policy denies it [GCI, R7.1]"
            return AuthorizationDecision("allowed", "service_rule", why)
        if refusal := service_rules.service_refusal(action, resource):
            return AuthorizationDecision("implicitly_denied", "service_rule", refusal)
        resource_account = _resource_account(request, index)
        # Resource policies and roles never delegate across partitions [XRES, R3.5].
        crossing = _partition(resource) not in ("", principal.partition)
        same_account = resource_account in ("", principal.account_id) and not crossing
        context = request_context(principal, resource_account, request.context)
        rule = service_rules.resource_rule(action, resource)
        found = None
        if rule != "identity_only" and not crossing:
            found = _policy_for(self.context, request, index)

        facts = None if request.facts is None else _pattern_facts(context, request.facts)

        def decide(compiled: CompiledLayer | None) -> LayerDecision | None:
            if compiled is None:
                return None
            if facts is not None:
                return decide_layer_on_pattern(compiled, action, resource, facts, self.budget)
            return decide_layer(compiled, action, resource, context, self.budget)

        scp = (
            self._org_levels(principal.account_id, "scp")
            if service_rules.scps_govern(principal)
            else None
        )
        rcp = (
            self._org_levels(resource_account, "rcp")
            if service_rules.rcps_govern(action, principal)
            else None
        )
        own = self._caller_has_policies
        layers = RequestLayers(
            identity=decide(self._identity if own else None),
            boundary=decide(self._boundary if own else None),
            session=decide(self._session if own else None),
            resource=decide(
                None
                if found is None
                else self._resource_policy(found[0], service_rules.is_role(resource), found[1])
            ),
            scp=None if scp is None else [d for c in scp if (d := decide(c)) is not None],
            rcp=None if rcp is None else [d for c in rcp if (d := decide(c)) is not None],
        )
        refusal = ""
        if not same_account and service_rules.kms_refuses_cross_account(action, resource):
            refusal = f"{action} does not work across accounts [KPX, R4.3]"
        return combine(principal, same_account, rule, layers, refusal=refusal)


def authorize(
    context: AuthorizationContext,
    requests: Sequence[AuthorizationRequest],
    budget: WorkBudget | None = None,
) -> tuple[AuthorizationDecision, ...]:
    """Each request's decision, with the layer and statement that decided it [ENF, XACCT]."""
    authorizer = Authorizer(context, budget)
    decisions = []
    for i, request in enumerate(requests):
        authorizer.budget.location = f"/requests/{i}"
        decisions.append(authorizer.decide(request, i))
    return tuple(decisions)
