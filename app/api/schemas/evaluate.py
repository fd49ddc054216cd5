"""Request and response of POST /v1/policies/evaluate."""

from __future__ import annotations

from typing import Literal

from pydantic import ConfigDict, Field

from app.api.schemas.common import FindingOut, ProvenanceOut, Schema
from app.api.schemas.diff import ArnModeIn, CurrentPolicyIn, StatementRef
from app.api.schemas.examples import EVALUATE_REQUEST, EVALUATE_RESPONSE


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

    policy: CurrentPolicyIn = Field(description="the identity policies, or a baseline name")
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


class EvaluationResultOut(Schema):
    index: int
    action: str
    resource: str
    decision: Literal["allowed", "explicitly_denied", "implicitly_denied"]
    definite: bool = Field(description="false when a statement's condition could not be decided")
    deciding: list[StatementOutcomeOut]
    not_applied: list[StatementOutcomeOut]
    undecided: list[StatementOutcomeOut]
    missing_keys: list[str]
    findings: list[FindingOut]


class EvaluateResponse(Schema):
    model_config = ConfigDict(json_schema_extra={"examples": [EVALUATE_RESPONSE]})

    decision_id: str
    provenance: ProvenanceOut
    results: list[EvaluationResultOut]
    findings: list[FindingOut]
