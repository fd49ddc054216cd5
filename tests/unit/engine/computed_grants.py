"""What computed statements grant, pair by pair, with the reasons behind each pair."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from app.engine.compute import ComputedStatement, RequiredBy

Grants = dict[tuple[str, str], list[RequiredBy]]


def grants_of(statements: Iterable[ComputedStatement]) -> Grants:
    """(lower-case action, resource) -> the reasons of every statement granting it."""
    out: Grants = defaultdict(list)
    for stmt in statements:
        for action in stmt.actions:
            for resource in stmt.resources:
                out[(action.lower(), resource)].extend(stmt.required_by)
    return out
