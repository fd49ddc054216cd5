"""Each layer's own decision on a request: identity policies, permissions boundary, session
policies, one SCP or RCP level, a resource-based policy.

Statement matching is the identity evaluator's (Action/NotAction, Resource/NotResource with
policy variables, three-valued conditions [R6.4]); a resource-based policy first keeps the
statements whose Principal or NotPrincipal names the caller (`principals`), and remembers how
each names it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from app.engine.authorization.context import (
    Decision,
    Document,
    Layer,
    LayerOutcome,
    Principal,
    StatementRef,
)
from app.engine.authorization.principals import (
    MatchKind,
    principal_elements,
    principal_match,
    strongest,
)
from app.engine.budget import WorkBudget
from app.engine.iam.analysis.coverage import Coverage, PolicyStatement, check_requirement
from app.engine.iam.analysis.evaluate import Evaluator, RequestDecision
from app.engine.iam.conditions.facts import Facts
from app.engine.iam.policy.view import PolicyView, read_policies, read_policies_at, read_policy

POLICY_VERSION_WITH_VARIABLES = "2012-10-17"


@dataclass(frozen=True)
class CompiledLayer:
    """A layer's documents, parsed once and decided for many requests."""

    layer: Layer
    level: int | None
    evaluator: Evaluator
    kinds: Mapping[tuple[int, int], MatchKind]  # resource policies: how a statement names


def _view(
    documents: Sequence[Document], pointer: str, each: Sequence[str] = ()
) -> PolicyView | None:
    if not documents:
        return None
    if each:
        return read_policies_at(list(zip(documents, each, strict=True)))
    return read_policies(list(documents), pointer=pointer)


def _variables_allowed(view: PolicyView) -> dict[int, bool]:
    return {
        i: doc.version == POLICY_VERSION_WITH_VARIABLES
        for i, doc in enumerate(view.parsed.documents)
    }


def compile_layer(
    documents: Sequence[Document],
    layer: Layer,
    pointer: str,
    level: int | None = None,
    *,
    each: Sequence[str] = (),
) -> CompiledLayer:
    """`each`, when given, is where each document sits (else they are a list at `pointer`)."""
    return _compiled(_view(documents, pointer, each), layer, level)


def compile_document(document: Document, layer: Layer, pointer: str) -> CompiledLayer:
    """A layer of one document (a permissions boundary), which sits at `pointer` itself."""
    return _compiled(read_policy(document, pointer=pointer), layer, None)


def _compiled(view: PolicyView | None, layer: Layer, level: int | None) -> CompiledLayer:
    if view is None:
        return CompiledLayer(layer, level, Evaluator(()), {})
    return CompiledLayer(
        layer,
        level,
        Evaluator(view.statements, policy_variables=_variables_allowed(view)),
        {},
    )


def compile_resource_policy(
    document: Document,
    principal: Principal,
    *,
    has_boundary: bool,
    trust_policy: bool,
    pointer: str,
    budget: WorkBudget,
) -> CompiledLayer:
    """Keep the statements that name the caller. A `Deny` with `NotPrincipal` names every
    caller that has a permissions boundary, whatever it lists [NOTP, PB, R5.5]; `Allow` with
    `NotPrincipal` is not supported [NOTP] and names nobody (SIM still evaluates it, §8);
    NotPrincipal is not allowed in a trust policy at all [R4.5]. The document sits at
    `pointer` itself."""
    view = read_policy(document, pointer=pointer)
    elements = principal_elements(document, pointer)
    kept = []
    kinds: dict[tuple[int, int], MatchKind] = {}
    for stmt in view.statements:
        element = elements[stmt.stmt_index] if stmt.stmt_index < len(elements) else None
        budget.charge(steps=1 + (len(element.entries) if element else 0))
        if element is None:
            continue
        kind: MatchKind | None
        if element.negated and (trust_policy or stmt.effect != "Deny"):
            kind = None
        elif element.negated and has_boundary:
            kind = "named"
        else:
            kind = principal_match(element, principal)
        if kind is not None:
            kept.append(_own_resource(stmt))
            kinds[(stmt.doc_index, stmt.stmt_index)] = kind
    return CompiledLayer(
        "resource", None, Evaluator(kept, policy_variables=_variables_allowed(view)), kinds
    )


def _own_resource(stmt: PolicyStatement) -> PolicyStatement:
    """A resource-based policy is attached to one resource, and a statement without `Resource`
    or `NotResource` applies to that resource: a role's trust policy has neither (IAM refuses
    them there) [R4.5]. The policy is weighed only for requests on its own resource, so such a
    statement takes in whatever resource it is asked about. (The parser reads an empty
    `Resource` list the same way; IAM refuses that in any policy.)"""
    if stmt.resources or stmt.resources_negated:
        return stmt
    return replace(stmt, resources=("*",))


def _ref(compiled: CompiledLayer, stmt: PolicyStatement) -> StatementRef:
    return StatementRef(
        compiled.layer, compiled.level, stmt.doc_index, stmt.stmt_index, stmt.sid, stmt.pointer
    )


@dataclass(frozen=True)
class LayerDecision:
    """A layer's outcome, and for a resource policy the strongest way an applying `Allow`
    names the caller."""

    outcome: LayerOutcome
    allow_kind: MatchKind | None = None

    @property
    def allows(self) -> bool:
        return self.outcome.decision == "allowed"

    @property
    def denies(self) -> bool:
        return self.outcome.decision == "explicitly_denied"


def decide_layer(
    compiled: CompiledLayer,
    action: str,
    resource: str,
    context: Mapping[str, Sequence[str]],
    budget: WorkBudget,
    note: str = "",
) -> LayerDecision:
    decision: RequestDecision = compiled.evaluator.evaluate(
        action, resource, context, budget=budget
    )
    outcome = LayerOutcome(
        compiled.layer,
        decision.decision,
        decision.definite,
        tuple(_ref(compiled, o.statement) for o in decision.deciding),
        compiled.level,
        note,
    )
    kind = None
    if decision.decision == "allowed" and compiled.kinds:
        kind = strongest(
            [
                compiled.kinds[(o.statement.doc_index, o.statement.stmt_index)]
                for o in decision.deciding
            ]
        )
    return LayerDecision(outcome, kind)


def decide_layer_on_pattern(
    compiled: CompiledLayer,
    action: str,
    pattern: str,
    facts: Facts,
    budget: WorkBudget,
) -> LayerDecision:
    """A layer's decision for every resource `pattern` matches, by containment: it allows when
    its applying Allow statements take in the whole pattern, denies when one applying Deny
    does; an Allow or Deny that may apply to part of it, or only under conditions the facts do
    not settle, makes the outcome indefinite."""
    found = check_requirement(action, pattern, facts, compiled.evaluator.statements, budget=budget)
    decision: Decision
    coverage = found.coverage
    if coverage is Coverage.DENIED:
        decision, definite, statements = "explicitly_denied", True, found.denying
    elif coverage is Coverage.GRANTED:
        decision, definite, statements = "allowed", True, found.granting
    elif coverage is Coverage.CONDITIONAL and found.granted_unless_denied:
        decision, definite, statements = "allowed", False, found.granting
    elif coverage is Coverage.CONDITIONAL:
        decision, definite, statements = "implicitly_denied", False, found.granting
    else:
        decision, definite, statements = "implicitly_denied", not found.denying, found.denying
    refs = tuple(_ref(compiled, s) for s in statements)
    outcome = LayerOutcome(compiled.layer, decision, definite, refs, compiled.level)
    kind = None
    if decision == "allowed" and compiled.kinds:
        kind = strongest([compiled.kinds[(s.doc_index, s.stmt_index)] for s in statements])
    return LayerDecision(outcome, kind)
