"""POST /v1/pipelines/validate."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from app.api.deps import Services, ServicesDep, request_budget
from app.api.json_body import json_body
from app.api.kept_answers import PipelinesRoute, decided
from app.api.problems import PROBLEM_RESPONSES
from app.api.profile_selection import select_profiles
from app.api.routers.compute import given_hints
from app.api.schemas.common import decision_json, findings_json
from app.api.schemas.pipelines import (
    PipelineValidateRequest,
    PipelineValidateResponse,
    pipeline_report_json,
)
from app.engine.compute import ComputeContext
from app.service.compute import sources_from_request
from app.service.pipeline_validation import validate_pipelines

router = APIRouter(prefix="/v1/pipelines", tags=["pipelines"], route_class=PipelinesRoute)


@router.post(
    "/validate",
    summary="Validate pipeline definitions",
    response_model=PipelineValidateResponse,
    responses=PROBLEM_RESPONSES,
)
def validate(request: PipelineValidateRequest, services: ServicesDep, http: Request) -> Response:
    """Check pipeline definitions against CodePipeline's structure rules and the profiles."""
    # In the thread pool, however small the body: templates' references fan out.
    return _validate(request, services, http)


def _validate(request: PipelineValidateRequest, services: Services, http: Request) -> Response:
    basis = (select_profiles(services, request.profiles), services.catalog_info)
    outcome = validate_pipelines(
        sources_from_request(request.pipelines, request.sources),
        *basis,
        context=ComputeContext(**request.context.model_dump()),
        hints=given_hints(request.hints),
        budget=request_budget(http, services),
    )
    payload = {
        **decision_json(outcome.provenance),
        "valid": outcome.valid,
        "pipelines": [pipeline_report_json(p) for p in outcome.pipelines],
        "findings": findings_json(outcome.findings),
    }
    return decided(
        http,
        services,
        basis,
        json_body(payload, PipelineValidateResponse, validate=services.settings.validate_responses),
        verdicts=("valid" if outcome.valid else "invalid",),
        decision_id=outcome.provenance.decision_id,
        keepable=request.profiles is None,  # a selection is resolved anew each time
    )
