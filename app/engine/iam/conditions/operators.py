"""IAM condition operators: parsing, concrete evaluation, block evaluation, value typing.

Reference: iam-semantics.md §1.2, §1.3, §1.5, §2.2, §3.3. Pure: no I/O, no framework imports.

Evaluation is three-valued (`Tri`). UNKNOWN is returned instead of guessing: a policy or request
value that does not parse for the operator's family, a malformed `${...}`, or a policy variable
when the caller did not say which variables the request has (`variables=None`).

Semantics, per condition test (one operator, one key):

- Policy values are ORed for positive operators. A negated operator (`StringNotEquals`,
  `NotIpAddress`, `ArnNotLike`, ...) holds for a request value that matches *none* of them.
  The OR is Kleene: one matching value makes it TRUE even if another value is UNKNOWN.
- Key absent (an empty request list counts as absent): positive -> FALSE, negated -> TRUE,
  `...IfExists` -> TRUE, `ForAllValues:` -> TRUE, `ForAnyValue:` -> FALSE. With a set
  qualifier, `IfExists` does not change the absent case (`ForAnyValue:StringLikeIfExists` is
  FALSE on an absent key); the docs are silent, this follows cloud-copilot/iam-simulate.
- `Null`: "true" holds when the key is absent, "false" when it is present. Set qualifiers are
  accepted on `Null` and ignored.
- Multi-valued request keys. `ForAnyValue:` -> some request value satisfies the operator;
  `ForAllValues:` -> every request value does (negated operators test each value against the
  NOR of the policy values). Without a qualifier (docs silent; IAM says "use a set operator"):
  a positive operator reads as `ForAnyValue:`, and a negated operator is the negation of its
  positive counterpart, i.e. no request value may match any policy value (the documented NOR,
  extended over the request values). So on present keys, negated == NOT positive, always.
- Policy variables (String, ARN and Bool values only; 2012-10-17 policies): `${key}` and
  `${key, 'default'}`; keys are case-insensitive; the value is inserted as literal text (a
  `*` inside a tag value is not a wildcard); `${*}`, `${?}`, `${$}` are literal characters.
  With `variables` given, a key missing from it has "no value": for a positive operator that
  policy value does not match (Variables page); for a negated operator the result for that
  policy value is UNKNOWN (AWS only says the statement "might be invalid"). With
  `variables=None` any variable is UNKNOWN.
- Families: String* exact / casefolded / glob (`*`, `?`, everything else literal); Numeric on
  `Decimal` (integers and plain decimals, no exponents); Date on epoch seconds (ISO 8601 W3C
  profiles with `Z` or an offset - none means UTC - or epoch-second integers; as in IAM's
  legacy parser, an all-digit value is epoch seconds); Bool "true"/"false" case-insensitive;
  BinaryEquals decodes both the policy and the request value as base64 and compares bytes;
  IpAddress CIDR or single address, IPv4 and IPv6, a version mismatch is simply no match;
  Arn* compare the six colon-separated parts separately with globs, case-sensitively
  (`ArnEquals` = `ArnLike`); the resource part may contain `:`, and a policy or request
  value with fewer than six parts is UNKNOWN.
"""

from __future__ import annotations

import difflib
import operator
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from enum import Enum, StrEnum
from typing import Literal

from app.engine.budget import WorkBudget
from app.engine.iam.conditions.values import (
    Glob,
    Piece,
    TemplateError,
    TemplateToken,
    Unresolved,
    glob_pieces_match,
    has_variables,
    parse_address,
    parse_base64,
    parse_bool,
    parse_date,
    parse_decimal,
    parse_network,
    parse_template,
    render_literal,
    resolve_template,
)

__all__ = [
    "BASE_OPERATORS",
    "OPERATOR_NAMES",
    "BlockResult",
    "ConditionOperator",
    "ConditionTest",
    "Family",
    "PolicyValue",
    "Qualifier",
    "Tri",
    "check_value",
    "evaluate_block",
    "evaluate_condition",
    "is_wildcard_in_non_like",
    "parse_operator",
    "suggest_operator",
]

PolicyValue = str | int | float | bool
Qualifier = Literal["ForAllValues", "ForAnyValue"]
QUALIFIERS: tuple[Qualifier, ...] = ("ForAllValues", "ForAnyValue")
_IF_EXISTS = "IfExists"


class Tri(Enum):
    """Kleene three-valued logic."""

    TRUE = "true"
    FALSE = "false"
    UNKNOWN = "unknown"

    @staticmethod
    def of(value: bool) -> Tri:
        return Tri.TRUE if value else Tri.FALSE

    def __invert__(self) -> Tri:
        if self is Tri.UNKNOWN:
            return Tri.UNKNOWN
        return Tri.FALSE if self is Tri.TRUE else Tri.TRUE

    @staticmethod
    def any_of(items: Iterable[Tri]) -> Tri:
        result = Tri.FALSE
        for item in items:
            if item is Tri.TRUE:
                return Tri.TRUE
            if item is Tri.UNKNOWN:
                result = Tri.UNKNOWN
        return result

    @staticmethod
    def all_of(items: Iterable[Tri]) -> Tri:
        result = Tri.TRUE
        for item in items:
            if item is Tri.FALSE:
                return Tri.FALSE
            if item is Tri.UNKNOWN:
                result = Tri.UNKNOWN
        return result


class Family(StrEnum):
    STRING = "String"
    NUMERIC = "Numeric"
    DATE = "Date"
    BOOL = "Bool"
    BINARY = "Binary"
    IP = "IpAddress"
    ARN = "Arn"
    NULL = "Null"


_TestKind = Literal["eq", "eq_ci", "like", "lt", "le", "gt", "ge", "in", "null"]


@dataclass(frozen=True, slots=True)
class _Spec:
    family: Family
    test: _TestKind
    negated: bool
    positive: str  # the positive counterpart's base name (itself when not negated)


def _build_specs() -> dict[str, _Spec]:
    specs: dict[str, _Spec] = {}

    def add(name: str, family: Family, test: _TestKind, negation: str | None = None) -> None:
        specs[name] = _Spec(family, test, False, name)
        if negation is not None:
            specs[negation] = _Spec(family, test, True, name)

    add("StringEquals", Family.STRING, "eq", "StringNotEquals")
    add("StringEqualsIgnoreCase", Family.STRING, "eq_ci", "StringNotEqualsIgnoreCase")
    add("StringLike", Family.STRING, "like", "StringNotLike")
    for family in (Family.NUMERIC, Family.DATE):
        add(f"{family}Equals", family, "eq", f"{family}NotEquals")
        add(f"{family}LessThan", family, "lt")
        add(f"{family}LessThanEquals", family, "le")
        add(f"{family}GreaterThan", family, "gt")
        add(f"{family}GreaterThanEquals", family, "ge")
    add("Bool", Family.BOOL, "eq")
    add("BinaryEquals", Family.BINARY, "eq")
    add("IpAddress", Family.IP, "in", "NotIpAddress")
    add("ArnEquals", Family.ARN, "like", "ArnNotEquals")
    add("ArnLike", Family.ARN, "like", "ArnNotLike")
    add("Null", Family.NULL, "null")
    return specs


_SPECS = _build_specs()
BASE_OPERATORS: tuple[str, ...] = tuple(_SPECS)


@dataclass(frozen=True, slots=True)
class ConditionOperator:
    """A parsed operator such as `ForAnyValue:StringNotLikeIfExists`.

    `negated` is derived from `base`. Constructing an unknown base or `Null` + IfExists raises
    ValueError; `parse_operator` is the non-raising entry point.
    """

    base: str
    qualifier: Qualifier | None = None
    if_exists: bool = False
    negated: bool = field(init=False)

    def __post_init__(self) -> None:
        spec = _SPECS.get(self.base)
        if spec is None:
            raise ValueError(f"unknown condition operator {self.base!r}")
        if self.qualifier is not None and self.qualifier not in QUALIFIERS:
            raise ValueError(f"unknown set qualifier {self.qualifier!r}")
        if self.if_exists and spec.family is Family.NULL:
            raise ValueError("NullIfExists is not a valid condition operator")
        object.__setattr__(self, "negated", spec.negated)

    @property
    def family(self) -> Family:
        return _SPECS[self.base].family

    @property
    def is_like(self) -> bool:
        """Do `*` and `?` act as wildcards (StringLike, StringNotLike and all Arn operators)?"""
        return _SPECS[self.base].test == "like"

    @property
    def text(self) -> str:
        prefix = f"{self.qualifier}:" if self.qualifier else ""
        return f"{prefix}{self.base}{_IF_EXISTS if self.if_exists else ''}"

    @property
    def positive(self) -> ConditionOperator:
        """The operator with the positive counterpart of `base` (itself when not negated)."""
        return replace(self, base=_SPECS[self.base].positive)

    def __str__(self) -> str:
        return self.text


def parse_operator(text: str) -> ConditionOperator | None:
    """Exact, case-sensitive parse; None for anything IAM would not accept (incl. NullIfExists)."""
    qualifier: Qualifier | None = None
    rest = text
    head, sep, tail = text.partition(":")
    if sep:
        if head == "ForAllValues":
            qualifier = "ForAllValues"
        elif head == "ForAnyValue":
            qualifier = "ForAnyValue"
        else:
            return None
        rest = tail
    if_exists = rest.endswith(_IF_EXISTS)
    base = rest[: -len(_IF_EXISTS)] if if_exists else rest
    spec = _SPECS.get(base)
    if spec is None or (if_exists and spec.family is Family.NULL):
        return None
    return ConditionOperator(base, qualifier, if_exists)


def _all_operator_names() -> tuple[str, ...]:
    names: list[str] = []
    for prefix in ("", "ForAllValues:", "ForAnyValue:"):
        for base, spec in _SPECS.items():
            names.append(prefix + base)
            if spec.family is not Family.NULL:
                names.append(prefix + base + _IF_EXISTS)
    return tuple(names)


OPERATOR_NAMES: tuple[str, ...] = _all_operator_names()
_BY_FOLDED = {name.lower(): name for name in OPERATOR_NAMES}


def suggest_operator(text: str) -> str | None:
    """A did-you-mean for an operator `parse_operator` rejects; None if valid or hopeless.

    Wrong case and stray spaces map to the exact spelling; `NullIfExists` maps to `Null`;
    other typos go through `difflib` against every valid spelling.
    """
    if parse_operator(text) is not None:
        return None
    folded = "".join(text.split()).lower()
    if folded in _BY_FOLDED:
        return _BY_FOLDED[folded]
    suffix = _IF_EXISTS.lower()
    if folded.endswith(suffix) and folded[: -len(suffix)] in _BY_FOLDED:
        return _BY_FOLDED[folded[: -len(suffix)]]
    close = difflib.get_close_matches(folded, list(_BY_FOLDED), n=1, cutoff=0.8)
    return _BY_FOLDED[close[0]] if close else None


# ---------------------------------------------------------------- concrete evaluation

_Prepared = Tri | Callable[[str], Tri]

_COMPARE: dict[str, Callable[[Decimal, Decimal], bool]] = {
    "eq": operator.eq,
    "lt": operator.lt,
    "le": operator.le,
    "gt": operator.gt,
    "ge": operator.ge,
}


def _as_text(value: PolicyValue) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else repr(value)


def _unresolved(reason: Unresolved, spec: _Spec) -> Tri:
    if reason is Unresolved.NO_VALUE and not spec.negated:
        return Tri.FALSE  # "no value" does not match (Variables page)
    return Tri.UNKNOWN


def _split_tokens(tokens: Sequence[TemplateToken]) -> list[list[TemplateToken]]:
    """Split on literal `:` into at most six ARN parts (a variable never splits)."""
    parts: list[list[TemplateToken]] = [[]]
    for tok in tokens:
        if tok == ":" and len(parts) < 6:
            parts.append([])
        else:
            parts[-1].append(tok)
    return parts


def _arn_parts(text: str) -> list[str] | None:
    parts = text.split(":", 5)
    return parts if len(parts) == 6 and parts[0] == "arn" else None


def _prepare_arn(
    spec: _Spec,
    value: PolicyValue,
    variables: Mapping[str, str | None] | None,
    templates: bool,
    budget: WorkBudget | None,
) -> _Prepared:
    if not isinstance(value, str):
        return Tri.UNKNOWN
    try:
        parts = _split_tokens(parse_template(value, variables=templates))
    except TemplateError:
        return Tri.UNKNOWN
    if len(parts) != 6:
        return Tri.UNKNOWN
    patterns: list[tuple[Piece, ...]] = []
    for part in parts:
        resolved = resolve_template(part, variables)
        if isinstance(resolved, Unresolved):
            return _unresolved(resolved, spec)
        patterns.append(resolved)

    def match(request: str) -> Tri:
        request_parts = _arn_parts(request)
        if request_parts is None:
            return Tri.UNKNOWN
        matched = zip(patterns, request_parts, strict=True)  # both have six parts
        return Tri.of(all(glob_pieces_match(p, part, budget) for p, part in matched))

    return match


def _prepare_string(
    spec: _Spec,
    value: PolicyValue,
    variables: Mapping[str, str | None] | None,
    templates: bool,
    budget: WorkBudget | None,
) -> _Prepared:
    try:
        tokens = parse_template(_as_text(value), variables=templates)
    except TemplateError:
        return Tri.UNKNOWN
    pieces = resolve_template(tokens, variables)
    if isinstance(pieces, Unresolved):
        return _unresolved(pieces, spec)
    if spec.test == "like":
        pattern = pieces
        return lambda request: Tri.of(glob_pieces_match(pattern, request, budget))
    literal = render_literal(pieces)
    if spec.test == "eq_ci":
        folded = literal.casefold()
        return lambda request: Tri.of(request.casefold() == folded)
    return lambda request: Tri.of(request == literal)


def _prepare_bool(
    spec: _Spec, value: PolicyValue, variables: Mapping[str, str | None] | None, templates: bool
) -> _Prepared:
    expected: bool | None
    if isinstance(value, str):
        try:
            pieces = resolve_template(parse_template(value, variables=templates), variables)
        except TemplateError:
            return Tri.UNKNOWN
        if isinstance(pieces, Unresolved):
            return _unresolved(pieces, spec)
        expected = parse_bool(render_literal(pieces))
    else:
        expected = parse_bool(value)
    if expected is None:
        return Tri.UNKNOWN

    def match(request: str) -> Tri:
        got = parse_bool(request)
        return Tri.UNKNOWN if got is None else Tri.of(got == expected)

    return match


def _prepare_ordered(spec: _Spec, value: PolicyValue) -> _Prepared:
    parse = parse_decimal if spec.family is Family.NUMERIC else parse_date
    bound = parse(value)
    if bound is None:
        return Tri.UNKNOWN
    compare = _COMPARE[spec.test]

    def match(request: str) -> Tri:
        got = parse(request)
        return Tri.UNKNOWN if got is None else Tri.of(compare(got, bound))

    return match


def _prepare_binary(value: PolicyValue) -> _Prepared:
    expected = parse_base64(value)
    if expected is None:
        return Tri.UNKNOWN

    def match(request: str) -> Tri:
        got = parse_base64(request)
        return Tri.UNKNOWN if got is None else Tri.of(got == expected)

    return match


def _prepare_ip(value: PolicyValue) -> _Prepared:
    network = parse_network(value)
    if network is None:
        return Tri.UNKNOWN

    def match(request: str) -> Tri:
        address = parse_address(request)
        if address is None:
            return Tri.UNKNOWN
        return Tri.of(address.version == network.version and address in network)

    return match


def _prepare(
    spec: _Spec,
    value: PolicyValue,
    variables: Mapping[str, str | None] | None,
    templates: bool,
    budget: WorkBudget | None,
) -> _Prepared:
    """The positive test of one policy value: a constant, or a function of the request value
    (whose wildcard matching is charged to `budget`)."""
    family = spec.family
    if family is Family.STRING:
        return _prepare_string(spec, value, variables, templates, budget)
    if family is Family.ARN:
        return _prepare_arn(spec, value, variables, templates, budget)
    if family is Family.BOOL:
        return _prepare_bool(spec, value, variables, templates)
    if family in (Family.NUMERIC, Family.DATE):
        return _prepare_ordered(spec, value)
    if family is Family.BINARY:
        return _prepare_binary(value)
    if family is Family.IP:
        return _prepare_ip(value)
    raise AssertionError(f"no value test for {family}")  # Null is handled by the caller


def _policy_list(values: Sequence[PolicyValue] | PolicyValue) -> list[PolicyValue]:
    if isinstance(values, str | int | float | bool):
        return [values]
    return list(values)


def _request_list(values: Sequence[str] | str | None) -> list[str] | None:
    """None when the key is absent; an empty set counts as absent."""
    if values is None:
        return None
    listed = [values] if isinstance(values, str) else list(values)
    return listed or None


def _lower_keys(variables: Mapping[str, str | None] | None) -> dict[str, str | None] | None:
    if variables is None:
        return None
    return {key.lower(): value for key, value in variables.items()}


def _evaluate_null(values: Sequence[PolicyValue], present: bool) -> Tri:
    outcomes: list[Tri] = []
    for value in values:
        wanted_absent = parse_bool(value) if isinstance(value, str | bool) else None
        outcomes.append(Tri.UNKNOWN if wanted_absent is None else Tri.of(wanted_absent != present))
    return Tri.any_of(outcomes)


def evaluate_condition(
    op: ConditionOperator,
    key: str,
    policy_values: Sequence[PolicyValue],
    request_values: Sequence[str] | None,
    *,
    variables: Mapping[str, str | None] | None = None,
    policy_variables: bool = True,
    budget: WorkBudget | None = None,
) -> Tri:
    """Evaluate one operator on one key against concrete request values.

    `request_values` None (or empty) means the key is absent; a single-valued key is a
    one-element list. `variables` maps variable keys (any case) to the request's values (a key
    mapped to None is in the request with an unknown value, which makes a variable naming it
    UNKNOWN); `variables=None` means "not known" at all, which makes any policy variable
    UNKNOWN. `policy_variables=False`
    reads `${...}` literally (policies without Version 2012-10-17).

    Each (policy value, request value) pair compared is a step of `budget`, and a wildcard
    match also charges its automaton work, so a request listing many long values is refused
    by its budget rather than left to run.
    """
    if not key:
        raise ValueError("a condition key must not be empty")
    spec = _SPECS[op.base]
    values = _policy_list(policy_values)
    present = _request_list(request_values)
    if spec.family is Family.NULL:
        return _evaluate_null(values, present is not None)
    if present is None:
        if op.qualifier == "ForAllValues":
            return Tri.TRUE
        if op.qualifier == "ForAnyValue":
            return Tri.FALSE
        return Tri.of(op.if_exists or spec.negated)
    lookup = _lower_keys(variables)
    prepared = [_prepare(spec, value, lookup, policy_variables, budget) for value in values]

    def satisfies(request: str) -> Tri:
        if budget is not None:
            budget.charge(steps=len(prepared))
        matched = Tri.any_of(p if isinstance(p, Tri) else p(request) for p in prepared)
        return ~matched if spec.negated else matched

    per_value = [satisfies(request) for request in present]
    if op.qualifier == "ForAllValues" or (op.qualifier is None and spec.negated):
        return Tri.all_of(per_value)
    return Tri.any_of(per_value)


# ---------------------------------------------------------------- condition blocks

ConditionTest = tuple[ConditionOperator, str, Sequence[PolicyValue]]


@dataclass(frozen=True, slots=True)
class BlockResult:
    """AND over every (operator, key) test of a Condition block.

    `failed` and `unknown` list (operator text, key) of the tests that were FALSE / UNKNOWN.
    `missing_keys` lists keys absent from the context for which some present value would
    change `result`. Tests on the same key are treated as independent and any non-Null test as
    able to become TRUE or FALSE, so this may over-report (contradictory tests on one key,
    unparseable policy values); it never misses a key.
    """

    result: Tri
    failed: list[tuple[str, str]] = field(default_factory=list)
    unknown: list[tuple[str, str]] = field(default_factory=list)
    missing_keys: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class _Outcome:
    op: ConditionOperator
    key: str
    folded: str
    values: Sequence[PolicyValue]
    absent: bool
    result: Tri


def _present_outcomes(item: _Outcome, policy_variables: bool) -> frozenset[Tri]:
    """What a test on an absent key could yield once the key is present (any value)."""
    if item.op.family is Family.NULL:
        present = evaluate_condition(
            item.op, item.key, item.values, ["present"], policy_variables=policy_variables
        )
        return frozenset({present})
    return frozenset({Tri.TRUE, Tri.FALSE})


def _missing_keys(outcomes: list[_Outcome], result: Tri, policy_variables: bool) -> list[str]:
    missing: list[str] = []
    seen: set[str] = set()
    for item in outcomes:
        if not item.absent or item.folded in seen:
            continue
        seen.add(item.folded)
        others = Tri.all_of(o.result for o in outcomes if o.folded != item.folded)
        own = [_present_outcomes(o, policy_variables) for o in outcomes if o.folded == item.folded]
        possible: set[Tri] = set()
        if all(Tri.TRUE in s for s in own):
            possible.add(Tri.TRUE)
        if any(Tri.FALSE in s for s in own):
            possible.add(Tri.FALSE)
        if all(s & {Tri.TRUE, Tri.UNKNOWN} for s in own) and any(Tri.UNKNOWN in s for s in own):
            possible.add(Tri.UNKNOWN)
        if any(Tri.all_of((others, p)) is not result for p in possible):
            missing.append(item.key)
    return missing


def _unknown_value_result(op: ConditionOperator, values: Sequence[PolicyValue]) -> Tri:
    """A test on a key the request has, with a value nobody knows: only `Null` is decided."""
    if op.family is Family.NULL:
        return _evaluate_null(_policy_list(values), present=True)
    return Tri.UNKNOWN


def evaluate_block(
    conditions: Sequence[ConditionTest],
    context: Mapping[str, Sequence[str]],
    *,
    variables: Mapping[str, str] | None = None,
    policy_variables: bool = True,
    unknown_keys: frozenset[str] = frozenset(),
    budget: WorkBudget | None = None,
) -> BlockResult:
    """AND of every test; context keys match case-insensitively (spellings are merged).

    The context is taken as the complete request: its single-valued keys also serve as
    policy variables (multi-valued keys cannot be variables), overridden by `variables`.
    `unknown_keys` (lower-case) are in the request with values nobody knows, unless the
    context gives them: a test on one is UNKNOWN (but `Null`), and so is a policy variable
    naming one. The comparisons are charged to `budget` (see `evaluate_condition`).
    """
    ctx: dict[str, list[str]] = {}
    for name, given in context.items():
        ctx.setdefault(name.lower(), []).extend([given] if isinstance(given, str) else given)
    lookup: dict[str, str | None] = {
        name: given[0] for name, given in ctx.items() if len(given) == 1
    }
    lookup.update(_lower_keys(variables) or {})
    unknown = {name for name in unknown_keys if name not in ctx}
    lookup.update((name, None) for name in unknown if name not in lookup)

    outcomes: list[_Outcome] = []
    for op, key, values in conditions:
        folded = key.lower()
        request = ctx.get(folded) or None
        if folded in unknown:
            result = _unknown_value_result(op, values)
        else:
            result = evaluate_condition(
                op,
                key,
                values,
                request,
                variables=lookup,
                policy_variables=policy_variables,
                budget=budget,
            )
        absent = request is None and folded not in unknown
        outcomes.append(_Outcome(op, key, folded, values, absent, result))

    overall = Tri.all_of(o.result for o in outcomes)
    return BlockResult(
        result=overall,
        failed=[(o.op.text, o.key) for o in outcomes if o.result is Tri.FALSE],
        unknown=[(o.op.text, o.key) for o in outcomes if o.result is Tri.UNKNOWN],
        missing_keys=_missing_keys(outcomes, overall, policy_variables),
    )


# ---------------------------------------------------------------- validation helpers

_NO_VARIABLES = (Family.NUMERIC, Family.DATE, Family.BINARY, Family.IP, Family.NULL)


def _template_problem(value: str, templates: bool) -> str | None:
    try:
        parse_template(value, variables=templates)
    except TemplateError as exc:
        return f"malformed policy variable in {value!r}: {exc}"
    return None


def check_value(
    op: ConditionOperator, value: PolicyValue, *, policy_variables: bool = True
) -> str | None:
    """An error text when `value` has the wrong type for `op`'s family, else None."""
    family = op.family
    name = op.text
    if policy_variables and family in _NO_VARIABLES and isinstance(value, str) and "${" in value:
        return f"policy variables are not allowed with {name}: {value!r}"
    if family is Family.STRING:
        return _template_problem(value, policy_variables) if isinstance(value, str) else None
    if family is Family.ARN:
        if not isinstance(value, str):
            return f"{name} takes ARN strings, not {value!r}"
        problem = _template_problem(value, policy_variables)
        if problem is not None:
            return problem
        if len(_split_tokens(parse_template(value, variables=policy_variables))) != 6:
            return f"{name} value {value!r} is not an ARN (arn:partition:service:region:account:…)"
        return None
    if family is Family.BOOL:
        if isinstance(value, str):
            problem = _template_problem(value, policy_variables)
            if problem is not None:
                return problem
            if has_variables(parse_template(value, variables=policy_variables)):
                return None
        if parse_bool(value) is None:
            return f'{name} takes "true" or "false", not {value!r}'
        return None
    if family is Family.NULL:
        if not isinstance(value, str | bool) or parse_bool(value) is None:
            return f'Null takes "true" or "false", not {value!r}'
        return None
    if family is Family.NUMERIC and parse_decimal(value) is None:
        return f"{name} takes an integer or decimal number, not {value!r}"
    if family is Family.DATE and parse_date(value) is None:
        return f"{name} takes an ISO 8601 date or date-time, or epoch seconds, not {value!r}"
    if family is Family.BINARY and parse_base64(value) is None:
        return f"{name} takes a base64-encoded value, not {value!r}"
    if family is Family.IP and parse_network(value) is None:
        return f"{name} takes an IPv4 or IPv6 address or CIDR block, not {value!r}"
    return None


def is_wildcard_in_non_like(
    op: ConditionOperator, value: PolicyValue, *, policy_variables: bool = True
) -> bool:
    """`*` or `?` in a String operator that reads them literally (Equals, NotEquals, IgnoreCase).

    Arn operators are excluded: `ArnEquals` matches wildcards exactly like `ArnLike`. `${*}`
    and `${?}` are the documented way to write literal wildcards and do not count.
    """
    if op.family is not Family.STRING or op.is_like or not isinstance(value, str):
        return False
    try:
        tokens = parse_template(value, variables=policy_variables)
    except TemplateError:
        return "*" in value or "?" in value
    return any(isinstance(tok, Glob) for tok in tokens)
