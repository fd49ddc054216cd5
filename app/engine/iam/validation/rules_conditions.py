"""Condition rules: operators, value types, variables, set qualifiers, never-matching values."""

from __future__ import annotations

from collections.abc import Iterator

from app.engine.findings import Finding, finding
from app.engine.iam.catalog import Catalog
from app.engine.iam.conditions.blocks import split_operator
from app.engine.iam.conditions.operators import (
    ConditionOperator,
    Family,
    check_value,
    is_wildcard_in_non_like,
    parse_operator,
    suggest_operator,
)
from app.engine.iam.conditions.values import TemplateError, parse_template
from app.engine.iam.validation.view import ConditionEntry, PolicyContext, StatementView

_NO_VARIABLES = (Family.NUMERIC, Family.DATE, Family.BINARY, Family.IP, Family.NULL)
_POSITIVE_STRING = ("StringEquals", "StringEqualsIgnoreCase", "StringLike")
_LIKE_FOR = {
    "StringEquals": "StringLike",
    "StringNotEquals": "StringNotLike",
    "StringEqualsIgnoreCase": "StringLike",
    "StringNotEqualsIgnoreCase": "StringNotLike",
}


def operators(ctx: PolicyContext) -> Iterator[Finding]:
    for stmt in ctx.statements:
        seen: set[str] = set()
        for cond in stmt.conditions:
            if cond.operator_pointer in seen or parse_operator(cond.operator) is not None:
                continue
            seen.add(cond.operator_pointer)
            base, _, if_exists = split_operator(cond.operator)
            if base == "Null" and if_exists:
                yield finding(
                    "NULL_IF_EXISTS",
                    f"`{cond.operator}` is not an operator: Null already tests whether the key "
                    "exists; use `Null`",
                    cond.operator_pointer,
                    suggestions=[cond.operator.replace("IfExists", "")],
                )
                continue
            suggestion = suggest_operator(cond.operator)
            hint = f"; did you mean `{suggestion}`?" if suggestion else ""
            yield finding(
                "UNKNOWN_OPERATOR",
                f"`{cond.operator}` is not a condition operator (operators are case-sensitive)"
                f"{hint}",
                cond.operator_pointer,
                suggestions=[suggestion] if suggestion else None,
            )


def _value_findings(
    stmt: StatementView, cond: ConditionEntry, op: ConditionOperator
) -> Iterator[Finding]:
    variables = stmt.policy_variables
    for entry in cond.values:
        value = entry.value
        if not isinstance(value, str | int | float | bool):
            continue  # WRONG_TYPE from the parser
        if isinstance(value, str) and "${" in value:
            if not variables:
                yield finding(
                    "VARIABLE_IN_OLD_VERSION",
                    f"`{value}` looks like a policy variable, but without "
                    '"Version": "2012-10-17" it is compared literally',
                    entry.pointer,
                )
            elif op.family in _NO_VARIABLES:
                yield finding(
                    "VARIABLE_NOT_ALLOWED",
                    f"policy variables are not allowed with `{op.text}`: `{value}`",
                    entry.pointer,
                )
                continue
            else:
                try:
                    parse_template(value, variables=True)
                except TemplateError as exc:
                    yield finding(
                        "MALFORMED_VARIABLE", f"`{value}`: {exc}", entry.pointer, value=value
                    )
                    continue
        problem = check_value(op, value, policy_variables=variables)
        if problem is not None:
            yield finding("INVALID_CONDITION_VALUE", problem, entry.pointer, operator=op.text)
            continue
        if is_wildcard_in_non_like(op, value, policy_variables=variables):
            like = _LIKE_FOR.get(op.base)
            yield finding(
                "WILDCARD_IN_NON_LIKE_OPERATOR",
                f"`{op.text}` compares `{value}` literally: `*` and `?` are wildcards only in "
                f"Like operators" + (f"; did you mean `{like}`?" if like else ""),
                entry.pointer,
                suggestions=[like] if like else None,
            )
        if value == "" and op.base in _POSITIVE_STRING and op.qualifier is None:
            yield finding(
                "CONDITION_NEVER_MATCHES",
                f"`{op.text}` with an empty string matches only an empty `{cond.key}`, which "
                "requests do not carry",
                entry.pointer,
            )


def values(ctx: PolicyContext) -> Iterator[Finding]:
    for stmt in ctx.statements:
        for cond in stmt.conditions:
            op = parse_operator(cond.operator)
            if op is not None:
                yield from _value_findings(stmt, cond, op)


def _single_valued(catalog: Catalog, key: str) -> bool:
    types = catalog.condition_key_types(key)
    return bool(types) and not any(t.startswith("ArrayOf") for t in types)


def set_qualifiers(ctx: PolicyContext) -> Iterator[Finding]:
    catalog = ctx.catalog
    for stmt in ctx.statements:
        for cond in stmt.conditions:
            op = parse_operator(cond.operator)
            if op is None or op.qualifier is None or op.family is Family.NULL:
                continue
            single = _single_valued(catalog, cond.key)
            if op.qualifier == "ForAllValues":
                if stmt.is_allow:
                    yield finding(
                        "FORALLVALUES_WITH_ALLOW",
                        f"`{op.text}` is also true when `{cond.key}` is missing or empty, so this "
                        "Allow applies to requests without the key; add a Null check or use "
                        "ForAnyValue",
                        cond.pointer,
                    )
                if single:
                    yield finding(
                        "FORALLVALUES_WITH_SINGLE_VALUED_KEY",
                        f"ForAllValues with the single-valued key `{cond.key}` can be overly "
                        f"permissive; use `{op.base}{'IfExists' if op.if_exists else ''}`",
                        cond.pointer,
                    )
            elif single:
                yield finding(
                    "FORANYVALUE_WITH_SINGLE_VALUED_KEY",
                    f"`{cond.key}` is single-valued; set operators are for multivalued keys, use "
                    f"`{op.base}{'IfExists' if op.if_exists else ''}`",
                    cond.pointer,
                )


def duplicate_key_case(ctx: PolicyContext) -> Iterator[Finding]:
    for stmt in ctx.statements:
        first: dict[tuple[str, str], ConditionEntry] = {}
        for cond in stmt.conditions:
            slot = (cond.operator_pointer, cond.key.lower())
            earlier = first.get(slot)
            if earlier is None:
                first[slot] = cond
            elif earlier.key != cond.key:
                yield finding(
                    "DUPLICATE_CONDITION_KEY_CASE",
                    f"`{cond.key}` and `{earlier.key}` are the same key (keys are "
                    f"case-insensitive) under `{cond.operator}`; merge them",
                    cond.pointer,
                    first=earlier.pointer,
                )


_TYPE_FAMILIES = {
    "String": Family.STRING,
    "ARN": Family.ARN,
    "Bool": Family.BOOL,
    "Numeric": Family.NUMERIC,
    "Date": Family.DATE,
    "IPAddress": Family.IP,
    "Binary": Family.BINARY,
}


def type_mismatch(ctx: PolicyContext) -> Iterator[Finding]:
    """An operator family the key's type cannot work with (String operators always can)."""
    catalog = ctx.catalog
    for stmt in ctx.statements:
        for cond in stmt.conditions:
            op = parse_operator(cond.operator)
            if op is None or op.family in (Family.NULL, Family.STRING):
                continue
            types = catalog.condition_key_types(cond.key)
            families = {_TYPE_FAMILIES.get(t.removeprefix("ArrayOf")) for t in types}
            if not types or None in families or op.family in families:
                continue
            wanted = " or ".join(sorted(t.removeprefix("ArrayOf") for t in types))
            yield finding(
                "CONDITION_TYPE_MISMATCH",
                f"`{cond.key}` is of type {wanted}; `{op.text}` compares it as "
                f"{op.family.value}, so the condition never matches as intended",
                cond.pointer,
                key_types=list(types),
                operator=op.text,
            )
