"""Request and response of POST /v1/policies/evaluate."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Annotated, Literal, Self, cast

from pydantic import ConfigDict, Field, StringConstraints, ValidationInfo, field_validator

from app.api.schemas.authorization import AccountId, AuthorizationContextIn, PrincipalIn
from app.api.schemas.common import FindingOut, ProvenanceOut, Schema, decision_fields
from app.api.schemas.diff import ArnModeIn, PolicyIn, StatementRef
from app.api.schemas.examples import (
    AUTHORIZATION_REQUEST,
    EVALUATE_REQUEST,
    EVALUATE_RESPONSE,
)
from app.engine.budget import WorkBudget
from app.engine.iam.analysis.evaluate import StatementOutcome
from app.service.evaluate import EvaluationOutcome, RequestOutcome

KmsKeyArn = Annotated[
    str, StringConstraints(pattern=r"^arn:[a-z-]+:kms:[a-z0-9-]+:\d{12}:key/.+$", max_length=2048)
]


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
    resource_account: AccountId | None = Field(
        default=None,
        description="the resource owner's account, for a layered answer when the ARN names "
        "none (S3)",
    )
    sse_kms_key: KmsKeyArn | None = Field(
        default=None,
        description="for a layered answer: the KMS key an S3 object is encrypted with; reading "
        "or writing it makes S3 call KMS as the caller, whose decision then counts too",
    )


class EvaluateRequest(AuthorizationContextIn):
    model_config = ConfigDict(
        json_schema_extra={"examples": [EVALUATE_REQUEST, AUTHORIZATION_REQUEST]}
    )

    principal: PrincipalIn | None = Field(
        default=None,
        validate_default=True,
        description="the caller; required with any layer beyond identity policies, and makes "
        "the answer layered (`AuthorizationResponse`)",
    )
    policy: PolicyIn | None = Field(
        default=None,
        validate_default=True,
        description="the identity policies, or a baseline name; required unless `principal` "
        "is given (a service or anonymous caller has none)",
    )
    requests: list[EvaluationRequestIn] = Field(min_length=1, max_length=10_000)
    arn_mode: ArnModeIn = "segment"
    explain: bool = Field(
        default=True, description="list every statement that did not apply, and why"
    )

    @field_validator("principal")
    @classmethod
    def _caller_of_layers(
        cls, value: PrincipalIn | None, info: ValidationInfo
    ) -> PrincipalIn | None:
        given = [name for name in LAYER_FIELDS if info.data.get(name) is not None]
        if value is None and given:
            raise ValueError(f"`{given[0]}` is weighed for a caller: give `principal`")
        return value

    @field_validator("policy")
    @classmethod
    def _identity_given(cls, value: PolicyIn | None, info: ValidationInfo) -> PolicyIn | None:
        if value is None and _no_caller(info):
            raise ValueError("give the identity policies (or a `principal` to authorize)")
        return value

    @field_validator("requests")
    @classmethod
    def _owner_for_a_caller(
        cls, value: list[EvaluationRequestIn], info: ValidationInfo
    ) -> list[EvaluationRequestIn]:
        if _no_caller(info) and any(r.resource_account for r in value):
            raise ValueError("`resource_account` is weighed for a caller: give `principal`")
        if _no_caller(info) and any(r.sse_kms_key for r in value):
            raise ValueError("`sse_kms_key` is weighed for a caller: give `principal`")
        return value


LAYER_FIELDS = tuple(AuthorizationContextIn.model_fields)


def _no_caller(info: ValidationInfo) -> bool:
    """No principal was given (one given but invalid has its own error, and is not in
    `info.data`)."""
    return "principal" in info.data and info.data["principal"] is None


class ConditionTestOut(Schema):
    operator: str
    key: str

    @classmethod
    def all(cls, tests: Iterable[tuple[str, str]]) -> list[Self]:
        return [cls(operator=op, key=key) for op, key in tests]


class StatementOutcomeOut(Schema):
    statement: StatementRef
    effect: str
    reason: Literal["action", "resource", "condition"] | None = None
    failed_conditions: list[ConditionTestOut] = Field(default_factory=list)
    unknown_conditions: list[ConditionTestOut] = Field(default_factory=list)
    missing_keys: list[str] = Field(
        default_factory=list, description="absent context keys whose presence would change it"
    )

    @classmethod
    def of(cls, o: StatementOutcome, statement: StatementRef) -> Self:
        return cls(
            statement=statement,
            effect=o.statement.effect,
            reason=o.reason,
            failed_conditions=ConditionTestOut.all(o.failed_conditions),
            unknown_conditions=ConditionTestOut.all(o.unknown_conditions),
            missing_keys=list(o.missing_keys),
        )


KeySource = Literal["resource"]


def _key_source(source: str) -> KeySource:
    # The engine derives context keys from the resource alone; the model refuses any other.
    return cast("KeySource", source)


class DerivedKeyOut(Schema):
    key: str = Field(examples=["aws:ResourceAccount"])
    value: str = Field(examples=["111122223333"])
    source: KeySource = Field(description="the field of the request it was read from")
    detail: str = Field(examples=["the account field of the resource ARN"])


class NotDerivedKeyOut(Schema):
    key: str = Field(examples=["aws:ResourceAccount"])
    source: KeySource = Field(description="the field of the request it depends on")
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

    @classmethod
    def all(
        cls,
        decisions: Sequence[RequestOutcome],
        asked: Sequence[tuple[str, str]],
        *,
        explain: bool,
        budget: WorkBudget | None = None,
    ) -> list[Self]:
        """One result per (action, resource) asked, in order.

        A batch repeats itself: every outcome names one of a few statements, and the engine
        shares the outcome of a statement that does not apply for its action or resource
        between requests. Each statement's StatementRef and each shared outcome is built once
        here, and the same model is used wherever it recurs (the serialiser writes it out each
        time); with `explain` on, that is most of a 10,000-request answer. They are keyed by
        identity, which is sound because `decisions` holds every one of those objects until
        this returns. Each outcome listed is an item of `budget`: with `explain`, many
        statements times many requests is a great many.
        """
        refs: dict[int, StatementRef] = {}
        built: dict[int, StatementOutcomeOut] = {}

        def outcomes(items: Sequence[StatementOutcome]) -> list[StatementOutcomeOut]:
            if budget is not None and items:
                budget.charge(items=len(items), at="/explain")
            out = []
            for o in items:
                made = built.get(id(o))
                if made is None:
                    ref = refs.get(id(o.statement))
                    if ref is None:
                        ref = refs[id(o.statement)] = StatementRef.model_validate(o.statement)
                    made = built[id(o)] = StatementOutcomeOut.of(o, ref)
                out.append(made)
            return out

        return [
            cls(
                index=i,
                action=action,
                resource=resource,
                decision=outcome.decision.decision,
                definite=outcome.decision.definite,
                deciding=outcomes(outcome.decision.deciding),
                not_applied=outcomes(outcome.decision.not_applied) if explain else [],
                undecided=outcomes(outcome.decision.undecided),
                missing_keys=list(outcome.decision.missing_keys),
                derived_context=[
                    DerivedKeyOut(
                        key=d.key, value=d.value, source=_key_source(d.source), detail=d.detail
                    )
                    for d in outcome.context.derived
                ],
                not_derived=[
                    NotDerivedKeyOut(key=u.key, source=_key_source(u.source), reason=u.reason)
                    for u in outcome.context.unknown
                ],
                findings=FindingOut.all(outcome.findings),
            )
            for i, (outcome, (action, resource)) in enumerate(zip(decisions, asked, strict=True))
        ]


class EvaluateResponse(Schema):
    model_config = ConfigDict(json_schema_extra={"examples": [EVALUATE_RESPONSE]})

    decision_id: str
    provenance: ProvenanceOut
    results: list[EvaluationResultOut]
    findings: list[FindingOut]

    @classmethod
    def of(
        cls,
        outcome: EvaluationOutcome,
        asked: Sequence[tuple[str, str]],
        *,
        explain: bool,
        budget: WorkBudget | None = None,
    ) -> Self:
        return cls(
            **decision_fields(outcome.provenance),
            results=EvaluationResultOut.all(
                outcome.decisions, asked, explain=explain, budget=budget
            ),
            findings=FindingOut.all(outcome.view.findings),
        )
