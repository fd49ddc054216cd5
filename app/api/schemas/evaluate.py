"""Request and response of POST /v1/policies/evaluate."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from pydantic import ConfigDict, Field

from app.api.schemas.common import FindingOut, ProvenanceOut, Schema, findings_json
from app.api.schemas.diff import (
    ArnModeIn,
    PolicyIn,
    StatementRef,
    condition_tests_json,
    statement_ref_json,
)
from app.api.schemas.examples import EVALUATE_REQUEST, EVALUATE_RESPONSE
from app.engine.budget import WorkBudget
from app.engine.iam.analysis.evaluate import StatementOutcome
from app.engine.iam.conditions.request_context import RequestContext
from app.service.evaluate import RequestOutcome


class EvaluationRequestIn(Schema):
    action: str = Field(min_length=1, max_length=200, examples=["codebuild:StartBuild"])
    resource: str = Field(
        default="*",
        min_length=1,
        max_length=2048,
        examples=["arn:aws:codebuild:eu-west-2:111122223333:project/my-build"],
    )
    context: dict[str, str | list[str]] = Field(
        default_factory=dict,
        description="request context keys as IAM names them; multi-valued keys as lists",
        examples=[{"iam:PassedToService": "ecs-tasks.amazonaws.com"}],
    )


class EvaluateRequest(Schema):
    model_config = ConfigDict(json_schema_extra={"examples": [EVALUATE_REQUEST]})

    policy: PolicyIn = Field(description="the identity policies, or a baseline name")
    requests: list[EvaluationRequestIn] = Field(min_length=1, max_length=10_000)
    arn_mode: ArnModeIn = "segment"
    explain: bool = Field(
        default=True, description="list every statement that did not apply, and why"
    )


class ConditionTestOut(Schema):
    operator: str
    key: str


class StatementOutcomeOut(Schema):
    statement: StatementRef
    effect: str
    reason: Literal["action", "resource", "condition"] | None = None
    failed_conditions: list[ConditionTestOut] = Field(default_factory=list)
    unknown_conditions: list[ConditionTestOut] = Field(default_factory=list)
    missing_keys: list[str] = Field(
        default_factory=list, description="absent context keys whose presence would change it"
    )


class DerivedKeyOut(Schema):
    key: str = Field(examples=["aws:ResourceAccount"])
    value: str = Field(examples=["111122223333"])
    source: Literal["resource"] = Field(description="the field of the request it was read from")
    detail: str = Field(examples=["the account field of the resource ARN"])


class NotDerivedKeyOut(Schema):
    key: str = Field(examples=["aws:ResourceAccount"])
    source: Literal["resource"] = Field(description="the field of the request it depends on")
    reason: str


class EvaluationResultOut(Schema):
    index: int
    action: str
    resource: str
    decision: Literal["allowed", "explicitly_denied", "implicitly_denied"]
    definite: bool = Field(
        description="false when a statement's condition could not be decided (an unparseable "
        "value, or a key listed in `not_derived`)"
    )
    deciding: list[StatementOutcomeOut]
    not_applied: list[StatementOutcomeOut]
    undecided: list[StatementOutcomeOut]
    missing_keys: list[str]
    derived_context: list[DerivedKeyOut] = Field(
        description="context keys the request determines, added where `context` did not give "
        "them (aws:ResourceAccount from the resource ARN's account)"
    )
    not_derived: list[NotDerivedKeyOut] = Field(
        description="context keys the request has but whose value it does not determine (an "
        "S3 ARN names no account) and `context` did not give: conditions on them are undecided"
    )
    findings: list[FindingOut]


class EvaluateResponse(Schema):
    model_config = ConfigDict(json_schema_extra={"examples": [EVALUATE_RESPONSE]})

    decision_id: str
    provenance: ProvenanceOut
    results: list[EvaluationResultOut]
    findings: list[FindingOut]


def statement_outcome_json(
    o: StatementOutcome, statement: dict[str, Any] | None = None
) -> dict[str, Any]:
    """A StatementOutcomeOut; `statement` is the statement's StatementRef when already built."""
    s = o.statement
    return {
        "statement": statement if statement is not None else statement_ref_json(s),
        "effect": s.effect,
        "reason": o.reason,
        "failed_conditions": condition_tests_json(o.failed_conditions),
        "unknown_conditions": condition_tests_json(o.unknown_conditions),
        "missing_keys": o.missing_keys,
    }


def _derived_json(context: RequestContext) -> list[dict[str, Any]]:
    return [
        {"key": d.key, "value": d.value, "source": d.source, "detail": d.detail}
        for d in context.derived
    ]


def _not_derived_json(context: RequestContext) -> list[dict[str, Any]]:
    return [{"key": u.key, "source": u.source, "reason": u.reason} for u in context.unknown]


def evaluation_results_json(
    decisions: Sequence[RequestOutcome],
    asked: Sequence[tuple[str, str]],
    *,
    explain: bool,
    budget: WorkBudget | None = None,
) -> list[dict[str, Any]]:
    """One EvaluationResultOut per (action, resource) asked, in order.

    A batch repeats itself: every outcome names one of a few statements, and the engine shares
    the outcome of a statement that does not apply for its action or resource between requests.
    Each statement's StatementRef and each shared outcome is built once here, and the same dict
    is used wherever it recurs (orjson writes it out each time); with `explain` on, that is most
    of a 10,000-request answer. They are keyed by identity, which is sound because `decisions`
    holds every one of those objects until this returns. Each outcome listed is an item of
    `budget`: with `explain`, many statements times many requests is a great many.
    """
    refs: dict[int, dict[str, Any]] = {}
    built: dict[int, dict[str, Any]] = {}

    def outcomes(items: Sequence[StatementOutcome]) -> list[dict[str, Any]]:
        if budget is not None and items:
            budget.charge(items=len(items), at="/explain")
        out = []
        for o in items:
            made = built.get(id(o))
            if made is None:
                ref = refs.get(id(o.statement))
                if ref is None:
                    ref = refs[id(o.statement)] = statement_ref_json(o.statement)
                made = built[id(o)] = statement_outcome_json(o, ref)
            out.append(made)
        return out

    return [
        {
            "index": i,
            "action": action,
            "resource": resource,
            "decision": outcome.decision.decision,
            "definite": outcome.decision.definite,
            "deciding": outcomes(outcome.decision.deciding),
            "not_applied": outcomes(outcome.decision.not_applied) if explain else [],
            "undecided": outcomes(outcome.decision.undecided),
            "missing_keys": outcome.decision.missing_keys,
            "derived_context": _derived_json(outcome.context),
            "not_derived": _not_derived_json(outcome.context),
            "findings": findings_json(outcome.findings),
        }
        for i, (outcome, (action, resource)) in enumerate(zip(decisions, asked, strict=True))
    ]
