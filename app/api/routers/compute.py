"""POST /v1/policies/compute."""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import APIRouter, Request, Response
from fastapi.responses import PlainTextResponse

from app.api.checked_route import CheckedRoute
from app.api.deps import Services, ServicesDep, request_budget
from app.api.metrics import record_decision
from app.api.model_response import model_response
from app.api.policy_formats import (
    FINDINGS_RESPONSE,
    FormatQuery,
    Snippet,
    asked_snippet,
    findings_headers,
    snippet_response,
    snippet_responses,
)
from app.api.problems import PROBLEM_RESPONSES
from app.api.profile_selection import select_profiles
from app.api.schemas.compute import (
    ActionHintsIn,
    ComputeRequest,
    ComputeResponse,
)
from app.engine.budget import WorkBudget
from app.engine.compute import ANY_PIPELINE, ComputeContext, HintTarget
from app.engine.hint_checks import GivenHints
from app.engine.iam.catalog import Catalog
from app.engine.json_pointer import pointer_join
from app.service import compute as compute_service
from app.service.compute import ComputeOutcome
from app.service.profile_cache import LoadedProfileSet
from app.service.provenance import CatalogInfo

router = APIRouter(prefix="/v1/policies", tags=["policies"], route_class=CheckedRoute)


def given_hints(hints: Sequence[ActionHintsIn], base: str = "") -> GivenHints:
    """Hints keyed by action, and where each was given; a hint that names no pipeline applies
    to that action in all of them."""
    values: dict[HintTarget, dict[str, list[str]]] = {}
    pointers: dict[tuple[HintTarget, str | None], str] = {}
    for i, hint in enumerate(hints):
        target = HintTarget(hint.pipeline or ANY_PIPELINE, hint.stage, hint.action)
        at = pointer_join(base, "hints", i)
        pointers.setdefault((target, None), at)
        for name, value in hint.hints.items():
            values.setdefault(target, {})[name] = [value] if isinstance(value, str) else list(value)
            pointers[(target, name)] = pointer_join(at, "hints", name)
    return GivenHints(values, pointers)


@router.post(
    "/compute",
    summary="Compute the service-role policy of pipelines",
    response_model=ComputeResponse,
    responses={**PROBLEM_RESPONSES, **FINDINGS_RESPONSE},
)
def compute_policy(
    request: ComputeRequest, services: ServicesDep, http: Request, output: FormatQuery = None
) -> Response:
    """The least-privilege service-role policy one or several pipelines need, with reasons."""
    return _compute(request, services, http, asked_snippet(http, output))


@router.post(
    "/compute/cloudformation",
    summary="Compute the service-role policy as a CloudFormation template",
    response_class=PlainTextResponse,
    responses=snippet_responses("cloudformation"),
)
def compute_cloudformation(
    request: ComputeRequest, services: ServicesDep, http: Request
) -> Response:
    """The computed policy as `AWS::IAM::ManagedPolicy` resources (one per managed policy when
    it is split to fit the quota) attached to the pipelines' service role, the findings as
    comments; a 422 listing the findings when an ERROR stands against it."""
    return _compute(request, services, http, Snippet("cloudformation"))


@router.post(
    "/compute/terraform",
    summary="Compute the service-role policy as Terraform",
    response_class=PlainTextResponse,
    responses=snippet_responses("terraform"),
)
def compute_terraform(request: ComputeRequest, services: ServicesDep, http: Request) -> Response:
    """The computed policy as `aws_iam_policy` resources (one per managed policy when it is
    split to fit the quota), each with an `aws_iam_role_policy_attachment` to the pipelines'
    service role, the findings as comments; a 422 listing the findings when an ERROR stands
    against it."""
    return _compute(request, services, http, Snippet("terraform"))


# The routes are plain functions, so FastAPI runs them in the thread pool: however small the
# body, its work may not be (template references fan out), and the event loop must stay free
# for every other request. The work charges the request's budget, which stops it at its limits
# and at the request's deadline.
def _compute(
    request: ComputeRequest,
    services: Services,
    http: Request,
    snippet: Snippet | None,
) -> Response:
    outcome = compute_outcome(
        request,
        select_profiles(services, request.profiles),
        services.catalog_info,
        iam_catalog=services.catalog,
        budget=request_budget(http, services),
    )
    record_decision("compute", "findings" if outcome.findings else "clean")
    if snippet is None:
        return model_response(
            ComputeResponse.of(outcome), headers=findings_headers(outcome.findings)
        )
    result = outcome.result
    return snippet_response(
        snippet,
        result.split_documents or (result.document,),
        outcome.findings,
        outcome.roles,
        outcome.companions.documents,
    )


def compute_outcome(
    request: ComputeRequest,
    loaded: LoadedProfileSet,
    catalog: CatalogInfo | None,
    *,
    iam_catalog: Catalog | None = None,
    budget: WorkBudget | None = None,
) -> ComputeOutcome:
    """The use case for one compute request, with the given profile set."""
    return compute_service.compute(
        compute_service.sources_from_request(request.pipelines, request.sources),
        loaded,
        catalog,
        context=ComputeContext(**request.context.model_dump()),
        hints=given_hints(request.hints),
        iam_catalog=iam_catalog,
        budget=budget,
    )
