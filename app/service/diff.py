"""Use case: diff a role's current policy against what its pipelines (or a policy) require."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from app.engine.compute import ComputeContext, RequiredBy
from app.engine.findings import Finding
from app.engine.hint_checks import GivenHints
from app.engine.iam.arn import ArnMode
from app.engine.iam.catalog import Catalog
from app.engine.iam.coverage import Coverage, PolicyStatement
from app.engine.iam.diff import (
    DiffResult,
    Requirement,
    RequirementOutcome,
    Verdict,
    coverage_gaps,
    diff_policy,
)
from app.engine.iam.policy_view import PolicyView, read_policies, read_policy
from app.engine.pipeline.roles import ServiceRole
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


@dataclass(frozen=True)
class DiffOutcome:
    result: DiffResult
    missing: tuple[Gap, ...]
    conditional: tuple[Gap, ...]
    required_count: int
    patched_policy: dict[str, Any]
    patched_verdict: Verdict
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
) -> RequiredPermissions:
    result, findings, roles = computed_policy(sources, loaded, context=context, hints=hints)
    return RequiredPermissions(
        requirements=requirements_from_computed(result.statements, catalog),
        statements=[s.to_policy_statement() for s in result.statements],
        findings=[*findings, *result.findings],
        profiles_used=result.profiles_used,
        roles=roles,
    )


# A required policy is expanded to one (action, resource) question per pair: `*` on eleven
# resources is already 240,000 of them. Beyond this the answer would be tens of megabytes.
MAX_REQUIREMENTS = 250_000


def required_from_policy(view: PolicyView, catalog: Catalog) -> RequiredPermissions:
    requirements: list[Requirement] = []
    for stmt in view.statements:
        if stmt.effect != "Allow" or stmt.actions_negated or stmt.resources_negated:
            continue
        condition = view.raw_condition(stmt)
        requirements.extend(
            requirements_from_statement(stmt.actions, stmt.resources, condition, catalog)
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
        )
        for (
            actions,
            coverage,
            cond_key,
            sources,
            granting,
            denying,
            deciding,
        ), resources in merged.items()
    ]
    return tuple(sorted(gaps, key=lambda g: (g.actions[0].lower(), g.resources)))


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
) -> DiffOutcome:
    current = read_policies(current_documents, pointer=current_pointer)
    result = diff_policy(current.statements, required.requirements, catalog, mode=mode)
    patch = patched_policy(current, required)
    patched_view = read_policy(patch, pointer="/patched_policy")
    # Only the verdict of the patched policy is reported: its excess is not worked out.
    patched = coverage_gaps(patched_view.statements, required.requirements, mode=mode)
    findings = [*required.findings, *current.findings]
    return DiffOutcome(
        result=result,
        missing=_gaps(result.missing),
        conditional=_gaps(result.conditional),
        required_count=len(required.requirements),
        patched_policy=patch,
        patched_verdict=patched.verdict,
        findings=tuple(sorted(findings, key=Finding.sort_key)),
        provenance=new_provenance(
            catalog_info, loaded.profile_set.revision, required.profiles_used
        ),
        roles=required.roles,
    )
