"""Use case: compute the service-role policy for pipelines against the cached profile set."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol

from app.engine.budget import WorkBudget
from app.engine.companions.assemble import compute_companions
from app.engine.companions.documents import CompanionResult
from app.engine.compute import (
    COMPUTED,
    ComputeContext,
    ComputedStatement,
    ComputeResult,
    PolicyPlacement,
    compute_policy,
)
from app.engine.findings import Finding, FindingType
from app.engine.hint_checks import GivenHints, hint_findings
from app.engine.iam.catalog import Catalog
from app.engine.json_pointer import pointer_join
from app.engine.pipeline.detect import parse_pipeline_source
from app.engine.pipeline.model import ActionTypeKey, Pipeline
from app.engine.pipeline.roles import ServiceRole, service_roles
from app.engine.pipeline.source_map import in_template_places, template_places
from app.engine.pipeline.structure import validate_pipeline
from app.engine.pipeline.template_values import CompanionPolicies, RolePolicies, TemplateContext
from app.service.profile_cache import LoadedProfileSet
from app.service.provenance import CatalogInfo, Provenance, new_provenance


@dataclass(frozen=True)
class ComputeOutcome:
    result: ComputeResult
    findings: tuple[Finding, ...]
    provenance: Provenance
    roles: tuple[ServiceRole, ...]  # the service roles the pipelines name
    # The trust, bucket, key and other resources' policies the pipelines need besides it.
    companions: CompanionResult


@dataclass(frozen=True)
class ComputedPolicy:
    """What computing the pipelines of some sources gives, before it is answered."""

    result: ComputeResult
    findings: list[Finding]  # reading, structure, hints and profiles (not the result's own)
    roles: tuple[ServiceRole, ...]  # the service roles the pipelines name
    role_policies: tuple[RolePolicies, ...]  # the policies the templates define for them
    # The other documents the pipelines need, their findings placed in the templates.
    companions: CompanionResult
    role_arns: tuple[str, ...] = ()  # the service-role ARNs the pipelines name, once each
    # The trust, bucket and key policies the templates define for what the pipelines name.
    companion_policies: tuple[CompanionPolicies, ...] = ()


@dataclass(frozen=True)
class PipelineSource:
    """One pipeline definition as sent: a document, or text in a named or detected format."""

    body: str | Mapping[str, Any]
    pointer: str
    format: str | None = None
    parameters: Mapping[str, str] | None = None
    variables: Mapping[str, str] | None = None
    stack_name: str | None = None


class SourceText(Protocol):
    @property
    def body(self) -> str: ...
    @property
    def format(self) -> str | None: ...
    @property
    def parameters(self) -> dict[str, str] | None: ...
    @property
    def variables(self) -> dict[str, str] | None: ...
    @property
    def stack_name(self) -> str | None: ...


def sources_from_request(
    documents: Sequence[Mapping[str, Any]], texts: Sequence[SourceText], base: str = ""
) -> list[PipelineSource]:
    out = [
        PipelineSource(body=doc, pointer=pointer_join(base, "pipelines", i))
        for i, doc in enumerate(documents)
    ]
    out.extend(
        PipelineSource(
            body=t.body,
            pointer=pointer_join(base, "sources", i, "body"),
            format=t.format,
            parameters=t.parameters,
            variables=t.variables,
            stack_name=t.stack_name,
        )
        for i, t in enumerate(texts)
    )
    return out


def parse_pipelines(
    sources: Sequence[PipelineSource],
    context: ComputeContext,
    role_policies: list[RolePolicies] | None = None,
    budget: WorkBudget | None = None,
    catalog: Catalog | None = None,
    companion_policies: list[CompanionPolicies] | None = None,
) -> tuple[list[Pipeline], list[Finding]]:
    """Every pipeline of every source; a source that cannot be read raises with its pointer.

    When `role_policies` is given, the service-role policies the templates define are added to
    it; when `companion_policies` is, the trust, bucket and key policies they define."""
    template_context = TemplateContext(
        account=context.account,
        region=context.region,
        partition=context.partition,
        catalog=catalog,
    )
    pipelines: list[Pipeline] = []
    findings: list[Finding] = []
    for source in sources:
        parsed = parse_pipeline_source(
            source.body,
            format=source.format,
            parameters=source.parameters,
            variables=source.variables,
            context=replace(template_context, stack_name=source.stack_name),
            pointer=source.pointer,
            budget=budget,
        )
        pipelines.extend(parsed.pipelines)
        findings.extend(parsed.findings)
        if role_policies is not None:
            role_policies.extend(parsed.role_policies)
        if companion_policies is not None:
            companion_policies.extend(parsed.companion_policies)
    return pipelines, findings


def predating_findings(
    loaded: LoadedProfileSet, used: Sequence[tuple[ActionTypeKey, int]]
) -> list[Finding]:
    """As-of answers say where the oldest known profile stands in for an older truth, and
    where an action type was used without knowing whether it existed on that day."""
    if loaded.as_of is None:
        return []
    day = loaded.as_of.isoformat()
    predating = [
        Finding(
            code="PROFILE_PREDATES_AS_OF",
            finding_type=FindingType.WARNING,
            message=f"the first recorded profile of `{key.label}` is dated after {day}; its "
            "oldest revision (without the statements added later) stands in",
            detail={"action_type": key.label, "as_of": day},
        )
        for key, _ in used
        if key in loaded.predates
    ]
    undated = [
        Finding(
            code="PROFILE_UNDATED_AS_OF",
            finding_type=FindingType.WARNING,
            message=f"no source dates when CodePipeline added `{key.label}` (its profile's "
            f"supported_since is unknown); it is used as of {day}, when it may not have existed",
            detail={"action_type": key.label, "as_of": day},
        )
        for key, _ in used
        if key in loaded.undated
    ]
    return predating + undated


def computed_policy(
    sources: Sequence[PipelineSource],
    loaded: LoadedProfileSet,
    *,
    context: ComputeContext,
    hints: GivenHints,
    catalog: Catalog | None = None,
    budget: WorkBudget | None = None,
    placement: PolicyPlacement = COMPUTED,
) -> ComputedPolicy:
    """The policy the pipelines of `sources` need, the findings of reading them, of their
    structure's errors (what pipeline validation calls invalid), of their hints and profiles
    (the result's own findings are in the result), their service roles, and the policies their
    templates define for those roles and for their companions. The findings of a policy too
    large for one managed policy point where `placement` says the answer puts it."""
    role_policies: list[RolePolicies] = []
    companion_policies: list[CompanionPolicies] = []
    pipelines, findings = parse_pipelines(
        sources, context, role_policies, budget, catalog, companion_policies
    )
    findings.extend(
        finding
        for pipeline in pipelines
        for finding in validate_pipeline(pipeline, loaded.profile_set)
        if finding.finding_type is FindingType.ERROR
    )
    result = compute_policy(
        pipelines,
        loaded.profile_set,
        context=context,
        hints=hints.values,
        catalog=catalog,
        budget=budget,
        placement=placement,
    )
    findings.extend(hint_findings(pipelines, loaded.profile_set, hints))
    findings.extend(predating_findings(loaded, result.profiles_used))
    result = replace(result, findings=tuple(in_template_places(result.findings, pipelines)))
    companions = compute_companions(pipelines, loaded.profile_set, context=context)
    companions = replace(
        companions, findings=tuple(in_template_places(companions.findings, pipelines))
    )
    if (place := template_places(pipelines)) is not None:
        result = _required_in_template(result, place)
        companions = _reasons_in_template(companions, place)
    return ComputedPolicy(
        result,
        in_template_places(findings, pipelines),
        service_roles(pipelines),
        tuple(role_policies),
        companions,
        role_arns=tuple(dict.fromkeys(p.role_arn for p in pipelines)),
        companion_policies=tuple(companion_policies),
    )


def _required_in_template(result: ComputeResult, place: Callable[[str], str]) -> ComputeResult:
    """The result, each statement's reasons pointing at their places in the templates."""

    def placed(statements: Sequence[ComputedStatement]) -> tuple[ComputedStatement, ...]:
        return tuple(
            replace(
                s, required_by=tuple(replace(r, pointer=place(r.pointer)) for r in s.required_by)
            )
            for s in statements
        )

    return replace(
        result,
        statements=placed(result.statements),
        action_roles=tuple(
            replace(role, statements=placed(role.statements)) for role in result.action_roles
        ),
    )


def _reasons_in_template(
    companions: CompanionResult, place: Callable[[str], str]
) -> CompanionResult:
    """The companion documents, each statement's reasons pointing at their places in the
    templates."""
    documents = tuple(
        replace(
            document,
            statements=tuple(
                replace(s, reasons=tuple(replace(r, pointer=place(r.pointer)) for r in s.reasons))
                for s in document.statements
            ),
        )
        for document in companions.documents
    )
    return replace(companions, documents=documents)


def compute(
    sources: Sequence[PipelineSource],
    loaded: LoadedProfileSet,
    catalog: CatalogInfo | None,
    *,
    context: ComputeContext,
    hints: GivenHints,
    iam_catalog: Catalog | None = None,
    budget: WorkBudget | None = None,
) -> ComputeOutcome:
    computed = computed_policy(
        sources, loaded, context=context, hints=hints, catalog=iam_catalog, budget=budget
    )
    result = computed.result
    provenance = new_provenance(catalog, loaded.profile_set.revision, result.profiles_used)
    companions = computed.companions
    every = [*computed.findings, *result.findings, *companions.findings]
    return ComputeOutcome(
        result=result,
        findings=tuple(sorted(every, key=Finding.sort_key)),
        provenance=provenance,
        roles=computed.roles,
        companions=companions,
    )
