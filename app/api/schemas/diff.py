"""Request and response of POST /v1/policies/diff."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Annotated, Any, Literal, Self

from pydantic import BeforeValidator, ConfigDict, Field, TypeAdapter, model_validator

from app.api.schemas.common import (
    Answer,
    FindingOut,
    ProfileSelectionIn,
    ProvenanceOut,
    Schema,
    decision_fields,
    read,
)
from app.api.schemas.compute import (
    REQUIRED_BY,
    ActionHintsIn,
    CompanionReasonOut,
    ComputeContextIn,
    ImpactOut,
    PipelineSourceIn,
    RequiredByOut,
)
from app.api.schemas.examples import DIFF_REQUEST, DIFF_REQUEST_DOCUMENTS, DIFF_RESPONSE
from app.engine.iam.analysis.coverage import Coverage
from app.engine.policy_diff import Gap, worst_impact
from app.service.diff import DiffOutcome

ArnModeIn = Literal["segment", "strict-segment", "whole-string"]


class PolicyIn(Schema):
    documents: list[dict[str, Any] | str] | None = Field(
        default=None,
        min_length=1,
        max_length=30,
        description="the role's policy documents (inline and managed), as objects or JSON text",
    )
    baseline: str | None = Field(
        default=None, description="or the name of a baseline, e.g. `legacy-2019`"
    )

    @model_validator(mode="after")
    def _one_source(self) -> Self:
        if (self.documents is None) == (self.baseline is None):
            raise ValueError("give exactly one of `documents` and `baseline`")
        return self


ComparedKind = Literal["trust-policy", "bucket-policy", "key-policy"]


class CompanionPolicyIn(Schema):
    kind: ComparedKind
    target: str = Field(
        min_length=1,
        max_length=2048,
        description="the role ARN, bucket name or key ARN whose policy this is, as compute's "
        "`companions` names it",
    )
    document: dict[str, Any] | str = Field(description="the policy as it stands")


class CurrentPolicyIn(PolicyIn):
    companions: list[CompanionPolicyIn] = Field(
        default_factory=list,
        max_length=100,
        description="the trust, bucket and key policies as they stand: each is compared with "
        "the one the pipelines need (`required` must give pipelines)",
    )
    from_sources: bool | None = Field(
        default=None,
        description="or `true`: the policies the pipelines' own CloudFormation templates "
        "(`required.sources`) attach to the service role their pipeline names, when that role "
        "is a resource of the same template (inline `Policies`, `AWS::IAM::Policy`, "
        "`AWS::IAM::RolePolicy` and `AWS::IAM::ManagedPolicy` documents); the trust, artifact "
        "bucket and key policies the templates define for what the pipelines name are then "
        "compared as `companions` too (one given in `companions` wins)",
    )

    @model_validator(mode="after")
    def _one_source(self) -> Self:
        given = [self.documents is not None, self.baseline is not None, bool(self.from_sources)]
        if sum(given) != 1:
            raise ValueError("give exactly one of `documents`, `baseline` and `from_sources`")
        return self


class RequiredIn(Schema):
    pipelines: list[dict[str, Any]] | None = Field(
        default=None, max_length=1000, description="pipeline documents sharing the role"
    )
    sources: list[PipelineSourceIn] = Field(
        default_factory=list, max_length=200, description="pipeline definitions as text"
    )
    context: ComputeContextIn = Field(default_factory=ComputeContextIn)
    hints: list[ActionHintsIn] = Field(default_factory=list, max_length=5000)
    policy: dict[str, Any] | str | None = Field(
        default=None, description="or a policy document taken as what is required"
    )
    profiles: ProfileSelectionIn | None = Field(
        default=None, description="profiles as of a date, a set revision or pinned revisions"
    )

    @model_validator(mode="after")
    def _one_source(self) -> Self:
        has_pipelines = bool(self.pipelines) or bool(self.sources)
        if has_pipelines == (self.policy is not None):
            raise ValueError("give pipelines (`pipelines` and/or `sources`) or a `policy`")
        return self


class DiffRequest(Schema):
    model_config = ConfigDict(
        json_schema_extra={"examples": [DIFF_REQUEST, DIFF_REQUEST_DOCUMENTS]}
    )

    current: CurrentPolicyIn
    required: RequiredIn
    arn_mode: ArnModeIn = Field(
        default="segment",
        description="how `*` in a Resource ARN treats `:` (see the IAM notes on ARN wildcards)",
    )

    @model_validator(mode="after")
    def _companions_need_pipelines(self) -> Self:
        if self.current.companions and self.required.policy is not None:
            raise ValueError(
                "`current.companions` are compared with what pipelines need: give "
                "`required.pipelines` or `required.sources`, not `required.policy`"
            )
        return self


class StatementRef(Answer):
    document: int = Field(validation_alias="doc_index")
    statement: int = Field(validation_alias="stmt_index")
    sid: str | None
    path: str = Field(validation_alias="pointer")


STATEMENT_REFS = TypeAdapter(list[StatementRef])


def _condition(
    condition: Mapping[str, Mapping[str, Any]] | None,
) -> dict[str, dict[str, Any]] | None:
    """A gap's condition block as answers give it: null when it has none."""
    return {k: dict(v) for k, v in condition.items()} if condition else None


GapCondition = Annotated[dict[str, dict[str, Any]] | None, BeforeValidator(_condition)]
# A reason the engine leaves out is sent as empty text.
Reason = Annotated[str, BeforeValidator(lambda reason: reason or "")]


def _condition_tests(tests: Iterable[Any]) -> list[Any]:
    """The engine's (operator, key) pairs as answers give them; tests read from an answer's JSON
    are objects already."""
    return [{"operator": t[0], "key": t[1]} if isinstance(t, tuple) else t for t in tests]


class MissingOut(Schema):
    status: Literal["not_granted", "explicitly_denied"]
    actions: list[str]
    resources: list[str]
    condition: dict[str, dict[str, Any]] | None
    required_by: list[RequiredByOut]
    impact: ImpactOut | None = Field(description="the worst documented effect of the gap")
    denied_by: list[StatementRef]

    @classmethod
    def of(cls, g: Gap) -> Self:
        worst = worst_impact(g.required_by)
        return cls(
            status="explicitly_denied" if g.coverage is Coverage.DENIED else "not_granted",
            actions=list(g.actions),
            resources=list(g.resources),
            condition=_condition(g.condition),
            required_by=read(REQUIRED_BY, g.required_by),
            impact=ImpactOut.model_validate(worst.impact) if worst and worst.impact else None,
            denied_by=read(STATEMENT_REFS, g.denying),
        )


class ConditionalOut(Answer):
    actions: list[str]
    resources: list[str]
    condition: GapCondition
    required_by: list[RequiredByOut]
    granted_by: list[StatementRef] = Field(validation_alias="granting")
    denied_by: list[StatementRef] = Field(validation_alias="denying")
    deciding_conditions: Annotated[list[dict[str, str]], BeforeValidator(_condition_tests)] = Field(
        validation_alias="deciding",
        description="the (operator, key) tests of the current policy that decide it",
    )


class UnverifiableOut(Answer):
    actions: list[str]
    resources: list[str] = Field(
        description="the shape that is known: `*` stands for what is not (a name, an account)"
    )
    condition: GapCondition
    required_by: list[RequiredByOut]
    reason: Reason = Field(description="why it is neither granted as such nor missing")
    granted_by: list[StatementRef] = Field(
        validation_alias="granting",
        description="statements that grant the actions on resources of this shape",
    )


class OptionalOut(Answer):
    actions: list[str]
    resources: list[str]
    condition: GapCondition
    required_by: list[RequiredByOut]
    reason: Reason = Field(description="what works without it, as AWS documents it")


CONDITIONAL = TypeAdapter(list[ConditionalOut])
UNVERIFIABLE = TypeAdapter(list[UnverifiableOut])
OPTIONAL = TypeAdapter(list[OptionalOut])


class ServiceExcessOut(Answer):
    service: str
    total: int
    by_access_level: dict[str, int]
    examples: list[str]


class BroaderResourcesOut(Answer):
    action: str
    granted: list[str]
    required: list[str]
    not_resource: bool


class WildcardOut(Answer):
    pattern: str
    services: list[str]
    actions_today: int = Field(description="catalogue actions it matches today; more may come")
    path: str = Field(validation_alias="pointer")


class ExcessOut(Answer):
    total_actions: int
    by_service: list[ServiceExcessOut] = Field(validation_alias="services")
    broader_resources: list[BroaderResourcesOut]
    wildcards: list[WildcardOut]
    privilege_escalation: list[str]


class DiffSummaryOut(Schema):
    required: int
    granted: int
    missing: int
    conditional: int
    unverifiable: int
    optional: int
    excess_actions: int


DiffVerdict = Literal["sufficient", "insufficient", "conditional", "unverified"]


class CompanionGapOut(Answer):
    status: Annotated[
        Literal["not_granted", "explicitly_denied", "conditional"], BeforeValidator(str)
    ] = Field(validation_alias="coverage")
    sid: str
    effect: str
    principal_kind: Annotated[Literal["AWS", "Service", "*"], BeforeValidator(str)]
    principal: str | None = Field(description="null when the principal is `*`")
    actions: list[str]
    resources: list[str]
    condition: GapCondition
    reasons: list[CompanionReasonOut]
    impact: ImpactOut | None = Field(description="the documented effect of the gap, when known")


class UnneededStatementOut(Answer):
    sid: str | None
    path: str = Field(validation_alias="pointer")


class CompanionDiffOut(Answer):
    kind: Annotated[ComparedKind, BeforeValidator(str)]
    target: str
    path: str = Field(validation_alias="pointer", description="where the request gives it")
    verdict: Literal["sufficient", "insufficient", "conditional", "not_required"] = Field(
        description="`not_required`: the pipelines need no statement of this document"
    )
    missing: list[CompanionGapOut] = Field(
        description="statements the pipelines need, per principal, that it does not grant"
    )
    conditional: list[CompanionGapOut]
    unneeded: list[UnneededStatementOut] = Field(
        description="Allow statements that grant nothing the pipelines need (a bucket's or "
        "key's owner may need them still)"
    )


COMPANION_DIFFS = TypeAdapter(list[CompanionDiffOut])


class DiffResponse(Schema):
    model_config = ConfigDict(json_schema_extra={"examples": [DIFF_RESPONSE]})

    decision_id: str
    provenance: ProvenanceOut
    verdict: DiffVerdict = Field(
        description="`unverified`: nothing is missing or conditional, but some requirements "
        "could not be checked (see `unverifiable`)"
    )
    least_privilege: bool
    summary: DiffSummaryOut
    missing: list[MissingOut]
    conditional: list[ConditionalOut]
    unverifiable: list[UnverifiableOut] = Field(
        description="required permissions that could not be checked: their resource's name is "
        "not known but the policy grants them on resources of that shape, whether they are "
        "needed depends on a value known only at run time, or another policy (a key policy) "
        "may grant them"
    )
    optional: list[OptionalOut] = Field(
        description="permissions AWS documents as optional that the policy leaves out"
    )
    excess: ExcessOut
    patched_policy: dict[str, Any] = Field(
        description="the required statements plus the current policy's Deny statements"
    )
    patched_verdict: DiffVerdict
    companions: list[CompanionDiffOut] = Field(
        description="each trust, bucket or key policy of `current.companions` against the one "
        "the pipelines need (its own verdict; `verdict` is the service-role policy's)"
    )
    findings: list[FindingOut]

    @classmethod
    def of(cls, outcome: DiffOutcome) -> Self:
        result = outcome.result
        return cls(
            **decision_fields(outcome.provenance),
            verdict=result.verdict,
            least_privilege=result.least_privilege,
            summary=DiffSummaryOut(
                required=outcome.required_count,
                granted=result.granted,
                missing=len(result.missing),
                conditional=len(result.conditional),
                unverifiable=len(result.unverifiable),
                optional=len(result.optional),
                excess_actions=result.excess.total_actions,
            ),
            missing=[MissingOut.of(g) for g in outcome.missing],
            conditional=read(CONDITIONAL, outcome.conditional),
            unverifiable=read(UNVERIFIABLE, outcome.unverifiable),
            optional=read(OPTIONAL, outcome.optional),
            excess=ExcessOut.model_validate(result.excess),
            patched_policy=outcome.patched_policy,
            patched_verdict=outcome.patched_verdict,
            companions=read(COMPANION_DIFFS, outcome.companions),
            findings=FindingOut.all(outcome.findings),
        )
