"""Catalogue rules: unknown services and actions, and resources no listed action applies to."""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache

from app.engine.findings import Finding, finding
from app.engine.iam.catalog import Catalog
from app.engine.iam.patterns.arn import arn_intersects
from app.engine.iam.patterns.glob import glob_match
from app.engine.iam.validation.rules_grammar import has_service_wildcard, split_action
from app.engine.iam.validation.view import Entry, PolicyContext, StatementView

_PLACEHOLDER = re.compile(r"\$\{[^}]*\}")
# Statements whose actions name more ARN formats than this are too broad to judge resources.
MAX_FORMATS = 2_000
_MAX_LISTED = 5
# A near-name search costs milliseconds (difflib over a service's actions): a policy gets that
# many, and names longer than any real action (the longest is under 100 characters) get none.
MAX_SUGGESTION_SEARCHES = 100
MAX_SUGGESTED_NAME = 256


def _did_you_mean(suggestions: list[str]) -> str:
    if not suggestions:
        return ""
    return "; did you mean " + " or ".join(f"`{s}`" for s in suggestions) + "?"


def _excludes_nothing(stmt: StatementView) -> str:
    if not stmt.not_action:
        return ""
    return ", so in NotAction it excludes nothing (IAM does not reject unknown names)"


def _service_suggestions(catalog: Catalog, service: str, name: str, value: str) -> list[str]:
    if "*" not in name and "?" not in name:
        found = catalog.suggest_action(value)
        if found:
            return found
    return [
        f"{p}:{name}" for p in catalog.suggest_service(service) if catalog.expand(f"{p}:{name}")
    ] or [f"{p}:{name}" for p in catalog.suggest_service(service)]


def _action_suggestions(catalog: Catalog, value: str) -> list[str]:
    # A pattern that matches nothing has no near miss worth naming.
    return [] if "*" in value or "?" in value else catalog.suggest_action(value)


def unknown_actions(ctx: PolicyContext) -> Iterator[Finding]:
    catalog = ctx.catalog
    searches = 0

    def may_search(value: str) -> bool:
        nonlocal searches
        if searches >= MAX_SUGGESTION_SEARCHES or len(value) > MAX_SUGGESTED_NAME:
            return False
        searches += 1
        return True

    for stmt in ctx.statements:
        for entry in stmt.actions:
            action = split_action(entry.value)
            if action.problem is not None or (action.service == "*" and action.name == "*"):
                continue
            if has_service_wildcard(action) and action.service != "*":
                continue  # SERVICE_PREFIX_WILDCARD
            tail = _excludes_nothing(stmt)
            if action.service != "*" and not catalog.has_service(action.service):
                suggestions = (
                    _service_suggestions(catalog, action.service, action.name, entry.value)
                    if may_search(entry.value)
                    else []
                )
                yield finding(
                    "UNKNOWN_SERVICE",
                    f"`{action.service}` in `{entry.value}` is not a known service prefix"
                    f"{tail}{_did_you_mean(suggestions)}",
                    entry.pointer,
                    service=action.service,
                    suggestions=suggestions,
                )
                continue
            if catalog.expand_ids(entry.value):
                continue
            pattern = "*" in action.name or "?" in action.name
            suggestions = (
                _action_suggestions(catalog, entry.value) if may_search(entry.value) else []
            )
            what = "matches no action" if pattern else "is not an action"
            yield finding(
                "UNKNOWN_ACTION",
                f"`{entry.value}` {what} of the catalogue ({catalog.meta.date}){tail}"
                f"{_did_you_mean(suggestions)}",
                entry.pointer,
                pattern=pattern,
                suggestions=suggestions,
            )


@lru_cache(maxsize=8192)
def arn_template(arn_format: str) -> str:
    """A catalogue ARN format as a pattern: every `${...}` placeholder reads as `*`."""
    return _PLACEHOLDER.sub("*", arn_format)


@lru_cache(maxsize=65536)
def _intersects(resource: str, template: str, variables: bool) -> bool:
    return arn_intersects(resource, template, variables=variables)


def _is_arn(text: str) -> bool:
    parts = text.split(":", 5)
    return len(parts) == 6 and parts[0] == "arn" and all(parts[i] for i in (1, 2, 5))


def _statement_action_ids(
    stmt: StatementView, catalog: Catalog
) -> list[tuple[Entry, tuple[int, ...]]] | None:
    """Expanded ids per action entry; None when an entry names every service."""
    out: list[tuple[Entry, tuple[int, ...]]] = []
    for entry in stmt.actions:
        action = split_action(entry.value)
        if action.problem is not None:
            continue
        if has_service_wildcard(action):
            return None
        out.append((entry, catalog.expand_ids(entry.value)))
    return out


def resource_mismatch(ctx: PolicyContext) -> Iterator[Finding]:
    catalog = ctx.catalog
    for stmt in ctx.statements:
        if stmt.not_action or stmt.not_resource or not stmt.resources:
            continue
        stars = [glob_match(r.value, "*", variables=False) for r in stmt.resources]
        if all(stars):
            continue
        per_entry = _statement_action_ids(stmt, catalog)
        if not per_entry:
            continue
        any_star = any(stars)
        formats: dict[str, None] = {}
        unknown_formats = False
        for entry, ids in per_entry:
            infos = [catalog.action_at(i) for i in ids]
            for info in infos:
                if info.resource_types and not info.arn_formats:
                    unknown_formats = True
                formats.update(dict.fromkeys(arn_template(f) for f in info.arn_formats))
            if infos and not any_star and all(not i.resource_types for i in infos):
                names = ", ".join(f"`{i.name}`" for i in infos[:_MAX_LISTED])
                one = len(infos) == 1
                yield finding(
                    "RESOURCE_MISMATCH",
                    f"{names} support{'s' if one else ''} no resource type: IAM authorises "
                    f'{"it" if one else "them"} only against Resource "*", so this statement '
                    f"never grants `{entry.value}`",
                    entry.pointer,
                    actions=[i.name for i in infos[:_MAX_LISTED]],
                    required_resource="*",
                )
        if unknown_formats or not formats or len(formats) > MAX_FORMATS:
            continue
        templates = tuple(formats)
        for resource in stmt.resources:
            text = resource.value
            if glob_match(text, "*", variables=False) or not _is_arn(text):
                continue
            if any(_intersects(text, t, stmt.policy_variables) for t in templates):
                continue
            # Only the actions the catalogue has (an unknown one has its own finding).
            listed = [e.value for e, ids in per_entry if ids][:_MAX_LISTED]
            yield finding(
                "RESOURCE_MISMATCH",
                f"`{text}` matches no resource type of "
                + ", ".join(f"`{a}`" for a in listed)
                + "; expected "
                + " or ".join(f"`{t}`" for t in templates[:_MAX_LISTED]),
                resource.pointer,
                actions=listed,
                expected_formats=list(templates[:_MAX_LISTED]),
            )


@lru_cache(maxsize=4096)
def _scopable(catalog: Catalog, pattern: str) -> tuple[str, ...]:
    """Actions a pattern names that support at least one resource type."""
    infos = (catalog.action_at(i) for i in catalog.expand_ids(pattern))
    return tuple(info.name for info in infos if info.resource_types)


def resource_star(ctx: PolicyContext) -> Iterator[Finding]:
    """Resource "*" on actions that could be scoped to resources (parliament's RESOURCE_STAR)."""
    if ctx.policy_type == "key":
        return  # in a key policy, "*" is the key the policy is attached to
    catalog = ctx.catalog
    for stmt in ctx.statements:
        if not stmt.is_allow or stmt.not_action or stmt.not_resource:
            continue
        star = next((r for r in stmt.resources if r.value == "*"), None)
        if star is None:
            continue
        per_entry = _statement_action_ids(stmt, catalog)
        if per_entry is None:
            continue  # every service: ALL_ACTIONS or WILDCARD_IN_SERVICE_NAME says more
        # Service-wide wildcards are reported as SERVICE_WIDE_WILDCARD; listing their
        # hundreds of actions again here would add nothing.
        named = [e for e, _ in per_entry if set(split_action(e.value).name) != {"*"}]
        scopable = sorted(
            {name for entry in named for name in _scopable(catalog, entry.value.lower())},
            key=str.lower,
        )
        if not scopable:
            continue
        examples = ", ".join(f"`{n}`" for n in scopable[:_MAX_LISTED])
        more = f" and {len(scopable) - _MAX_LISTED} more" if len(scopable) > _MAX_LISTED else ""
        yield finding(
            "RESOURCE_STAR",
            f'Resource "*" for {len(scopable)} action{"s" if len(scopable) > 1 else ""} that '
            f"can be scoped to resources: {examples}{more}",
            star.pointer,
            scopable_actions=len(scopable),
            examples=scopable[:_MAX_LISTED],
        )
