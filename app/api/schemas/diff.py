"""Request and response of POST /v1/policies/diff."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Annotated, Any, Literal, Self

from pydantic import (
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    TypeAdapter,
    model_validator,
)

from app.api.schemas.authorization import (
    AuthorizationContextIn,
    LayerName,
    LayerOutcomeOut,
    LayerStatementOut,
    PolicyDocumentIn,
    PrincipalIn,
    RoleDocumentIn,
)
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
from app.api.schemas.examples import (
    DIFF_REQUEST,
    DIFF_REQUEST_DOCUMENTS,
    DIFF_REQUEST_WILL_RUN,
    DIFF_RESPONSE,
)
from app.engine.iam.analysis.coverage import Coverage
from app.engine.policy_diff import Gap, worst_impact
from app.engine.strict_model import located_error
from app.engine.will_run import RunAnswer, RunCheck
from app.service.diff import DiffOutcome

ArnModeIn = Literal["segment", "strict-segment", "whole-string"]
RoleArn = Annotated[
    str, StringConstraints(pattern=r"^arn:[a-z-]+:iam::\d{12}:role/.+$", max_length=2048)
]


class PolicyIn(Schema):
    documents: list[RoleDocumentIn] | None = Field(
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
    document: PolicyDocumentIn = Field(description="the policy as it stands")


class ActionRolePoliciesIn(Schema):
    role_arn: RoleArn = Field(description="the action or rule role, as its `roleArn` names it")
    documents: list[RoleDocumentIn] = Field(
        min_length=1, max_length=30, description="its policy documents, as objects or JSON text"
    )
    permissions_boundary: PolicyDocumentIn | None = Field(
        default=None, description="its permissions boundary"
    )


class RunContextIn(AuthorizationContextIn):
    """The service role's whole authorization context: with it, `will_run` decides each
    permission the pipelines need, naming the layer that decides it."""

    principal: PrincipalIn | None = Field(
        default=None,
        description="the service role the current policies belong to, when the pipelines' "
        "`roleArn` does not name one whole role ARN",
    )
    action_roles: list[ActionRolePoliciesIn] = Field(
        default_factory=list,
        max_length=100,
        description="the policies of the action and rule roles the pipelines declare; the "
        "permissions of a role not given are undecided",
    )


class CurrentPolicyIn(PolicyIn):
    companions: list[CompanionPolicyIn] = Field(
        default_factory=list,
        max_length=100,
        description="the trust, bucket and key policies as they stand: each is compared with "
        "the one the pipelines need (`required` must give pipelines)",
    )
    from_sources: bool | None = Field(
        default=None,
        description="or `true`: the policies the pipelines' own CloudFormation templates or "
        "Terraform files (`required.sources`) attach to the service role their pipeline names, "
        "when that role is a resource of the same source (CloudFormation: inline `Policies`, "
        "`AWS::IAM::Policy`, `AWS::IAM::RolePolicy` and `AWS::IAM::ManagedPolicy` documents; "
        "Terraform: `inline_policy` blocks, `aws_iam_role_policy`, and `aws_iam_policy` "
        "attached by `managed_policy_arns` or a policy attachment, as `jsonencode`, JSON text "
        "or an `aws_iam_policy_document`); the trust, artifact bucket and key policies the "
        "sources define for what the pipelines name are then compared as `companions` too "
        "(one given in `companions` wins)",
    )

    authorization: RunContextIn | None = Field(
        default=None,
        description="the rest of the service role's authorization context (permissions "
        "boundary, session policies, SCP and RCP levels, resource policies) and the action "
        "roles' policies: the answer's `will_run` then decides each permission the pipelines "
        "need with every layer; `companions` count as the resource policies of their targets",
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
    policy: PolicyDocumentIn | None = Field(
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


_PIPELINES = "give `required.pipelines` or `required.sources`, not `required.policy`"


class DiffRequest(Schema):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [DIFF_REQUEST, DIFF_REQUEST_DOCUMENTS, DIFF_REQUEST_WILL_RUN]
        }
    )

    current: CurrentPolicyIn
    required: RequiredIn
    arn_mode: ArnModeIn = Field(
        default="segment",
        description="how `*` in a Resource ARN treats `:` (see the IAM notes on ARN wildcards)",
    )

    @model_validator(mode="after")
    def _companions_need_pipelines(self) -> Self:
        if self.required.policy is None:
            return self
        # Each at the part that needs pipelines: `current` is validated before `required`, so
        # a field validator would see both only from `required`, and say it there.
        problems: list[tuple[tuple[str | int, ...], str, Any]] = []
        if self.current.companions:
            problems.append(
                (
                    ("current", "companions"),
                    f"`current.companions` are compared with what pipelines need: {_PIPELINES}",
                    self.current.companions,
                )
            )
        if self.current.authorization is not None:
            problems.append(
                (
                    ("current", "authorization"),
                    f"`current.authorization` decides what pipelines need: {_PIPELINES}",
                    self.current.authorization,
                )
            )
        if problems:
            raise located_error(type(self), problems)
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


class RunCheckOut(Schema):
    role: str = Field(description="the role that makes the request")
    action: str
    resource: str = Field(description="the resource, or the pattern standing for them")
    necessity: Literal["required", "optional", "unverifiable"] = Field(
        description="`required`: needed for sure (a denial fails the run); `optional`: AWS "
        "documents it as optional (it does not count); `unverifiable`: needed depending on a "
        "value known only at run time, or another policy may grant it (the key policy): it is "
        "decided here with the policies given"
    )
    decision: Literal["allowed", "explicitly_denied", "implicitly_denied"] | None = Field(
        description="null when it could not be decided (`note` says why)"
    )
    definite: bool = Field(description="false when what decides it was not given or not known")
    layer: LayerName | None = Field(description="the layer that decided it")
    level: int | None = Field(description="its organisation level, for an SCP or RCP")
    statement: LayerStatementOut | None = Field(description="the statement that decided it")
    reason: str
    note: str | None = Field(description="why the decision may not stand, or was not made")
    layers: list[LayerOutcomeOut] = Field(description="each layer's own outcome")
    impact: ImpactOut | None = Field(description="what a denial does, from the profiles")
    required_by: list[RequiredByOut]

    @classmethod
    def of(cls, check: RunCheck) -> Self:
        d = check.decision
        worst = worst_impact(check.required_by)
        return cls(
            role=check.role,
            action=check.action,
            resource=check.resource,
            necessity=check.necessity,
            decision=d.decision if d else None,
            definite=check.definite,
            layer=d.layer if d else None,
            level=d.level if d else None,
            statement=LayerStatementOut.model_validate(d.statement) if d and d.statement else None,
            reason=d.reason if d else "",
            note=check.note,
            layers=[LayerOutcomeOut.model_validate(o) for o in d.layers] if d else [],
            impact=ImpactOut.model_validate(worst.impact) if worst and worst.impact else None,
            required_by=read(REQUIRED_BY, check.required_by),
        )


class RunSummaryOut(Schema):
    allowed: int = Field(description="permissions definitely allowed")
    denied: int = Field(description="permissions definitely denied")
    undecided: int = Field(description="permissions not decided for sure")


class WillRunOut(Schema):
    verdict: Literal["runs", "fails", "undecided"] = Field(
        description="`fails`: a permission the pipelines need for sure is denied; "
        "`undecided`: one is not definitely allowed; `runs`: every one is allowed"
    )
    summary: RunSummaryOut
    checks: list[RunCheckOut]

    @classmethod
    def of(cls, answer: RunAnswer) -> Self:
        checks = answer.checks
        allowed = sum(c.allowed and c.definite for c in checks)
        denied = sum(not c.allowed and c.definite for c in checks)
        return cls(
            verdict=answer.verdict,
            summary=RunSummaryOut(
                allowed=allowed, denied=denied, undecided=len(checks) - allowed - denied
            ),
            checks=[RunCheckOut.of(c) for c in checks],
        )


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
        "needed depends on a value known only at run time, another policy (a key policy) "
        "may grant them, or the policy read from a template grants them only through a value "
        "the template does not determine"
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
    will_run: WillRunOut | None = Field(
        default=None,
        description="with `current.authorization`: each permission the pipelines need "
        "(the service role's and each action role's), allowed or denied and by which layer",
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
            will_run=None if outcome.will_run is None else WillRunOut.of(outcome.will_run),
            findings=FindingOut.all(outcome.findings),
        )
