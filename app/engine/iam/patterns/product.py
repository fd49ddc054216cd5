"""Product-automaton searches over tokenised patterns (reference §4.2 and §4.5).

Containment explores pairs (state set of A, state sets of every B) lazily, which is exact but
exponential in the worst case, hence the state cap. Intersection only needs reachability over
position pairs, which is polynomial and needs no subset construction.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field

from app.engine.budget import WorkBudget
from app.engine.iam.patterns.nfa import OMEGA, Symbol, compile_nfa
from app.engine.iam.patterns.tokens import Token, Var, Wild

_State = tuple[int, tuple[int, ...]]
# States visited between two charges to the budget: often enough to stop within milliseconds.
_CHARGE_EVERY = 256


@dataclass(frozen=True, slots=True)
class Verdict:
    """`contained` is None when the search gave up; `witness` is set only when not contained.
    `states`: product states the search visited (its cost; 0 when no search ran)."""

    contained: bool | None
    witness: tuple[Symbol, ...] | None = None
    states: int = field(default=0, compare=False)


UNKNOWN = Verdict(None)


def alphabet(a: Sequence[Token], bs: Sequence[Sequence[Token]]) -> tuple[Symbol, ...]:
    """The finite alphabet of §4.1, plus `:` whenever a segment wildcard must be told apart."""
    chars: set[str] = set()
    segmented = False
    for pattern in (a, *bs):
        for tok in pattern:
            if isinstance(tok, str):
                chars.add(tok)
            elif isinstance(tok, Wild) and tok.is_segment:
                segmented = True
    if segmented:
        chars.add(":")
    # Only A's own variables can occur in strings of A (see Nfa.absorb).
    own_vars = sorted({tok for tok in a if isinstance(tok, Var)}, key=lambda v: v.name)
    return (*sorted(chars), OMEGA, *own_vars)


def search_counterexample(
    a: tuple[Token, ...],
    bs: Sequence[tuple[Token, ...]],
    *,
    state_cap: int,
    budget: WorkBudget | None = None,
) -> Verdict:
    """Breadth-first, so a returned witness is a shortest string in L(A) outside every L(B).

    Each state visited steps every automaton once per symbol: `budget` is charged that."""
    budget = budget or WorkBudget.unbounded()
    nfa_a = compile_nfa(a)
    nfa_bs = [compile_nfa(b) for b in bs]
    symbols = alphabet(a, bs)
    moves_a = [(nfa_a.consume(s), nfa_a.absorb(s, generating=True)) for s in symbols]
    moves_b = [[(n.consume(s), n.absorb(s, generating=False)) for s in symbols] for n in nfa_bs]
    accept_a = nfa_a.accept
    accepts_b = [n.accept for n in nfa_bs]
    universal_b = [n.universal for n in nfa_bs]

    def covered(states: tuple[int, ...]) -> bool:
        return any(s & u for s, u in zip(states, universal_b, strict=True))

    def bad(state: _State) -> bool:
        return bool(state[0] & accept_a) and not any(
            s & acc for s, acc in zip(state[1], accepts_b, strict=True)
        )

    start: _State = (nfa_a.start, tuple(n.start for n in nfa_bs))
    if covered(start[1]):
        return Verdict(True)
    if bad(start):
        return Verdict(False, ())
    parents: dict[_State, tuple[_State, int] | None] = {start: None}
    queue: deque[_State] = deque([start])
    unit = (1 + len(nfa_bs)) * len(symbols)
    uncharged = 0
    while queue:
        uncharged += 1
        if uncharged == _CHARGE_EVERY:
            budget.charge(automaton=uncharged * unit)
            uncharged = 0
        state = queue.popleft()
        sa, sbs = state
        for k, (cons, absorb) in enumerate(moves_a):
            na = nfa_a.closure(((sa & cons) << 1) | (sa & absorb))
            if not na:
                continue
            nbs = tuple(
                nfa.closure(((sb & mv[k][0]) << 1) | (sb & mv[k][1]))
                for nfa, sb, mv in zip(nfa_bs, sbs, moves_b, strict=True)
            )
            if covered(nbs):
                continue
            nxt: _State = (na, nbs)
            if nxt in parents:
                continue
            parents[nxt] = (state, k)
            if bad(nxt):
                budget.charge(automaton=uncharged * unit)
                return Verdict(False, _path(parents, nxt, symbols), len(parents))
            if len(parents) > state_cap:
                budget.charge(automaton=uncharged * unit)
                return Verdict(None, None, len(parents))
            queue.append(nxt)
    budget.charge(automaton=uncharged * unit)
    return Verdict(True, None, len(parents))


def _path(
    parents: dict[_State, tuple[_State, int] | None], end: _State, symbols: tuple[Symbol, ...]
) -> tuple[Symbol, ...]:
    out: list[Symbol] = []
    link = parents[end]
    while link is not None:
        prev, k = link
        out.append(symbols[k])
        link = parents[prev]
    return tuple(reversed(out))


def _compatible(x: Token, y: Token) -> bool:
    """Whether some single symbol is accepted by both one-symbol tokens."""
    if isinstance(x, Wild) and isinstance(y, Wild):
        return True
    if isinstance(x, Wild):
        x, y = y, x
    if isinstance(y, Wild):
        return not (y.is_segment and x == ":")
    return x == y


def _widen(tokens: tuple[Token, ...]) -> tuple[Token, ...]:
    # A variable may take any value, so for "can these overlap?" it must count as `*`:
    # answering "disjoint" for `${aws:username}` vs `alice` would be wrong for alice.
    return tuple(Wild.STAR if isinstance(t, Var) else t for t in tokens)


def tokens_intersect(a: tuple[Token, ...], b: tuple[Token, ...]) -> bool:
    """L(A) ∩ L(B) ≠ ∅, by reachability over (position in A, position in B)."""
    a, b = _widen(a), _widen(b)
    la, lb = len(a), len(b)
    seen = {(0, 0)}
    stack = [(0, 0)]
    while stack:
        i, j = stack.pop()
        if i == la and j == lb:
            return True
        ta = a[i] if i < la else None
        tb = b[j] if j < lb else None
        star_a = isinstance(ta, Wild) and ta.is_star
        star_b = isinstance(tb, Wild) and tb.is_star
        nexts = []
        if star_a:
            nexts.append((i + 1, j))
        if star_b:
            nexts.append((i, j + 1))
        if ta is not None and tb is not None and not (star_a and star_b) and _compatible(ta, tb):
            nexts.append((i if star_a else i + 1, j if star_b else j + 1))
        for nxt in nexts:
            if nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    return False
