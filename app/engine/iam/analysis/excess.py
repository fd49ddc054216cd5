"""What a policy grants beyond what is required, expanded against the action catalogue."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

from app.engine.budget import WorkBudget
from app.engine.iam.analysis.coverage import PolicyStatement, StatementsByAction
from app.engine.iam.analysis.privilege_escalation import PRIVILEGE_ESCALATION_ACTIONS
from app.engine.iam.catalog import Catalog
from app.engine.iam.patterns.arn import ArnMode, arn_union_contains

EXAMPLES = 5


@dataclass(frozen=True)
class ServiceExcess:
    service: str
    total: int
    by_access_level: Mapping[str, int]
    examples: tuple[str, ...]


@dataclass(frozen=True)
class BroaderResources:
    action: str
    granted: tuple[str, ...]
    required: tuple[str, ...]
    not_resource: bool


@dataclass(frozen=True)
class WildcardGrant:
    pattern: str
    negated: bool
    services: tuple[str, ...]
    actions_today: int
    pointer: str


@dataclass(frozen=True)
class ExcessResult:
    actions: int  # the excess actions, as a catalogue bitmask (Catalog.mask_to_ids lists them)
    services: tuple[ServiceExcess, ...]
    broader_resources: tuple[BroaderResources, ...]
    wildcards: tuple[WildcardGrant, ...]
    privilege_escalation: tuple[str, ...]

    @property
    def total_actions(self) -> int:
        return self.actions.bit_count()


@lru_cache(maxsize=4)
def _escalation(catalog: Catalog) -> int:
    """The privilege-escalation actions the catalogue knows, as a mask (per catalogue)."""
    return catalog.ids_to_mask(
        catalog.index_of(name) for name in PRIVILEGE_ESCALATION_ACTIONS if name in catalog
    )


def _statement_mask(stmt: PolicyStatement, catalog: Catalog) -> int:
    mask = catalog.union_mask(stmt.actions)
    return catalog.all_mask & ~mask if stmt.actions_negated else mask


def _fully_denied(statements: Sequence[PolicyStatement], catalog: Catalog) -> int:
    mask = 0
    for stmt in statements:
        if (
            stmt.effect == "Deny"
            and not stmt.conditions
            and not stmt.unsupported_conditions
            and not stmt.resources_negated
            and "*" in stmt.resources
        ):
            mask |= _statement_mask(stmt, catalog)
    return mask


def _wildcards(statements: Sequence[PolicyStatement], catalog: Catalog) -> list[WildcardGrant]:
    out = []
    for stmt in statements:
        if stmt.effect != "Allow":
            continue
        if stmt.actions_negated:
            mask = _statement_mask(stmt, catalog)
            out.append(
                WildcardGrant(
                    pattern="NotAction " + ", ".join(stmt.actions),
                    negated=True,
                    services=("*",),
                    actions_today=mask.bit_count(),
                    pointer=stmt.pointer,
                )
            )
            continue
        for pattern in stmt.actions:
            service, _, name = pattern.partition(":")
            if pattern == "*" or name == "*":
                out.append(
                    WildcardGrant(
                        pattern=pattern,
                        negated=False,
                        services=("*",) if pattern == "*" else (service.lower(),),
                        actions_today=catalog.mask(pattern).bit_count(),
                        pointer=stmt.pointer,
                    )
                )
    return out


def compute_excess(
    statements: Sequence[PolicyStatement],
    required: Mapping[str, Iterable[str]],
    catalog: Catalog,
    *,
    mode: ArnMode = "segment",
    by_action: StatementsByAction | None = None,
    budget: WorkBudget | None = None,
) -> ExcessResult:
    """`required` maps each required action (any case) to the resource patterns it needs; each
    granted pattern compared with them is a step of `budget`."""
    budget = budget or WorkBudget.unbounded()
    by_action = by_action or StatementsByAction(statements)
    allows = [s for s in statements if s.effect == "Allow"]
    granted = 0
    for stmt in allows:
        granted |= _statement_mask(stmt, catalog)
    granted &= ~_fully_denied(statements, catalog)
    required_ids = {}
    for action, resources in required.items():
        info = catalog.action(action)
        if info is not None:
            required_ids[catalog.index_of(info.name)] = tuple(sorted(set(resources)))
    excess = granted & ~catalog.ids_to_mask(required_ids)
    # Counting by service and access level on bitmasks: a `*` or NotAction grant spans
    # twenty thousand actions, which must not mean twenty thousand lookups.
    per_service = catalog.breakdown(excess, EXAMPLES)
    escalation = [catalog.name_of(i) for i in catalog.mask_to_ids(excess & _escalation(catalog))]
    services = sorted(
        (
            ServiceExcess(
                service=svc,
                total=sum(part.by_access_level.values()),
                by_access_level=part.by_access_level,
                examples=part.examples,
            )
            for svc, part in per_service.items()
        ),
        key=lambda s: (-s.total, s.service),
    )
    broader = []
    for index, needed in sorted(required_ids.items()):
        name = catalog.name_of(index)
        covering = [s for s in by_action.matching(name) if s.effect == "Allow"]
        granted_patterns = sorted(
            {p for s in covering if not s.resources_negated for p in s.resources}
        )
        negated = any(s.resources_negated for s in covering)
        budget.charge(steps=len(granted_patterns), at=covering[0].pointer if covering else None)
        with budget.located(covering[0].pointer if covering else budget.location):
            wider = [
                p
                for p in granted_patterns
                if arn_union_contains(p, needed, mode, budget=budget) is not True
            ]
        if wider or negated:
            broader.append(
                BroaderResources(
                    action=name, granted=tuple(wider), required=needed, not_resource=negated
                )
            )
            if name.lower() in PRIVILEGE_ESCALATION_ACTIONS:
                escalation.append(name)
    return ExcessResult(
        actions=excess,
        services=tuple(services),
        broader_resources=tuple(broader),
        wildcards=tuple(_wildcards(statements, catalog)),
        privilege_escalation=tuple(sorted(set(escalation), key=str.lower)),
    )
