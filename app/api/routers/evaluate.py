"""POST /v1/policies/evaluate."""

from __future__ import annotations

from fastapi import APIRouter

from app.api.deps import ServicesDep
from app.api.metrics import record_decision
from app.api.policy_source import policy_documents
from app.api.problems import PROBLEM_RESPONSES
from app.api.schemas.common import FindingOut, ProvenanceOut
from app.api.schemas.diff import StatementRef
from app.api.schemas.evaluate import (
    ConditionTestOut,
    EvaluateRequest,
    EvaluateResponse,
    EvaluationResultOut,
    StatementOutcomeOut,
)
from app.engine.iam.evaluate import StatementOutcome
from app.service.evaluate import PointRequest, evaluate

router = APIRouter(prefix="/v1/policies", tags=["policies"])


def _outcome(o: StatementOutcome) -> StatementOutcomeOut:
    s = o.statement
    return StatementOutcomeOut(
        statement=StatementRef(
            document=s.doc_index, statement=s.stmt_index, sid=s.sid, path=s.pointer
        ),
        effect=s.effect,
        reason=o.reason,
        failed_conditions=[ConditionTestOut(operator=op, key=k) for op, k in o.failed_conditions],
        unknown_conditions=[ConditionTestOut(operator=op, key=k) for op, k in o.unknown_conditions],
        missing_keys=list(o.missing_keys),
    )


@router.post(
    "/evaluate",
    summary="Evaluate requests against a policy",
    response_model=EvaluateResponse,
    responses=PROBLEM_RESPONSES,
)
def evaluate_requests(request: EvaluateRequest, services: ServicesDep) -> EvaluateResponse:
    """Decide each request (action, resource, context): allowed, explicitly or implicitly
    denied, with the statements that decided it and why the others did not apply."""
    documents, pointer = policy_documents(services, request.policy, "/policy")
    outcome = evaluate(
        documents,
        [PointRequest(r.action, r.resource, r.context) for r in request.requests],
        services.catalog,
        services.catalog_info,
        services.profiles.current,
        mode=request.arn_mode,
        pointer=pointer,
    )
    results = []
    for decision, _ in outcome.decisions:
        record_decision("evaluate", decision.decision)
    for i, ((decision, findings), asked) in enumerate(
        zip(outcome.decisions, request.requests, strict=True)
    ):
        results.append(
            EvaluationResultOut(
                index=i,
                action=asked.action,
                resource=asked.resource,
                decision=decision.decision,
                definite=decision.definite,
                deciding=[_outcome(o) for o in decision.deciding],
                not_applied=[_outcome(o) for o in decision.not_applied] if request.explain else [],
                undecided=[_outcome(o) for o in decision.undecided],
                missing_keys=list(decision.missing_keys),
                findings=[FindingOut.of(f) for f in findings],
            )
        )
    return EvaluateResponse(
        decision_id=outcome.provenance.decision_id,
        provenance=ProvenanceOut.of(outcome.provenance),
        results=results,
        findings=[FindingOut.of(f) for f in outcome.view.findings],
    )
