"""Containment decisions on tokenised patterns: fast paths, then §4.2, then §4.3.

Both exact procedures are capped so no input can hang a request; "unknown" is reported only
when both give up.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import replace
from typing import TypeVar

from app.engine.budget import RequestMemo, WorkBudget
from app.engine.iam.errors import GlobLimitExceededError
from app.engine.iam.patterns.instances import instances_verdict
from app.engine.iam.patterns.nfa import OMEGA, Symbol, compile_nfa
from app.engine.iam.patterns.product import Verdict, search_counterexample
from app.engine.iam.patterns.tokens import Token, Var, Wild, has_wildcards

PRODUCT_STATE_CAP = 10_000
INSTANCE_CAP = 20_000

# Readable stand-ins for "any other character" in witnesses, tried in order.
_FRESH_CANDIDATES = "xzqjkyw0123456789XZQJKYW"


def _is_universal(tokens: tuple[Token, ...]) -> bool:
    return bool(tokens) and all(t is Wild.STAR for t in tokens)


def _shortest_member(tokens: tuple[Token, ...]) -> tuple[Symbol, ...]:
    return tuple(
        OMEGA if isinstance(t, Wild) else t
        for t in tokens
        if not (isinstance(t, Wild) and t.is_star)
    )


def _literal_edge(tokens: tuple[Token, ...], *, from_end: bool) -> str:
    """The literal characters before the first (or after the last) wildcard or variable."""
    edge: list[str] = []
    for tok in reversed(tokens) if from_end else tokens:
        if not isinstance(tok, str):
            break
        edge.append(tok)
    return "".join(reversed(edge) if from_end else edge)


def _surely_disjoint(a: tuple[Token, ...], b: tuple[Token, ...]) -> bool:
    """Cheap proof that no string is in both: their literal prefixes (or suffixes) conflict.

    Lists of ARNs that differ by name (`bucket-0001/*`, `bucket-0002/*`, ...) are the common
    case, and this spares each pair the automaton search.
    """
    pa, pb = _literal_edge(a, from_end=False), _literal_edge(b, from_end=False)
    if not (pa.startswith(pb) or pb.startswith(pa)):
        return True
    sa, sb = _literal_edge(a, from_end=True), _literal_edge(b, from_end=True)
    return not (sa.endswith(sb) or sb.endswith(sa))


def decide_containment(
    a: tuple[Token, ...],
    bs: Sequence[tuple[Token, ...]],
    *,
    state_cap: int = PRODUCT_STATE_CAP,
    instance_cap: int = INSTANCE_CAP,
    budget: WorkBudget | None = None,
) -> Verdict:
    """Is L(a) ⊆ L(b1) ∪ … ∪ L(bn)? With a witness from L(a) when it is not.

    The searches charge `budget` (when none is given, only the state caps bound them)."""
    budget = budget or WorkBudget.unbounded()
    if any(_is_universal(b) for b in bs) or a in bs:
        return Verdict(True)
    bs = [b for b in bs if not _surely_disjoint(a, b)]
    if not bs:
        return Verdict(False, _shortest_member(a))
    if not has_wildcards(a):
        word = _shortest_member(a)
        for b in bs:
            nfa = compile_nfa(b)
            budget.charge(automaton=len(word) * nfa.weight)  # a step per symbol, at most
            if nfa.accepts(word):
                return Verdict(True)
        return Verdict(False, word)
    verdict = search_counterexample(a, bs, state_cap=state_cap, budget=budget)
    if verdict.contained is not None:
        return verdict
    fallback = instances_verdict(a, bs, instance_cap=instance_cap, budget=budget)
    return replace(fallback, states=verdict.states)


def fresh_char(patterns: Iterable[tuple[Token, ...]]) -> str:
    """A character no pattern mentions, so it plays the role of ω in a concrete witness."""
    used = {t for p in patterns for t in p if isinstance(t, str)} | {":", "*", "?", "$"}
    for ch in _FRESH_CANDIDATES:
        if ch not in used:
            return ch
    code = 0x100
    while chr(code) in used:
        code += 1
    return chr(code)


def render_witness(symbols: tuple[Symbol, ...], patterns: Iterable[tuple[Token, ...]]) -> str:
    filler = fresh_char(patterns)
    parts: list[str] = []
    for sym in symbols:
        if isinstance(sym, Var):
            parts.append(sym.text)
        elif sym is OMEGA:
            parts.append(filler)
        else:
            parts.append(sym)
    return "".join(parts)


# How a caller reads its pattern strings as tokens (a glob, an ARN in a matching model).
PatternReader = Callable[[str], tuple[Token, ...]]
_Key = TypeVar("_Key", bound=Hashable)


def remembered_containment(
    memo: RequestMemo[_Key, Verdict],
    key: _Key,
    read: PatternReader,
    a: str,
    bs: tuple[str, ...],
    *,
    state_cap: int,
    budget: WorkBudget | None,
) -> Verdict:
    """L(a) ⊆ L(b1) ∪ … ∪ L(bn) for pattern strings read by `read`, kept in `memo` for the
    request under `key` (which names everything `read` depends on); charged to `budget`."""
    budget = budget or WorkBudget.unbounded()
    return memo.get(
        key,
        lambda: decide_containment(
            read(a),
            [read(b) for b in bs],
            state_cap=state_cap,
            instance_cap=2 * state_cap,
            budget=budget,
        ),
        budget,
    )


def witness_text(verdict: Verdict, a: str, bs: tuple[str, ...], read: PatternReader) -> str | None:
    """The string `verdict` found in `a` and no `b`, or None when there is none; raises
    GlobLimitExceededError when the verdict is undecided."""
    if verdict.contained is None:
        raise GlobLimitExceededError(f"containment of {a!r} undecided within limits")
    if verdict.witness is None:
        return None
    return render_witness(verdict.witness, [read(p) for p in (a, *bs)])
