"""POST /v1/policies/validate."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from app.api.checked_route import CheckedRoute
from app.api.deps import ServicesDep, request_budget
from app.api.metrics import record_decision
from app.api.model_response import model_response
from app.api.policy_source import policy_documents
from app.api.problems import PROBLEM_RESPONSES
from app.api.profile_selection import select_profiles
from app.api.schemas.validate import ValidateRequest, ValidateResponse
from app.engine.compute import ComputeContext
from app.service.compute import sources_from_request
from app.service.policy_validation import validate

router = APIRouter(prefix="/v1/policies", tags=["policies"], route_class=CheckedRoute)


@router.post(
    "/validate",
    summary="Validate a policy",
    response_model=ValidateResponse,
    responses=PROBLEM_RESPONSES,
)
def validate_policy(request: ValidateRequest, services: ServicesDep, http: Request) -> Response:
    """Check a policy: grammar, unknown actions and keys (with suggestions), quotas, security
    warnings, and, given the pipelines that use the role, what they need that it lacks."""
    # In the thread pool, however small the body: redundancy checks compare statements pairwise
    # by glob containment, so a few kilobytes of patterns can take seconds (within the request's
    # budget, and their own, past which a finding says what was left unchecked).
    documents, pointer = policy_documents(services, request.policy, "/policy")
    outcome = validate(
        documents,
        services.catalog,
        services.catalog_info,
        select_profiles(services, request.profiles),
        policy_type=request.policy_type,
        pointer=pointer,
        baselines=services.baselines.documents(),
        sources=sources_from_request(request.pipelines, request.sources),
        context=ComputeContext(**request.context.model_dump()),
        role_created=request.role.created,
        budget=request_budget(http, services),
    )
    record_decision("validate", "valid" if outcome.valid else "invalid")
    return model_response(ValidateResponse.of(outcome))
