"""Deterministic serialisation of the IR and IAM's size counting (§1.6).

Element order is fixed (Version, Id, Statement; Sid, Effect, Action, Resource, Condition) and
one-element lists are written as plain strings, the shortest form IAM accepts, so a computed
policy spends as little of its size quota as possible and the same IR always yields the same
bytes.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from app.engine.iam.policy.ir import Condition, PolicyDocument, Statement
from app.engine.iam.policy.quotas import policy_characters


def _one_or_many(values: tuple[str, ...]) -> str | list[str]:
    return values[0] if len(values) == 1 else list(values)


def _conditions(conditions: tuple[Condition, ...]) -> dict[str, dict[str, str | list[str]]]:
    out: dict[str, dict[str, str | list[str]]] = {}
    for cond in conditions:
        out.setdefault(cond.operator_text, {})[cond.key_original] = _one_or_many(cond.values)
    return out


def _statement(stmt: Statement) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if stmt.sid is not None:
        out["Sid"] = stmt.sid
    if stmt.effect is not None:
        out["Effect"] = stmt.effect
    out["NotAction" if stmt.actions.negated else "Action"] = _one_or_many(stmt.actions.originals)
    key = "NotResource" if stmt.resources.negated else "Resource"
    out[key] = _one_or_many(stmt.resources.patterns)
    if stmt.conditions:
        out["Condition"] = _conditions(stmt.conditions)
    return out


def to_json_dict(doc: PolicyDocument) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if doc.version is not None:
        out["Version"] = doc.version
    if doc.id is not None:
        out["Id"] = doc.id
    out["Statement"] = [_statement(s) for s in doc.statements]
    return out


def _compact(data: Mapping[str, Any]) -> str:
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False)


def canonical_json(doc: PolicyDocument) -> str:
    return _compact(to_json_dict(doc))


def policy_size(doc: PolicyDocument | Mapping[str, Any]) -> int:
    """Characters IAM counts against the size quota: compact JSON without whitespace.

    Pass the caller's own decoded document to measure what they submitted; pass the IR to
    measure what canonical_json would submit.
    """
    return policy_characters(to_json_dict(doc) if isinstance(doc, PolicyDocument) else doc)
