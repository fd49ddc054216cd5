"""POST /v1/policies/diff."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from app.api.deps import ServicesDep
from app.api.metrics import record_decision
from app.api.policy_formats import (
    FORMAT_RESPONSES,
    FormatQuery,
    chosen_format,
    policy_text_response,
)
from app.api.policy_source import policy_documents
from app.api.problems import PROBLEM_RESPONSES
from app.api.profile_selection import select_profiles
from app.api.routers.compute import hint_targets
from app.api.schemas.common import FindingOut, ProvenanceOut
from app.api.schemas.compute import ImpactOut, RequiredByOut
from app.api.schemas.diff import (
    BroaderResourcesOut,
    ConditionalOut,
    DiffRequest,
    DiffResponse,
    DiffSummaryOut,
    ExcessOut,
    MissingOut,
    ServiceExcessOut,
    StatementRef,
    WildcardOut,
)
from app.engine.compute import ComputeContext
from app.engine.iam.coverage import Coverage, PolicyStatement
from app.engine.iam.policy_view import read_policies
from app.service import diff as diff_service
from app.service.compute import sources_from_request

router = APIRouter(prefix="/v1/policies", tags=["policies"])


def _refs(statements: tuple[PolicyStatement, ...]) -> list[StatementRef]:
    return [
        StatementRef(document=s.doc_index, statement=s.stmt_index, sid=s.sid, path=s.pointer)
        for s in statements
    ]


@router.post(
    "/diff",
    summary="Diff a role's policy against what pipelines need",
    response_model=DiffResponse,
    responses={**PROBLEM_RESPONSES, **FORMAT_RESPONSES},
)
def diff_policy(
    request: DiffRequest, services: ServicesDep, http: Request, output: FormatQuery = None
) -> DiffResponse | Response:
    """What the current policy lacks for the pipelines (with impact), grants only under
    conditions, and grants beyond them; and the patched policy."""
    loaded = select_profiles(services, request.required.profiles, "/required/profiles")
    required_in = request.required
    if required_in.policy is None:
        required = diff_service.required_from_pipelines(
            sources_from_request(
                required_in.pipelines or [], required_in.sources, base="/required"
            ),
            loaded,
            services.catalog,
            context=ComputeContext(**required_in.context.model_dump()),
            hints=hint_targets(required_in.hints),
        )
    else:
        view = read_policies([required_in.policy], pointer="/required/policy")
        required = diff_service.required_from_policy(view, services.catalog)
    documents, pointer = policy_documents(services, request.current, "/current")
    outcome = diff_service.diff(
        documents,
        required,
        services.catalog,
        services.catalog_info,
        loaded,
        mode=request.arn_mode,
        current_pointer=pointer,
    )
    result = outcome.result
    record_decision("diff", result.verdict)
    chosen = chosen_format(http, output)
    if chosen != "json":
        return policy_text_response(
            [outcome.patched_policy], chosen, name="PipelineServiceRolePolicy"
        )
    excess = result.excess
    return DiffResponse(
        decision_id=outcome.provenance.decision_id,
        provenance=ProvenanceOut.of(outcome.provenance),
        verdict=result.verdict,
        least_privilege=result.least_privilege,
        summary=DiffSummaryOut(
            required=outcome.required_count,
            granted=result.granted,
            missing=len(result.missing),
            conditional=len(result.conditional),
            excess_actions=excess.total_actions,
        ),
        missing=[
            MissingOut(
                status="explicitly_denied" if g.coverage is Coverage.DENIED else "not_granted",
                actions=list(g.actions),
                resources=list(g.resources),
                condition={k: dict(v) for k, v in g.condition.items()} if g.condition else None,
                required_by=[RequiredByOut.of(r) for r in g.required_by],
                impact=_impact(g.required_by),
                denied_by=_refs(g.denying),
            )
            for g in outcome.missing
        ],
        conditional=[
            ConditionalOut(
                actions=list(g.actions),
                resources=list(g.resources),
                condition={k: dict(v) for k, v in g.condition.items()} if g.condition else None,
                required_by=[RequiredByOut.of(r) for r in g.required_by],
                granted_by=_refs(g.granting),
                denied_by=_refs(g.denying),
                deciding_conditions=[{"operator": op, "key": key} for op, key in g.deciding],
            )
            for g in outcome.conditional
        ],
        excess=ExcessOut(
            total_actions=excess.total_actions,
            by_service=[
                ServiceExcessOut(
                    service=s.service,
                    total=s.total,
                    by_access_level=dict(s.by_access_level),
                    examples=list(s.examples),
                )
                for s in excess.services
            ],
            broader_resources=[
                BroaderResourcesOut(
                    action=b.action,
                    granted=list(b.granted),
                    required=list(b.required),
                    not_resource=b.not_resource,
                )
                for b in excess.broader_resources
            ],
            wildcards=[
                WildcardOut(
                    pattern=w.pattern,
                    services=list(w.services),
                    actions_today=w.actions_today,
                    path=w.pointer,
                )
                for w in excess.wildcards
            ],
            privilege_escalation=list(excess.privilege_escalation),
        ),
        patched_policy=outcome.patched_policy,
        patched_verdict=outcome.patched_verdict,
        findings=[FindingOut.of(f) for f in outcome.findings],
    )


def _impact(required_by: Any) -> ImpactOut | None:
    worst = diff_service.worst_impact(required_by)
    if worst is None or worst.impact is None:
        return None
    return ImpactOut(**vars(worst.impact))
