"""POST /v1/policies/evaluate."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from app.api.checked_route import CheckedRoute
from app.api.deps import Services, ServicesDep, request_budget
from app.api.metrics import record_decision
from app.api.model_response import model_response
from app.api.policy_source import policy_documents
from app.api.problems import PROBLEM_RESPONSES
from app.api.schemas.authorization import AuthorizationResponse, PrincipalIn
from app.api.schemas.evaluate import EvaluateRequest, EvaluateResponse
from app.engine.authorization import AuthorizationRequest
from app.engine.budget import WorkBudget
from app.service.authorization import Layers, authorize_requests
from app.service.evaluate import PointRequest, evaluate

router = APIRouter(prefix="/v1/policies", tags=["policies"], route_class=CheckedRoute)


@router.post(
    "/evaluate",
    summary="Evaluate requests against a policy",
    response_model=EvaluateResponse | AuthorizationResponse,
    responses=PROBLEM_RESPONSES,
)
def evaluate_requests(request: EvaluateRequest, services: ServicesDep, http: Request) -> Response:
    """Decide each request (action, resource, context): allowed, explicitly or implicitly
    denied, with the statements that decided it and why the others did not apply. Given the
    caller (`principal`) and any other layer (boundary, session policies, SCP and RCP levels,
    resource policies), each answer names the layer and statement that decided it and every
    layer's outcome."""
    # In the thread pool, however small the body: every request is weighed against every
    # statement, within the request's budget.
    return _evaluate(request, services, http)


def _evaluate(request: EvaluateRequest, services: Services, http: Request) -> Response:
    budget = request_budget(http, services)
    if request.principal is not None:
        documents: list[Any] = []
        pointer = "/policy/documents"
        if request.policy is not None:
            documents, pointer = policy_documents(services, request.policy, "/policy")
        return _authorize(request, request.principal, documents, pointer, services, budget)
    assert request.policy is not None  # the request model requires it without a principal
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


def _authorize(
    request: EvaluateRequest,
    caller: PrincipalIn,
    documents: list[Any],
    pointer: str,
    services: Services,
    budget: WorkBudget,
) -> Response:
    layers = Layers(
        principal=caller.to_principal(),
        permission_boundary=request.permissions_boundary,
        session_policies=request.session_policies,
        resource_policies=request.resource_policies,
        accounts=request.account_policies(),
    )
    outcome = authorize_requests(
        documents,
        pointer,
        layers,
        [
            AuthorizationRequest(
                r.action,
                r.resource,
                r.context,
                resource_account=r.resource_account or "",
                sse_kms_key=r.sse_kms_key or "",
            )
            for r in request.requests
        ],
        services.catalog,
        services.catalog_info,
        services.profiles.current,
        budget=budget,
    )
    for decision, _ in outcome.decisions:
        record_decision("evaluate", decision.decision)
    return model_response(
        AuthorizationResponse.of(outcome, [(r.action, r.resource) for r in request.requests])
    )
