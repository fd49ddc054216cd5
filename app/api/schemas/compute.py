"""Request and response of POST /v1/policies/compute."""

from __future__ import annotations

from typing import Annotated, Any, Literal, Self

from pydantic import AliasPath, BeforeValidator, ConfigDict, Field, TypeAdapter, model_validator

from app.api.schemas.common import (
    Answer,
    FindingOut,
    ProfileSelectionIn,
    ProvenanceOut,
    Schema,
    decision_fields,
)
from app.api.schemas.examples import COMPUTE_REQUEST, COMPUTE_RESPONSE
from app.service.compute import ComputeOutcome

ACCOUNT_PATTERN = r"^\d{12}$"
REGION_PATTERN = r"^[a-z]{2}(-[a-z]+)+-\d+$"
PARTITION_PATTERN = r"^aws(-[a-z]+)*$"


class ComputeContextIn(Schema):
    account: str | None = Field(default=None, pattern=ACCOUNT_PATTERN, examples=["111122223333"])
    region: str | None = Field(default=None, pattern=REGION_PATTERN, examples=["eu-west-2"])
    partition: str | None = Field(default=None, pattern=PARTITION_PATTERN, examples=["aws"])


class ActionHintsIn(Schema):
    pipeline: str | None = Field(
        default=None, description="pipeline name; may be left out when the request has one pipeline"
    )
    stage: str
    action: str
    hints: dict[str, list[str] | str] = Field(
        description="hint name -> value(s), e.g. pass_roles: [task role ARN, execution role ARN]"
    )


class PipelineSourceIn(Schema):
    format: Literal["codepipeline-json", "cloudformation", "terraform"] | None = Field(
        default=None, description="detected from the text when left out"
    )
    body: str = Field(
        max_length=5_000_000,
        description="get-pipeline JSON, a CloudFormation template (JSON or YAML, short-form "
        "tags included) or Terraform HCL with `aws_codepipeline` resources",
    )
    parameters: dict[str, str] | None = Field(
        default=None, description="CloudFormation parameter values (override the defaults)"
    )
    variables: dict[str, str] | None = Field(
        default=None, description="Terraform variable values (override the defaults)"
    )
    stack_name: str | None = Field(
        default=None,
        min_length=1,
        max_length=128,
        pattern=r"^[A-Za-z][A-Za-z0-9-]*$",
        description="the CloudFormation stack the template is deployed as (`AWS::StackName`, "
        "and the prefix of the names CloudFormation generates)",
    )


class PipelinesIn(Schema):
    """Pipelines as documents and/or source texts; every pipeline found shares the role."""

    pipelines: list[dict[str, Any]] = Field(
        default_factory=list,
        max_length=1000,
        description="`aws codepipeline get-pipeline` outputs (with or without the outer "
        "`pipeline` key and `metadata`), or CloudFormation templates as JSON objects",
    )
    sources: list[PipelineSourceIn] = Field(
        default_factory=list, max_length=200, description="pipeline definitions as text"
    )
    context: ComputeContextIn = Field(default_factory=ComputeContextIn)
    hints: list[ActionHintsIn] = Field(default_factory=list, max_length=5000)
    profiles: ProfileSelectionIn | None = Field(
        default=None, description="profiles as of a date, a set revision or pinned revisions"
    )

    @model_validator(mode="after")
    def _some_pipeline(self) -> Self:
        if not self.pipelines and not self.sources:
            raise ValueError("give at least one entry in `pipelines` or `sources`")
        return self


class ComputeRequest(PipelinesIn):
    model_config = ConfigDict(json_schema_extra={"examples": [COMPUTE_REQUEST]})


class CitationOut(Answer):
    title: str
    url: str
    as_of: str | None = None


class ImpactOut(Answer):
    behaviour: str = Field(description="CREATE, FAST, LATE, HANG, DEGRADED or TRANSIENT")
    message: str
    evidence: str = Field(description="V verbatim, P paraphrase, D documented, I inferred")


class NeededByOut(Answer):
    """Where in the pipelines something is needed: an action, a stage-condition rule, or (stage
    and action null) the pipeline itself."""

    pipeline: str
    stage: str | None
    action: str | None
    rule: str | None = Field(
        description="the stage-condition rule that needs it (then `action` is null)"
    )


class RequiredByOut(NeededByOut):
    action_type: str = Field(validation_alias=AliasPath("action_type", "label"))
    profile_revision: int
    profile_statement: str
    reason: str
    inferred: bool
    citation: CitationOut
    impact: ImpactOut | None
    path: str = Field(validation_alias="pointer")


REQUIRED_BY = TypeAdapter(list[RequiredByOut])

# A statement's condition block as answers give it: null when it has none.
Condition = Annotated[
    dict[str, dict[str, str | list[str]]] | None, BeforeValidator(lambda c: c or None)
]


class StatementOut(Answer):
    sid: str
    effect: str
    actions: list[str]
    resources: list[str]
    condition: Condition
    required_by: list[RequiredByOut]


class SizeOut(Answer):
    characters: int = Field(description="policy size as IAM counts it (white space excluded)")
    managed_policy_quota: int = Field(validation_alias="managed_quota")
    inline_policies_quota: int = Field(validation_alias="inline_quota")
    fits_managed_policy: bool = Field(validation_alias="fits_managed")
    fits_inline_policies: bool = Field(validation_alias="fits_inline")


class ActionRoleOut(Answer):
    role_arn: str
    policy: dict[str, Any] = Field(validation_alias="document")
    statements: list[StatementOut]


def _label(key: object) -> object:
    return getattr(key, "label", key)


class CompanionReasonOut(NeededByOut):
    action_type: Annotated[str | None, BeforeValidator(_label)] = Field(
        description="the action type whose profile holds the statement; null for what "
        "CodePipeline itself needs"
    )
    profile_revision: int | None
    companion_statement: str = Field(
        validation_alias="statement",
        description="the id of the profile's companion statement or of the CodePipeline fact",
    )
    reason: str
    inferred: bool
    citation: CitationOut
    path: str = Field(validation_alias="pointer")


class CompanionStatementOut(Answer):
    sid: str
    effect: str
    principal_kind: Annotated[Literal["AWS", "Service", "*"], BeforeValidator(str)]
    principals: list[str] = Field(description="empty when the principal is `*`")
    actions: list[str]
    resources: list[str] = Field(description="empty in a trust policy, which has no Resource")
    condition: Condition
    reasons: list[CompanionReasonOut]


CompanionKind = Literal[
    "trust-policy", "bucket-policy", "key-policy", "lambda-function-policy", "sns-topic-policy"
]


class CompanionDocumentOut(Answer):
    kind: Annotated[CompanionKind, BeforeValidator(str)]
    target: str = Field(
        description="the role ARN, bucket name, key ARN (or the key as the pipeline names it), "
        "function or topic ARN whose policy this is"
    )
    account: str | None = Field(description="the account that owns the target, when known")
    region: str | None = Field(description="the Region of a bucket or key, when known")
    policy: dict[str, Any] = Field(
        validation_alias="document",
        description="the statements the target's policy must hold (a bucket or key policy "
        "keeps its owner's statements besides these)",
    )
    statements: list[CompanionStatementOut]


class ArtifactStoreOut(Answer):
    pipeline: str
    region: str | None = Field(description="null: the pipeline's own Region, not known")
    location: str | None = Field(description="the bucket; null when the pipeline has none there")
    kms_key: str | None
    other_accounts: list[str] = Field(
        description="the accounts, other than the pipeline's, whose roles use the store"
    )


class CompanionsOut(Answer):
    documents: list[CompanionDocumentOut]
    artifact_stores: list[ArtifactStoreOut] = Field(
        description="the artifact store each Region with actions needs"
    )


class ComputeResponse(Schema):
    model_config = ConfigDict(json_schema_extra={"examples": [COMPUTE_RESPONSE]})

    decision_id: str
    provenance: ProvenanceOut
    policy: dict[str, Any] = Field(description="the service-role policy document")
    policies: list[dict[str, Any]] = Field(
        description="the same statements split into managed policies of at most 6,144 "
        "characters; empty when `policy` fits one"
    )
    size: SizeOut
    statements: list[StatementOut]
    action_roles: list[ActionRoleOut] = Field(
        description="permissions of actions and stage-condition rules that declare their own "
        "roleArn; they belong on that role, and the service role only assumes it"
    )
    companions: CompanionsOut = Field(
        description="the other documents the pipelines need to run: the trust policies of the "
        "roles they assume, the artifact bucket and key policy statements other accounts' "
        "roles need, and other resources' policies their actions depend on"
    )
    findings: list[FindingOut]

    @classmethod
    def of(cls, outcome: ComputeOutcome) -> Self:
        result = outcome.result
        return cls.model_validate(
            {
                **decision_fields(outcome.provenance),
                "policy": result.document,
                "policies": result.split_documents,
                "size": result.size,
                "statements": result.statements,
                "action_roles": result.action_roles,
                "companions": outcome.companions,
                "findings": outcome.findings,
            },
            from_attributes=True,
        )
