"""POST /v1/pipelines/validate."""

from __future__ import annotations

from fastapi import APIRouter

from app.api.deps import ServicesDep
from app.api.metrics import record_decision
from app.api.problems import PROBLEM_RESPONSES
from app.api.schemas.common import FindingOut, ProvenanceOut
from app.api.schemas.pipelines import (
    ActionTypeUseOut,
    PipelineReportOut,
    PipelineValidateRequest,
    PipelineValidateResponse,
)
from app.engine.compute import ComputeContext
from app.service.compute import sources_from_request
from app.service.pipeline_validation import validate_pipelines

router = APIRouter(prefix="/v1/pipelines", tags=["pipelines"])


@router.post(
    "/validate",
    summary="Validate pipeline definitions",
    response_model=PipelineValidateResponse,
    responses=PROBLEM_RESPONSES,
)
def validate(request: PipelineValidateRequest, services: ServicesDep) -> PipelineValidateResponse:
    """Check pipeline definitions against CodePipeline's structure rules and the profiles."""
    outcome = validate_pipelines(
        sources_from_request(request.pipelines, request.sources),
        services.profiles.current,
        services.catalog_info,
        context=ComputeContext(**request.context.model_dump()),
    )
    record_decision("pipelines", "valid" if outcome.valid else "invalid")
    return PipelineValidateResponse(
        decision_id=outcome.provenance.decision_id,
        provenance=ProvenanceOut.of(outcome.provenance),
        valid=outcome.valid,
        pipelines=[
            PipelineReportOut(
                name=p.name,
                path=p.path,
                action_types=[
                    ActionTypeUseOut(
                        action_type=u.key.label,
                        actions=u.actions,
                        has_profile=u.profile_revision is not None,
                        profile_revision=u.profile_revision,
                    )
                    for u in p.action_types
                ],
            )
            for p in outcome.pipelines
        ],
        findings=[FindingOut.of(f) for f in outcome.findings],
    )
