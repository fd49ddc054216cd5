"""Is one required (action, resource) granted by a set of statements? Exact, three-valued.

A statement covers a requirement when its action set contains the action, its resource set
contains every ARN the requirement's pattern stands for (glob containment, §4 of the IAM notes),
and its Condition holds under the requirement's facts. Several Allow statements may cover one
pattern together (`b/*` by `b/` and `b/?*`), so resources are checked as a union per condition
verdict. An explicit Deny whose action, resource and condition cover the requirement denies
it; a Deny that may apply makes the answer conditional.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property, lru_cache

from app.engine.iam.arn import ArnMode, arn_intersects, arn_union_contains
from app.engine.iam.complement_cover import covered_with_complements
from app.engine.iam.condition_facts import Facts, decide
from app.engine.iam.conditions import ConditionTest, Tri
from app.engine.iam.glob import glob_match


class Coverage(StrEnum):
    GRANTED = "granted"
    CONDITIONAL = "conditional"
    NOT_GRANTED = "not_granted"
    DENIED = "explicitly_denied"


# Identity equality: a statement is hashed on every cached coverage question, and hashing a
# statement that lists 100,000 actions by value on each question would cost more than the answer.
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
    def _action_index(self) -> tuple[frozenset[str], tuple[str, ...]]:
        """The literal actions (lowercased, for a set lookup) and the wildcard patterns: a
        statement listing thousands of actions is then not scanned once per action asked."""
        wild = tuple(p for p in self.actions if "*" in p or "?" in p or "$" in p)
        return frozenset(p.lower() for p in self.actions if p not in wild), wild

    def matches_action(self, action: str) -> bool:
        literal, wild = self._action_index
        hit = action.lower() in literal or any(
            glob_match(p, action, ignore_case=True, variables=False) for p in wild
        )
        return hit != self.actions_negated


@dataclass(frozen=True)
class CoverageResult:
    coverage: Coverage
    granting: tuple[PolicyStatement, ...] = ()
    denying: tuple[PolicyStatement, ...] = ()
    conditions: tuple[tuple[str, str], ...] = ()  # (operator, key) that made it conditional


def _condition(stmt: PolicyStatement, facts: Facts) -> tuple[Tri, tuple[tuple[str, str], ...]]:
    verdict = decide(stmt.conditions, facts)
    if stmt.unsupported_conditions:
        unsupported = tuple((op, "") for op in stmt.unsupported_conditions)
        if verdict.result is Tri.FALSE:
            return Tri.FALSE, verdict.deciding
        return Tri.UNKNOWN, verdict.deciding + unsupported
    return verdict.result, verdict.deciding


def _covers(resource: str, statements: Sequence[PolicyStatement], mode: ArnMode) -> bool | None:
    """resource ⊆ ∪ statements' resource sets. None when the glob engine gave up."""
    return _covers_cached(resource, tuple(statements), mode)


@lru_cache(maxsize=8192)
def _covers_cached(
    resource: str, statements: tuple[PolicyStatement, ...], mode: ArnMode
) -> bool | None:
    # The answer depends on the action only through which statements match it, so the many
    # actions of one wildcard requirement share it.
    positive = [p for s in statements if not s.resources_negated for p in s.resources]
    excluded = [s.resources for s in statements if s.resources_negated]
    if excluded:
        return covered_with_complements(resource, positive, excluded, mode)
    if not positive:
        return False
    return arn_union_contains(resource, positive, mode)


def _touches(resource: str, stmt: PolicyStatement, mode: ArnMode) -> bool:
    if stmt.resources_negated:
        return arn_union_contains(resource, stmt.resources, mode) is not True
    return any(arn_intersects(resource, p, mode) for p in stmt.resources)


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
) -> CoverageResult:
    if resource == "*":
        resource = LITERAL_STAR
    allow_sure: list[PolicyStatement] = []
    allow_maybe: list[PolicyStatement] = []
    maybe_conditions: list[tuple[str, str]] = []
    deny_sure: list[PolicyStatement] = []
    deny_maybe: list[PolicyStatement] = []
    for stmt in statements:
        if not stmt.matches_action(action):
            continue
        result, deciding = _condition(stmt, facts)
        if result is Tri.FALSE:
            continue
        if stmt.effect == "Deny":
            if not _touches(resource, stmt, mode):
                continue
            if result is Tri.TRUE and _covers(resource, [stmt], mode) is True:
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
    sure = _covers(resource, allow_sure, mode) if allow_sure else False
    if sure:
        if deny_maybe:
            return CoverageResult(
                Coverage.CONDITIONAL,
                granting=tuple(allow_sure),
                denying=tuple(deny_maybe),
                conditions=tuple(maybe_conditions),
            )
        return CoverageResult(Coverage.GRANTED, granting=tuple(allow_sure))
    candidates = allow_sure + allow_maybe
    possible = _covers(resource, candidates, mode) if allow_maybe else sure
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
