"""POST /v1/policies/compute."""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import APIRouter, Request, Response

from app.api.deps import Services, ServicesDep
from app.api.inline import answer
from app.api.json_body import json_body
from app.api.kept_answers import ComputeRoute, decided
from app.api.policy_formats import (
    FORMAT_RESPONSES,
    FormatQuery,
    chosen_format,
    policy_text_response,
)
from app.api.problems import PROBLEM_RESPONSES
from app.api.profile_selection import select_profiles
from app.api.schemas.compute import (
    ActionHintsIn,
    ComputeRequest,
    ComputeResponse,
    compute_response_json,
)
from app.engine.compute import ANY_PIPELINE, ComputeContext, HintTarget
from app.engine.findings import pointer_join
from app.engine.hint_checks import GivenHints
from app.engine.iam.catalog import Catalog
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
    responses={**PROBLEM_RESPONSES, **FORMAT_RESPONSES},
)
async def compute_policy(
    request: ComputeRequest, services: ServicesDep, http: Request, output: FormatQuery = None
) -> Response:
    """The least-privilege service-role policy one or several pipelines need, with reasons."""
    return await answer(
        http,
        lambda: _compute(request, services, http, output),
        needs_database=request.profiles is not None,
    )


def _compute(
    request: ComputeRequest, services: Services, http: Request, output: FormatQuery
) -> Response:
    basis = (select_profiles(services, request.profiles), services.catalog_info)
    outcome = compute_outcome(request, *basis, iam_catalog=services.catalog)
    result = outcome.result
    response: Response
    chosen = chosen_format(http, output)
    if chosen != "json":
        documents = result.split_documents or (result.document,)
        response = policy_text_response(documents, chosen, name="PipelineServiceRolePolicy")
    else:
        response = json_body(
            compute_response_json(outcome),
            ComputeResponse,
            validate=services.settings.validate_responses,
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
) -> ComputeOutcome:
    """The use case for one compute request, with the given profile set."""
    return compute_service.compute(
        compute_service.sources_from_request(request.pipelines, request.sources),
        loaded,
        catalog,
        context=ComputeContext(**request.context.model_dump()),
        hints=given_hints(request.hints),
        iam_catalog=iam_catalog,
    )
