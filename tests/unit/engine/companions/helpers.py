"""Compute the companion documents of get-pipeline documents with the shipped profiles."""

from __future__ import annotations

from typing import Any

from app.engine.companions.assemble import compute_companions
from app.engine.companions.documents import CompanionDocument, CompanionResult, DocumentKind
from app.engine.compute import ComputeContext
from app.engine.pipeline.api_json import parse_pipeline_json
from tests.unit.engine.profile_fixtures import shipped_profiles


def companions(
    *documents: dict[str, Any], context: ComputeContext | None = None
) -> CompanionResult:
    pipelines = [parse_pipeline_json(d)[0] for d in documents]
    return compute_companions(pipelines, shipped_profiles(), context=context)


def document(result: CompanionResult, kind: DocumentKind, target: str) -> CompanionDocument:
    found = result.get(kind, target)
    assert found is not None, (kind, target, [(d.kind, d.target) for d in result.documents])
    return found


def statements_by_sid(doc: CompanionDocument) -> dict[str, dict[str, Any]]:
    return {s["Sid"]: s for s in doc.document["Statement"]}


def codes(result: CompanionResult) -> list[str]:
    return [f.code for f in result.findings]
