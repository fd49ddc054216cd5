"""Canonical-instances containment test (reference §4.3).

After normalising wildcard runs, A ⊆ B1 ∪ … ∪ Bn iff every canonical instance of A (each `?`
a fresh letter, each `*` the fresh letter repeated 0..K times, K = longest `?` run in any B plus
one) is matched by some B. Polynomial unless A has many stars, which is exactly where the
product automaton is cheap, so the two complement each other.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

from app.engine.budget import WorkBudget
from app.engine.iam.patterns.nfa import OMEGA, Symbol, compile_nfa
from app.engine.iam.patterns.product import UNKNOWN, Verdict
from app.engine.iam.patterns.tokens import Token, Wild


def normalise_runs(tokens: tuple[Token, ...]) -> tuple[Token, ...]:
    """Within each maximal wildcard run: the `?`s first, then at most one `*`."""
    out: list[Token] = []
    run: list[Wild] = []
    for tok in (*tokens, None):
        if isinstance(tok, Wild):
            run.append(tok)
            continue
        out.extend(w for w in run if not w.is_star)
        out.extend([w for w in run if w.is_star][:1])
        run.clear()
        if tok is not None:
            out.append(tok)
    return tuple(out)


def _layer_bounds(tokens: tuple[Token, ...]) -> tuple[int, float]:
    """Range of N such that segment wildcards precede the N-th colon and free ones follow it."""
    colons, low, high = 0, 0, math.inf
    for tok in tokens:
        if tok == ":":
            colons += 1
        elif isinstance(tok, Wild):
            if tok.is_segment:
                low = max(low, colons + 1)
            else:
                high = min(high, colons)
    return low, high


def applicable(patterns: Sequence[tuple[Token, ...]]) -> bool:
    """The instance argument needs every `*` of A to stand for colon-free text wherever a B
    cares about colons. That holds when all patterns share one colon index separating
    segment-restricted wildcards from free ones (strict ARNs and plain globs); it fails for
    e.g. a bare `*` against segment patterns, or the relaxed trailing-`*` model.
    """
    bounds = [_layer_bounds(p) for p in patterns]
    return max(lo for lo, _ in bounds) <= min(hi for _, hi in bounds)


def _longest_any_run(tokens: tuple[Token, ...]) -> int:
    best = cur = 0
    for tok in tokens:
        cur = cur + 1 if isinstance(tok, Wild) and not tok.is_star else 0
        best = max(best, cur)
    return best


def instances_verdict(
    a: tuple[Token, ...],
    bs: Sequence[tuple[Token, ...]],
    *,
    instance_cap: int,
    budget: WorkBudget | None = None,
) -> Verdict:
    """Each instance is matched against every B: `budget` is charged one unit per pattern (per
    thousand positions of a long one), as each instance is tried."""
    budget = budget or WorkBudget.unbounded()
    if not applicable([a, *bs]):
        return UNKNOWN
    norm_a = normalise_runs(a)
    norm_bs = [normalise_runs(b) for b in bs]
    nfas = [compile_nfa(b) for b in norm_bs]
    k_max = max((_longest_any_run(b) for b in norm_bs), default=0) + 1
    star_count = sum(1 for t in norm_a if isinstance(t, Wild) and t.is_star)
    if (k_max + 1) ** star_count > instance_cap:
        return UNKNOWN
    unit = 1 + sum(nfa.weight for nfa in nfas)
    with budget.metered() as meter:
        for lengths in itertools.product(range(k_max + 1), repeat=star_count):
            meter.add(unit)
            instance = _instance(norm_a, lengths)
            if not any(nfa.accepts(instance) for nfa in nfas):
                return Verdict(False, instance)
    return Verdict(True)


def _instance(tokens: tuple[Token, ...], lengths: tuple[int, ...]) -> tuple[Symbol, ...]:
    out: list[Symbol] = []
    stars = iter(lengths)
    for tok in tokens:
        if isinstance(tok, Wild):
            out.extend([OMEGA] * (next(stars) if tok.is_star else 1))
        else:
            out.append(tok)
    return tuple(out)
