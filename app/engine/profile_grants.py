"""What the IAM catalogue says about the grants of a profile document.

Every action a statement names must be an action of the catalogue, named exactly. Some grants
are refused unless the statement states why it needs them (`risk_reason`): an action pattern
(`iam:*`, `*`, `kms:GenerateDataKey*`), Resource `*` for actions the catalogue says can be
scoped to resources, and privilege-escalation actions (the list validate uses). Whoever
publishes decides who may publish a reasoned one (app.service.profile_checks).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum

from app.engine.iam.analysis.privilege_escalation import PRIVILEGE_ESCALATION_ACTIONS
from app.engine.iam.catalog import ActionInfo, Catalog
from app.engine.json_pointer import pointer_join
from app.engine.profile_schema import ProfileDocument, ProfileStatement

_LISTED = 5


class GrantKind(StrEnum):
    UNKNOWN_ACTION = "unknown_action"
    ACTION_PATTERN = "action_pattern"
    RESOURCE_STAR = "resource_star"
    PRIVILEGE_ESCALATION = "privilege_escalation"


@dataclass(frozen=True)
class GrantIssue:
    pointer: str
    message: str
    kind: GrantKind
    # The statement states its `risk_reason` (meaningless for an unknown action).
    reasoned: bool

    @property
    def needs_reason(self) -> bool:
        """A grant a reason can justify; an unknown action never is one."""
        return self.kind is not GrantKind.UNKNOWN_ACTION


def _names(items: list[str]) -> str:
    shown = ", ".join(f"`{n}`" for n in items[:_LISTED])
    return shown + (f" and {len(items) - _LISTED} more" if len(items) > _LISTED else "")


def _did_you_mean(catalog: Catalog, action: str) -> str:
    # A name cut short (`codecommit:GetRepo`) most likely means the one it begins.
    meant = sorted(
        catalog.suggest_action(action), key=lambda m: not m.lower().startswith(action.lower())
    )
    return f"; did you mean {' or '.join(f'`{m}`' for m in meant)}?" if meant else ""


def _pattern_issue(catalog: Catalog, action: str) -> tuple[GrantKind, str]:
    """An action with `*` or `?`: unknown when it matches nothing, else a pattern."""
    service, _, name = action.partition(":")
    matched = list(catalog.expand(action))
    if not matched:
        known = action == "*" or catalog.has_service(service)
        what = "matches no action" if known else f"names no known service (`{service}`)"
        return GrantKind.UNKNOWN_ACTION, f"`{action}` {what} of the catalogue ({catalog.meta.date})"
    escalating = [m for m in matched if m.lower() in PRIVILEGE_ESCALATION_ACTIONS]
    if action == "*":
        text = "`*` grants every action of every service"
    elif set(name) == {"*"}:
        text = (
            f"`{action}` grants every {service.lower()} action ({len(matched)} in the "
            f"catalogue of {catalog.meta.date}, and every one added later)"
        )
    else:
        text = (
            f"`{action}` is a pattern matching {len(matched)} action(s) ({_names(matched)}) "
            "and any added later; name the exact actions"
        )
    if escalating:
        text += f", among them privilege-escalation actions ({_names(escalating)})"
    return GrantKind.ACTION_PATTERN, text


def _unknown_action(catalog: Catalog, action: str, info: ActionInfo | None) -> str | None:
    """Why an exact action name is not one of the catalogue's, as it spells it (None: it is)."""
    if info is None:
        return f"`{action}` is not an action of the catalogue ({catalog.meta.date})" + (
            _did_you_mean(catalog, action)
        )
    if info.name != action:
        return f"`{action}` is spelt `{info.name}` in the catalogue; name it so"
    return None


def _statement_issues(
    catalog: Catalog, statement: ProfileStatement, where: str
) -> Iterator[tuple[str, GrantKind, str]]:
    scopable: list[ActionInfo] = []
    for j, action in enumerate(statement.actions):
        at = pointer_join(where, "actions", j)
        if "*" in action or "?" in action:
            kind, text = _pattern_issue(catalog, action)
            yield at, kind, text
            continue
        info = catalog.action(action)
        unknown = _unknown_action(catalog, action, info)
        if unknown is not None:
            yield at, GrantKind.UNKNOWN_ACTION, unknown
            continue
        assert info is not None
        if info.resource_types:
            scopable.append(info)
        if action.lower() in PRIVILEGE_ESCALATION_ACTIONS:
            yield (
                at,
                GrantKind.PRIVILEGE_ESCALATION,
                f"`{action}` is a privilege-escalation action",
            )
    if not scopable:
        return
    stars: list[tuple[str | int, ...]] = [
        ("resources", i) for i, r in enumerate(statement.resources) if r == "*"
    ]
    stars += [("hints", n, "fallback") for n, h in statement.hints.items() if h.fallback == "*"]
    types = [f"`{i.name}` ({', '.join(i.resource_types)})" for i in scopable]
    for place in stars:
        yield (
            pointer_join(where, *place),
            GrantKind.RESOURCE_STAR,
            f'Resource "*" for action(s) the catalogue says can be scoped to resources: '
            f"{', '.join(types[:_LISTED])}"
            + (" and more" if len(types) > _LISTED else "")
            + "; scope them to their resources (from the configuration, a hint, or an ARN "
            "pattern of the resource type)",
        )


def grant_issues(
    document: ProfileDocument, catalog: Catalog, pointer: str = ""
) -> list[GrantIssue]:
    """Every action the catalogue does not know, and every grant that needs a stated reason,
    at its pointer in the document."""
    out: list[GrantIssue] = []
    for i, statement in enumerate(document.statements):
        where = pointer_join(pointer, "statements", i)
        reasoned = statement.risk_reason is not None
        out.extend(
            GrantIssue(at, text, kind, reasoned)
            for at, kind, text in _statement_issues(catalog, statement, where)
        )
    # A companion statement belongs in another resource's policy: what the service role's own
    # grants need a reason for does not apply, but its actions must exist.
    for i, companion in enumerate(document.companions):
        for j, action in enumerate(companion.actions):
            at = pointer_join(pointer, "companions", i, "actions", j)
            if "*" in action or "?" in action:
                kind, text = _pattern_issue(catalog, action)
                out.append(GrantIssue(at, text, kind, reasoned=False))
                continue
            unknown = _unknown_action(catalog, action, catalog.action(action))
            if unknown is not None:
                out.append(GrantIssue(at, unknown, GrantKind.UNKNOWN_ACTION, reasoned=False))
    return out
