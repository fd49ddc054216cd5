"""Request and response of POST /v1/pipelines/validate."""

from __future__ import annotations

from typing import Self

from pydantic import ConfigDict, Field

from app.api.schemas.common import FindingOut, ProvenanceOut, Schema, decision_fields
from app.api.schemas.compute import PipelinesIn
from app.api.schemas.examples import PIPELINE_VALIDATE_REQUEST, PIPELINE_VALIDATE_RESPONSE
from app.service.pipeline_validation import PipelineReport, PipelineValidation


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

    @classmethod
    def of(cls, p: PipelineReport) -> Self:
        return cls(
            name=p.name,
            path=p.path,
            action_types=[
                ActionTypeUseOut(
                    action_type=u.key.label,
                    actions=u.actions,
                    rules=u.rules,
                    has_profile=u.profile_revision is not None,
                    profile_revision=u.profile_revision,
                )
                for u in p.action_types
            ],
        )


class PipelineValidateResponse(Schema):
    model_config = ConfigDict(json_schema_extra={"examples": [PIPELINE_VALIDATE_RESPONSE]})

    decision_id: str
    provenance: ProvenanceOut
    valid: bool = Field(description="no finding of type ERROR")
    pipelines: list[PipelineReportOut]
    findings: list[FindingOut]

    @classmethod
    def of(cls, outcome: PipelineValidation) -> Self:
        return cls(
            **decision_fields(outcome.provenance),
            valid=outcome.valid,
            pipelines=[PipelineReportOut.of(p) for p in outcome.pipelines],
            findings=FindingOut.all(outcome.findings),
        )
