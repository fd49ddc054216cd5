"""Decide a statement's Condition against what is known of a request, three-valued.

A required permission comes with facts about its requests (its own condition: the pipeline's
PassRole goes to `cloudformation.amazonaws.com`, its artifact bucket is in account `1111…`).
Each key is known to take one of a few values, possibly to be absent, or nothing is known. A
condition test is decided in every possible world of its key: TRUE in all of them is granted,
FALSE in all is not, anything else is conditional. Keys are treated as independent.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

from app.engine.iam.conditions.operators import (
    ConditionOperator,
    ConditionTest,
    Family,
    PolicyValue,
    Tri,
    evaluate_condition,
    parse_operator,
)


@dataclass(frozen=True)
class KeyFact:
    values: frozenset[str] | None  # None: any value
    may_be_absent: bool
    # Tests (operator, sorted values) the requirement's own condition puts on this key: its
    # requests satisfy them, so the same test in a policy holds for them whatever its family.
    holds: frozenset[tuple[str, tuple[str, ...]]] = frozenset()


UNKNOWN_KEY = KeyFact(values=None, may_be_absent=True)
Facts = Mapping[str, KeyFact]


@dataclass(frozen=True)
class FactVerdict:
    result: Tri
    deciding: tuple[tuple[str, str], ...]  # (operator, key) of the tests that were not TRUE


def facts_from_condition(
    condition: Mapping[str, Mapping[str, object]] | None,
) -> dict[str, KeyFact]:
    """What a required statement's own Condition says about its requests."""
    facts: dict[str, KeyFact] = {}
    for operator_text, block in (condition or {}).items():
        op = parse_operator(operator_text)
        if op is None:
            continue
        for key, raw in block.items():
            values = [str(v) for v in raw] if isinstance(raw, list | tuple) else [str(raw)]
            folded = key.lower()
            known = facts.get(folded, UNKNOWN_KEY)
            fact = _fact(op, values) or known
            holds = known.holds | {(op.text, tuple(sorted(values)))}
            facts[folded] = KeyFact(fact.values, fact.may_be_absent, frozenset(holds))
    return facts


def _fact(op: ConditionOperator, values: Sequence[str]) -> KeyFact | None:
    if op.qualifier is not None:
        return None
    if op.family is Family.NULL:
        absent = values[0].lower() == "true"
        return KeyFact(values=frozenset() if absent else None, may_be_absent=absent)
    if op.base in ("StringEquals", "ArnEquals", "Bool") and not op.negated:
        return KeyFact(values=frozenset(values), may_be_absent=op.if_exists)
    return None


def decide(tests: Iterable[ConditionTest], facts: Facts) -> FactVerdict:
    """AND of every test, each decided over the worlds its key's fact allows."""
    results: list[Tri] = []
    deciding: list[tuple[str, str]] = []
    for op, key, values in tests:
        outcome = _decide_test(op, key, values, facts.get(key.lower(), UNKNOWN_KEY))
        results.append(outcome)
        if outcome is not Tri.TRUE:
            deciding.append((op.text, key))
    return FactVerdict(result=Tri.all_of(results), deciding=tuple(deciding))


def _decide_test(op: ConditionOperator, key: str, values: Sequence[object], fact: KeyFact) -> Tri:
    policy_values = tuple(v if isinstance(v, str | int | float | bool) else str(v) for v in values)
    # The requirement's own test, repeated, holds; but `${...}` is a variable in one policy
    # version and literal text in another, so identical text may not be the same test.
    if fact.holds:  # only a requirement's own condition gives any (most facts have none)
        texts = tuple(sorted(str(v) for v in policy_values))
        if (op.text, texts) in fact.holds and not any("${" in t for t in texts):
            return Tri.TRUE
    return _decide_known(op, key, policy_values, fact)


# The same few statements' tests are decided against the same few facts for every requirement
# of a diff, and again for every diff of the same policy.
@lru_cache(maxsize=4096)
def _decide_known(
    op: ConditionOperator, key: str, policy_values: tuple[PolicyValue, ...], fact: KeyFact
) -> Tri:
    outcomes: set[Tri] = set()
    if fact.may_be_absent:
        outcomes.add(evaluate_condition(op, key, policy_values, None))
    if fact.values is None:
        if op.family is Family.NULL:
            outcomes.add(evaluate_condition(op, key, policy_values, ["present"]))
        else:
            outcomes.add(Tri.UNKNOWN)
    else:
        for value in sorted(fact.values):
            outcomes.add(evaluate_condition(op, key, policy_values, [value]))
    if outcomes == {Tri.TRUE}:
        return Tri.TRUE
    if outcomes == {Tri.FALSE}:
        return Tri.FALSE
    return Tri.UNKNOWN
