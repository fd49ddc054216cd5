"""ARNs and the Resource-element matching models (reference §1.4).

Three models, selected by `mode`:

- "strict-segment": `*`/`?` in partition, service, region or account never match `:`; the
  resource part (everything after the fifth colon) may contain `:`. This is ArnLike.
- "segment" (default): as strict, plus the documented relaxation that a `*` which is the last
  character of a segment may expand beyond the colon.
- "whole-string": a plain glob over the whole ARN, which is what most tools implement.

They differ only for resources whose resource part contains `:`; a caller that wants to flag
that ambiguity compares modes. `"*"` alone matches everything in every mode. ARNs are always
case-sensitive.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from app.engine.budget import RequestMemo, WorkBudget
from app.engine.iam.patterns.containment import (
    PRODUCT_STATE_CAP,
    PatternReader,
    remembered_containment,
    witness_text,
)
from app.engine.iam.patterns.glob import as_pattern_tuple, glob_match
from app.engine.iam.patterns.nfa import compile_nfa
from app.engine.iam.patterns.product import Verdict, tokens_intersect
from app.engine.iam.patterns.tokens import Token, Wild, has_variables, tokenize_pattern

ArnMode = Literal["segment", "strict-segment", "whole-string"]
ARN_MODES: tuple[ArnMode, ...] = ("segment", "strict-segment", "whole-string")

_RESOURCE_SEGMENT = 5


@dataclass(frozen=True, slots=True)
class Arn:
    partition: str
    service: str
    region: str
    account: str
    resource: str

    def __str__(self) -> str:
        return f"arn:{self.partition}:{self.service}:{self.region}:{self.account}:{self.resource}"


def split_arn(text: str) -> Arn | None:
    """The six segments of `arn:partition:service:region:account:resource`, any of them empty
    (what a pipeline's ARNs are read for: their partition, Region and account, when given)."""
    parts = text.split(":", _RESOURCE_SEGMENT)
    if len(parts) != 6 or parts[0] != "arn":
        return None
    _, partition, service, region, account, resource = parts
    return Arn(partition, service, region, account, resource)


def parse_arn(text: str) -> Arn | None:
    """`arn:partition:service:region:account:resource`; region and account may be empty."""
    arn = split_arn(text)
    if arn is None or not (arn.partition and arn.service and arn.resource):
        return None
    return arn


@lru_cache(maxsize=16384)
def arn_pattern_tokens(
    pattern: str, mode: ArnMode = "segment", *, variables: bool = True
) -> tuple[Token, ...]:
    """Tokens whose wildcards carry the segment restriction that `mode` implies."""
    tokens = tokenize_pattern(pattern, variables=variables)
    if pattern == "*" or mode == "whole-string":
        return tokens
    out: list[Token] = []
    segment = 0
    for i, tok in enumerate(tokens):
        if tok == ":":
            segment += 1
        if segment >= _RESOURCE_SEGMENT or not isinstance(tok, Wild):
            out.append(tok)
        elif tok is Wild.ANY:
            out.append(Wild.ANY_SEG)
        elif mode == "segment" and (i + 1 == len(tokens) or tokens[i + 1] == ":"):
            out.append(Wild.STAR)
        else:
            out.append(Wild.STAR_SEG)
    return tuple(out)


def _text(arn: str | Arn) -> str:
    return arn if isinstance(arn, str) else str(arn)


@lru_cache(maxsize=16384)
def _segment_split_ok(pattern: str, mode: ArnMode, variables: bool) -> bool:
    # When no wildcard can cross a colon and the pattern has all six segments, the five colons
    # line up with the ARN's first five, so segment-wise glob matching is exact and fast.
    tokens = arn_pattern_tokens(pattern, mode, variables=variables)
    head = tokens[: _colon_index(tokens)]
    return (
        tokens.count(":") >= _RESOURCE_SEGMENT
        and not has_variables(tokens)
        and Wild.STAR not in head
    )


def _colon_index(tokens: tuple[Token, ...]) -> int:
    seen = 0
    for i, tok in enumerate(tokens):
        if tok == ":":
            seen += 1
            if seen == _RESOURCE_SEGMENT:
                return i
    return len(tokens)


def arn_match(
    pattern: str, arn: str | Arn, mode: ArnMode = "segment", *, variables: bool = True
) -> bool:
    """Does the concrete ARN match the Resource pattern? Unresolved variables never match."""
    text = _text(arn)
    if pattern == "*":
        return True
    if mode == "whole-string":
        return glob_match(pattern, text, variables=variables)
    if _segment_split_ok(pattern, mode, variables):
        pieces = text.split(":", _RESOURCE_SEGMENT)
        return len(pieces) == _RESOURCE_SEGMENT + 1 and all(
            glob_match(p, t, variables=variables)
            for p, t in zip(pattern.split(":", _RESOURCE_SEGMENT), pieces, strict=True)
        )
    tokens = arn_pattern_tokens(pattern, mode, variables=variables)
    if has_variables(tokens):
        return False
    return compile_nfa(tokens).accepts(text)


_VERDICTS: RequestMemo[tuple[str, tuple[str, ...], ArnMode, bool, int], Verdict] = RequestMemo(
    16384
)


def _verdict(
    a: str,
    bs: tuple[str, ...],
    mode: ArnMode,
    variables: bool,
    budget: WorkBudget | None,
    state_cap: int = PRODUCT_STATE_CAP,
) -> Verdict:
    return remembered_containment(
        _VERDICTS,
        (a, bs, mode, variables, state_cap),
        _reader(mode, variables),
        a,
        bs,
        state_cap=state_cap,
        budget=budget,
    )


def _reader(mode: ArnMode, variables: bool) -> PatternReader:
    return lambda pattern: arn_pattern_tokens(pattern, mode, variables=variables)


def arn_contains(
    a: str,
    b: str,
    mode: ArnMode = "segment",
    *,
    variables: bool = True,
    budget: WorkBudget | None = None,
) -> bool | None:
    """Every ARN matched by pattern `a` is matched by `b`; None if undecided within limits."""
    return _verdict(a, (b,), mode, variables, budget).contained


def arn_union_containment(
    a: str,
    bs: Iterable[str],
    mode: ArnMode = "segment",
    *,
    variables: bool = True,
    state_cap: int = PRODUCT_STATE_CAP,
    budget: WorkBudget | None = None,
) -> Verdict:
    """L(a) ⊆ L(b1) ∪ … ∪ L(bn), as a whole verdict, including what its search cost.
    `state_cap` bounds the search; a caller for whom "undecided" is cheap may lower it."""
    return _verdict(a, as_pattern_tuple(bs), mode, variables, budget, state_cap)


def arn_union_contains(
    a: str,
    bs: Iterable[str],
    mode: ArnMode = "segment",
    *,
    variables: bool = True,
    budget: WorkBudget | None = None,
) -> bool | None:
    contained: bool | None = arn_union_containment(
        a, bs, mode, variables=variables, budget=budget
    ).contained
    return contained


def arn_witness_not_contained(
    a: str,
    bs: Iterable[str],
    mode: ArnMode = "segment",
    *,
    variables: bool = True,
    budget: WorkBudget | None = None,
) -> str | None:
    """A string matched by `a` and no `b` (possibly not a well-formed ARN), or None."""
    bs = as_pattern_tuple(bs)
    verdict = _verdict(a, bs, mode, variables, budget)
    return witness_text(verdict, a, bs, _reader(mode, variables))


def arn_intersects(
    a: str,
    b: str,
    mode: ArnMode = "segment",
    *,
    variables: bool = True,
    budget: WorkBudget | None = None,
) -> bool:
    """Some ARN matches both patterns (variables count as `*`, see glob_intersects); the work,
    which grows with the product of their lengths, is charged to `budget`."""
    return tokens_intersect(
        arn_pattern_tokens(a, mode, variables=variables),
        arn_pattern_tokens(b, mode, variables=variables),
        budget,
    )
