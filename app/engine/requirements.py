"""Turn a computed policy (or any policy taken as the requirement) into per-action needs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from app.engine.compute import ComputedStatement
from app.engine.iam.catalog import Catalog
from app.engine.iam.condition_facts import facts_from_condition
from app.engine.iam.diff import Requirement


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
) -> list[Requirement]:
    facts = facts_from_condition(condition)
    return [
        Requirement(
            action=action, resource=resource, facts=facts, condition=condition, sources=sources
        )
        for pattern in actions
        for action in _actions(pattern, catalog)
        for resource in resources
    ]


def requirements_from_computed(
    statements: Sequence[ComputedStatement], catalog: Catalog
) -> list[Requirement]:
    out: list[Requirement] = []
    for stmt in statements:
        out.extend(
            requirements_from_statement(
                stmt.actions, stmt.resources, stmt.condition, catalog, stmt.required_by
            )
        )
    return out
