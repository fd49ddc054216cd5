"""POST /v1/policies/compute."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import APIRouter

from app.api.deps import ServicesDep
from app.api.problems import PROBLEM_RESPONSES, UnprocessableInputError
from app.api.schemas.common import FindingOut, ProvenanceOut
from app.api.schemas.compute import (
    ActionHintsIn,
    ActionRoleOut,
    ComputeRequest,
    ComputeResponse,
    SizeOut,
    StatementOut,
)
from app.engine.compute import ComputeContext, HintTarget
from app.engine.findings import pointer_join
from app.service import compute as compute_service

router = APIRouter(prefix="/v1/policies", tags=["policies"])


def _pipeline_name(document: dict[str, Any]) -> object:
    body = document.get("pipeline")
    return (body if isinstance(body, dict) else document).get("name")


def _hint_targets(
    hints: Sequence[ActionHintsIn], request: ComputeRequest
) -> dict[HintTarget, dict[str, list[str]]]:
    names = [_pipeline_name(p) for p in request.pipelines]
    out: dict[HintTarget, dict[str, list[str]]] = {}
    for i, hint in enumerate(hints):
        pipeline = hint.pipeline
        if pipeline is None:
            if len(names) != 1 or not isinstance(names[0], str):
                raise UnprocessableInputError(
                    "`pipeline` is required in a hint when the request has several pipelines",
                    pointer=pointer_join("/hints", i, "pipeline"),
                )
            pipeline = names[0]
        values = {k: [v] if isinstance(v, str) else list(v) for k, v in hint.hints.items()}
        out.setdefault(HintTarget(pipeline, hint.stage, hint.action), {}).update(values)
    return out


@router.post("/compute", response_model=ComputeResponse, responses=PROBLEM_RESPONSES)
def compute_policy(request: ComputeRequest, services: ServicesDep) -> ComputeResponse:
    """The least-privilege service-role policy one or several pipelines need, with reasons."""
    outcome = compute_service.compute(
        request.pipelines,
        services.profiles.current,
        services.catalog_info,
        context=ComputeContext(**request.context.model_dump()),
        hints=_hint_targets(request.hints, request),
    )
    result = outcome.result
    return ComputeResponse(
        decision_id=outcome.provenance.decision_id,
        provenance=ProvenanceOut.of(outcome.provenance),
        policy=dict(result.document),
        policies=[dict(d) for d in result.split_documents],
        size=SizeOut.of(result.size),
        statements=[StatementOut.of(s) for s in result.statements],
        action_roles=[
            ActionRoleOut(
                role_arn=r.role_arn,
                policy=dict(r.document),
                statements=[StatementOut.of(s) for s in r.statements],
            )
            for r in result.action_roles
        ],
        findings=[FindingOut.of(f) for f in outcome.findings],
    )
