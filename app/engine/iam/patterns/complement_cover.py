"""Coverage by Resource and NotResource statements together, decided exactly.

A set of Allow statements covers the resources P ∪ ¬E₁ ∪ … ∪ ¬Eₖ, where P is the union of their
Resource patterns and each Eⱼ the patterns one NotResource statement excludes. A pattern R is
covered when no string lies in R, in every Eⱼ, and in no pattern of P. That is a search in the
product of the patterns' automata (§4.2 of the IAM notes, with the Eⱼ as extra constraints),
breadth-first and capped like the plain containment search.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence

from app.engine.budget import WorkBudget, WorkMeter
from app.engine.iam.patterns.arn import ArnMode, arn_pattern_tokens
from app.engine.iam.patterns.nfa import Nfa, Symbol, compile_nfa
from app.engine.iam.patterns.product import alphabet

STATE_CAP = 10_000

_State = tuple[int, tuple[tuple[int, ...], ...], tuple[int, ...]]


def _moves(nfa: Nfa, symbols: Sequence[Symbol], generating: bool) -> list[tuple[int, int]]:
    return [(nfa.consume(s), nfa.absorb(s, generating=generating)) for s in symbols]


def _advance(nfa: Nfa, states: int, move: tuple[int, int]) -> int:
    return nfa.closure(((states & move[0]) << 1) | (states & move[1]))


def covered_with_complements(
    resource: str,
    positive: Sequence[str],
    excluded: Sequence[Sequence[str]],
    mode: ArnMode = "segment",
    *,
    budget: WorkBudget,
) -> bool | None:
    """resource ⊆ ∪positive ∪ ⋃ⱼ ¬(∪excluded[j]); None when the search hit its cap.

    Each state visited steps every automaton once per symbol, charged to `budget` as each
    symbol is tried, after the moves tabulated per symbol and automaton."""
    a = arn_pattern_tokens(resource, mode)
    es = [[arn_pattern_tokens(p, mode) for p in group] for group in excluded]
    ps = [arn_pattern_tokens(p, mode) for p in positive]
    symbols = alphabet(a, [*ps, *(p for group in es for p in group)])
    nfa_a = compile_nfa(a)
    nfa_es = [[compile_nfa(p) for p in group] for group in es]
    nfa_ps = [compile_nfa(p) for p in ps]
    automata = [nfa_a, *nfa_ps, *(n for group in nfa_es for n in group)]
    per_symbol = sum(n.weight for n in automata)
    with budget.metered() as meter:
        meter.add(len(symbols) * len(automata))
        return _search(nfa_a, nfa_es, nfa_ps, symbols, per_symbol, meter)


def _search(
    nfa_a: Nfa,
    nfa_es: list[list[Nfa]],
    nfa_ps: list[Nfa],
    symbols: tuple[Symbol, ...],
    per_symbol: int,
    meter: WorkMeter,
) -> bool | None:
    moves_a = _moves(nfa_a, symbols, True)
    moves_es = [[_moves(n, symbols, False) for n in group] for group in nfa_es]
    moves_ps = [_moves(n, symbols, False) for n in nfa_ps]

    def inside_all_exclusions(states: tuple[tuple[int, ...], ...]) -> bool:
        return all(
            any(s & n.accept for s, n in zip(group_states, group, strict=True))
            for group_states, group in zip(states, nfa_es, strict=True)
        )

    def bad(state: _State) -> bool:
        sa, ses, sps = state
        return (
            bool(sa & nfa_a.accept)
            and inside_all_exclusions(ses)
            and not any(s & n.accept for s, n in zip(sps, nfa_ps, strict=True))
        )

    start: _State = (
        nfa_a.start,
        tuple(tuple(n.start for n in group) for group in nfa_es),
        tuple(n.start for n in nfa_ps),
    )
    if bad(start):
        return False
    seen = {start}
    queue: deque[_State] = deque([start])
    while queue:
        sa, ses, sps = queue.popleft()
        for k, move in enumerate(moves_a):
            meter.add(per_symbol)
            na = _advance(nfa_a, sa, move)
            if not na:
                continue
            nes = tuple(
                tuple(
                    _advance(n, s, mv[k])
                    for n, s, mv in zip(group, group_states, group_moves, strict=True)
                )
                for group, group_states, group_moves in zip(nfa_es, ses, moves_es, strict=True)
            )
            if any(not any(group) for group in nes):
                continue  # the string has left one exclusion for good: a NotResource covers it
            nps = tuple(
                _advance(n, s, mv[k]) for n, s, mv in zip(nfa_ps, sps, moves_ps, strict=True)
            )
            if any(s & n.universal for s, n in zip(nps, nfa_ps, strict=True)):
                continue
            nxt: _State = (na, nes, nps)
            if nxt in seen:
                continue
            if bad(nxt):
                return False
            seen.add(nxt)
            if len(seen) > STATE_CAP:
                return None
            queue.append(nxt)
    return True
