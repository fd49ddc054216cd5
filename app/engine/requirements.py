"""Turn a computed policy (or any policy taken as the requirement) into per-action needs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from app.engine.budget import WorkBudget
from app.engine.compute import ComputedStatement, RequiredBy
from app.engine.iam.analysis.diff import Necessity, Requirement
from app.engine.iam.catalog import Catalog
from app.engine.iam.conditions.facts import facts_from_condition


def _actions(pattern: str, catalog: Catalog) -> tuple[str, ...]:
    """A wildcard in a required action stands for every action it names today."""
    if "*" in pattern or "?" in pattern:
        expanded = catalog.expand(pattern)
        if expanded:
            return expanded
    info = catalog.action(pattern)
    return (info.name if info else pattern,)


def requirements_from_statement(
    actions: Sequence[str],
    resources: Sequence[str],
    condition: Mapping[str, Mapping[str, Any]] | None,
    catalog: Catalog,
    sources: tuple[Any, ...] = (),
    *,
    budget: WorkBudget | None = None,
    at: str = "",
) -> list[Requirement]:
    """One requirement per action the patterns name and resource; each is a step of `budget`,
    charged before any is made (a `*` on many resources is millions of pairs)."""
    facts = facts_from_condition(condition)
    named = [action for pattern in actions for action in _actions(pattern, catalog)]
    if budget is not None:
        budget.charge(steps=len(named) * len(resources), at=at)
    return [
        Requirement(
            action=action, resource=resource, facts=facts, condition=condition, sources=sources
        )
        for action in named
        for resource in resources
    ]


def requirements_from_computed(
    statements: Sequence[ComputedStatement], catalog: Catalog
) -> list[Requirement]:
    """One requirement per (action, resource) of the computed statements, each with the reasons
    of its own action and how sure it is (see `necessity`)."""
    out: list[Requirement] = []
    for stmt in statements:
        facts = facts_from_condition(stmt.condition)
        for pattern in stmt.actions:
            lowered = pattern.lower()
            for_action = tuple(r for r in stmt.required_by if lowered in r.actions)
            for resource in stmt.resources:
                reasons = tuple(r for r in for_action if resource in r.resources) or (
                    for_action or stmt.required_by
                )
                how_sure, note = necessity(reasons)
                out.extend(
                    Requirement(
                        action=action,
                        resource=resource,
                        facts=facts,
                        condition=stmt.condition,
                        sources=reasons,
                        necessity=how_sure,
                        name_unknown=resource in stmt.unverifiable,
                        note=note,
                        assumption="; ".join(dict.fromkeys(r.assumes for r in reasons if r.assumes))
                        or None,
                    )
                    for action in _actions(pattern, catalog)
                )
    return out


def necessity(reasons: Sequence[RequiredBy]) -> tuple[Necessity, str | None]:
    """Required when one reason needs it for sure; optional when every reason says it is
    optional; else unverifiable (not known to be needed, or another policy may grant it)."""
    if not reasons or any(r.certain for r in reasons):
        return "required", None
    if all(r.optional for r in reasons):
        return "optional", "; ".join(dict.fromkeys(r.optional or "" for r in reasons))
    notes = [
        r.undetermined or (f"{r.alternative} may grant it" if r.alternative else "")
        for r in reasons
        if not r.optional
    ]
    return "unverifiable", "; ".join(dict.fromkeys(n for n in notes if n))
