"""Request and response of POST /v1/policies/validate."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal, Self

from pydantic import ConfigDict, Field, model_validator

from app.api.schemas.common import (
    FindingOut,
    ProfileSelectionIn,
    ProvenanceOut,
    Schema,
    decision_fields,
)
from app.api.schemas.compute import ComputeContextIn, PipelineSourceIn
from app.api.schemas.diff import PolicyIn
from app.api.schemas.examples import (
    VALIDATE_REQUEST,
    VALIDATE_REQUEST_WITH_PIPELINES,
    VALIDATE_RESPONSE,
)
from app.engine.iam.validation.validate import PolicySize
from app.engine.iam.validation.view import RESOURCE_POLICY_TYPES
from app.service.policy_validation import PolicyValidationOutcome

PolicyTypeIn = Literal["managed", "inline", "trust", "bucket", "key"]


class RoleFactsIn(Schema):
    created: dt.date | None = Field(
        default=None,
        description="when the role was created; permissions for providers CodePipeline "
        "supported later are then checked",
    )


class ValidateRequest(Schema):
    model_config = ConfigDict(
        json_schema_extra={"examples": [VALIDATE_REQUEST, VALIDATE_REQUEST_WITH_PIPELINES]}
    )

    policy: PolicyIn = Field(description="the policy document(s), or a baseline name")
    policy_type: PolicyTypeIn = Field(
        default="managed",
        description="managed: each document ≤ 6,144 characters and Version required; inline: "
        "all documents together ≤ 10,240 characters; trust (a role's trust policy, ≤ 2,048 "
        "characters), bucket (an S3 bucket policy, ≤ 20,480) and key (a KMS key policy, "
        "≤ 32,768): each statement names a Principal, and a trust policy has no Resource",
    )
    pipelines: list[dict[str, Any]] = Field(
        default_factory=list, max_length=1000, description="pipelines using the role (optional)"
    )
    sources: list[PipelineSourceIn] = Field(default_factory=list, max_length=200)
    context: ComputeContextIn = Field(default_factory=ComputeContextIn)
    role: RoleFactsIn = Field(default_factory=RoleFactsIn)
    profiles: ProfileSelectionIn | None = None

    @model_validator(mode="after")
    def _pipelines_check_identity_policies(self) -> Self:
        if self.policy_type in RESOURCE_POLICY_TYPES and (self.pipelines or self.sources):
            raise ValueError(
                "pipelines are checked against a service-role policy (managed or inline); "
                "diff checks trust, bucket and key policies against them"
            )
        return self


class PolicySizeOut(Schema):
    documents: list[int] = Field(description="characters per document, white space excluded")
    total: int
    quota: int
    policy_type: PolicyTypeIn
    fits: bool

    @classmethod
    def of(cls, size: PolicySize) -> Self:
        return cls(
            documents=list(size.documents),
            total=size.total,
            quota=size.quota,
            policy_type=size.policy_type,
            fits=size.fits,
        )


class ValidateResponse(Schema):
    model_config = ConfigDict(json_schema_extra={"examples": [VALIDATE_RESPONSE]})

    decision_id: str
    provenance: ProvenanceOut
    valid: bool = Field(description="no finding of type ERROR")
    recognised_baseline: str | None = Field(description="the named baseline this policy is")
    size: PolicySizeOut
    findings: list[FindingOut]

    @classmethod
    def of(cls, outcome: PolicyValidationOutcome) -> Self:
        return cls(
            **decision_fields(outcome.provenance),
            valid=outcome.valid,
            recognised_baseline=outcome.validation.recognised_baseline,
            size=PolicySizeOut.of(outcome.validation.size),
            findings=FindingOut.all(outcome.findings),
        )
