"""IAM wildcard semantics on plain strings (reference §1.4, §4).

`*` matches any sequence (including `/` and `:`), `?` exactly one character, and every other
character is literal: no character classes, no regex metacharacters. Policy variables are
opaque symbols (§4.5): containment is sound for every value of the variable, and a concrete
string never matches an unresolved variable (§1.5, "no value").
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache

from app.engine.budget import RequestMemo, WorkBudget
from app.engine.iam.patterns.containment import (
    PRODUCT_STATE_CAP,
    PatternReader,
    remembered_containment,
    witness_text,
)
from app.engine.iam.patterns.product import Verdict, tokens_intersect
from app.engine.iam.patterns.tokens import Token, Wild, has_variables, tokenize_pattern

__all__ = [
    "as_pattern_tuple",
    "compile_glob",
    "glob_contains",
    "glob_intersects",
    "glob_match",
    "glob_union_containment",
    "glob_union_contains",
    "glob_witness_not_contained",
    "tokenize_pattern",
]


@dataclass(frozen=True, slots=True)
class _Matcher:
    """Star-separated chunks, each a fixed-length regex of escaped literals and `.`.

    Matching the chunks left to right at their leftmost occurrence is exact for globs and
    linear-ish, unlike a single `.*` regex, which backtracks catastrophically on patterns such
    as `*a*a*a*a*b`.
    """

    chunks: tuple[re.Pattern[str], ...]
    sizes: tuple[int, ...]
    has_star: bool
    never: bool

    def __call__(self, text: str) -> bool:
        if self.never:
            return False
        if not self.has_star:
            return self.chunks[0].fullmatch(text) is not None
        if len(text) < sum(self.sizes):
            return False
        head, tail = self.chunks[0], self.chunks[-1]
        start, end = self.sizes[0], len(text) - self.sizes[-1]
        if head.match(text, 0, start) is None or tail.fullmatch(text, end) is None:
            return False
        for chunk in self.chunks[1:-1]:
            found = chunk.search(text, start, end)
            if found is None:
                return False
            start = found.end()
        return True


def _chunk_regex(tokens: list[Token]) -> re.Pattern[str]:
    body = "".join("." if isinstance(t, Wild) else re.escape(str(t)) for t in tokens)
    return re.compile(body, re.DOTALL)


@lru_cache(maxsize=16384)
def _compile(pattern: str, variables: bool) -> _Matcher:
    tokens = tokenize_pattern(pattern, variables=variables)
    if has_variables(tokens):
        return _Matcher((), (), has_star=False, never=True)
    groups: list[list[Token]] = [[]]
    for tok in tokens:
        if tok is Wild.STAR:
            groups.append([])
        else:
            groups[-1].append(tok)
    chunks = tuple(_chunk_regex(g) for g in groups)
    return _Matcher(chunks, tuple(len(g) for g in groups), len(groups) > 1, never=False)


def compile_glob(pattern: str, *, variables: bool = True) -> Callable[[str], bool]:
    """A matcher for one pattern (case-sensitive), for asking it about many strings."""
    if "*" not in pattern and "?" not in pattern and "$" not in pattern:
        return pattern.__eq__
    return _compile(pattern, variables)


def glob_match(
    pattern: str, text: str, *, ignore_case: bool = False, variables: bool = True
) -> bool:
    """Does `text` (a concrete string) match `pattern`? `ignore_case` is for action names."""
    if ignore_case:
        pattern, text = pattern.lower(), text.lower()
    if "*" not in pattern and "?" not in pattern and "$" not in pattern:
        # Every character is literal (`$` may open a variable or a `${*}` escape): equality,
        # with no regex to compile (a policy listing 100,000 distinct actions would otherwise
        # compile, and evict, one regex per action).
        return pattern == text
    return _compile(pattern, variables)(text)


def _tokens(pattern: str, ignore_case: bool, variables: bool) -> tuple[Token, ...]:
    return tokenize_pattern(pattern.lower() if ignore_case else pattern, variables=variables)


def as_pattern_tuple(bs: Iterable[str]) -> tuple[str, ...]:
    # A lone string is also an iterable of strings; reading it as one pattern per character
    # would silently answer a different question.
    if isinstance(bs, str):
        raise TypeError("expected an iterable of patterns, got a single string")
    return tuple(bs)


_VERDICTS: RequestMemo[tuple[str, tuple[str, ...], bool, bool, int], Verdict] = RequestMemo(16384)


def _verdict(
    a: str,
    bs: tuple[str, ...],
    ignore_case: bool,
    variables: bool,
    budget: WorkBudget | None,
    state_cap: int = PRODUCT_STATE_CAP,
) -> Verdict:
    return remembered_containment(
        _VERDICTS,
        (a, bs, ignore_case, variables, state_cap),
        _reader(ignore_case, variables),
        a,
        bs,
        state_cap=state_cap,
        budget=budget,
    )


def _reader(ignore_case: bool, variables: bool) -> PatternReader:
    return lambda pattern: _tokens(pattern, ignore_case, variables)


def glob_contains(
    a: str,
    b: str,
    *,
    ignore_case: bool = False,
    variables: bool = True,
    budget: WorkBudget | None = None,
) -> bool | None:
    """L(a) ⊆ L(b). None only when both exact procedures exceed their caps."""
    return _verdict(a, (b,), ignore_case, variables, budget).contained


def glob_union_containment(
    a: str,
    bs: Iterable[str],
    *,
    ignore_case: bool = False,
    variables: bool = True,
    budget: WorkBudget | None = None,
    state_cap: int = PRODUCT_STATE_CAP,
) -> Verdict:
    """L(a) ⊆ L(b1) ∪ … ∪ L(bn), as a whole verdict with what its search cost; `state_cap`
    bounds the search, for callers to whom "undecided" is cheap."""
    return _verdict(a, as_pattern_tuple(bs), ignore_case, variables, budget, state_cap)


def glob_union_contains(
    a: str,
    bs: Iterable[str],
    *,
    ignore_case: bool = False,
    variables: bool = True,
    budget: WorkBudget | None = None,
) -> bool | None:
    """L(a) ⊆ L(b1) ∪ … ∪ L(bn); no single b may cover a on its own (`b/*` vs `b/`, `b/?*`)."""
    return _verdict(a, as_pattern_tuple(bs), ignore_case, variables, budget).contained


def glob_witness_not_contained(
    a: str,
    bs: Iterable[str],
    *,
    ignore_case: bool = False,
    variables: bool = True,
    budget: WorkBudget | None = None,
) -> str | None:
    """A string matched by `a` and by none of `bs`, or None if there is none.

    Variables of `a` appear in the witness as their `${...}` text. Raises
    GlobLimitExceededError when containment itself is undecided.
    """
    bs = as_pattern_tuple(bs)
    verdict = _verdict(a, bs, ignore_case, variables, budget)
    return witness_text(verdict, a, bs, _reader(ignore_case, variables))


def glob_intersects(
    a: str,
    b: str,
    *,
    ignore_case: bool = False,
    variables: bool = True,
    budget: WorkBudget | None = None,
) -> bool:
    """L(a) ∩ L(b) ≠ ∅. A variable counts as `*` here, so "disjoint" holds for every value.
    The work, which grows with the product of their lengths, is charged to `budget`."""
    return tokens_intersect(
        _tokens(a, ignore_case, variables), _tokens(b, ignore_case, variables), budget
    )
