"""Diff a current policy against required permissions: missing, conditional, excess, verdict."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from app.engine.iam.arn import ArnMode
from app.engine.iam.catalog import Catalog
from app.engine.iam.condition_facts import KeyFact
from app.engine.iam.coverage import Coverage, CoverageResult, PolicyStatement, check_requirement
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
class DiffResult:
    missing: tuple[RequirementOutcome, ...]
    conditional: tuple[RequirementOutcome, ...]
    granted: int
    excess: ExcessResult

    @property
    def verdict(self) -> Verdict:
        if self.missing:
            return "insufficient"
        if self.conditional:
            return "conditional"
        return "sufficient"

    @property
    def least_privilege(self) -> bool:
        return self.excess.total_actions == 0 and not self.excess.broader_resources


def diff_policy(
    current: Sequence[PolicyStatement],
    requirements: Sequence[Requirement],
    catalog: Catalog,
    *,
    mode: ArnMode = "segment",
) -> DiffResult:
    missing: list[RequirementOutcome] = []
    conditional: list[RequirementOutcome] = []
    granted = 0
    needed: dict[str, set[str]] = defaultdict(set)
    for requirement in requirements:
        needed[requirement.action].add(requirement.resource)
        result = check_requirement(
            requirement.action, requirement.resource, requirement.facts, current, mode=mode
        )
        if result.coverage is Coverage.GRANTED:
            granted += 1
        elif result.coverage is Coverage.CONDITIONAL:
            conditional.append(RequirementOutcome(requirement, result))
        else:
            missing.append(RequirementOutcome(requirement, result))
    return DiffResult(
        missing=tuple(missing),
        conditional=tuple(conditional),
        granted=granted,
        excess=compute_excess(current, needed, catalog, mode=mode),
    )
