"""POST /v1/policies/diff."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

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
from app.api.policy_source import policy_documents
from app.api.problems import PROBLEM_RESPONSES
from app.api.profile_selection import select_profiles
from app.api.routers.compute import given_hints
from app.api.schemas.diff import DiffRequest, DiffResponse, RunContextIn
from app.engine.companions.documents import DocumentKind
from app.engine.compute import ComputeContext
from app.engine.findings import Finding
from app.engine.iam.policy.view import read_policy
from app.service import diff as diff_service
from app.service.compute import sources_from_request
from app.service.template_companions import template_companions, with_template_companions
from app.service.will_run import (
    GivenActionRole,
    RunContext,
    context_mismatch_findings,
    run_check,
    run_context_findings,
)

router = APIRouter(prefix="/v1/policies", tags=["policies"], route_class=CheckedRoute)


@router.post(
    "/diff",
    summary="Diff a role's policy against what pipelines need",
    response_model=DiffResponse,
    responses={**PROBLEM_RESPONSES, **FINDINGS_RESPONSE},
)
def diff_policy(
    request: DiffRequest, services: ServicesDep, http: Request, output: FormatQuery = None
) -> Response:
    """What the current policy lacks for the pipelines (with impact), grants only under
    conditions, and grants beyond them; and the patched policy."""
    return _diff(request, services, http, asked_snippet(http, output))


@router.post(
    "/diff/cloudformation",
    summary="The patched policy of a diff as a CloudFormation template",
    response_class=PlainTextResponse,
    responses=snippet_responses("cloudformation"),
)
def diff_cloudformation(request: DiffRequest, services: ServicesDep, http: Request) -> Response:
    """The diff's patched policy as an `AWS::IAM::ManagedPolicy` attached to the pipelines'
    service role, the diff's findings as comments; a 422 listing the findings when an ERROR
    stands against it."""
    return _diff(request, services, http, Snippet("cloudformation"))


@router.post(
    "/diff/terraform",
    summary="The patched policy of a diff as Terraform",
    response_class=PlainTextResponse,
    responses=snippet_responses("terraform"),
)
def diff_terraform(request: DiffRequest, services: ServicesDep, http: Request) -> Response:
    """The diff's patched policy as an `aws_iam_policy` with an
    `aws_iam_role_policy_attachment` to the pipelines' service role, the diff's findings as
    comments; a 422 listing the findings when an ERROR stands against it."""
    return _diff(request, services, http, Snippet("terraform"))


def _diff(
    request: DiffRequest, services: Services, http: Request, snippet: Snippet | None
) -> Response:
    # In the thread pool, however small the body: `"Action": "*"` on a few resources expands
    # to every catalogue action, so the work does not follow the body's size. It is charged to
    # the request's budget.
    budget = request_budget(http, services)
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
            hints=given_hints(required_in.hints, "/required"),
            budget=budget,
        )
    else:
        view = read_policy(required_in.policy, pointer="/required/policy")
        required = diff_service.required_from_policy(view, services.catalog, budget)
    companions = [
        diff_service.CurrentCompanion(
            DocumentKind(c.kind), c.target, c.document, f"/current/companions/{i}/document"
        )
        for i, c in enumerate(request.current.companions)
    ]
    unplaced: list[diff_service.CurrentCompanion] = []
    sources: diff_service.SourcePolicies | None = None
    if request.current.from_sources:
        documents: list[Any] = []
        pointer = "/current/from_sources"
        sources = diff_service.current_from_sources(required, pointer)
        # The templates' trust, bucket and key policies too; their findings are the current
        # policy's, as those of reading the role's policies are.
        companions, notes = with_template_companions(companions, required)
        placed = {(c.kind, c.target) for c in companions}
        unplaced = [c for c in template_companions(required) if (c.kind, c.target) not in placed]
        current_view = replace(sources.view, findings=(*sources.view.findings, *notes))
    else:
        documents, pointer = policy_documents(services, request.current, "/current")
        current_view = None
    outcome = diff_service.diff(
        documents,
        required,
        services.catalog,
        services.catalog_info,
        loaded,
        mode=request.arn_mode,
        current_pointer=pointer,
        current_view=current_view,
        possible_view=sources.possible_view if sources is not None else None,
        current_companions=companions,
        budget=budget,
    )
    if (given := request.current.authorization) is not None:
        answer = run_check(
            required,
            documents if sources is None else [d for d, _ in sources.sure],
            pointer,
            context := run_context(given),
            companions,
            budget,
            current_each=[] if sources is None else [at for _, at in sources.sure],
            unplaced=unplaced,
            possible=None
            if sources is None or sources.possible is None
            else [d for d, _ in sources.possible],
        )
        found = run_context_findings(context, services.catalog, budget)
        found += context_mismatch_findings(required, context, companions)
        outcome = replace(
            outcome,
            will_run=answer,
            findings=tuple(sorted([*outcome.findings, *found], key=Finding.sort_key)),
        )
    record_decision("diff", outcome.result.verdict)
    if snippet is not None:
        return snippet_response(snippet, [outcome.patched_policy], outcome.findings, outcome.roles)
    return model_response(DiffResponse.of(outcome), headers=findings_headers(outcome.findings))


def run_context(given: RunContextIn) -> RunContext:
    base = "/current/authorization"
    return RunContext(
        pointer=base,
        principal=None if given.principal is None else given.principal.to_principal(),
        permission_boundary=given.permissions_boundary,
        session_policies=given.session_policies,
        resource_policies=given.resource_policies or {},
        accounts=given.account_policies(),
        action_roles=[
            GivenActionRole(
                r.role_arn, r.documents, f"{base}/action_roles/{i}", r.permissions_boundary
            )
            for i, r in enumerate(given.action_roles)
        ],
    )
