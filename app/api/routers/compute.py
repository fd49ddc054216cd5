"""POST /v1/policies/compute."""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import APIRouter, Request, Response
from fastapi.responses import PlainTextResponse

from app.api.deps import Services, ServicesDep, request_budget
from app.api.json_body import json_body
from app.api.kept_answers import ComputeRoute, decided
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
    compute_response_json,
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

router = APIRouter(prefix="/v1/policies", tags=["policies"], route_class=ComputeRoute)


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
    basis = (select_profiles(services, request.profiles), services.catalog_info)
    outcome = compute_outcome(
        request, *basis, iam_catalog=services.catalog, budget=request_budget(http, services)
    )
    response: Response
    if snippet is None:
        response = json_body(
            compute_response_json(outcome),
            ComputeResponse,
            validate=services.settings.validate_responses,
            headers=findings_headers(outcome.findings),
        )
    else:
        result = outcome.result
        response = snippet_response(
            snippet, result.split_documents or (result.document,), outcome.findings, outcome.roles
        )
    return decided(
        http,
        services,
        basis,
        response,
        verdicts=("findings" if outcome.findings else "clean",),
        decision_id=outcome.provenance.decision_id,
        # A selection is resolved anew each time: the same bytes may be answered by other
        # revisions later, so only answers on the current profile set are kept.
        keepable=request.profiles is None,
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
