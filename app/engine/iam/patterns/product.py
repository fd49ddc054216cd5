"""Product-automaton searches over tokenised patterns (reference §4.2 and §4.5).

Containment explores pairs (state set of A, state sets of every B) lazily, which is exact but
exponential in the worst case, hence the state cap. Intersection only needs reachability over
position pairs, which is polynomial and needs no subset construction: the positions of one
pattern reachable at each position of the other, one row at a time.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field

from app.engine.budget import WorkBudget
from app.engine.iam.patterns.nfa import OMEGA, Nfa, Symbol, compile_nfa, spread
from app.engine.iam.patterns.tokens import Token, Var, Wild

_State = tuple[int, tuple[int, ...]]


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

    Each state visited steps every automaton once per symbol: `budget` is charged that as each
    symbol is tried (and the moves tabulated per symbol and automaton first), so however many
    patterns a state steps, the budget hears of it within a bounded amount of work."""
    budget = budget or WorkBudget.unbounded()
    nfa_a = compile_nfa(a)
    nfa_bs = [compile_nfa(b) for b in bs]
    symbols = alphabet(a, bs)
    per_symbol = nfa_a.weight + sum(n.weight for n in nfa_bs)
    with budget.metered() as meter:
        meter.add(len(symbols) * (1 + len(nfa_bs)))
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
        while queue:
            state = queue.popleft()
            sa, sbs = state
            for k, (cons, absorb) in enumerate(moves_a):
                meter.add(per_symbol)
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
                    return Verdict(False, _path(parents, nxt, symbols), len(parents))
                if len(parents) > state_cap:
                    return Verdict(None, None, len(parents))
                queue.append(nxt)
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


def _widen(tokens: tuple[Token, ...]) -> tuple[Token, ...]:
    # A variable may take any value, so for "can these overlap?" it must count as `*`:
    # answering "disjoint" for `${aws:username}` vs `alice` would be wrong for alice.
    return tuple(Wild.STAR if isinstance(t, Var) else t for t in tokens)


def tokens_intersect(
    a: tuple[Token, ...], b: tuple[Token, ...], budget: WorkBudget | None = None
) -> bool:
    """L(A) ∩ L(B) ≠ ∅, by reachability over (position in A, position in B).

    One row per token of the shorter pattern: the positions of the longer one that a string
    can have reached while it matched the tokens so far, as the bits of one integer. Each token
    steps that set as one step of the longer pattern's automaton, charged to `budget` as such:
    time grows with the product of the lengths over the width of an integer operation, memory
    with the longer length only."""
    a, b = _widen(a), _widen(b)
    if len(a) > len(b):
        a, b = b, a
    nfa = compile_nfa(b)
    everywhere = (1 << nfa.length) - 1
    colons = nfa.literals.get(":", 0)
    weight = nfa.weight
    states = nfa.start
    with (budget or WorkBudget.unbounded()).metered() as meter:
        for tok in a:
            meter.add(weight)
            if isinstance(tok, Wild) and tok.is_star:
                # While A's star takes characters, B's tokens may take them too (a segment
                # star never takes `:`), and B's stars may match nothing.
                states = spread(states, everywhere & ~colons if tok.is_segment else everywhere)
            else:
                states = nfa.closure(
                    ((states & _taking(nfa, tok, everywhere, colons)) << 1)
                    | (states & _looping(nfa, tok))
                )
            if not states:
                return False
    return bool(states & nfa.accept)


def _taking(nfa: Nfa, tok: Token, everywhere: int, colons: int) -> int:
    """The one-character tokens of `nfa` that take a character A's one-character `tok` does."""
    if isinstance(tok, str):
        return nfa.consume(tok)
    single = everywhere & ~nfa.stars
    return single & ~colons if tok is Wild.ANY_SEG else single


def _looping(nfa: Nfa, tok: Token) -> int:
    """The stars of `nfa` that loop on a character A's one-character `tok` takes."""
    return nfa.stars & ~nfa.star_seg if tok == ":" else nfa.stars
