"""POST /v1/policies/evaluate."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from app.api.deps import Services, ServicesDep, request_budget
from app.api.json_body import json_body
from app.api.kept_answers import EvaluateRoute, decided
from app.api.policy_source import policy_documents
from app.api.problems import PROBLEM_RESPONSES
from app.api.schemas.common import decision_json, findings_json
from app.api.schemas.evaluate import EvaluateRequest, EvaluateResponse, evaluation_results_json
from app.service.evaluate import PointRequest, evaluate

router = APIRouter(prefix="/v1/policies", tags=["policies"], route_class=EvaluateRoute)


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
    loaded, catalog_info = services.profiles.current, services.catalog_info
    outcome = evaluate(
        documents,
        [PointRequest(r.action, r.resource, r.context) for r in request.requests],
        services.catalog,
        catalog_info,
        loaded,
        mode=request.arn_mode,
        pointer=pointer,
        budget=budget,
    )
    payload = {
        **decision_json(outcome.provenance),
        "results": evaluation_results_json(
            outcome.decisions,
            [(r.action, r.resource) for r in request.requests],
            explain=request.explain,
            budget=budget,
        ),
        "findings": findings_json(outcome.view.findings),
    }
    return decided(
        http,
        services,
        (loaded, catalog_info),
        json_body(payload, EvaluateResponse, validate=services.settings.validate_responses),
        verdicts=[o.decision.decision for o in outcome.decisions],
        decision_id=outcome.provenance.decision_id,
        keepable=request.policy.baseline is None,  # a named baseline may change
    )
