"""Request and response of POST /v1/policies/diff."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Literal, Self

from pydantic import ConfigDict, Field, model_validator

from app.api.schemas.common import FindingOut, ProfileSelectionIn, ProvenanceOut, Schema
from app.api.schemas.compute import (
    ActionHintsIn,
    ComputeContextIn,
    ImpactOut,
    PipelineSourceIn,
    RequiredByOut,
    condition_json,
    impact_json,
    required_by_json,
)
from app.api.schemas.examples import DIFF_REQUEST, DIFF_REQUEST_DOCUMENTS, DIFF_RESPONSE
from app.engine.iam.analysis.coverage import Coverage, PolicyStatement
from app.engine.iam.analysis.excess import ExcessResult
from app.engine.policy_diff import Gap, worst_impact

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


class CurrentPolicyIn(PolicyIn):
    from_sources: bool | None = Field(
        default=None,
        description="or `true`: the policies the pipelines' own CloudFormation templates "
        "(`required.sources`) attach to the service role their pipeline names, when that role "
        "is a resource of the same template (inline `Policies`, `AWS::IAM::Policy`, "
        "`AWS::IAM::RolePolicy` and `AWS::IAM::ManagedPolicy` documents)",
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


class StatementRef(Schema):
    document: int
    statement: int
    sid: str | None
    path: str


class MissingOut(Schema):
    status: Literal["not_granted", "explicitly_denied"]
    actions: list[str]
    resources: list[str]
    condition: dict[str, dict[str, Any]] | None
    required_by: list[RequiredByOut]
    impact: ImpactOut | None = Field(description="the worst documented effect of the gap")
    denied_by: list[StatementRef]


class ConditionalOut(Schema):
    actions: list[str]
    resources: list[str]
    condition: dict[str, dict[str, Any]] | None
    required_by: list[RequiredByOut]
    granted_by: list[StatementRef]
    denied_by: list[StatementRef]
    deciding_conditions: list[dict[str, str]] = Field(
        description="the (operator, key) tests of the current policy that decide it"
    )


class UnverifiableOut(Schema):
    actions: list[str]
    resources: list[str] = Field(
        description="the shape that is known: `*` stands for what is not (a name, an account)"
    )
    condition: dict[str, dict[str, Any]] | None
    required_by: list[RequiredByOut]
    reason: str = Field(description="why it is neither granted as such nor missing")
    granted_by: list[StatementRef] = Field(
        description="statements that grant the actions on resources of this shape"
    )


class OptionalOut(Schema):
    actions: list[str]
    resources: list[str]
    condition: dict[str, dict[str, Any]] | None
    required_by: list[RequiredByOut]
    reason: str = Field(description="what works without it, as AWS documents it")


class ServiceExcessOut(Schema):
    service: str
    total: int
    by_access_level: dict[str, int]
    examples: list[str]


class BroaderResourcesOut(Schema):
    action: str
    granted: list[str]
    required: list[str]
    not_resource: bool


class WildcardOut(Schema):
    pattern: str
    services: list[str]
    actions_today: int = Field(description="catalogue actions it matches today; more may come")
    path: str


class ExcessOut(Schema):
    total_actions: int
    by_service: list[ServiceExcessOut]
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
    findings: list[FindingOut]


def statement_ref_json(s: PolicyStatement) -> dict[str, Any]:
    """A StatementRef."""
    return {"document": s.doc_index, "statement": s.stmt_index, "sid": s.sid, "path": s.pointer}


def statement_refs_json(statements: Iterable[PolicyStatement]) -> list[dict[str, Any]]:
    return [statement_ref_json(s) for s in statements]


def condition_tests_json(tests: Iterable[tuple[str, str]]) -> list[dict[str, str]]:
    """(operator, key) pairs, as ConditionTestOut objects."""
    return [{"operator": op, "key": key} for op, key in tests]


def missing_json(g: Gap) -> dict[str, Any]:
    """A MissingOut."""
    worst = worst_impact(g.required_by)
    return {
        "status": "explicitly_denied" if g.coverage is Coverage.DENIED else "not_granted",
        "actions": g.actions,
        "resources": g.resources,
        "condition": condition_json(g.condition),
        "required_by": [required_by_json(r) for r in g.required_by],
        "impact": impact_json(worst.impact) if worst and worst.impact else None,
        "denied_by": statement_refs_json(g.denying),
    }


def conditional_json(g: Gap) -> dict[str, Any]:
    """A ConditionalOut."""
    return {
        "actions": g.actions,
        "resources": g.resources,
        "condition": condition_json(g.condition),
        "required_by": [required_by_json(r) for r in g.required_by],
        "granted_by": statement_refs_json(g.granting),
        "denied_by": statement_refs_json(g.denying),
        "deciding_conditions": condition_tests_json(g.deciding),
    }


def unverifiable_json(g: Gap) -> dict[str, Any]:
    """An UnverifiableOut."""
    return {
        "actions": g.actions,
        "resources": g.resources,
        "condition": condition_json(g.condition),
        "required_by": [required_by_json(r) for r in g.required_by],
        "reason": g.reason or "",
        "granted_by": statement_refs_json(g.granting),
    }


def optional_json(g: Gap) -> dict[str, Any]:
    """An OptionalOut."""
    return {
        "actions": g.actions,
        "resources": g.resources,
        "condition": condition_json(g.condition),
        "required_by": [required_by_json(r) for r in g.required_by],
        "reason": g.reason or "",
    }


def excess_json(excess: ExcessResult) -> dict[str, Any]:
    """An ExcessOut."""
    return {
        "total_actions": excess.total_actions,
        "by_service": [
            {
                "service": s.service,
                "total": s.total,
                "by_access_level": dict(s.by_access_level),
                "examples": s.examples,
            }
            for s in excess.services
        ],
        "broader_resources": [
            {
                "action": b.action,
                "granted": b.granted,
                "required": b.required,
                "not_resource": b.not_resource,
            }
            for b in excess.broader_resources
        ],
        "wildcards": [
            {
                "pattern": w.pattern,
                "services": w.services,
                "actions_today": w.actions_today,
                "path": w.pointer,
            }
            for w in excess.wildcards
        ],
        "privilege_escalation": excess.privilege_escalation,
    }
