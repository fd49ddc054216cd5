"""Condition-key rules: keys unknown for the statement's services, or for all of its actions.

A key is known when it is a global `aws:` key, or a key the catalogue lists for a service of the
statement's actions. Keys are case-insensitive; templates (`aws:ResourceTag/${TagKey}`,
`s3:ExistingObjectTag/<key>`) match any concrete tag key.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache

from app.engine.findings import Finding, finding
from app.engine.iam.catalog import GLOBAL_CONDITION_KEYS, Catalog
from app.engine.iam.validation.rules_grammar import has_service_wildcard, split_action
from app.engine.iam.validation.view import PolicyContext, StatementView

_PLACEHOLDER = re.compile(r"\$\{[^}]*\}|<[^>]*>")


@dataclass(frozen=True)
class KeyIndex:
    exact: frozenset[str]
    templates: tuple[re.Pattern[str], ...]
    names: tuple[str, ...]  # as the catalogue spells them, for suggestions

    def knows(self, key: str) -> bool:
        low = key.lower()
        return low in self.exact or any(t.fullmatch(low) for t in self.templates)


def _index(keys: Iterable[str]) -> KeyIndex:
    names = tuple(dict.fromkeys(keys))
    exact: set[str] = set()
    templates: list[re.Pattern[str]] = []
    for key in names:
        low = key.lower()
        if _PLACEHOLDER.search(low):
            pieces = _PLACEHOLDER.split(low)
            templates.append(re.compile(".+".join(re.escape(p) for p in pieces), re.DOTALL))
        else:
            exact.add(low)
    return KeyIndex(frozenset(exact), tuple(templates), names)


GLOBAL_KEYS = _index(GLOBAL_CONDITION_KEYS)


@lru_cache(maxsize=1024)
def service_keys(catalog: Catalog, prefix: str) -> KeyIndex:
    service = catalog.service(prefix)
    if service is None:
        return _index(())
    keys = list(service.condition_keys)
    for rt in service.resource_types.values():
        keys.extend(rt.condition_keys)
    return _index(keys)


@lru_cache(maxsize=4)
def all_keys(catalog: Catalog) -> KeyIndex:
    keys: list[str] = list(GLOBAL_CONDITION_KEYS)
    for prefix in catalog.services:
        keys.extend(service_keys(catalog, prefix).names)
    return _index(keys)


@lru_cache(maxsize=4096)
def action_keys(catalog: Catalog, pattern: str) -> KeyIndex:
    """Keys of every action a pattern names: its own and its resource types'."""
    keys: list[str] = []
    for i in catalog.expand_ids(pattern):
        info = catalog.action_at(i)
        keys.extend(info.condition_keys)
        service = catalog.service(info.service)
        if service is not None:
            for name in info.resource_types:
                rt = service.resource_types.get(name)
                if rt is not None:
                    keys.extend(rt.condition_keys)
    return _index(keys)


def statement_services(stmt: StatementView, catalog: Catalog) -> frozenset[str] | None:
    """Known service prefixes of the statement's actions; None when it spans every service."""
    if stmt.not_action:
        return None
    out: set[str] = set()
    for entry in stmt.actions:
        action = split_action(entry.value)
        if action.problem is not None:
            continue
        if has_service_wildcard(action):
            return None
        if catalog.has_service(action.service):
            out.add(action.service.lower())
    return frozenset(out)


def _suggest(key: str, indexes: Iterable[KeyIndex]) -> list[str]:
    names = {n.lower(): n for index in indexes for n in index.names}
    return [names[m] for m in difflib.get_close_matches(key.lower(), list(names), n=3, cutoff=0.7)]


def _known_elsewhere(catalog: Catalog, key: str) -> list[str]:
    return sorted(p for p in catalog.services if service_keys(catalog, p).knows(key))


def unknown_condition_keys(ctx: PolicyContext) -> Iterator[Finding]:
    catalog = ctx.catalog
    for stmt in ctx.statements:
        if not stmt.conditions:
            continue
        services = statement_services(stmt, catalog)
        for cond in stmt.conditions:
            if GLOBAL_KEYS.knows(cond.key):
                continue
            if not services:
                if all_keys(catalog).knows(cond.key):
                    continue
                scope = "any service of the catalogue"
                indexes: list[KeyIndex] = [GLOBAL_KEYS]
            else:
                indexes = [service_keys(catalog, p) for p in sorted(services)]
                if any(index.knows(cond.key) for index in indexes):
                    continue
                scope = ", ".join(sorted(services))
                indexes.append(GLOBAL_KEYS)
            if cond.key.lower().startswith("aws:"):
                message = f"`{cond.key}` is not a global condition key"
            else:
                message = f"condition key `{cond.key}` is not defined for {scope}"
            elsewhere = _known_elsewhere(catalog, cond.key) if services else []
            if elsewhere:
                message += f" (it is a key of {', '.join(elsewhere[:3])})"
            suggestions = _suggest(cond.key, indexes)
            if suggestions:
                message += "; did you mean " + " or ".join(f"`{s}`" for s in suggestions) + "?"
            yield finding(
                "UNKNOWN_CONDITION_KEY",
                message,
                cond.pointer,
                key=cond.key,
                suggestions=suggestions,
                known_for=elsewhere or None,
            )


def keys_not_for_actions(ctx: PolicyContext) -> Iterator[Finding]:
    """A service key none of the statement's actions (nor their resource types) supports."""
    catalog = ctx.catalog
    for stmt in ctx.statements:
        if not stmt.conditions:
            continue
        services = statement_services(stmt, catalog)
        if not services:
            continue
        patterns = [
            e.value
            for e in stmt.actions
            if split_action(e.value).problem is None and catalog.expand_ids(e.value)
        ]
        if not patterns:
            continue
        indexes = [action_keys(catalog, p.lower()) for p in patterns]
        for cond in stmt.conditions:
            if GLOBAL_KEYS.knows(cond.key):
                continue
            if not any(service_keys(catalog, p).knows(cond.key) for p in services):
                continue  # UNKNOWN_CONDITION_KEY
            if any(index.knows(cond.key) for index in indexes):
                continue
            yield finding(
                "CONDITION_KEY_NOT_FOR_ACTIONS",
                f"none of the statement's actions supports `{cond.key}`: their requests never "
                "carry it, so the condition always sees the key as missing",
                cond.pointer,
                key=cond.key,
            )
