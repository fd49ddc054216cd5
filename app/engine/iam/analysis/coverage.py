"""Is one required (action, resource) granted by a set of statements? Exact, three-valued.

A statement covers a requirement when its action set contains the action, its resource set
contains every ARN the requirement's pattern stands for (glob containment, §4 of the IAM notes),
and its Condition holds under the requirement's facts. Several Allow statements may cover one
pattern together (`b/*` by `b/` and `b/?*`), so resources are checked as a union per condition
verdict. An explicit Deny whose action, resource and condition cover the requirement denies
it; a Deny that may apply makes the answer conditional.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property

from app.engine.budget import RequestMemo, WorkBudget
from app.engine.iam.conditions.facts import Facts, decide
from app.engine.iam.conditions.operators import ConditionTest, Tri
from app.engine.iam.patterns.arn import ArnMode, arn_intersects, arn_union_contains
from app.engine.iam.patterns.complement_cover import covered_with_complements
from app.engine.iam.patterns.glob import compile_glob


class Coverage(StrEnum):
    GRANTED = "granted"
    CONDITIONAL = "conditional"
    NOT_GRANTED = "not_granted"
    DENIED = "explicitly_denied"


# Identity equality: statements are grouped and compared over and over (matching, gap merging),
# and hashing one that lists 100,000 actions by value each time would cost more than the answer.
# Caches key on `resource_set`, which is equal by value and hashed once.
@dataclass(frozen=True, eq=False)
class PolicyStatement:
    """The parts of a statement that decide coverage, with where it came from."""

    effect: str
    actions: tuple[str, ...]
    actions_negated: bool
    resources: tuple[str, ...]
    resources_negated: bool
    conditions: tuple[ConditionTest, ...]
    unsupported_conditions: tuple[str, ...]  # operators we cannot decide: always conditional
    doc_index: int
    stmt_index: int
    sid: str | None
    pointer: str

    @cached_property
    def resource_set(self) -> ResourceKey:
        return ResourceKey.of(self.resources, self.resources_negated)

    @cached_property
    def _action_index(self) -> _ActionIndex:
        return _ActionIndex.of(self.actions)

    def matches_action(self, action: str) -> bool:
        return self._action_index.hit(action.lower()) != self.actions_negated

    def matches_action_lower(self, action_lower: str) -> bool:
        """`matches_action` for a name already lower-cased (asked of every statement)."""
        return self._action_index.hit(action_lower) != self.actions_negated


@dataclass(frozen=True)
class ResourceKey:
    """A statement's Resource (or NotResource) as a cache key: equal by value, so the same
    policy sent again finds its containment answers, and hashed once, so a statement listing
    100,000 resources is not rehashed for every question asked of it."""

    patterns: tuple[str, ...]
    negated: bool
    digest: int = field(compare=False, repr=False)

    @classmethod
    def of(cls, patterns: tuple[str, ...], negated: bool) -> ResourceKey:
        return cls(patterns, negated, hash((patterns, negated)))

    def __hash__(self) -> int:
        return self.digest


def _is_wild(text: str) -> bool:
    return "*" in text or "?" in text or "$" in text


@dataclass(frozen=True, slots=True)
class _ActionIndex:
    """A statement's action patterns, lower-cased and filed by service prefix.

    A statement listing thousands of actions is then not scanned once per action asked, and a
    statement about other services answers with one dictionary lookup.
    """

    literal: frozenset[str]
    # Compiled wildcard patterns under a literal service prefix, and those whose service part
    # is itself a wildcard.
    by_service: dict[str, tuple[Callable[[str], bool], ...]]
    anywhere: tuple[Callable[[str], bool], ...]
    everything: bool  # a bare `*`
    services: frozenset[str] | None  # the service prefixes it can match; None: any

    @classmethod
    def of(cls, actions: Sequence[str]) -> _ActionIndex:
        literal: set[str] = set()
        by_service: dict[str, list[str]] = {}
        anywhere: list[str] = []
        for pattern in actions:
            low = pattern.lower()
            if not _is_wild(low):
                literal.add(low)
                continue
            service, colon, _ = low.partition(":")
            if colon and not _is_wild(service):
                by_service.setdefault(service, []).append(low)
            else:
                anywhere.append(low)
        services = (
            None
            if anywhere
            else frozenset({n.partition(":")[0] for n in literal} | by_service.keys())
        )
        return cls(
            frozenset(literal),
            {k: tuple(compile_glob(p, variables=False) for p in v) for k, v in by_service.items()},
            tuple(compile_glob(p, variables=False) for p in anywhere),
            "*" in anywhere,
            services,
        )

    def hit(self, action: str) -> bool:
        if self.everything or action in self.literal:
            return True
        wild = self.by_service.get(action.partition(":")[0])
        if wild is not None and any(match(action) for match in wild):
            return True
        return any(match(action) for match in self.anywhere)


class StatementsByAction:
    """The statements whose Action (or NotAction) matches each action asked, worked out once
    per distinct action: a diff asks about the same few actions for many resources."""

    def __init__(self, statements: Sequence[PolicyStatement]) -> None:
        self._statements = tuple(statements)
        self._memo: dict[str, tuple[PolicyStatement, ...]] = {}
        # Statements filed by the service prefixes they can match; the rest (NotAction, a
        # wildcard service part) are candidates for every action. Order is kept.
        self._by_service: dict[str, list[int]] = {}
        self._any: list[int] = []
        for i, stmt in enumerate(self._statements):
            services = None if stmt.actions_negated else stmt._action_index.services
            if services is None:
                self._any.append(i)
            else:
                for service in services:
                    self._by_service.setdefault(service, []).append(i)

    def matching(self, action: str) -> tuple[PolicyStatement, ...]:
        key = action.lower()
        found = self._memo.get(key)
        if found is None:
            candidates = self._by_service.get(key.partition(":")[0], [])
            if self._any:
                candidates = sorted({*candidates, *self._any})
            found = tuple(
                stmt for i in candidates if (stmt := self._statements[i]).matches_action_lower(key)
            )
            self._memo[key] = found
        return found


@dataclass(frozen=True)
class CoverageResult:
    coverage: Coverage
    granting: tuple[PolicyStatement, ...] = ()
    denying: tuple[PolicyStatement, ...] = ()
    conditions: tuple[tuple[str, str], ...] = ()  # (operator, key) that made it conditional
    # Conditional only through Deny statements that may apply: granted unless one does.
    granted_unless_denied: bool = False


def _condition(stmt: PolicyStatement, facts: Facts) -> tuple[Tri, tuple[tuple[str, str], ...]]:
    if not stmt.conditions and not stmt.unsupported_conditions:
        return Tri.TRUE, ()
    verdict = decide(stmt.conditions, facts)
    if stmt.unsupported_conditions:
        unsupported = tuple((op, "") for op in stmt.unsupported_conditions)
        if verdict.result is Tri.FALSE:
            return Tri.FALSE, verdict.deciding
        return Tri.UNKNOWN, verdict.deciding + unsupported
    return verdict.result, verdict.deciding


def _covers(
    resource: str, statements: Sequence[PolicyStatement], mode: ArnMode, budget: WorkBudget
) -> bool | None:
    """resource ⊆ ∪ statements' resource sets. None when the glob engine gave up."""
    sets = tuple(s.resource_set for s in statements)
    return _COVERS.get(
        (resource, sets, mode), lambda: _covers_by(resource, sets, mode, budget), budget
    )


# Keyed by the resource sets' values, not by statement: the many requirements of one request
# that meet the same statements share an answer.
_COVERS: RequestMemo[tuple[str, tuple[ResourceKey, ...], ArnMode], bool | None] = RequestMemo(8192)


def _covers_by(
    resource: str, sets: tuple[ResourceKey, ...], mode: ArnMode, budget: WorkBudget
) -> bool | None:
    # The answer depends on the action only through which statements match it, so the many
    # actions of one wildcard requirement share it.
    positive = [p for s in sets if not s.negated for p in s.patterns]
    excluded = [s.patterns for s in sets if s.negated]
    if excluded:
        return covered_with_complements(resource, positive, excluded, mode, budget=budget)
    if not positive:
        return False
    return arn_union_contains(resource, positive, mode, budget=budget)


def _touches(resource: str, stmt: PolicyStatement, mode: ArnMode, budget: WorkBudget) -> bool:
    if stmt.resources_negated:
        return arn_union_contains(resource, stmt.resources, mode, budget=budget) is not True
    return any(arn_intersects(resource, p, mode, budget=budget) for p in stmt.resources)


# Actions without resource-level permissions are requested against the literal resource `*`,
# which only a pattern matching the one-character string `*` covers (not `arn:aws:s3:::*`).
LITERAL_STAR = "${*}"


def check_requirement(
    action: str,
    resource: str,
    facts: Facts,
    statements: Sequence[PolicyStatement],
    *,
    mode: ArnMode = "segment",
    budget: WorkBudget | None = None,
) -> CoverageResult:
    """How `statements` grant `action` on `resource`; the work is charged to `budget`, at the
    pointer of the statements compared: a step for each statement looked at, and for each whose
    action matches, a step per resource and condition it has (as an evaluated request is
    charged the statements it weighs), besides the pattern work."""
    budget = budget or WorkBudget.unbounded()
    budget.charge(steps=1 + len(statements), at=_place(statements, budget))
    if resource == "*":
        resource = LITERAL_STAR
    allow_sure: list[PolicyStatement] = []
    allow_maybe: list[PolicyStatement] = []
    maybe_conditions: list[tuple[str, str]] = []
    deny_sure: list[PolicyStatement] = []
    deny_maybe: list[PolicyStatement] = []
    action_lower = action.lower()
    for stmt in statements:
        if not stmt.matches_action_lower(action_lower):
            continue
        budget.charge(steps=len(stmt.resources) + len(stmt.conditions), at=stmt.pointer)
        result, deciding = _condition(stmt, facts)
        if result is Tri.FALSE:
            continue
        if stmt.effect == "Deny":
            with budget.located(stmt.pointer):
                if not _touches(resource, stmt, mode, budget):
                    continue
                sure_deny = result is Tri.TRUE and _covers(resource, [stmt], mode, budget) is True
            if sure_deny:
                deny_sure.append(stmt)
            else:
                deny_maybe.append(stmt)
                maybe_conditions.extend(deciding)
        elif result is Tri.TRUE:
            allow_sure.append(stmt)
        else:
            allow_maybe.append(stmt)
            maybe_conditions.extend(deciding)
    if deny_sure:
        return CoverageResult(Coverage.DENIED, denying=tuple(deny_sure))
    with budget.located(_place(allow_sure, budget)):
        sure = _covers(resource, allow_sure, mode, budget) if allow_sure else False
    if sure:
        if deny_maybe:
            return CoverageResult(
                Coverage.CONDITIONAL,
                granting=tuple(allow_sure),
                denying=tuple(deny_maybe),
                conditions=tuple(maybe_conditions),
                granted_unless_denied=True,
            )
        return CoverageResult(Coverage.GRANTED, granting=tuple(allow_sure))
    candidates = allow_sure + allow_maybe
    with budget.located(_place(candidates, budget)):
        possible = _covers(resource, candidates, mode, budget) if allow_maybe else sure
    if possible is None or (possible and allow_maybe):
        # Granted under some conditions, or the containment search gave up: not definite.
        undecided = () if possible else (("resource containment", "undecided"),)
        return CoverageResult(
            Coverage.CONDITIONAL,
            granting=tuple(candidates),
            denying=tuple(deny_maybe),
            conditions=tuple(maybe_conditions) + undecided,
        )
    return CoverageResult(Coverage.NOT_GRANTED, denying=tuple(deny_maybe))


def _place(statements: Sequence[PolicyStatement], budget: WorkBudget) -> str:
    """Where the work of comparing with `statements` is charged: the first of them."""
    return statements[0].pointer if statements else budget.location
