"""Redundancy rules: entries another entry of the statement covers, statements another covers.

Containment is exact glob containment (§4): case-insensitive for actions, per ARN segment for
resources. When two entries or statements cover each other, only the later one is reported.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

from app.engine.budget import WorkBudget, WorkLimitExceededError
from app.engine.findings import Finding, finding
from app.engine.iam.catalog import Catalog
from app.engine.iam.patterns.arn import arn_intersects, arn_match, arn_union_containment
from app.engine.iam.patterns.glob import glob_intersects, glob_match, glob_union_containment
from app.engine.iam.patterns.product import Verdict
from app.engine.iam.patterns.tokens import literal_prefix
from app.engine.iam.policy.ir import Condition
from app.engine.iam.policy.principals import PrincipalElement, names_all_of, principal_element
from app.engine.iam.validation.rules_grammar import split_action
from app.engine.iam.validation.view import Entry, PolicyContext, StatementView

_Contains = Callable[[str, str], bool | None]

# Each rule may visit this many product-automaton states for one policy (about a tenth of a
# second), and compare this many statement pairs; each search stops at a tenth of the usual
# state cap: the rules compare entries and statements pairwise, and 6 KB of pathological
# patterns took seconds unbounded. Redundancy is a suggestion, "undecided" only means "not
# reported", and what is left unchecked is said in one finding. A cached answer is charged what
# it cost, so the outcome does not depend on what the process has seen before. The request's
# own budget is charged too, and when it runs out here, the check stops the same way.
STATE_BUDGET = 20_000
PAIR_BUDGET = 50_000
REDUNDANCY_STATE_CAP = 1_000


class _SearchBudget:
    def __init__(self, states: int, work: WorkBudget, pairs: int = PAIR_BUDGET) -> None:
        self.left = states
        self.pairs_left = pairs
        self.work = work
        self.exhausted = False

    def pair(self, weight: int = 1) -> bool:
        """Whether one more pair may be compared (`weight` steps of the request's budget)."""
        if self.exhausted:
            return False
        self.pairs_left -= 1
        if self.pairs_left < 0:
            self.exhausted = True
            return False
        try:
            self.work.charge(steps=weight)
        except WorkLimitExceededError:
            self.exhausted = True
            return False
        return True

    def contains(self, a: str, bs: tuple[str, ...], variables: bool) -> bool | None:
        """L(a) within the union of L(bs), or None once the budget is spent."""
        return self._spend(
            lambda: arn_union_containment(
                a, bs, variables=variables, state_cap=REDUNDANCY_STATE_CAP, budget=self.work
            )
        )

    def actions_contain(self, a: str, bs: tuple[str, ...]) -> bool | None:
        """The actions `a` matches are within those of `bs` (case-insensitive), or None once
        the budget is spent."""
        return self._spend(
            lambda: glob_union_containment(
                a,
                bs,
                ignore_case=True,
                variables=False,
                state_cap=REDUNDANCY_STATE_CAP,
                budget=self.work,
            )
        )

    def _spend(self, search: Callable[[], Verdict]) -> bool | None:
        if self.exhausted or self.left <= 0:
            self.exhausted = True
            return None
        try:
            verdict = search()
        except WorkLimitExceededError:
            self.exhausted = True
            return None
        self.left -= verdict.states
        contained: bool | None = verdict.contained
        return contained


def _limited(ctx: PolicyContext, what: str) -> Finding:
    return finding(
        "REDUNDANCY_CHECK_LIMITED",
        f"redundancy between {what} was checked within a budget of {STATE_BUDGET:,} "
        f"pattern-automaton states and {PAIR_BUDGET:,} comparisons (and the request's own "
        "budget of work), which ran out; the rest was not checked",
        ctx.pointer,
        state_budget=STATE_BUDGET,
        pair_budget=PAIR_BUDGET,
    )


def _head(text: str, sep_index: int) -> str | None:
    """The literal service part of an action or ARN, or None when it has wildcards."""
    parts = text.split(":")
    if len(parts) <= sep_index:
        return None
    head = parts[sep_index].lower()
    return None if any(ch in head for ch in "*?$") else head


def _redundant_entries(
    entries: Sequence[Entry],
    contains: _Contains,
    head_index: int,
    budget: _SearchBudget,
    *,
    fold: bool = False,
) -> Iterator[tuple[Entry, Entry]]:
    # b can cover a only if b's literal prefix is a prefix of a's: index entries by their
    # literal prefix, so each entry meets only plausible coverers (linear, not quadratic).
    prefixes = [literal_prefix(e.value.lower() if fold else e.value) for e in entries]
    by_prefix: dict[str, list[int]] = {}
    for k, prefix in enumerate(prefixes):
        by_prefix.setdefault(prefix, []).append(k)
    lengths = sorted({len(p) for p in by_prefix})
    heads = [_head(e.value, head_index) for e in entries]
    for j, entry in enumerate(entries):
        mine = prefixes[j]
        found: list[int] = []
        for n in lengths:
            if n > len(mine):
                break
            found.extend(by_prefix.get(mine[:n], ()))
        candidates = sorted(k for k in found if k != j)
        for k in candidates:
            other = entries[k]
            if heads[j] is not None and heads[k] is not None and heads[j] != heads[k]:
                continue
            if not budget.pair():
                return
            if contains(entry.value, other.value) is not True:
                continue
            # Mutual cover (same pattern, or same up to case): report only the later entry.
            if k > j and contains(other.value, entry.value) is True:
                continue
            yield entry, other
            break


def _wild(text: str) -> bool:
    return "*" in text or "?" in text


def action_contains(a: str, b: str, budget: _SearchBudget) -> bool | None:
    """Every action `a` matches is matched by `b` (literal fast paths before the automata)."""
    if not _wild(b):
        return a.lower() == b.lower()
    if not _wild(a):
        return glob_match(b, a, ignore_case=True, variables=False)
    return budget.actions_contain(a, (b,))


def resource_contains(a: str, b: str, variables: bool, budget: _SearchBudget) -> bool | None:
    if b == "*":
        return True
    if not _wild(b) and "$" not in b:
        return a == b
    if not _wild(a) and "$" not in a:
        return arn_match(b, a, variables=variables)
    return budget.contains(a, (b,), variables)


def redundant_actions(ctx: PolicyContext) -> Iterator[Finding]:
    budget = _SearchBudget(STATE_BUDGET, ctx.budget)

    def contains(a: str, b: str) -> bool | None:
        return action_contains(a, b, budget)

    for stmt in ctx.statements:
        valid = [e for e in stmt.actions if split_action(e.value).problem is None]
        for entry, other in _redundant_entries(valid, contains, 0, budget, fold=True):
            yield finding(
                "REDUNDANT_ACTION",
                f"`{entry.value}` is already covered by `{other.value}` in the same statement",
                entry.pointer,
                covered_by=other.pointer,
            )
    if budget.exhausted:
        yield _limited(ctx, "the actions of a statement")


def _is_resource(text: str) -> bool:
    return text == "*" or (text.startswith("arn:") and text.count(":") >= 5)


def redundant_resources(ctx: PolicyContext) -> Iterator[Finding]:
    budget = _SearchBudget(STATE_BUDGET, ctx.budget)
    for stmt in ctx.statements:
        variables = stmt.policy_variables

        def contains(a: str, b: str, variables: bool = variables) -> bool | None:
            return resource_contains(a, b, variables, budget)

        valid = [e for e in stmt.resources if _is_resource(e.value)]
        for entry, other in _redundant_entries(valid, contains, 2, budget):
            yield finding(
                "REDUNDANT_RESOURCE",
                f"`{entry.value}` is already covered by `{other.value}` in the same statement",
                entry.pointer,
                covered_by=other.pointer,
            )
    if budget.exhausted:
        yield _limited(ctx, "the resources of a statement")


def _condition_key(conditions: tuple[Condition, ...]) -> tuple[object, ...]:
    return tuple(sorted((c.operator_text, c.key, c.values) for c in conditions))


def _actions_within(
    s: StatementView, t: StatementView, catalog: Catalog, budget: _SearchBudget
) -> bool:
    a, b = s.ir.actions, t.ir.actions
    if not a.patterns or not b.patterns:
        return False
    if not a.negated and not b.negated:
        if catalog.union_mask(a.patterns) & ~catalog.union_mask(b.patterns):
            return False
        return all(budget.actions_contain(p, b.patterns) is True for p in a.patterns)
    if not a.negated:  # every action of s avoids t's exclusions
        return not any(
            glob_intersects(p, x, ignore_case=True, variables=False)
            for p in a.patterns
            for x in b.patterns
        )
    if not b.negated:
        # Only a pattern of stars matches the empty string, so only such a pattern among t's
        # makes their union every action.
        return any(p and set(p) == {"*"} for p in b.patterns)
    return all(budget.actions_contain(x, a.patterns) is True for x in b.patterns)


def _resources_within(s: StatementView, t: StatementView, budget: _SearchBudget) -> bool:
    a, b = s.ir.resources, t.ir.resources
    variables = s.policy_variables and t.policy_variables
    if not a.patterns or not b.patterns:
        return False
    if not a.negated and not b.negated:
        return all(budget.contains(p, b.patterns, variables) is True for p in a.patterns)
    if not a.negated:
        return not any(
            arn_intersects(p, x, variables=variables) for p in a.patterns for x in b.patterns
        )
    if not b.negated:
        return "*" in b.patterns
    return all(budget.contains(x, a.patterns, variables) is True for x in b.patterns)


_Named = tuple[StatementView, PrincipalElement]


def _within(covered: _Named, cover: _Named, catalog: Catalog, budget: _SearchBudget) -> bool:
    """Everything the statement `covered` allows (or denies) `cover` does too: for the same
    principals (a resource policy's statement covers another only if it names every principal
    the other names), the same actions and the same resources."""
    (s, s_principal), (t, t_principal) = covered, cover
    return (
        names_all_of(t_principal, s_principal)
        and _actions_within(s, t, catalog, budget)
        and _resources_within(s, t, budget)
    )


def _size(statement: StatementView) -> int:
    return len(statement.ir.actions.patterns) + len(statement.ir.resources.patterns)


def redundant_statements(ctx: PolicyContext) -> Iterator[Finding]:
    statements = ctx.statements
    keys = [(s.effect, _condition_key(s.ir.conditions)) for s in statements]
    named = [(s, principal_element(s.raw)) for s in statements]
    budget = _SearchBudget(STATE_BUDGET, ctx.budget)
    # Only statements of one effect and condition can cover each other: pairs are drawn within
    # those groups, so a policy of many different statements costs no pass over every pair.
    groups: dict[tuple[object, ...], list[int]] = {}
    for index, key in enumerate(keys):
        groups.setdefault(key, []).append(index)
    sizes = [_size(s) for s in statements]
    for i, stmt in enumerate(statements):
        if stmt.effect not in ("Allow", "Deny"):
            continue
        for j in groups[keys[i]]:
            if i == j:
                continue
            other = statements[j]
            # A pair costs what its patterns make it cost (tens of microseconds for a few).
            if not budget.pair(weight=2 + sizes[i] + sizes[j]):
                break
            if not _within(named[i], named[j], ctx.catalog, budget):
                continue
            if j > i and _within(named[j], named[i], ctx.catalog, budget):
                continue  # equivalent: the later one is reported
            yield finding(
                "REDUNDANT_STATEMENT",
                f"everything this statement {'allows' if stmt.is_allow else 'denies'} is "
                f"already {'allowed' if stmt.is_allow else 'denied'} by the statement at "
                f"{other.pointer}, under the same condition",
                stmt.pointer,
                covered_by=other.pointer,
            )
            break
    if budget.exhausted:
        yield _limited(ctx, "statements")
