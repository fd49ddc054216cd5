"""Bit-parallel NFA for one tokenised pattern.

State i means "the first i tokens are matched"; a state set is a Python int used as a bitmask,
so sets hash cheaply as product-automaton keys and a step is a handful of integer operations.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import Enum
from functools import lru_cache

from app.engine.iam.patterns.tokens import Token, Var, Wild

# Positions of an automaton that one unit of automaton work pays for: a step is a few operations
# on integers as wide as the pattern, which cost about the same up to this width and
# proportionally more beyond it.
POSITIONS_PER_UNIT = 1024


class Omega(Enum):
    """Stands for every character that no pattern in the comparison mentions (§4.1)."""

    OMEGA = "ω"


OMEGA = Omega.OMEGA
Symbol = str | Var | Omega


def spread(states: int, through: int) -> int:
    """`states`, and every position reached from one of them by moving right across positions
    of `through` (from position i to i + 1 when i is in `through`). Adding the states that may
    move to `through` carries each along its run of `through`, so one addition does what a loop
    would do once per position of the longest run."""
    return states | (((states & through) + through) ^ through)


@dataclass(frozen=True, slots=True)
class Nfa:
    length: int
    stars: int
    star_seg: int
    any_free: int
    any_seg: int
    literals: Mapping[str, int]
    variables: Mapping[Var, int]
    universal: int

    @property
    def accept(self) -> int:
        return 1 << self.length

    @property
    def start(self) -> int:
        return self.closure(1)

    @property
    def weight(self) -> int:
        """Units of automaton work one step costs (one, or one per POSITIONS_PER_UNIT)."""
        return 1 + self.length // POSITIONS_PER_UNIT

    def closure(self, states: int) -> int:
        """The states plus those reached across stars matching nothing."""
        return spread(states, self.stars)

    def consume(self, sym: Symbol) -> int:
        """Positions whose single-symbol token moves forward on `sym`."""
        if isinstance(sym, Var):
            return self.variables.get(sym, 0)
        if sym is OMEGA:
            return self.any_free | self.any_seg
        mask = self.literals.get(sym, 0) | self.any_free
        return mask if sym == ":" else mask | self.any_seg

    def absorb(self, sym: Symbol, *, generating: bool) -> int:
        """Star positions that loop on `sym`.

        When this pattern is the one *generating* strings (the A side of A ⊆ B), its stars
        produce ordinary characters only: a variable's value is an ordinary string, so letting
        A's stars emit the opaque variable symbol would only invent spurious counterexamples.
        """
        if isinstance(sym, Var):
            return 0 if generating else self.stars
        if sym == ":":
            return self.stars & ~self.star_seg
        return self.stars

    def step(self, states: int, sym: Symbol, *, generating: bool = False) -> int:
        moved = (states & self.consume(sym)) << 1
        return self.closure(moved | (states & self.absorb(sym, generating=generating)))

    def accepts(self, symbols: Iterable[Symbol]) -> bool:
        states = self.start
        for sym in symbols:
            states = self.step(states, sym)
            if not states:
                return False
            if states & self.universal:
                return True
        return bool(states & self.accept)


@lru_cache(maxsize=8192)
def compile_nfa(tokens: tuple[Token, ...]) -> Nfa:
    stars = star_seg = any_free = any_seg = 0
    literals: dict[str, int] = {}
    variables: dict[Var, int] = {}
    for i, tok in enumerate(tokens):
        bit = 1 << i
        if isinstance(tok, Var):
            variables[tok] = variables.get(tok, 0) | bit
        elif tok is Wild.STAR:
            stars |= bit
        elif tok is Wild.STAR_SEG:
            stars |= bit
            star_seg |= bit
        elif tok is Wild.ANY:
            any_free |= bit
        elif tok is Wild.ANY_SEG:
            any_seg |= bit
        else:
            literals[tok] = literals.get(tok, 0) | bit
    universal = 0
    for i in range(len(tokens) - 1, -1, -1):
        if tokens[i] is not Wild.STAR:
            break
        universal |= 1 << i
    return Nfa(len(tokens), stars, star_seg, any_free, any_seg, literals, variables, universal)
