"""Security rules on Allow statements: broad grants, complements, PassRole, privilege escalation.

Every rule reads NotAction as the complement it is: `Allow NotAction iam:*` grants everything
except IAM (peers.md §1.3 — parliament reports it as granting IAM actions).
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache

from app.engine.findings import Finding, finding
from app.engine.iam.analysis.privilege_escalation import PRIVILEGE_ESCALATION_ACTIONS
from app.engine.iam.catalog import Catalog
from app.engine.iam.conditions.operators import parse_operator
from app.engine.iam.patterns.arn import arn_intersects
from app.engine.iam.patterns.glob import glob_contains, glob_match
from app.engine.iam.validation.rules_grammar import (
    action_matches,
    has_service_wildcard,
    split_action,
)
from app.engine.iam.validation.view import Entry, PolicyContext, StatementView

PASS_ROLE = "iam:passrole"  # noqa: S105 (an action name, not a secret)
PASSED_TO_SERVICE = "iam:passedtoservice"
_ANY_ROLE_ARN = "arn:*:iam::*:role/*"


def _matches(entry: Entry, action: str) -> bool:
    return action_matches(entry.value, action)


def granting_entry(stmt: StatementView, action: str) -> str | None:
    """The pointer of what grants `action` (the Action entry, or the NotAction element)."""
    if stmt.not_action:
        if any(_matches(e, action) for e in stmt.actions):
            return None
        return stmt.element_pointer("NotAction")
    return next((e.pointer for e in stmt.actions if _matches(e, action)), None)


def _resource_is_everything(stmt: StatementView) -> bool:
    if stmt.not_resource:
        return True
    return any(glob_match(r.value, "*", variables=False) for r in stmt.resources)


def _all_roles(stmt: StatementView) -> bool:
    """Does the statement's resource set hold every role of an account?"""
    if stmt.not_resource:
        return not any(
            arn_intersects(r.value, _ANY_ROLE_ARN, variables=stmt.policy_variables)
            for r in stmt.resources
        )
    for r in stmt.resources:
        if glob_match(r.value, "*", variables=False):
            return True
        parts = r.value.split(":", 5)
        if len(parts) == 6 and parts[2] == "iam" and glob_contains("role/*", parts[5]):
            return True
    return False


def _catalogue_share(catalog: Catalog, stmt: StatementView) -> tuple[int, int]:
    excluded = catalog.union_mask(e.value for e in stmt.actions)
    total = len(catalog)
    return total - excluded.bit_count(), total


_ESCALATION = sorted(PRIVILEGE_ESCALATION_ACTIONS - {PASS_ROLE})


@lru_cache(maxsize=4096)
def _escalations(pattern: str) -> tuple[str, ...]:
    """The privilege-escalation actions (other than PassRole) an action pattern matches."""
    low = pattern.lower()
    service, colon, _ = low.partition(":")
    literal = colon and not any(ch in service for ch in "*?")
    return tuple(
        a
        for a in _ESCALATION
        if (not literal or a.startswith(service + ":")) and glob_match(low, a, variables=False)
    )


def all_actions(ctx: PolicyContext) -> Iterator[Finding]:
    for stmt in ctx.statements:
        if not stmt.is_allow or stmt.not_action:
            continue
        for entry in stmt.actions:
            action = split_action(entry.value)
            if action.problem is None and action.service == "*" and set(action.name) == {"*"}:
                yield finding(
                    "ALL_ACTIONS",
                    f"`{entry.value}` allows every action of every service"
                    + (" on every resource" if _resource_is_everything(stmt) else ""),
                    entry.pointer,
                    conditional=bool(stmt.conditions) or None,
                )


def service_wildcards(ctx: PolicyContext) -> Iterator[Finding]:
    catalog = ctx.catalog
    for stmt in ctx.statements:
        if not stmt.is_allow or stmt.not_action:
            continue
        for entry in stmt.actions:
            action = split_action(entry.value)
            if action.problem is not None or has_service_wildcard(action):
                continue
            if set(action.name) != {"*"} or not catalog.has_service(action.service):
                continue
            ids = catalog.service_ids(action.service)
            service = action.service.lower()
            yield finding(
                "SERVICE_WIDE_WILDCARD",
                f"`{entry.value}` grants all {len(ids)} {service} actions of the catalogue "
                f"({catalog.meta.date}) and every {service} action added later; list the "
                "actions the role needs",
                entry.pointer,
                service=service,
                actions_today=len(ids),
                conditional=bool(stmt.conditions) or None,
            )


def allow_not_action(ctx: PolicyContext) -> Iterator[Finding]:
    catalog = ctx.catalog
    for stmt in ctx.statements:
        if not (stmt.is_allow and stmt.not_action):
            continue
        granted, total = _catalogue_share(catalog, stmt)
        excluded = ", ".join(f"`{e.value}`" for e in stmt.actions) or "nothing"
        yield finding(
            "ALLOW_WITH_NOT_ACTION",
            f"Allow with NotAction grants every action except {excluded}: {granted:,} of the "
            f"{total:,} catalogued actions, and every action AWS adds later"
            + (", on every resource" if _resource_is_everything(stmt) else ""),
            stmt.element_pointer("NotAction"),
            granted_actions=granted,
            catalogued_actions=total,
            excluded=[e.value for e in stmt.actions],
            conditional=bool(stmt.conditions) or None,
        )


def allow_not_resource(ctx: PolicyContext) -> Iterator[Finding]:
    for stmt in ctx.statements:
        if not (stmt.is_allow and stmt.not_resource):
            continue
        excluded = ", ".join(f"`{r.value}`" for r in stmt.resources) or "nothing"
        yield finding(
            "ALLOW_WITH_NOT_RESOURCE",
            f"Allow with NotResource grants its actions on every resource except {excluded}, "
            "including resources created later",
            stmt.element_pointer("NotResource"),
            excluded=[r.value for r in stmt.resources],
        )


def _passed_to_service(stmt: StatementView) -> tuple[bool, bool]:
    """(has a positive iam:PassedToService condition, that condition uses IfExists)."""
    found = if_exists = False
    for cond in stmt.conditions:
        if cond.key.lower() != PASSED_TO_SERVICE:
            continue
        op = parse_operator(cond.operator)
        if op is not None and not op.negated:
            found = True
            if_exists = if_exists or op.if_exists
    return found, if_exists


def pass_role(ctx: PolicyContext) -> Iterator[Finding]:
    for stmt in ctx.statements:
        if not stmt.is_allow:
            continue
        where = granting_entry(stmt, PASS_ROLE)
        if where is None or not _all_roles(stmt):
            continue
        scoped, if_exists = _passed_to_service(stmt)
        if not scoped:
            yield finding(
                "PASSROLE_WITHOUT_PASSED_TO_SERVICE",
                "iam:PassRole on every role without an `iam:PassedToService` condition: the role "
                "can hand any role, including administrator roles, to any service; scope the "
                "Resource to the roles it passes and add a StringEquals iam:PassedToService "
                "condition",
                where,
            )
            continue
        yield finding(
            "PASSROLE_ON_ANY_ROLE",
            "iam:PassRole on every role of the account: the services in iam:PassedToService "
            "may receive any role, including administrator roles; scope the Resource to the "
            "roles the pipeline passes"
            + (
                " (the condition uses IfExists, so it also holds when the key is absent)"
                if if_exists
                else ""
            ),
            where,
            if_exists=if_exists or None,
        )


def privilege_escalation(ctx: PolicyContext) -> Iterator[Finding]:
    catalog = ctx.catalog
    for stmt in ctx.statements:
        if not stmt.is_allow or not _resource_is_everything(stmt):
            continue
        groups: list[tuple[str, list[str]]] = []
        if stmt.not_action:
            excluded = {a for e in stmt.actions for a in _escalations(e.value)}
            hits = [a for a in _ESCALATION if a not in excluded]
            groups.append((stmt.element_pointer("NotAction"), hits))
        else:
            groups.extend((e.pointer, list(_escalations(e.value))) for e in stmt.actions)
        for where, hits in groups:
            if not hits:
                continue
            names = [(info.name if (info := catalog.action(a)) else a) for a in hits]
            yield finding(
                "PRIVILEGE_ESCALATION",
                "grants privilege-escalation actions on every resource: "
                + ", ".join(f"`{n}`" for n in names[:8])
                + (f" and {len(names) - 8} more" if len(names) > 8 else ""),
                where,
                actions=names,
                conditional=bool(stmt.conditions) or None,
            )
