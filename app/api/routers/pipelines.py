"""POST /v1/pipelines/validate."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from app.api.checked_route import CheckedRoute
from app.api.deps import Services, ServicesDep, request_budget
from app.api.metrics import record_decision
from app.api.model_response import model_response
from app.api.problems import PROBLEM_RESPONSES
from app.api.profile_selection import select_profiles
from app.api.routers.compute import given_hints
from app.api.schemas.pipelines import PipelineValidateRequest, PipelineValidateResponse
from app.engine.compute import ComputeContext
from app.service.compute import sources_from_request
from app.service.pipeline_validation import validate_pipelines

router = APIRouter(prefix="/v1/pipelines", tags=["pipelines"], route_class=CheckedRoute)


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
    outcome = validate_pipelines(
        sources_from_request(request.pipelines, request.sources),
        select_profiles(services, request.profiles),
        services.catalog_info,
        context=ComputeContext(**request.context.model_dump()),
        hints=given_hints(request.hints),
        budget=request_budget(http, services),
        iam_catalog=services.catalog,
    )
    record_decision("pipelines", "valid" if outcome.valid else "invalid")
    return model_response(PipelineValidateResponse.of(outcome))
