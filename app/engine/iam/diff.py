"""Diff a current policy against required permissions: missing, conditional, excess, verdict."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from app.engine.iam.arn import ArnMode
from app.engine.iam.catalog import Catalog
from app.engine.iam.condition_facts import KeyFact
from app.engine.iam.coverage import (
    Coverage,
    CoverageResult,
    PolicyStatement,
    StatementsByAction,
    check_requirement,
)
from app.engine.iam.excess import ExcessResult, compute_excess

Verdict = Literal["sufficient", "insufficient", "conditional"]


@dataclass(frozen=True)
class Requirement:
    """One action needed on one resource pattern, under what is known of its requests."""

    action: str
    resource: str
    facts: Mapping[str, KeyFact] = field(default_factory=dict)
    condition: Mapping[str, Mapping[str, Any]] | None = None
    sources: tuple[Any, ...] = ()


@dataclass(frozen=True)
class RequirementOutcome:
    requirement: Requirement
    result: CoverageResult


@dataclass(frozen=True)
class CoverageGaps:
    """Which requirements a policy leaves missing or only conditionally granted."""

    missing: tuple[RequirementOutcome, ...]
    conditional: tuple[RequirementOutcome, ...]
    granted: int

    @property
    def verdict(self) -> Verdict:
        if self.missing:
            return "insufficient"
        if self.conditional:
            return "conditional"
        return "sufficient"


@dataclass(frozen=True)
class DiffResult(CoverageGaps):
    """The gaps, and what the policy grants beyond the requirements."""

    excess: ExcessResult

    @property
    def least_privilege(self) -> bool:
        return self.excess.total_actions == 0 and not self.excess.broader_resources


def coverage_gaps(
    current: Sequence[PolicyStatement],
    requirements: Sequence[Requirement],
    *,
    mode: ArnMode = "segment",
    by_action: StatementsByAction | None = None,
) -> CoverageGaps:
    """Which requirements `current` leaves missing or conditional (no excess analysis)."""
    by_action = by_action or StatementsByAction(current)
    missing: list[RequirementOutcome] = []
    conditional: list[RequirementOutcome] = []
    granted = 0
    for requirement in requirements:
        result = check_requirement(
            requirement.action,
            requirement.resource,
            requirement.facts,
            by_action.matching(requirement.action),
            mode=mode,
        )
        if result.coverage is Coverage.GRANTED:
            granted += 1
        elif result.coverage is Coverage.CONDITIONAL:
            conditional.append(RequirementOutcome(requirement, result))
        else:
            missing.append(RequirementOutcome(requirement, result))
    return CoverageGaps(tuple(missing), tuple(conditional), granted)


def diff_policy(
    current: Sequence[PolicyStatement],
    requirements: Sequence[Requirement],
    catalog: Catalog,
    *,
    mode: ArnMode = "segment",
) -> DiffResult:
    by_action = StatementsByAction(current)
    gaps = coverage_gaps(current, requirements, mode=mode, by_action=by_action)
    needed: dict[str, set[str]] = defaultdict(set)
    for requirement in requirements:
        needed[requirement.action].add(requirement.resource)
    return DiffResult(
        missing=gaps.missing,
        conditional=gaps.conditional,
        granted=gaps.granted,
        excess=compute_excess(current, needed, catalog, mode=mode, by_action=by_action),
    )
