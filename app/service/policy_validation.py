"""Use case: validate a role's policy, and check it against the pipelines that use it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from app.engine import api as engine
from app.engine.api import PolicyValidation
from app.engine.budget import WorkBudget
from app.engine.compute import ComputeContext
from app.engine.findings import Finding, FindingType
from app.engine.iam.catalog import Catalog
from app.engine.iam.policy.view import view_of
from app.engine.iam.validation.view import PolicyType
from app.engine.pipeline_checks import pipeline_checks
from app.service.compute import PipelineSource, parse_pipelines
from app.service.profile_cache import LoadedProfileSet
from app.service.provenance import CatalogInfo, Provenance, new_provenance


@dataclass(frozen=True)
class PolicyValidationOutcome:
    validation: PolicyValidation
    findings: tuple[Finding, ...]
    provenance: Provenance

    @property
    def valid(self) -> bool:
        return not any(f.finding_type is FindingType.ERROR for f in self.findings)


def validate(
    documents: Sequence[Any],
    catalog: Catalog,
    catalog_info: CatalogInfo,
    loaded: LoadedProfileSet,
    *,
    policy_type: PolicyType,
    pointer: str,
    baselines: Mapping[str, Mapping[str, Any]],
    sources: Sequence[PipelineSource] = (),
    context: ComputeContext | None = None,
    role_created: dt.date | None = None,
    budget: WorkBudget | None = None,
) -> PolicyValidationOutcome:
    budget = budget or WorkBudget()
    validation = engine.validate(
        list(documents),
        catalog,
        policy_type=policy_type,
        pointer=pointer,
        baselines=baselines,
        budget=budget,
    )
    findings = list(validation.findings)
    used: list[Any] = []
    parsed = validation.parsed  # the documents as the validator read them, read once
    if sources and parsed is not None:
        context = context or ComputeContext()
        pipelines, parse_findings = parse_pipelines(
            sources, context, budget=budget, catalog=catalog
        )
        findings.extend(parse_findings)
        view = view_of(parsed)
        findings.extend(
            pipeline_checks(
                view.statements,
                pipelines,
                loaded.profile_set,
                catalog,
                role_created=role_created,
                context=context,
                budget=budget,
            )
        )
        used = [(p.key, p.revision) for p in loaded.profile_set.profiles.values()]
    return PolicyValidationOutcome(
        validation=validation,
        findings=tuple(sorted(findings, key=Finding.sort_key)),
        provenance=new_provenance(catalog_info, loaded.profile_set.revision, used),
    )
