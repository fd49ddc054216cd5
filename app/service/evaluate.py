"""Use case: answer point questions ("may this role call X on Y?") against policies."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from app.engine import api as engine
from app.engine.api import RequestContext, RequestDecision
from app.engine.budget import WorkBudget
from app.engine.findings import Finding, FindingType
from app.engine.iam.catalog import Catalog
from app.engine.iam.patterns.arn import ArnMode
from app.engine.iam.policy.view import PolicyView, read_policies
from app.engine.json_pointer import pointer_join
from app.service.profile_cache import LoadedProfileSet
from app.service.provenance import CatalogInfo, Provenance, new_provenance


@dataclass(frozen=True)
class PointRequest:
    action: str
    resource: str
    context: Mapping[str, Sequence[str] | str]


@dataclass(frozen=True)
class RequestOutcome:
    decision: RequestDecision
    findings: tuple[Finding, ...]
    context: RequestContext  # what was evaluated: the caller's keys and the derived ones


@dataclass(frozen=True)
class EvaluationOutcome:
    view: PolicyView
    decisions: tuple[RequestOutcome, ...]
    provenance: Provenance


# Suggestions cost a fuzzy search of the catalogue (milliseconds each): one request of 10,000
# distinct unknown actions would otherwise spend a minute on them. Past this many distinct unknown
# actions in one request, the finding is given without a suggestion.
MAX_SUGGESTED_ACTIONS = 100


def action_findings(
    action: str, catalog: Catalog, pointer: str, suggested: dict[str, list[str]]
) -> tuple[Finding, ...]:
    if catalog.action(action) is not None:
        return ()
    suggestions = suggested.get(action)
    if suggestions is None:
        service = action.partition(":")[0]
        if len(suggested) >= MAX_SUGGESTED_ACTIONS:
            suggestions = []
        elif catalog.has_service(service):
            suggestions = catalog.suggest_action(action)
        else:
            suggestions = catalog.suggest_service(service)
        suggested[action] = suggestions
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
    budget: WorkBudget | None = None,
) -> EvaluationOutcome:
    view = read_policies(documents, pointer=pointer)
    suggested: dict[str, list[str]] = {}  # per distinct unknown action, computed once
    answers = engine.evaluate(view, requests, mode=mode, budget=budget or WorkBudget())
    decisions = [
        RequestOutcome(
            decision,
            action_findings(
                request.action, catalog, pointer_join("/requests", i, "action"), suggested
            ),
            context,
        )
        for i, (request, (decision, context)) in enumerate(zip(requests, answers, strict=True))
    ]
    return EvaluationOutcome(
        view=view,
        decisions=tuple(decisions),
        provenance=new_provenance(catalog_info, loaded.profile_set.revision, ()),
    )
