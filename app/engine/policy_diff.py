"""A role's policy against what its pipelines require: the gaps, merged for reading, and the
patched policy (the requirements plus the current Deny statements), checked in turn."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from app.engine.budget import WorkBudget
from app.engine.compute import RequiredBy
from app.engine.findings import Finding, FindingType
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
from app.engine.iam.policy.view import PolicyView, read_policy

BEHAVIOUR_RANK = {"HANG": 5, "LATE": 4, "CREATE": 3, "FAST": 2, "TRANSIENT": 1, "DEGRADED": 0}


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
class PolicyDiff:
    """The diff of one policy against the requirements, and the verdict of its patch."""

    result: DiffResult
    missing: tuple[Gap, ...]
    conditional: tuple[Gap, ...]
    unverifiable: tuple[Gap, ...]
    optional: tuple[Gap, ...]
    patched_policy: dict[str, Any]
    patched_verdict: DiffVerdict
    findings: tuple[Finding, ...]


def diff_against_requirements(
    current: PolicyView,
    requirements: Sequence[Requirement],
    required_statements: Sequence[Mapping[str, Any]],
    catalog: Catalog,
    *,
    mode: ArnMode,
    budget: WorkBudget,
    possible: PolicyView | None = None,
) -> PolicyDiff:
    """`current` against `requirements`; the patch grants `required_statements`. Given
    `possible`, `current` is the sure reading of a policy whose template leaves values
    undetermined and `possible` what it may grant (diff_policy); the patch keeps `current`'s
    Deny statements, which apply at least as far as the template's."""
    result = diff_policy(
        current.statements,
        requirements,
        catalog,
        mode=mode,
        budget=budget,
        possible=possible.statements if possible is not None else None,
    )
    patch = patched_policy(current, required_statements)
    patched_view = read_policy(patch, pointer="/patched_policy")
    # Only the verdict of the patched policy is reported: its excess is not worked out.
    patched = coverage_gaps(patched_view.statements, requirements, mode=mode, budget=budget)
    return PolicyDiff(
        result=result,
        missing=merge_gaps(result.missing),
        conditional=merge_gaps(result.conditional),
        unverifiable=merge_gaps(result.unverifiable),
        optional=merge_gaps(result.optional),
        patched_policy=patch,
        patched_verdict=patched.verdict,
        findings=_unverified_findings(result),
    )


def merge_gaps(outcomes: Sequence[RequirementOutcome]) -> tuple[Gap, ...]:
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


def _unverified_findings(result: DiffResult) -> tuple[Finding, ...]:
    if not result.unverifiable:
        return ()
    return (
        Finding(
            code="UNVERIFIED_REQUIREMENTS",
            finding_type=FindingType.WARNING,
            message=f"{len(result.unverifiable)} required (action, resource) pairs could not be "
            "checked against the policy (a name, account or Region is not known, another policy "
            "may grant them, or the policy grants them only through a value its template does "
            "not determine); see `unverifiable` — give the values (context, parameters, hints) "
            "to check them",
            path="/unverifiable",
            detail={"count": len(result.unverifiable)},
        ),
    )


def worst_impact(required_by: Sequence[RequiredBy]) -> RequiredBy | None:
    with_impact = [r for r in required_by if r.impact is not None]
    if not with_impact:
        return None
    return max(
        with_impact, key=lambda r: BEHAVIOUR_RANK.get(r.impact.behaviour, 0) if r.impact else 0
    )


def patched_policy(
    current: PolicyView, required_statements: Sequence[Mapping[str, Any]]
) -> dict[str, Any]:
    """The required statements, plus the current policy's Deny statements (kept: denying more
    never grants anything); every Allow of the current policy beyond them was excess."""
    statements = list(required_statements)
    statements.extend(current.raw_statement(s) for s in current.statements if s.effect == "Deny")
    return {"Version": "2012-10-17", "Statement": statements}
