"""Tokenisation of IAM wildcard patterns.

A pattern becomes a tuple of tokens: one-character literal strings, wildcards, and policy
variables. Keeping variables as single opaque symbols is what lets containment reason about
`${aws:username}` without knowing its value (reference §4.5).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import Enum
from functools import lru_cache


class Wild(Enum):
    """Wildcards. The `_SEG` kinds never consume `:` (ARN segments other than the resource)."""

    STAR = "*"
    ANY = "?"
    STAR_SEG = "*:"
    ANY_SEG = "?:"

    @property
    def is_star(self) -> bool:
        return self in (Wild.STAR, Wild.STAR_SEG)

    @property
    def is_segment(self) -> bool:
        return self in (Wild.STAR_SEG, Wild.ANY_SEG)


@dataclass(frozen=True, slots=True)
class Var:
    """A policy variable. Identity ignores key case and spacing; `text` keeps the source."""

    name: str
    text: str = field(compare=False)


Token = str | Wild | Var

# These three "variables" are how a policy spells a literal wildcard or dollar sign.
_ESCAPED = frozenset("*?$")


def _variable_name(inner: str) -> str:
    key, sep, default = inner.partition(",")
    return key.strip().lower() + (sep + default.strip() if sep else "")


@lru_cache(maxsize=8192)
def tokenize_pattern(pattern: str, *, variables: bool = True) -> tuple[Token, ...]:
    """Split a pattern into tokens; `variables=False` is for pre-2012 policies (literal `${`)."""
    out: list[Token] = []
    i, n = 0, len(pattern)
    while i < n:
        ch = pattern[i]
        if ch == "*":
            out.append(Wild.STAR)
        elif ch == "?":
            out.append(Wild.ANY)
        elif variables and ch == "$" and pattern.startswith("{", i + 1):
            end = pattern.find("}", i + 2)
            inner = pattern[i + 2 : end]
            # Unterminated or empty variables are malformed; the validator reports them and
            # matching treats the text literally rather than guessing an intent.
            if end != -1 and inner.strip():
                literal = inner in _ESCAPED
                out.append(inner if literal else Var(_variable_name(inner), pattern[i : end + 1]))
                i = end + 1
                continue
            out.append(ch)
        else:
            out.append(ch)
        i += 1
    return tuple(out)


def has_wildcards(tokens: tuple[Token, ...]) -> bool:
    return any(isinstance(tok, Wild) for tok in tokens)


def has_variables(tokens: tuple[Token, ...]) -> bool:
    return any(isinstance(tok, Var) for tok in tokens)


_WILDCARD_OR_VARIABLE = re.compile(r"[*?$]")


def literal_prefix(text: str) -> str:
    """What a pattern spells before its first wildcard or policy variable: two patterns whose
    prefixes differ where both are spelled have nothing in common."""
    found = _WILDCARD_OR_VARIABLE.search(text)
    return text if found is None else text[: found.start()]
