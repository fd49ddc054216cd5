"""Diff a current policy against required permissions: missing, conditional, excess, verdict."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from app.engine.budget import WorkBudget
from app.engine.iam.analysis.coverage import (
    Coverage,
    CoverageResult,
    PolicyStatement,
    StatementsByAction,
    check_requirement,
)
from app.engine.iam.analysis.excess import ExcessResult, compute_excess
from app.engine.iam.catalog import Catalog
from app.engine.iam.conditions.facts import KeyFact, decide
from app.engine.iam.conditions.operators import Tri
from app.engine.iam.patterns.arn import ArnMode, arn_intersects

DiffVerdict = Literal["sufficient", "insufficient", "conditional", "unverified"]
# How sure a requirement is: needed, documented as optional, or not decidable from what is
# known (it may not be needed, or another policy may grant it).
Necessity = Literal["required", "optional", "unverifiable"]


@dataclass(frozen=True)
class Requirement:
    """One action needed on one resource pattern, under what is known of its requests."""

    action: str
    resource: str
    facts: Mapping[str, KeyFact] = field(default_factory=dict)
    condition: Mapping[str, Mapping[str, Any]] | None = None
    sources: tuple[Any, ...] = ()
    necessity: Necessity = "required"
    # The resource's `*` stands for a name, account or Region that is not known: a grant on a
    # concrete resource of that shape may be the right one.
    name_unknown: bool = False
    note: str | None = None  # why it is optional or unverifiable
    # What the requirement's condition takes for granted (the bucket is in the pipeline's
    # account): a grant under another value of its keys is unverifiable, not missing.
    assumption: str | None = None


@dataclass(frozen=True)
class RequirementOutcome:
    requirement: Requirement
    result: CoverageResult
    # Why a requirement that is not granted as such is not missing either.
    reason: str | None = None


@dataclass(frozen=True)
class CoverageGaps:
    """Which requirements a policy leaves missing, grants only under conditions, cannot be
    checked against it, or leaves out although they are only optional."""

    missing: tuple[RequirementOutcome, ...]
    conditional: tuple[RequirementOutcome, ...]
    granted: int
    unverifiable: tuple[RequirementOutcome, ...] = ()
    optional: tuple[RequirementOutcome, ...] = ()

    @property
    def verdict(self) -> DiffVerdict:
        if self.missing:
            return "insufficient"
        if self.conditional:
            return "conditional"
        if self.unverifiable:
            return "unverified"
        return "sufficient"


@dataclass(frozen=True)
class DiffResult(CoverageGaps):
    """The gaps, and what the policy grants beyond the requirements."""

    excess: ExcessResult = field(kw_only=True)

    @property
    def least_privilege(self) -> bool:
        return self.excess.total_actions == 0 and not self.excess.broader_resources


def coverage_gaps(
    current: Sequence[PolicyStatement],
    requirements: Sequence[Requirement],
    *,
    mode: ArnMode = "segment",
    by_action: StatementsByAction | None = None,
    budget: WorkBudget | None = None,
) -> CoverageGaps:
    """Which requirements `current` leaves missing or conditional (no excess analysis); each
    requirement checked is charged to `budget` (see check_requirement)."""
    budget = budget or WorkBudget.unbounded()
    by_action = by_action or StatementsByAction(current)
    found: dict[str, list[RequirementOutcome]] = defaultdict(list)
    granted = 0
    for requirement in requirements:
        statements, result = _checked(requirement, by_action, mode=mode, budget=budget)
        if result.coverage is Coverage.GRANTED:
            granted += 1
        elif result.coverage is Coverage.CONDITIONAL:
            found["conditional"].append(RequirementOutcome(requirement, result))
        else:
            kind, outcome = _ungranted(requirement, result, statements, mode, budget)
            found[kind].append(outcome)
    return CoverageGaps(
        missing=tuple(found["missing"]),
        conditional=tuple(found["conditional"]),
        granted=granted,
        unverifiable=tuple(found["unverifiable"]),
        optional=tuple(found["optional"]),
    )


def _checked(
    requirement: Requirement, by_action: StatementsByAction, *, mode: ArnMode, budget: WorkBudget
) -> tuple[tuple[PolicyStatement, ...], CoverageResult]:
    """The statements about a requirement's action, and its coverage by them (charged to
    `budget` by check_requirement)."""
    statements = by_action.matching(requirement.action)
    result = check_requirement(
        requirement.action,
        requirement.resource,
        requirement.facts,
        statements,
        mode=mode,
        budget=budget,
    )
    return statements, result


def _ungranted(
    requirement: Requirement,
    result: CoverageResult,
    statements: Sequence[PolicyStatement],
    mode: ArnMode,
    budget: WorkBudget,
) -> tuple[str, RequirementOutcome]:
    """Where a requirement the policy does not grant belongs: optional, unverifiable or
    missing. An explicit Deny of a required permission is always missing."""
    if requirement.necessity == "optional":
        return "optional", RequirementOutcome(requirement, result, requirement.note)
    if result.coverage is Coverage.DENIED:
        return "missing", RequirementOutcome(requirement, result)
    if requirement.necessity == "unverifiable":
        return "unverifiable", RequirementOutcome(requirement, result, requirement.note)
    if requirement.assumption and requirement.condition:
        relaxed = check_requirement(
            requirement.action, requirement.resource, {}, statements, mode=mode, budget=budget
        )
        if relaxed.coverage in (Coverage.GRANTED, Coverage.CONDITIONAL):
            keys = sorted({k for block in requirement.condition.values() for k in block})
            return "unverifiable", RequirementOutcome(
                requirement,
                CoverageResult(result.coverage, granting=relaxed.granting, denying=result.denying),
                f"the policy grants it for other values of {', '.join(keys)}; the requirement "
                f"assumes {requirement.assumption}",
            )
    if requirement.name_unknown:
        shaped = shaped_grants(requirement, statements, mode, budget)
        if shaped:
            return "unverifiable", RequirementOutcome(
                requirement,
                CoverageResult(result.coverage, granting=shaped, denying=result.denying),
                "the resource's name is not known; the policy grants the action on resources "
                "of its shape, which may be the right ones",
            )
    return "missing", RequirementOutcome(requirement, result)


def shaped_grants(
    requirement: Requirement,
    statements: Sequence[PolicyStatement],
    mode: ArnMode,
    budget: WorkBudget,
) -> tuple[PolicyStatement, ...]:
    """The Allow statements that grant the action on some resource of the requirement's shape,
    under a condition that may hold for its requests (the comparisons charged to `budget`, at
    each statement's place)."""
    out = []
    for stmt in statements:
        if stmt.effect != "Allow" or stmt.resources_negated:
            continue
        with budget.located(stmt.pointer):
            shaped = any(
                arn_intersects(requirement.resource, p, mode, budget=budget) for p in stmt.resources
            )
        if not shaped:
            continue
        if stmt.conditions and decide(stmt.conditions, requirement.facts).result is Tri.FALSE:
            continue
        out.append(stmt)
    return tuple(out)


def diff_policy(
    current: Sequence[PolicyStatement],
    requirements: Sequence[Requirement],
    catalog: Catalog,
    *,
    mode: ArnMode = "segment",
    budget: WorkBudget | None = None,
    possible: Sequence[PolicyStatement] | None = None,
) -> DiffResult:
    """The diff of `current`; given `possible`, `current` is what a policy grants whatever
    values its template does not determine are, and `possible` what it may grant: a
    requirement granted only by `possible` is unverifiable, and the excess is what it may grant
    beyond the requirements (the safe side of each claim)."""
    budget = budget or WorkBudget.unbounded()
    by_action = StatementsByAction(current)
    gaps = coverage_gaps(current, requirements, mode=mode, by_action=by_action, budget=budget)
    if possible is not None:
        by_action = StatementsByAction(possible)
        gaps = _bounded(gaps, by_action, mode=mode, budget=budget)
    needed: dict[str, set[str]] = defaultdict(set)
    for requirement in requirements:
        needed[requirement.action].add(requirement.resource)
    return DiffResult(
        missing=gaps.missing,
        conditional=gaps.conditional,
        granted=gaps.granted,
        unverifiable=gaps.unverifiable,
        optional=gaps.optional,
        excess=compute_excess(
            possible if possible is not None else current,
            needed,
            catalog,
            mode=mode,
            by_action=by_action,
            budget=budget,
        ),
    )


# Why a requirement the sure reading of a policy does not grant as the possible one does is
# unverifiable, by what the possible reading grants.
UNDETERMINED_GRANT = {
    Coverage.GRANTED: "granted only if the values the template does not determine allow it",
    Coverage.CONDITIONAL: "granted under conditions only if the values the template does not "
    "determine allow it",
}
_RANK = {Coverage.GRANTED: 2, Coverage.CONDITIONAL: 1}


def _bounded(
    sure: CoverageGaps, possible: StatementsByAction, *, mode: ArnMode, budget: WorkBudget
) -> CoverageGaps:
    """`sure`'s gaps as the possible reading changes them, each requirement a step of
    `budget`: one it grants, or grants under conditions where `sure` does not, is unverifiable
    (an optional one stays optional, its reason saying so; one unverifiable for its own sake,
    a need known only at run time, stays as it is); one `sure` denies and it does not is as it
    has it."""
    kept: dict[str, list[RequirementOutcome]] = defaultdict(list)
    for kind in ("missing", "conditional", "unverifiable", "optional"):
        for outcome in getattr(sure, kind):
            requirement = outcome.requirement
            if kind == "unverifiable" and requirement.necessity != "required":
                kept[kind].append(outcome)
                continue
            statements, result = _checked(requirement, possible, mode=mode, budget=budget)
            if _RANK.get(result.coverage, 0) > _RANK.get(outcome.result.coverage, 0):
                reason = UNDETERMINED_GRANT[result.coverage]
                if kind == "optional":
                    reason = "; ".join(filter(None, [outcome.reason, reason]))
                    kept[kind].append(replace(outcome, reason=reason))
                else:
                    kept["unverifiable"].append(RequirementOutcome(requirement, result, reason))
            elif (
                kind == "missing"
                and outcome.result.coverage is Coverage.DENIED
                and result.coverage is Coverage.NOT_GRANTED
            ):
                # Denied only through such values: not granted, as the possible reading says.
                found, again = _ungranted(requirement, result, statements, mode, budget)
                kept[found].append(again)
            else:
                kept[kind].append(outcome)
    return CoverageGaps(
        missing=tuple(kept["missing"]),
        conditional=tuple(kept["conditional"]),
        granted=sure.granted,
        unverifiable=tuple(kept["unverifiable"]),
        optional=tuple(kept["optional"]),
    )
