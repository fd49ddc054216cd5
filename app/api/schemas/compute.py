"""Request and response of POST /v1/policies/compute."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, Self

from pydantic import ConfigDict, Field, model_validator

from app.api.schemas.common import (
    FindingOut,
    ProfileSelectionIn,
    ProvenanceOut,
    Schema,
    decision_json,
    findings_json,
)
from app.api.schemas.examples import COMPUTE_REQUEST, COMPUTE_RESPONSE
from app.engine.compute import ActionRolePolicy, ComputedStatement, RequiredBy
from app.engine.iam.policy.quotas import SizeReport
from app.engine.profiles import Impact
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


class CitationOut(Schema):
    title: str
    url: str
    as_of: str | None = None


class ImpactOut(Schema):
    behaviour: str = Field(description="CREATE, FAST, LATE, HANG, DEGRADED or TRANSIENT")
    message: str
    evidence: str = Field(description="V verbatim, P paraphrase, D documented, I inferred")


class RequiredByOut(Schema):
    pipeline: str
    stage: str | None
    action: str | None
    rule: str | None = Field(
        description="the stage-condition rule that needs it (then `action` is null)"
    )
    action_type: str
    profile_revision: int
    profile_statement: str
    reason: str
    inferred: bool
    citation: CitationOut
    impact: ImpactOut | None
    path: str


class StatementOut(Schema):
    sid: str
    effect: str
    actions: list[str]
    resources: list[str]
    condition: dict[str, dict[str, str | list[str]]] | None
    required_by: list[RequiredByOut]


class SizeOut(Schema):
    characters: int = Field(description="policy size as IAM counts it (white space excluded)")
    managed_policy_quota: int
    inline_policies_quota: int
    fits_managed_policy: bool
    fits_inline_policies: bool


class ActionRoleOut(Schema):
    role_arn: str
    policy: dict[str, Any]
    statements: list[StatementOut]


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
    findings: list[FindingOut]


def impact_json(i: Impact) -> dict[str, Any]:
    """An ImpactOut."""
    return {"behaviour": i.behaviour, "message": i.message, "evidence": i.evidence}


def condition_json(
    condition: Mapping[str, Mapping[str, Any]] | None,
) -> dict[str, dict[str, Any]] | None:
    return {k: dict(v) for k, v in condition.items()} if condition else None


def required_by_json(r: RequiredBy) -> dict[str, Any]:
    """A RequiredByOut."""
    citation = r.citation
    return {
        "pipeline": r.pipeline,
        "stage": r.stage,
        "action": r.action,
        "rule": r.rule,
        "action_type": r.action_type.label,
        "profile_revision": r.profile_revision,
        "profile_statement": r.profile_statement,
        "reason": r.reason,
        "inferred": r.inferred,
        "citation": {"title": citation.title, "url": citation.url, "as_of": citation.as_of},
        "impact": impact_json(r.impact) if r.impact else None,
        "path": r.pointer,
    }


def statement_json(s: ComputedStatement) -> dict[str, Any]:
    """A StatementOut."""
    return {
        "sid": s.sid,
        "effect": s.effect,
        "actions": s.actions,
        "resources": s.resources,
        "condition": condition_json(s.condition),
        "required_by": [required_by_json(r) for r in s.required_by],
    }


def size_json(s: SizeReport) -> dict[str, Any]:
    """A SizeOut."""
    return {
        "characters": s.characters,
        "managed_policy_quota": s.managed_quota,
        "inline_policies_quota": s.inline_quota,
        "fits_managed_policy": s.fits_managed,
        "fits_inline_policies": s.fits_inline,
    }


def action_role_json(r: ActionRolePolicy) -> dict[str, Any]:
    """An ActionRoleOut."""
    return {
        "role_arn": r.role_arn,
        "policy": dict(r.document),
        "statements": [statement_json(s) for s in r.statements],
    }


def compute_response_json(outcome: ComputeOutcome) -> dict[str, Any]:
    """A ComputeResponse's fields, as the route sends them."""
    result = outcome.result
    return {
        **decision_json(outcome.provenance),
        "policy": dict(result.document),
        "policies": [dict(d) for d in result.split_documents],
        "size": size_json(result.size),
        "statements": [statement_json(s) for s in result.statements],
        "action_roles": [action_role_json(r) for r in result.action_roles],
        "findings": findings_json(outcome.findings),
    }
