"""Recognise a policy as one of the named baselines (the legacy console defaults and so on).

Two policies are the same baseline when their statements are equal up to order: same effect,
same action entries (case-insensitive, order and repetition ignored), same resources, same
conditions. Sids, Version and Id do not change what a policy grants and are ignored.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.engine.findings import Finding, finding
from app.engine.iam.errors import PolicyParseError
from app.engine.iam.policy.ir import ParsedPolicy, Statement
from app.engine.iam.policy.parse import parse_policy

_Canonical = tuple[tuple[object, ...], ...]


def _statement_key(stmt: Statement) -> tuple[object, ...]:
    return (
        stmt.effect,
        stmt.actions.negated,
        tuple(sorted(set(stmt.actions.patterns))),
        stmt.resources.negated,
        tuple(sorted(set(stmt.resources.patterns))),
        tuple(sorted((c.operator_text, c.key, c.values) for c in stmt.conditions)),
    )


def canonical_statements(parsed: ParsedPolicy) -> _Canonical:
    return tuple(sorted((_statement_key(s) for s in parsed.statements), key=repr))


def baseline_document(entry: Mapping[str, Any]) -> Mapping[str, Any]:
    """A baseline given as its document, or as a record with a `document` (a baseline file)."""
    document = entry.get("document")
    if "Statement" not in entry and isinstance(document, Mapping):
        return document
    return entry


def recognise_baseline(
    parsed: ParsedPolicy, baselines: Mapping[str, Mapping[str, Any]] | None
) -> str | None:
    """The name of the baseline whose statements equal the policy's, order-insensitively."""
    if not baselines or not parsed.statements:
        return None
    mine = canonical_statements(parsed)
    for name in sorted(baselines):
        try:
            theirs = parse_policy(dict(baseline_document(baselines[name])))
        except PolicyParseError:
            continue
        if canonical_statements(theirs) == mine:
            return name
    return None


def baseline_finding(
    name: str, baselines: Mapping[str, Mapping[str, Any]], pointer: str
) -> Finding:
    entry = baselines[name]
    title = entry.get("title") if "Statement" not in entry else None
    described = f" ({title})" if isinstance(title, str) and title else ""
    return finding(
        "BASELINE_RECOGNISED",
        f"this is the {name} baseline{described}; diff it against your pipelines to see what it "
        "lacks and what it grants beyond their needs",
        pointer,
        baseline=name,
    )
