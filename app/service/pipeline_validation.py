"""Use case: check pipeline definitions against CodePipeline's structure rules and the profiles."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from app.engine.budget import WorkBudget
from app.engine.compute import ComputeContext
from app.engine.findings import Finding, FindingType
from app.engine.hint_checks import GivenHints, hint_findings
from app.engine.iam.catalog import Catalog
from app.engine.pipeline.model import ActionTypeKey, Pipeline
from app.engine.pipeline.source_map import in_template_places, template_pointer
from app.engine.pipeline.structure import validate_pipeline
from app.service.compute import PipelineSource, parse_pipelines
from app.service.profile_cache import LoadedProfileSet
from app.service.provenance import CatalogInfo, Provenance, new_provenance


@dataclass(frozen=True)
class ActionTypeUse:
    """An action type or rule type of a pipeline, how often it is used, and its profile."""

    key: ActionTypeKey
    actions: int
    profile_revision: int | None
    rules: int = 0


@dataclass(frozen=True)
class PipelineReport:
    name: str
    path: str
    action_types: tuple[ActionTypeUse, ...]


@dataclass(frozen=True)
class PipelineValidation:
    pipelines: tuple[PipelineReport, ...]
    findings: tuple[Finding, ...]
    provenance: Provenance

    @property
    def valid(self) -> bool:
        return not any(f.finding_type is FindingType.ERROR for f in self.findings)


def _report(pipeline: Pipeline, loaded: LoadedProfileSet) -> PipelineReport:
    actions = Counter(action.type for _, action in pipeline.actions())
    rules = Counter(rule.type for _, rule in pipeline.rules())
    uses = []
    for key in sorted(actions.keys() | rules.keys()):
        profile = loaded.profile_set.get(key)
        uses.append(
            ActionTypeUse(key, actions[key], profile.revision if profile else None, rules[key])
        )
    return PipelineReport(
        name=pipeline.name,
        path=template_pointer(pipeline.pointer, [pipeline]),
        action_types=tuple(uses),
    )


def _members(pipeline: Pipeline) -> Iterator[tuple[ActionTypeKey, str, str]]:
    """(type, pointer, what) of every action and stage-condition rule."""
    for _, action in pipeline.actions():
        yield action.type, action.pointer, "action type"
    for _, rule in pipeline.rules():
        yield rule.type, rule.pointer, "rule type"


def validate_pipelines(
    sources: Sequence[PipelineSource],
    loaded: LoadedProfileSet,
    catalog: CatalogInfo | None,
    *,
    context: ComputeContext,
    hints: GivenHints,
    budget: WorkBudget | None = None,
    iam_catalog: Catalog | None = None,
) -> PipelineValidation:
    pipelines, findings = parse_pipelines(sources, context, budget=budget, catalog=iam_catalog)
    findings.extend(hint_findings(pipelines, loaded.profile_set, hints))
    used: dict[ActionTypeKey, int] = {}
    for pipeline in pipelines:
        findings.extend(validate_pipeline(pipeline, loaded.profile_set))
        for key, pointer, what in _members(pipeline):
            profile = loaded.profile_set.get(key)
            if profile is None:
                findings.append(
                    Finding(
                        code="NO_PROFILE",
                        finding_type=FindingType.WARNING,
                        message=f"no permission profile for {what} `{key.label}`; "
                        "its service-role permissions cannot be computed",
                        path=pointer,
                        detail={"action_type": key.label},
                    )
                )
            else:
                used[profile.key] = profile.revision
    return PipelineValidation(
        pipelines=tuple(_report(p, loaded) for p in pipelines),
        findings=tuple(sorted(in_template_places(findings, pipelines), key=Finding.sort_key)),
        provenance=new_provenance(catalog, loaded.profile_set.revision, used.items()),
    )
