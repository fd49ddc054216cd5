"""Request and response of POST /v1/policies/validate."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import ConfigDict, Field

from app.api.schemas.common import FindingOut, ProfileSelectionIn, ProvenanceOut, Schema
from app.api.schemas.compute import ComputeContextIn, PipelineSourceIn
from app.api.schemas.diff import PolicyIn
from app.api.schemas.examples import (
    VALIDATE_REQUEST,
    VALIDATE_REQUEST_WITH_PIPELINES,
    VALIDATE_RESPONSE,
)
from app.engine.iam.validation.validate import PolicySize


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
    policy_type: Literal["managed", "inline"] = Field(
        default="managed",
        description="managed: each document ≤ 6,144 characters and Version required; inline: "
        "all documents together ≤ 10,240 characters",
    )
    pipelines: list[dict[str, Any]] = Field(
        default_factory=list, max_length=1000, description="pipelines using the role (optional)"
    )
    sources: list[PipelineSourceIn] = Field(default_factory=list, max_length=200)
    context: ComputeContextIn = Field(default_factory=ComputeContextIn)
    role: RoleFactsIn = Field(default_factory=RoleFactsIn)
    profiles: ProfileSelectionIn | None = None


class PolicySizeOut(Schema):
    documents: list[int] = Field(description="characters per document, white space excluded")
    total: int
    quota: int
    policy_type: Literal["managed", "inline"]
    fits: bool


class ValidateResponse(Schema):
    model_config = ConfigDict(json_schema_extra={"examples": [VALIDATE_RESPONSE]})

    decision_id: str
    provenance: ProvenanceOut
    valid: bool = Field(description="no finding of type ERROR")
    recognised_baseline: str | None = Field(description="the named baseline this policy is")
    size: PolicySizeOut
    findings: list[FindingOut]


def policy_size_json(size: PolicySize) -> dict[str, Any]:
    """A PolicySizeOut."""
    return {
        "documents": size.documents,
        "total": size.total,
        "quota": size.quota,
        "policy_type": size.policy_type,
        "fits": size.fits,
    }
