"""Use case: answer point questions ("may this role call X on Y?") against policies."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from app.engine.findings import Finding, FindingType, pointer_join
from app.engine.iam.arn import ArnMode
from app.engine.iam.catalog import Catalog
from app.engine.iam.evaluate import RequestDecision, evaluate_request
from app.engine.iam.policy_view import PolicyView, read_policies
from app.service.profile_cache import LoadedProfileSet
from app.service.provenance import CatalogInfo, Provenance, new_provenance

POLICY_VERSION_WITH_VARIABLES = "2012-10-17"


@dataclass(frozen=True)
class PointRequest:
    action: str
    resource: str
    context: Mapping[str, Sequence[str] | str]


@dataclass(frozen=True)
class EvaluationOutcome:
    view: PolicyView
    decisions: tuple[tuple[RequestDecision, tuple[Finding, ...]], ...]
    provenance: Provenance


def _action_findings(action: str, catalog: Catalog, pointer: str) -> tuple[Finding, ...]:
    if catalog.action(action) is not None:
        return ()
    service = action.partition(":")[0]
    suggestions = (
        catalog.suggest_action(action)
        if catalog.has_service(service)
        else catalog.suggest_service(service)
    )
    hint = f"; did you mean `{suggestions[0]}`?" if suggestions else ""
    return (
        Finding(
            code="UNKNOWN_ACTION",
            finding_type=FindingType.ERROR,
            message=f"`{action}` is not an IAM action in the catalogue{hint} "
            "(it was still evaluated as written)",
            path=pointer,
            detail={"suggestions": suggestions},
        ),
    )


def evaluate(
    documents: Sequence[Any],
    requests: Sequence[PointRequest],
    catalog: Catalog,
    catalog_info: CatalogInfo,
    loaded: LoadedProfileSet,
    *,
    mode: ArnMode,
    pointer: str,
) -> EvaluationOutcome:
    view = read_policies(documents, pointer=pointer)
    variables_allowed = {
        i: doc.version == POLICY_VERSION_WITH_VARIABLES
        for i, doc in enumerate(view.parsed.documents)
    }
    decisions = []
    for i, request in enumerate(requests):
        decision = evaluate_request(
            view.statements,
            request.action,
            request.resource,
            request.context,
            mode=mode,
            policy_variables=variables_allowed,
        )
        findings = _action_findings(request.action, catalog, pointer_join("/requests", i, "action"))
        decisions.append((decision, findings))
    return EvaluationOutcome(
        view=view,
        decisions=tuple(decisions),
        provenance=new_provenance(catalog_info, loaded.profile_set.revision, ()),
    )
