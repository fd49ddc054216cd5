"""Decide one request (action, resource, context) against identity policies, with the reasons.

Every statement is checked on its own: its action, its resource (policy variables filled from
the request context), its condition (three-valued). An applying Deny wins; otherwise an
applying Allow allows; otherwise the request is implicitly denied. A statement whose condition
cannot be decided (an unparseable value, or a key the request has but whose value is not
known) leaves the decision not definite, and says so.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, replace
from typing import Literal

from app.engine.budget import WorkBudget
from app.engine.iam.analysis.coverage import PolicyStatement
from app.engine.iam.conditions.operators import Tri, evaluate_block
from app.engine.iam.patterns.arn import ArnMode, arn_match
from app.engine.iam.patterns.tokens import Var, tokenize_pattern
from app.engine.iam.patterns.variables import substitute_variables

Decision = Literal["allowed", "explicitly_denied", "implicitly_denied"]
NotApplied = Literal["action", "resource", "condition"]


@dataclass(frozen=True)
class StatementOutcome:
    statement: PolicyStatement
    applies: Tri
    reason: NotApplied | None = None
    failed_conditions: tuple[tuple[str, str], ...] = ()
    unknown_conditions: tuple[tuple[str, str], ...] = ()
    missing_keys: tuple[str, ...] = ()


@dataclass(frozen=True)
class RequestDecision:
    decision: Decision
    definite: bool
    deciding: tuple[StatementOutcome, ...]
    not_applied: tuple[StatementOutcome, ...]
    undecided: tuple[StatementOutcome, ...]
    missing_keys: tuple[str, ...]


def _normalise(context: Mapping[str, Sequence[str] | str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for key, value in context.items():
        out.setdefault(key.lower(), []).extend([value] if isinstance(value, str) else value)
    return out


def _resource_matches(
    stmt: PolicyStatement,
    resource: str,
    variables: Mapping[str, str],
    mode: ArnMode,
    policy_variables: bool,
) -> bool:
    def matches(pattern: str) -> bool:
        if policy_variables:
            pattern = substitute_variables(pattern, variables)
        return arn_match(pattern, resource, mode, variables=policy_variables)

    hit = any(matches(p) for p in stmt.resources)
    return hit != stmt.resources_negated


def _names_unknown(pattern: str, unknown: frozenset[str]) -> bool:
    return any(
        isinstance(tok, Var) and tok.name.partition(",")[0] in unknown
        for tok in tokenize_pattern(pattern)
    )


def _resource_applies(
    stmt: PolicyStatement,
    resource: str,
    variables: Mapping[str, str],
    mode: ArnMode,
    policy_variables: bool,
    unknown: frozenset[str],
) -> Tri:
    """Does the statement's Resource (or NotResource) take in the resource?

    A pattern with a variable naming a key whose value is unknown may or may not match it:
    unless another pattern settles it, the answer is UNKNOWN.
    """
    if not (unknown and policy_variables):
        return Tri.of(_resource_matches(stmt, resource, variables, mode, policy_variables))
    settled = tuple(p for p in stmt.resources if not _names_unknown(p, unknown))
    if len(settled) == len(stmt.resources):
        return Tri.of(_resource_matches(stmt, resource, variables, mode, policy_variables))
    hit = any(
        arn_match(substitute_variables(p, variables), resource, mode, variables=True)
        for p in settled
    )
    if hit:
        return Tri.of(not stmt.resources_negated)
    return Tri.UNKNOWN


def evaluate_statement(
    stmt: PolicyStatement,
    action: str,
    resource: str,
    context: Mapping[str, list[str]],
    variables: Mapping[str, str],
    *,
    mode: ArnMode = "segment",
    policy_variables: bool = True,
) -> StatementOutcome:
    if not stmt.matches_action(action):
        return StatementOutcome(stmt, Tri.FALSE, "action")
    if not _resource_matches(stmt, resource, variables, mode, policy_variables):
        return StatementOutcome(stmt, Tri.FALSE, "resource")
    return _condition_outcome(stmt, context, variables, policy_variables)


class Evaluator:
    """Decides many requests against one set of statements.

    Which statements match an action is worked out once per distinct action, and the outcome
    of a statement that does not apply for its action or resource is shared between requests,
    so a batch of ten thousand requests costs little more than its resource and condition
    checks.
    """

    def __init__(
        self,
        statements: Sequence[PolicyStatement],
        *,
        mode: ArnMode = "segment",
        policy_variables: Mapping[int, bool] | None = None,
    ) -> None:
        self._statements = [s for s in statements if s.effect in ("Allow", "Deny")]
        self._mode = mode
        self._variables_allowed = [
            (policy_variables or {}).get(s.doc_index, True) for s in self._statements
        ]
        self._by_action: dict[str, tuple[bool, ...]] = {}
        self._no_action = [StatementOutcome(s, Tri.FALSE, "action") for s in self._statements]
        self._no_resource = [StatementOutcome(s, Tri.FALSE, "resource") for s in self._statements]

    @property
    def statements(self) -> tuple[PolicyStatement, ...]:
        """The Allow and Deny statements it weighs."""
        return tuple(self._statements)

    def _action_hits(self, action: str) -> tuple[bool, ...]:
        key = action.lower()
        hits = self._by_action.get(key)
        if hits is None:
            hits = tuple(s.matches_action(action) for s in self._statements)
            self._by_action[key] = hits
        return hits

    def evaluate(
        self,
        action: str,
        resource: str,
        context: Mapping[str, Sequence[str] | str],
        *,
        unknown_keys: frozenset[str] = frozenset(),
        budget: WorkBudget | None = None,
    ) -> RequestDecision:
        """`unknown_keys` (lower-case) are in the request with values nobody knows, unless
        `context` gives them. Each statement weighed is a step of `budget`; the comparisons of
        its condition are charged at the statement's place."""
        ctx = _normalise(context)
        variables = {k: v[0] for k, v in ctx.items() if len(v) == 1}
        unknown = frozenset(k for k in unknown_keys if k not in ctx)
        outcomes: list[StatementOutcome] = []
        weighed = 1 + len(self._statements)
        for i, (stmt, hit) in enumerate(
            zip(self._statements, self._action_hits(action), strict=True)
        ):
            if not hit:
                outcomes.append(self._no_action[i])
                continue
            weighed += len(stmt.resources) + len(stmt.conditions)
            allowed_vars = self._variables_allowed[i]
            applies = _resource_applies(
                stmt, resource, variables, self._mode, allowed_vars, unknown
            )
            if applies is Tri.FALSE:
                outcomes.append(self._no_resource[i])
                continue
            outcome = _condition_outcome(stmt, ctx, variables, allowed_vars, unknown, budget)
            if applies is Tri.UNKNOWN and outcome.applies is not Tri.FALSE:
                outcome = replace(outcome, applies=Tri.UNKNOWN, reason="resource")
            outcomes.append(outcome)
        if budget is not None:
            budget.charge(steps=weighed)
        return _decide(outcomes)


def _condition_outcome(
    stmt: PolicyStatement,
    context: Mapping[str, list[str]],
    variables: Mapping[str, str],
    policy_variables: bool,
    unknown: frozenset[str] = frozenset(),
    budget: WorkBudget | None = None,
) -> StatementOutcome:
    if stmt.unsupported_conditions:
        unsupported = tuple((op, "") for op in stmt.unsupported_conditions)
        return StatementOutcome(stmt, Tri.UNKNOWN, "condition", unknown_conditions=unsupported)
    if not stmt.conditions:
        return StatementOutcome(stmt, Tri.TRUE)
    with budget.located(stmt.pointer) if budget is not None else nullcontext():
        block = evaluate_block(
            stmt.conditions,
            context,
            variables=variables,
            policy_variables=policy_variables,
            unknown_keys=unknown,
            budget=budget,
        )
    return StatementOutcome(
        stmt,
        block.result,
        None if block.result is Tri.TRUE else "condition",
        failed_conditions=tuple(block.failed),
        unknown_conditions=tuple(block.unknown),
        missing_keys=tuple(block.missing_keys),
    )


def _decide(outcomes: Sequence[StatementOutcome]) -> RequestDecision:
    denies = [o for o in outcomes if o.statement.effect == "Deny" and o.applies is Tri.TRUE]
    allows = [o for o in outcomes if o.statement.effect == "Allow" and o.applies is Tri.TRUE]
    undecided = tuple(o for o in outcomes if o.applies is Tri.UNKNOWN)
    not_applied = tuple(o for o in outcomes if o.applies is Tri.FALSE)
    missing = tuple(dict.fromkeys(k for o in outcomes for k in o.missing_keys))
    if denies:
        return RequestDecision(
            "explicitly_denied", True, tuple(denies), not_applied, undecided, missing
        )
    undecided_deny = any(o.statement.effect == "Deny" for o in undecided)
    if allows:
        return RequestDecision(
            "allowed", not undecided_deny, tuple(allows), not_applied, undecided, missing
        )
    return RequestDecision("implicitly_denied", not undecided, (), not_applied, undecided, missing)


def evaluate_request(
    statements: Sequence[PolicyStatement],
    action: str,
    resource: str,
    context: Mapping[str, Sequence[str] | str],
    *,
    mode: ArnMode = "segment",
    policy_variables: Mapping[int, bool] | None = None,
    unknown_keys: frozenset[str] = frozenset(),
) -> RequestDecision:
    """One request; `policy_variables` maps document index → whether its Version allows them."""
    evaluator = Evaluator(statements, mode=mode, policy_variables=policy_variables)
    return evaluator.evaluate(action, resource, context, unknown_keys=unknown_keys)
