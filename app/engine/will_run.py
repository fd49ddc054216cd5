"""Will the pipelines run: every permission they need, decided against each role's whole
authorization context (identity policies, permissions boundary, session policies, SCP and RCP
levels, resource policies), with the layer and statement that decided it and the impact of a
denial from the profiles.

Each requirement is decided for every resource its pattern stands for (the layers by
containment, as the diff decides the identity policies), so that what the diff calls granted
is allowed here when no other layer stands in the way. An answer is indefinite, never a guess,
where what decides it was not given: a role whose policies are unknown, a KMS key or role
whose own policy must allow and was not given, a resource whose name or owner is not known.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

from app.engine.authorization import (
    AccountPolicies,
    AuthorizationContext,
    AuthorizationDecision,
    AuthorizationRequest,
    Authorizer,
    DocumentPointers,
    Principal,
    service_rules,
)
from app.engine.authorization.context import Document
from app.engine.authorization.evaluate import OrganisationLevels, resource_policy_arn
from app.engine.budget import WorkBudget
from app.engine.compute import RequiredBy
from app.engine.iam.analysis.diff import Necessity, Requirement
from app.engine.iam.patterns.arn import arn_intersects, split_arn
from app.engine.iam.patterns.tokens import literal_prefix
from app.engine.pipeline_requests import sent_facts

RunVerdict = Literal["runs", "fails", "undecided"]
# What a denial of a check does to the verdict: a permission needed for sure fails the run;
# one whose need depends on a value known only at run time leaves it undecided; an optional
# one does not count.
Weight = Literal["fails", "undecided", "none"]


@dataclass(frozen=True)
class RoleUnderTest:
    """A role the pipelines run as, what it needs, and the policies it has. `identity_policies`
    is None when they were not given: its requests are then not decided."""

    role_arn: str
    requirements: Sequence[Requirement]
    identity_policies: Sequence[Document] | None
    identity_pointer: str
    # Where each identity policy sits, when they are not one list at `identity_pointer`.
    identity_each: tuple[str, ...] = ()
    # What the identity policies may grant, where their template does not determine every
    # value (`identity_policies` being what they grant whatever the values are): a request
    # only these allow is not definite.
    possible_identity_policies: Sequence[Document] | None = None
    permission_boundary: Document | None = None
    boundary_pointer: str = ""
    session_policies: Sequence[Document] | None = None
    session_pointer: str = ""
    principal: Principal | None = None  # the caller; by default a session of the role

    def caller(self) -> Principal:
        return self.principal or Principal(self.role_arn, "role")


@dataclass(frozen=True)
class SharedLayers:
    """What every role's requests meet: resource policies by the ARN of their resource (a
    bucket's covers its objects), each with where it sits in the input, the accounts'
    organisation policies, and the KMS key each artifact bucket encrypts its objects with."""

    resource_policies: Mapping[str, Document] = field(default_factory=dict)
    resource_pointers: Mapping[str, str] = field(default_factory=dict)
    accounts: Mapping[str, AccountPolicies] = field(default_factory=dict)
    accounts_pointer: str = "/accounts"
    artifact_keys: Mapping[str, str] = field(default_factory=dict)  # bucket name → key ARN
    # The places, in a resource policy (by its ARN), of values the template does not determine.
    undetermined: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # Resource policies a template defines for a resource whose name it does not determine
    # (their ARN a pattern) and that are placed on no resource: (ARN, where each sits).
    unplaced: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class RunCheck:
    """One permission of one role: its decision (None when it could not be made, `note` says
    why), and why the pipelines need it."""

    role: str
    action: str
    resource: str
    necessity: Necessity
    weight: Weight
    decision: AuthorizationDecision | None
    note: str | None
    required_by: tuple[RequiredBy, ...]

    @property
    def allowed(self) -> bool:
        return self.decision is not None and self.decision.decision == "allowed"

    @property
    def definite(self) -> bool:
        return self.decision is not None and self.decision.definite and self.note is None


@dataclass(frozen=True)
class RunAnswer:
    verdict: RunVerdict
    checks: tuple[RunCheck, ...]


def _weight(requirement: Requirement) -> Weight:
    if requirement.necessity == "optional":
        return "none"
    reasons = [r for r in requirement.sources if isinstance(r, RequiredBy)]
    if reasons and all(r.undetermined for r in reasons if r.optional is None):
        return "undecided"
    return "fails"


def _has_wildcard(text: str) -> bool:
    return "*" in text or "?" in text


def _owner(requirement: Requirement, caller: Principal) -> tuple[str, str | None]:
    """The account that owns the resource, and why it is taken for granted when it is."""
    fact = requirement.facts.get("aws:resourceaccount")
    if fact is not None and fact.values is not None and len(fact.values) == 1:
        return next(iter(fact.values)), None
    arn = split_arn(requirement.resource)
    if arn is not None and arn.account and not _has_wildcard(arn.account):
        return arn.account, None
    if arn is not None and arn.account:
        return "", "the account that owns the resource is not known"
    if requirement.resource == "*" or (arn is not None and arn.service != "s3"):
        return "", None
    return caller.account_id, "the bucket is taken to be in the role's own account"


class _RoleAuthorizer:
    def __init__(
        self,
        role: RoleUnderTest,
        shared: SharedLayers,
        budget: WorkBudget,
        levels: OrganisationLevels,
        candidates: Sequence[Candidate],
    ) -> None:
        self.role = role
        self.shared = shared
        self.context = self._context(role.identity_policies or ())
        self.authorizer = Authorizer(self.context, budget, organisation_levels=levels)
        self._candidates = candidates
        self.possible: Authorizer | None = None
        if role.possible_identity_policies is not None:
            context = self._context(role.possible_identity_policies)
            self.possible = Authorizer(context, budget, organisation_levels=levels)

    def _context(self, identity_policies: Sequence[Document]) -> AuthorizationContext:
        role, shared = self.role, self.shared
        return AuthorizationContext(
            principal=role.caller(),
            identity_policies=tuple(identity_policies),
            permission_boundary=role.permission_boundary,
            session_policies=role.session_policies,
            resource_policies=shared.resource_policies,
            accounts=shared.accounts,
            pointers=DocumentPointers(
                identity=role.identity_pointer,
                identity_each=role.identity_each,
                boundary=role.boundary_pointer,
                session=role.session_pointer,
                accounts=shared.accounts_pointer,
            ),
            resource_policy_pointers=shared.resource_pointers,
        )

    def check(self, requirement: Requirement, index: int) -> RunCheck:
        reasons = tuple(r for r in requirement.sources if isinstance(r, RequiredBy))
        base = RunCheck(
            self.role.role_arn,
            requirement.action,
            requirement.resource,
            requirement.necessity,
            _weight(requirement),
            None,
            None,
            reasons,
        )
        if self.role.identity_policies is None:
            return replace(base, note="the role's own policies were not given")
        caller = self.context.principal
        owner, assumed = _owner(requirement, caller)
        if assumed and not owner:
            return replace(base, note=assumed)
        key = self._artifact_key(requirement.resource)
        request = AuthorizationRequest(
            requirement.action,
            requirement.resource,
            resource_account=owner,
            sse_kms_key=key,
            facts={**sent_facts(requirement.action, key), **requirement.facts},
        )
        self.authorizer.budget.location = self.role.identity_pointer
        decision = self.authorizer.decide(request, index)
        note = self._doubt(requirement, decision, owner, assumed)
        uncertain = self._uncertain_policies(requirement, decision)
        if uncertain:
            note = "; ".join(n for n in (note, uncertain) if n)
        if self._possibly_allowed(decision, request, index):
            note = "; ".join(filter(None, [UNDETERMINED_ALLOW, note]))
        return replace(base, decision=decision, note=note)

    def _uncertain_policies(
        self, requirement: Requirement, decision: AuthorizationDecision
    ) -> str | None:
        """Why a resource policy makes the decision uncertain: one weighed (the resource's,
        or the artifact key's for the call S3 makes to KMS) holds values the template does not
        determine, or one that may be the resource's was not weighed (its resource's name is
        not known, and may be this pattern's)."""
        resource = requirement.resource
        used = resource_policy_arn(self.context, resource)
        weighed = [used]
        if decision.dependent is not None:
            weighed.append(resource_policy_arn(self.context, self._artifact_key(resource)))
        doubts = [
            f"the policy at {self.shared.resource_pointers.get(arn, arn)} holds values the "
            "template does not determine"
            for arn in weighed
            if arn is not None and self.shared.undetermined.get(arn)
        ]
        # `*` alone is the resource of an action that names none: no resource policy governs it.
        if resource != "*" and _has_wildcard(resource):
            candidates = [c for c in self._candidates if c[0] != used]
            self.authorizer.budget.charge(steps=1 + len(candidates))
            head = literal_prefix(resource)
            budget = self.authorizer.budget
            maybe = [at for arn, at, h in candidates if _may_govern(arn, h, resource, head, budget)]
            if maybe:
                doubts.append(
                    "the resource's name is not known, and it may be the resource of the "
                    f"policy at {maybe[0]}, which is not weighed for it"
                )
        return "; ".join(doubts) or None

    def _possibly_allowed(
        self, decision: AuthorizationDecision, request: AuthorizationRequest, index: int
    ) -> bool:
        """Whether a request the identity policies do not allow for sure may be allowed
        through a value their template does not determine: their possible reading allows it
        where the sure one does not, or for sure where the sure one may."""
        if self.possible is None or (decision.decision == "allowed" and decision.definite):
            return False
        possible = self.possible.decide(request, index)
        if possible.decision != "allowed":
            return False
        return decision.decision != "allowed" or possible.definite

    def _artifact_key(self, resource: str) -> str:
        if not resource.startswith("arn:aws:s3:::") or "/" not in resource:
            return ""
        bucket = resource.removeprefix("arn:aws:s3:::").split("/", 1)[0]
        return self.shared.artifact_keys.get(bucket, "")

    def _doubt(
        self,
        requirement: Requirement,
        decision: AuthorizationDecision,
        owner: str,
        assumed: str | None,
    ) -> str | None:
        """Why the decision may not stand: what decides it was not given or not known."""
        doubts = [assumed] if assumed else []
        if decision.decision == "allowed" or (
            decision.decision == "explicitly_denied" and decision.definite
        ):
            # Allowed (or denied) for every resource of the pattern: the real one included.
            return _open(decision, doubts)
        if requirement.name_unknown:
            doubts.append(
                "the resource's name is not known: a grant on the real resource may allow it"
            )
        caller = self.context.principal
        action, resource = requirement.action, requirement.resource
        dependent = decision.dependent
        if dependent is not None and dependent.decision != "allowed":
            # Denied by the call S3 makes to KMS for it: the key's policy decides.
            action, resource = "kms:Decrypt", self._artifact_key(resource)
            arn = split_arn(resource)
            owner = arn.account if arn is not None else ""
        cross = decision.layer != "service_rule" and bool(owner) and owner != caller.account_id
        rule = service_rules.resource_rule(action, resource)
        if (rule == "must_allow" or cross) and resource_policy_arn(self.context, resource) is None:
            doubts.append("the policy of the resource, which must allow it, was not given")
        return _open(decision, doubts)


# A resource policy that may govern a resource whose name is not known: its ARN, where it sits,
# and what its ARN spells before a wildcard.
Candidate = tuple[str, str, str]


def _candidates(shared: SharedLayers) -> list[Candidate]:
    placed = [(arn, shared.resource_pointers.get(arn, arn)) for arn in shared.resource_policies]
    return [(arn, at, literal_prefix(arn)) for arn, at in [*placed, *shared.unplaced]]


def _may_govern(policy_arn: str, other: str, pattern: str, head: str, budget: WorkBudget) -> bool:
    """Whether a resource policy's resource (a bucket's covering its objects) may be one the
    pattern stands for; `other` and `head` are what each spells before a wildcard."""
    if not (head.startswith(other) or other.startswith(head)):
        return False  # they differ before either has a wildcard: nothing matches both
    if arn_intersects(pattern, policy_arn, budget=budget):
        return True
    return policy_arn.startswith("arn:aws:s3:::") and arn_intersects(
        pattern, f"{policy_arn}/*", budget=budget
    )


UNDETERMINED_ALLOW = (
    "allowed only if the values the template does not determine allow it: the service role's "
    "policies grant it only through such a value (CURRENT_POLICY_VALUE_UNDETERMINED)"
)


def _open(decision: AuthorizationDecision, doubts: list[str]) -> str | None:
    """The doubts, and which layers left the decision open when one did."""
    if not decision.definite and not doubts:
        layers: list[str] = [o.layer for o in decision.layers if not o.definite]
        if decision.dependent is not None:
            layers += [f"kms {o.layer}" for o in decision.dependent.layers if not o.definite]
        doubts.append(
            "not definite: "
            + (", ".join(dict.fromkeys(layers)) or "a layer")
            + " may or may not apply (a condition on a request value not known here, or a "
            "statement on part of the resources)"
        )
    return "; ".join(doubts) or None


def will_it_run(
    roles: Sequence[RoleUnderTest], shared: SharedLayers, budget: WorkBudget | None = None
) -> RunAnswer:
    """Every requirement of every role, decided; the verdict is `fails` when a permission the
    pipelines need for sure is definitely denied, `undecided` when one is not definitely
    allowed, else `runs`."""
    budget = budget or WorkBudget()
    checks: list[RunCheck] = []
    levels: OrganisationLevels = {}  # the organisation's policies, compiled once for every role
    candidates = _candidates(shared)
    for role in roles:
        authorizer = _RoleAuthorizer(role, shared, budget, levels, candidates)
        for requirement in role.requirements:
            budget.charge(steps=1)
            checks.append(authorizer.check(requirement, len(checks)))
    return RunAnswer(_verdict(checks), tuple(checks))


def _verdict(checks: Sequence[RunCheck]) -> RunVerdict:
    counted = [c for c in checks if c.weight != "none" and not (c.allowed and c.definite)]
    if any(c.weight == "fails" and c.definite and not c.allowed for c in counted):
        return "fails"
    return "undecided" if counted else "runs"
