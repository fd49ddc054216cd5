"""Use case: compute the service-role policy for pipelines against the cached profile set."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from app.engine.compute import ComputeContext, ComputeResult, HintTarget, compute_policy
from app.engine.findings import Finding, pointer_join
from app.engine.pipeline.api_json import parse_pipeline_json
from app.engine.pipeline.model import Pipeline
from app.service.profile_cache import LoadedProfileSet
from app.service.provenance import CatalogInfo, Provenance, new_provenance


@dataclass(frozen=True)
class ComputeOutcome:
    result: ComputeResult
    findings: tuple[Finding, ...]
    provenance: Provenance


def parse_pipelines(
    raw: Sequence[Any], base: str = "/pipelines"
) -> tuple[list[Pipeline], list[Finding]]:
    pipelines: list[Pipeline] = []
    findings: list[Finding] = []
    for i, document in enumerate(raw):
        pipeline, parse_findings = parse_pipeline_json(document, pointer_join(base, i))
        pipelines.append(pipeline)
        findings.extend(parse_findings)
    return pipelines, findings


def compute(
    raw_pipelines: Sequence[Any],
    loaded: LoadedProfileSet,
    catalog: CatalogInfo | None,
    *,
    context: ComputeContext,
    hints: Mapping[HintTarget, Mapping[str, Sequence[str]]],
) -> ComputeOutcome:
    pipelines, findings = parse_pipelines(raw_pipelines)
    result = compute_policy(pipelines, loaded.profile_set, context=context, hints=hints)
    provenance = new_provenance(catalog, loaded.profile_set.revision, result.profiles_used)
    return ComputeOutcome(
        result=result,
        findings=tuple(sorted([*findings, *result.findings], key=Finding.sort_key)),
        provenance=provenance,
    )
