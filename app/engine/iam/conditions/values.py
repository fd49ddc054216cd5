"""Value parsing for condition operators (private helper of `conditions`).

Each parser returns None when the text is not a value of its type; callers turn that into
UNKNOWN (evaluation) or an error message (validation). Nothing here guesses.

Policy strings of the String, ARN and Bool families are *templates*: literal characters,
the wildcards `*` and `?` (meaningful only to the Like operators), and policy variables
`${key}` / `${key, 'default'}`. `${*}`, `${?}` and `${$}` are literal characters (reference
§1.4, §1.5). A variable's value is inserted as literal text, never as a pattern.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import Enum

from app.engine.budget import WorkBudget

IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IpAddr = ipaddress.IPv4Address | ipaddress.IPv6Address


class Glob(Enum):
    """A wildcard of a template: `*` (any sequence) or `?` (exactly one character)."""

    STAR = "*"
    ONE = "?"


@dataclass(frozen=True, slots=True)
class VarRef:
    """`${key}` or `${key, 'default'}`; `key` is lower-cased (keys are case-insensitive)."""

    key: str
    default: str | None


Piece = str | Glob  # a literal character, or a wildcard
TemplateToken = str | Glob | VarRef


class TemplateError(ValueError):
    """A malformed `${...}` (unterminated, empty, bad default quoting, inner spaces)."""


class Unresolved(Enum):
    """Why a template could not be turned into pieces."""

    NO_VALUE = "no-value"  # the request has no value for a variable and there is no default
    UNKNOWN = "unknown"  # the caller did not say which variables the request has


_ESCAPES = frozenset("*?$")
# Characters a glob match compares between two charges to its budget.
_MATCH_CHARGE_EVERY = 4096
_KEY_RE = re.compile(r"[^\s,{}$']+")


def _parse_variable(inner: str) -> TemplateToken:
    if inner in _ESCAPES:
        return inner
    key, comma, rest = inner.partition(",")
    key = key.strip()
    if not key:
        raise TemplateError("empty policy variable")
    if not _KEY_RE.fullmatch(key):
        raise TemplateError(f"unsupported characters or spaces in policy variable {key!r}")
    if not comma:
        return VarRef(key.lower(), None)
    rest = rest.strip()
    if len(rest) < 2 or rest[0] != "'" or rest[-1] != "'" or "'" in rest[1:-1]:
        raise TemplateError(f"the default of policy variable {key!r} must be one quoted string")
    return VarRef(key.lower(), rest[1:-1])


def _closing_brace(text: str, start: int) -> int:
    """Index of the `}` closing a variable whose body starts at `start`; quotes may hold `}`."""
    quoted = False
    for i in range(start, len(text)):
        ch = text[i]
        if ch == "'":
            quoted = not quoted
        elif ch == "}" and not quoted:
            return i
    raise TemplateError("missing closing brace in policy variable")


def parse_template(text: str, *, variables: bool = True) -> tuple[TemplateToken, ...]:
    """Tokenise a policy string; `variables=False` is the pre-2012 reading (`${` is literal)."""
    out: list[TemplateToken] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch == "*":
            out.append(Glob.STAR)
        elif ch == "?":
            out.append(Glob.ONE)
        elif variables and ch == "$" and text.startswith("{", i + 1):
            end = _closing_brace(text, i + 2)
            out.append(_parse_variable(text[i + 2 : end]))
            i = end + 1
            continue
        else:
            out.append(ch)
        i += 1
    return tuple(out)


def has_variables(tokens: Sequence[TemplateToken]) -> bool:
    return any(isinstance(t, VarRef) for t in tokens)


def resolve_template(
    tokens: Sequence[TemplateToken], variables: Mapping[str, str | None] | None
) -> tuple[Piece, ...] | Unresolved:
    """Substitute variables (keys already lower-cased in `variables`) as literal characters.

    A key mapped to None is in the request with a value nobody knows: UNKNOWN, and its default
    does not apply (a default stands in only for a key the request does not have).
    """
    out: list[Piece] = []
    for tok in tokens:
        if not isinstance(tok, VarRef):
            out.append(tok)
            continue
        value = variables.get(tok.key) if variables is not None else None
        if value is None and variables is not None and tok.key in variables:
            return Unresolved.UNKNOWN
        if value is None:
            value = tok.default
        if value is None:
            return Unresolved.UNKNOWN if variables is None else Unresolved.NO_VALUE
        out.extend(value)
    return tuple(out)


def render_literal(pieces: Sequence[Piece]) -> str:
    """The text of pieces with wildcards read literally (non-Like operators)."""
    return "".join(p.value if isinstance(p, Glob) else p for p in pieces)


def glob_pieces_match(
    pattern: Sequence[Piece], text: str, budget: WorkBudget | None = None
) -> bool:
    """Whole-string glob match: `*` any sequence, `?` one character, everything else literal.

    Greedy scan with a single backtrack point per `*`; O(len(pattern) * len(text)) worst case.
    Each character compared is a unit of `budget`'s automaton work (the pattern is an automaton
    stepped over the text), charged every few thousand so that one long match is stopped in
    its course rather than after it.
    """
    p = t = 0
    star, mark = -1, 0
    plen, tlen = len(pattern), len(text)
    uncharged = 0
    while t < tlen:
        uncharged += 1
        if uncharged == _MATCH_CHARGE_EVERY and budget is not None:
            budget.charge(automaton=uncharged)
            uncharged = 0
        tok = pattern[p] if p < plen else None
        if tok is Glob.STAR:
            star, mark = p, t
            p += 1
        elif tok is not None and (tok is Glob.ONE or tok == text[t]):
            p += 1
            t += 1
        elif star >= 0:
            p = star + 1
            mark += 1
            t = mark
        else:
            break
    if budget is not None:
        budget.charge(automaton=uncharged + plen - p)
    if t < tlen:
        return False
    while p < plen and pattern[p] is Glob.STAR:
        p += 1
    return p == plen


# ---------------------------------------------------------------- numbers, dates, bools


_DECIMAL_RE = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")


def parse_decimal(value: str | int | float | bool) -> Decimal | None:
    """Integers and plain decimals; no exponent, no NaN/Infinity, no surrounding spaces."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value)) if math.isfinite(value) else None
    return Decimal(value) if _DECIMAL_RE.fullmatch(value) else None


EPOCH_MAX = 2**63 - 1
YEAR_MIN, YEAR_MAX = -292275054, 292278993

_DATE_RE = re.compile(
    r"""
    (?P<year>-?\d{4,9})
    (?:-(?P<month>\d{2})
      (?:-(?P<day>\d{2})
        (?:T(?P<hour>\d{2}):(?P<minute>\d{2})
          (?::(?P<second>\d{2})(?:\.(?P<fraction>\d{1,9}))?)?
          (?P<tz>Z|[+-]\d{2}(?::?\d{2})?)?
        )?
      )?
    )?
    """,
    re.VERBOSE | re.IGNORECASE,
)
_DAYS_IN_MONTH = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _is_leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def _days_from_civil(year: int, month: int, day: int) -> int:
    """Days since 1970-01-01 in the proleptic Gregorian calendar (any year)."""
    year -= 1 if month <= 2 else 0
    era = year // 400
    yoe = year - era * 400
    doy = (153 * (month + (-3 if month > 2 else 9)) + 2) // 5 + day - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def _tz_offset_seconds(tz: str | None) -> int | None:
    if tz is None or tz.upper() == "Z":
        return 0
    sign = -1 if tz[0] == "-" else 1
    digits = tz[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:] or "0")
    if hours > 23 or minutes > 59:
        return None
    return sign * (hours * 3600 + minutes * 60)


def parse_date(value: str | int | float | bool) -> Decimal | None:
    """Epoch seconds of an ISO 8601 (W3C profile) date/date-time or an epoch-seconds integer.

    As in IAM's legacy parser, a value without `T` or `-` is epoch seconds (0..2^63-1), so
    `2024` is a timestamp, not a year. Date-only values are midnight UTC; a date-time without
    a zone designator is read as UTC.
    """
    if isinstance(value, bool | float):
        return None
    if isinstance(value, int):
        return Decimal(value) if 0 <= value <= EPOCH_MAX else None
    if value.isascii() and value.isdigit():
        seconds = int(value)
        return Decimal(seconds) if seconds <= EPOCH_MAX else None
    found = _DATE_RE.fullmatch(value)
    if found is None or found["month"] is None:
        return None
    year, month = int(found["year"]), int(found["month"])
    day = int(found["day"] or "1")
    if not (YEAR_MIN <= year <= YEAR_MAX and 1 <= month <= 12):
        return None
    days_in_month = 29 if month == 2 and _is_leap(year) else _DAYS_IN_MONTH[month - 1]
    if not 1 <= day <= days_in_month:
        return None
    hour, minute = int(found["hour"] or "0"), int(found["minute"] or "0")
    second = int(found["second"] or "0")
    if hour > 23 or minute > 59 or second > 59:
        return None
    offset = _tz_offset_seconds(found["tz"])
    if offset is None:
        return None
    whole = _days_from_civil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second
    fraction = Decimal("0." + found["fraction"]) if found["fraction"] else Decimal(0)
    return Decimal(whole - offset) + fraction


def parse_bool(value: str | int | float | bool) -> bool | None:
    """`true` / `false`, case-insensitive, or a JSON boolean."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        lowered = value.lower()
        if lowered in ("true", "false"):
            return lowered == "true"
    return None


def parse_network(value: str | int | float | bool) -> IpNetwork | None:
    """A CIDR block or a single address (IPv4 or IPv6); host bits may be set."""
    if not isinstance(value, str) or not value or value != value.strip():
        return None
    try:
        return ipaddress.ip_network(value, strict=False)
    except ValueError:
        return None


def parse_address(value: str) -> IpAddr | None:
    try:
        return ipaddress.ip_address(value)
    except ValueError:
        return None


def parse_base64(value: str | int | float | bool) -> bytes | None:
    if not isinstance(value, str):
        return None
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return None
