"""Use case: diff a role's current policy against what its pipelines (or a policy) require."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields, replace
from typing import Any

from app.engine import api as engine
from app.engine.api import PolicyDiff
from app.engine.authorization import (
    AuthorizationContext,
    AuthorizationRequest,
    Authorizer,
    Principal,
)
from app.engine.budget import WorkBudget
from app.engine.companions.comparison import CompanionComparison, compare_companion
from app.engine.companions.documents import CompanionDocument, DocumentKind, RegionStore
from app.engine.compute import ComputeContext, PolicyPlacement
from app.engine.findings import Finding, FindingType
from app.engine.hint_checks import GivenHints
from app.engine.iam.analysis.diff import Requirement, RequirementOutcome
from app.engine.iam.catalog import Catalog
from app.engine.iam.patterns.arn import ArnMode
from app.engine.iam.policy.view import PolicyView, read_policies, read_policies_at
from app.engine.iam.validation.view import PolicyType
from app.engine.pipeline.roles import ServiceRole, role_name
from app.engine.pipeline.template_values import CompanionPolicies, RolePolicies
from app.engine.policy_diff import merge_gaps
from app.engine.requirements import requirements_from_computed, requirements_from_statement
from app.engine.will_run import RunAnswer
from app.service.compute import PipelineSource, computed_policy
from app.service.errors import InvalidInputError
from app.service.profile_cache import LoadedProfileSet
from app.service.provenance import CatalogInfo, Provenance, new_provenance


@dataclass(frozen=True)
class RequiredPermissions:
    requirements: list[Requirement]
    statements: list[dict[str, Any]]  # the required policy's statements, for the patch
    findings: list[Finding]
    profiles_used: tuple[tuple[Any, int], ...] = ()
    roles: tuple[ServiceRole, ...] = ()  # the service roles the pipelines name, if any
    # The service-role policies the pipelines' templates define, where they define the role.
    role_policies: tuple[RolePolicies, ...] = ()
    # The trust, bucket and key policies the pipelines need (none for a required policy).
    companions: tuple[CompanionDocument, ...] = ()
    role_arns: tuple[str, ...] = ()  # the service-role ARNs the pipelines name
    # What each action or rule role that a pipeline declares needs, by its ARN.
    action_roles: tuple[tuple[str, tuple[Requirement, ...]], ...] = ()
    artifact_stores: tuple[RegionStore, ...] = ()

    @property
    def whole_role_arns(self) -> tuple[str, ...]:
        """The service-role ARNs the pipelines name that are whole role ARNs."""
        return tuple(a for a in self.role_arns if role_name(a) is not None and "*" not in a)

    @property
    def service_role_arn(self) -> str | None:
        """The one service role the pipelines name, when they name one whole role ARN."""
        whole = self.whole_role_arns
        return whole[0] if len(self.role_arns) == 1 and whole else None

    # The trust, bucket and key policies the pipelines' templates define for them.
    companion_policies: tuple[CompanionPolicies, ...] = ()


@dataclass(frozen=True)
class CurrentCompanion:
    """A trust, bucket or key policy as it stands, given with the diff's current policy."""

    kind: DocumentKind
    target: str
    document: Any
    pointer: str
    # Where a template does not determine a value of the document (read from a template), with
    # the line.
    undetermined: tuple[tuple[str, int | None], ...] = ()


@dataclass(frozen=True)
class DiffOutcome(PolicyDiff):
    """The engine's diff, with the required policy's findings and where its answer came from."""

    required_count: int
    provenance: Provenance
    roles: tuple[ServiceRole, ...] = ()  # what the patched policy is attached to
    companions: tuple[CompanionComparison, ...] = ()  # of the trust, bucket and key policies
    will_run: RunAnswer | None = None  # each requirement decided with every layer, when asked


# The diff answers the policy the pipelines need whole, as its patched policy (with the current
# Deny statements); compute gives its split.
PATCHED = PolicyPlacement("/patched_policy", None)


def required_from_pipelines(
    sources: Sequence[PipelineSource],
    loaded: LoadedProfileSet,
    catalog: Catalog,
    *,
    context: ComputeContext,
    hints: GivenHints,
    budget: WorkBudget | None = None,
) -> RequiredPermissions:
    computed = computed_policy(
        sources,
        loaded,
        context=context,
        hints=hints,
        catalog=catalog,
        budget=budget,
        placement=PATCHED,
    )
    result = computed.result
    return RequiredPermissions(
        requirements=requirements_from_computed(result.statements, catalog),
        statements=[s.to_policy_statement() for s in result.statements],
        findings=[*computed.findings, *result.findings],
        profiles_used=result.profiles_used,
        roles=computed.roles,
        role_policies=computed.role_policies,
        companions=computed.companions.documents,
        role_arns=computed.role_arns,
        action_roles=tuple(
            (role.role_arn, tuple(requirements_from_computed(role.statements, catalog)))
            for role in result.action_roles
        ),
        artifact_stores=computed.companions.artifact_stores,
        companion_policies=computed.companion_policies,
    )


@dataclass(frozen=True)
class SourcePolicies:
    """The service-role policies the pipelines' templates define, as the current policy, each
    document at its place. `sure` reads what they grant whatever the values the templates do
    not determine are, `view` is its view (with the findings of reading them, one at each such
    value); `possible` reads what they may grant, and is None where the templates determine
    every value."""

    sure: tuple[tuple[Any, str], ...]
    view: PolicyView
    possible: tuple[tuple[Any, str], ...] | None = None
    possible_view: PolicyView | None = None


def current_from_sources(required: RequiredPermissions, pointer: str) -> SourcePolicies:
    """The service-role policies the pipelines' own templates (CloudFormation or Terraform)
    define, as the current policy (with the ERROR of each document that is none, not read).

    Raises InvalidInputError when no template defines its pipeline's role with policies."""
    sure = tuple(doc for rp in required.role_policies for doc in rp.sure)
    refused = [f for rp in required.role_policies for f in rp.findings]
    if not sure and not any(f.finding_type is FindingType.ERROR for f in refused):
        raise InvalidInputError(
            "no source defines the service role of its pipeline together with its policies "
            "(a CloudFormation template whose pipeline `RoleArn` refers to an `AWS::IAM::Role` "
            "of the same template with inline, attached or `AWS::IAM::Policy` documents, or a "
            "Terraform file whose pipeline `role_arn` refers to an `aws_iam_role` of the same "
            "file with `inline_policy` blocks, `aws_iam_role_policy` or attached "
            "`aws_iam_policy` documents); give the role's policy documents instead",
            pointer=pointer,
        )
    view = read_policies_at(sure)
    notes = [f for rp in required.role_policies for f in rp.findings]
    notes += [
        _value_undetermined(at, line)
        for rp in required.role_policies
        for at, line in rp.undetermined
    ]
    view = replace(view, findings=(*view.findings, *notes))
    if not any(rp.undetermined for rp in required.role_policies):
        return SourcePolicies(sure, view)
    possible = tuple(doc for rp in required.role_policies for doc in rp.possible)
    return SourcePolicies(sure, view, possible, read_policies_at(possible))


def _value_undetermined(at: str, line: int | None) -> Finding:
    return Finding(
        code="CURRENT_POLICY_VALUE_UNDETERMINED",
        finding_type=FindingType.WARNING,
        message="the template does not determine this value of the service role's policy (a "
        "parameter without a value, a reference to what it does not define, a variable not "
        "known): what the policy grants through it is not certain. A requirement granted only "
        "through it is `unverifiable`, not granted, and not definite in `will_run`; what the "
        "policy grants beyond the requirements reckons with it as `*`. Give the template's "
        "parameters (a Terraform file's variables) to decide it",
        path=at,
        line=line,
    )


# A required policy is expanded to one (action, resource) question per pair: `*` on eleven
# resources is already 240,000 of them. Beyond this the answer would be tens of megabytes.
MAX_REQUIREMENTS = 250_000


def required_from_policy(
    view: PolicyView, catalog: Catalog, budget: WorkBudget | None = None
) -> RequiredPermissions:
    """One requirement per (action, resource) pair the policy's Allow statements name, each a
    step of `budget`."""
    budget = budget or WorkBudget()
    requirements: list[Requirement] = []
    for stmt in view.statements:
        if stmt.effect != "Allow" or stmt.actions_negated or stmt.resources_negated:
            continue
        condition = view.raw_condition(stmt)
        requirements.extend(
            requirements_from_statement(
                stmt.actions, stmt.resources, condition, catalog, budget=budget, at=stmt.pointer
            )
        )
        if len(requirements) > MAX_REQUIREMENTS:
            raise InvalidInputError(
                f"the required policy expands to more than {MAX_REQUIREMENTS:,} (action, "
                "resource) pairs (wildcard actions stand for every action they match); "
                "narrow it or split it",
                pointer=stmt.pointer,
            )
    allows = [view.raw_statement(s) for s in view.statements if s.effect == "Allow"]
    return RequiredPermissions(
        requirements=requirements, statements=allows, findings=list(view.findings)
    )


def diff(
    current_documents: Sequence[Any],
    required: RequiredPermissions,
    catalog: Catalog,
    catalog_info: CatalogInfo,
    loaded: LoadedProfileSet,
    *,
    mode: ArnMode,
    current_pointer: str = "/current/documents",
    current_view: PolicyView | None = None,
    possible_view: PolicyView | None = None,
    current_companions: Sequence[CurrentCompanion] = (),
    budget: WorkBudget | None = None,
) -> DiffOutcome:
    """The diff of the role's current policy (its documents, or the view of them given as
    `current_view`, with `possible_view` what it may grant where its template does not
    determine every value: SourcePolicies) against what is required, and of each current
    trust, bucket or key policy against the one the pipelines need (with the ERROR findings of
    validating it as what it is)."""
    budget = budget or WorkBudget()
    compared, companion_findings = compare_companions(
        current_companions, required, catalog, loaded, mode=mode, budget=budget
    )
    current = current_view or read_policies(current_documents, pointer=current_pointer)
    found = engine.diff(
        current,
        required.requirements,
        required.statements,
        catalog,
        mode=mode,
        budget=budget,
        possible=possible_view,
    )
    found = credited_by_key_policies(found, required, current_companions, budget)
    engine_answer = {f.name: getattr(found, f.name) for f in fields(found)}
    findings = [*required.findings, *current.findings, *found.findings, *companion_findings]
    engine_answer["findings"] = tuple(sorted(findings, key=Finding.sort_key))
    return DiffOutcome(
        **engine_answer,
        required_count=len(required.requirements),
        provenance=new_provenance(
            catalog_info, loaded.profile_set.revision, required.profiles_used
        ),
        roles=required.roles,
        companions=compared,
    )


# The policy type validate checks each kind of companion document as.
VALIDATED_AS: Mapping[DocumentKind, PolicyType] = {
    DocumentKind.TRUST_POLICY: "trust",
    DocumentKind.BUCKET_POLICY: "bucket",
    DocumentKind.KEY_POLICY: "key",
}


def compare_companions(
    given: Sequence[CurrentCompanion],
    required: RequiredPermissions,
    catalog: Catalog,
    loaded: LoadedProfileSet,
    *,
    mode: ArnMode,
    budget: WorkBudget,
) -> tuple[tuple[CompanionComparison, ...], list[Finding]]:
    """Each given trust, bucket or key policy against the one the pipelines need, and the
    ERROR findings of validating it as what it is (it is compared only without them)."""
    compared: list[CompanionComparison] = []
    findings: list[Finding] = _companions_named(given, required)
    for companion in given:
        validation = engine.validate(
            companion.document,
            catalog,
            policy_type=VALIDATED_AS[companion.kind],
            pointer=companion.pointer,
            budget=budget,
        )
        errors = [f for f in validation.findings if f.finding_type is FindingType.ERROR]
        unknown = [f for f in errors if _principal_not_determined(f, companion)]
        errors = [f for f in errors if f not in unknown]
        findings.extend(errors)
        if errors:
            continue
        if unknown:
            findings.extend(_principal_not_compared(f, companion) for f in unknown)
            continue
        needed = next(
            (d for d in required.companions
             if d.kind is companion.kind and d.target == companion.target),
            None,
        )  # fmt: skip
        compared.append(
            compare_companion(
                needed,
                companion.document,
                kind=companion.kind,
                target=companion.target,
                pointer=companion.pointer,
                catalog=catalog,
                profiles=loaded.profile_set,
                mode=mode,
                budget=budget,
            )
        )
    return tuple(compared), findings


def _named_targets(required: RequiredPermissions) -> set[str]:
    """Every resource the pipelines name whose policy may be given: the targets of compute's
    companion documents, the roles, the artifact buckets and keys."""
    named = {d.target for d in required.companions}
    named.update(required.role_arns)
    named.update(arn for arn, _ in required.action_roles)
    for store in required.artifact_stores:
        named.update(t for t in (store.location, store.kms_key) if t)
    return named


def _companions_named(
    given: Sequence[CurrentCompanion], required: RequiredPermissions
) -> list[Finding]:
    """A companion given for a resource no pipeline names (a mistyped target is compared with
    nothing, and would read `not_required`), or given twice."""
    findings: list[Finding] = []
    named = _named_targets(required)
    seen: set[tuple[DocumentKind, str]] = set()
    for companion in given:
        key = (companion.kind, companion.target)
        if key in seen:
            findings.append(
                Finding(
                    code="COMPANION_GIVEN_TWICE",
                    finding_type=FindingType.WARNING,
                    message=f"a {companion.kind} of `{companion.target}` is given more than "
                    "once; each is compared, and the last is the one weighed where the "
                    "pipelines' run is decided",
                    path=companion.pointer,
                )
            )
        seen.add(key)
        if companion.target not in named:
            findings.append(
                Finding(
                    code="COMPANION_NOT_NAMED",
                    finding_type=FindingType.WARNING,
                    message=f"no pipeline names `{companion.target}`: the {companion.kind} "
                    "is compared with nothing (give the target as compute's `companions` "
                    "name it)",
                    path=companion.pointer,
                )
            )
    return findings


def credited_by_key_policies(
    found: PolicyDiff,
    required: RequiredPermissions,
    companions: Sequence[CurrentCompanion],
    budget: WorkBudget,
) -> PolicyDiff:
    """A KMS permission the profiles leave to the key policy (unverifiable from the role's own
    policies) is granted when the key policy given for that key names the service role for
    it: in its own account a key policy alone allows the role [R4.2]."""
    role = required.service_role_arn
    policies = {
        c.target: c.document
        for c in companions
        if c.kind is DocumentKind.KEY_POLICY and c.target.startswith("arn:")
    }
    if role is None or not policies:
        return found
    context = AuthorizationContext(Principal(role, "role"), resource_policies=policies)
    authorizer = Authorizer(context, budget)
    kept: list[RequirementOutcome] = []
    for outcome in found.result.unverifiable:
        requirement = outcome.requirement
        if requirement.resource in policies and any(
            getattr(reason, "alternative", None) for reason in requirement.sources
        ):
            request = AuthorizationRequest(
                requirement.action, requirement.resource, facts=requirement.facts
            )
            decided = authorizer.decide(request)
            if decided.decision == "allowed" and decided.definite:
                continue
        kept.append(outcome)
    if len(kept) == len(found.result.unverifiable):
        return found
    credited = len(found.result.unverifiable) - len(kept)
    result = replace(
        found.result, unverifiable=tuple(kept), granted=found.result.granted + credited
    )
    return replace(found, result=result, unverifiable=merge_gaps(kept))


def _principal_not_determined(error: Finding, companion: CurrentCompanion) -> bool:
    """An invalid principal that is only the `*` standing for what a template does not
    determine (a role of a name CloudFormation generates, say): not the policy's fault."""
    return error.code == "INVALID_PRINCIPAL" and error.path in dict(companion.undetermined)


def _principal_not_compared(error: Finding, companion: CurrentCompanion) -> Finding:
    principal = error.detail.get("principal")
    named = f" (`{principal}`, `*` standing for what it does not determine)" if principal else ""
    return Finding(
        code="COMPANION_POLICY_NOT_COMPARED",
        finding_type=FindingType.WARNING,
        message=f"the template does not determine this principal in full{named}; a principal "
        f"cannot be a pattern, so which principals the {companion.kind.value} of "
        f"`{companion.target}` names is not known, and it is not compared",
        path=error.path,
        line=dict(companion.undetermined).get(error.path),
    )
