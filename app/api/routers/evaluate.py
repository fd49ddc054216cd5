"""POST /v1/policies/evaluate."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from app.api.checked_route import CheckedRoute
from app.api.deps import Services, ServicesDep, request_budget
from app.api.metrics import record_decision
from app.api.model_response import model_response
from app.api.policy_source import policy_documents
from app.api.problems import PROBLEM_RESPONSES
from app.api.schemas.evaluate import EvaluateRequest, EvaluateResponse
from app.service.evaluate import PointRequest, evaluate

router = APIRouter(prefix="/v1/policies", tags=["policies"], route_class=CheckedRoute)


@router.post(
    "/evaluate",
    summary="Evaluate requests against a policy",
    response_model=EvaluateResponse,
    responses=PROBLEM_RESPONSES,
)
def evaluate_requests(request: EvaluateRequest, services: ServicesDep, http: Request) -> Response:
    """Decide each request (action, resource, context): allowed, explicitly or implicitly
    denied, with the statements that decided it and why the others did not apply."""
    # In the thread pool, however small the body: every request is weighed against every
    # statement, within the request's budget.
    return _evaluate(request, services, http)


def _evaluate(request: EvaluateRequest, services: Services, http: Request) -> Response:
    budget = request_budget(http, services)
    documents, pointer = policy_documents(services, request.policy, "/policy")
    outcome = evaluate(
        documents,
        [PointRequest(r.action, r.resource, r.context) for r in request.requests],
        services.catalog,
        services.catalog_info,
        services.profiles.current,
        mode=request.arn_mode,
        pointer=pointer,
        budget=budget,
    )
    for o in outcome.decisions:
        record_decision("evaluate", o.decision.decision)
    return model_response(
        EvaluateResponse.of(
            outcome,
            [(r.action, r.resource) for r in request.requests],
            explain=request.explain,
            budget=budget,
        )
    )
