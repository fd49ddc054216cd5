"""Request and response of POST /v1/pipelines/validate."""

from __future__ import annotations

from typing import Any

from pydantic import ConfigDict, Field

from app.api.schemas.common import FindingOut, ProvenanceOut, Schema
from app.api.schemas.compute import PipelinesIn
from app.api.schemas.examples import PIPELINE_VALIDATE_REQUEST, PIPELINE_VALIDATE_RESPONSE
from app.service.pipeline_validation import PipelineReport


class PipelineValidateRequest(PipelinesIn):
    model_config = ConfigDict(json_schema_extra={"examples": [PIPELINE_VALIDATE_REQUEST]})


class ActionTypeUseOut(Schema):
    action_type: str = Field(description="an action type, or a stage-condition rule type")
    actions: int = Field(description="how many actions of the pipeline use it")
    rules: int = Field(description="how many stage-condition rules of the pipeline use it")
    has_profile: bool
    profile_revision: int | None


class PipelineReportOut(Schema):
    name: str
    path: str = Field(description="JSON pointer of the pipeline in the request")
    action_types: list[ActionTypeUseOut]


class PipelineValidateResponse(Schema):
    model_config = ConfigDict(json_schema_extra={"examples": [PIPELINE_VALIDATE_RESPONSE]})

    decision_id: str
    provenance: ProvenanceOut
    valid: bool = Field(description="no finding of type ERROR")
    pipelines: list[PipelineReportOut]
    findings: list[FindingOut]


def pipeline_report_json(p: PipelineReport) -> dict[str, Any]:
    """A PipelineReportOut."""
    return {
        "name": p.name,
        "path": p.path,
        "action_types": [
            {
                "action_type": u.key.label,
                "actions": u.actions,
                "rules": u.rules,
                "has_profile": u.profile_revision is not None,
                "profile_revision": u.profile_revision,
            }
            for u in p.action_types
        ],
    }
