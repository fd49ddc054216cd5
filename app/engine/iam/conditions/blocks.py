"""Canonicalisation of Condition blocks into per-(operator, key) Condition records."""

from __future__ import annotations

from collections.abc import Mapping
from typing import get_args

from app.engine.iam.errors import IssueCode, ParseIssue
from app.engine.iam.policy.ir import Condition, Qualifier
from app.engine.json_pointer import pointer_join

_QUALIFIERS: tuple[Qualifier, ...] = get_args(Qualifier)
_IF_EXISTS = "IfExists"


def split_operator(text: str) -> tuple[str, Qualifier | None, bool]:
    """`ForAnyValue:StringLikeIfExists` -> (`StringLike`, `ForAnyValue`, True).

    Matching is exact-case on purpose: a misspelt prefix stays in the base name, where the
    validator reports an unknown operator instead of the parser silently correcting it.
    """
    qualifier: Qualifier | None = None
    for candidate in _QUALIFIERS:
        if text.startswith(candidate + ":"):
            qualifier, text = candidate, text[len(candidate) + 1 :]
            break
    if_exists = text.endswith(_IF_EXISTS)
    if if_exists:
        text = text[: -len(_IF_EXISTS)]
    return text, qualifier, if_exists


def value_text(value: object) -> str | None:
    """A condition value as the string IAM compares; None for types IAM does not accept."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return repr(value)
    return None


def _values(raw: object, pointer: str, issues: list[ParseIssue]) -> tuple[str, ...]:
    items = raw if isinstance(raw, list) else [raw]
    if isinstance(raw, list) and not raw:
        issues.append(ParseIssue(IssueCode.EMPTY_ARRAY, "condition value list is empty", pointer))
    out: set[str] = set()
    for i, item in enumerate(items):
        text = value_text(item)
        if text is None:
            where = pointer_join(pointer, i) if isinstance(raw, list) else pointer
            issues.append(
                ParseIssue(
                    IssueCode.WRONG_TYPE,
                    "condition values must be strings, numbers or booleans",
                    where,
                )
            )
            continue
        out.add(text)
    return tuple(sorted(out))


def parse_conditions(raw: object, pointer: str, issues: list[ParseIssue]) -> tuple[Condition, ...]:
    if not isinstance(raw, Mapping):
        issues.append(ParseIssue(IssueCode.WRONG_TYPE, "Condition must be an object", pointer))
        return ()
    out: list[Condition] = []
    for op_text, block in raw.items():
        op_pointer = pointer_join(pointer, op_text)
        if not isinstance(block, Mapping):
            message = f"condition operator {op_text} needs an object"
            issues.append(ParseIssue(IssueCode.WRONG_TYPE, message, op_pointer))
            continue
        if not block:
            issues.append(
                ParseIssue(
                    IssueCode.EMPTY_CONDITION_BLOCK, f"condition {op_text} has no keys", op_pointer
                )
            )
        operator, qualifier, if_exists = split_operator(str(op_text))
        for key, raw_values in block.items():
            key_pointer = pointer_join(op_pointer, key)
            values = _values(raw_values, key_pointer, issues)
            out.append(
                Condition(
                    operator, qualifier, if_exists, str(key).lower(), str(key), values, key_pointer
                )
            )
    out.sort(key=lambda c: (c.operator_text, c.key, c.key_original))
    return tuple(out)
