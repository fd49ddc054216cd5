"""Use case: diff a role's current policy against what its pipelines (or a policy) require."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from app.engine.budget import WorkBudget
from app.engine.compute import ComputeContext, RequiredBy
from app.engine.findings import Finding, FindingType
from app.engine.hint_checks import GivenHints
from app.engine.iam.analysis.coverage import Coverage, PolicyStatement
from app.engine.iam.analysis.diff import (
    DiffResult,
    DiffVerdict,
    Requirement,
    RequirementOutcome,
    coverage_gaps,
    diff_policy,
)
from app.engine.iam.catalog import Catalog
from app.engine.iam.patterns.arn import ArnMode
from app.engine.iam.policy.view import PolicyView, read_policies, read_policies_at, read_policy
from app.engine.pipeline.roles import ServiceRole
from app.engine.pipeline.template_values import RolePolicies
from app.engine.requirements import requirements_from_computed, requirements_from_statement
from app.service.compute import PipelineSource, computed_policy
from app.service.errors import InvalidInputError
from app.service.profile_cache import LoadedProfileSet
from app.service.provenance import CatalogInfo, Provenance, new_provenance

BEHAVIOUR_RANK = {"HANG": 5, "LATE": 4, "CREATE": 3, "FAST": 2, "TRANSIENT": 1, "DEGRADED": 0}


@dataclass(frozen=True)
class RequiredPermissions:
    requirements: list[Requirement]
    statements: list[dict[str, Any]]  # the required policy's statements, for the patch
    findings: list[Finding]
    profiles_used: tuple[tuple[Any, int], ...] = ()
    roles: tuple[ServiceRole, ...] = ()  # the service roles the pipelines name, if any
    # The service-role policies the pipelines' templates define, where they define the role.
    role_policies: tuple[RolePolicies, ...] = ()


@dataclass(frozen=True)
class Gap:
    """Requirements that share status, need, condition and blockers, merged for display."""

    coverage: Coverage
    actions: tuple[str, ...]
    resources: tuple[str, ...]
    condition: Mapping[str, Mapping[str, Any]] | None
    required_by: tuple[RequiredBy, ...]
    granting: tuple[PolicyStatement, ...]
    denying: tuple[PolicyStatement, ...]
    deciding: tuple[tuple[str, str], ...]
    reason: str | None = None  # why an unverifiable or optional gap is not missing


@dataclass(frozen=True)
class DiffOutcome:
    result: DiffResult
    missing: tuple[Gap, ...]
    conditional: tuple[Gap, ...]
    unverifiable: tuple[Gap, ...]
    optional: tuple[Gap, ...]
    required_count: int
    patched_policy: dict[str, Any]
    patched_verdict: DiffVerdict
    findings: tuple[Finding, ...]
    provenance: Provenance
    roles: tuple[ServiceRole, ...] = ()  # what the patched policy is attached to


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
        sources, loaded, context=context, hints=hints, catalog=catalog, budget=budget
    )
    result = computed.result
    return RequiredPermissions(
        requirements=requirements_from_computed(result.statements, catalog),
        statements=[s.to_policy_statement() for s in result.statements],
        findings=[*computed.findings, *result.findings],
        profiles_used=result.profiles_used,
        roles=computed.roles,
        role_policies=computed.role_policies,
    )


def current_from_sources(required: RequiredPermissions, pointer: str) -> PolicyView:
    """The service-role policies the pipelines' own templates define, as the current policy.

    Raises InvalidInputError when no template defines its pipeline's role."""
    documents = [doc for rp in required.role_policies for doc in rp.documents]
    if not documents:
        raise InvalidInputError(
            "no source defines the service role of its pipeline together with its policies "
            "(a CloudFormation template whose pipeline `RoleArn` refers to an `AWS::IAM::Role` "
            "of the same template with inline, attached or `AWS::IAM::Policy` documents); "
            "give the role's policy documents instead",
            pointer=pointer,
        )
    view = read_policies_at(documents)
    notes = tuple(f for rp in required.role_policies for f in rp.findings)
    return replace(view, findings=(*view.findings, *notes))


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


def _gaps(outcomes: Sequence[RequirementOutcome]) -> tuple[Gap, ...]:
    """Merge outcomes exactly: first per resource (actions), then actions sharing resources."""
    conditions: dict[str, Mapping[str, Mapping[str, Any]] | None] = {}
    by_resource: dict[tuple[Any, ...], list[str]] = defaultdict(list)
    for outcome in outcomes:
        req, res = outcome.requirement, outcome.result
        cond_key = json.dumps(req.condition, sort_keys=True) if req.condition else ""
        conditions[cond_key] = req.condition
        shared: tuple[Any, ...] = (
            res.coverage,
            cond_key,
            req.sources,
            res.granting,
            res.denying,
            res.conditions,
            outcome.reason,
        )
        by_resource[(req.resource, shared)].append(req.action)
    merged: dict[tuple[Any, ...], list[str]] = defaultdict(list)
    for (resource, common), actions in by_resource.items():
        merged[(tuple(sorted(set(actions), key=str.lower)), *common)].append(resource)
    gaps = [
        Gap(
            coverage=coverage,
            actions=actions,
            resources=tuple(sorted(set(resources))),
            condition=conditions[cond_key],
            required_by=tuple(s for s in sources if isinstance(s, RequiredBy)),
            granting=granting,
            denying=denying,
            deciding=tuple(dict.fromkeys(deciding)),
            reason=reason,
        )
        for (
            actions,
            coverage,
            cond_key,
            sources,
            granting,
            denying,
            deciding,
            reason,
        ), resources in merged.items()
    ]
    return tuple(sorted(gaps, key=lambda g: (g.actions[0].lower(), g.resources)))


def _unverified_findings(result: DiffResult) -> list[Finding]:
    if not result.unverifiable:
        return []
    return [
        Finding(
            code="UNVERIFIED_REQUIREMENTS",
            finding_type=FindingType.WARNING,
            message=f"{len(result.unverifiable)} required (action, resource) pairs could not be "
            "checked against the policy (a name, account or Region is not known, or another "
            "policy may grant them); see `unverifiable` — give the values (context, parameters, "
            "hints) to check them",
            path="/unverifiable",
            detail={"count": len(result.unverifiable)},
        )
    ]


def worst_impact(required_by: Sequence[RequiredBy]) -> RequiredBy | None:
    with_impact = [r for r in required_by if r.impact is not None]
    if not with_impact:
        return None
    return max(
        with_impact, key=lambda r: BEHAVIOUR_RANK.get(r.impact.behaviour, 0) if r.impact else 0
    )


def patched_policy(current: PolicyView, required: RequiredPermissions) -> dict[str, Any]:
    """The required statements, plus the current policy's Deny statements (kept: denying more
    never grants anything); every Allow of the current policy beyond them was excess."""
    statements = list(required.statements)
    statements.extend(current.raw_statement(s) for s in current.statements if s.effect == "Deny")
    return {"Version": "2012-10-17", "Statement": statements}


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
    budget: WorkBudget | None = None,
) -> DiffOutcome:
    """The diff of the role's current policy (its documents, or the view of them given as
    `current_view`) against what is required."""
    current = current_view or read_policies(current_documents, pointer=current_pointer)
    budget = budget or WorkBudget()
    result = diff_policy(
        current.statements, required.requirements, catalog, mode=mode, budget=budget
    )
    patch = patched_policy(current, required)
    patched_view = read_policy(patch, pointer="/patched_policy")
    # Only the verdict of the patched policy is reported: its excess is not worked out.
    patched = coverage_gaps(
        patched_view.statements, required.requirements, mode=mode, budget=budget
    )
    findings = [*required.findings, *current.findings, *_unverified_findings(result)]
    return DiffOutcome(
        result=result,
        missing=_gaps(result.missing),
        conditional=_gaps(result.conditional),
        unverifiable=_gaps(result.unverifiable),
        optional=_gaps(result.optional),
        required_count=len(required.requirements),
        patched_policy=patch,
        patched_verdict=patched.verdict,
        findings=tuple(sorted(findings, key=Finding.sort_key)),
        provenance=new_provenance(
            catalog_info, loaded.profile_set.revision, required.profiles_used
        ),
        roles=required.roles,
    )
